/* test_plan_validity.c — the plan parser refuses text that is not valid UTF-8 and names cut by a NUL. */
#include <criterion/criterion.h>
#include <string.h>

#include "planner/taskgraph.h"

static int parse(const char *json, char *err, size_t errlen) {
  baton__graph g;
  int rc = baton__graph_parse(json, strlen(json), 16, &g, err, errlen);
  baton__graph_release(&g);
  return rc;
}

Test(planner_plan_validity, a_nul_in_a_task_name_argument_name_or_value_is_refused) {
  static const char *const plans[] = {
      "[{\"task\":\"summarization\\u0000x\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"a\"}}]",
      "[{\"task\":\"summarization\",\"id\":0,\"dep\":[-1],\"args\":{\"te\\u0000xt\":\"a\"}}]",
      "[{\"task\":\"image-to-text\",\"id\":0,\"dep\":[-1],\"args\":{\"image\":\"a.png\\u0000.txt\"}}]",
      "[{\"task\":\"summarization\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"\xc3\x28\"}}]",
  };
  for (size_t i = 0; i < sizeof plans / sizeof plans[0]; i++) {
    char err[512] = "";
    cr_expect_neq(parse(plans[i], err, sizeof err), 0, "plan %zu was accepted", i);
    cr_expect(strstr(err, "NUL") || strstr(err, "UTF-8"), "plan %zu: %s", i, err);
  }
  char err[512] = "";
  cr_expect_eq(parse("[{\"task\":\"summarization\",\"id\":0,\"dep\":[-1],"
                     "\"args\":{\"text\":\"caf\xc3\xa9 \\\\u0000 is text\"}}]",
                     err, sizeof err),
               0, "an escaped backslash before u0000 is plain text: %s", err);
}
