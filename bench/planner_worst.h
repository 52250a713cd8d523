/* planner_worst.h — the offline planner's slowest requests (planner_f1 --worst). */
#ifndef BATON_BENCH_PLANNER_WORST_H
#define BATON_BENCH_PLANNER_WORST_H

#include "planner/offline.h"

/* Plans, with req's tasks and lexicon, each task keyword phrase and a few joining words repeated
 * to the request limit; prints the count, the total and the five slowest. 0. */
int planner_worst(baton__offline_req req);

#endif
