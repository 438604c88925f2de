/*
 * cli/plot.h -- what the figures of `balloonsim plot` share (plot_*): the options, the
 * plot in progress (output paths, database, gnuplot script), the helpers that write
 * gnuplot scripts and data files and read the results database (cli/plot.c), and the
 * figure table {name, help, function} with one function per figure (cli/fig_*.c).
 * The command itself, its options and the figures' descriptions: cli/cmd_plot.c.
 */
#ifndef CLI_PLOT_H
#define CLI_PLOT_H

/* SQL that keeps the runs selected by --policy, --study and --where (table temp.plot_runs,
 * made by plot_select_runs): "r.run_id IN " PLOT_SELECTED. */
#define PLOT_SELECTED "(SELECT run_id FROM temp.plot_runs)"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sqlite3.h>
#include "sim/db.h"
#include "sim/types.h"

typedef enum { OUT_PDF, OUT_PNG, OUT_SVG, OUT_TEX } out_fmt_t;

/* --where AXIS=VALUE on a study axis or a stored section.key (cli/plot.c plot_select_runs). */
#define PLOT_MAX_WHERE 16
#define PLOT_MAX_HLINE 8
typedef struct plot_where {
    char axis[256];
    const char *value;
} plot_where_t;

typedef struct plot_hline {
    double y;                  /* in the unit of the figure's y axis */
    char label[128];           /* "" for none */
} plot_hline_t;

typedef struct plot_opts {
    const char *db_path, *figure, *out;
    int has_run;
    int64_t run_id;
    const char *policy, *group, *study;
    plot_where_t where[PLOT_MAX_WHERE];
    int nwhere;
    const char *metric, *x, *as, *over, *log;
    const char *xlabel, *ylabel;   /* replace the figure's axis labels */
    int has_ylo, has_yhi;      /* --yrange LO:HI, either side may be '*' (automatic) */
    double ylo, yhi;
    plot_hline_t hline[PLOT_MAX_HLINE];
    int nhline;
    int normalise;             /* timeline: VM memory as a fraction of its configured size */
    const char *yscale;        /* timeline: "shared" (default) or "panel" */
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
    char data[4][1100];        /* base names of the data files written: STEM.EXT[.PART].dat */
    int ndata;
    const char *const *data_sfx;   /* the figure's data files (plot_figure_t.data) */
    char err[SIM_ERR_MAX];
} plot_t;


typedef struct strlist {
    char **v;
    size_t n, cap;
} strlist_t;

typedef struct vm_row {
    int64_t vm_id, host_id, nsamples;
    char grp[128], name[160];
    double configured_mib;
} vm_row_t;

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

/* One figure: its name (--figure NAME), one line of help for the usage, the function
 * that writes its data files and gnuplot script (argv: the command line, for the
 * script's header; returns 0, or an error code with p->err set), and the data files it
 * writes, as what follows STEM.EXT (".dat", ".host.dat"; NULL-ended): every file plot may
 * write is checked against the input database before anything is written (issue 15),
 * and plot_open_data refuses a name not listed here. */
enum { PLOT_MAX_DATA = 3 };
typedef struct plot_figure {
    const char *name;
    const char *help;
    int (*draw)(plot_t *p, int argc, char **argv);
    const char *data[PLOT_MAX_DATA + 1];
} plot_figure_t;

extern const plot_figure_t plot_figures[];
extern const size_t plot_nfigures;

/* The figures (cli/fig_NAME.c). */
int plot_fig_allocation(plot_t *p, int argc, char **argv);
int plot_fig_capacity(plot_t *p, int argc, char **argv);
int plot_fig_cdf(plot_t *p, int argc, char **argv);
int plot_fig_ops(plot_t *p, int argc, char **argv);
int plot_fig_sweep(plot_t *p, int argc, char **argv);
int plot_fig_timeline(plot_t *p, int argc, char **argv);

/* Helpers (cli/plot.c). */
void plot_axis_names(const char *axes, strlist_t *out);
void plot_gp_log_range(plot_t *p, char axis, double lo, double hi);
/* What plot_gp_user writes: the axis labels, the y range, the reference lines. */
enum { PLOT_USER_LABELS = 1, PLOT_USER_YRANGE = 2, PLOT_USER_HLINES = 4, PLOT_USER_ALL = 7 };
void plot_gp_user(plot_t *p, int what);
void plot_gp_hlines(plot_t *p);
void plot_hline_extent(const plot_t *p, double *lo, double *hi);
int plot_select_runs(plot_t *p);
int plot_values_equal(const char *a, const char *b);
int plot_axis_value(const char *axes, const char *name, char *buf, size_t len);
int plot_close_data(plot_t *p, FILE **fp);
void plot_script_arg(const plot_t *p, char *buf, size_t len);
const char *plot_col_text(sqlite3_stmt *st, int i);
int64_t plot_count_rows(plot_t *p, const char *sql, int64_t id);
void plot_dat_name(FILE *f, const char *s);
int plot_exec(plot_t *p, const char *sql, const char *what);
int plot_fail(plot_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void plot_gp_category_tics(plot_t *p, const strlist_t *names);
void plot_gp_cdf_plot(plot_t *p, const series_set_t *set, double xmin, double xmax);
void plot_gp_comment(const plot_t *p, const char *s);
void plot_gp_file(plot_t *p, const char *name);
void plot_gp_header(plot_t *p, int argc, char **argv);
void plot_gp_logscale(plot_t *p);
void plot_gp_set(plot_t *p, const char *what, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void plot_gp_str(const plot_t *p, const char *s);
void plot_gp_str_x(const plot_t *p, const char *s, int format);
int plot_load_vms(plot_t *p, int64_t run_id, vm_row_t **out, size_t *n);
double plot_mem_div(double max_mib, const char **unit);
void plot_metric_display(const char *metric, double max_abs, double *scale, char *label, size_t len);
int plot_metric_list(plot_t *p, const char *table, strlist_t *out);
double plot_nice_step(double range, double max_ticks, int time_axis);
int plot_no_samples(plot_t *p, int64_t run, const char *what);
FILE *plot_open_data(plot_t *p, const char *suffix);
int plot_pick_run(plot_t *p, int64_t *run_id, char *policy, size_t plen);
int plot_prepare(plot_t *p, const char *sql, sqlite3_stmt **st);
int plot_run_gnuplot(plot_t *p);
const char *plot_run_label(plot_t *p, int64_t run_id, char *buf, size_t len);
void plot_run_param(plot_t *p, int64_t run_id, const char *section, const char *key, char *buf, size_t len);
void plot_series_add(series_set_t *set, const char *key, double v);
void plot_series_free(series_set_t *set);
size_t plot_strlist_add(strlist_t *l, const char *s);
long plot_strlist_find(const strlist_t *l, const char *s);
void plot_strlist_free(strlist_t *l);
size_t plot_strlist_intern(strlist_t *l, const char *s);
void plot_strlist_join(const strlist_t *l, char *buf, size_t len);
double plot_time_div(double max_s, const char **unit);
int plot_unknown_metric(plot_t *p, const char *metric, const char *what, const strlist_t *l);
int plot_write_cdf(plot_t *p, series_set_t *set, const char *header, double *xmin, double *xmax);
void *plot_xrealloc(void *ptr, size_t n);
char *plot_xstrdup(const char *s);

#endif
