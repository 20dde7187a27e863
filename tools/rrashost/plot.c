/*
 * plot.c - --plot FILE.png: latency histograms drawn by gnuplot.
 *
 * rrashost writes FILE.dat (the data) and FILE.gp (the script) next to the
 * PNG and then runs gnuplot on the script. gnuplot is a Linux program here
 * (Debian gnuplot-nox); under Wine it is started with
 *   start.exe /wait /unix /usr/bin/gnuplot <script>
 * and the script names its files by their Unix paths
 * (wine_get_unix_file_name). On Windows, gnuplot.exe is taken from PATH.
 * If gnuplot cannot be run, the files stay and the command to run is
 * printed: `gnuplot FILE.gp` on the Linux side does the same.
 *
 * Top panel: share of calls per latency bin (10 per decade), all callouts
 * of the focus DLL of each run. Bottom panel: latency by percentile (50 ... 99.99, max).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

typedef char *(CDECL *unix_name_fn)(const wchar_t *);

static unix_name_fn wine_unix_name(void)
{
    HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
    if (!ntdll || !GetProcAddress(ntdll, "wine_get_version"))
        return NULL;
    return (unix_name_fn)(void (*)(void))GetProcAddress(GetModuleHandleW(L"kernel32.dll"),
                                                          "wine_get_unix_file_name");
}

/* The path as gnuplot will read it: Unix under Wine, else with '/'. */
static char *gnuplot_path(const wchar_t *w, unix_name_fn to_unix)
{
    if (to_unix) {
        char *u = to_unix(w);
        if (u) {
            char *copy = _strdup(u);
            HeapFree(GetProcessHeap(), 0, u);
            return copy;
        }
    }
    char *s = rh_utf8(w);
    for (char *p = s; *p; p++)
        if (*p == '\\')
            *p = '/';
    return s;
}

static wchar_t *with_ext(const wchar_t *png, const wchar_t *ext)
{
    size_t n = wcslen(png);
    if (n > 4 && _wcsicmp(png + n - 4, L".png") == 0)
        n -= 4;
    wchar_t *out = calloc(n + wcslen(ext) + 1, sizeof *out);
    if (out) {
        memcpy(out, png, n * sizeof *out);
        wcscat(out, ext);
    }
    return out;
}

static const double pct[] = {0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9995, 0.9999};

/* Log bins, 10 per decade from 10 ns: what a histogram on a log axis needs
 * (the raw buckets are linear inside each power of two). */
#define BINS_PER_DECADE 10
#define N_BINS (BINS_PER_DECADE * 9)

static double bin_low_us(int k)
{
    return 0.01 * pow(10.0, (double)k / BINS_PER_DECADE);
}

static void write_histogram(FILE *f, const rh_hist *h)
{
    double bins[N_BINS] = {0};
    int lo = N_BINS, hi = -1;
    for (unsigned b = 0; b < RH_HIST_BUCKETS; b++) {
        if (!h->bucket[b])
            continue;
        double us = rh_ticks_to_ns(rh_hist_bucket_value(b)) / 1000.0;
        int k = us <= 0.01 ? 0 : (int)floor(log10(us / 0.01) * BINS_PER_DECADE);
        k = k < 0 ? 0 : k >= N_BINS ? N_BINS - 1 : k;
        bins[k] += 100.0 * (double)h->bucket[b] / (double)h->count;
        lo = k < lo ? k : lo;
        hi = k > hi ? k : hi;
    }
    for (int k = lo > 0 ? lo - 1 : 0; k <= hi + 1 && k < N_BINS; k++)
        fprintf(f, "%.5f %.6f\n", bin_low_us(k), bins[k]);
}

static void write_data(FILE *f, const rh_report_run *runs, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        rh_hist *h = runs[i].started ? rh_class_hist(&runs[i], runs[i].focus, -1) : NULL;
        fprintf(f, "# %s: %s, all callouts: bin_low_us percent_of_calls\n", runs[i].label,
                runs[i].host->dlls[runs[i].focus].name_utf8);
        if (h)
            write_histogram(f, h);
        else
            fprintf(f, "1 0\n");
        fprintf(f, "\n\n# %s: 1/(1-percentile) latency_us\n", runs[i].label);
        for (size_t k = 0; h && k < sizeof pct / sizeof pct[0]; k++)
            if ((double)h->count * (1 - pct[k]) >= 1)
                fprintf(f, "%.1f %.4f\n", 1 / (1 - pct[k]),
                        rh_ticks_to_ns(rh_hist_quantile(h, pct[k])) / 1000.0);
        if (h)
            fprintf(f, "%llu %.4f\n", (unsigned long long)h->count,
                    rh_ticks_to_ns(h->max) / 1000.0);
        else
            fprintf(f, "2 0\n");
        fprintf(f, "\n\n");
        free(h);
    }
}

static void write_script(FILE *f, const char *png, const char *dat, const rh_report_run *runs,
                         unsigned n)
{
    fprintf(f, "# rrashost latency plot; run: gnuplot <this file>\n"
               "set terminal pngcairo size 1200,900 noenhanced\n"
               "set output '%s'\nset multiplot layout 2,1\nset grid\nset key top right\n"
               "set logscale x\nset xlabel 'latency per call (us)'\n"
               "set ylabel '%% of calls (10 bins per decade)'\n"
               "set title 'rrashost: callout latency histogram'\n",
            png);
    fputs("plot ", f);
    for (unsigned i = 0; i < n; i++)
        fprintf(f, "%s'%s' index %u using 1:2 with steps lw 2 title '%s: %s'", i ? ", " : "", dat,
                2 * i, runs[i].label, runs[i].host->dlls[runs[i].focus].name_utf8);
    fputs("\nset logscale xy\nset xlabel 'percentile'\nset ylabel 'latency (us)'\n"
          "set title 'latency by percentile (last point: max)'\nset key top left\n"
          "set xtics ('50' 2, '90' 10, '99' 100, '99.9' 1000, '99.99' 10000)\nplot ",
          f);
    for (unsigned i = 0; i < n; i++)
        fprintf(f, "%s'%s' index %u using 1:2 with linespoints lw 2 title '%s: %s'",
                i ? ", " : "", dat, 2 * i + 1, runs[i].label,
                runs[i].host->dlls[runs[i].focus].name_utf8);
    fputs("\nunset multiplot\n", f);
}

static bool run_gnuplot(const char *script, bool wine)
{
    char cmd[2048];
    if (wine)
        snprintf(cmd, sizeof cmd, "start.exe /wait /unix /usr/bin/gnuplot \"%s\"", script);
    else
        snprintf(cmd, sizeof cmd, "gnuplot.exe \"%s\"", script);
    wchar_t wcmd[2048];
    MultiByteToWideChar(CP_UTF8, 0, cmd, -1, wcmd, 2048);
    STARTUPINFOW si = {.cb = sizeof si};
    PROCESS_INFORMATION pi;
    if (!CreateProcessW(NULL, wcmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi))
        return false;
    DWORD rc = 1;
    WaitForSingleObject(pi.hProcess, 120000);
    GetExitCodeProcess(pi.hProcess, &rc);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    return rc == 0;
}

bool rh_plot(const wchar_t *png, const rh_report_run *runs, unsigned n)
{
    unix_name_fn to_unix = wine_unix_name();
    wchar_t *gp = with_ext(png, L".gp"), *dat = with_ext(png, L".dat");
    FILE *fd = NULL, *fg = NULL;
    char *png8 = NULL, *dat8 = NULL, *gp8 = NULL;
    bool ok = false;
    if (!gp || !dat)
        goto cleanup;
    fd = _wfopen(dat, L"wb");
    fg = _wfopen(gp, L"wb");
    if (!fd || !fg)
        goto cleanup;
    png8 = gnuplot_path(png, to_unix);
    dat8 = gnuplot_path(dat, to_unix);
    gp8 = gnuplot_path(gp, to_unix);
    write_data(fd, runs, n);
    write_script(fg, png8, dat8, runs, n);
    ok = fclose(fd) == 0;
    ok = (fclose(fg) == 0) && ok;
    fd = fg = NULL;
    if (!ok)
        goto cleanup;
    if (run_gnuplot(gp8, to_unix != NULL))
        printf("plot: %s (gnuplot script %s)\n", png8, gp8);
    else
        printf("plot: gnuplot could not be run; the data and script are written: run "
               "`gnuplot %s`\n",
               gp8);
cleanup:
    if (fd)
        fclose(fd);
    if (fg)
        fclose(fg);
    free(png8);
    free(dat8);
    free(gp8);
    free(gp);
    free(dat);
    return ok;
}
