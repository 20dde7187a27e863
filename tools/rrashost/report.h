/*
 * report.h - what rrashost prints and writes after a run: the text
 * summary, the side-by-side comparison, the JSON summary and the plot.
 */
#ifndef RH_REPORT_H
#define RH_REPORT_H

#include "audit.h"
#include "cli.h"

typedef struct rh_report_run {
    const char *label;          /* "main" or "compare" */
    rh_host *host;              /* DLL descriptions stay valid after unload */
    rh_run_result res;
    rh_audit_result audit;
    unsigned focus;             /* index of the DLL a comparison looks at */
    bool started;               /* every DLL loaded: the workload ran */
} rh_report_run;

void rh_report_text(const rh_report_run *r, const rh_opts *o);
void rh_report_compare(const rh_report_run *a, const rh_report_run *b);
bool rh_report_json(const wchar_t *path, const rh_report_run *runs, unsigned n,
                    const rh_opts *o);
/* Writes <png minus .png>.gp and .dat, then runs gnuplot (under Wine via
 * start /unix). False if the files could not be written; a missing
 * gnuplot is reported, not an error. */
bool rh_plot(const wchar_t *png, const rh_report_run *runs, unsigned n);

/* Latency of one DLL merged over a class of callouts (cl < 0: every
 * callout except Initialize/Terminate). Caller frees; NULL if none. */
rh_hist *rh_class_hist(const rh_report_run *r, unsigned dll, int cl);

#endif /* RH_REPORT_H */
