/* local.c — the table of all local executors this build has, for the tests that run them in their own process. */
#include "executors/executor.h"
#include "local_executors.h"
#include "core/banned.h"

/* gen/local_executors.h lists the executors whose libraries were found. */
#define BATON__LOCAL_ENTRY(symbol, name, tasks) &baton__executor_##symbol,
const baton__executor *const baton__local_executors[] = {
    BATON__LOCAL_EXECUTORS(BATON__LOCAL_ENTRY) NULL,
};
