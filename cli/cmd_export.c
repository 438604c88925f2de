/*
 * cli/cmd_export.c -- `balloonsim export DB [--view runs|points|vms|samples]
 * [--format csv|tsv|jsonl] [-o FILE]`: a results database as tidy data (one row per
 * observation, one column per variable) that R, pandas and gnuplot read without SQL.
 * The views and their columns are defined in cli/tables.h and docs/database.md.
 *
 * Formats (the numbers are the database's, in its canonical units: bytes, ns, bytes/s,
 * fractions; text for names):
 *   csv    RFC 4180: a header line, fields separated by ',', records ended by CRLF; a
 *          field holding ',', '"', CR or LF (or starting or ending with a space) is put
 *          in double quotes and its quotes doubled.  NULL is an empty field.
 *   tsv    the IANA text/tab-separated-values form: a header, fields separated by TAB,
 *          records ended by LF; a TAB, CR or LF inside a field (none in balloonsim's own
 *          text) is written as a space, since the format has no quoting.  NULL is empty.
 *   jsonl  one JSON object per line (JSON Lines): keys are the column names, numbers are
 *          JSON numbers, NULL (and a non-finite number) is null, text is a JSON string.
 * Reals are printed in the shortest form that reads back to the same double ("%.17g"
 * shortened), integers exactly.  With -o FILE the format defaults to the file's suffix
 * (.csv, .tsv, .jsonl/.ndjson), else csv; the file is written beside itself and renamed
 * into place, so a failed export leaves no half file.
 *
 * The database is opened read-only; the views are built as TEMP objects on that
 * connection (cli/tables.c), so any balloonsim database exports, also one written
 * before the views existed.  Exit: 0 written, 2 bad usage, a missing or foreign
 * database, an unknown view or format, a file that cannot be written.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sim/db.h"
#include "sim/units.h"
#include "cli/cmd_export.h"
#include "cli/tables.h"

typedef enum { FMT_CSV, FMT_TSV, FMT_JSONL } fmt_t;

static const struct {
    const char *name, *view, *help;
} views[] = {
    {"runs", "v_runs", "one row per run: study, run, point, repetition, seed, policy, status, axes, overcommit, metrics"},
    {"points", "v_points", "one row per sweep point and metric: n, mean, sd, ci95 over the repetitions"},
    {"vms", "v_vms", "one row per run and VM: the run's columns, the VM, every vm_summary metric"},
    {"samples", "v_samples", "one row per VM sample: run, axes, VM, time, every vm_samples column"},
};
enum { NVIEWS = sizeof views / sizeof views[0] };

static const struct {
    const char *name;
    fmt_t fmt;
} formats[] = {{"csv", FMT_CSV}, {"tsv", FMT_TSV}, {"jsonl", FMT_JSONL}, {"ndjson", FMT_JSONL}};
enum { NFORMATS = sizeof formats / sizeof formats[0] };

static void usage(FILE *f)
{
    fputs("usage: balloonsim export DB [--view runs|points|vms|samples] [--format csv|tsv|jsonl] [-o FILE]\n"
          "  --view V      which table (default runs):\n", f);
    for (size_t i = 0; i < NVIEWS; i++)
        fprintf(f, "                  %-8s %s\n", views[i].name, views[i].help);
    fputs("  --format F    csv (RFC 4180, default), tsv or jsonl (JSON Lines); with -o, the file's suffix\n"
          "  -o FILE       write FILE (default: standard output)\n"
          "  units: bytes, ns, bytes/s, fractions; see docs/database.md\n", f);
}

/* ------------------------------------------------------------------ writing fields */

static void put_real(FILE *f, double v)
{
    char buf[40];
    sim_units_format_number(v, buf, sizeof buf);     /* shortest text that reads back to v */
    fputs(buf, f);
}

static void put_csv_text(FILE *f, const char *s)
{
    size_t n = strlen(s);
    int quote = strpbrk(s, ",\"\r\n") != NULL || (n && (s[0] == ' ' || s[n - 1] == ' '));
    if (!quote) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void put_tsv_text(FILE *f, const char *s)
{
    for (; *s; s++)
        fputc(*s == '\t' || *s == '\r' || *s == '\n' ? ' ' : *s, f);
}

static void put_json_text(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\r')
            fputs("\\r", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static void put_text(FILE *f, fmt_t fmt, const char *s)
{
    if (fmt == FMT_CSV)
        put_csv_text(f, s);
    else if (fmt == FMT_TSV)
        put_tsv_text(f, s);
    else
        put_json_text(f, s);
}

static void put_value(FILE *f, fmt_t fmt, sqlite3_stmt *st, int c)
{
    switch (sqlite3_column_type(st, c)) {
    case SQLITE_INTEGER:
        fprintf(f, "%lld", (long long)sqlite3_column_int64(st, c));
        break;
    case SQLITE_FLOAT: {
        double v = sqlite3_column_double(st, c);
        if (isfinite(v))
            put_real(f, v);
        else if (fmt == FMT_JSONL)
            fputs("null", f);
        else
            fputs(isnan(v) ? "NaN" : v > 0 ? "Inf" : "-Inf", f);
        break;
    }
    case SQLITE_NULL:
        if (fmt == FMT_JSONL)
            fputs("null", f);
        break;
    default:
        put_text(f, fmt, (const char *)sqlite3_column_text(st, c));
    }
}

static void put_row(FILE *f, fmt_t fmt, sqlite3_stmt *st, int ncol, int header)
{
    const char *sep = fmt == FMT_CSV ? "," : fmt == FMT_TSV ? "\t" : ",";
    if (fmt == FMT_JSONL) {
        fputc('{', f);
        for (int c = 0; c < ncol; c++) {
            if (c)
                fputs(sep, f);
            put_json_text(f, sqlite3_column_name(st, c));
            fputc(':', f);
            put_value(f, fmt, st, c);
        }
        fputs("}\n", f);
        return;
    }
    for (int c = 0; c < ncol; c++) {
        if (c)
            fputs(sep, f);
        if (header)
            put_text(f, fmt, sqlite3_column_name(st, c));
        else
            put_value(f, fmt, st, c);
    }
    fputs(fmt == FMT_CSV ? "\r\n" : "\n", f);
}

/* ------------------------------------------------------------------ the command */

static int export_view(db_t *db, const char *view, fmt_t fmt, FILE *f, size_t *rows, char *err, size_t errlen)
{
    char sql[128];
    sqlite3_stmt *st;
    snprintf(sql, sizeof sql, "SELECT * FROM temp.%s", view);
    int rc = db_prepare(db, sql, &st, err, errlen);
    if (rc)
        return rc;
    int ncol = sqlite3_column_count(st), step;
    if (fmt != FMT_JSONL)
        put_row(f, fmt, st, ncol, 1);
    *rows = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        put_row(f, fmt, st, ncol, 0);
        (*rows)++;
    }
    if (step != SQLITE_DONE) {
        snprintf(err, errlen, "%s: reading %s: %s", db_path(db), view, sqlite3_errmsg(db_handle(db)));
        rc = SIM_EIO;
    }
    sqlite3_finalize(st);
    return rc;
}

static int find_format(const char *name, fmt_t *out)
{
    for (size_t i = 0; i < NFORMATS; i++)
        if (!strcmp(formats[i].name, name)) {
            *out = formats[i].fmt;
            return 0;
        }
    return -1;
}

/* The format named by FILE's suffix, or csv. */
static fmt_t format_of_file(const char *file)
{
    const char *dot = file ? strrchr(file, '.') : NULL;
    fmt_t f = FMT_CSV;
    if (dot && !strchr(dot, '/'))
        find_format(dot + 1, &f);
    return f;
}

static int write_out(db_t *db, const char *view, fmt_t fmt, const char *out, size_t *rows, char *err,
                     size_t errlen)
{
    if (!out)
        return export_view(db, view, fmt, stdout, rows, err, errlen);
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp%ld", out, (long)getpid()) >= (int)sizeof tmp) {
        snprintf(err, errlen, "%s: path too long", out);
        return SIM_EINPUT;
    }
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, errlen, "%s: cannot write: %s", out, strerror(errno));
        return SIM_EINPUT;
    }
    int rc = export_view(db, view, fmt, f, rows, err, errlen);
    if (ferror(f) && !rc) {
        snprintf(err, errlen, "%s: write failed (disk full?)", out);
        rc = SIM_EIO;
    }
    if (fclose(f) && !rc) {
        snprintf(err, errlen, "%s: write failed: %s", out, strerror(errno));
        rc = SIM_EIO;
    }
    if (!rc && rename(tmp, out)) {
        snprintf(err, errlen, "%s: cannot write: %s", out, strerror(errno));
        rc = SIM_EINPUT;
    }
    if (rc)
        unlink(tmp);
    return rc;
}

int cli_cmd_export(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"view", required_argument, NULL, 'v'}, {"format", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    const char *view = "runs", *format = NULL, *out = NULL;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "v:f:o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'v': view = optarg; break;
        case 'f': format = optarg; break;
        case 'o': out = optarg; break;
        case 'h': usage(stdout); return 0;
        default:
            fprintf(stderr, "balloonsim export: %s '%s'\n", optopt ? "option needs a value or is unknown:" :
                    "unknown option", argv[optind - 1]);
            usage(stderr);
            return 2;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "balloonsim export: expected one database DB\n");
        usage(stderr);
        return 2;
    }
    const char *dbfile = argv[optind];
    const char *table = NULL;
    for (size_t i = 0; i < NVIEWS; i++)
        if (!strcmp(views[i].name, view))
            table = views[i].view;
    if (!table) {
        fprintf(stderr, "balloonsim export: --view %s: unknown view (runs, points, vms or samples)\n", view);
        return 2;
    }
    fmt_t fmt = format_of_file(out);
    if (format && find_format(format, &fmt)) {
        fprintf(stderr, "balloonsim export: --format %s: unknown format (csv, tsv or jsonl)\n", format);
        return 2;
    }
    char err[SIM_ERR_MAX];
    if (access(dbfile, F_OK)) {
        fprintf(stderr, "balloonsim export: %s: no such database\n", dbfile);
        return 2;
    }
    db_t *db = NULL;
    size_t rows = 0;
    int rc = db_open_readonly(dbfile, &db, err, sizeof err);
    if (!rc)
        rc = tables_build(db, 1, err, sizeof err);
    if (!rc)
        rc = write_out(db, table, fmt, out, &rows, err, sizeof err);
    db_close(db);
    if (rc) {
        fprintf(stderr, "balloonsim export: %s\n", err);
        return 2;
    }
    if (out)
        fprintf(stderr, "export: %zu rows of %s to %s\n", rows, view, out);
    return 0;
}
