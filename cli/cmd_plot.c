/*
 * cli/cmd_plot.c -- `balloonsim plot`: paper-ready figures from a results database.
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
 *                (the bar is the configured size: models/vm.h C1 and models/guest.h G1).
 *   sweep        a run_summary metric (--metric) against a swept parameter (--x
 *                section.key or an axis name), one line per policy (and per value of any
 *                other axis), mean and 95% confidence interval of the repetitions,
 *                computed from the complete runs' run_summary with stats_summary (as
 *                point_summary is): ci95 = t(0.975, n-1) * sd / sqrt(n), 0 when n = 1.
 *                (point_summary itself is not read: `run` adds runs without rebuilding it.)
 *                A non-numeric x (e.g. policy.name) gives bars with error bars.
 *                --paired POLICY draws instead the mean paired difference to POLICY: each
 *                run's value less that of POLICY's run of the same study and repetition
 *                whose axes are the same but policy.name (common random numbers make
 *                them replay the same workloads; the pairing of table point_diff), with
 *                the 95% CI of the differences (Student t); unpaired runs are left out.
 *   cdf          empirical distribution of a vm_summary metric over VMs (--over vms) or of
 *                a run_summary metric over runs (--over runs), one curve per policy.
 *   balloon-ops  balloon operations (balloon_ops) of one run or of the selected runs:
 *                latency (finished - issued) against size moved (--as scatter) or the
 *                latency CDF (--as cdf), one series per kind (and policy).
 *
 * FILTERS are not SQL: --run N (the 0-based run index of sweep --runs), --policy NAME, --group NAME, --study KEY, or the same as
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
 * single-quoted gnuplot strings ('' for a quote, control characters dropped, %% in tic
 * labels, which gnuplot uses as formats), where gnuplot substitutes nothing (no backquotes,
 * no @macros); the output base name is restricted to [A-Za-z0-9._+,=@-].  Labels are
 * escaped for LaTeX in tex output.
 *
 * SOURCES AND CHOICES.  The thresholds drawn are the run's host.high/soft/hard/low
 * fractions of capacity (ESX free-memory states, docs/policies.md).  The CI is Student's t
 * (known answer: t(0.975, 2) = 4.302653; tests/e2e/plot.sh recomputes one).  Sizes follow
 * measured gnuplot 5.4 behaviour: cairo terminals size fonts at 96 dpi (pdfcairo gets
 * fontscale 0.75 so that 8 means 8 pt), pdfcairo draws linewidth 1 as 0.5 pt, pngcairo one
 * pixel; the png is scaled so that it looks like the pdf at its dpi.  Axis units adapt to
 * the data (MiB below 4 GiB, s up to 10 min, min up to 3 h); data files keep MiB and s.
 *
 * ERRORS.  Exit status 2 and one message: missing/unreadable database, not a balloonsim
 * database (db_open), unknown run, no samples, unknown figure or metric (both listed),
 * gnuplot missing or failing (with the first line of its stderr that names the problem).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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
#include "cli/common.h"
#include "cli/cmd_plot.h"
#include "cli/stats.h"
#include "models/record.h"

/* ================================================================== options */

typedef enum { OUT_PDF, OUT_PNG, OUT_SVG, OUT_TEX } out_fmt_t;

typedef struct plot_opts {
    const char *db_path, *figure, *out;
    int has_run;
    int64_t run_id;
    const char *policy, *group, *study;
    const char *metric, *x, *as, *over, *log;
    const char *paired;        /* sweep: draw differences to this policy's runs */
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
    "                (--metric NAME, --x section.key or axis name; --paired POLICY: the mean paired\n"
    "                difference to POLICY's run of the same repetition and other axes, 95% CI)\n"
    "  cdf           distribution of a metric over VMs or runs (--metric NAME [--over vms|runs])\n"
    "  balloon-ops   latency and size of balloon operations (--as scatter|cdf)\n"
    "filters (not SQL): --run N (0-based run index)  --policy NAME  --group NAME  --study KEY\n"
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
 * in tex output the LaTeX specials are escaped as well; format != 0 doubles '%' (the
 * string is used as a printf format, as explicit tic labels are). */
static void gp_str_x(const plot_t *p, const char *s, int format)
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
        if (c == '%' && format)
            fputc('%', f);          /* explicit tic labels are printf formats: %% */
    }
    fputc('\'', f);
}

static void gp_str(const plot_t *p, const char *s) { gp_str_x(p, s, 0); }

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

/* Close *f (and set it to NULL, so that an error path does not close it again). */
static int close_data(plot_t *p, FILE **fp)
{
    FILE *f = *fp;
    *fp = NULL;
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

/* How a summary metric is shown: the factor from its stored unit (named by its suffix:
 * _bytes, _bytes_per_s, _ns, _s) to the axis unit, chosen by the largest magnitude shown
 * (MiB or GiB; s, min or h), and the axis label "readable name (unit)". */
static void metric_display(const char *metric, double max_abs, double *scale, char *label, size_t len)
{
    char name[256];
    const char *unit = "count";
    snprintf(name, sizeof name, "%s", metric);
    *scale = 1;
    if (ends_with(name, "_bytes_per_s") || ends_with(name, "_bytes")) {
        int rate = ends_with(name, "_bytes_per_s");
        name[strlen(name) - (rate ? 12 : 6)] = 0;
        *scale = 1.0 / mem_div(max_abs / 1048576, &unit) / 1048576;
        unit = rate ? (*scale < 1.0 / 1048576 ? "GiB/s" : "MiB/s") : unit;
    } else if (ends_with(name, "_ns") || ends_with(name, "_s")) {
        int ns = ends_with(name, "_ns");
        name[strlen(name) - (ns ? 3 : 2)] = 0;
        double base = ns ? 1e-9 : 1;
        *scale = base / time_div(max_abs * base, &unit);
    } else if (strstr(name, "slowdown")) {
        unit = "factor";
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
        /* cairo sizes fonts at 96 dpi: fontscale 0.75 makes 8 mean 8 pt */
        fprintf(f, "set terminal pdfcairo size %.3gin,%.3gin font 'Helvetica,%g' fontscale 0.75 linewidth %g"
                   " noenhanced\n", p->w_in, p->h_in, p->font_pt, lw);
        break;
    case OUT_PNG: {
        /* pngcairo sizes fonts at 96 px per inch and draws linewidth 1 one pixel wide; scale both
         * to our dpi so that the png looks like the pdf (where linewidth 1 is 0.5 pt) */
        double dpi = (double)p->px_w / p->w_in;
        fprintf(f, "set terminal pngcairo size %d,%d font 'Helvetica,%g' fontscale %.4g linewidth %.4g"
                   " pointscale %.4g noenhanced background '#ffffff'\n",
                p->px_w, p->px_h, p->font_pt, dpi / 96, lw * dpi / 144, dpi / 144);
        break;
    }
    case OUT_SVG:
        fprintf(f, "set terminal svg size %d,%d font 'Helvetica,%g' linewidth %g noenhanced background '#ffffff'\n",
                (int)lround(p->w_in * 72), (int)lround(p->h_in * 72), p->font_pt, lw);
        break;
    case OUT_TEX:
        /* text is typeset by LaTeX (always "noenhanced"); fontscale only guides gnuplot's layout */
        fprintf(f, "set terminal cairolatex pdf size %.3gin,%.3gin linewidth %g fontscale 0.75\n", p->w_in,
                p->h_in, lw);
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
          "set border 3 lw 1\nset xtics nomirror out scale 0.6\nset ytics nomirror out scale 0.6\n"
          "set grid ytics lc rgb '#dddddd' lw 1 dt 1\n"
          "set key samplen 2.5 spacing 1.0\n", p->gp);
}

/* Header of every script: provenance, how to regenerate, terminal, styles. */
static void gp_header(plot_t *p, int argc, char **argv)
{
    char line[2048];
    size_t k = 0;
    snprintf(line, sizeof line,
             "written by balloonsim plot; restyle it here, then in this directory run: gnuplot %s.gp", p->stem);
    gp_comment(p, line);
    line[0] = 0;
    for (int i = 0; i < argc && k < sizeof line; i++)   /* argv[0] is "plot" */
        k += (size_t)snprintf(line + k, sizeof line - k, "%s%s", i ? " " : "balloonsim ", argv[i]);
    gp_comment(p, line);
    for (int i = 0; i < p->ndata; i++) {
        snprintf(line, sizeof line, "data: %s", p->data[i]);
        gp_comment(p, line);
    }
    gp_terminal(p);
    gp_styles(p);
}

/* ================================================================== database access */

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

/* --run N is the 0-based run index that `sweep --runs`, `--dry-run` and v_runs.run use
 * (issue 21), not the database's run_id; with several studies in the database, --study KEY
 * picks one.  Sets p->o.run_id to the run's run_id. */
static int resolve_run(plot_t *p)
{
    if (!p->o.has_run)
        return SIM_OK;
    sqlite3_stmt *st;
    int rc = prepare(p, "SELECT run_id, study_key FROM runs WHERE run_index = ?1 AND (?2 IS NULL OR study_key = ?2)"
                        " ORDER BY run_id", &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, p->o.run_id);
    if (p->o.study)
        sqlite3_bind_text(st, 2, p->o.study, -1, SQLITE_STATIC);
    int64_t n = 0, id = 0;
    char keys[256] = "";
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (n++ == 0)
            id = sqlite3_column_int64(st, 0);
        size_t used = strlen(keys);
        if (used < 200)
            snprintf(keys + used, sizeof keys - used, "%s%s", used ? ", " : "", col_text(st, 1));
    }
    sqlite3_finalize(st);
    if (n > 1)
        return fail(p, "run %lld exists in %lld studies of %s (%s): add --study KEY", (long long)p->o.run_id,
                    (long long)n, p->o.db_path, keys);
    if (n == 1) {
        p->o.run_id = id;
        return SIM_OK;
    }
    if ((rc = prepare(p, "SELECT max(run_index), count(*) FROM runs WHERE ?1 IS NULL OR study_key = ?1", &st)))
        return rc;
    if (p->o.study)
        sqlite3_bind_text(st, 1, p->o.study, -1, SQLITE_STATIC);
    sqlite3_step(st);
    int64_t hi = sqlite3_column_int64(st, 0), cnt = sqlite3_column_int64(st, 1);
    sqlite3_finalize(st);
    if (cnt == 0)
        return fail(p, "no run %lld in %s: it holds no runs", (long long)p->o.run_id, p->o.db_path);
    return fail(p, "no run %lld in %s (run indexes are 0-based, as in sweep --runs: 0..%lld)",
                (long long)p->o.run_id, p->o.db_path, (long long)hi);
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

/* "no samples for run N: ..." naming the run's `output` level when it explains why. */
static int no_samples(plot_t *p, int64_t run, const char *what)
{
    char output[64];
    run_param(p, run, "simulation", "output", output, sizeof output);
    if (!strcmp(output, "host") && what[0])
        return fail(p, "no %ssamples for run %lld: it was run with output = host (VM samples need output = vm)",
                    what, (long long)run);
    if (!strcmp(output, "vm"))
        return fail(p, "no %ssamples for run %lld%s%s (simulation.output.vms leaves them out?)", what,
                    (long long)run, p->o.group ? " in group " : "", p->o.group ? p->o.group : "");
    return fail(p, "no %ssamples for run %lld: was it run with output = summary?", what, (long long)run);
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

/* ================================================================== script helpers */

static void gp_file(plot_t *p, const char *name)
{
    out_fmt_t keep = p->fmt;     /* a file name is not a label: no LaTeX escaping */
    p->fmt = OUT_PDF;
    gp_str(p, name);
    p->fmt = keep;
}

/* `set WHAT 'LABEL'` with a printf-formatted, escaped label. */
__attribute__((format(printf, 3, 4)))
static void gp_set(plot_t *p, const char *what, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fprintf(p->gp, "set %s ", what);
    gp_str(p, buf);
    fputc('\n', p->gp);
}

static void gp_logscale(plot_t *p)
{
    if (!p->o.log)
        return;
    if (strchr(p->o.log, 'x'))
        fputs("set logscale x\n", p->gp);
    if (strchr(p->o.log, 'y'))
        fputs("set logscale y\n", p->gp);
}

/* A tick step giving at most max_ticks intervals over range: 1, 2, 3, 5 or 6 times a power of
 * ten for time axes (30 min, 6 h), 1, 2 or 5 otherwise. */
static double nice_step(double range, double max_ticks, int time_axis)
{
    static const double t[] = {1, 2, 3, 5, 6, 10}, o[] = {1, 2, 5, 10};
    const double *m = time_axis ? t : o;
    size_t n = time_axis ? 6 : 4;
    double raw = range / (max_ticks > 1 ? max_ticks : 1);
    if (!(raw > 0))
        return 1;
    double p10 = pow(10, floor(log10(raw)));
    for (size_t i = 0; i < n; i++)
        if (m[i] * p10 >= raw * (1 - 1e-9))
            return m[i] * p10;
    return 10 * p10;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* ================================================================== timeline */

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
        gp_str(p, titles[i]);
    }
    fputs("\nset border 3; set xtics nomirror; set ytics nomirror; set grid ytics\n", f);
}

static int fig_timeline(plot_t *p, int argc, char **argv)
{
    int64_t run;
    char policy[128];
    vm_row_t *vms = NULL;
    size_t nvms = 0;
    strlist_t titles = {0}, groups = {0};
    sqlite3_stmt *st = NULL;
    FILE *f = NULL;
    const char *host_dat = NULL, *vm_dat = NULL;
    int rc;
    if ((rc = pick_run(p, &run, policy, sizeof policy)) || (rc = load_vms(p, run, &vms, &nvms)))
        return rc;
    int64_t nhs = count_rows(p, "SELECT count(*) FROM host_samples WHERE run_id = ?", run);
    int64_t nhosts = count_rows(p, "SELECT count(DISTINCT host_id) FROM host_samples WHERE run_id = ?", run);
    size_t nsampled = 0;
    for (size_t i = 0; i < nvms; i++)
        nsampled += vms[i].nsamples > 0;
    if (nhs <= 0 && nsampled == 0) {
        free(vms);
        return no_samples(p, run, "");
    }

    /* ---- host data: free memory per host (or mean/min/max over > 4 hosts) */
    double cap_mib = 0, max_free = 0, max_t = 0, max_mem = 0;
    int host_agg = nhosts > 4;
    if (nhs > 0) {
        if ((rc = prepare(p, "SELECT max(capacity_bytes) FROM hosts WHERE run_id = ?", &st)))
            goto out;
        sqlite3_bind_int64(st, 1, run);
        if (sqlite3_step(st) == SQLITE_ROW)
            cap_mib = sqlite3_column_double(st, 0) / 1048576;
        sqlite3_finalize(st);
        st = NULL;
        if (!(f = open_data(p, "host"))) {
            rc = SIM_EIO;
            goto out;
        }
        host_dat = p->data[p->ndata - 1];
        if (host_agg) {
            fprintf(f, "# time_s mean_free_mib min_free_mib max_free_mib hosts   (run %lld; over %lld hosts)\n",
                    (long long)run, (long long)nhosts);
            rc = prepare(p, "SELECT time_ns, avg(free_bytes), min(free_bytes), max(free_bytes), count(*)"
                            " FROM host_samples WHERE run_id = ? GROUP BY time_ns ORDER BY time_ns", &st);
        } else {
            fprintf(f, "# time_s free_mib resident_mib host_swapped_mib state   (run %lld; one block per host)\n",
                    (long long)run);
            rc = prepare(p, "SELECT time_ns, free_bytes, resident_bytes, host_swapped_bytes, state, host_id"
                            " FROM host_samples WHERE run_id = ? ORDER BY host_id, time_ns", &st);
        }
        if (rc)
            goto out;
        sqlite3_bind_int64(st, 1, run);
        int64_t cur = -1, blocks = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
            double t = sqlite3_column_double(st, 0) / 1e9;
            if (host_agg) {
                double m = sqlite3_column_double(st, 1) / 1048576, hi = sqlite3_column_double(st, 3) / 1048576;
                fprintf(f, "%.6g %.6g %.6g %.6g %lld\n", t, m, sqlite3_column_double(st, 2) / 1048576, hi,
                        (long long)sqlite3_column_int64(st, 4));
                max_free = hi > max_free ? hi : max_free;
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
                dat_name(f, col_text(st, 4));
                fputc('\n', f);
                max_free = fr > max_free ? fr : max_free;
            }
            max_t = t > max_t ? t : max_t;
        }
        sqlite3_finalize(st);
        st = NULL;
        rc = close_data(p, &f);
        if (rc)
            goto out;
    }
    static const char *thr_names[4] = {"high", "soft", "hard", "low"};
    double thr_mib[4];
    for (int i = 0; i < 4; i++) {
        char v[64], msg[256];
        double frac;
        run_param(p, run, "host", thr_names[i], v, sizeof v);
        thr_mib[i] = v[0] && cap_mib > 0 && !sim_units_parse_fraction(v, &frac, msg, sizeof msg) ? frac * cap_mib : -1;
    }

    /* ---- VM data: one block per VM (<= 6 VMs with samples) or per group (mean per VM) */
    int per_vm = nsampled <= 6;
    int64_t per_line = 0;
    if (nsampled > 0) {
        if (!(f = open_data(p, "vms"))) {
            rc = SIM_EIO;
            goto out;
        }
        vm_dat = p->data[p->ndata - 1];
        fprintf(f, "# time_s usable_mib assigned_mib balloon_mib anon_demand_mib cache_mib vms   (run %lld; "
                   "one block per %s)\n", (long long)run, per_vm ? "VM" : "VM group, mean per VM");
        for (size_t i = 0; i < nvms; i++)
            if (vms[i].nsamples > 0)
                strlist_intern(&groups, vms[i].grp);
        size_t nblocks = per_vm ? nsampled : groups.n;
        if ((rc = prepare(p,
                          per_vm ? "SELECT time_ns, usable_bytes, assigned_bytes, balloon_bytes, anon_demand_bytes,"
                                   " cache_bytes, 1 FROM vm_samples WHERE run_id = ?1 AND vm_id = ?2 ORDER BY time_ns"
                                 : "SELECT s.time_ns, avg(s.usable_bytes), avg(s.assigned_bytes), avg(s.balloon_bytes),"
                                   " avg(s.anon_demand_bytes), avg(s.cache_bytes), count(*) FROM vm_samples s"
                                   " JOIN vms v ON v.run_id = s.run_id AND v.vm_id = s.vm_id"
                                   " WHERE s.run_id = ?1 AND v.grp = ?3 GROUP BY s.time_ns ORDER BY s.time_ns",
                          &st)))
            goto out;
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
                max_mem = vms[vi].configured_mib > max_mem ? vms[vi].configured_mib : max_mem;
                vi++;
            } else {
                sqlite3_bind_text(st, 3, groups.v[b], -1, SQLITE_STATIC);
                size_t cnt = 0;
                for (size_t i = 0; i < nvms; i++)
                    if (vms[i].nsamples > 0 && !strcmp(vms[i].grp, groups.v[b])) {
                        cnt++;
                        max_mem = vms[i].configured_mib > max_mem ? vms[i].configured_mib : max_mem;
                    }
                snprintf(title, sizeof title, "%s (mean of %zu VMs)", groups.v[b], cnt);
            }
            strlist_add(&titles, title);
            fprintf(f, "%s# block %zu: ", b ? "\n\n" : "", b);
            dat_name(f, title);
            fputc('\n', f);
            int64_t rows = 0;
            while (sqlite3_step(st) == SQLITE_ROW) {
                double t = sqlite3_column_double(st, 0) / 1e9;
                fprintf(f, "%.6g", t);
                for (int c = 1; c <= 5; c++) {
                    double mib = sqlite3_column_double(st, c) / 1048576;
                    fprintf(f, " %.6g", mib);
                    max_mem = mib > max_mem ? mib : max_mem;
                }
                fprintf(f, " %lld\n", (long long)sqlite3_column_int64(st, 6));
                max_t = t > max_t ? t : max_t;
                rows++;
            }
            per_line = rows > per_line ? rows : per_line;
        }
        sqlite3_finalize(st);
        st = NULL;
        rc = close_data(p, &f);
        if (rc)
            goto out;
    }

    /* ---- layout in inches: legend strip, host panel, rows of VM panels, x label */
    max_t = max_t > 0 ? max_t : 1;           /* a run of one sample still gets axes */
    max_mem = max_mem > 0 ? max_mem : 1;
    int npanels = (int)titles.n;
    int cols = npanels <= 1 ? 1 : p->o.slides ? (npanels <= 4 ? npanels : npanels <= 12 ? 4 : 5) : 2;
    int rows = (npanels + cols - 1) / cols;
    double em = p->font_pt / 72.0;                          /* one font height, inches */
    double legend_h = npanels ? 2.6 * em : 0;
    double host_h = nhs > 0 ? (p->o.slides ? 1.5 : 0.8) : 0;
    double row_h = p->o.slides ? 1.25 : 0.7;
    double gap_host = nhs > 0 && npanels ? 1.6 * em : 0;
    double gap_row = 1.2 * em, bottom = 3.4 * em, top = 0.6 * em;
    int have_thr = nhs > 0 && thr_mib[0] > 0;
    double left = 5.2 * em, right = (have_thr ? 3.0 : 1.0) * em, gap_col = 3.0 * em;
    double h_need = top + legend_h + host_h + gap_host + rows * row_h + (rows > 1 ? (rows - 1) * gap_row : 0) + bottom;
    if (!p->o.has_size && !p->o.slides) {   /* paper grows with its panels; slides stay 16:9 */
        p->h_in = h_need > p->h_in || npanels ? h_need : p->h_in;
        if (p->fmt == OUT_PNG)
            p->px_h = (int)lround(p->h_in * (double)p->px_w / p->w_in);
    }
    /* a height other than h_need stretches or squeezes the panels, never the text margins */
    double fixed = h_need - host_h - rows * row_h;
    double flex = (p->h_in - fixed) / (host_h + rows * row_h);
    flex = flex < 0.3 ? 0.3 : flex;
    host_h *= flex;
    row_h *= flex;
    double W = p->w_in, H = p->h_in;
    const char *tunit, *munit, *hunit;
    double tdiv = time_div(max_t, &tunit), mdiv = mem_div(max_mem, &munit);
    double host_top = max_free > thr_mib[0] * 1.3 ? max_free * 1.08 : thr_mib[0] * 1.3;
    if (host_top <= 0)
        host_top = 1;
    double hdiv = mem_div(host_top, &hunit);

    gp_header(p, argc, argv);
    FILE *g = p->gp;
    {
        char line[256];
        snprintf(line, sizeof line, "run %lld, policy %s", (long long)run, policy);
        fputc('\n', g);
        gp_comment(p, line);
    }
    fprintf(g, "tdiv = %g    # seconds per %s on the time axis\n", tdiv, tunit);
    fprintf(g, "mdiv = %g    # MiB per %s on the VM memory axes\n", mdiv, munit);
    fprintf(g, "hdiv = %g    # MiB per %s on the host axis\n", hdiv, hunit);
    fputs("set multiplot\n", g);
    double y = H - top;               /* inches from the bottom, moving down */
    if (npanels) {
        static const char *series[5] = {"usable", "assigned", "balloon", "anon demand", "page cache"};
        static const int styles[5] = {1, 2, 3, 4, 5};
        frame_t fr = {left / W, 1 - right / W, (y - legend_h) / H, y / H};
        gp_legend_strip(p, fr, series, styles, 5, p->o.slides ? 5 : 3);
        y -= legend_h;
    }
    int pi = per_line > 12 ? (int)(per_line / 8) : 1;   /* about 8 markers per line */
    if (nhs > 0) {
        frame_t fr = {left / W, 1 - right / W, (y - host_h) / H, y / H};
        fputs("\n# host panel: free memory and the state thresholds (fractions of capacity)\n", g);
        gp_frame(p, fr);
        fprintf(g, "set xrange [0:%.6g/tdiv]\nset xtics %g\n", max_t,
                nice_step(max_t / tdiv, (W - left - right) / (3.0 * em), 1));
        fputs(nhosts > 1 ? "set key top right horizontal\n" : "unset key\n", g);
        gp_set(p, "ylabel", "host free (%s)", hunit);
        if (npanels) {
            fputs("set format x ''\nunset xlabel\n", g);
        } else {
            fputs("set format x '%g'\n", g);
            gp_set(p, "xlabel", "time (%s)", tunit);
        }
        fprintf(g, "set format y '%%g'\nset yrange [0:%.6g/hdiv]\nset ytics %g\n", host_top,
                nice_step(host_top / hdiv, host_h / (1.8 * em), 0));
        double last = -1;
        for (int i = 0; i < 4; i++) {
            if (thr_mib[i] < 0)
                continue;
            fprintf(g, "set arrow %d from graph 0, first %.6g/hdiv to graph 1, first %.6g/hdiv nohead ls 20 back\n",
                    i + 1, thr_mib[i], thr_mib[i]);
            if (last < 0 || last - thr_mib[i] > host_top * em * 1.1 / host_h) {   /* label uncrowded lines */
                fprintf(g, "set label %d ", i + 1);
                gp_str(p, thr_names[i]);
                fprintf(g, " at graph 1.01, first %.6g/hdiv left tc rgb '#555555' font ',%g'\n",
                        thr_mib[i], p->font_pt - 1);
                last = thr_mib[i];
            }
        }
        fputs("plot ", g);
        gp_file(p, host_dat);
        if (host_agg) {
            fprintf(g, " using ($1/tdiv):($3/hdiv):($4/hdiv) with filledcurves fc rgb '#c6dbef'"
                       " title 'min-max of %lld hosts', \\\n"
                       "     '' using ($1/tdiv):($2/hdiv) with lines ls 1 title 'mean'\n", (long long)nhosts);
        } else {
            for (int64_t h = 0; h < nhosts; h++)
                fprintf(g, "%s index %lld using ($1/tdiv):($2/hdiv) with lines ls %lld title 'host %lld'",
                        h ? ", \\\n     ''" : "", (long long)h, (long long)(h + 1), (long long)h);
            fputc('\n', g);
        }
        y -= (host_h + gap_host);
        fputs("unset arrow; unset label\n", g);
    }
    if (npanels) {
        double pw = (W - left - right - (cols - 1) * gap_col) / cols;
        fputs("\n# VM panels: the same axes everywhere so that panels compare at a glance\nunset key\n", g);
        fprintf(g, "set xrange [0:%.6g/tdiv]\nset xtics %g\n", max_t, nice_step(max_t / tdiv, pw / (2.2 * em), 1));
        fprintf(g, "set yrange [0:%.6g/mdiv]\nset ytics %g\n", max_mem * 1.3,
                nice_step(max_mem * 1.3 / mdiv, row_h / (1.8 * em), 0));
        for (int i = 0; i < npanels; i++) {
            int r = i / cols, c = i % cols;
            double x0 = left + c * (pw + gap_col);
            double top_y = y - r * (row_h + gap_row);
            frame_t fr = {x0 / W, (x0 + pw) / W, (top_y - row_h) / H, top_y / H};
            fprintf(g, "\n# panel %d\n", i);
            gp_frame(p, fr);
            if (i + cols >= npanels) {      /* nothing below: tick labels and the x label */
                fputs("set format x '%g'\n", g);
                gp_set(p, "xlabel", "time (%s)", tunit);
            } else {
                fputs("set format x ''\nunset xlabel\n", g);
            }
            if (c == 0 && r == (rows - 1) / 2) {
                gp_set(p, "ylabel", "%s (%s)", rows > 1 ? "VM memory" : "memory", munit);
                if (rows % 2 == 0)   /* centre it between the two middle rows */
                    fprintf(g, "set ylabel offset 0,-%.3f\n", (row_h + gap_row) / 2 / em);
            } else {
                fputs("unset ylabel\n", g);
            }
            fputs(c == 0 ? "set format y '%g'\n" : "set format y ''\n", g);
            fputs("set label 1 ", g);
            gp_str(p, titles.v[i]);
            fprintf(g, " at graph 0.03, graph 0.88 left front font ',%g'\n", p->font_pt - 1);
            fputs("plot ", g);
            gp_file(p, vm_dat);
            fprintf(g, " index %d using ($1/tdiv):($2/mdiv) with linespoints ls 1 pi %d, \\\n"
                       "     '' index %d using ($1/tdiv):($3/mdiv) with linespoints ls 2 pi %d, \\\n"
                       "     '' index %d using ($1/tdiv):($4/mdiv) with linespoints ls 3 pi %d, \\\n"
                       "     '' index %d using ($1/tdiv):($5/mdiv) with linespoints ls 4 pi %d, \\\n"
                       "     '' index %d using ($1/tdiv):($6/mdiv) with linespoints ls 5 pi %d\n",
                    i, pi, i, pi, i, pi, i, pi, i, pi);
        }
        fputs("unset label\n", g);
    }
    fputs("unset multiplot\n", g);
    rc = SIM_OK;
out:
    if (st)
        sqlite3_finalize(st);
    if (f)
        fclose(f);
    strlist_free(&titles);
    strlist_free(&groups);
    free(vms);
    return rc;
}

/* xtics naming categories 0..n-1: level when they fit their slots, else rotated by 45
 * degrees, and only every step-th when even that is too dense (0.55 em per character;
 * rotated labels need about 1.5 em apart).  The plot is about 1 in narrower than the figure. */
static void gp_category_tics(plot_t *p, const strlist_t *names)
{
    double em = p->font_pt / 72, slot_in = (p->w_in - 1.0) / (double)(names->n ? names->n : 1);
    size_t longest = 0, step = 1;
    for (size_t i = 0; i < names->n; i++)
        longest = strlen(names->v[i]) > longest ? strlen(names->v[i]) : longest;
    int rotate = (double)longest * 0.55 * em > 0.9 * slot_in;
    if (rotate)
        step = (size_t)ceil(1.5 * em / slot_in);
    fputs("set xtics (", p->gp);
    for (size_t i = 0; i < names->n; i += step) {
        fputs(i ? ", " : "", p->gp);
        gp_str_x(p, names->v[i], 1);
        fprintf(p->gp, " %zu", i);
    }
    fputs(rotate ? ") rotate by 45 right\n" : ")\n", p->gp);
}

/* ================================================================== allocation */

static int fig_allocation(plot_t *p, int argc, char **argv)
{
    int64_t run;
    char policy[128];
    int rc;
    vm_row_t *vms = NULL;
    size_t nvms = 0;
    if ((rc = pick_run(p, &run, policy, sizeof policy)) || (rc = load_vms(p, run, &vms, &nvms)))
        return rc;
    free(vms);
    int64_t at_ns = p->o.has_at ? (int64_t)llround(p->o.at_s * 1e9) : INT64_MAX;
    sqlite3_stmt *st;
    if ((rc = prepare(p,
                      "SELECT v.name, v.configured_bytes, s.time_ns, s.assigned_bytes, s.balloon_bytes,"
                      " s.usable_bytes, s.anon_bytes, s.cache_bytes, s.free_bytes, s.host_swapped_bytes, v.vm_id"
                      " FROM vms v JOIN vm_samples s ON s.run_id = v.run_id AND s.vm_id = v.vm_id"
                      " WHERE v.run_id = ?1 AND (?2 IS NULL OR v.grp = ?2) AND s.time_ns ="
                      " (SELECT max(time_ns) FROM vm_samples s2 WHERE s2.run_id = v.run_id AND s2.vm_id = v.vm_id"
                      "  AND s2.time_ns <= ?3) ORDER BY v.vm_id", &st)))
        return rc;
    sqlite3_bind_int64(st, 1, run);
    if (p->o.group)
        sqlite3_bind_text(st, 2, p->o.group, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, at_ns);
    FILE *f = open_data(p, NULL);
    if (!f) {
        sqlite3_finalize(st);
        return SIM_EIO;
    }
    fprintf(f, "# index name kernel_mib anon_mib cache_mib free_mib balloon_mib unassigned_mib host_swapped_mib"
               " configured_mib time_s vm_id   (run %lld)\n", (long long)run);
    strlist_t names = {0};
    double max_cfg = 0, t_s = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const double M = 1048576;
        double cfg = sqlite3_column_double(st, 1) / M, assigned = sqlite3_column_double(st, 3) / M;
        double balloon = sqlite3_column_double(st, 4) / M, usable = sqlite3_column_double(st, 5) / M;
        double anon = sqlite3_column_double(st, 6) / M, cache = sqlite3_column_double(st, 7) / M;
        double fr = sqlite3_column_double(st, 8) / M, hsw = sqlite3_column_double(st, 9) / M;
        double kernel = usable - anon - cache - fr, unassigned = cfg - assigned;
        double t = sqlite3_column_double(st, 2) / 1e9;
        size_t i = strlist_add(&names, col_text(st, 0));
        fprintf(f, "%zu ", i);
        dat_name(f, names.v[i]);
        fprintf(f, " %.6g %.6g %.6g %.6g %.6g %.6g %.6g %.6g %.6g %lld\n", kernel > 0 ? kernel : 0, anon, cache, fr,
                balloon, unassigned > 0 ? unassigned : 0, hsw, cfg, t, (long long)sqlite3_column_int64(st, 10));
        max_cfg = cfg > max_cfg ? cfg : max_cfg;
        max_cfg = assigned > max_cfg ? assigned : max_cfg;   /* hot-add may pass the configured size */
        t_s = t > t_s ? t : t_s;
    }
    sqlite3_finalize(st);
    rc = close_data(p, &f);
    if (!rc && names.n == 0) {
        int64_t any = count_rows(p, "SELECT min(time_ns) FROM vm_samples WHERE run_id = ?", run);
        if (count_rows(p, "SELECT count(*) FROM vm_samples WHERE run_id = ?", run) <= 0)
            rc = no_samples(p, run, "VM ");
        else
            rc = fail(p, "no VM samples at or before t = %g s in run %lld (the first is at %g s)", p->o.at_s,
                      (long long)run, (double)any / 1e9);
    }
    if (rc) {
        strlist_free(&names);
        return rc;
    }
    const char *munit, *tunit;
    max_cfg = max_cfg > 0 ? max_cfg : 1;
    double mdiv = mem_div(max_cfg, &munit), tdiv = time_div(t_s, &tunit);
    gp_header(p, argc, argv);
    FILE *g = p->gp;
    char line[256];
    snprintf(line, sizeof line, "run %lld, policy %s, at t = %g s", (long long)run, policy, t_s);
    gp_comment(p, line);
    fprintf(g, "mdiv = %g    # MiB per %s\n", mdiv, munit);
    fputs("set style data histograms\nset style histogram rowstacked\nset boxwidth 0.75 relative\n"
          "set style fill solid 1.0 border lc rgb '#333333'\n", g);
    gp_set(p, "ylabel", "memory (%s)", munit);
    gp_set(p, "xlabel", "VM, at t = %.4g %s", t_s / tdiv, tunit);
    fprintf(g, "set yrange [0:%.6g/mdiv]\nset xrange [-0.6:%zu-0.4]\n", max_cfg * 1.02, names.n);
    gp_category_tics(p, &names);
    fputs("set key outside top center horizontal maxrows 2 reverse Left samplen 1.5\nset grid noxtics\n", g);
    fputs("# components stack to the configured size: kernel + anon + cache + free = usable;"
          " + balloon = assigned; + unassigned = configured\n", g);
    fputs("plot ", g);
    gp_file(p, p->data[p->ndata - 1]);
    fputs(" using ($3/mdiv) title 'kernel' lc rgb '#555555', \\\n"
          "     '' using ($4/mdiv) title 'anon' lc rgb '#0072B2', \\\n"
          "     '' using ($5/mdiv) title 'page cache' lc rgb '#9ecae1', \\\n"
          "     '' using ($6/mdiv) title 'free' lc rgb '#ffffff', \\\n"
          "     '' using ($7/mdiv) title 'balloon' lc rgb '#D55E00' fs pattern 2 border lc rgb '#333333', \\\n"
          "     '' using ($8/mdiv) title 'not assigned' lc rgb '#888888' fs pattern 4 border lc rgb '#333333'\n", g);
    strlist_free(&names);
    return SIM_OK;
}

/* ================================================================== axes text */

/* Value of axis `name` in an axes string "tau=0.25, vm web.count=4"; 1 if found. */
static int axis_value(const char *axes, const char *name, char *buf, size_t len)
{
    size_t nl = strlen(name);
    const char *s = axes;
    while (s && *s) {
        while (*s == ' ' || *s == ',')
            s++;
        const char *end = strstr(s, ", ");
        size_t itemlen = end ? (size_t)(end - s) : strlen(s);
        if (itemlen > nl && !strncmp(s, name, nl) && s[nl] == '=') {
            size_t vl = itemlen - nl - 1;
            snprintf(buf, len, "%.*s", (int)vl, s + nl + 1);
            return 1;
        }
        s = end;
    }
    return 0;
}

static void axis_names(const char *axes, strlist_t *out)
{
    const char *s = axes;
    while (s && *s) {
        while (*s == ' ' || *s == ',')
            s++;
        const char *end = strstr(s, ", ");
        const char *eq = strchr(s, '=');
        if (eq && (!end || eq < end)) {
            char name[256];
            snprintf(name, sizeof name, "%.*s", (int)(eq - s), s);
            strlist_intern(out, name);
        }
        s = end;
    }
}

/* ================================================================== metrics */

/* Distinct metric names of a summary table. */
static int metric_list(plot_t *p, const char *table, strlist_t *out)
{
    char sql[128];
    sqlite3_stmt *st;
    int rc;
    snprintf(sql, sizeof sql, "SELECT DISTINCT metric FROM %s ORDER BY metric", table);   /* fixed table names */
    if ((rc = prepare(p, sql, &st)))
        return rc;
    while (sqlite3_step(st) == SQLITE_ROW)
        strlist_add(out, col_text(st, 0));
    sqlite3_finalize(st);
    return SIM_OK;
}

static int unknown_metric(plot_t *p, const char *metric, const char *what, const strlist_t *l)
{
    char list[4096];
    strlist_join(l, list, sizeof list);
    return fail(p, "unknown metric '%s' (%s metrics: %s)", metric, what, l->n ? list : "none: no complete runs");
}

/* ================================================================== sweep */

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
        axis_value(pts[i].axes, a, vi, sizeof vi);
        for (size_t j = i + 1; j < n; j++) {
            const char *ki = by ? pts[i].policy : pts[i].xtext, *kj = by ? pts[j].policy : pts[j].xtext;
            if (strcmp(ki, kj))
                continue;
            vj[0] = 0;
            axis_value(pts[j].axes, a, vj, sizeof vj);
            if (strcmp(vi, vj))
                return 0;
        }
    }
    return 1;
}

static int fig_sweep(plot_t *p, int argc, char **argv)
{
    int rc;
    sqlite3_stmt *st = NULL;
    strlist_t metrics = {0}, axes = {0}, lines = {0}, cats = {0};
    sw_pt_t *pts = NULL;
    size_t npts = 0, cap = 0;
    const char *metric = p->o.metric ? p->o.metric : "mean_slowdown";
    char section[256] = "", key[256] = "";
    if (p->o.has_run || p->o.group)
        return fail(p, "--%s does not apply to figure sweep (it draws many runs: use --policy or --study)",
                    p->o.has_run ? "run" : "group");
    if ((rc = metric_list(p, "run_summary", &metrics)))
        return rc;
    if (strlist_find(&metrics, metric) < 0) {
        rc = unknown_metric(p, metric, "run_summary", &metrics);
        goto out;
    }
    /* the axes of the selected runs */
    if ((rc = prepare(p, "SELECT DISTINCT axes FROM runs WHERE status = 'complete' AND (?1 IS NULL OR policy = ?1)"
                         " AND (?2 IS NULL OR study_key = ?2) ORDER BY run_id", &st)))
        goto out;
    if (p->o.policy)
        sqlite3_bind_text(st, 1, p->o.policy, -1, SQLITE_STATIC);
    if (p->o.study)
        sqlite3_bind_text(st, 2, p->o.study, -1, SQLITE_STATIC);
    int nruns = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        axis_names(col_text(st, 0), &axes);
        nruns++;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (!nruns) {
        rc = fail(p, "no complete runs in %s%s%s", p->o.db_path, p->o.policy ? " with policy " : "",
                  p->o.policy ? p->o.policy : "");
        goto out;
    }
    const char *xname = p->o.x;
    if (!xname) {
        if (!axes.n) {
            rc = fail(p, "no swept parameter: the selected runs have no axes; give --x section.key");
            goto out;
        }
        xname = axes.v[0];
    }
    /* x from run_params (section.key; section = text before the first dot) or from the axes */
    int from_params = 0;
    const char *dot = strchr(xname, '.');
    if (dot) {
        snprintf(section, sizeof section, "%.*s", (int)(dot - xname), xname);
        snprintf(key, sizeof key, "%s", dot + 1);
        if ((rc = prepare(p, "SELECT count(*) FROM run_params WHERE section = ? AND key = ?", &st)))
            goto out;
        sqlite3_bind_text(st, 1, section, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
        from_params = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0;
        sqlite3_finalize(st);
        st = NULL;
    }
    if (!from_params && strlist_find(&axes, xname) < 0) {
        char list[2048];
        strlist_join(&axes, list, sizeof list);
        rc = fail(p, "unknown --x '%s': not an axis of the selected runs (%s) nor a stored parameter section.key",
                  xname, axes.n ? list : "they have none");
        goto out;
    }
    /* points: aggregated from run_summary (point_summary is left alone: only sweep and
     * merge rebuild it, so it can miss runs that `run` added since).  --paired P: each
     * run's value less that of P's run of the same study and repetition whose axes are the
     * same but policy.name (as table point_diff pairs them); runs without one are left out. */
    rc = prepare(p,
                 "SELECT r.study_key, r.point_index, r.axes, r.policy, s.value - CASE WHEN ?6 IS NULL THEN 0 ELSE"
                 " (SELECT sb.value FROM runs b JOIN run_summary sb ON sb.run_id = b.run_id AND sb.metric = ?1"
                 "  WHERE b.status = 'complete' AND b.study_key = r.study_key AND b.repetition = r.repetition"
                 "  AND b.policy = ?6 AND replace(coalesce(b.axes, ''), 'policy.name=' || b.policy, '')"
                 "  = replace(coalesce(r.axes, ''), 'policy.name=' || r.policy, '') ORDER BY b.run_id LIMIT 1) END,"
                 " (SELECT p.value FROM run_params p WHERE p.run_id = r.run_id AND p.section = ?2 AND p.key = ?3)"
                 " FROM runs r JOIN run_summary s ON s.run_id = r.run_id AND s.metric = ?1"
                 " WHERE r.status = 'complete' AND (?4 IS NULL OR r.policy = ?4) AND (?5 IS NULL OR r.study_key = ?5)"
                 " ORDER BY r.run_id",
                 &st);
    if (rc)
        goto out;
    if (p->o.paired)
        sqlite3_bind_text(st, 6, p->o.paired, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 1, metric, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, section, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
    if (p->o.policy)
        sqlite3_bind_text(st, 4, p->o.policy, -1, SQLITE_STATIC);
    if (p->o.study)
        sqlite3_bind_text(st, 5, p->o.study, -1, SQLITE_STATIC);
    char ylabel[300];
    size_t skipped = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        char xt[256] = "";
        if (from_params)
            snprintf(xt, sizeof xt, "%s", col_text(st, 5));
        else
            axis_value(col_text(st, 2), xname, xt, sizeof xt);
        if (!xt[0] || sqlite3_column_type(st, 4) == SQLITE_NULL) {
            skipped++;
            continue;
        }
        const char *study = col_text(st, 0), *pol = col_text(st, 3);
        int64_t point = sqlite3_column_int64(st, 1);
        double v = sqlite3_column_double(st, 4);   /* stored units; scaled for display below */
        sw_pt_t *q = NULL;
        for (size_t i = 0; i < npts && !q; i++)
            if (pts[i].point == point && !strcmp(pts[i].study, study) && !strcmp(pts[i].policy, pol))
                q = &pts[i];
        if (!q) {
            if (npts == cap) {
                cap = cap ? 2 * cap : 32;
                pts = xrealloc(pts, cap * sizeof *pts);
            }
            q = &pts[npts++];
            memset(q, 0, sizeof *q);
            q->study = xstrdup(study);
            q->axes = xstrdup(col_text(st, 2));
            q->policy = xstrdup(pol);
            q->xtext = xstrdup(xt);
            q->point = point;
        }
        if (q->nv == q->capv) {
            q->capv = q->capv ? 2 * q->capv : 8;
            q->v = xrealloc(q->v, q->capv * sizeof *q->v);
        }
        q->v[q->nv++] = v;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (!npts) {
        if (p->o.paired)
            rc = fail(p, "--paired %s: no run of policy %s pairs with the selected runs (same study, repetition "
                      "and axes but policy.name) in %s", p->o.paired, p->o.paired, p->o.db_path);
        else
            rc = fail(p, "no runs with metric '%s' and parameter '%s' in %s", metric, xname, p->o.db_path);
        goto out;
    }
    for (size_t i = 0; i < npts; i++) {
        sw_pt_t *q = &pts[i];
        stats_summary(q->v, q->nv, &q->mean, &q->sd, &q->ci);
        if (q->nv < 2)
            q->sd = q->ci = 0;       /* one run: no error bar */
    }
    {   /* display unit from the largest magnitude; the CI scales with the mean */
        double big = 0, scale;
        for (size_t i = 0; i < npts; i++)
            big = fabs(pts[i].mean) + pts[i].ci > big ? fabs(pts[i].mean) + pts[i].ci : big;
        metric_display(metric, big, &scale, ylabel, sizeof ylabel);
        if (p->o.paired) {
            char base[300];
            snprintf(base, sizeof base, "%s", ylabel);
            snprintf(ylabel, sizeof ylabel, "%.150s - %.90s", base, p->o.paired);
        }
        for (size_t i = 0; i < npts; i++) {
            pts[i].mean *= scale;
            pts[i].sd *= scale;
            pts[i].ci *= scale;
        }
    }
    /* numeric x if every value parses in one unit, else categories in order of appearance */
    x_kind_t kind;
    for (kind = XK_NUMBER; kind < XK_CATEGORY; kind++) {
        size_t ok = 0;
        for (size_t i = 0; i < npts; i++)
            ok += !parse_x(pts[i].xtext, kind, &pts[i].x);
        if (ok == npts)
            break;
    }
    const char *xunit = "";
    double xdiv = 1, xmax = 0;
    if (kind == XK_CATEGORY) {
        for (size_t i = 0; i < npts; i++)
            pts[i].x = (double)strlist_intern(&cats, pts[i].xtext);
    } else {
        for (size_t i = 0; i < npts; i++)
            xmax = fabs(pts[i].x) > xmax ? fabs(pts[i].x) : xmax;
        if (kind == XK_PERCENT) {
            xdiv = 0.01;
            xunit = "%";
        } else if (kind == XK_BYTES) {
            xdiv = mem_div(xmax, &xunit);
        } else if (kind == XK_DURATION) {
            xdiv = time_div(xmax, &xunit);
        } else if (kind == XK_RATE) {
            xunit = "MiB/s";
        }
        for (size_t i = 0; i < npts; i++)
            pts[i].x /= xdiv;
    }
    /* lines: policy (unless x is the policy) and every other axis not determined by x or policy */
    int x_is_policy = !strcmp(xname, "policy.name") || !strcmp(xname, "policy");
    strlist_t other = {0};
    for (size_t a = 0; a < axes.n; a++) {
        if (!strcmp(axes.v[a], xname) || axis_determined(pts, npts, axes.v[a], 0) ||
            (!x_is_policy && axis_determined(pts, npts, axes.v[a], 1)))
            continue;
        strlist_add(&other, axes.v[a]);
    }
    for (size_t i = 0; i < npts; i++) {
        char label[1024];
        size_t k = (size_t)snprintf(label, sizeof label, "%s", x_is_policy ? "" : pts[i].policy);
        for (size_t a = 0; a < other.n && k < sizeof label; a++) {
            char v[256] = "";
            axis_value(pts[i].axes, other.v[a], v, sizeof v);
            k += (size_t)snprintf(label + k, sizeof label - k, "%s%s=%s", k ? ", " : "", other.v[a], v);
        }
        pts[i].line = strlist_intern(&lines, label[0] ? label : "all runs");
    }
    strlist_free(&other);
    qsort(pts, npts, sizeof *pts, cmp_pt);

    FILE *f = open_data(p, NULL);
    if (!f) {
        rc = SIM_EIO;
        goto out;
    }
    fprintf(f, "# x mean ci95 n sd x_text   (x: %s%s%s%s; y: %s %s; from run_summary; mean and 95%% CI half-width)\n",
            xname, xunit[0] ? " in " : "", xunit, kind == XK_CATEGORY ? " as a category index" : "", metric,
            strchr(ylabel, '(') ? strchr(ylabel, '(') : "");
    double mean_min = INFINITY, xmin_seen = INFINITY, xmax_seen = -INFINITY;
    double ymax_seen = -INFINITY;
    for (size_t i = 0; i < npts; i++) {
        if (!i || pts[i].line != pts[i - 1].line) {
            fprintf(f, "%s# block %zu: ", i ? "\n\n" : "", pts[i].line);
            dat_name(f, lines.v[pts[i].line]);
            fputc('\n', f);
        }
        fprintf(f, "%.6g %.6g %.6g %zu %.6g ", pts[i].x, pts[i].mean, pts[i].ci, pts[i].nv, pts[i].sd);
        dat_name(f, pts[i].xtext);
        fputc('\n', f);
        mean_min = pts[i].mean < mean_min ? pts[i].mean : mean_min;
        ymax_seen = pts[i].mean + pts[i].ci > ymax_seen ? pts[i].mean + pts[i].ci : ymax_seen;
        xmin_seen = pts[i].x < xmin_seen ? pts[i].x : xmin_seen;
        xmax_seen = pts[i].x > xmax_seen ? pts[i].x : xmax_seen;
    }
    if ((rc = close_data(p, &f)))
        goto out;

    gp_header(p, argc, argv);
    FILE *g = p->gp;
    const char *dat = p->data[p->ndata - 1];
    if (xunit[0])
        gp_set(p, "xlabel", "%s (%s)", xname, xunit);
    else
        gp_set(p, "xlabel", "%s", x_is_policy ? "policy" : xname);
    gp_set(p, "ylabel", "%s", ylabel);
    gp_logscale(p);
    if (mean_min >= 0 && !(p->o.log && strchr(p->o.log, 'y'))) {  /* non-negative: error bars clip at 0 */
        if (ymax_seen <= 0)
            fputs("set yrange [0:1]\n", g);
        else if (kind == XK_CATEGORY)   /* autoscaling ignores the error-bar vectors: include them */
            fprintf(g, "set yrange [0:%.6g]\n", ymax_seen * 1.05);
        else
            fputs("set yrange [0:*]\n", g);
    }
    if (kind != XK_CATEGORY && xmin_seen == xmax_seen) {      /* one x value: a range around it */
        double d = xmin_seen != 0 ? fabs(xmin_seen) * 0.1 : 1;
        fprintf(g, "set xrange [%.6g:%.6g]\n", xmin_seen - d, xmax_seen + d);
    }
    fputs(lines.n > 1 ? "set key outside top center horizontal reverse Left samplen 2.5\n" : "unset key\n", g);
    if (kind == XK_CATEGORY) {
        double bw = 0.8 / (double)lines.n;
        fprintf(g, "set xrange [-0.5:%zu-0.5]\nset grid noxtics\nset boxwidth %.4g absolute\n", cats.n,
                bw * 0.9);
        gp_category_tics(p, &cats);
        fputs("# bars: mean; black bars: 95% confidence interval\nplot ", g);
        for (size_t l = 0; l < lines.n; l++) {
            double off = ((double)l - (double)(lines.n - 1) / 2) * bw;
            fprintf(g, "%s", l ? ", \\\n     " : "");
            gp_file(p, dat);
            fprintf(g, " index %zu using ($1%+.4g):2 with boxes ls %zu dt 1 fs %s border lc rgb '#333333' title ",
                    l, off, l % 8 + 1, l % 2 ? "pattern 4" : "solid 0.6");
            gp_str(p, lines.v[l]);
            double caps = 0.15 * bw * 0.9 * (p->w_in - 1.0) / p->w_in / (double)cats.n;   /* screen units */
            fprintf(g, ", \\\n     '' index %zu using ($1%+.4g):($2-$3):(0):(2*$3) with vectors heads size"
                       " screen %.3g,90 lc rgb '#000000' notitle", l, off, caps);
        }
        fputc('\n', g);
    } else {
        /* lines are dodged sideways by a little so that their error bars do not hide each other */
        int logx = p->o.log && strchr(p->o.log, 'x');
        fprintf(g, "dodge = %.4g   # x shift between lines (set 0 to turn off)\n",
                logx || lines.n < 2 ? 0 : 0.006 * (xmax_seen - xmin_seen));
        fputs("set offsets graph 0.04, graph 0.04, 0, 0\n# lines: mean; error bars: 95% confidence interval\nplot ",
              g);
        for (size_t l = 0; l < lines.n; l++) {
            double k = (double)l - (double)(lines.n - 1) / 2;
            fprintf(g, "%s", l ? ", \\\n     " : "");
            gp_file(p, dat);
            fprintf(g, " index %zu using ($1%+g*dodge):2:3 with yerrorbars ls %zu dt 1 pt -1 notitle, \\\n     ''"
                       " index %zu using ($1%+g*dodge):2 with linespoints ls %zu title ", l, k, l % 8 + 1, l, k,
                    l % 8 + 1);
            gp_str(p, lines.v[l]);
        }
        fputc('\n', g);
    }
    if (skipped && !p->o.quiet)
        fprintf(stderr, "balloonsim plot: %zu run%s without '%s' left out\n", skipped, skipped == 1 ? "" : "s",
                xname);
    rc = SIM_OK;
out:
    if (st)
        sqlite3_finalize(st);
    for (size_t i = 0; i < npts; i++) {
        free(pts[i].study);
        free(pts[i].axes);
        free(pts[i].policy);
        free(pts[i].xtext);
        free(pts[i].v);
    }
    free(pts);
    strlist_free(&metrics);
    strlist_free(&axes);
    strlist_free(&lines);
    strlist_free(&cats);
    return rc;
}

/* ================================================================== distributions */

/* Series of values, one per key (policy, kind), in order of first appearance. */
typedef struct series {
    char *key;
    double *v;
    size_t n, cap;
} series_t;

typedef struct series_set {
    series_t *s;
    size_t n, cap;
} series_set_t;

static void series_add(series_set_t *set, const char *key, double v)
{
    size_t k = 0;
    while (k < set->n && strcmp(set->s[k].key, key))
        k++;
    if (k == set->n) {
        if (set->n == set->cap) {
            set->cap = set->cap ? 2 * set->cap : 8;
            set->s = xrealloc(set->s, set->cap * sizeof *set->s);
        }
        set->s[k] = (series_t){xstrdup(key), NULL, 0, 0};
        set->n++;
    }
    series_t *s = &set->s[k];
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->v = xrealloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = v;
}

static void series_free(series_set_t *set)
{
    for (size_t k = 0; k < set->n; k++) {
        free(set->s[k].key);
        free(set->s[k].v);
    }
    free(set->s);
    memset(set, 0, sizeof *set);
}

/* Write sorted series as empirical CDFs: rows "value fraction" (fraction = i/n). */
static int write_cdf(plot_t *p, series_set_t *set, const char *header, double *xmin, double *xmax)
{
    FILE *f = open_data(p, NULL);
    if (!f)
        return SIM_EIO;
    fprintf(f, "%s\n", header);
    *xmin = INFINITY;
    *xmax = -INFINITY;
    for (size_t k = 0; k < set->n; k++) {
        series_t *s = &set->s[k];
        qsort(s->v, s->n, sizeof *s->v, cmp_double);
        fprintf(f, "%s# block %zu: ", k ? "\n\n" : "", k);
        dat_name(f, s->key);
        fprintf(f, " (%zu values)\n", s->n);
        for (size_t i = 0; i < s->n; i++)
            fprintf(f, "%.6g %.6g\n", s->v[i], (double)(i + 1) / (double)s->n);
        if (s->n) {
            *xmin = s->v[0] < *xmin ? s->v[0] : *xmin;
            *xmax = s->v[s->n - 1] > *xmax ? s->v[s->n - 1] : *xmax;
        }
    }
    return close_data(p, &f);
}

/* The CDF plot command: steps, plus the first rise from 0 drawn as a vector. */
static void gp_cdf_plot(plot_t *p, const series_set_t *set, double xmin, double xmax)
{
    FILE *g = p->gp;
    if (xmin == xmax) {   /* one value only: give gnuplot a range around it */
        double d = xmin != 0 ? fabs(xmin) * 0.1 : 1;
        fprintf(g, "set xrange [%.6g:%.6g]\n", xmin - d, xmax + d);
    }
    const char *dat = p->data[p->ndata - 1];
    fputs("set yrange [0:1.02]\nset ytics 0.25\nset key outside top center horizontal reverse Left samplen 2.5\n", g);
    if (set->n == 1)
        fputs("unset key\n", g);
    fputs("set offsets graph 0.02, graph 0.02, 0, 0\nplot ", g);
    for (size_t k = 0; k < set->n; k++) {
        fprintf(g, "%s", k ? ", \\\n     " : "");
        gp_file(p, dat);
        fprintf(g, " index %zu using 1:2 with steps ls %zu title ", k, k % 8 + 1);
        gp_str(p, set->s[k].key);
        fprintf(g, ", \\\n     '' index %zu every ::0::0 using 1:(0):(0):2 with vectors nohead ls %zu notitle", k,
                k % 8 + 1);
    }
    fputc('\n', g);
}

static int fig_cdf(plot_t *p, int argc, char **argv)
{
    strlist_t vm_metrics = {0}, run_metrics = {0};
    series_set_t set = {0};
    sqlite3_stmt *st = NULL;
    int rc;
    if ((rc = metric_list(p, "vm_summary", &vm_metrics)) || (rc = metric_list(p, "run_summary", &run_metrics)))
        goto out;
    if (!p->o.metric) {                 /* list what there is (issue 21) */
        char a[4096], b[2048];
        strlist_join(&vm_metrics, a, sizeof a);
        strlist_join(&run_metrics, b, sizeof b);
        rc = fail(p, "figure cdf needs --metric NAME: over VMs (vm_summary): %s; over runs (run_summary): %s",
                  vm_metrics.n ? a : "none", run_metrics.n ? b : "none");
        goto out;
    }
    int over_vms;
    if (p->o.over) {
        if (strcmp(p->o.over, "vms") && strcmp(p->o.over, "runs")) {
            rc = fail(p, "--over must be vms or runs, not '%s'", p->o.over);
            goto out;
        }
        over_vms = !strcmp(p->o.over, "vms");
        if (strlist_find(over_vms ? &vm_metrics : &run_metrics, p->o.metric) < 0) {
            rc = unknown_metric(p, p->o.metric, over_vms ? "vm_summary" : "run_summary",
                                over_vms ? &vm_metrics : &run_metrics);
            goto out;
        }
    } else if (strlist_find(&vm_metrics, p->o.metric) >= 0) {
        over_vms = 1;
    } else if (strlist_find(&run_metrics, p->o.metric) >= 0) {
        over_vms = 0;
    } else {
        char a[4096], b[2048];
        strlist_join(&vm_metrics, a, sizeof a);
        strlist_join(&run_metrics, b, sizeof b);
        rc = fail(p, "unknown metric '%s' (vm_summary metrics: %s; run_summary metrics: %s)", p->o.metric,
                  vm_metrics.n ? a : "none", run_metrics.n ? b : "none");
        goto out;
    }
    if (!over_vms && p->o.group) {
        rc = fail(p, "--group applies to --over vms only");
        goto out;
    }
    rc = prepare(p, over_vms
        ? "SELECT r.policy, s.value FROM vm_summary s JOIN runs r ON r.run_id = s.run_id"
          " JOIN vms v ON v.run_id = s.run_id AND v.vm_id = s.vm_id WHERE s.metric = ?1"
          " AND (r.status = 'complete' OR r.run_id = ?2) AND (?2 IS NULL OR r.run_id = ?2)"
          " AND (?3 IS NULL OR r.policy = ?3) AND (?4 IS NULL OR r.study_key = ?4) AND (?5 IS NULL OR v.grp = ?5)"
          " ORDER BY r.run_id, s.vm_id"
        : "SELECT r.policy, s.value FROM run_summary s JOIN runs r ON r.run_id = s.run_id WHERE s.metric = ?1"
          " AND (r.status = 'complete' OR r.run_id = ?2) AND (?2 IS NULL OR r.run_id = ?2)"
          " AND (?3 IS NULL OR r.policy = ?3) AND (?4 IS NULL OR r.study_key = ?4) ORDER BY r.run_id", &st);
    if (rc)
        goto out;
    sqlite3_bind_text(st, 1, p->o.metric, -1, SQLITE_STATIC);
    if (p->o.has_run)
        sqlite3_bind_int64(st, 2, p->o.run_id);
    if (p->o.policy)
        sqlite3_bind_text(st, 3, p->o.policy, -1, SQLITE_STATIC);
    if (p->o.study)
        sqlite3_bind_text(st, 4, p->o.study, -1, SQLITE_STATIC);
    if (over_vms && p->o.group)
        sqlite3_bind_text(st, 5, p->o.group, -1, SQLITE_STATIC);
    char xlabel[300];
    size_t total = 0;
    double big = 0, scale;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (sqlite3_column_type(st, 1) == SQLITE_NULL)
            continue;
        double v = sqlite3_column_double(st, 1);
        series_add(&set, col_text(st, 0), v);
        big = fabs(v) > big ? fabs(v) : big;
        total++;
    }
    metric_display(p->o.metric, big, &scale, xlabel, sizeof xlabel);
    for (size_t k = 0; k < set.n; k++)
        for (size_t i = 0; i < set.s[k].n; i++)
            set.s[k].v[i] *= scale;
    sqlite3_finalize(st);
    st = NULL;
    if (!total) {
        if (p->o.has_run) {
            int64_t dummy;
            char pol[128];
            if ((rc = pick_run(p, &dummy, pol, sizeof pol)))
                goto out;
        }
        rc = fail(p, "no values of %s over %s in the selected runs%s%s", p->o.metric, over_vms ? "VMs" : "runs",
                  p->o.group ? " of group " : "", p->o.group ? p->o.group : "");
        goto out;
    }
    char header[512];
    snprintf(header, sizeof header, "# value fraction   (%s over %s; value in %s; one block per policy)", p->o.metric,
             over_vms ? "VMs" : "runs", strchr(xlabel, '(') ? strchr(xlabel, '(') : "");
    double xmin, xmax;
    if ((rc = write_cdf(p, &set, header, &xmin, &xmax)))
        goto out;
    gp_header(p, argc, argv);
    gp_set(p, "xlabel", "%s", xlabel);
    gp_set(p, "ylabel", "fraction of %s", over_vms ? "VMs" : "runs");
    gp_logscale(p);
    gp_cdf_plot(p, &set, xmin, xmax);
    rc = SIM_OK;
out:
    if (st)
        sqlite3_finalize(st);
    strlist_free(&vm_metrics);
    strlist_free(&run_metrics);
    series_free(&set);
    return rc;
}

/* ================================================================== balloon operations */

static int fig_ops(plot_t *p, int argc, char **argv)
{
    const char *as = p->o.as ? p->o.as : "scatter";
    int scatter = !strcmp(as, "scatter");
    if (!scatter && strcmp(as, "cdf"))
        return fail(p, "--as must be scatter or cdf, not '%s'", as);
    int rc;
    int64_t run = 0;
    char policy[128] = "";
    if (p->o.has_run && (rc = pick_run(p, &run, policy, sizeof policy)))
        return rc;
    sqlite3_stmt *st;
    if ((rc = prepare(p,
                      "SELECT r.policy, o.kind, o.moved_bytes, (o.finished_ns - o.issued_ns) / 1e9, o.asked_bytes,"
                      " o.issued_ns / 1e9, o.vm_id, o.outcome, o.run_id FROM balloon_ops o"
                      " JOIN runs r ON r.run_id = o.run_id JOIN vms v ON v.run_id = o.run_id AND v.vm_id = o.vm_id"
                      " WHERE o.finished_ns IS NOT NULL AND o.finished_ns >= o.issued_ns"
                      " AND (r.status = 'complete' OR r.run_id = ?1) AND (?1 IS NULL OR r.run_id = ?1)"
                      " AND (?2 IS NULL OR r.policy = ?2) AND (?3 IS NULL OR r.study_key = ?3)"
                      " AND (?4 IS NULL OR v.grp = ?4) ORDER BY o.run_id, o.issued_ns, o.vm_id", &st)))
        return rc;
    if (p->o.has_run)
        sqlite3_bind_int64(st, 1, run);
    if (p->o.policy)
        sqlite3_bind_text(st, 2, p->o.policy, -1, SQLITE_STATIC);
    if (p->o.study)
        sqlite3_bind_text(st, 3, p->o.study, -1, SQLITE_STATIC);
    if (p->o.group)
        sqlite3_bind_text(st, 4, p->o.group, -1, SQLITE_STATIC);
    /* rows in memory first: the series key depends on whether several policies appear */
    typedef struct op_row {
        char policy[128], kind[32], outcome[32];
        double moved_mib, latency_s, asked_mib, issued_s;
        int64_t vm_id, run_id;
    } op_row_t;
    op_row_t *ops = NULL;
    size_t nops = 0, cap = 0;
    strlist_t policies = {0};
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (nops == cap) {
            cap = cap ? 2 * cap : 256;
            ops = xrealloc(ops, cap * sizeof *ops);
        }
        op_row_t *o = &ops[nops++];
        snprintf(o->policy, sizeof o->policy, "%s", col_text(st, 0));
        snprintf(o->kind, sizeof o->kind, "%s", col_text(st, 1));
        o->moved_mib = sqlite3_column_double(st, 2) / 1048576;
        o->latency_s = sqlite3_column_double(st, 3);
        o->asked_mib = sqlite3_column_double(st, 4) / 1048576;
        o->issued_s = sqlite3_column_double(st, 5);
        o->vm_id = sqlite3_column_int64(st, 6);
        snprintf(o->outcome, sizeof o->outcome, "%s", col_text(st, 7));
        o->run_id = sqlite3_column_int64(st, 8);
        strlist_intern(&policies, o->policy);
    }
    sqlite3_finalize(st);
    if (!nops) {
        strlist_free(&policies);
        free(ops);
        if (p->o.has_run) {
            char output[64] = "";
            run_param(p, run, "simulation", "output", output, sizeof output);
            if (output[0] && strcmp(output, "vm"))
                return fail(p, "no balloon operations for run %lld: it was run with output = %s (they are recorded at output = vm)",
                            (long long)run, output);
            return fail(p, "no finished balloon operations in run %lld (policy %s%s)", (long long)run, policy,
                        !strcmp(policy, "static") ? " does not balloon" : "");
        }
        return fail(p, "no finished balloon operations in the selected runs of %s", p->o.db_path);
    }
    series_set_t set = {0};
    FILE *f = NULL;
    char key[200];
    for (size_t i = 0; i < nops; i++) {
        snprintf(key, sizeof key, "%s%s%s", ops[i].kind, policies.n > 1 ? " / " : "",
                 policies.n > 1 ? ops[i].policy : "");
        series_add(&set, key, scatter ? (double)i : ops[i].latency_s);
    }
    double xmin = INFINITY, xmax = -INFINITY, ymax = -INFINITY;
    if (scatter) {
        if (!(f = open_data(p, NULL))) {
            rc = SIM_EIO;
            goto out;
        }
        fputs("# moved_mib latency_s asked_mib issued_s vm_id run_id outcome   (latency = finished - issued;"
              " one block per kind)\n", f);
        for (size_t k = 0; k < set.n; k++) {
            fprintf(f, "%s# block %zu: ", k ? "\n\n" : "", k);
            dat_name(f, set.s[k].key);
            fputc('\n', f);
            for (size_t j = 0; j < set.s[k].n; j++) {
                const op_row_t *o = &ops[(size_t)set.s[k].v[j]];
                fprintf(f, "%.6g %.6g %.6g %.6g %lld %lld ", o->moved_mib, o->latency_s, o->asked_mib, o->issued_s,
                        (long long)o->vm_id, (long long)o->run_id);
                dat_name(f, o->outcome);
                fputc('\n', f);
                xmin = o->moved_mib < xmin ? o->moved_mib : xmin;
                xmax = o->moved_mib > xmax ? o->moved_mib : xmax;
                ymax = o->latency_s > ymax ? o->latency_s : ymax;
            }
        }
        rc = close_data(p, &f);
    } else {
        rc = write_cdf(p, &set, "# latency_s fraction   (latency = finished - issued; one block per kind)", &xmin,
                       &xmax);
    }
    if (rc)
        goto out;
    gp_header(p, argc, argv);
    FILE *g = p->gp;
    if (p->o.has_run) {
        snprintf(key, sizeof key, "run %lld, policy %s", (long long)run, policy);
        gp_comment(p, key);
    }
    gp_logscale(p);
    if (scatter) {
        gp_set(p, "xlabel", "memory moved (MiB)");
        gp_set(p, "ylabel", "latency (s)");
        fputs("set key outside top center horizontal reverse Left\nset offsets 0, graph 0.02, graph 0.05, 0\n", g);
        if (!(p->o.log && strchr(p->o.log, 'x')))
            fputs(xmax > 0 ? "set xrange [0:*]\n" : "set xrange [0:1]\n", g);
        if (!(p->o.log && strchr(p->o.log, 'y')))
            fputs(ymax > 0 ? "set yrange [0:*]\n" : "set yrange [0:1]\n", g);
        if (set.n == 1)
            fputs("unset key\n", g);
        fputs("plot ", g);
        for (size_t k = 0; k < set.n; k++) {
            fprintf(g, "%s", k ? ", \\\n     " : "");
            gp_file(p, p->data[p->ndata - 1]);
            fprintf(g, " index %zu using 1:2 with points ls %zu title ", k, k % 8 + 1);
            gp_str(p, set.s[k].key);
        }
        fputc('\n', g);
    } else {
        gp_set(p, "xlabel", "balloon operation latency (s)");
        gp_set(p, "ylabel", "fraction of operations");
        gp_cdf_plot(p, &set, xmin, xmax);
    }
    rc = SIM_OK;
out:
    if (f)
        fclose(f);
    series_free(&set);
    strlist_free(&policies);
    free(ops);
    return rc;
}

/* ================================================================== gnuplot */

/* Run `gnuplot STEM.gp` in the output directory: fork + execvp, no shell.  Its stderr is
 * collected; a failure reports the line that names the problem. */
static int run_gnuplot(plot_t *p)
{
    int errpipe[2], execpipe[2];
    if (pipe(errpipe) != 0)
        return fail(p, "cannot run gnuplot: pipe: %s", strerror(errno));
    if (pipe(execpipe) != 0) {
        close(errpipe[0]);
        close(errpipe[1]);
        return fail(p, "cannot run gnuplot: pipe: %s", strerror(errno));
    }
    fcntl(execpipe[1], F_SETFD, FD_CLOEXEC);
    char script[1100];
    snprintf(script, sizeof script, "%s.gp", p->stem);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(errpipe[0]);
        close(errpipe[1]);
        close(execpipe[0]);
        close(execpipe[1]);
        return fail(p, "cannot run gnuplot: fork: %s", strerror(errno));
    }
    if (pid == 0) {
        int e;
        close(errpipe[0]);
        close(execpipe[0]);
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, 0);
            dup2(devnull, 1);
        }
        dup2(errpipe[1], 2);
        if (chdir(p->dir) != 0) {
            e = errno;
            (void)!write(execpipe[1], &e, sizeof e);   /* the parent reports it; nothing else to do */
            _exit(126);
        }
        char *args[] = {"gnuplot", script, NULL};
        execvp("gnuplot", args);
        e = errno;
        (void)!write(execpipe[1], &e, sizeof e);
        _exit(127);
    }
    close(errpipe[1]);
    close(execpipe[1]);
    /* stderr first (gnuplot may write a lot of warnings), then the exec result */
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? 2 * cap : 8192;
            buf = xrealloc(buf, cap);
        }
        ssize_t r = read(errpipe[0], buf + len, cap - len - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    buf = xrealloc(buf, len + 1);
    buf[len] = 0;
    close(errpipe[0]);
    int exec_errno = 0;
    ssize_t got = read(execpipe[0], &exec_errno, sizeof exec_errno);
    close(execpipe[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    int rc = SIM_OK;
    if (got == (ssize_t)sizeof exec_errno) {
        if (exec_errno == ENOENT)
            rc = fail(p, "gnuplot not found in PATH: install it (apt-get install gnuplot-nox), or use --script-only");
        else
            rc = fail(p, "cannot run gnuplot in %s: %s", p->dir, strerror(exec_errno));
    } else {
        /* the line that names the problem: gnuplot's '"FILE" line N: message', else the first one */
        const char *pick = NULL;
        for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
            if (!strncmp(l, "\"", 1) && strstr(l, "\" line ")) {
                pick = l;
                break;
            }
        if (!pick)
            for (pick = buf; *pick == '\n' || *pick == ' ' || *pick == '\t'; pick++)
                ;
        size_t pl = strcspn(pick, "\n");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            if (WIFSIGNALED(status))
                rc = fail(p, "gnuplot was killed by signal %d on %s/%s", WTERMSIG(status), p->dir, script);
            else
                rc = fail(p, "gnuplot failed (exit %d) on %s/%s: %.*s", WEXITSTATUS(status), p->dir, script,
                          (int)pl, pl ? pick : "(no message)");
        } else if (len && !p->o.quiet) {
            fprintf(stderr, "balloonsim plot: gnuplot warned on %s/%s: %.*s\n", p->dir, script, (int)pl, pick);
        }
    }
    free(buf);
    return rc;
}

/* ================================================================== command line */

static int parse_size(const char *s, double *w, double *h)
{
    char *end;
    *w = strtod(s, &end);
    if (end == s || (*end != 'x' && *end != 'X'))
        return -1;
    const char *t = end + 1;
    *h = strtod(t, &end);
    if (end == t || !(*end == 0 || !strcmp(end, "in")))
        return -1;
    return *w > 0 && *h > 0 && *w < 100000 && *h < 100000 ? 0 : -1;
}

static int set_filter(plot_t *p, const char *k, const char *v)
{
    if (!strcmp(k, "run")) {
        char msg[128];
        if (sim_units_parse_int(v, &p->o.run_id, msg, sizeof msg))
            return fail(p, "--run needs a run index (an integer from 0, as in sweep --runs), not '%s'", v);
        p->o.has_run = 1;
    } else if (!strcmp(k, "policy")) {
        p->o.policy = v;
    } else if (!strcmp(k, "group")) {
        p->o.group = v;
    } else if (!strcmp(k, "study")) {
        p->o.study = v;
    } else {
        return fail(p, "unknown filter '%s' (filters: run, policy, group, study)", k);
    }
    return SIM_OK;
}

static int parse_args(plot_t *p, int argc, char **argv)
{
    plot_opts_t *o = &p->o;
    static const struct option longopts[] = {
        {"figure", required_argument, NULL, 256}, {"output", required_argument, NULL, 'o'},
        {"run", required_argument, NULL, 256},    {"policy", required_argument, NULL, 256},
        {"group", required_argument, NULL, 256},  {"study", required_argument, NULL, 256},
        {"where", required_argument, NULL, 256},  {"metric", required_argument, NULL, 256},
        {"x", required_argument, NULL, 256},      {"at", required_argument, NULL, 256},
        {"style", required_argument, NULL, 256},  {"size", required_argument, NULL, 256},
        {"as", required_argument, NULL, 256},     {"over", required_argument, NULL, 256},
        {"log", required_argument, NULL, 256},    {"paired", required_argument, NULL, 256},
        {"script-only", no_argument, NULL, 'S'},
        {"quiet", no_argument, NULL, 'q'},        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c, li = -1;
    optind = 0;
    while ((c = cli_getopt_index(argc, argv, "ho:q", longopts, &li, p->err, sizeof p->err)) != -1) {
        char name[32];
        const char *val = optarg;
        if (c == 'h')
            return CLI_HELP;
        if (c == '?')
            return SIM_EINPUT;
        if (c == 'S') {
            o->script_only = 1;
            continue;
        }
        if (c == 'q') {
            o->quiet = 1;
            continue;
        }
        if (c == 1) {
            if (o->db_path)
                return fail(p, "unexpected argument '%s' (one DB only)", val);
            o->db_path = val;
            continue;
        }
        snprintf(name, sizeof name, c == 'o' ? "-o" : "--%s", longopts[li].name);
        if (!strcmp(name, "--figure")) {
            o->figure = val;
        } else if (!strcmp(name, "-o")) {
            o->out = val;
        } else if (!strcmp(name, "--where")) {
            const char *e = strchr(val, '=');
            if (!e)
                return fail(p, "--where takes key=value (run, policy, group, study), not '%s'", val);
            char k[32];
            snprintf(k, sizeof k, "%.*s", (int)(e - val), val);
            int rc = set_filter(p, k, e + 1);
            if (rc)
                return rc;
        } else if (!strcmp(name, "--run") || !strcmp(name, "--policy") || !strcmp(name, "--group") ||
                   !strcmp(name, "--study")) {
            int rc = set_filter(p, name + 2, val);
            if (rc)
                return rc;
        } else if (!strcmp(name, "--metric")) {
            o->metric = val;
        } else if (!strcmp(name, "--x")) {
            o->x = val;
        } else if (!strcmp(name, "--at")) {
            char msg[256];
            sim_time_t ns;
            double s;
            if (!sim_units_parse_number(val, &s, msg, sizeof msg))
                o->at_s = s;
            else if (!sim_units_parse_duration(val, &ns, msg, sizeof msg))
                o->at_s = (double)ns / 1e9;
            else
                return fail(p, "--at takes a time in seconds (or 30min, 2h), not '%s'", val);
            if (!(o->at_s >= 0 && o->at_s <= 9.2e9))      /* simulated time fits in int64 ns */
                return fail(p, "--at must be between 0 and 9.2e9 s (about 290 years), not '%s'", val);
            o->has_at = 1;
        } else if (!strcmp(name, "--style")) {
            if (strcmp(val, "paper") && strcmp(val, "slides"))
                return fail(p, "--style must be paper or slides, not '%s'", val);
            o->slides = !strcmp(val, "slides");
        } else if (!strcmp(name, "--size")) {
            if (parse_size(val, &o->size_w, &o->size_h))
                return fail(p, "--size takes WxH (png: pixels, e.g. 800x500; pdf/svg/tex: inches, e.g. 3.3x2.2),"
                               " not '%s'", val);
            o->has_size = 1;
        } else if (!strcmp(name, "--as")) {
            o->as = val;
        } else if (!strcmp(name, "--over")) {
            o->over = val;
        } else if (!strcmp(name, "--paired")) {
            o->paired = val;
        } else if (!strcmp(name, "--log")) {
            if (strcmp(val, "x") && strcmp(val, "y") && strcmp(val, "xy") && strcmp(val, "yx"))
                return fail(p, "--log must be x, y or xy, not '%s'", val);
            o->log = val;
        }
    }
    for (int i = optind; i < argc; i++) {                  /* after "--" */
        if (o->db_path)
            return fail(p, "unexpected argument '%s' (one DB only)", argv[i]);
        o->db_path = argv[i];
    }
    if (!o->db_path)
        return fail(p, "expected a results database DB");
    if (!o->figure)
        return fail(p, "--figure NAME is required (figures: timeline, allocation, sweep, cdf, balloon-ops)");
    if (!o->out)
        return fail(p, "-o FILE.{pdf,png,svg,tex} is required");
    return SIM_OK;
}

/* Split -o into directory, stem and format; create the directory; size the figure. */
static int setup_output(plot_t *p)
{
    const char *out = p->o.out, *slash = strrchr(out, '/');
    const char *base = slash ? slash + 1 : out, *dot = strrchr(base, '.');
    static const struct { const char *ext; out_fmt_t fmt; } exts[] = {
        {"pdf", OUT_PDF}, {"png", OUT_PNG}, {"svg", OUT_SVG}, {"tex", OUT_TEX}};
    int found = 0;
    for (size_t i = 0; dot && i < sizeof exts / sizeof exts[0]; i++)
        if (!strcmp(dot + 1, exts[i].ext)) {
            p->fmt = exts[i].fmt;
            p->ext = exts[i].ext;
            found = 1;
        }
    if (!found)
        return fail(p, "-o %s: the file name must end in .pdf, .png, .svg or .tex", out);
    size_t stem_len = (size_t)(dot - base);
    if (stem_len == 0 || stem_len >= sizeof p->stem - 16)
        return fail(p, "-o %s: empty or too long file name", out);
    for (const char *c = base; c < dot; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              strchr("._+,=@-", *c)))
            return fail(p, "-o %s: the file name may hold only letters, digits and . _ + , = @ - "
                           "(it is written into the gnuplot script)", out);
    snprintf(p->stem, sizeof p->stem, "%.*s", (int)stem_len, base);
    if (!slash)
        snprintf(p->dir, sizeof p->dir, ".");
    else if (slash == out)
        snprintf(p->dir, sizeof p->dir, "/");
    else
        snprintf(p->dir, sizeof p->dir, "%.*s", (int)(slash - out), out);
    char merr[SIM_ERR_MAX];
    if (cli_mkdir_parents(out, merr, sizeof merr))
        return fail(p, "%s", merr);
    /* size: style defaults; png in pixels, others in inches */
    p->font_pt = p->o.slides ? 14 : 8;
    p->w_in = p->o.slides ? 8 : 3.3;
    p->h_in = p->o.slides ? 4.5 : 2.2;
    if (p->fmt == OUT_PNG) {
        double dpi = p->o.slides ? 200 : 300;
        if (p->o.has_size) {
            p->px_w = (int)lround(p->o.size_w);
            p->px_h = (int)lround(p->o.size_h);
            p->h_in = p->w_in * p->o.size_h / p->o.size_w;
        } else {
            p->px_w = (int)lround(p->w_in * dpi);
            p->px_h = (int)lround(p->h_in * dpi);
        }
    } else if (p->o.has_size) {
        p->w_in = p->o.size_w;
        p->h_in = p->o.size_h;
    }
    snprintf(p->gp_path, sizeof p->gp_path, "%s/%s.gp", p->dir, p->stem);
    return SIM_OK;
}

static int open_db(plot_t *p)
{
    struct stat sb;
    const char *path = p->o.db_path;
    if (stat(path, &sb) != 0)
        return fail(p, "%s: %s", path,
                    errno == ENOENT ? "no such database (run a scenario first: balloonsim run FILE -o DB)"
                                    : strerror(errno));
    if (S_ISDIR(sb.st_mode))
        return fail(p, "%s: is a directory, not a results database", path);
    if (access(path, R_OK) != 0)
        return fail(p, "%s: cannot read: %s", path, strerror(errno));
    if (sb.st_size == 0)
        return fail(p, "%s: not a balloonsim database (the file is empty)", path);
    char err[SIM_ERR_MAX];
    int rc = db_open_readonly(path, &p->db, err, sizeof err);    /* plot writes nothing */
    if (rc) {
        snprintf(p->err, sizeof p->err, "%s", err);
        return SIM_EINPUT;
    }
    p->h = db_handle(p->db);
    return SIM_OK;
}

static void remove_outputs(plot_t *p)
{
    char path[5300];
    for (int i = 0; i < p->ndata; i++) {
        snprintf(path, sizeof path, "%s/%s", p->dir, p->data[i]);
        unlink(path);
    }
    unlink(p->gp_path);
}

int cli_cmd_plot(int argc, char **argv)
{
    plot_t *p = calloc(1, sizeof *p);
    if (!p) {
        fputs("balloonsim plot: out of memory\n", stderr);
        return 2;
    }
    int rc = parse_args(p, argc, argv), status = 0;
    if (rc == CLI_HELP) {
        fputs(usage, stdout);
        free(p);
        return 0;
    }
    int fig = -1;
    if (!rc) {
        for (int i = 0; i < FIG_N; i++)
            if (!strcmp(p->o.figure, figure_names[i]))
                fig = i;
        if (fig < 0)
            rc = fail(p, "unknown figure '%s' (figures: timeline, allocation, sweep, cdf, balloon-ops)", p->o.figure);
        else if (p->o.paired && fig != FIG_SWEEP)
            rc = fail(p, "--paired applies to figure sweep only, not %s", p->o.figure);
    }
    if (!rc)
        rc = setup_output(p);
    if (!rc)
        rc = open_db(p);
    if (!rc)
        rc = resolve_run(p);
    if (!rc && !(p->gp = fopen(p->gp_path, "w")))
        rc = fail(p, "%s: cannot write: %s", p->gp_path, strerror(errno));
    if (!rc) {
        switch (fig) {
        case FIG_TIMELINE: rc = fig_timeline(p, argc, argv); break;
        case FIG_ALLOCATION: rc = fig_allocation(p, argc, argv); break;
        case FIG_SWEEP: rc = fig_sweep(p, argc, argv); break;
        case FIG_CDF: rc = fig_cdf(p, argc, argv); break;
        default: rc = fig_ops(p, argc, argv); break;
        }
        int bad = ferror(p->gp);
        if (fclose(p->gp) != 0 || bad)
            rc = rc ? rc : fail(p, "%s: write failed (disk full?)", p->gp_path);
        p->gp = NULL;
        if (rc)
            remove_outputs(p);
    }
    if (!rc && !p->o.script_only)
        rc = run_gnuplot(p);
    if (rc) {
        fprintf(stderr, "balloonsim plot: %s\n", p->err);
        status = 2;
    } else if (!p->o.quiet) {
        if (p->o.script_only)
            printf("wrote %s (run: cd %s && gnuplot %s.gp)", p->gp_path, p->dir, p->stem);
        else
            printf("wrote %s/%s.%s%s%s%s, script %s", p->dir, p->stem, p->ext, p->fmt == OUT_TEX ? " (+ " : "",
                   p->fmt == OUT_TEX ? p->stem : "", p->fmt == OUT_TEX ? ".pdf)" : "", p->gp_path);
        for (int i = 0; i < p->ndata; i++)
            printf("%s%s/%s", i ? ", " : ", data ", p->dir, p->data[i]);
        putchar('\n');
    }
    db_close(p->db);
    free(p);
    return status;
}
