/*
 * eventlog.h - rastap's own diagnostics in the Windows Application event
 * log, source "rastap": a refused configuration (always worth an
 * administrator's attention), an applied one, and later other diagnostics.
 *
 * Registration (rastapctl install / uninstall, never the DLL itself):
 *   HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\rastap
 *     EventMessageFile  REG_EXPAND_SZ  full path of rastap.dll
 *     TypesSupported    REG_DWORD      7 (error, warning, information)
 * It is meant to grow: the Event Log sink adds a message table to
 * rastap.dll (and may add CategoryMessageFile / CategoryCount here).
 *
 * Every event carries its whole text as insertion string %1, so it reads
 * the same with or without a message table. The message table must define
 * each RT_EVMSG_* id below as the plain number (mc: Severity=Success,
 * Facility=Application is not used: facility 0) with the text "%1".
 *
 * Any thread except a callout (ReportEventW may block on the event log
 * service). Without registration Windows still logs the text, prefixed
 * with "The description for Event ID ... cannot be found".
 */
#ifndef RT_EVENTLOG_H
#define RT_EVENTLOG_H

#include <stdbool.h>

#include <windows.h>

#define RT_EVENTLOG_SOURCE L"rastap"
#define RT_EVENTLOG_KEY L"SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\rastap"

/* Event ids of rastap's diagnostics (900..999 are reserved for them). */
enum {
    RT_EVMSG_DIAG = 900,            /* a diagnostic: sink failures, ... */
    RT_EVMSG_CONFIG_REFUSED = 901,  /* error: a configuration was refused */
    RT_EVMSG_CONFIG_APPLIED = 902,  /* information: a configuration is in force */
};

/* Levels, as DiagLevel counts them: an event is written when its level is
 * at most the configured DiagLevel (0 writes nothing). */
typedef enum rt_eventlog_level {
    RT_EVENTLOG_ERROR = 1,
    RT_EVENTLOG_WARNING = 2,
    RT_EVENTLOG_INFO = 3,
} rt_eventlog_level;

/* Sets DiagLevel (0..3; default 2). Any thread. */
void rt_eventlog_set_level(unsigned level);

/* Writes `text` (UTF-8) as event `id` when `level` passes DiagLevel. */
void rt_eventlog_report(rt_eventlog_level level, DWORD id, const char *text);

/* Registers the source with EventMessageFile = dll_path. *changed tells
 * whether anything was written. Returns a Win32 error code. */
DWORD rt_eventlog_register(const WCHAR *dll_path, bool *changed);

/* Removes the registration; NO_ERROR also when there was none. */
DWORD rt_eventlog_unregister(void);

#endif /* RT_EVENTLOG_H */
