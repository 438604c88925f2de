/*
 * cli/fig_timeline.c -- `balloonsim plot --figure timeline`: one run, host free memory with
 * the ESX thresholds, then one panel per VM (or VM group) over time; or, with --as heatmap,
 * one row per VM and colour = usable / anonymous demand.  What it draws and its units:
 * cli/cmd_plot.c (FIGURES) and docs/figures.md (Timeline).
 *
 * Panels: at most PANEL_CAP (12).  Up to 12 sampled VMs: one panel each; else one per VM
 * group (mean per VM of the group, titled "GROUP (mean of N VMs)" with N its sampled VMs,
 * "GROUP (1 VM)"); beyond 12 groups the first 11 and one "K other groups (mean of N VMs)".
 * The VMs of each panel are listed in temp.plot_panel (vm_id -> panel), and one query
 * averages them per sample time.  --normalise divides each VM's series by its configured
 * size before the mean (a fraction); --yscale panel gives each panel its own y range.
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

/* One entry of the shared legend: "NaN WITH title TITLE". */
typedef struct legend_entry {
    char with[160];
    char title[160];
} legend_entry_t;

/* A key-only panel: the legend shared by the small multiples and the host panel (so that
 * no key sits over the data). */
static void gp_legend_strip(plot_t *p, frame_t fr, const legend_entry_t *e, int n, int cols)
{
    FILE *f = p->gp;
    fputs("\n# shared legend: VM series and hosts\nunset border; unset tics; unset xlabel; unset ylabel; unset grid\n"
          "set xrange [0:1]; set yrange [0:1]\n", f);
    gp_frame(p, fr);
    fprintf(f, "set key center center horizontal maxcols %d reverse Left samplen 2.5\nplot ", cols);
    for (int i = 0; i < n; i++) {
        fprintf(f, "%sNaN with %s title ", i ? ", \\\n     " : "", e[i].with);
        plot_gp_str(p, e[i].title);
    }
    fputs("\nset border 3; set xtics nomirror; set ytics nomirror; set grid ytics\n", f);
}

#define PANEL_CAP 12
#define HEAT_VM_LABELS 40     /* heat map: a tick per VM up to this many, else per group */

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
    double cap_mib, max_free, max_t, max_mem;  /* max_mem: MiB, or a fraction (--normalise) */
    double pmax[PANEL_CAP];       /* the largest value (or configured size) of each panel */
    double thr_mib[4];            /* high, soft, hard, low in MiB (-1: unknown) */
} timeline_t;

static const char *const thr_names[4] = {"high", "soft", "hard", "low"};

/* The page in inches (em: one font height) and the axes' units. */
typedef struct layout {
    int npanels, cols, rows;
    int legend_cols;
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

/* temp.plot_panel(vm_id, panel) and the panel titles: one panel per sampled VM up to
 * PANEL_CAP, else per group, the groups beyond PANEL_CAP - 1 in one panel. */
static int assign_panels(plot_t *p, timeline_t *tl)
{
    if (plot_exec(p, "CREATE TEMP TABLE IF NOT EXISTS plot_panel(vm_id INTEGER PRIMARY KEY, panel INTEGER);"
                     " DELETE FROM temp.plot_panel", "group the VMs"))
        return SIM_EIO;
    for (size_t i = 0; i < tl->nvms; i++)
        if (tl->vms[i].nsamples > 0)
            plot_strlist_intern(&tl->groups, tl->vms[i].grp);
    tl->per_vm = tl->nsampled <= PANEL_CAP;
    size_t npanels = tl->per_vm ? tl->nsampled : tl->groups.n <= PANEL_CAP ? tl->groups.n : PANEL_CAP;
    size_t count[PANEL_CAP] = {0}, groups_in_last = 0;
    sqlite3_stmt *ins;
    int rc = plot_prepare(p, "INSERT INTO temp.plot_panel VALUES(?, ?)", &ins);
    if (rc)
        return rc;
    size_t k = 0;
    for (size_t i = 0; i < tl->nvms && !rc; i++) {
        if (tl->vms[i].nsamples <= 0)
            continue;
        size_t g = (size_t)plot_strlist_find(&tl->groups, tl->vms[i].grp);
        size_t panel = tl->per_vm ? k++ : g < npanels - 1 || tl->groups.n <= PANEL_CAP ? g : npanels - 1;
        count[panel]++;
        double cfg = p->o.normalise ? 1 : tl->vms[i].configured_mib;
        tl->pmax[panel] = cfg > tl->pmax[panel] ? cfg : tl->pmax[panel];
        sqlite3_bind_int64(ins, 1, tl->vms[i].vm_id);
        sqlite3_bind_int64(ins, 2, (int64_t)panel);
        if (sqlite3_step(ins) != SQLITE_DONE)
            rc = plot_fail(p, "%s: cannot group the VMs: %s", p->o.db_path, sqlite3_errmsg(p->h));
        sqlite3_reset(ins);
        if (tl->per_vm)
            plot_strlist_add(&tl->titles, tl->vms[i].name);
    }
    sqlite3_finalize(ins);
    if (rc || tl->per_vm)
        return rc;
    for (size_t g = 0; g < tl->groups.n; g++)
        groups_in_last += g >= npanels - 1;
    for (size_t panel = 0; panel < npanels; panel++) {
        char title[300];
        if (tl->groups.n > PANEL_CAP && panel == npanels - 1)
            snprintf(title, sizeof title, "%zu other groups (mean of %zu VMs)", groups_in_last, count[panel]);
        else if (count[panel] == 1)
            snprintf(title, sizeof title, "%s (1 VM)", tl->groups.v[panel]);
        else
            snprintf(title, sizeof title, "%s (mean of %zu VMs)", tl->groups.v[panel], count[panel]);
        plot_strlist_add(&tl->titles, title);
    }
    return SIM_OK;
}

/* VM data: one block per panel, the mean per VM of its VMs at each sample time, in MiB or
 * (--normalise) as a fraction of each VM's configured size. */
static int vm_data(plot_t *p, timeline_t *tl)
{
    sqlite3_stmt *st = NULL;
    FILE *f = NULL;
    int rc;
    if ((rc = assign_panels(p, tl)))
        return rc;
    if (!(f = plot_open_data(p, "vms")))
        return SIM_EIO;
    tl->vm_dat = p->data[p->ndata - 1];
    const char *u = p->o.normalise ? "frac" : "mib";
    fprintf(f, "# time_s usable_%s assigned_%s balloon_%s anon_demand_%s cache_%s vms   (run %lld; one block per %s%s)\n",
            u, u, u, u, u, (long long)tl->run, tl->per_vm ? "VM" : "VM group, mean per VM",
            p->o.normalise ? "; frac: fraction of the VM's configured size" : "");
    if ((rc = plot_prepare(p,
                           "SELECT pp.panel, s.time_ns, avg(s.usable_bytes * f.k), avg(s.assigned_bytes * f.k),"
                           " avg(s.balloon_bytes * f.k), avg(s.anon_demand_bytes * f.k), avg(s.cache_bytes * f.k),"
                           " count(*) FROM vm_samples s JOIN temp.plot_panel pp ON pp.vm_id = s.vm_id"
                           " JOIN (SELECT vm_id, CASE WHEN ?2 THEN 1.0 / nullif(configured_bytes, 0) ELSE 1.0 / 1048576"
                           " END AS k FROM vms WHERE run_id = ?1) f ON f.vm_id = s.vm_id"
                           " WHERE s.run_id = ?1 GROUP BY pp.panel, s.time_ns ORDER BY pp.panel, s.time_ns", &st)))
        goto done;
    sqlite3_bind_int64(st, 1, tl->run);
    sqlite3_bind_int(st, 2, p->o.normalise);
    int64_t cur = -1, rows = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t b = sqlite3_column_int64(st, 0);
        if (b != cur) {
            tl->per_line = rows > tl->per_line ? rows : tl->per_line;
            rows = 0;
            fprintf(f, "%s# block %lld: ", cur >= 0 ? "\n\n" : "", (long long)b);
            plot_dat_name(f, tl->titles.v[b]);
            fputc('\n', f);
            cur = b;
        }
        double t = sqlite3_column_double(st, 1) / 1e9;
        fprintf(f, "%.6g", t);
        for (int c = 2; c <= 6; c++) {
            double v = sqlite3_column_double(st, c);
            fprintf(f, " %.6g", v);
            tl->pmax[b] = v > tl->pmax[b] ? v : tl->pmax[b];
        }
        fprintf(f, " %lld\n", (long long)sqlite3_column_int64(st, 7));
        tl->max_t = t > tl->max_t ? t : tl->max_t;
        rows++;
    }
    tl->per_line = rows > tl->per_line ? rows : tl->per_line;
    for (size_t i = 0; i < tl->titles.n; i++)
        tl->max_mem = tl->pmax[i] > tl->max_mem ? tl->pmax[i] : tl->max_mem;
    rc = SIM_OK;
done:
    return end_data(p, st, &f, rc);
}

/* Layout in inches: legend strip (nlegend entries), host panel, rows of VM panels, x
 * label; the axes' units. */
static void layout(plot_t *p, timeline_t *tl, layout_t *ly, int nlegend)
{
    tl->max_t = tl->max_t > 0 ? tl->max_t : 1;           /* a run of one sample still gets axes */
    tl->max_mem = tl->max_mem > 0 ? tl->max_mem : 1;
    ly->npanels = (int)tl->titles.n;
    ly->cols = ly->npanels <= 1 ? 1 : p->o.slides ? (ly->npanels <= 4 ? ly->npanels : ly->npanels <= 12 ? 4 : 5) : 2;
    ly->rows = (ly->npanels + ly->cols - 1) / ly->cols;
    ly->em = p->font_pt / 72.0;                          /* one font height, inches */
    ly->legend_cols = p->o.slides ? 5 : 3;
    int legend_rows = (nlegend + ly->legend_cols - 1) / ly->legend_cols;
    ly->legend_h = nlegend ? (1.3 * legend_rows + 0.7) * ly->em : 0;
    ly->host_h = tl->nhs > 0 ? (p->o.slides ? 1.5 : 0.8) : 0;
    ly->row_h = p->o.slides ? 1.25 : 0.7;
    ly->gap_host = tl->nhs > 0 && ly->npanels ? 1.6 * ly->em : 0;
    ly->gap_row = 1.2 * ly->em;
    ly->bottom = 3.4 * ly->em;
    ly->top = 0.6 * ly->em;
    int have_thr = tl->nhs > 0 && tl->thr_mib[0] > 0;
    ly->left = 5.2 * ly->em;
    ly->right = (have_thr ? 3.0 : 1.0) * ly->em;
    ly->gap_col = (p->o.yscale && !strcmp(p->o.yscale, "panel") ? 4.0 : 3.0) * ly->em;   /* room for tick labels */
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
    if (p->o.normalise) {
        ly->mdiv = 1;
        ly->munit = "fraction of configured";
    } else {
        ly->mdiv = plot_mem_div(tl->max_mem, &ly->munit);
    }
    ly->host_top = tl->max_free > tl->thr_mib[0] * 1.3 ? tl->max_free * 1.08 : tl->thr_mib[0] * 1.3;
    if (ly->host_top <= 0)
        ly->host_top = 1;
    ly->hdiv = plot_mem_div(ly->host_top, &ly->hunit);
}

/* The host panel: free memory (black, drawn over the light threshold lines) and the state
 * thresholds; its key is in the shared legend.  y moves down past it. */
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
    fputs(tl->nhosts > 1 && !ly->legend_h ? "set key top right horizontal\n" : "unset key\n", g);
    plot_gp_set(p, "ylabel", "host free (%s)", ly->hunit);
    if (npanels) {
        fputs("set format x ''\nunset xlabel\n", g);
    } else {
        fputs("set format x '%g'\n", g);
        if (p->o.xlabel)
            plot_gp_set(p, "xlabel", "%s", p->o.xlabel);
        else
            plot_gp_set(p, "xlabel", "time (%s)", ly->tunit);
    }
    fprintf(g, "set format y '%%g'\nset yrange [0:%.6g/hdiv]\nset ytics %g\n", ly->host_top,
            plot_nice_step(ly->host_top / ly->hdiv, ly->host_h / (1.8 * ly->em), 0));
    double last = -1;
    for (int i = 0; i < 4; i++) {
        if (tl->thr_mib[i] < 0)
            continue;
        fprintf(g, "set arrow %d from graph 0, first %.6g/hdiv to graph 1, first %.6g/hdiv nohead ls 22 back\n",
                i + 1, tl->thr_mib[i], tl->thr_mib[i]);
        if (last < 0 || last - tl->thr_mib[i] > ly->host_top * ly->em * 1.1 / ly->host_h) {   /* label uncrowded lines */
            fprintf(g, "set label %d ", i + 1);
            plot_gp_str(p, thr_names[i]);
            fprintf(g, " at graph 1.01, first %.6g/hdiv left tc rgb '#777777' font ',%g'\n",
                    tl->thr_mib[i], p->font_pt - 1);
            last = tl->thr_mib[i];
        }
    }
    fputs("plot ", g);
    plot_gp_file(p, tl->host_dat);
    if (tl->host_agg) {
        fprintf(g, " using ($1/tdiv):($3/hdiv):($4/hdiv) with filledcurves fc rgb '#c6dbef'"
                   " title 'min-max of %lld hosts', \\\n"
                   "     '' using ($1/tdiv):($2/hdiv) with lines ls 31 title 'mean'\n", (long long)tl->nhosts);
    } else {
        for (int64_t h = 0; h < tl->nhosts; h++)
            fprintf(g, "%s index %lld using ($1/tdiv):($2/hdiv) with lines ls %lld title 'host %lld'",
                    h ? ", \\\n     ''" : "", (long long)h, (long long)(31 + h), (long long)h);
        fputc('\n', g);
    }
    *yp = y - (ly->host_h + ly->gap_host);
    fputs("unset arrow; unset label\n", g);
}

/* The y axis of VM panel i: the shared range, or its own (--yscale panel), or --yrange. */
static void panel_yrange(plot_t *p, const timeline_t *tl, const layout_t *ly, int i)
{
    int own = p->o.yscale && !strcmp(p->o.yscale, "panel");
    double top = (own ? tl->pmax[i] : tl->max_mem) * 1.3, lo = 0;
    double hlo = INFINITY, hhi = -INFINITY;
    plot_hline_extent(p, &hlo, &hhi);
    top = hhi * ly->mdiv * 1.1 > top ? hhi * ly->mdiv * 1.1 : top;     /* the reference lines show */
    if (p->o.has_yhi)
        top = p->o.yhi * ly->mdiv;
    if (p->o.has_ylo)
        lo = p->o.ylo * ly->mdiv;
    fprintf(p->gp, "set yrange [%.6g/mdiv:%.6g/mdiv]\nset ytics %g\n", lo, top,
            plot_nice_step((top - lo) / ly->mdiv, ly->row_h / (1.8 * ly->em), 0));
}

/* The VM panels below y: the same axes everywhere so that panels compare at a glance (or
 * each its own y range with --yscale panel). */
static void vm_panels(plot_t *p, const timeline_t *tl, const layout_t *ly, double y)
{
    FILE *g = p->gp;
    int pi = tl->per_line > 12 ? (int)(tl->per_line / 8) : 1;   /* about 8 markers per line */
    int own = p->o.yscale && !strcmp(p->o.yscale, "panel");
    double pw = (ly->W - ly->left - ly->right - (ly->cols - 1) * ly->gap_col) / ly->cols;
    fprintf(g, "\n# VM panels: %s\nunset key\n", own ? "each its own y range (--yscale panel)"
                                                      : "the same axes everywhere so that panels compare at a glance");
    fprintf(g, "set xrange [0:%.6g/tdiv]\nset xtics %g\n", tl->max_t, plot_nice_step(tl->max_t / ly->tdiv, pw / (2.2 * ly->em), 1));
    for (int i = 0; i < ly->npanels; i++) {
        int r = i / ly->cols, c = i % ly->cols;
        double x0 = ly->left + c * (pw + ly->gap_col);
        double top_y = y - r * (ly->row_h + ly->gap_row);
        frame_t fr = {x0 / ly->W, (x0 + pw) / ly->W, (top_y - ly->row_h) / ly->H, top_y / ly->H};
        fprintf(g, "\n# panel %d\n", i);
        gp_frame(p, fr);
        panel_yrange(p, tl, ly, i);
        if (i + ly->cols >= ly->npanels) {      /* nothing below: tick labels and the x label */
            fputs("set format x '%g'\n", g);
            if (p->o.xlabel)
                plot_gp_set(p, "xlabel", "%s", p->o.xlabel);
            else
                plot_gp_set(p, "xlabel", "time (%s)", ly->tunit);
        } else {
            fputs("set format x ''\nunset xlabel\n", g);
        }
        if (c == 0 && r == (ly->rows - 1) / 2) {
            if (p->o.ylabel)
                plot_gp_set(p, "ylabel", "%s", p->o.ylabel);
            else
                plot_gp_set(p, "ylabel", "%s (%s)", ly->rows > 1 ? "VM memory" : "memory", ly->munit);
            if (ly->rows % 2 == 0)   /* centre it between the two middle rows */
                fprintf(g, "set ylabel offset 0,-%.3f\n", (ly->row_h + ly->gap_row) / 2 / ly->em);
        } else {
            fputs("unset ylabel\n", g);
        }
        fputs(c == 0 || own ? "set format y '%g'\n" : "set format y ''\n", g);
        fputs("set label 1 ", g);
        plot_gp_str(p, tl->titles.v[i]);
        fprintf(g, " at graph 0.03, graph 0.88 left front font ',%g'\n", p->font_pt - 1);
        plot_gp_user(p, PLOT_USER_HLINES);        /* labels and range are set above */
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

/* The shared legend: the five VM series (when there are panels), then the hosts (when
 * there are several: one host needs no key). */
static int legend_entries(const timeline_t *tl, legend_entry_t *e)
{
    static const char *series[5] = {"usable", "assigned", "balloon", "anon demand", "page cache"};
    int n = 0;
    for (int i = 0; tl->titles.n && i < 5; i++, n++) {
        snprintf(e[n].with, sizeof e[n].with, "linespoints ls %d", i + 1);
        snprintf(e[n].title, sizeof e[n].title, "%s", series[i]);
    }
    if (tl->nhs > 0 && tl->host_agg) {
        snprintf(e[n].with, sizeof e[n].with, "filledcurves fc rgb '#c6dbef'");
        snprintf(e[n++].title, sizeof e[0].title, "host free: min-max of %lld hosts", (long long)tl->nhosts);
        snprintf(e[n].with, sizeof e[n].with, "lines ls 31");
        snprintf(e[n++].title, sizeof e[0].title, "host free: mean");
    } else if (tl->nhs > 0 && tl->nhosts > 1) {
        for (int64_t h = 0; h < tl->nhosts; h++, n++) {
            snprintf(e[n].with, sizeof e[n].with, "lines ls %lld", (long long)(31 + h));
            snprintf(e[n].title, sizeof e[n].title, "host %lld free", (long long)h);
        }
    }
    return n;
}

/* The heat map (--as heatmap): one row per sampled VM (top to bottom in vm_id order), time
 * on x, colour = usable / anonymous demand at each sample (the demand floored at 1 MiB, so
 * that a VM without demand shows as all slack); the palette runs from red (0: nothing of
 * its demand usable) through white (1: exactly its demand) to blue (2 or more: slack). */
static int heatmap(plot_t *p, timeline_t *tl, int argc, char **argv)
{
    sqlite3_stmt *st = NULL;
    FILE *f = NULL;
    int rc;
    if (p->o.normalise || p->o.yscale || p->o.nhline || p->o.has_ylo || p->o.has_yhi)
        return plot_fail(p, "--as heatmap draws VMs against time: --normalise, --yscale, --hline and --yrange do not apply");
    if (!(f = plot_open_data(p, "heat")))
        return SIM_EIO;
    tl->vm_dat = p->data[p->ndata - 1];
    double prev_t = 0, dt = INFINITY;   /* before the first goto: done reads dt */
    fprintf(f, "# time_s vm_row usable_mib anon_demand_mib ratio   (run %lld; one block per VM; ratio = usable /"
               " max(anon demand, 1 MiB))\n", (long long)tl->run);
    if ((rc = plot_prepare(p, "SELECT s.vm_id, s.time_ns, s.usable_bytes, s.anon_demand_bytes FROM vm_samples s"
                              " JOIN vms v ON v.run_id = s.run_id AND v.vm_id = s.vm_id"
                              " WHERE s.run_id = ?1 AND (?2 IS NULL OR v.grp = ?2) ORDER BY s.vm_id, s.time_ns", &st)))
        goto done;
    sqlite3_bind_int64(st, 1, tl->run);
    if (p->o.group)
        sqlite3_bind_text(st, 2, p->o.group, -1, SQLITE_STATIC);
    int64_t cur = -1, nrow = -1;
    size_t vi = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t vm = sqlite3_column_int64(st, 0);
        double t = sqlite3_column_double(st, 1) / 1e9;
        if (vm != cur) {
            while (vi < tl->nvms && tl->vms[vi].vm_id != vm)
                vi++;
            nrow++;
            cur = vm;
            fprintf(f, "%s# block %lld: ", nrow ? "\n\n" : "", (long long)nrow);
            plot_dat_name(f, vi < tl->nvms ? tl->vms[vi].name : "?");
            fputc('\n', f);
        } else if (t - prev_t > 0 && t - prev_t < dt) {
            dt = t - prev_t;
        }
        double usable = sqlite3_column_double(st, 2) / 1048576, demand = sqlite3_column_double(st, 3) / 1048576;
        fprintf(f, "%.6g %lld %.6g %.6g %.6g\n", t, (long long)nrow, usable, demand, usable / (demand > 1 ? demand : 1));
        tl->max_t = t > tl->max_t ? t : tl->max_t;
        prev_t = t;
    }
    rc = SIM_OK;
done:
    if ((rc = end_data(p, st, &f, rc)))
        return rc;
    dt = isfinite(dt) ? dt : (tl->max_t > 0 ? tl->max_t : 1);
    size_t n = tl->nsampled;
    /* height: a row per VM (named up to HEAT_VM_LABELS VMs, else thin rows and group names) */
    if (!p->o.has_size && !p->o.slides) {
        double h = 1.0 + (double)n * (n <= HEAT_VM_LABELS ? 0.13 : 0.03);
        p->h_in = h < 2.2 ? 2.2 : h > 9 ? 9 : h;
        if (p->fmt == OUT_PNG)
            p->px_h = (int)lround(p->h_in * (double)p->px_w / p->w_in);
    }
    const char *tunit;
    double tdiv = plot_time_div(tl->max_t + dt, &tunit);
    plot_gp_header(p, argc, argv);
    FILE *g = p->gp;
    char line[512], rl[200];
    snprintf(line, sizeof line, "%s, policy %s: usable / anon demand per VM", plot_run_label(p, tl->run, rl, sizeof rl),
             tl->policy);
    plot_gp_comment(p, line);
    fprintf(g, "tdiv = %g    # seconds per %s\ndt = %g    # the sample interval (s): each cell's width\n", tdiv,
            tunit, dt);
    fputs("set palette defined (0 '#b2182b', 0.5 '#ef8a62', 1 '#f7f7f7', 1.5 '#67a9cf', 2 '#2166ac')   # RdBu\n"
          "set cbrange [0:2]\nset cbtics ('0' 0, '0.5' 0.5, '1' 1, '1.5' 1.5, '>=2' 2) nomirror\n"
          "unset grid\nunset key\nset border 15\nset tics out\n", g);
    plot_gp_set(p, "cblabel", "usable / anon demand");
    if (p->o.xlabel)
        plot_gp_set(p, "xlabel", "%s", p->o.xlabel);
    else
        plot_gp_set(p, "xlabel", "time (%s)", tunit);
    plot_gp_set(p, "ylabel", "%s", p->o.ylabel ? p->o.ylabel : n <= HEAT_VM_LABELS ? "VM" : "VM group");
    fprintf(g, "set xrange [0:%.6g/tdiv]\nset yrange [%zu-0.5:-0.5]\n", tl->max_t + dt, n ? n : 1);
    /* y tics: the VMs' names, or each group's name at the middle of its rows */
    fputs("set ytics (", g);
    size_t row = 0, first = 0, k = 0;
    for (size_t i = 0; i < tl->nvms; i++) {
        if (tl->vms[i].nsamples <= 0)
            continue;
        int last_of_group = 1;
        for (size_t j = i + 1; j < tl->nvms; j++)
            if (tl->vms[j].nsamples > 0) {
                last_of_group = strcmp(tl->vms[j].grp, tl->vms[i].grp) != 0;
                break;
            }
        if (n <= HEAT_VM_LABELS) {
            fputs(k++ ? ", " : "", g);
            plot_gp_str_x(p, tl->vms[i].name, 1);
            fprintf(g, " %zu", row);
        } else if (last_of_group) {
            fputs(k++ ? ", " : "", g);
            plot_gp_str_x(p, tl->vms[i].grp, 1);
            fprintf(g, " %.1f", (double)(first + row) / 2);
        }
        if (last_of_group) {
            if (row + 1 < n)
                fprintf(p->gp, ") scale 0\nset arrow from graph 0, first %.1f to graph 1, first %.1f nohead lc rgb"
                               " '#000000' lw 0.5 front\nset ytics add (", row + 0.5, row + 0.5);
            k = 0;
            first = row + 1;
        }
        row++;
    }
    fprintf(g, ") scale 0 font ',%g'\n", n <= 16 ? p->font_pt : p->font_pt - 1);
    fputs("plot ", g);
    plot_gp_file(p, tl->vm_dat);
    fputs(" using (($1 + 0.5*dt)/tdiv):2:(0.5*dt/tdiv):(0.5):($5 > 2 ? 2 : $5) with boxxyerror fs solid 1.0 noborder"
          " fc palette notitle\n", g);
    return SIM_OK;
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
    if (p->o.as && strcmp(p->o.as, "panels") && strcmp(p->o.as, "heatmap")) {
        rc = plot_fail(p, "--as must be panels or heatmap for figure timeline, not '%s'", p->o.as);
        goto out;
    }
    if (p->o.as && !strcmp(p->o.as, "heatmap")) {
        rc = tl.nsampled ? heatmap(p, &tl, argc, argv) : plot_no_samples(p, tl.run, "VM ");
        goto out;
    }
    if (tl.nhs > 0 && (rc = host_data(p, &tl)))
        goto out;
    thresholds(p, &tl);
    if (tl.nsampled > 0 && (rc = vm_data(p, &tl)))
        goto out;
    legend_entry_t legend[5 + 4];
    int nlegend = legend_entries(&tl, legend);
    layout(p, &tl, &ly, nlegend);

    plot_gp_header(p, argc, argv);
    FILE *g = p->gp;
    {
        char line[512], rl[200];
        snprintf(line, sizeof line, "%s, policy %s", plot_run_label(p, tl.run, rl, sizeof rl), tl.policy);
        fputc('\n', g);
        plot_gp_comment(p, line);
    }
    fprintf(g, "tdiv = %g    # seconds per %s on the time axis\n", ly.tdiv, ly.tunit);
    fprintf(g, "mdiv = %g    # %s per %s on the VM memory axes\n", ly.mdiv, p->o.normalise ? "fraction" : "MiB",
            ly.munit);
    fprintf(g, "hdiv = %g    # MiB per %s on the host axis\n", ly.hdiv, ly.hunit);
    fputs("# host free memory: black and thick, over light threshold lines\n"
          "set style line 22 lc rgb '#b0b0b0' dt (4,3) lw 0.8\n"
          "set style line 31 lc rgb '#000000' dt 1 lw 2\nset style line 32 lc rgb '#000000' dt (6,3) lw 2\n"
          "set style line 33 lc rgb '#777777' dt 1 lw 2\nset style line 34 lc rgb '#777777' dt (2,2) lw 2\n", g);
    fputs("set multiplot\n", g);
    double y = ly.H - ly.top;               /* inches from the bottom, moving down */
    if (nlegend) {
        frame_t fr = {ly.left / ly.W, 1 - ly.right / ly.W, (y - ly.legend_h) / ly.H, y / ly.H};
        gp_legend_strip(p, fr, legend, nlegend, ly.legend_cols);
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
