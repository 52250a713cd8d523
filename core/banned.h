/* banned.h — libc calls that are easy to misuse, made compile errors. */
#ifndef BATON_BANNED_H
#define BATON_BANNED_H

#define BATON__BANNED(func) sorry_##func##_is_banned_use_snprintf_or_baton__sb

#undef strcpy
#define strcpy(x, y) BATON__BANNED(strcpy)
#undef strcat
#define strcat(x, y) BATON__BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BATON__BANNED(strncpy)
#undef sprintf
#define sprintf(...) BATON__BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BATON__BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BATON__BANNED(strtok)
#undef gets
#define gets(x) BATON__BANNED(gets)

#endif
