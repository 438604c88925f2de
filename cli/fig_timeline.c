/*
 * cli/fig_timeline.c -- `balloonsim plot --figure timeline`: one run, host free memory with
 * the ESX thresholds, then one panel per VM (or VM group) over time.  What it draws and
 * its units: cli/cmd_plot.c (FIGURES).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include "sim/db.h"
#include "sim/units.h"
#include "models/record.h"
#include "cli/common.h"
#include "cli/stats.h"
#include "cli/plot.h"

typedef struct frame {
    double l, r, b, t;     /* screen fractions */
} frame_t;

static void gp_frame(const plot_t *p, frame_t fr)
{
    fprintf(p->gp, "set lmargin at screen %.4f; set rmargin at screen %.4f\n", fr.l, fr.r);
    fprintf(p->gp, "set bmargin at screen %.4f; set tmargin at screen %.4f\n", fr.b, fr.t);
}

/* A key-only panel: the legend shared by the small multiples. */
static void gp_legend_strip(plot_t *p, frame_t fr, const char *const *titles, const int *styles, int n, int cols)
{
    FILE *f = p->gp;
    fputs("\n# shared legend\nunset border; unset tics; unset xlabel; unset ylabel; unset grid\n"
          "set xrange [0:1]; set yrange [0:1]\n", f);
    gp_frame(p, fr);
    fprintf(f, "set key center center horizontal maxcols %d reverse Left samplen 2.5\nplot ", cols);
    for (int i = 0; i < n; i++) {
        fprintf(f, "%sNaN with linespoints ls %d title ", i ? ", \\\n     " : "", styles[i]);
        plot_gp_str(p, titles[i]);
    }
    fputs("\nset border 3; set xtics nomirror; set ytics nomirror; set grid ytics\n", f);
}

/* What the timeline has read of its run, and the extremes that set its axes (MiB, s). */
typedef struct timeline {
    int64_t run;
    char policy[128];
    vm_row_t *vms;
    size_t nvms, nsampled;        /* VMs of the run; those with samples */
    strlist_t titles, groups;     /* panel titles; groups of the sampled VMs */
    const char *host_dat, *vm_dat;
    int64_t nhs, nhosts;          /* host samples; hosts */
    int64_t per_line;             /* most points of one VM panel's lines */
    int host_agg, per_vm;         /* hosts as mean/min/max; one panel per VM (else per group) */
    double cap_mib, max_free, max_t, max_mem;
    double thr_mib[4];            /* high, soft, hard, low in MiB (-1: unknown) */
} timeline_t;

static const char *const thr_names[4] = {"high", "soft", "hard", "low"};

/* The page in inches (em: one font height) and the axes' units. */
typedef struct layout {
    int npanels, cols, rows;
    double em, legend_h, host_h, row_h, gap_host, gap_row, bottom, top, left, right, gap_col, W, H;
    const char *tunit, *munit, *hunit;
    double tdiv, mdiv, hdiv, host_top;
} layout_t;

/* The end of writing a data file from query st: finalize st, then close the file (its
 * error when rc was 0), or only drop it when rc already failed. */
static int end_data(plot_t *p, sqlite3_stmt *st, FILE **f, int rc)
{
    sqlite3_finalize(st);
    if (!rc)
        return plot_close_data(p, f);
    if (*f)
        fclose(*f);
    return rc;
}

/* Host data: free memory per host (or mean/min/max over > 4 hosts), and the capacity. */
static int host_data(plot_t *p, timeline_t *tl)
{
    sqlite3_stmt *st = NULL;
    FILE *f = NULL;
    int rc;
    if ((rc = plot_prepare(p, "SELECT max(capacity_bytes) FROM hosts WHERE run_id = ?", &st)))
        goto done;
    sqlite3_bind_int64(st, 1, tl->run);
    if (sqlite3_step(st) == SQLITE_ROW)
        tl->cap_mib = sqlite3_column_double(st, 0) / 1048576;
    sqlite3_finalize(st);
    st = NULL;
    if (!(f = plot_open_data(p, "host"))) {
        rc = SIM_EIO;
        goto done;
    }
    tl->host_dat = p->data[p->ndata - 1];
    if (tl->host_agg) {
        fprintf(f, "# time_s mean_free_mib min_free_mib max_free_mib hosts   (run %lld; over %lld hosts)\n",
                (long long)tl->run, (long long)tl->nhosts);
        rc = plot_prepare(p, "SELECT time_ns, avg(free_bytes), min(free_bytes), max(free_bytes), count(*)"
                        " FROM host_samples WHERE run_id = ? GROUP BY time_ns ORDER BY time_ns", &st);
    } else {
        fprintf(f, "# time_s free_mib resident_mib host_swapped_mib state   (run %lld; one block per host)\n",
                (long long)tl->run);
        rc = plot_prepare(p, "SELECT time_ns, free_bytes, resident_bytes, host_swapped_bytes, state, host_id"
                        " FROM host_samples WHERE run_id = ? ORDER BY host_id, time_ns", &st);
    }
    if (rc)
        goto done;
    sqlite3_bind_int64(st, 1, tl->run);
    int64_t cur = -1, blocks = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        double t = sqlite3_column_double(st, 0) / 1e9;
        if (tl->host_agg) {
            double m = sqlite3_column_double(st, 1) / 1048576, hi = sqlite3_column_double(st, 3) / 1048576;
            fprintf(f, "%.6g %.6g %.6g %.6g %lld\n", t, m, sqlite3_column_double(st, 2) / 1048576, hi,
                    (long long)sqlite3_column_int64(st, 4));
            tl->max_free = hi > tl->max_free ? hi : tl->max_free;
        } else {
            int64_t h = sqlite3_column_int64(st, 5);
            if (h != cur) {
                fprintf(f, "%s# block %lld: host %lld\n", blocks ? "\n\n" : "", (long long)blocks, (long long)h);
                cur = h;
                blocks++;
            }
            double fr = sqlite3_column_double(st, 1) / 1048576;
            fprintf(f, "%.6g %.6g %.6g %.6g ", t, fr, sqlite3_column_double(st, 2) / 1048576,
                    sqlite3_column_double(st, 3) / 1048576);
            plot_dat_name(f, plot_col_text(st, 4));
            fputc('\n', f);
            tl->max_free = fr > tl->max_free ? fr : tl->max_free;
        }
        tl->max_t = t > tl->max_t ? t : tl->max_t;
    }
    rc = SIM_OK;
done:
    return end_data(p, st, &f, rc);
}

/* The ESX state thresholds of the run (run_params host.*) in MiB. */
static void thresholds(plot_t *p, timeline_t *tl)
{
    for (int i = 0; i < 4; i++) {
        char v[64], msg[256];
        double frac;
        plot_run_param(p, tl->run, "host", thr_names[i], v, sizeof v);
        tl->thr_mib[i] = v[0] && tl->cap_mib > 0 && !sim_units_parse_fraction(v, &frac, msg, sizeof msg) ? frac * tl->cap_mib : -1;
    }
}

/* VM data: one block per VM (<= 6 VMs with samples) or per group (mean per VM). */
static int vm_data(plot_t *p, timeline_t *tl)
{
    sqlite3_stmt *st = NULL;
    FILE *f = NULL;
    int rc;
    if (!(f = plot_open_data(p, "vms"))) {
        rc = SIM_EIO;
        goto done;
    }
    tl->vm_dat = p->data[p->ndata - 1];
    fprintf(f, "# time_s usable_mib assigned_mib balloon_mib anon_demand_mib cache_mib vms   (run %lld; "
               "one block per %s)\n", (long long)tl->run, tl->per_vm ? "VM" : "VM group, mean per VM");
    for (size_t i = 0; i < tl->nvms; i++)
        if (tl->vms[i].nsamples > 0)
            plot_strlist_intern(&tl->groups, tl->vms[i].grp);
    size_t nblocks = tl->per_vm ? tl->nsampled : tl->groups.n;
    if ((rc = plot_prepare(p,
                      tl->per_vm ? "SELECT time_ns, usable_bytes, assigned_bytes, balloon_bytes, anon_demand_bytes,"
                               " cache_bytes, 1 FROM vm_samples WHERE run_id = ?1 AND vm_id = ?2 ORDER BY time_ns"
                             : "SELECT s.time_ns, avg(s.usable_bytes), avg(s.assigned_bytes), avg(s.balloon_bytes),"
                               " avg(s.anon_demand_bytes), avg(s.cache_bytes), count(*) FROM vm_samples s"
                               " JOIN vms v ON v.run_id = s.run_id AND v.vm_id = s.vm_id"
                               " WHERE s.run_id = ?1 AND v.grp = ?3 GROUP BY s.time_ns ORDER BY s.time_ns",
                      &st)))
        goto done;
    size_t vi = 0;
    for (size_t b = 0; b < nblocks; b++) {
        char title[256];
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, tl->run);
        if (tl->per_vm) {
            while (tl->vms[vi].nsamples == 0)
                vi++;
            sqlite3_bind_int64(st, 2, tl->vms[vi].vm_id);
            snprintf(title, sizeof title, "%s", tl->vms[vi].name);
            tl->max_mem = tl->vms[vi].configured_mib > tl->max_mem ? tl->vms[vi].configured_mib : tl->max_mem;
            vi++;
        } else {
            sqlite3_bind_text(st, 3, tl->groups.v[b], -1, SQLITE_STATIC);
            size_t cnt = 0;
            for (size_t i = 0; i < tl->nvms; i++)
                if (tl->vms[i].nsamples > 0 && !strcmp(tl->vms[i].grp, tl->groups.v[b])) {
                    cnt++;
                    tl->max_mem = tl->vms[i].configured_mib > tl->max_mem ? tl->vms[i].configured_mib : tl->max_mem;
                }
            snprintf(title, sizeof title, "%s (mean of %zu VMs)", tl->groups.v[b], cnt);
        }
        plot_strlist_add(&tl->titles, title);
        fprintf(f, "%s# block %zu: ", b ? "\n\n" : "", b);
        plot_dat_name(f, title);
        fputc('\n', f);
        int64_t rows = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
            double t = sqlite3_column_double(st, 0) / 1e9;
            fprintf(f, "%.6g", t);
            for (int c = 1; c <= 5; c++) {
                double mib = sqlite3_column_double(st, c) / 1048576;
                fprintf(f, " %.6g", mib);
                tl->max_mem = mib > tl->max_mem ? mib : tl->max_mem;
            }
            fprintf(f, " %lld\n", (long long)sqlite3_column_int64(st, 6));
            tl->max_t = t > tl->max_t ? t : tl->max_t;
            rows++;
        }
        tl->per_line = rows > tl->per_line ? rows : tl->per_line;
    }
    rc = SIM_OK;
done:
    return end_data(p, st, &f, rc);
}

/* Layout in inches: legend strip, host panel, rows of VM panels, x label; the axes' units. */
static void layout(plot_t *p, timeline_t *tl, layout_t *ly)
{
    tl->max_t = tl->max_t > 0 ? tl->max_t : 1;           /* a run of one sample still gets axes */
    tl->max_mem = tl->max_mem > 0 ? tl->max_mem : 1;
    ly->npanels = (int)tl->titles.n;
    ly->cols = ly->npanels <= 1 ? 1 : p->o.slides ? (ly->npanels <= 4 ? ly->npanels : ly->npanels <= 12 ? 4 : 5) : 2;
    ly->rows = (ly->npanels + ly->cols - 1) / ly->cols;
    ly->em = p->font_pt / 72.0;                          /* one font height, inches */
    ly->legend_h = ly->npanels ? 2.6 * ly->em : 0;
    ly->host_h = tl->nhs > 0 ? (p->o.slides ? 1.5 : 0.8) : 0;
    ly->row_h = p->o.slides ? 1.25 : 0.7;
    ly->gap_host = tl->nhs > 0 && ly->npanels ? 1.6 * ly->em : 0;
    ly->gap_row = 1.2 * ly->em;
    ly->bottom = 3.4 * ly->em;
    ly->top = 0.6 * ly->em;
    int have_thr = tl->nhs > 0 && tl->thr_mib[0] > 0;
    ly->left = 5.2 * ly->em;
    ly->right = (have_thr ? 3.0 : 1.0) * ly->em;
    ly->gap_col = 3.0 * ly->em;
    double h_need = ly->top + ly->legend_h + ly->host_h + ly->gap_host + ly->rows * ly->row_h + (ly->rows > 1 ? (ly->rows - 1) * ly->gap_row : 0) + ly->bottom;
    if (!p->o.has_size && !p->o.slides) {   /* paper grows with its panels; slides stay 16:9 */
        p->h_in = h_need > p->h_in || ly->npanels ? h_need : p->h_in;
        if (p->fmt == OUT_PNG)
            p->px_h = (int)lround(p->h_in * (double)p->px_w / p->w_in);
    }
    /* a height other than h_need stretches or squeezes the panels, never the text margins */
    double fixed = h_need - ly->host_h - ly->rows * ly->row_h;
    double flex = (p->h_in - fixed) / (ly->host_h + ly->rows * ly->row_h);
    flex = flex < 0.3 ? 0.3 : flex;
    ly->host_h *= flex;
    ly->row_h *= flex;
    ly->W = p->w_in;
    ly->H = p->h_in;
    ly->tdiv = plot_time_div(tl->max_t, &ly->tunit);
    ly->mdiv = plot_mem_div(tl->max_mem, &ly->munit);
    ly->host_top = tl->max_free > tl->thr_mib[0] * 1.3 ? tl->max_free * 1.08 : tl->thr_mib[0] * 1.3;
    if (ly->host_top <= 0)
        ly->host_top = 1;
    ly->hdiv = plot_mem_div(ly->host_top, &ly->hunit);
}

/* The host panel: free memory and the state thresholds; y moves down past it. */
static void host_panel(plot_t *p, const timeline_t *tl, const layout_t *ly, double *yp)
{
    FILE *g = p->gp;
    double y = *yp;
    int npanels = ly->npanels;
    frame_t fr = {ly->left / ly->W, 1 - ly->right / ly->W, (y - ly->host_h) / ly->H, y / ly->H};
    fputs("\n# host panel: free memory and the state thresholds (fractions of capacity)\n", g);
    gp_frame(p, fr);
    fprintf(g, "set xrange [0:%.6g/tdiv]\nset xtics %g\n", tl->max_t,
            plot_nice_step(tl->max_t / ly->tdiv, (ly->W - ly->left - ly->right) / (3.0 * ly->em), 1));
    fputs(tl->nhosts > 1 ? "set key top right horizontal\n" : "unset key\n", g);
    plot_gp_set(p, "ylabel", "host free (%s)", ly->hunit);
    if (npanels) {
        fputs("set format x ''\nunset xlabel\n", g);
    } else {
        fputs("set format x '%g'\n", g);
        plot_gp_set(p, "xlabel", "time (%s)", ly->tunit);
    }
    fprintf(g, "set format y '%%g'\nset yrange [0:%.6g/hdiv]\nset ytics %g\n", ly->host_top,
            plot_nice_step(ly->host_top / ly->hdiv, ly->host_h / (1.8 * ly->em), 0));
    double last = -1;
    for (int i = 0; i < 4; i++) {
        if (tl->thr_mib[i] < 0)
            continue;
        fprintf(g, "set arrow %d from graph 0, first %.6g/hdiv to graph 1, first %.6g/hdiv nohead ls 20 back\n",
                i + 1, tl->thr_mib[i], tl->thr_mib[i]);
        if (last < 0 || last - tl->thr_mib[i] > ly->host_top * ly->em * 1.1 / ly->host_h) {   /* label uncrowded lines */
            fprintf(g, "set label %d ", i + 1);
            plot_gp_str(p, thr_names[i]);
            fprintf(g, " at graph 1.01, first %.6g/hdiv left tc rgb '#555555' font ',%g'\n",
                    tl->thr_mib[i], p->font_pt - 1);
            last = tl->thr_mib[i];
        }
    }
    fputs("plot ", g);
    plot_gp_file(p, tl->host_dat);
    if (tl->host_agg) {
        fprintf(g, " using ($1/tdiv):($3/hdiv):($4/hdiv) with filledcurves fc rgb '#c6dbef'"
                   " title 'min-max of %lld hosts', \\\n"
                   "     '' using ($1/tdiv):($2/hdiv) with lines ls 1 title 'mean'\n", (long long)tl->nhosts);
    } else {
        for (int64_t h = 0; h < tl->nhosts; h++)
            fprintf(g, "%s index %lld using ($1/tdiv):($2/hdiv) with lines ls %lld title 'host %lld'",
                    h ? ", \\\n     ''" : "", (long long)h, (long long)(h + 1), (long long)h);
        fputc('\n', g);
    }
    *yp = y - (ly->host_h + ly->gap_host);
    fputs("unset arrow; unset label\n", g);
}

/* The VM panels below y: the same axes everywhere so that panels compare at a glance. */
static void vm_panels(plot_t *p, const timeline_t *tl, const layout_t *ly, double y)
{
    FILE *g = p->gp;
    int pi = tl->per_line > 12 ? (int)(tl->per_line / 8) : 1;   /* about 8 markers per line */
    double pw = (ly->W - ly->left - ly->right - (ly->cols - 1) * ly->gap_col) / ly->cols;
    fputs("\n# VM panels: the same axes everywhere so that panels compare at a glance\nunset key\n", g);
    fprintf(g, "set xrange [0:%.6g/tdiv]\nset xtics %g\n", tl->max_t, plot_nice_step(tl->max_t / ly->tdiv, pw / (2.2 * ly->em), 1));
    fprintf(g, "set yrange [0:%.6g/mdiv]\nset ytics %g\n", tl->max_mem * 1.3,
            plot_nice_step(tl->max_mem * 1.3 / ly->mdiv, ly->row_h / (1.8 * ly->em), 0));
    for (int i = 0; i < ly->npanels; i++) {
        int r = i / ly->cols, c = i % ly->cols;
        double x0 = ly->left + c * (pw + ly->gap_col);
        double top_y = y - r * (ly->row_h + ly->gap_row);
        frame_t fr = {x0 / ly->W, (x0 + pw) / ly->W, (top_y - ly->row_h) / ly->H, top_y / ly->H};
        fprintf(g, "\n# panel %d\n", i);
        gp_frame(p, fr);
        if (i + ly->cols >= ly->npanels) {      /* nothing below: tick labels and the x label */
            fputs("set format x '%g'\n", g);
            plot_gp_set(p, "xlabel", "time (%s)", ly->tunit);
        } else {
            fputs("set format x ''\nunset xlabel\n", g);
        }
        if (c == 0 && r == (ly->rows - 1) / 2) {
            plot_gp_set(p, "ylabel", "%s (%s)", ly->rows > 1 ? "VM memory" : "memory", ly->munit);
            if (ly->rows % 2 == 0)   /* centre it between the two middle rows */
                fprintf(g, "set ylabel offset 0,-%.3f\n", (ly->row_h + ly->gap_row) / 2 / ly->em);
        } else {
            fputs("unset ylabel\n", g);
        }
        fputs(c == 0 ? "set format y '%g'\n" : "set format y ''\n", g);
        fputs("set label 1 ", g);
        plot_gp_str(p, tl->titles.v[i]);
        fprintf(g, " at graph 0.03, graph 0.88 left front font ',%g'\n", p->font_pt - 1);
        fputs("plot ", g);
        plot_gp_file(p, tl->vm_dat);
        fprintf(g, " index %d using ($1/tdiv):($2/mdiv) with linespoints ls 1 pi %d, \\\n"
                   "     '' index %d using ($1/tdiv):($3/mdiv) with linespoints ls 2 pi %d, \\\n"
                   "     '' index %d using ($1/tdiv):($4/mdiv) with linespoints ls 3 pi %d, \\\n"
                   "     '' index %d using ($1/tdiv):($5/mdiv) with linespoints ls 4 pi %d, \\\n"
                   "     '' index %d using ($1/tdiv):($6/mdiv) with linespoints ls 5 pi %d\n",
                i, pi, i, pi, i, pi, i, pi, i, pi);
    }
    fputs("unset label\n", g);
}

int plot_fig_timeline(plot_t *p, int argc, char **argv)
{
    timeline_t tl = {0};
    layout_t ly;
    int rc;
    if ((rc = plot_pick_run(p, &tl.run, tl.policy, sizeof tl.policy)) || (rc = plot_load_vms(p, tl.run, &tl.vms, &tl.nvms)))
        return rc;
    tl.nhs = plot_count_rows(p, "SELECT count(*) FROM host_samples WHERE run_id = ?", tl.run);
    tl.nhosts = plot_count_rows(p, "SELECT count(DISTINCT host_id) FROM host_samples WHERE run_id = ?", tl.run);
    for (size_t i = 0; i < tl.nvms; i++)
        tl.nsampled += tl.vms[i].nsamples > 0;
    if (tl.nhs <= 0 && tl.nsampled == 0) {
        free(tl.vms);
        return plot_no_samples(p, tl.run, "");
    }
    tl.host_agg = tl.nhosts > 4;
    tl.per_vm = tl.nsampled <= 6;
    if (tl.nhs > 0 && (rc = host_data(p, &tl)))
        goto out;
    thresholds(p, &tl);
    if (tl.nsampled > 0 && (rc = vm_data(p, &tl)))
        goto out;
    layout(p, &tl, &ly);

    plot_gp_header(p, argc, argv);
    FILE *g = p->gp;
    {
        char line[512], rl[200];
        snprintf(line, sizeof line, "%s, policy %s", plot_run_label(p, tl.run, rl, sizeof rl), tl.policy);
        fputc('\n', g);
        plot_gp_comment(p, line);
    }
    fprintf(g, "tdiv = %g    # seconds per %s on the time axis\n", ly.tdiv, ly.tunit);
    fprintf(g, "mdiv = %g    # MiB per %s on the VM memory axes\n", ly.mdiv, ly.munit);
    fprintf(g, "hdiv = %g    # MiB per %s on the host axis\n", ly.hdiv, ly.hunit);
    fputs("set multiplot\n", g);
    double y = ly.H - ly.top;               /* inches from the bottom, moving down */
    if (ly.npanels) {
        static const char *series[5] = {"usable", "assigned", "balloon", "anon demand", "page cache"};
        static const int styles[5] = {1, 2, 3, 4, 5};
        frame_t fr = {ly.left / ly.W, 1 - ly.right / ly.W, (y - ly.legend_h) / ly.H, y / ly.H};
        gp_legend_strip(p, fr, series, styles, 5, p->o.slides ? 5 : 3);
        y -= ly.legend_h;
    }
    if (tl.nhs > 0)
        host_panel(p, &tl, &ly, &y);
    if (ly.npanels)
        vm_panels(p, &tl, &ly, y);
    fputs("unset multiplot\n", g);
    rc = SIM_OK;
out:
    plot_strlist_free(&tl.titles);
    plot_strlist_free(&tl.groups);
    free(tl.vms);
    return rc;
}
