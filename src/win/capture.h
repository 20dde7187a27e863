/*
 * capture.h - fill an rt_event from RAS's callout arguments.
 *
 * Called inside callouts on RRAS's threads. Each function accepts NULL for
 * any structure (and then copies nothing), copies fixed arrays whole and
 * sets the RT_HAS_* bits for what it filled. None keeps a pointer.
 */
#ifndef RT_CAPTURE_H
#define RT_CAPTURE_H

#include "event.h"
#include "ras_contract.h"

void rt_capture_conn0(rt_event *ev, const RAS_CONNECTION_0 *c0);
void rt_capture_conn1(rt_event *ev, const RAS_CONNECTION_1 *c1);
void rt_capture_conn2(rt_event *ev, const RAS_CONNECTION_2 *c2);
void rt_capture_conn3(rt_event *ev, const RAS_CONNECTION_3 *c3);
void rt_capture_conn_ex(rt_event *ev, const RAS_CONNECTION_EX *x);
void rt_capture_port(rt_event *ev, const RAS_PORT_0 *p0, const RAS_PORT_1 *p1);
/* user and port of the address callouts: NUL-terminated strings of unknown
 * length, read at most RT_LEN_USER / RT_LEN_PORT units. */
void rt_capture_ip_names(rt_event *ev, const WCHAR *user, const WCHAR *port);

#endif /* RT_CAPTURE_H */
