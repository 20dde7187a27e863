/*
 * config.h - rastap's settings from the registry.
 *
 * Key: HKLM\SYSTEM\CurrentControlSet\Services\RemoteAccess\Parameters\
 *      AdminDll\rastap  (RT_CONFIG_KEY), sinks under its Sinks\<name>.
 * No key at all means the built-in default: one JSON Lines file sink in
 * %ProgramData%\rastap. Worker thread (and rastapctl) only.
 */
#ifndef RT_CONFIG_H
#define RT_CONFIG_H

#include <stdint.h>

#include "sinks.h"

#define RT_CONFIG_KEY L"SYSTEM\\CurrentControlSet\\Services\\RemoteAccess\\Parameters\\AdminDll\\rastap"

typedef struct rt_core_settings {
    uint32_t ring_size;
    uint32_t stop_drain_ms;
} rt_core_settings;

/* Reads the core settings and up to max sink instances; returns how many
 * sinks. Values it cannot use keep their defaults and are reported. */
unsigned rt_config_load(rt_core_settings *core, rt_sink_config *sinks, unsigned max);

#endif /* RT_CONFIG_H */
