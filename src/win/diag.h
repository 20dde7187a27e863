/*
 * diag.h - rastap's own diagnostics: problems it meets (a sink that cannot
 * open, a directory it cannot create, a configuration it refuses).
 *
 * Each report is counted, kept as "last error" with its time, and written
 * to the debugger (OutputDebugString) and the Application event log (source
 * rastap, event 900, filtered by DiagLevel). Never blocks on anything but a short
 * internal lock; callouts never report (they only count).
 */
#ifndef RT_DIAG_H
#define RT_DIAG_H

#include <stdint.h>

typedef enum rt_diag_level { RT_DIAG_INFO, RT_DIAG_WARNING, RT_DIAG_ERROR } rt_diag_level;

void rt_diag_report(rt_diag_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Count of reports at WARNING or above, and the last one (UTF-8). */
uint64_t rt_diag_errors(void);
void rt_diag_last(char *buf, size_t cap, int64_t *when_unix_us);

#endif /* RT_DIAG_H */
