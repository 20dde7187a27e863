#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <windows.h>

#include "clock.h"
#include "eventlog.h"

static SRWLOCK lock = SRWLOCK_INIT;
static uint64_t errors;
static char last[512];
static int64_t last_when;

void rt_diag_report(rt_diag_level level, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    char line[540];
    snprintf(line, sizeof line, "rastap: %s\n", msg);
    OutputDebugStringA(line);
    /* The Application log too (source rastap, event 900), filtered by
     * DiagLevel: errors and warnings by default, information at 3. */
    rt_eventlog_report(level == RT_DIAG_ERROR     ? RT_EVENTLOG_ERROR
                       : level == RT_DIAG_WARNING ? RT_EVENTLOG_WARNING
                                                  : RT_EVENTLOG_INFO,
                       RT_EVMSG_DIAG, msg);
    if (level == RT_DIAG_INFO)
        return;
    AcquireSRWLockExclusive(&lock);
    errors++;
    memcpy(last, msg, sizeof last);
    last_when = rt_clock_now_unix_us();
    ReleaseSRWLockExclusive(&lock);
}

uint64_t rt_diag_errors(void)
{
    AcquireSRWLockShared(&lock);
    uint64_t n = errors;
    ReleaseSRWLockShared(&lock);
    return n;
}

void rt_diag_last(char *buf, size_t cap, int64_t *when)
{
    AcquireSRWLockShared(&lock);
    snprintf(buf, cap, "%s", last);
    *when = last_when;
    ReleaseSRWLockShared(&lock);
}
