/*
 * report_json.c - the --json summary (one object; fields in docs/rrashost.md).
 * Latencies are integer nanoseconds.
 */
#include <stdio.h>
#include <stdlib.h>

#include "report.h"

static unsigned long long ns(uint64_t ticks)
{
    return (unsigned long long)(rh_ticks_to_ns(ticks) + 0.5);
}

static void latency(FILE *f, const rh_hist *h)
{
    fprintf(f, "{\"count\":%llu,\"p50\":%llu,\"p90\":%llu,\"p99\":%llu,\"p99_9\":%llu,"
               "\"max\":%llu,\"mean\":%llu}",
            (unsigned long long)h->count, ns(rh_hist_quantile(h, 0.5)),
            ns(rh_hist_quantile(h, 0.9)), ns(rh_hist_quantile(h, 0.99)),
            ns(rh_hist_quantile(h, 0.999)), ns(h->max), h->count ? ns(h->sum / h->count) : 0);
}

static void dlls(FILE *f, const rh_host *h)
{
    fputs("\"dlls\":[", f);
    for (unsigned d = 0; d < h->n_dlls; d++) {
        const rh_dll *dll = &h->dlls[d];
        fprintf(f, "%s{\"path\":", d ? "," : "");
        rh_json_str(f, dll->path_utf8);
        fprintf(f, ",\"mode\":\"%s\",\"revision\":%u,\"audited\":%s,\"ipv4_provider\":%s,"
                   "\"ipv6_provider\":%s}",
                dll->ex ? "ex" : "legacy", dll->revision, dll->audited ? "true" : "false",
                h->ip_dll == (int)d ? "true" : "false", h->ipv6_dll == (int)d ? "true" : "false");
    }
    fputs("]", f);
}

static void sessions(FILE *f, const rh_totals *t)
{
    fprintf(f, "\"sessions\":{\"started\":%llu,\"established\":%llu,\"rejected\":%llu,"
               "\"aborted\":%llu,\"ip_refused\":%llu,\"ipv6_refused\":%llu,\"links\":%llu,"
               "\"links_refused\":%llu,\"reauths\":%llu,\"reauth_rejected\":%llu}",
            (unsigned long long)t->sessions, (unsigned long long)t->established,
            (unsigned long long)t->conn_rejected, (unsigned long long)t->aborted,
            (unsigned long long)t->ip_refused, (unsigned long long)t->ipv6_refused,
            (unsigned long long)t->links, (unsigned long long)t->links_refused,
            (unsigned long long)t->reauths, (unsigned long long)t->reauth_rejected);
}

static void callouts(FILE *f, const rh_report_run *r)
{
    bool first = true;
    fputs("\"callouts\":[", f);
    for (unsigned c = 0; c < RH_CO_COUNT; c++)
        for (unsigned d = 0; d < r->host->n_dlls; d++) {
            const rh_hist *h = r->res.stats.lat[d][c];
            if (!h)
                continue;
            fprintf(f, "%s{\"callout\":\"%s\",\"dll\":%u,\"calls\":%llu,\"refused\":%llu,"
                       "\"latency_ns\":",
                    first ? "" : ",", rh_callout_name((rh_callout)c), d + 1,
                    (unsigned long long)r->res.stats.calls[d][c],
                    (unsigned long long)r->res.stats.refusals[d][c]);
            latency(f, h);
            fputs("}", f);
            first = false;
        }
    fputs("]", f);
}

static void audit(FILE *f, const rh_audit_result *a)
{
    fprintf(f, "\"audit\":{\"ran\":%s", a->ran ? "true" : "false");
    if (a->ran)
        fprintf(f, ",\"ok\":%s,\"files\":%u,\"instances\":%u,\"records\":%llu,\"fired\":%llu,"
                   "\"written\":%llu,\"dropped\":%llu,\"missing\":%llu,\"lost\":%lld,"
                   "\"duplicated\":%llu,\"unexpected\":%llu,\"mismatched\":%llu,"
                   "\"seq_gaps\":%llu,\"seq_repeats\":%llu",
                a->ok ? "true" : "false", a->files, a->instances,
                (unsigned long long)a->records, (unsigned long long)a->fired,
                (unsigned long long)a->written, (unsigned long long)a->dropped,
                (unsigned long long)a->missing, (long long)a->lost,
                (unsigned long long)a->duplicated, (unsigned long long)a->unexpected,
                (unsigned long long)a->mismatched, (unsigned long long)a->seq_gaps,
                (unsigned long long)a->seq_repeats);
    fputs("}", f);
}

static void run(FILE *f, const rh_report_run *r)
{
    double secs = r->res.seconds > 0 ? r->res.seconds : 1e-9;
    fprintf(f, "{\"label\":\"%s\",\"started\":%s,\"seconds\":%.6f,\"callouts_total\":%llu,"
               "\"callouts_per_s\":%.1f,",
            r->label, r->started ? "true" : "false", r->res.seconds,
            (unsigned long long)r->res.stats.t.callouts,
            (double)r->res.stats.t.callouts / secs);
    dlls(f, r->host);
    fputs(",", f);
    sessions(f, &r->res.stats.t);
    fputs(",", f);
    callouts(f, r);
    fputs(",", f);
    audit(f, &r->audit);
    fputs("}", f);
}

static void comparison(FILE *f, const rh_report_run *a, const rh_report_run *b)
{
    bool first = true;
    fputs(",\"comparison\":[", f);
    for (int cl = -1; cl < RH_CL_COUNT; cl++) {
        if (cl == RH_CL_LIFECYCLE)
            continue;
        rh_hist *ha = rh_class_hist(a, a->focus, cl), *hb = rh_class_hist(b, b->focus, cl);
        if (ha && hb) {
            double pa = rh_ticks_to_ns(rh_hist_quantile(ha, 0.99));
            double pb = rh_ticks_to_ns(rh_hist_quantile(hb, 0.99));
            fprintf(f, "%s{\"class\":\"%s\",\"a\":", first ? "" : ",",
                    cl < 0 ? "all" : rh_class_name((rh_class)cl));
            latency(f, ha);
            fputs(",\"b\":", f);
            latency(f, hb);
            fprintf(f, ",\"p99_ratio\":%.3f}", pa > 0 ? pb / pa : 0.0);
            first = false;
        }
        free(ha);
        free(hb);
    }
    fputs("]", f);
}

bool rh_report_json(const wchar_t *path, const rh_report_run *runs, unsigned n,
                    const rh_opts *o)
{
    FILE *f = _wfopen(path, L"wb");
    if (!f)
        return false;
    fprintf(f, "{\"tool\":\"rrashost\",\"version\":\"%s\",\"options\":{\"seed\":%llu,"
               "\"sessions\":%llu,\"threads\":%u,\"window\":%u,\"storm\":%s,\"stress\":%s,"
               "\"rate\":%.3f,\"duration_s\":%.3f,\"hostile_pct\":%u,\"rounds\":%u,"
               "\"legacy\":%s",
            RH_VERSION, (unsigned long long)o->seed,
            (unsigned long long)(o->sessions == UINT64_MAX ? 0 : o->sessions), o->run.threads,
            o->run.window, o->run.storm ? "true" : "false", o->stress ? "true" : "false",
            o->run.rate, o->run.duration_s, o->hostile_pct, o->rounds,
            o->legacy ? "true" : "false");
    if (o->hold)
        fprintf(f, ",\"hold_at\":%llu", (unsigned long long)o->hold_at);
    fprintf(f, "},\"clock\":{\"source\":\"%s\",\"hz\":%.0f},\"runs\":[", rh_clock_name(),
            rh_ticks_hz());
    for (unsigned i = 0; i < n; i++) {
        if (i)
            fputs(",", f);
        run(f, &runs[i]);
    }
    fputs("]", f);
    if (n == 2 && runs[0].started && runs[1].started)
        comparison(f, &runs[0], &runs[1]);
    fputs("}\n", f);
    return fclose(f) == 0;
}
