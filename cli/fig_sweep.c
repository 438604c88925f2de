/*
 * cli/fig_sweep.c -- `balloonsim plot --figure sweep`: a summary metric against a swept
 * parameter, one line (or bar group) per policy, mean and 95% CI over repetitions
 * (point_summary, cli/stats.c).  Units: cli/cmd_plot.c (FIGURES).
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
#include "cli/tables.h"

typedef struct sw_pt {
    char *study, *axes, *policy, *xtext;
    int64_t point;
    double *v;                     /* the runs' values (stored units) */
    size_t nv, capv;
    double mean, sd, ci;           /* stats_summary of v: ci and sd 0 for a single run */
    double x;                      /* numeric x, or category index */
    size_t line;
} sw_pt_t;

typedef enum { XK_NUMBER, XK_PERCENT, XK_BYTES, XK_DURATION, XK_RATE, XK_CATEGORY } x_kind_t;

static int parse_x(const char *s, x_kind_t k, double *v)
{
    char msg[256];
    int64_t i64;
    switch (k) {
    case XK_NUMBER: return sim_units_parse_number(s, v, msg, sizeof msg);
    case XK_PERCENT: return strchr(s, '%') ? sim_units_parse_fraction(s, v, msg, sizeof msg) : SIM_EINPUT;
    case XK_BYTES:
        if (sim_units_parse_bytes(s, &i64, msg, sizeof msg))
            return SIM_EINPUT;
        *v = (double)i64 / 1048576;
        return 0;
    case XK_DURATION:
        if (sim_units_parse_duration(s, &i64, msg, sizeof msg))
            return SIM_EINPUT;
        *v = (double)i64 / 1e9;
        return 0;
    case XK_RATE:
        if (sim_units_parse_rate(s, v, msg, sizeof msg))
            return SIM_EINPUT;
        *v /= 1048576;
        return 0;
    default: return SIM_EINPUT;
    }
}

static int cmp_pt(const void *a, const void *b)
{
    const sw_pt_t *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return x->x < y->x ? -1 : x->x > y->x;
}

/* Is axis `a` a function of the key chosen by `by` (0 = x text, 1 = policy) over the points? */
static int axis_determined(const sw_pt_t *pts, size_t n, const char *a, int by)
{
    for (size_t i = 0; i < n; i++) {
        char vi[256] = "", vj[256] = "";
        plot_axis_value(pts[i].axes, a, vi, sizeof vi);
        for (size_t j = i + 1; j < n; j++) {
            const char *ki = by ? pts[i].policy : pts[i].xtext, *kj = by ? pts[j].policy : pts[j].xtext;
            if (strcmp(ki, kj))
                continue;
            vj[0] = 0;
            plot_axis_value(pts[j].axes, a, vj, sizeof vj);
            if (strcmp(vi, vj))
                return 0;
        }
    }
    return 1;
}

/* The sweep figure in the making: the metric, the x parameter, the points and lines. */
typedef struct sweep_fig {
    const char *metric, *xname;
    char section[256], key[256];  /* xname as a run_params section.key, when it is one */
    int from_params, x_is_policy;
    int from_overcommit;          /* --x overcommit: v_run_axes.overcommit (cli/tables.c) */
    strlist_t metrics, axes, lines, cats;
    sw_pt_t *pts;
    size_t npts, cap, skipped;    /* skipped: runs without the parameter or the metric */
    char ylabel[300];
    x_kind_t kind;
    const char *xunit;
    double xdiv;
    double mean_min, xmin_seen, xmax_seen, ymax_seen, ymin_seen;
} sweep_fig_t;

/* The metric (a run_summary metric) and the x parameter: --x, else the first axis of the
 * selected runs; from run_params when it is a stored section.key. */
static int choose_x(plot_t *p, sweep_fig_t *sf)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if ((rc = plot_metric_list(p, "run_summary", &sf->metrics)))
        return rc;
    if (plot_strlist_find(&sf->metrics, sf->metric) < 0) {
        rc = plot_unknown_metric(p, sf->metric, "run_summary", &sf->metrics);
        return rc;
    }
    /* the axes of the selected runs */
    if ((rc = plot_prepare(p, "SELECT DISTINCT axes FROM runs WHERE status = 'complete' AND run_id IN " PLOT_SELECTED
                              " ORDER BY run_id", &st)))
        return rc;
    int nruns = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        plot_axis_names(plot_col_text(st, 0), &sf->axes);
        nruns++;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (!nruns) {
        rc = plot_fail(p, "no complete runs in %s%s", p->o.db_path,
                       p->o.policy || p->o.study || p->o.nwhere ? " among the runs the filters select" : "");
        return rc;
    }
    sf->xname = p->o.x;
    if (!sf->xname) {
        if (!sf->axes.n) {
            rc = plot_fail(p, "no swept parameter: the selected runs have no axes; give --x section.key");
            return rc;
        }
        sf->xname = sf->axes.v[0];
    }
    /* x from run_params (section.key; section = text before the first dot) or from the axes */
    const char *dot = strchr(sf->xname, '.');
    if (dot) {
        snprintf(sf->section, sizeof sf->section, "%.*s", (int)(dot - sf->xname), sf->xname);
        snprintf(sf->key, sizeof sf->key, "%s", dot + 1);
        if ((rc = plot_prepare(p, "SELECT count(*) FROM run_params WHERE section = ? AND key = ?", &st)))
            return rc;
        sqlite3_bind_text(st, 1, sf->section, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, sf->key, -1, SQLITE_STATIC);
        sf->from_params = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0;
        sqlite3_finalize(st);
        st = NULL;
    }
    if (!sf->from_params && plot_strlist_find(&sf->axes, sf->xname) < 0 && !strcmp(sf->xname, "overcommit")) {
        char err[SIM_ERR_MAX];      /* TEMP run_axes and views on the read-only connection */
        if ((rc = tables_build(p->db, 1, err, sizeof err)))
            return plot_fail(p, "%s", err);
        sf->from_overcommit = 1;
        return SIM_OK;
    }
    if (!sf->from_params && plot_strlist_find(&sf->axes, sf->xname) < 0) {
        char list[2048];
        plot_strlist_join(&sf->axes, list, sizeof list);
        rc = plot_fail(p, "unknown --x '%s': not an axis of the selected runs (%s), a stored parameter section.key"
                          " nor overcommit",
                  sf->xname, sf->axes.n ? list : "they have none");
        return rc;
    }
    return SIM_OK;
}

/* Points: aggregated from run_summary (point_summary is left alone: only sweep and merge
 * rebuild it, so it can miss runs that `run` added since); mean, sd and CI per point, in
 * the display unit of the metric. */
static int collect_points(plot_t *p, sweep_fig_t *sf)
{
    sqlite3_stmt *st = NULL;
    int rc;
    /* --paired P: each run's value less that of P's run of the same study and repetition
     * whose axes are the same but policy.name (as table point_diff pairs them); runs
     * without one are left out. */
    char sql[2048];
    /* column 5, the x text: the stored parameter, or the run's overcommit */
    snprintf(sql, sizeof sql, "SELECT r.study_key, r.point_index, r.axes, r.policy, s.value - CASE WHEN ?6 IS NULL THEN 0 ELSE"
                 " (SELECT sb.value FROM runs b JOIN run_summary sb ON sb.run_id = b.run_id AND sb.metric = ?1"
                 "  WHERE b.status = 'complete' AND b.study_key = r.study_key AND b.repetition = r.repetition"
                 "  AND b.policy = ?6 AND axes_without_policy(b.axes, b.policy)"
                 "  = axes_without_policy(r.axes, r.policy) ORDER BY b.run_id LIMIT 1) END,"
                 " %s FROM runs r JOIN run_summary s ON s.run_id = r.run_id AND s.metric = ?1"
                 " WHERE r.status = 'complete' AND r.run_id IN " PLOT_SELECTED " ORDER BY r.run_id",
             sf->from_overcommit
                 ? "(SELECT printf('%.4g', a.overcommit) FROM temp.v_run_axes a WHERE a.run_id = r.run_id)"
                 : "(SELECT p.value FROM run_params p WHERE p.run_id = r.run_id AND p.section = ?2 AND p.key = ?3)");
    rc = plot_prepare(p, sql, &st);
    if (rc)
        return rc;
    if (p->o.paired)
        sqlite3_bind_text(st, 6, p->o.paired, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 1, sf->metric, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sf->section, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, sf->key, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
        char xt[256] = "";
        if (sf->from_params || sf->from_overcommit)
            snprintf(xt, sizeof xt, "%s", plot_col_text(st, 5));
        else
            plot_axis_value(plot_col_text(st, 2), sf->xname, xt, sizeof xt);
        if (!xt[0] || sqlite3_column_type(st, 4) == SQLITE_NULL) {
            sf->skipped++;
            continue;
        }
        const char *study = plot_col_text(st, 0), *pol = plot_col_text(st, 3);
        int64_t point = sqlite3_column_int64(st, 1);
        double v = sqlite3_column_double(st, 4);   /* stored units; scaled for display below */
        sw_pt_t *q = NULL;
        for (size_t i = 0; i < sf->npts && !q; i++)
            if (sf->pts[i].point == point && !strcmp(sf->pts[i].study, study) && !strcmp(sf->pts[i].policy, pol))
                q = &sf->pts[i];
        if (!q) {
            if (sf->npts == sf->cap) {
                sf->cap = sf->cap ? 2 * sf->cap : 32;
                sf->pts = plot_xrealloc(sf->pts, sf->cap * sizeof *sf->pts);
            }
            q = &sf->pts[sf->npts++];
            memset(q, 0, sizeof *q);
            q->study = plot_xstrdup(study);
            q->axes = plot_xstrdup(plot_col_text(st, 2));
            q->policy = plot_xstrdup(pol);
            q->xtext = plot_xstrdup(xt);
            q->point = point;
        }
        if (q->nv == q->capv) {
            q->capv = q->capv ? 2 * q->capv : 8;
            q->v = plot_xrealloc(q->v, q->capv * sizeof *q->v);
        }
        q->v[q->nv++] = v;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (!sf->npts) {
        if (p->o.paired)
            return plot_fail(p, "--paired %s: no run of policy %s pairs with the selected runs (same study, repetition "
                             "and axes but policy.name) in %s", p->o.paired, p->o.paired, p->o.db_path);
        return plot_fail(p, "no runs with metric '%s' and parameter '%s' in %s", sf->metric, sf->xname, p->o.db_path);
    }
    for (size_t i = 0; i < sf->npts; i++) {
        sw_pt_t *q = &sf->pts[i];
        stats_summary(q->v, q->nv, &q->mean, &q->sd, &q->ci);
        if (q->nv < 2)
            q->sd = q->ci = 0;       /* one run: no error bar */
    }
    {   /* display unit from the largest magnitude; the CI scales with the mean */
        double big = 0, scale;
        for (size_t i = 0; i < sf->npts; i++)
            big = fabs(sf->pts[i].mean) + sf->pts[i].ci > big ? fabs(sf->pts[i].mean) + sf->pts[i].ci : big;
        plot_metric_display(sf->metric, big, &scale, sf->ylabel, sizeof sf->ylabel);
        if (p->o.paired) {
            char base[300];
            snprintf(base, sizeof base, "%s", sf->ylabel);
            snprintf(sf->ylabel, sizeof sf->ylabel, "%.150s - %.90s", base, p->o.paired);
        }
        for (size_t i = 0; i < sf->npts; i++) {
            sf->pts[i].mean *= scale;
            sf->pts[i].sd *= scale;
            sf->pts[i].ci *= scale;
        }
    }
    return SIM_OK;
}

/* Numeric x if every value parses in one unit, else categories in order of appearance. */
static void x_axis(sweep_fig_t *sf)
{
    /* numeric x if every value parses in one unit, else categories in order of appearance */
    for (sf->kind = XK_NUMBER; sf->kind < XK_CATEGORY; sf->kind++) {
        size_t ok = 0;
        for (size_t i = 0; i < sf->npts; i++)
            ok += !parse_x(sf->pts[i].xtext, sf->kind, &sf->pts[i].x);
        if (ok == sf->npts)
            break;
    }
    double xmax = 0;
    if (sf->kind == XK_CATEGORY) {
        for (size_t i = 0; i < sf->npts; i++)
            sf->pts[i].x = (double)plot_strlist_intern(&sf->cats, sf->pts[i].xtext);
    } else {
        for (size_t i = 0; i < sf->npts; i++)
            xmax = fabs(sf->pts[i].x) > xmax ? fabs(sf->pts[i].x) : xmax;
        if (sf->kind == XK_PERCENT) {
            sf->xdiv = 0.01;
            sf->xunit = "%";
        } else if (sf->kind == XK_BYTES) {
            sf->xdiv = plot_mem_div(xmax, &sf->xunit);
        } else if (sf->kind == XK_DURATION) {
            sf->xdiv = plot_time_div(xmax, &sf->xunit);
        } else if (sf->kind == XK_RATE) {
            sf->xunit = "MiB/s";
        }
        for (size_t i = 0; i < sf->npts; i++)
            sf->pts[i].x /= sf->xdiv;
    }
}

/* Lines: policy (unless x is the policy) and every other axis not determined by x or
 * policy; points sorted by line and x. */
static void assign_lines(sweep_fig_t *sf)
{
    /* lines: policy (unless x is the policy) and every other axis not determined by x or policy */
    /* x is the policy when it is policy.name, or an axis whose values are the policies'
     * names (${pol=static, mom} on policy.name): then bars per category, not per policy */
    sf->x_is_policy = !strcmp(sf->xname, "policy.name") || !strcmp(sf->xname, "policy");
    if (!sf->x_is_policy && !sf->from_params && !sf->from_overcommit) {
        sf->x_is_policy = 1;
        for (size_t i = 0; i < sf->npts; i++)
            sf->x_is_policy = sf->x_is_policy && !strcmp(sf->pts[i].xtext, sf->pts[i].policy);
    }
    strlist_t other = {0};
    for (size_t a = 0; a < sf->axes.n; a++) {
        if (!strcmp(sf->axes.v[a], sf->xname) || axis_determined(sf->pts, sf->npts, sf->axes.v[a], 0) ||
            (!sf->x_is_policy && axis_determined(sf->pts, sf->npts, sf->axes.v[a], 1)))
            continue;
        plot_strlist_add(&other, sf->axes.v[a]);
    }
    for (size_t i = 0; i < sf->npts; i++) {
        char label[1024];
        size_t k = (size_t)snprintf(label, sizeof label, "%s", sf->x_is_policy ? "" : sf->pts[i].policy);
        for (size_t a = 0; a < other.n && k < sizeof label; a++) {
            char v[256] = "";
            plot_axis_value(sf->pts[i].axes, other.v[a], v, sizeof v);
            k += (size_t)snprintf(label + k, sizeof label - k, "%s%s=%s", k ? ", " : "", other.v[a], v);
        }
        sf->pts[i].line = plot_strlist_intern(&sf->lines, label[0] ? label : "all runs");
    }
    plot_strlist_free(&other);
    qsort(sf->pts, sf->npts, sizeof *sf->pts, cmp_pt);
}

/* The data file: one block per line (x, mean, ci95, n, sd, x text). */
static int write_data(plot_t *p, sweep_fig_t *sf)
{
    int rc;
    sf->mean_min = INFINITY, sf->xmin_seen = INFINITY, sf->xmax_seen = -INFINITY, sf->ymax_seen = -INFINITY;
    sf->ymin_seen = INFINITY;
    FILE *f = plot_open_data(p, NULL);
    if (!f) {
        rc = SIM_EIO;
        return rc;
    }
    fprintf(f, "# x mean ci95 n sd x_text   (x: %s%s%s%s; y: %s %s; from run_summary; mean and 95%% CI half-width)\n",
            sf->xname, sf->xunit[0] ? " in " : "", sf->xunit, sf->kind == XK_CATEGORY ? " as a category index" : "", sf->metric,
            strchr(sf->ylabel, '(') ? strchr(sf->ylabel, '(') : "");
    for (size_t i = 0; i < sf->npts; i++) {
        if (!i || sf->pts[i].line != sf->pts[i - 1].line) {
            fprintf(f, "%s# block %zu: ", i ? "\n\n" : "", sf->pts[i].line);
            plot_dat_name(f, sf->lines.v[sf->pts[i].line]);
            fputc('\n', f);
        }
        fprintf(f, "%.6g %.6g %.6g %zu %.6g ", sf->pts[i].x, sf->pts[i].mean, sf->pts[i].ci, sf->pts[i].nv, sf->pts[i].sd);
        plot_dat_name(f, sf->pts[i].xtext);
        fputc('\n', f);
        sf->mean_min = sf->pts[i].mean < sf->mean_min ? sf->pts[i].mean : sf->mean_min;
        sf->ymax_seen = sf->pts[i].mean + sf->pts[i].ci > sf->ymax_seen ? sf->pts[i].mean + sf->pts[i].ci : sf->ymax_seen;
        sf->ymin_seen = sf->pts[i].mean - sf->pts[i].ci < sf->ymin_seen ? sf->pts[i].mean - sf->pts[i].ci : sf->ymin_seen;
        sf->xmin_seen = sf->pts[i].x < sf->xmin_seen ? sf->pts[i].x : sf->xmin_seen;
        sf->xmax_seen = sf->pts[i].x > sf->xmax_seen ? sf->pts[i].x : sf->xmax_seen;
    }
    if ((rc = plot_close_data(p, &f)))
        return rc;
    return SIM_OK;
}

/* The gnuplot script: bars with CI whiskers for categories, else lines with error bars. */
static void write_script(plot_t *p, const sweep_fig_t *sf, int argc, char **argv)
{
    plot_gp_header(p, argc, argv);
    FILE *g = p->gp;
    const char *dat = p->data[p->ndata - 1];
    if (sf->xunit[0])
        plot_gp_set(p, "xlabel", "%s (%s)", sf->xname, sf->xunit);
    else if (sf->from_overcommit)
        plot_gp_set(p, "xlabel", "overcommit (configured VM memory / host memory)");
    else
        plot_gp_set(p, "xlabel", "%s", !strcmp(sf->xname, "policy.name") ? "policy" : sf->xname);
    plot_gp_set(p, "ylabel", "%s", sf->ylabel);
    plot_gp_logscale(p);
    double ylo = sf->ymin_seen, yhi = sf->ymax_seen;
    plot_hline_extent(p, &ylo, &yhi);
    if (p->o.log && strchr(p->o.log, 'y'))   /* the data's range: the lowest mean if a CI reaches 0 */
        plot_gp_log_range(p, 'y', ylo > 0 ? ylo : sf->mean_min, yhi);
    plot_gp_log_range(p, 'x', sf->xmin_seen, sf->xmax_seen);
    if (sf->mean_min >= 0 && !(p->o.log && strchr(p->o.log, 'y'))) {  /* non-negative: error bars clip at 0 */
        if (yhi <= 0)
            fputs("set yrange [0:1]\n", g);
        else if (sf->kind == XK_CATEGORY)   /* autoscaling ignores the error-bar vectors: include them */
            fprintf(g, "set yrange [0:%.6g]\n", yhi * 1.05);
        else
            fputs("set yrange [0:*]\n", g);
    }
    if (sf->kind != XK_CATEGORY && sf->xmin_seen == sf->xmax_seen) {      /* one x value: a range around it */
        double d = sf->xmin_seen != 0 ? fabs(sf->xmin_seen) * 0.1 : 1;
        fprintf(g, "set xrange [%.6g:%.6g]\n", sf->xmin_seen - d, sf->xmax_seen + d);
    }
    fputs(sf->lines.n > 1 ? "set key outside top center horizontal reverse Left samplen 2.5 width 1.5\n" : "unset key\n", g);
    if (sf->kind == XK_CATEGORY) {
        double bw = 0.8 / (double)sf->lines.n;
        fprintf(g, "set xrange [-0.5:%zu-0.5]\nset grid noxtics\nset boxwidth %.4g absolute\n", sf->cats.n,
                bw * 0.9);
        plot_gp_category_tics(p, &sf->cats);
        plot_gp_user(p, PLOT_USER_ALL);
        fputs("# bars: mean; black bars: 95% confidence interval\nplot ", g);
        for (size_t l = 0; l < sf->lines.n; l++) {
            double off = ((double)l - (double)(sf->lines.n - 1) / 2) * bw;
            fprintf(g, "%s", l ? ", \\\n     " : "");
            plot_gp_file(p, dat);
            fprintf(g, " index %zu using ($1%+.4g):2 with boxes ls %zu dt 1 fs %s border lc rgb '#333333' title ",
                    l, off, l % 8 + 1, l % 2 ? "pattern 4" : "solid 0.6");
            plot_gp_str(p, sf->lines.v[l]);
            double caps = 0.15 * bw * 0.9 * (p->w_in - 1.0) / p->w_in / (double)sf->cats.n;   /* screen units */
            fprintf(g, ", \\\n     '' index %zu using ($1%+.4g):($2-$3):(0):(2*$3) with vectors heads size"
                       " screen %.3g,90 lc rgb '#000000' notitle", l, off, caps);
        }
        plot_gp_hlines(p);
        fputc('\n', g);
    } else {
        /* lines are dodged sideways by a little so that their error bars do not hide each other */
        int logx = p->o.log && strchr(p->o.log, 'x');
        fprintf(g, "dodge = %.4g   # x shift between lines (set 0 to turn off)\n",
                logx || sf->lines.n < 2 ? 0 : 0.006 * (sf->xmax_seen - sf->xmin_seen));
        fputs("set offsets graph 0.04, graph 0.04, 0, 0\n", g);
        plot_gp_user(p, PLOT_USER_ALL);
        fputs("# lines: mean; error bars: 95% confidence interval\nplot ", g);
        for (size_t l = 0; l < sf->lines.n; l++) {
            double k = (double)l - (double)(sf->lines.n - 1) / 2;
            fprintf(g, "%s", l ? ", \\\n     " : "");
            plot_gp_file(p, dat);
            fprintf(g, " index %zu using ($1%+g*dodge):2:3 with yerrorbars ls %zu dt 1 pt -1 notitle, \\\n     ''"
                       " index %zu using ($1%+g*dodge):2 with linespoints ls %zu title ", l, k, l % 8 + 1, l, k,
                    l % 8 + 1);
            plot_gp_str(p, sf->lines.v[l]);
        }
        plot_gp_hlines(p);
        fputc('\n', g);
    }
    if (sf->skipped && !p->o.quiet)
        fprintf(stderr, "balloonsim plot: %zu run%s without '%s' left out\n", sf->skipped, sf->skipped == 1 ? "" : "s",
                sf->xname);
}

int plot_fig_sweep(plot_t *p, int argc, char **argv)
{
    sweep_fig_t sf;
    memset(&sf, 0, sizeof sf);
    sf.metric = p->o.metric ? p->o.metric : "mean_slowdown";
    sf.xunit = "";
    sf.xdiv = 1;
    if (p->o.has_run || p->o.group)
        return plot_fail(p, "--%s does not apply to figure sweep (it draws many runs: use --policy or --study)",
                    p->o.has_run ? "run" : "group");
    int rc;
    if (!(rc = choose_x(p, &sf)) && !(rc = collect_points(p, &sf))) {
        x_axis(&sf);
        assign_lines(&sf);
        if (!(rc = write_data(p, &sf)))
            write_script(p, &sf, argc, argv);
    }
    for (size_t i = 0; i < sf.npts; i++) {
        free(sf.pts[i].study);
        free(sf.pts[i].axes);
        free(sf.pts[i].policy);
        free(sf.pts[i].xtext);
        free(sf.pts[i].v);
    }
    free(sf.pts);
    plot_strlist_free(&sf.metrics);
    plot_strlist_free(&sf.axes);
    plot_strlist_free(&sf.lines);
    plot_strlist_free(&sf.cats);
    return rc;
}
