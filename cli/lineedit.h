/* lineedit.h — libedit's readline functions for `baton chat`, loaded only when an interactive chat starts. */
#ifndef BATON_CLI_LINEEDIT_H
#define BATON_CLI_LINEEDIT_H

#ifdef BATON_HAVE_LIBEDIT
#include <editline/readline.h>

/* Each member has the type of the libedit function it names. */
typedef struct cli_lineedit {
  __typeof__(readline) *readline;
  __typeof__(add_history) *add_history;
  __typeof__(stifle_history) *stifle_history;
  __typeof__(read_history) *read_history;
  __typeof__(write_history) *write_history;
} cli_lineedit;

/* libedit, dlopen()ed on the first call (the other commands never map it
 * and the four libraries it needs), or NULL when it cannot be loaded: the
 * chat then reads plain lines. Not thread-safe: the chat's main thread. */
const cli_lineedit *cli_lineedit_get(void);
#endif

#endif
