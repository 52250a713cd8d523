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
#undef strncat
#define strncat(x, y, n) BATON__BANNED(strncat)
#undef strtok_r
#define strtok_r(x, y, z) BATON__BANNED(strtok_r)
/* Shared static results, and local time where UTC is meant: use gmtime_r. */
#undef gmtime
#define gmtime(t) BATON__BANNED(gmtime)
#undef localtime
#define localtime(t) BATON__BANNED(localtime)
#undef ctime
#define ctime(t) BATON__BANNED(ctime)
#undef ctime_r
#define ctime_r(t, b) BATON__BANNED(ctime_r)
#undef asctime
#define asctime(t) BATON__BANNED(asctime)
#undef asctime_r
#define asctime_r(t, b) BATON__BANNED(asctime_r)
/* A name another process can take first: use mkstemp or mkdtemp. */
#undef mktemp
#define mktemp(t) BATON__BANNED(mktemp)

#endif
