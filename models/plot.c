/*
 * models/plot.c -- `balloonsim plot`: paper-ready figures from a results database.
 *
 *   balloonsim plot DB --figure NAME -o FILE.{pdf,png,svg,tex} [filters] [options]
 *
 * WHAT IT WRITES.  FILE (the figure), FILE.gp (the gnuplot script that drew it) and the
 * data it plotted: FILE.dat, or FILE-host.dat / FILE-vms.dat for the timeline.  The
 * script is self-contained and refers to its data by base name, so a researcher can
 * restyle a figure with `cd DIR && gnuplot FILE.gp`.  Data files are whitespace
 * separated, one '#' header line naming the columns (with units), blocks (gnuplot
 * `index`) separated by two blank lines, each block opened by a "# block N: LABEL" line.
 *
 * FIGURES (every memory quantity in MiB in the data, MiB or GiB on the axis; times in s
 * in the data, s/min/h on the axis):
 *   timeline     one run: host free memory with the ESX state thresholds high/soft/hard/
 *                low (host_samples, hosts, run_params host.*), then one small panel per VM
 *                (<= 6 VMs) or per VM group (mean per VM) with usable, assigned, balloon,
 *                anonymous demand and page cache over time (vm_samples).
 *   allocation   one run at one moment (--at SECONDS, default the end): a stacked bar per
 *                VM of kernel, anon, page cache, free, balloon and never-assigned memory
 *                (the bar is the configured size: model.h C1 and guest.h G1).
 *   sweep        a run_summary metric (--metric) against a swept parameter (--x
 *                section.key or an axis name), one line per policy (and per value of any
 *                other axis), mean and 95% confidence interval of the repetitions.  Taken
 *                from point_summary(study_key, point_index, axes, policy, metric, n, mean,
 *                sd, ci95) when that table holds the metric, else computed here from
 *                run_summary: ci95 = t(0.975, n-1) * sd / sqrt(n) (GSL), 0 when n = 1.
 *                A non-numeric x (e.g. policy.name) gives bars with error bars.
 *   cdf          empirical distribution of a vm_summary metric over VMs (--over vms) or of
 *                a run_summary metric over runs (--over runs), one curve per policy.
 *   balloon-ops  balloon operations (balloon_ops) of one run or of the selected runs:
 *                latency (finished - issued) against size moved (--as scatter) or the
 *                latency CDF (--as cdf), one series per kind (and policy).
 *
 * FILTERS are not SQL: --run ID, --policy NAME, --group NAME, --study KEY, or the same as
 * --where key=value.  Every query is a prepared statement with bound parameters.  Only
 * runs with status 'complete' are drawn, except a run named with --run.
 *
 * STYLE.  Paper (default): vector output, 3.3 in x 2.2 in (one column), 8 pt Helvetica,
 * Okabe-Ito colours that also differ by dash pattern and point type, so that the figure
 * survives black-and-white printing.  --style slides: 16:9, 8 in x 4.5 in, 14 pt.  The
 * timeline grows taller with its panels.  pdf via pdfcairo, svg via svg, tex via cairolatex
 * (FILE.tex plus its graphics FILE.pdf, fonts from the document), png via pngcairo at
 * 300 dpi (slides 200 dpi) or --size WxH pixels; for vector formats --size WxH is inches.
 *
 * SAFETY.  gnuplot runs by fork + execvp on the generated script, in the output directory,
 * with no shell.  Strings from the database or the command line reach the script only as
 * single-quoted gnuplot strings ('' for a quote, control characters dropped), which
 * gnuplot never substitutes (no backquotes, no @macros inside); the output base name is
 * restricted to [A-Za-z0-9._+,=@-].  Labels are escaped for LaTeX in tex output.
 *
 * ERRORS.  Exit status 2 and one message: missing/unreadable database, not a balloonsim
 * database (db_open), unknown run, no samples, unknown figure or metric (both listed),
 * gnuplot missing or failing (with the first line of its stderr that names the problem).
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
#include <gsl/gsl_cdf.h>
#include "sim/db.h"
#include "sim/units.h"
#include "models/cli.h"
#include "models/record.h"

/* ================================================================== options */

typedef enum { OUT_PDF, OUT_PNG, OUT_SVG, OUT_TEX } out_fmt_t;

typedef struct plot_opts {
    const char *db_path, *figure, *out;
    int has_run;
    int64_t run_id;
    const char *policy, *group, *study;
    const char *metric, *x, *as, *over, *log;
    int has_at;
    double at_s;
    int slides;
    int has_size;
    double size_w, size_h;     /* pixels for png, inches otherwise */
    int script_only, quiet;
} plot_opts_t;

typedef struct plot {
    plot_opts_t o;
    db_t *db;
    sqlite3 *h;
    out_fmt_t fmt;
    char dir[4096];            /* output directory, "." when none */
    char stem[1024];           /* output base name without extension */
    const char *ext;
    double w_in, h_in;         /* physical size of the figure */
    int px_w, px_h;            /* png only */
    double font_pt;
    FILE *gp;
    char gp_path[5200];
    char data[4][1100];        /* base names of the data files written */
    int ndata;
    char err[SIM_ERR_MAX];
} plot_t;

static const char *figure_names[] = {"timeline", "allocation", "sweep", "cdf", "balloon-ops"};
enum { FIG_TIMELINE, FIG_ALLOCATION, FIG_SWEEP, FIG_CDF, FIG_OPS, FIG_N };

static const char *usage =
    "usage: balloonsim plot DB --figure NAME -o FILE.{pdf,png,svg,tex} [options]\n"
    "figures:\n"
    "  timeline      one run: host free memory and thresholds, memory of each VM over time\n"
    "  allocation    one run at one moment: stacked memory per VM (--at SECONDS, default the end)\n"
    "  sweep         a summary metric against a swept parameter, one line per policy, 95% CI\n"
    "                (--metric NAME, --x section.key or axis name)\n"
    "  cdf           distribution of a metric over VMs or runs (--metric NAME [--over vms|runs])\n"
    "  balloon-ops   latency and size of balloon operations (--as scatter|cdf)\n"
    "filters (not SQL): --run ID  --policy NAME  --group NAME  --study KEY\n"
    "                   or --where run=ID | policy=NAME | group=NAME | study=KEY\n"
    "options:\n"
    "  --style paper|slides   paper: 3.3x2.2 in, 8 pt (default); slides: 16:9, 14 pt\n"
    "  --size WxH             png: pixels (default 300 dpi); pdf/svg/tex: inches\n"
    "  --log x|y|xy           logarithmic axes\n"
    "  --script-only          write FILE.gp and the data, do not run gnuplot\n"
    "  --quiet                print nothing on success\n"
    "Beside FILE it writes FILE.gp and FILE.dat (or FILE-*.dat): restyle with\n"
    "`cd DIR && gnuplot FILE.gp`.\n";

/* ================================================================== small helpers */

static int fail(plot_t *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err, sizeof p->err, fmt, ap);
    va_end(ap);
    return SIM_EINPUT;
}

static int sql_fail(plot_t *p, const char *what)
{
    snprintf(p->err, sizeof p->err, "%s: %s: %s", p->o.db_path, what, sqlite3_errmsg(p->h));
    return SIM_EIO;
}

static int prepare(plot_t *p, const char *sql, sqlite3_stmt **st)
{
    if (sqlite3_prepare_v2(p->h, sql, -1, st, NULL) != SQLITE_OK)
        return sql_fail(p, "cannot query");
    return SIM_OK;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return s ? (const char *)s : "";
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d)
        abort();   /* out of memory on a few bytes: nothing sensible is left to do */
    return d;
}

static void *xrealloc(void *ptr, size_t n)
{
    void *q = realloc(ptr, n ? n : 1);
    if (!q)
        abort();
    return q;
}

/* A growable list of strings (owned). */
typedef struct strlist {
    char **v;
    size_t n, cap;
} strlist_t;

static size_t strlist_add(strlist_t *l, const char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 8;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n] = xstrdup(s);
    return l->n++;
}

static long strlist_find(const strlist_t *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i], s))
            return (long)i;
    return -1;
}

static size_t strlist_intern(strlist_t *l, const char *s)
{
    long i = strlist_find(l, s);
    return i >= 0 ? (size_t)i : strlist_add(l, s);
}

static void strlist_free(strlist_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static void strlist_join(const strlist_t *l, char *buf, size_t len)
{
    size_t k = 0;
    buf[0] = 0;
    for (size_t i = 0; i < l->n && k < len; i++)
        k += (size_t)snprintf(buf + k, len - k, "%s%s", i ? ", " : "", l->v[i]);
}

/* Write s as a single-quoted gnuplot string: '' for a quote, control characters dropped;
 * in tex output the LaTeX specials are escaped as well. */
static void gp_str(const plot_t *p, const char *s)
{
    FILE *f = p->gp;
    fputc('\'', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f)
            continue;
        if (c == '\'') {
            fputs("''", f);
            continue;
        }
        if (p->fmt == OUT_TEX) {
            if (strchr("#$%&_{}", c)) {
                fputc('\\', f);
            } else if (c == '\\') {
                fputs("\\textbackslash{}", f);
                continue;
            } else if (c == '^' || c == '~') {
                fprintf(f, "\\%c{}", c);
                continue;
            }
        }
        fputc(c, f);
    }
    fputc('\'', f);
}

/* A comment line of the script: characters outside a safe set become '_' (a trailing
 * backslash would continue a gnuplot comment onto the next line). */
static void gp_comment(const plot_t *p, const char *s)
{
    fputs("# ", p->gp);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        fputc(c >= 0x20 && c < 0x7f && c != '\\' ? c : '_', p->gp);
    }
    fputc('\n', p->gp);
}

/* A name written into a data file as a double-quoted token: only [A-Za-z0-9_./:+=-]. */
static void dat_name(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        fputc((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("_./:+=-", c)
                  ? c : '_', f);
    }
    fputc('"', f);
}

static FILE *open_data(plot_t *p, const char *suffix)
{
    char path[5300];
    if (p->ndata >= 4)
        return NULL;
    char *name = p->data[p->ndata];
    snprintf(name, sizeof p->data[0], "%s%s%s.dat", p->stem, suffix ? "-" : "", suffix ? suffix : "");
    snprintf(path, sizeof path, "%s/%s", p->dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        fail(p, "%s: cannot write: %s", path, strerror(errno));
        return NULL;
    }
    p->ndata++;
    return f;
}

static int close_data(plot_t *p, FILE *f)
{
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return fail(p, "%s/%s: write failed (disk full?)", p->dir, p->data[p->ndata - 1]);
    return SIM_OK;
}

/* Memory axis: MiB below 4 GiB, GiB above.  Returns the divisor applied to MiB. */
static double mem_div(double max_mib, const char **unit)
{
    if (max_mib >= 4096) {
        *unit = "GiB";
        return 1024;
    }
    *unit = "MiB";
    return 1;
}

/* Time axis: s up to 10 min, min up to 3 h, h beyond.  Returns the divisor applied to s. */
static double time_div(double max_s, const char **unit)
{
    if (max_s <= 600) {
        *unit = "s";
        return 1;
    }
    if (max_s <= 3 * 3600) {
        *unit = "min";
        return 60;
    }
    *unit = "h";
    return 3600;
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

/* How a summary metric is shown: scale from the stored unit, unit label, readable name. */
static void metric_display(const char *metric, double *scale, char *label, size_t len)
{
    char name[256];
    const char *unit = "count";
    snprintf(name, sizeof name, "%s", metric);
    *scale = 1;
    if (ends_with(name, "_bytes_per_s")) {
        name[strlen(name) - 12] = 0;
        *scale = 1.0 / 1048576;
        unit = "MiB/s";
    } else if (ends_with(name, "_bytes")) {
        name[strlen(name) - 6] = 0;
        *scale = 1.0 / 1048576;
        unit = "MiB";
    } else if (ends_with(name, "_ns")) {
        name[strlen(name) - 3] = 0;
        *scale = 1e-9;
        unit = "s";
    } else if (ends_with(name, "_s")) {
        name[strlen(name) - 2] = 0;
        unit = "s";
    } else if (strstr(name, "slowdown")) {
        unit = "x, 1 = no stall";
    } else if (strstr(name, "fraction") || strstr(name, "ratio")) {
        unit = "fraction";
    }
    for (char *c = name; *c; c++)
        if (*c == '_')
            *c = ' ';
    snprintf(label, len, "%s (%s)", name, unit);
}

/* ================================================================== terminal and styles */

static void gp_terminal(plot_t *p)
{
    FILE *f = p->gp;
    double lw = p->o.slides ? 2 : 1;
    switch (p->fmt) {
    case OUT_PDF:
        fprintf(f, "set terminal pdfcairo size %.3gin,%.3gin font 'Helvetica,%g' linewidth %g noenhanced\n",
                p->w_in, p->h_in, p->font_pt, lw);
        break;
    case OUT_PNG: {
        /* pngcairo measures fonts and lines at 72 px per inch: scale them to our dpi */
        double dpi = (double)p->px_w / p->w_in;
        fprintf(f, "set terminal pngcairo size %d,%d font 'Helvetica,%g' fontscale %.4g linewidth %.4g"
                   " noenhanced background '#ffffff'\n",
                p->px_w, p->px_h, p->font_pt, dpi / 72, lw * dpi / 72);
        break;
    }
    case OUT_SVG:
        fprintf(f, "set terminal svg size %d,%d font 'Helvetica,%g' linewidth %g noenhanced background '#ffffff'\n",
                (int)lround(p->w_in * 72), (int)lround(p->h_in * 72), p->font_pt, lw);
        break;
    case OUT_TEX:
        fprintf(f, "set terminal cairolatex pdf size %.3gin,%.3gin linewidth %g noenhanced\n", p->w_in, p->h_in, lw);
        break;
    }
    fputs("set output ", f);
    char out[1100];
    snprintf(out, sizeof out, "%s.%s", p->stem, p->ext);
    /* the file name is not a label: no LaTeX escaping */
    out_fmt_t keep = p->fmt;
    p->fmt = OUT_PDF;
    gp_str(p, out);
    p->fmt = keep;
    fputs("\nset encoding utf8\n", f);
}

/* Line styles 1-8: Okabe-Ito colours (colour-blind safe), each with its own dash pattern
 * and point type so that they stay apart in black and white.  Styles 11-16 fill bars. */
static void gp_styles(const plot_t *p)
{
    static const struct { const char *rgb, *dt; int pt; } ls[8] = {
        {"#0072B2", "1", 7},  {"#D55E00", "2", 5},  {"#009E73", "3", 9},        {"#CC79A7", "4", 13},
        {"#E69F00", "5", 11}, {"#56B4E9", "(8,3,2,3)", 6}, {"#000000", "(2,2)", 4}, {"#F0E442", "(12,4)", 8},
    };
    double lw = 1.5, ps = p->o.slides ? 0.8 : 0.5;
    fputs("# line styles: colour + dash pattern + point type (readable in black and white)\n", p->gp);
    for (int i = 0; i < 8; i++)
        fprintf(p->gp, "set style line %d lc rgb '%s' dt %s lw %g pt %d ps %g\n", i + 1, ls[i].rgb, ls[i].dt, lw,
                ls[i].pt, ps);
    fputs("set style line 20 lc rgb '#777777' dt (4,3) lw 1   # reference lines\n"
          "set border 3 lw 1\nset tics nomirror out scale 0.6\nset grid ytics lc rgb '#dddddd' lw 1 dt 1\n"
          "set key samplen 2.5 spacing 1.0\n", p->gp);
}

/* Header of every script: provenance, how to regenerate, terminal, styles. */
static void gp_header(plot_t *p, int argc, char **argv)
{
    char line[2048];
    size_t k = 0;
    line[0] = 0;
    for (int i = 0; i < argc && k < sizeof line; i++)
        k += (size_t)snprintf(line + k, sizeof line - k, "%s%s", i ? " " : "balloonsim ", argv[i]);
    gp_comment(p, "written by balloonsim plot; restyle here, then run: gnuplot THIS_FILE (from its directory)");
    gp_comment(p, line);
    for (int i = 0; i < p->ndata; i++) {
        snprintf(line, sizeof line, "data: %s", p->data[i]);
        gp_comment(p, line);
    }
    gp_terminal(p);
    gp_styles(p);
}

/* ================================================================== database access */

static int table_exists(plot_t *p, const char *name)
{
    sqlite3_stmt *st;
    int yes = 0;
    if (sqlite3_prepare_v2(p->h, "SELECT 1 FROM sqlite_master WHERE type IN ('table','view') AND name = ?", -1, &st,
                           NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    yes = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return yes;
}

static int64_t count_rows(plot_t *p, const char *sql, int64_t id)
{
    sqlite3_stmt *st;
    int64_t n = -1;
    if (prepare(p, sql, &st))
        return -1;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* The run to draw: --run (any status) or the first complete run matching the filters. */
static int pick_run(plot_t *p, int64_t *run_id, char *policy, size_t plen)
{
    sqlite3_stmt *st;
    int rc;
    if (p->o.has_run) {
        if ((rc = prepare(p, "SELECT run_id, policy FROM runs WHERE run_id = ?", &st)))
            return rc;
        sqlite3_bind_int64(st, 1, p->o.run_id);
        int found = sqlite3_step(st) == SQLITE_ROW;
        if (found) {
            *run_id = sqlite3_column_int64(st, 0);
            snprintf(policy, plen, "%s", col_text(st, 1));
        }
        sqlite3_finalize(st);
        if (found)
            return SIM_OK;
        if ((rc = prepare(p, "SELECT min(run_id), max(run_id), count(*) FROM runs", &st)))
            return rc;
        sqlite3_step(st);
        int64_t lo = sqlite3_column_int64(st, 0), hi = sqlite3_column_int64(st, 1), n = sqlite3_column_int64(st, 2);
        sqlite3_finalize(st);
        if (n == 0)
            return fail(p, "no run %lld in %s: it holds no runs", (long long)p->o.run_id, p->o.db_path);
        return fail(p, "no run %lld in %s (it holds %lld run%s, ids %lld..%lld)", (long long)p->o.run_id,
                    p->o.db_path, (long long)n, n == 1 ? "" : "s", (long long)lo, (long long)hi);
    }
    if ((rc = prepare(p,
                      "SELECT run_id, policy FROM runs WHERE status = 'complete'"
                      " AND (?1 IS NULL OR policy = ?1) AND (?2 IS NULL OR study_key = ?2) ORDER BY run_id LIMIT 1",
                      &st)))
        return rc;
    if (p->o.policy)
        sqlite3_bind_text(st, 1, p->o.policy, -1, SQLITE_STATIC);
    if (p->o.study)
        sqlite3_bind_text(st, 2, p->o.study, -1, SQLITE_STATIC);
    int found = sqlite3_step(st) == SQLITE_ROW;
    if (found) {
        *run_id = sqlite3_column_int64(st, 0);
        snprintf(policy, plen, "%s", col_text(st, 1));
    }
    sqlite3_finalize(st);
    if (!found)
        return fail(p, "no complete run in %s%s%s%s%s", p->o.db_path, p->o.policy ? " with policy " : "",
                    p->o.policy ? p->o.policy : "", p->o.study ? " in study " : "", p->o.study ? p->o.study : "");
    return SIM_OK;
}

/* A resolved parameter of a run as text ("" if absent). */
static void run_param(plot_t *p, int64_t run_id, const char *section, const char *key, char *buf, size_t len)
{
    sqlite3_stmt *st;
    buf[0] = 0;
    if (prepare(p, "SELECT value FROM run_params WHERE run_id = ? AND section = ? AND key = ?", &st))
        return;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, section, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        snprintf(buf, len, "%s", col_text(st, 0));
    sqlite3_finalize(st);
}

/* The VMs of a run (filtered by --group). */
typedef struct vm_row {
    int64_t vm_id, host_id, nsamples;
    char grp[128], name[160];
    double configured_mib;
} vm_row_t;

static int load_vms(plot_t *p, int64_t run_id, vm_row_t **out, size_t *n)
{
    sqlite3_stmt *st;
    int rc;
    *out = NULL;
    *n = 0;
    if ((rc = prepare(p,
                      "SELECT v.vm_id, v.host_id, v.grp, v.name, v.configured_bytes,"
                      " (SELECT count(*) FROM vm_samples s WHERE s.run_id = v.run_id AND s.vm_id = v.vm_id)"
                      " FROM vms v WHERE v.run_id = ?1 AND (?2 IS NULL OR v.grp = ?2) ORDER BY v.vm_id",
                      &st)))
        return rc;
    sqlite3_bind_int64(st, 1, run_id);
    if (p->o.group)
        sqlite3_bind_text(st, 2, p->o.group, -1, SQLITE_STATIC);
    size_t cap = 0;
    vm_row_t *v = NULL;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            v = xrealloc(v, cap * sizeof *v);
        }
        vm_row_t *r = &v[(*n)++];
        r->vm_id = sqlite3_column_int64(st, 0);
        r->host_id = sqlite3_column_int64(st, 1);
        snprintf(r->grp, sizeof r->grp, "%s", col_text(st, 2));
        snprintf(r->name, sizeof r->name, "%s", col_text(st, 3));
        r->configured_mib = sqlite3_column_double(st, 4) / 1048576;
        r->nsamples = sqlite3_column_int64(st, 5);
    }
    sqlite3_finalize(st);
    *out = v;
    if (rc != SQLITE_DONE) {
        free(v);
        *out = NULL;
        return sql_fail(p, "cannot read vms");
    }
    if (*n == 0 && p->o.group) {
        strlist_t g = {0};
        if (!prepare(p, "SELECT DISTINCT grp FROM vms WHERE run_id = ? ORDER BY vm_id", &st)) {
            sqlite3_bind_int64(st, 1, run_id);
            while (sqlite3_step(st) == SQLITE_ROW)
                strlist_intern(&g, col_text(st, 0));
            sqlite3_finalize(st);
        }
        char list[1024];
        strlist_join(&g, list, sizeof list);
        strlist_free(&g);
        return fail(p, "no VM group '%s' in run %lld (groups: %s)", p->o.group, (long long)run_id,
                    list[0] ? list : "none");
    }
    return SIM_OK;
}

/* ================================================================== timeline */

/* Panel geometry in inches, turned into screen fractions of the final size. */
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
    fputs("\n# shared legend\nunset border; unset tics; unset xlabel; unset ylabel; unset grid; unset label; "
          "unset arrow\nset xrange [0:1]; set yrange [0:1]\n", f);
    gp_frame(p, fr);
    fprintf(f, "set key center center horizontal maxcols %d samplen 2.5 width 0\nplot ", cols);
    for (int i = 0; i < n; i++) {
        fprintf(f, "%sNaN with linespoints ls %d title ", i ? ", \\\n     " : "", styles[i]);
        gp_str(p, titles[i]);
    }
    fputs("\nset border 3; set tics nomirror out scale 0.6; set grid ytics; set autoscale\n", f);
}

static int fig_timeline(plot_t *p, int argc, char **argv)
{
    int64_t run;
    char policy[128];
    int rc = pick_run(p, &run, policy, sizeof policy);
    if (rc)
        return rc;
    vm_row_t *vms = NULL;
    size_t nvms = 0;
    if ((rc = load_vms(p, run, &vms, &nvms)))
        return rc;
    int64_t nhs = count_rows(p, "SELECT count(*) FROM host_samples WHERE run_id = ?", run);
    size_t nsampled = 0;
    for (size_t i = 0; i < nvms; i++)
        nsampled += vms[i].nsamples > 0;
    if (nhs <= 0 && nsampled == 0) {
        free(vms);
        return fail(p, "no samples for run %lld%s%s: was it run with output = summary?", (long long)run,
                    p->o.group ? " in group " : "", p->o.group ? p->o.group : "");
    }

    /* ---- host data: free memory per host; thresholds from the run's parameters */
    double cap_mib = 0, max_free = 0, max_t = 0, max_mem = 0;
    int64_t nhosts = 0;
    FILE *f = NULL;
    sqlite3_stmt *st = NULL;
    if (nhs > 0) {
        if (!(f = open_data(p, "host"))) {
            free(vms);
            return SIM_EIO;
        }
        if ((rc = prepare(p, "SELECT max(capacity_bytes) FROM hosts WHERE run_id = ?", &st)))
            goto out;
        sqlite3_bind_int64(st, 1, run);
        if (sqlite3_step(st) == SQLITE_ROW)
            cap_mib = sqlite3_column_double(st, 0) / 1048576;
        sqlite3_finalize(st);
        fprintf(f, "# time_s free_mib resident_mib host_swapped_mib state   (run %lld; one block per host)\n",
                (long long)run);
        if ((rc = prepare(p,
                          "SELECT host_id, time_ns, free_bytes, resident_bytes, host_swapped_bytes, state"
                          " FROM host_samples WHERE run_id = ? ORDER BY host_id, time_ns", &st)))
            goto out;
        sqlite3_bind_int64(st, 1, run);
        int64_t cur = -1;
        while (sqlite3_step(st) == SQLITE_ROW) {
            int64_t h = sqlite3_column_int64(st, 0);
            if (h != cur) {
                fprintf(f, "%s# block %lld: host %lld\n", nhosts ? "\n\n" : "", (long long)nhosts, (long long)h);
                cur = h;
                nhosts++;
            }
            double t = sqlite3_column_double(st, 1) / 1e9, fr = sqlite3_column_double(st, 2) / 1048576;
            fprintf(f, "%.6g %.6g %.6g %.6g ", t, fr, sqlite3_column_double(st, 3) / 1048576,
                    sqlite3_column_double(st, 4) / 1048576);
            dat_name(f, col_text(st, 5));
            fputc('\n', f);
            if (fr > max_free)
                max_free = fr;
            if (t > max_t)
                max_t = t;
        }
        sqlite3_finalize(st);
        st = NULL;
        if ((rc = close_data(p, f)))
            goto out_nof;
        f = NULL;
    }
    static const char *thr_names[4] = {"high", "soft", "hard", "low"};
    double thr_mib[4] = {0};
    for (int i = 0; i < 4; i++) {
        char v[64];
        double frac;
        char msg[256];
        run_param(p, run, "host", thr_names[i], v, sizeof v);
        thr_mib[i] = v[0] && !sim_units_parse_fraction(v, &frac, msg, sizeof msg) ? frac * cap_mib : -1;
    }

    /* ---- VM data: one panel per VM (<= 6 VMs with samples) or per group (mean per VM) */
    int per_vm = nsampled <= 6;
    strlist_t titles = {0};
    if (nsampled > 0) {
        if (!(f = open_data(p, "vms"))) {
            rc = SIM_EIO;
            goto out_nof;
        }
        fprintf(f, "# time_s usable_mib assigned_mib balloon_mib anon_demand_mib cache_mib n_vms   (run %lld; "
                   "one block per %s)\n", (long long)run, per_vm ? "VM" : "VM group, mean per VM");
        strlist_t groups = {0};
        for (size_t i = 0; i < nvms; i++)
            if (vms[i].nsamples > 0)
                strlist_intern(&groups, vms[i].grp);
        size_t nblocks = per_vm ? nsampled : groups.n;
        rc = prepare(p,
                     per_vm ? "SELECT time_ns, usable_bytes, assigned_bytes, balloon_bytes, anon_demand_bytes,"
                              " cache_bytes, 1 FROM vm_samples WHERE run_id = ?1 AND vm_id = ?2 ORDER BY time_ns"
                            : "SELECT s.time_ns, avg(s.usable_bytes), avg(s.assigned_bytes), avg(s.balloon_bytes),"
                              " avg(s.anon_demand_bytes), avg(s.cache_bytes), count(*) FROM vm_samples s"
                              " JOIN vms v ON v.run_id = s.run_id AND v.vm_id = s.vm_id"
                              " WHERE s.run_id = ?1 AND v.grp = ?3 GROUP BY s.time_ns ORDER BY s.time_ns",
                     &st);
        if (rc) {
            strlist_free(&groups);
            goto out;
        }
        size_t vi = 0;
        for (size_t b = 0; b < nblocks; b++) {
            char title[256];
            sqlite3_reset(st);
            sqlite3_bind_int64(st, 1, run);
            if (per_vm) {
                while (vms[vi].nsamples == 0)
                    vi++;
                sqlite3_bind_int64(st, 2, vms[vi].vm_id);
                snprintf(title, sizeof title, "%s", vms[vi].name);
                if (vms[vi].configured_mib > max_mem)
                    max_mem = vms[vi].configured_mib;
                vi++;
            } else {
                sqlite3_bind_text(st, 3, groups.v[b], -1, SQLITE_STATIC);
                size_t cnt = 0;
                for (size_t i = 0; i < nvms; i++)
                    if (vms[i].nsamples > 0 && !strcmp(vms[i].grp, groups.v[b])) {
                        cnt++;
                        if (vms[i].configured_mib > max_mem)
                            max_mem = vms[i].configured_mib;
                    }
                snprintf(title, sizeof title, "%s (mean of %zu VMs)", groups.v[b], cnt);
            }
            strlist_add(&titles, title);
            fprintf(f, "%s# block %zu: ", b ? "\n\n" : "", b);
            dat_name(f, title);
            fputc('\n', f);
            while (sqlite3_step(st) == SQLITE_ROW) {
                double t = sqlite3_column_double(st, 0) / 1e9;
                fprintf(f, "%.6g", t);
                for (int c = 1; c <= 5; c++) {
                    double mib = sqlite3_column_double(st, c) / 1048576;
                    fprintf(f, " %.6g", mib);
                    if (mib > max_mem)
                        max_mem = mib;
                }
                fprintf(f, " %lld\n", (long long)sqlite3_column_int64(st, 6));
                if (t > max_t)
                    max_t = t;
            }
        }
        sqlite3_finalize(st);
        st = NULL;
        strlist_free(&groups);
        if ((rc = close_data(p, f)))
            goto out_nof;
        f = NULL;
    }

    /* ---- layout (inches): legend strip, host panel, rows of VM panels, x label */
    int npanels = (int)titles.n;
    int cols = npanels <= 1 ? 1 : p->o.slides ? (npanels <= 4 ? 2 : npanels <= 9 ? 3 : 4) : 2;
    int rows = (npanels + cols - 1) / cols;
    double em = p->font_pt / 72.0;                 /* one font height in inches */
    double legend_h = npanels ? 2.4 * em : 0;
    double host_h = nhs > 0 ? (p->o.slides ? 1.6 : 0.85) : 0;
    double row_h = p->o.slides ? 1.3 : 0.75;
    double gap_host = nhs > 0 && npanels ? 3.2 * em : 0;  /* room for the host panel's tick labels */
    double gap_row = 1.6 * em, bottom = 3.4 * em, top = 0.8 * em;
    double left = 5.0 * em, right = 1.2 * em, gap_col = 4.2 * em;
    double h_need = top + legend_h + host_h + gap_host + rows * row_h + (rows > 0 ? (rows - 1) * gap_row : 0) + bottom;
    if (!p->o.has_size) {
        p->h_in = h_need < p->h_in ? p->h_in : h_need;
        if (p->fmt == OUT_PNG)
            p->px_h = (int)lround(p->h_in * (double)p->px_w / p->w_in);
    }
    /* scale the vertical layout to the actual height */
    double vs = p->h_in / h_need;
    double W = p->w_in, H = p->h_in;
    const char *tunit, *munit, *hunit;
    double tdiv = time_div(max_t, &tunit), mdiv = mem_div(max_mem, &munit);
    double hdiv = mem_div(max_free > cap_mib * 0.07 ? max_free : cap_mib * 0.07, &hunit);

    gp_header(p, argc, argv);
    FILE *g = p->gp;
    fprintf(g, "\n# run %lld, policy ", (long long)run);
    fputs(policy[0] ? "" : "?", g);
    gp_comment(p, policy);
    fprintf(g, "tdiv = %g    # seconds per '%s' on the time axis\n", tdiv, tunit);
    fprintf(g, "mdiv = %g    # MiB per '%s' on the VM memory axes\n", mdiv, munit);
    fprintf(g, "hdiv = %g    # MiB per '%s' on the host axis\n", hdiv, hunit);
    fprintf(g, "tmax = %.6g\nset xrange [0:tmax/tdiv]\nset multiplot\n", max_t);
    double y = H - top * vs;   /* inches from the bottom, moving down */
    if (npanels) {
        static const char *vm_series[5] = {"usable", "assigned", "balloon", "anon demand", "page cache"};
        static const int vm_styles[5] = {1, 2, 3, 4, 5};
        frame_t fr = {0, 1, (y - legend_h * vs) / H, y / H};
        gp_legend_strip(p, fr, vm_series, vm_styles, 5, p->o.slides ? 5 : 3);
        y -= legend_h * vs;
    }
    int pi = 1;   /* points every pi samples so that a handful of markers show per line */
    {
        int64_t per = nsampled ? count_rows(p, "SELECT max(c) FROM (SELECT count(*) AS c FROM vm_samples"
                                               " WHERE run_id = ? GROUP BY vm_id)", run)
                               : 0;
        pi = per > 8 ? (int)(per / 6) : 1;
    }
    if (nhs > 0) {
        frame_t fr = {left / W, 1 - right / W, (y - host_h * vs) / H, y / H};
        fputs("\n# host panel: free memory and the state thresholds (% of capacity)\n", g);
        gp_frame(p, fr);
        fputs("set ylabel ", g);
        char lab[64];
        snprintf(lab, sizeof lab, "host free (%s)", hunit);
        gp_str(p, lab);
        fputs("\nset format x ''\nunset xlabel\n", g);
        double ymax = max_free > thr_mib[0] * 1.25 ? max_free * 1.08 : thr_mib[0] * 1.25;
        if (ymax <= 0)
            ymax = 1;
        fprintf(g, "set yrange [0:%.6g/hdiv]\n", ymax);
        /* label thresholds only where they are not crowded */
        double last = -1;
        for (int i = 0; i < 4; i++) {
            if (thr_mib[i] < 0)
                continue;
            fprintf(g, "set arrow %d from graph 0, first %.6g/hdiv to graph 1, first %.6g/hdiv nohead ls 20 back\n",
                    i + 1, thr_mib[i], thr_mib[i]);
            if (last < 0 || last - thr_mib[i] > ymax * 0.11) {
                fprintf(g, "set label %d ", i + 1);
                gp_str(p, thr_names[i]);
                fprintf(g, " at graph 0.995, first %.6g/hdiv right offset 0,0.45 tc rgb '#555555' font ',%g'\n",
                        thr_mib[i], p->font_pt - 1);
                last = thr_mib[i];
            }
        }
        if (nhosts > 1)
            fputs("set key top right horizontal samplen 2\n", g);
        else
            fputs("unset key\n", g);
        fputs("plot ", g);
        int64_t show = nhosts <= 8 ? nhosts : 8;
        for (int64_t h = 0; h < show; h++) {
            fprintf(g, "%s%s index %lld using ($1/tdiv):($2/hdiv) with lines ls %lld title 'host %lld'",
                    h ? ", \\\n     " : "", "", (long long)h, (long long)(h % 8 + 1), (long long)h);
            if (!h) {
                /* the file name goes first: rewrite the first series with it */
            }
        }
        fputs("\n", g);
        y -= (host_h + gap_host) * vs;
        fputs("unset arrow; unset label\n", g);
    }
    if (npanels) {
        double pw = (W - left - right - (cols - 1) * gap_col) / cols;
        fputs("\n# VM panels: same axes everywhere so that panels compare at a glance\nunset key\n", g);
        fprintf(g, "set yrange [0:%.6g/mdiv]\n", max_mem * 1.05);
        for (int i = 0; i < npanels; i++) {
            int r = i / cols, c = i % cols;
            double x0 = left + c * (pw + gap_col);
            double top_y = y - r * (row_h + gap_row) * vs;
            frame_t fr = {x0 / W, (x0 + pw) / W, (top_y - row_h * vs) / H, top_y / H};
            fprintf(g, "\n# panel %d\n", i);
            gp_frame(p, fr);
            int bottom_row = r == rows - 1 || i + cols >= npanels;
            if (bottom_row) {
                fputs("set format x '%g'\nset xlabel ", g);
                char lab[64];
                snprintf(lab, sizeof lab, "time (%s)", tunit);
                gp_str(p, lab);
                fputs("\n", g);
            } else {
                fputs("set format x ''\nunset xlabel\n", g);
            }
            if (c == 0 && r == rows / 2) {
                char lab[64];
                snprintf(lab, sizeof lab, "VM memory (%s)", munit);
                fputs("set ylabel ", g);
                gp_str(p, lab);
                fprintf(g, "%s\n", rows % 2 == 0 ? " offset 0,graph 0.6" : "");
            } else {
                fputs("unset ylabel\n", g);
            }
            fputs(c == 0 ? "set format y '%g'\n" : "set format y ''\n", g);
            fputs("set label 1 ", g);
            gp_str(p, titles.v[i]);
            fprintf(g, " at graph 0.03, graph 0.9 left front font ',%g'\n", p->font_pt - 1);
            fprintf(g, "plot '%s' index %d using ($1/tdiv):($2/mdiv) with linespoints ls 1 pi %d, \\\n"
                       "     '' index %d using ($1/tdiv):($3/mdiv) with linespoints ls 2 pi %d, \\\n"
                       "     '' index %d using ($1/tdiv):($4/mdiv) with linespoints ls 3 pi %d, \\\n"
                       "     '' index %d using ($1/tdiv):($5/mdiv) with linespoints ls 4 pi %d, \\\n"
                       "     '' index %d using ($1/tdiv):($6/mdiv) with linespoints ls 5 pi %d\n",
                    p->data[p->ndata - 1], i, pi, i, pi, i, pi, i, pi, i, pi);
        }
        fputs("unset label\n", g);
    }
    fputs("unset multiplot\n", g);
    rc = SIM_OK;
    goto out_nof;
out:
    if (st)
        sqlite3_finalize(st);
    if (f)
        fclose(f);
out_nof:
    strlist_free(&titles);
    free(vms);
    return rc;
}

int cli_cmd_plot(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs(usage, stderr);
    return 2;
}
