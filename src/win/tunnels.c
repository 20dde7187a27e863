#include "tunnels.h"

#include <stdint.h>

#include "format.h"

#define TABLE 4096 /* power of two */
#define PROBES 8

typedef struct entry {
    uint64_t handle;
    const char *tunnel;
} entry;

static entry table[TABLE];

static uint32_t slot_of(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return (uint32_t)h & (TABLE - 1);
}

static entry *find(uint64_t h)
{
    uint32_t s = slot_of(h);
    for (int i = 0; i < PROBES; i++) {
        entry *e = &table[(s + (uint32_t)i) & (TABLE - 1)];
        if (e->tunnel && e->handle == h)
            return e;
    }
    return NULL;
}

static void remember(uint64_t h, const char *tunnel)
{
    uint32_t s = slot_of(h);
    entry *victim = &table[s];
    for (int i = 0; i < PROBES; i++) {
        entry *e = &table[(s + (uint32_t)i) & (TABLE - 1)];
        if (!e->tunnel || e->handle == h) {
            victim = e;
            break;
        }
    }
    victim->handle = h;
    victim->tunnel = tunnel;
}

const char *rt_tunnels_observe(const rt_event *ev)
{
    if (ev->kind == RT_EV_LINK_ACCEPT && (ev->has & RT_HAS_PORT_INFO)) {
        const rt_ev_link *l = &ev->u.link;
        const char *t = rt_tunnel_from_device_type(l->device_type, RT_LEN_DEVICE_TYPE, l->device,
                                                   RT_LEN_DEVICE);
        if (t && !find(l->handle))
            remember(l->handle, t);
        return t;
    }
    if ((ev->kind == RT_EV_CONN_ACCEPT || ev->kind == RT_EV_CONN_STOP ||
         ev->kind == RT_EV_REAUTH || ev->kind == RT_EV_LINK_STOP) &&
        (ev->has & RT_HAS_HANDLE)) {
        const entry *e = find(ev->kind == RT_EV_LINK_STOP ? ev->u.link.handle : ev->u.conn.handle);
        return e ? e->tunnel : NULL;
    }
    return NULL;
}

void rt_tunnels_forget(const rt_event *ev)
{
    if (ev->kind != RT_EV_CONN_STOP || !(ev->has & RT_HAS_HANDLE))
        return;
    entry *e = find(ev->u.conn.handle);
    if (e)
        e->tunnel = NULL;
}
