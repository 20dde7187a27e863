/*
 * tunnels.h - what each live connection's tunnel is, learned from its links.
 *
 * RAS_CONNECTION_* only says PPP or IKEv2; the first link's RAS_PORT_0
 * device ("WAN Miniport (L2TP)") says more. Worker thread only; a bounded
 * table (oldest entries are overwritten), so it cannot grow without limit
 * when hangups are missed.
 */
#ifndef RT_TUNNELS_H
#define RT_TUNNELS_H

#include "event.h"

/* Learns from link events; returns the tunnel name to put in this record
 * (NULL: none known). */
const char *rt_tunnels_observe(const rt_event *ev);
/* After a connection.stop has been delivered: forget the connection. */
void rt_tunnels_forget(const rt_event *ev);

#endif /* RT_TUNNELS_H */
