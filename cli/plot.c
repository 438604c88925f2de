/*
 * cli/plot.c -- the helpers the figures of `balloonsim plot` share: error messages, string
 * lists, gnuplot text and terminals, data files, reading runs, VMs and metrics from the
 * results database, the distributions (CDF) helpers, and running gnuplot.  See cli/plot.h;
 * what the figures show and the files written: cli/cmd_plot.c.
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

int plot_fail(plot_t *p, const char *fmt, ...)
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

int plot_prepare(plot_t *p, const char *sql, sqlite3_stmt **st)
{
    if (sqlite3_prepare_v2(p->h, sql, -1, st, NULL) != SQLITE_OK)
        return sql_fail(p, "cannot query");
    return SIM_OK;
}

const char *plot_col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return s ? (const char *)s : "";
}

char *plot_xstrdup(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d)
        abort();   /* out of memory on a few bytes: nothing sensible is left to do */
    return d;
}

void *plot_xrealloc(void *ptr, size_t n)
{
    void *q = realloc(ptr, n ? n : 1);
    if (!q)
        abort();
    return q;
}

/* A growable list of strings (owned). */

size_t plot_strlist_add(strlist_t *l, const char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 8;
        l->v = plot_xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n] = plot_xstrdup(s);
    return l->n++;
}

long plot_strlist_find(const strlist_t *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i], s))
            return (long)i;
    return -1;
}

size_t plot_strlist_intern(strlist_t *l, const char *s)
{
    long i = plot_strlist_find(l, s);
    return i >= 0 ? (size_t)i : plot_strlist_add(l, s);
}

void plot_strlist_free(strlist_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

void plot_strlist_join(const strlist_t *l, char *buf, size_t len)
{
    size_t k = 0;
    buf[0] = 0;
    for (size_t i = 0; i < l->n && k < len; i++)
        k += (size_t)snprintf(buf + k, len - k, "%s%s", i ? ", " : "", l->v[i]);
}

/* Write s as a single-quoted gnuplot string: '' for a quote, control characters dropped;
 * in tex output the LaTeX specials are escaped as well; format != 0 doubles '%' (the
 * string is used as a printf format, as explicit tic labels are). */
void plot_gp_str_x(const plot_t *p, const char *s, int format)
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

void plot_gp_str(const plot_t *p, const char *s) { plot_gp_str_x(p, s, 0); }

/* A comment line of the script: characters outside a safe set become '_' (a trailing
 * backslash would continue a gnuplot comment onto the next line). */
void plot_gp_comment(const plot_t *p, const char *s)
{
    fputs("# ", p->gp);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        fputc(c >= 0x20 && c < 0x7f && c != '\\' ? c : '_', p->gp);
    }
    fputc('\n', p->gp);
}

/* A name written into a data file as a double-quoted token: only [A-Za-z0-9_./:+=-]. */
void plot_dat_name(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        fputc((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("_./:+=-", c)
                  ? c : '_', f);
    }
    fputc('"', f);
}

FILE *plot_open_data(plot_t *p, const char *suffix)
{
    char path[5300];
    if (p->ndata >= 4)
        return NULL;
    char *name = p->data[p->ndata], sfx[64];
    /* STEM.EXT[.PART].dat: a png and a pdf of one name keep their own data (and script) */
    snprintf(sfx, sizeof sfx, "%s%s.dat", suffix ? "." : "", suffix ? suffix : "");
    int declared = 0;
    for (size_t i = 0; p->data_sfx && p->data_sfx[i]; i++)
        declared |= !strcmp(p->data_sfx[i], sfx);
    if (!declared) {             /* a figure that does not list its files escapes the input check */
        plot_fail(p, "internal error: STEM.EXT%s is not among the figure's data files (plot_figure_t.data)", sfx);
        return NULL;
    }
    snprintf(name, sizeof p->data[0], "%s.%s%s", p->stem, p->ext, sfx);
    snprintf(path, sizeof path, "%s/%s", p->dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        plot_fail(p, "%s: cannot write: %s", path, strerror(errno));
        return NULL;
    }
    p->ndata++;
    return f;
}

/* Close *f (and set it to NULL, so that an error path does not close it again). */
int plot_close_data(plot_t *p, FILE **fp)
{
    FILE *f = *fp;
    *fp = NULL;
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return plot_fail(p, "%s/%s: write failed (disk full?)", p->dir, p->data[p->ndata - 1]);
    return SIM_OK;
}

/* Memory axis: MiB below 4 GiB, GiB above.  Returns the divisor applied to MiB. */
double plot_mem_div(double max_mib, const char **unit)
{
    if (max_mib >= 4096) {
        *unit = "GiB";
        return 1024;
    }
    *unit = "MiB";
    return 1;
}

/* Time axis: s up to 10 min, min up to 3 h, h beyond.  Returns the divisor applied to s. */
double plot_time_div(double max_s, const char **unit)
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
void plot_metric_display(const char *metric, double max_abs, double *scale, char *label, size_t len)
{
    char name[256];
    const char *unit = "count";
    snprintf(name, sizeof name, "%s", metric);
    *scale = 1;
    if (ends_with(name, "_bytes_per_s") || ends_with(name, "_bytes")) {
        int rate = ends_with(name, "_bytes_per_s");
        name[strlen(name) - (rate ? 12 : 6)] = 0;
        *scale = 1.0 / plot_mem_div(max_abs / 1048576, &unit) / 1048576;
        unit = rate ? (*scale < 1.0 / 1048576 ? "GiB/s" : "MiB/s") : unit;
    } else if (ends_with(name, "_ns") || ends_with(name, "_s")) {
        int ns = ends_with(name, "_ns");
        name[strlen(name) - (ns ? 3 : 2)] = 0;
        double base = ns ? 1e-9 : 1;
        *scale = base / plot_time_div(max_abs * base, &unit);
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

/* The font every figure names: Nimbus Sans, URW's metric clone of Helvetica (Debian
 * fonts-urw-base35, installed by scripts/deps.sh), so that the PDF embeds the font its
 * script names (pdffonts: NimbusSans-Regular; tests/e2e/figures.sh). */
#define PLOT_FONT "Nimbus Sans"

static void gp_terminal(plot_t *p)
{
    FILE *f = p->gp;
    double lw = p->o.slides ? 2 : 1;
    switch (p->fmt) {
    case OUT_PDF:
        /* cairo sizes fonts at 96 dpi: fontscale 0.75 makes 8 mean 8 pt */
        fprintf(f, "set terminal pdfcairo size %.3gin,%.3gin font '" PLOT_FONT ",%g' fontscale 0.75 linewidth %g"
                   " noenhanced\n", p->w_in, p->h_in, p->font_pt, lw);
        break;
    case OUT_PNG: {
        /* pngcairo sizes fonts at 96 px per inch and draws linewidth 1 one pixel wide; scale both
         * to our dpi so that the png looks like the pdf (where linewidth 1 is 0.5 pt) */
        double dpi = (double)p->px_w / p->w_in;
        fprintf(f, "set terminal pngcairo size %d,%d font '" PLOT_FONT ",%g' fontscale %.4g linewidth %.4g"
                   " pointscale %.4g noenhanced background '#ffffff'\n",
                p->px_w, p->px_h, p->font_pt, dpi / 96, lw * dpi / 144, dpi / 144);
        break;
    }
    case OUT_SVG:
        fprintf(f, "set terminal svg size %d,%d font '" PLOT_FONT ",%g' linewidth %g noenhanced background '#ffffff'\n",
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
    plot_gp_str(p, out);
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
          "set style line 21 lc rgb '#000000' dt (6,3) lw 1   # --hline\n"
          "set border 3 lw 1\nset xtics nomirror out scale 0.6\nset ytics nomirror out scale 0.6\n"
          "set grid ytics lc rgb '#dddddd' lw 1 dt 1\n"
          "set key samplen 2.5 spacing 1.0\n", p->gp);
}

/* Header of every script: provenance, how to regenerate, terminal, styles. */
void plot_gp_header(plot_t *p, int argc, char **argv)
{
    char line[2048], script[1100];
    size_t k = 0;
    plot_script_arg(p, script, sizeof script);
    snprintf(line, sizeof line,
             "written by balloonsim plot; restyle it here, then in this directory run: gnuplot %s", script);
    plot_gp_comment(p, line);
    line[0] = 0;
    for (int i = 0; i < argc && k < sizeof line; i++)   /* argv[0] is "plot" */
        k += (size_t)snprintf(line + k, sizeof line - k, "%s%s", i ? " " : "balloonsim ", argv[i]);
    plot_gp_comment(p, line);
    for (int i = 0; i < p->ndata; i++) {
        snprintf(line, sizeof line, "data: %s", p->data[i]);
        plot_gp_comment(p, line);
    }
    gp_terminal(p);
    gp_styles(p);
}

/* ================================================================== database access */

int64_t plot_count_rows(plot_t *p, const char *sql, int64_t id)
{
    sqlite3_stmt *st;
    int64_t n = -1;
    if (plot_prepare(p, sql, &st))
        return -1;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* The run to draw: --run (any status) or the first complete run matching the filters. */
int plot_pick_run(plot_t *p, int64_t *run_id, char *policy, size_t plen)
{
    sqlite3_stmt *st;
    int rc;
    if (p->o.has_run) {
        if ((rc = plot_prepare(p, "SELECT run_id, policy FROM runs WHERE run_id = ?", &st)))
            return rc;
        sqlite3_bind_int64(st, 1, p->o.run_id);
        int found = sqlite3_step(st) == SQLITE_ROW;
        if (found) {
            *run_id = sqlite3_column_int64(st, 0);
            snprintf(policy, plen, "%s", plot_col_text(st, 1));
        }
        sqlite3_finalize(st);
        if (found)
            return SIM_OK;
        if ((rc = plot_prepare(p, "SELECT min(run_id), max(run_id), count(*) FROM runs", &st)))
            return rc;
        sqlite3_step(st);
        int64_t lo = sqlite3_column_int64(st, 0), hi = sqlite3_column_int64(st, 1), n = sqlite3_column_int64(st, 2);
        sqlite3_finalize(st);
        if (n == 0)
            return plot_fail(p, "no run %lld in %s: it holds no runs", (long long)p->o.run_id, p->o.db_path);
        return plot_fail(p, "no run %lld in %s (it holds %lld run%s, ids %lld..%lld)", (long long)p->o.run_id,
                    p->o.db_path, (long long)n, n == 1 ? "" : "s", (long long)lo, (long long)hi);
    }
    if ((rc = plot_prepare(p,
                           "SELECT run_id, policy FROM runs WHERE status = 'complete' AND run_id IN " PLOT_SELECTED
                           " ORDER BY run_id LIMIT 1", &st)))
        return rc;
    int found = sqlite3_step(st) == SQLITE_ROW;
    if (found) {
        *run_id = sqlite3_column_int64(st, 0);
        snprintf(policy, plen, "%s", plot_col_text(st, 1));
    }
    sqlite3_finalize(st);
    if (!found)
        return plot_fail(p, "no complete run in %s%s", p->o.db_path, p->o.policy || p->o.study || p->o.nwhere
                                                                     ? " among the runs the filters select" : "");
    return SIM_OK;
}

/* "run INDEX (study KEY, run_id ID)": the run as --run and v_runs.run number it. */
const char *plot_run_label(plot_t *p, int64_t run_id, char *buf, size_t len)
{
    sqlite3_stmt *st;
    snprintf(buf, len, "run_id %lld", (long long)run_id);
    if (plot_prepare(p, "SELECT run_index, study_key FROM runs WHERE run_id = ?", &st))
        return buf;
    sqlite3_bind_int64(st, 1, run_id);
    if (sqlite3_step(st) == SQLITE_ROW)
        snprintf(buf, len, "run %lld (study %s, run_id %lld)", (long long)sqlite3_column_int64(st, 0),
                 plot_col_text(st, 1), (long long)run_id);
    sqlite3_finalize(st);
    return buf;
}

/* A resolved parameter of a run as text ("" if absent). */
void plot_run_param(plot_t *p, int64_t run_id, const char *section, const char *key, char *buf, size_t len)
{
    sqlite3_stmt *st;
    buf[0] = 0;
    if (plot_prepare(p, "SELECT value FROM run_params WHERE run_id = ? AND section = ? AND key = ?", &st))
        return;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, section, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        snprintf(buf, len, "%s", plot_col_text(st, 0));
    sqlite3_finalize(st);
}

/* "no samples for run N: ..." naming the run's `output` level when it explains why. */
int plot_no_samples(plot_t *p, int64_t run, const char *what)
{
    char output[64];
    plot_run_param(p, run, "simulation", "output", output, sizeof output);
    if (!strcmp(output, "host") && what[0])
        return plot_fail(p, "no %ssamples for run %lld: it was run with output = host (VM samples need output = vm)",
                    what, (long long)run);
    if (!strcmp(output, "vm"))
        return plot_fail(p, "no %ssamples for run %lld%s%s (simulation.output.vms leaves them out?)", what,
                    (long long)run, p->o.group ? " in group " : "", p->o.group ? p->o.group : "");
    return plot_fail(p, "no %ssamples for run %lld: was it run with output = summary?", what, (long long)run);
}

/* The VMs of a run (filtered by --group). */

int plot_load_vms(plot_t *p, int64_t run_id, vm_row_t **out, size_t *n)
{
    sqlite3_stmt *st;
    int rc;
    *out = NULL;
    *n = 0;
    if ((rc = plot_prepare(p,
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
            v = plot_xrealloc(v, cap * sizeof *v);
        }
        vm_row_t *r = &v[(*n)++];
        r->vm_id = sqlite3_column_int64(st, 0);
        r->host_id = sqlite3_column_int64(st, 1);
        snprintf(r->grp, sizeof r->grp, "%s", plot_col_text(st, 2));
        snprintf(r->name, sizeof r->name, "%s", plot_col_text(st, 3));
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
        if (!plot_prepare(p, "SELECT DISTINCT grp FROM vms WHERE run_id = ? ORDER BY vm_id", &st)) {
            sqlite3_bind_int64(st, 1, run_id);
            while (sqlite3_step(st) == SQLITE_ROW)
                plot_strlist_intern(&g, plot_col_text(st, 0));
            sqlite3_finalize(st);
        }
        char list[1024];
        plot_strlist_join(&g, list, sizeof list);
        plot_strlist_free(&g);
        return plot_fail(p, "no VM group '%s' in run %lld (groups: %s)", p->o.group, (long long)run_id,
                    list[0] ? list : "none");
    }
    return SIM_OK;
}

/* ================================================================== script helpers */

void plot_gp_file(plot_t *p, const char *name)
{
    out_fmt_t keep = p->fmt;     /* a file name is not a label: no LaTeX escaping */
    p->fmt = OUT_PDF;
    plot_gp_str(p, name);
    p->fmt = keep;
}

/* `set WHAT 'LABEL'` with a printf-formatted, escaped label. */
__attribute__((format(printf, 3, 4)))
void plot_gp_set(plot_t *p, const char *what, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fprintf(p->gp, "set %s ", what);
    plot_gp_str(p, buf);
    fputc('\n', p->gp);
}

void plot_gp_logscale(plot_t *p)
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
double plot_nice_step(double range, double max_ticks, int time_axis)
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

/* ================================================================== axes text */

/* Value of axis `name` in an axes string "tau=0.25, vm web.count=4"; 1 if found. */
int plot_axis_value(const char *axes, const char *name, char *buf, size_t len)
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

void plot_axis_names(const char *axes, strlist_t *out)
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
            plot_strlist_intern(out, name);
        }
        s = end;
    }
}

/* ================================================================== metrics */

/* Distinct metric names of a summary table. */
int plot_metric_list(plot_t *p, const char *table, strlist_t *out)
{
    char sql[128];
    sqlite3_stmt *st;
    int rc;
    snprintf(sql, sizeof sql, "SELECT DISTINCT metric FROM %s ORDER BY metric", table);   /* fixed table names */
    if ((rc = plot_prepare(p, sql, &st)))
        return rc;
    while (sqlite3_step(st) == SQLITE_ROW)
        plot_strlist_add(out, plot_col_text(st, 0));
    sqlite3_finalize(st);
    return SIM_OK;
}

int plot_unknown_metric(plot_t *p, const char *metric, const char *what, const strlist_t *l)
{
    char list[4096];
    plot_strlist_join(l, list, sizeof list);
    return plot_fail(p, "unknown metric '%s' (%s metrics: %s)", metric, what, l->n ? list : "none: no complete runs");
}

/* ================================================================== gnuplot */

/* How to name the script on gnuplot's command line, in the output directory:
 * "STEM.EXT.gp", or "./STEM.EXT.gp" when STEM starts with '-' (gnuplot would read
 * "-.png.gp" or "-e.png.gp" as an option, print a warning and exit 0 without drawing). */
void plot_script_arg(const plot_t *p, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s.%s.gp", p->stem[0] == '-' ? "./" : "", p->stem, p->ext);
}

/* Run `gnuplot ./STEM.EXT.gp` in the output directory: fork + execvp, no shell (always "./",
 * so that no name is read as an option).  Its stderr is collected; a failure reports the
 * line that names the problem. */
int plot_run_gnuplot(plot_t *p)
{
    int errpipe[2], execpipe[2];
    if (pipe(errpipe) != 0)
        return plot_fail(p, "cannot run gnuplot: pipe: %s", strerror(errno));
    if (pipe(execpipe) != 0) {
        close(errpipe[0]);
        close(errpipe[1]);
        return plot_fail(p, "cannot run gnuplot: pipe: %s", strerror(errno));
    }
    fcntl(execpipe[1], F_SETFD, FD_CLOEXEC);
    char script[1100], arg[1104];
    snprintf(script, sizeof script, "%s.%s.gp", p->stem, p->ext);
    snprintf(arg, sizeof arg, "./%s", script);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(errpipe[0]);
        close(errpipe[1]);
        close(execpipe[0]);
        close(execpipe[1]);
        return plot_fail(p, "cannot run gnuplot: fork: %s", strerror(errno));
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
        char *args[] = {"gnuplot", arg, NULL};
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
            buf = plot_xrealloc(buf, cap);
        }
        ssize_t r = read(errpipe[0], buf + len, cap - len - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    buf = plot_xrealloc(buf, len + 1);
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
            rc = plot_fail(p, "gnuplot not found in PATH: install it (apt-get install gnuplot-nox), or use --script-only");
        else
            rc = plot_fail(p, "cannot run gnuplot in %s: %s", p->dir, strerror(exec_errno));
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
                rc = plot_fail(p, "gnuplot was killed by signal %d on %s/%s", WTERMSIG(status), p->dir, script);
            else
                rc = plot_fail(p, "gnuplot failed (exit %d) on %s/%s: %.*s", WEXITSTATUS(status), p->dir, script,
                          (int)pl, pl ? pick : "(no message)");
        } else if (len && !p->o.quiet) {
            fprintf(stderr, "balloonsim plot: gnuplot warned on %s/%s: %.*s\n", p->dir, script, (int)pl, pick);
        }
    }
    free(buf);
    return rc;
}

/* xtics naming categories 0..n-1: level when they fit their slots, else rotated by 45
 * degrees, and only every step-th when even that is too dense (0.55 em per character;
 * rotated labels need about 1.5 em apart).  The plot is about 1 in narrower than the figure. */
void plot_gp_category_tics(plot_t *p, const strlist_t *names)
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
        plot_gp_str_x(p, names->v[i], 1);
        fprintf(p->gp, " %zu", i);
    }
    fputs(rotate ? ") rotate by 45 right\n" : ")\n", p->gp);
}

void plot_series_add(series_set_t *set, const char *key, double v)
{
    size_t k = 0;
    while (k < set->n && strcmp(set->s[k].key, key))
        k++;
    if (k == set->n) {
        if (set->n == set->cap) {
            set->cap = set->cap ? 2 * set->cap : 8;
            set->s = plot_xrealloc(set->s, set->cap * sizeof *set->s);
        }
        set->s[k] = (series_t){plot_xstrdup(key), NULL, 0, 0};
        set->n++;
    }
    series_t *s = &set->s[k];
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->v = plot_xrealloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = v;
}

void plot_series_free(series_set_t *set)
{
    for (size_t k = 0; k < set->n; k++) {
        free(set->s[k].key);
        free(set->s[k].v);
    }
    free(set->s);
    memset(set, 0, sizeof *set);
}

/* Write sorted series as empirical CDFs: rows "value fraction" (fraction = i/n). */
int plot_write_cdf(plot_t *p, series_set_t *set, const char *header, double *xmin, double *xmax)
{
    FILE *f = plot_open_data(p, NULL);
    if (!f)
        return SIM_EIO;
    fprintf(f, "%s\n", header);
    *xmin = INFINITY;
    *xmax = -INFINITY;
    for (size_t k = 0; k < set->n; k++) {
        series_t *s = &set->s[k];
        qsort(s->v, s->n, sizeof *s->v, cmp_double);
        fprintf(f, "%s# block %zu: ", k ? "\n\n" : "", k);
        plot_dat_name(f, s->key);
        fprintf(f, " (%zu values)\n", s->n);
        for (size_t i = 0; i < s->n; i++)
            fprintf(f, "%.6g %.6g\n", s->v[i], (double)(i + 1) / (double)s->n);
        if (s->n) {
            *xmin = s->v[0] < *xmin ? s->v[0] : *xmin;
            *xmax = s->v[s->n - 1] > *xmax ? s->v[s->n - 1] : *xmax;
        }
    }
    return plot_close_data(p, &f);
}

/* The CDF plot command: steps, plus the first rise from 0 drawn as a vector. */
void plot_gp_cdf_plot(plot_t *p, const series_set_t *set, double xmin, double xmax)
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
    fputs("set offsets graph 0.02, graph 0.02, 0, 0\n", g);
    plot_gp_log_range(p, 'x', xmin, xmax);
    plot_gp_user(p, PLOT_USER_ALL);
    fputs("plot ", g);
    for (size_t k = 0; k < set->n; k++) {
        fprintf(g, "%s", k ? ", \\\n     " : "");
        plot_gp_file(p, dat);
        fprintf(g, " index %zu using 1:2 with steps ls %zu title ", k, k % 8 + 1);
        plot_gp_str(p, set->s[k].key);
        fprintf(g, ", \\\n     '' index %zu every ::0::0 using 1:(0):(0):2 with vectors nohead ls %zu notitle", k,
                k % 8 + 1);
    }
    plot_gp_hlines(p);
    fputc('\n', g);
}

/* ================================================================== selection (--where) */

typedef int (*parse_fn_t)(const char *s, double *v);

static int as_number(const char *s, double *v)
{
    char e[128];
    return !sim_units_parse_number(s, v, e, sizeof e);
}

static int as_bytes(const char *s, double *v)
{
    char e[128];
    int64_t b;
    if (sim_units_parse_bytes(s, &b, e, sizeof e))
        return 0;
    *v = (double)b;
    return 1;
}

static int as_duration(const char *s, double *v)
{
    char e[128];
    sim_time_t ns;
    if (sim_units_parse_duration(s, &ns, e, sizeof e))
        return 0;
    *v = (double)ns;
    return 1;
}

static int as_rate(const char *s, double *v)
{
    char e[128];
    return !sim_units_parse_rate(s, v, e, sizeof e);
}

static int as_fraction(const char *s, double *v)
{
    char e[128];
    return !sim_units_parse_fraction(s, v, e, sizeof e);
}

/* Equal as text, or as numbers in the first unit both parse in (plain number, size,
 * duration, rate, fraction): 24GiB == 24576MiB, 50% == 0.5, 1h == 60min. */
int plot_values_equal(const char *a, const char *b)
{
    static const parse_fn_t parsers[] = {as_number, as_bytes, as_duration, as_rate, as_fraction};
    if (!strcmp(a, b))
        return 1;
    for (size_t i = 0; i < sizeof parsers / sizeof parsers[0]; i++) {
        double x, y;
        if (parsers[i](a, &x) && parsers[i](b, &y))
            return x == y || fabs(x - y) <= 1e-9 * fmax(fabs(x), fabs(y));
    }
    return 0;
}

/* The value of `axis` for a run: its study axis of that name (runs.axes), else its stored
 * section.key (run_params).  0 when the run has neither. */
static int where_value(sqlite3_stmt *param, int64_t run, const char *axes, const char *axis, char *buf, size_t len)
{
    if (plot_axis_value(axes, axis, buf, len))
        return 1;
    sqlite3_reset(param);
    sqlite3_bind_int64(param, 1, run);
    sqlite3_bind_text(param, 2, axis, -1, SQLITE_STATIC);
    int found = sqlite3_step(param) == SQLITE_ROW;
    if (found)
        snprintf(buf, len, "%s", plot_col_text(param, 0));
    sqlite3_reset(param);
    return found;
}

/* Does the run pass every --where?  Filters on one axis are alternatives (OR), filters on
 * different axes all apply (AND).  Counts, per filter, the runs that match it alone. */
static int where_match(plot_t *p, sqlite3_stmt *param, int64_t run, const char *axes, int *known, int64_t *hits,
                       strlist_t *values)
{
    int all = 1;
    for (int i = 0; i < p->o.nwhere; i++) {
        char v[512];
        int first = 1, any = 0;
        for (int j = 0; j < i; j++)
            first = first && strcmp(p->o.where[j].axis, p->o.where[i].axis);
        if (!first)
            continue;                     /* this axis was handled with its first filter */
        if (!where_value(param, run, axes, p->o.where[i].axis, v, sizeof v)) {
            all = 0;
            continue;
        }
        plot_strlist_intern(&values[i], v);
        for (int j = i; j < p->o.nwhere; j++) {
            if (strcmp(p->o.where[j].axis, p->o.where[i].axis))
                continue;
            known[j] = 1;
            if (plot_values_equal(v, p->o.where[j].value)) {
                hits[j]++;
                any = 1;
            }
        }
        all = all && any;
    }
    return all;
}

/* The message when --where selects nothing: the filter that matched no run and the values
 * its axis takes, or the axes there are. */
static int where_fail(plot_t *p, const int *known, const int64_t *hits, const strlist_t *values, const strlist_t *axes)
{
    char list[2048];
    for (int i = 0; i < p->o.nwhere; i++) {
        const plot_where_t *w = &p->o.where[i];
        int first = 0;
        while (strcmp(p->o.where[first].axis, w->axis))
            first++;
        if (!known[i]) {
            plot_strlist_join(axes, list, sizeof list);
            return plot_fail(p, "--where %s=%s: no run has '%s' (study axes: %s; or any section.key, e.g. host.memory)",
                             w->axis, w->value, w->axis, axes->n ? list : "none");
        }
        if (!hits[i]) {
            plot_strlist_join(&values[first], list, sizeof list);
            return plot_fail(p, "--where %s=%s: no run has %s = %s (its values: %s)", w->axis, w->value, w->axis,
                             w->value, list);
        }
    }
    return plot_fail(p, "no run passes all the filters together (--where on different axes must all hold)");
}

/* Runs sql (statements without results) on the plot's database; on failure p->err says
 * "DB: cannot WHAT: reason" and SIM_EIO is returned. */
int plot_exec(plot_t *p, const char *sql, const char *what)
{
    char *msg = NULL;
    if (sqlite3_exec(p->h, sql, NULL, NULL, &msg) == SQLITE_OK)
        return SIM_OK;
    plot_fail(p, "%s: cannot %s: %s", p->o.db_path, what, msg ? msg : "?");
    sqlite3_free(msg);
    return SIM_EIO;
}

/* temp.plot_runs: the runs that --policy, --study and every --where select (any status;
 * the figures keep the complete ones).  Fails when --where selects nothing. */
int plot_select_runs(plot_t *p)
{
    if (plot_exec(p, "CREATE TEMP TABLE IF NOT EXISTS plot_runs(run_id INTEGER PRIMARY KEY);"
                     " DELETE FROM temp.plot_runs", "select runs"))
        return SIM_EIO;
    sqlite3_stmt *runs = NULL, *param = NULL, *ins = NULL;
    int rc;
    if ((rc = plot_prepare(p, "SELECT run_id, coalesce(axes, '') FROM runs WHERE (?1 IS NULL OR policy = ?1)"
                              " AND (?2 IS NULL OR study_key = ?2) ORDER BY run_id", &runs)) ||
        (rc = plot_prepare(p, "SELECT value FROM run_params WHERE run_id = ?1 AND section || '.' || key = ?2", &param)) ||
        (rc = plot_prepare(p, "INSERT INTO temp.plot_runs VALUES(?)", &ins)))
        goto out;
    if (p->o.policy)
        sqlite3_bind_text(runs, 1, p->o.policy, -1, SQLITE_STATIC);
    if (p->o.study)
        sqlite3_bind_text(runs, 2, p->o.study, -1, SQLITE_STATIC);
    int known[PLOT_MAX_WHERE] = {0};
    int64_t hits[PLOT_MAX_WHERE] = {0}, selected = 0;
    strlist_t values[PLOT_MAX_WHERE], axes = {0};
    memset(values, 0, sizeof values);
    while (sqlite3_step(runs) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(runs, 0);
        const char *ax = plot_col_text(runs, 1);
        plot_axis_names(ax, &axes);
        if (!where_match(p, param, id, ax, known, hits, values))
            continue;
        sqlite3_bind_int64(ins, 1, id);
        if (sqlite3_step(ins) != SQLITE_DONE) {
            rc = sql_fail(p, "cannot select runs");
            break;
        }
        sqlite3_reset(ins);
        selected++;
    }
    if (!rc && p->o.nwhere && !selected)
        rc = where_fail(p, known, hits, values, &axes);
    for (int i = 0; i < PLOT_MAX_WHERE; i++)
        plot_strlist_free(&values[i]);
    plot_strlist_free(&axes);
out:
    sqlite3_finalize(runs);
    sqlite3_finalize(param);
    sqlite3_finalize(ins);
    return rc;
}

/* ================================================================== the user's axes */

/* What the command line asks of the axes, written after the figure's own settings so that
 * it wins (what: PLOT_USER_* bits): --xlabel/--ylabel, --yrange, and the --hline lines
 * (arrows across the graph at y, tags 90..) with their labels. */
void plot_gp_user(plot_t *p, int what)
{
    FILE *g = p->gp;
    if ((what & PLOT_USER_LABELS) && p->o.xlabel)
        plot_gp_set(p, "xlabel", "%s", p->o.xlabel);
    if ((what & PLOT_USER_LABELS) && p->o.ylabel)
        plot_gp_set(p, "ylabel", "%s", p->o.ylabel);
    if ((what & PLOT_USER_HLINES) && p->o.nhline)
        fputs("set style textbox opaque noborder margins 1,1\n", g);
    if ((what & PLOT_USER_YRANGE) && (p->o.has_ylo || p->o.has_yhi)) {
        fputs("set yrange [", g);
        if (p->o.has_ylo)
            fprintf(g, "%.10g", p->o.ylo);
        else
            fputc('*', g);
        fputc(':', g);
        if (p->o.has_yhi)
            fprintf(g, "%.10g", p->o.yhi);
        else
            fputc('*', g);
        fputs("]\n", g);
    }
    for (int i = 0; (what & PLOT_USER_HLINES) && i < p->o.nhline; i++) {
        fprintf(g, "set arrow %d from graph 0, first %.10g to graph 1, first %.10g nohead ls 21 front   # --hline\n",
                90 + i, p->o.hline[i].y, p->o.hline[i].y);
        if (!p->o.hline[i].label[0])
            continue;
        fprintf(g, "set label %d ", 90 + i);
        plot_gp_str(p, p->o.hline[i].label);
        fprintf(g, " at graph 0.98, first %.10g right offset 0,0.6 front boxed tc rgb '#000000' font ',%g'\n",
                p->o.hline[i].y, p->font_pt - 1);
    }
}

/* The --hline values as invisible plot elements (", Y with lines lt nodraw notitle"), so
 * that autoscaling includes them; the arrows of plot_gp_user draw them across the graph. */
void plot_gp_hlines(plot_t *p)
{
    for (int i = 0; i < p->o.nhline; i++)
        fprintf(p->gp, ", \\\n     %.10g with lines lt nodraw notitle", p->o.hline[i].y);
}

/* The extremes of the --hline values folded into [*lo, *hi]. */
void plot_hline_extent(const plot_t *p, double *lo, double *hi)
{
    for (int i = 0; i < p->o.nhline; i++) {
        *lo = p->o.hline[i].y < *lo ? p->o.hline[i].y : *lo;
        *hi = p->o.hline[i].y > *hi ? p->o.hline[i].y : *hi;
    }
}

/* A logarithmic axis ranges over the data [lo, hi] (padded by 5% of its decades), not to
 * the enclosing powers of ten that gnuplot's autoscale picks; under 1.5 decades it gets
 * explicit ticks at 1, 2, 5 (or 1..9) times powers of ten, which gnuplot would not label. */
void plot_gp_log_range(plot_t *p, char axis, double lo, double hi)
{
    if (!p->o.log || !strchr(p->o.log, axis) || !(lo > 0) || !(hi >= lo) || !isfinite(hi))
        return;
    if (axis == 'y' && (p->o.has_ylo || p->o.has_yhi))
        return;                                   /* --yrange decides */
    double f = pow(hi / lo, 0.05);
    f = f < 1.05 ? 1.05 : f;
    double a = lo / f, b = hi * f;
    fprintf(p->gp, "set %crange [%.6g:%.6g]   # the data's range, not whole decades\n", axis, a, b);
    if (b / a >= pow(10, 1.5))
        return;
    static const double m125[] = {1, 2, 5}, m19[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    for (int pass = 0; pass < 2; pass++) {
        const double *m = pass ? m19 : m125;
        size_t nm = pass ? 9 : 3, n = 0;
        char buf[1024];
        size_t k = 0;
        for (double d = pow(10, floor(log10(a))); d <= b; d *= 10)
            for (size_t i = 0; i < nm; i++)
                if (m[i] * d >= a && m[i] * d <= b && k < sizeof buf - 40) {
                    k += (size_t)snprintf(buf + k, sizeof buf - k, "%s'%g' %g", n ? ", " : "", m[i] * d, m[i] * d);
                    n++;
                }
        if (n >= 3 || pass == 1) {
            fprintf(p->gp, "set %ctics (%s)\n", axis, buf);
            return;
        }
    }
}
