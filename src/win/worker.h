/*
 * worker.h - start and stop the draining thread (worker.c).
 * Both are called by RRAS's thread through runtime.c, never concurrently.
 */
#ifndef RT_WORKER_H
#define RT_WORKER_H

#include <stdint.h>

#include <windows.h>

#include "config.h"

/* Reads the configuration the next start will use. */
void rt_worker_configure(rt_core_settings *core);
/* Queues service.start and starts the thread. */
DWORD rt_worker_start(void);
/* Asks the thread to drain (at most drain_ms), write service.stop and
 * close the sinks; waits for it a bounded time. */
void rt_worker_stop(uint32_t drain_ms);

#endif /* RT_WORKER_H */
