/*
 * report.c - the human-readable summary and the side-by-side comparison.
 */
#include <stdio.h>
#include <stdlib.h>

#include "report.h"

static const double quantiles[] = {0.5, 0.9, 0.99, 0.999, 1.0};
#define NQ (sizeof quantiles / sizeof quantiles[0])

static double us(uint64_t ticks)
{
    return rh_ticks_to_ns(ticks) / 1000.0;
}

rh_hist *rh_class_hist(const rh_report_run *r, unsigned dll, int cl)
{
    rh_hist *h = NULL;
    for (unsigned c = 0; c < RH_CO_COUNT; c++) {
        const rh_hist *src = r->res.stats.lat[dll][c];
        rh_class k = rh_callout_class((rh_callout)c);
        if (!src || (cl < 0 ? k == RH_CL_LIFECYCLE : (int)k != cl))
            continue;
        if (!h)
            h = rh_hist_new();
        rh_hist_merge(h, src);
    }
    return h;
}

static const char *mode_of(const rh_dll *d)
{
    return d->ex ? "Ex path (MprAdminInitializeDllEx)" : "legacy path (named exports)";
}

static void print_dlls(const rh_host *h)
{
    for (unsigned d = 0; d < h->n_dlls; d++) {
        const rh_dll *dll = &h->dlls[d];
        printf("DLL %u: %s, %s, revision %u; calls %s / %s%s%s%s\n", d + 1, dll->path_utf8,
               mode_of(dll), dll->revision, rh_callout_name(dll->accept_co),
               rh_callout_name(dll->hangup_co),
               h->ip_dll == (int)d ? "; IPv4 address callouts" : "",
               h->ipv6_dll == (int)d ? "; IPv6 address callouts" : "",
               dll->audited ? "; audited" : "");
    }
}

static void print_sessions(const rh_totals *t)
{
    printf("sessions: %llu started, %llu established, %llu rejected by a DLL, %llu aborted "
           "after address assignment, %llu refused an IPv4 address, %llu refused IPv6\n",
           (unsigned long long)t->sessions, (unsigned long long)t->established,
           (unsigned long long)t->conn_rejected, (unsigned long long)t->aborted,
           (unsigned long long)t->ip_refused, (unsigned long long)t->ipv6_refused);
    printf("links: %llu accepted, %llu refused; reauthentications: %llu accepted, %llu "
           "rejected\n",
           (unsigned long long)t->links, (unsigned long long)t->links_refused,
           (unsigned long long)t->reauths, (unsigned long long)t->reauth_rejected);
}

static void print_table(const rh_report_run *r)
{
    printf("%-40s %3s %9s %8s %9s %9s %9s %9s %9s\n", "callout (latency in us)", "DLL", "calls",
           "refused", "p50", "p90", "p99", "p99.9", "max");
    for (unsigned c = 0; c < RH_CO_COUNT; c++) {
        for (unsigned d = 0; d < r->host->n_dlls; d++) {
            const rh_hist *h = r->res.stats.lat[d][c];
            if (!h)
                continue;
            printf("%-40s %3u %9llu %8llu", rh_callout_name((rh_callout)c), d + 1,
                   (unsigned long long)r->res.stats.calls[d][c],
                   (unsigned long long)r->res.stats.refusals[d][c]);
            for (size_t q = 0; q < NQ; q++)
                printf(" %9.2f", us(rh_hist_quantile(h, quantiles[q])));
            printf("\n");
        }
    }
}

void rh_report_text(const rh_report_run *r, const rh_opts *o)
{
    const rh_totals *t = &r->res.stats.t;
    double secs = r->res.seconds > 0 ? r->res.seconds : 1e-9;
    char rounds[32] = "";
    if (o->rounds > 1)
        snprintf(rounds, sizeof rounds, " in %u rounds", o->rounds);
    printf("== rrashost %s: %s run: %llu sessions%s on %u thread(s) in %.2f s (seed %llu, %s%s)\n",
           RH_VERSION, r->label, (unsigned long long)t->sessions, rounds, o->run.threads, secs,
           (unsigned long long)o->seed, o->run.storm ? "reconnect storm" : "window",
           r->host->stress ? ", --stress: NOT serialized" : ", serialized as RRAS");
    if (!o->quiet)
        print_dlls(r->host);
    print_sessions(t);
    if (!o->quiet)
        print_table(r);
    printf("callouts: %llu in %.2f s = %.0f callouts/s (clock %s, %.3f GHz)\n",
           (unsigned long long)t->callouts, secs, (double)t->callouts / secs, rh_clock_name(),
           rh_ticks_hz() / 1e9);
    if (rh_clock_warning())
        printf("warning: %s\n", rh_clock_warning());
}

static void cell(const rh_hist *h, double q)
{
    if (h)
        printf(" %10.2f", us(rh_hist_quantile(h, q)));
    else
        printf(" %10s", "-");
}

void rh_report_compare(const rh_report_run *a, const rh_report_run *b)
{
    const rh_dll *da = &a->host->dlls[a->focus], *db = &b->host->dlls[b->focus];
    printf("== comparison, same workload: A = %s, B = %s (latency in us, ratio = B / A)\n",
           da->name_utf8, db->name_utf8);
    printf("%-22s %10s %10s %10s %10s %10s %10s %9s %9s\n", "class", "p50 A", "p50 B", "p99 A",
           "p99 B", "p99.9 A", "p99.9 B", "p50 x", "p99 x");
    for (int cl = -1; cl < RH_CL_COUNT; cl++) {
        if (cl == RH_CL_LIFECYCLE)
            continue;
        rh_hist *ha = rh_class_hist(a, a->focus, cl), *hb = rh_class_hist(b, b->focus, cl);
        if (ha || hb) {
            printf("%-22s", cl < 0 ? "all callouts" : rh_class_name((rh_class)cl));
            cell(ha, 0.5);
            cell(hb, 0.5);
            cell(ha, 0.99);
            cell(hb, 0.99);
            cell(ha, 0.999);
            cell(hb, 0.999);
            for (int k = 0; k < 2; k++) {
                double q = k ? 0.99 : 0.5;
                double x = ha && hb ? us(rh_hist_quantile(ha, q)) : 0;
                double y = ha && hb ? us(rh_hist_quantile(hb, q)) : 0;
                if (x > 0)
                    printf(" %8.1fx", y / x);
                else
                    printf(" %9s", "-");
            }
            printf("\n");
        }
        free(ha);
        free(hb);
    }
}
