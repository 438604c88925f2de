/*
 * models/trace.c -- loading CSV and Bitbrains GWA-T-12 traces into compact form, and the
 * library that shares them between VMs (workload_trace_*, workload_library_*).
 *
 * The format, the meaning of Bitbrains "Memory usage" and the rule for each quirk of the
 * real data (Q1..Q5) are specified in models/workload.h; this file implements them.
 *
 * Loading is one pass over the file (getline), appending to arrays that grow by
 * doubling, then three passes over the points: statistics, the loop cycle, compaction.
 * Bitbrains data: S. Shen, V. van Beek, A. Iosup, "Statistical Characterization of
 * Business-Critical Workloads Hosted in Cloud Datacenters", CCGrid 2015.
 * Known answer (tests/unit/test_workload.c): scenarios/traces/bitbrains/20.csv keeps 4,478
 * distinct timestamps out of 16,553 rows: 12,074 all-zero rows dropped (4,158 rows repeat
 * the previous row's timestamp, nearly all of them all-zero), 1 valid duplicate replaced.
 */
#include <assert.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "sim/err.h"
#include "models/trace.h"
#include "sim/file.h"
#include "sim/units.h"
#include "models/workload.h"

#define MAX_FIELDS 64
/* Every numeric column has the bounds of the scenario key it stands for (issue 15): a
 * memory column (anon, file, Bitbrains usage and provisioned) at most 1 PiB, as
 * workload.mean, workload.max and workload.file_set; an access rate at most 1e15 B/s, as
 * workload.access_rate (1e19 pages/s overflowed int64 in the guest model; 1e300 gave an
 * infinite slowdown). */
#define MAX_BYTES  1125899906842624.0      /* 1 PiB */
#define MAX_ACCESS_BYTES_PER_S 1e15
#define ECHO_MAX 64                        /* bytes of a field quoted in a message */
#define MS_THRESHOLD 1.0e11                /* Q1: a first timestamp >= this is in ms */
/* Longest span of a trace, first to last row: 4e18 ns (about 126 years), so that the
 * loop cycle t[n-1] + (t[n-1] - t[n-2]) <= 2 t[n-1] fits in int64 ns (found by
 * fuzz/fuzz_trace: a span near 9e18 ns overflowed the cycle). */
#define MAX_SPAN_NS 4.0e18

/* ------------------------------------------------------------------------------------ */
/* small helpers                                                                        */
/* ------------------------------------------------------------------------------------ */

/* s for a message: control bytes as \xNN (a trace line may hold ESC sequences that
 * would drive the terminal), at most ECHO_MAX bytes, then "...".  Returns buf. */
static const char *esc(const char *s, char *buf, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t w = 0, i;
    for (i = 0; s[i] && w + 8 < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i == ECHO_MAX) {
            memcpy(buf + w, "...", 3);
            w += 3;
            break;
        }
        if (c < 0x20 || c == 0x7f) {
            buf[w++] = '\\'; buf[w++] = 'x'; buf[w++] = hex[c >> 4]; buf[w++] = hex[c & 15];
        } else {
            buf[w++] = (char)c;
        }
    }
    buf[w] = '\0';
    return buf;
}
#define ESC(s) esc((s), (char[4 * ECHO_MAX + 16]){0}, 4 * ECHO_MAX + 16)

/* A NUL byte inside a line is an error (getline reads it, string functions would stop
 * there: "2\0001" was read as 2). */
static int nul_in_line(const char *path, long lineno, const char *line, ssize_t len, char *err, size_t errlen);

static char *trim(char *s)
{
    char *e;
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
        *--e = '\0';
    return s;
}

/* Split line at sep in place; fields are trimmed.  Returns the number of fields (which
 * may exceed max: only the first max are stored). */
static size_t split(char *line, char sep, char **fields, size_t max)
{
    size_t n = 0;
    char *p = line;
    for (;;) {
        char *q = strchr(p, sep);
        if (q)
            *q = '\0';
        if (n < max)
            fields[n] = trim(p);
        n++;
        if (!q)
            break;
        p = q + 1;
    }
    return n;
}

/* Split one CSV record in place by RFC 4180 (as R's write.csv and pandas write it): a
 * field may be quoted with '"', a quote inside it doubled; a quoted field may hold the
 * separator and line breaks.  Unquoted fields are trimmed; blanks around a quoted field
 * are dropped.  Returns the number of fields (only the first max are stored), or 0 with
 * *bad set when a quote is not closed or text follows a closing quote. */
static size_t split_csv(char *line, char sep, char **fields, size_t max, int *bad)
{
    size_t n = 0;
    char *p = line;
    *bad = 0;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        char *start = p, *end;
        if (*p == '"') {
            char *o = p;
            start = o;
            for (p++;; p++) {
                if (*p == '\0') {
                    *bad = 1;
                    return 0;
                }
                if (*p == '"') {
                    if (p[1] != '"')
                        break;
                    p++;
                }
                *o++ = *p;
            }
            end = o;
            p++;                               /* the closing quote */
            while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
                p++;
            if (*p != sep && *p != '\0') {
                *bad = 1;
                return 0;
            }
            char c = *p;
            *end = '\0';
            if (n < max)
                fields[n] = start;
            n++;
            if (c == '\0')
                break;
            p++;
            continue;
        }
        char *q = strchr(p, sep);
        if (q)
            *q = '\0';
        if (n < max)
            fields[n] = trim(start);
        n++;
        if (!q)
            break;
        p = q + 1;
    }
    return n;
}

/* Read one CSV record: a line, and the lines after it while a quoted field is open (an
 * odd number of '"' so far).  *lineno counts every line read.  Returns the length, -1 at
 * the end of the file, -2 out of memory. */
static ssize_t read_record(char **buf, size_t *cap, FILE *f, long *lineno)
{
    ssize_t len = getline(buf, cap, f);
    if (len < 0)
        return -1;
    (*lineno)++;
    char *more = NULL;
    size_t mcap = 0, quotes = 0, total = (size_t)len;   /* bytes, NULs included (nul_in_line) */
    for (size_t i = 0; i < total; i++)
        quotes += (*buf)[i] == '"';
    while (quotes % 2) {
        ssize_t m = getline(&more, &mcap, f);
        if (m < 0)
            break;                             /* split_csv reports the open quote */
        (*lineno)++;
        size_t need = total + (size_t)m + 1;
        if (need > *cap) {
            char *nb = realloc(*buf, need);
            if (!nb) {
                free(more);
                return -2;
            }
            *buf = nb, *cap = need;
        }
        memcpy(*buf + total, more, (size_t)m + 1);
        for (ssize_t i = 0; i < m; i++)
            quotes += more[i] == '"';
        total += (size_t)m;
    }
    free(more);
    return (ssize_t)total;
}

/* A finite decimal number filling all of s. */
static int parse_number(const char *s, double *out)
{
    char *end;
    double v;
    if (*s == '\0')
        return -1;
    errno = 0;
    v = strtod(s, &end);
    if (*end != '\0' || !isfinite(v) || errno == ERANGE)
        return -1;
    *out = v;
    return 0;
}

/* Blank or '#' comment line. */
static int skippable(const char *line)
{
    while (*line == ' ' || *line == '\t' || *line == '\r' || *line == '\n')
        line++;
    return *line == '\0' || *line == '#';
}

static int64_t bytes_to_pages_ceil(double bytes)
{
    return (int64_t)ceil(bytes / (double)SIM_PAGE_BYTES);
}

static int nul_in_line(const char *path, long lineno, const char *line, ssize_t len, char *err, size_t errlen)
{
    size_t n = strlen(line);
    if ((ssize_t)n == len)
        return 0;
    sim_set_err(err, errlen, "%s:%ld: NUL byte at column %zu (a trace is text)", path, lineno, n + 1);
    return 1;
}

int workload_path_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ------------------------------------------------------------------------------------ */
/* point builder: arrays growing by doubling; equal times replace (Q3: the last wins)   */
/* ------------------------------------------------------------------------------------ */

typedef struct builder {
    size_t n, cap;
    sim_time_t *t;
    int64_t *mem, *file;
    double *af, *acc;
    int has_file, has_af, has_acc;
    int64_t duplicates;
} builder_t;

static void builder_free(builder_t *b)
{
    free(b->t); free(b->mem); free(b->file); free(b->af); free(b->acc);
    memset(b, 0, sizeof *b);
}

static int grow(void **p, size_t cap, size_t size)
{
    void *q = realloc(*p, cap * size);
    if (!q)
        return -1;
    *p = q;
    return 0;
}

static int builder_push(builder_t *b, sim_time_t t, int64_t mem, int64_t file, double af, double acc)
{
    size_t i;
    if (b->n > 0 && b->t[b->n - 1] == t) {
        i = b->n - 1;                 /* Q3: a later row at the same time replaces */
        b->duplicates++;
    } else {
        if (b->n == b->cap) {
            size_t cap = b->cap ? 2 * b->cap : 256;
            if (grow((void **)&b->t, cap, sizeof *b->t) || grow((void **)&b->mem, cap, sizeof *b->mem) ||
                (b->has_file && grow((void **)&b->file, cap, sizeof *b->file)) ||
                (b->has_af && grow((void **)&b->af, cap, sizeof *b->af)) ||
                (b->has_acc && grow((void **)&b->acc, cap, sizeof *b->acc)))
                return -1;
            b->cap = cap;
        }
        i = b->n++;
    }
    b->t[i] = t;
    b->mem[i] = mem;
    if (b->has_file) b->file[i] = file;
    if (b->has_af) b->af[i] = af;
    if (b->has_acc) b->acc[i] = acc;
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int same_point(const workload_trace_t *tr, size_t i, size_t j)
{
    return tr->mem_pages[i] == tr->mem_pages[j] &&
           (!tr->file_pages || tr->file_pages[i] == tr->file_pages[j]) &&
           (!tr->active_fraction || tr->active_fraction[i] == tr->active_fraction[j]) &&
           (!tr->access_pages_per_s || tr->access_pages_per_s[i] == tr->access_pages_per_s[j]);
}

/* Move the builder's arrays into tr, then compute statistics, the cycle and compact. */
static int finish(workload_trace_t *tr, builder_t *b)
{
    size_t n = b->n, i, w;
    tr->n = n;
    tr->t_ns = b->t; tr->mem_pages = b->mem; tr->file_pages = b->file;
    tr->active_fraction = b->af; tr->access_pages_per_s = b->acc;
    tr->stats.duplicate_rows = b->duplicates;
    tr->stats.kept_rows = (int64_t)n;
    memset(b, 0, sizeof *b);
    if (n == 0)
        return 0;

    /* statistics over the kept rows */
    {
        double sum = 0;
        tr->stats.min_pages = tr->stats.max_pages = tr->mem_pages[0];
        for (i = 0; i < n; i++) {
            int64_t v = tr->mem_pages[i];
            if (v < tr->stats.min_pages) tr->stats.min_pages = v;
            if (v > tr->stats.max_pages) tr->stats.max_pages = v;
            if (tr->provisioned_pages > 0 && v > tr->provisioned_pages) tr->stats.over_provisioned_rows++;
            sum += (double)v;
        }
        tr->stats.mean_pages = sum / (double)n;
    }
    if (n >= 2) {
        int64_t *iv = malloc((n - 1) * sizeof *iv);
        if (!iv)
            return -1;
        for (i = 0; i + 1 < n; i++)
            iv[i] = tr->t_ns[i + 1] - tr->t_ns[i];
        qsort(iv, n - 1, sizeof *iv, cmp_i64);
        tr->stats.median_interval_ns = iv[(n - 1) / 2];
        tr->stats.max_interval_ns = iv[n - 2];
        for (i = 0; i + 1 < n; i++)
            if ((double)iv[i] > 1.5 * (double)tr->stats.median_interval_ns)
                tr->stats.gaps++;
        free(iv);
        /* Q5: the cycle -- the last point holds for one more last interval */
        tr->cycle_ns = tr->t_ns[n - 1] + (tr->t_ns[n - 1] - tr->t_ns[n - 2]);
    }
    tr->duration_ns = tr->t_ns[n - 1];

    /* compaction (T4): drop interior points equal to both neighbours */
    if (n >= 3) {
        w = 1;
        for (i = 1; i + 1 < n; i++) {
            if (same_point(tr, i, w - 1) && same_point(tr, i, i + 1))
                continue;
            if (w != i) {
                tr->t_ns[w] = tr->t_ns[i];
                tr->mem_pages[w] = tr->mem_pages[i];
                if (tr->file_pages) tr->file_pages[w] = tr->file_pages[i];
                if (tr->active_fraction) tr->active_fraction[w] = tr->active_fraction[i];
                if (tr->access_pages_per_s) tr->access_pages_per_s[w] = tr->access_pages_per_s[i];
            }
            w++;
        }
        tr->t_ns[w] = tr->t_ns[n - 1];
        tr->mem_pages[w] = tr->mem_pages[n - 1];
        if (tr->file_pages) tr->file_pages[w] = tr->file_pages[n - 1];
        if (tr->active_fraction) tr->active_fraction[w] = tr->active_fraction[n - 1];
        if (tr->access_pages_per_s) tr->access_pages_per_s[w] = tr->access_pages_per_s[n - 1];
        tr->n = w + 1;
        /* give back the slack; failure to shrink is harmless */
        {
            void *p;
            if ((p = realloc(tr->t_ns, tr->n * sizeof *tr->t_ns))) tr->t_ns = p;
            if ((p = realloc(tr->mem_pages, tr->n * sizeof *tr->mem_pages))) tr->mem_pages = p;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------------------------ */
/* CSV                                                                                  */
/* ------------------------------------------------------------------------------------ */

enum { COL_TIME, COL_ANON, COL_FILE, COL_AF, COL_ACC, NCOLKIND };

typedef struct colname {
    const char *name;
    int kind;
    double unit;        /* ns per unit of time; bytes per unit of memory; pages/s per unit */
} colname_t;

static const colname_t csv_columns[] = {
    { "time_ns", COL_TIME, 1.0 }, { "time_us", COL_TIME, 1e3 }, { "time_ms", COL_TIME, 1e6 },
    { "time_s", COL_TIME, 1e9 }, { "time_min", COL_TIME, 60e9 }, { "time_h", COL_TIME, 3600e9 },
    { "anon_bytes", COL_ANON, 1.0 }, { "anon_kib", COL_ANON, 1024.0 },
    { "anon_mib", COL_ANON, 1048576.0 }, { "anon_gib", COL_ANON, 1073741824.0 },
    { "anon_pages", COL_ANON, 4096.0 },
    { "file_bytes", COL_FILE, 1.0 }, { "file_kib", COL_FILE, 1024.0 },
    { "file_mib", COL_FILE, 1048576.0 }, { "file_gib", COL_FILE, 1073741824.0 },
    { "file_pages", COL_FILE, 4096.0 },
    { "active_fraction", COL_AF, 1.0 },
    { "access_pages_per_s", COL_ACC, 1.0 }, { "access_bytes_per_s", COL_ACC, 1.0 / 4096.0 },
};
#define CSV_COLUMN_LIST "time_{ns,us,ms,s,min,h}, anon_{bytes,kib,mib,gib,pages}, " \
    "file_{bytes,kib,mib,gib,pages}, active_fraction, access_pages_per_s, access_bytes_per_s"

static int load_csv(workload_trace_t *tr, FILE *f, char *line, long lineno, char **linebuf,
                    size_t *linecap, char *err, size_t errlen)
{
    const char *path = tr->path;
    char *fields[MAX_FIELDS];
    int colkind[MAX_FIELDS];
    double colunit[MAX_FIELDS];
    const char *colnm[MAX_FIELDS];
    int seen[NCOLKIND] = { 0 };
    size_t nf, ncol, i, k;
    builder_t b;
    double t_first = 0, t_prev = 0;
    int have_first = 0;
    ssize_t len;

    memset(&b, 0, sizeof b);
    /* header (fields may be quoted, as R's write.csv writes them) */
    int bad;
    ncol = split_csv(line, ',', fields, MAX_FIELDS, &bad);
    if (bad) {
        sim_set_err(err, errlen, "%s:%ld: header: a quoted field is not closed, or text follows its closing quote",
                    path, lineno);
        return SIM_EINPUT;
    }
    if (ncol > MAX_FIELDS) {
        sim_set_err(err, errlen, "%s:%ld: header has %zu columns (at most %d)", path, lineno, ncol, MAX_FIELDS);
        return SIM_EINPUT;
    }
    for (i = 0; i < ncol; i++) {
        if (fields[i][0] == '\0') {           /* R's row names: a column without a name */
            colkind[i] = -1;
            continue;
        }
        for (k = 0; k < sizeof csv_columns / sizeof csv_columns[0]; k++)
            if (strcmp(fields[i], csv_columns[k].name) == 0)
                break;
        if (k == sizeof csv_columns / sizeof csv_columns[0]) {
            sim_set_err(err, errlen, "%s:%ld: unknown column '%s' (columns: " CSV_COLUMN_LIST ")",
                   path, lineno, ESC(fields[i]));
            return SIM_EINPUT;
        }
        if (seen[csv_columns[k].kind]) {
            sim_set_err(err, errlen, "%s:%ld: column '%s' repeats the %s column", path, lineno,
                   ESC(fields[i]), csv_columns[k].kind == COL_TIME ? "time" :
                   csv_columns[k].kind == COL_ANON ? "anon" : csv_columns[k].kind == COL_FILE ? "file" :
                   csv_columns[k].kind == COL_AF ? "active_fraction" : "access");
            return SIM_EINPUT;
        }
        seen[csv_columns[k].kind] = 1;
        colkind[i] = csv_columns[k].kind;
        colunit[i] = csv_columns[k].unit;
        colnm[i] = csv_columns[k].name;
    }
    if (!seen[COL_TIME] || !seen[COL_ANON]) {
        sim_set_err(err, errlen, "%s:%ld: missing column '%s' (a time column such as time_s and an anon "
               "column such as anon_bytes are required)", path, lineno,
               !seen[COL_TIME] ? "time_s" : "anon_bytes");
        return SIM_EINPUT;
    }
    b.has_file = seen[COL_FILE];
    b.has_af = seen[COL_AF];
    b.has_acc = seen[COL_ACC];

    /* data rows */
    while ((len = read_record(linebuf, linecap, f, &lineno)) >= 0) {
        double tv = 0, v[NCOLKIND] = { 0 };
        sim_time_t t_ns;
        line = *linebuf;
        if (nul_in_line(path, lineno, line, len, err, errlen))
            goto fail;
        if (skippable(line))
            continue;
        nf = split_csv(line, ',', fields, MAX_FIELDS, &bad);
        if (bad) {
            sim_set_err(err, errlen, "%s:%ld: a quoted field is not closed, or text follows its closing quote",
                        path, lineno);
            goto fail;
        }
        if (nf != ncol) {
            sim_set_err(err, errlen, "%s:%ld: %zu fields, expected %zu (as in the header)", path, lineno, nf, ncol);
            goto fail;
        }
        tr->stats.rows++;
        for (i = 0; i < ncol; i++) {
            double x;
            if (colkind[i] < 0)
                continue;                      /* the unnamed (row names) column */
            if (parse_number(fields[i], &x)) {
                sim_set_err(err, errlen, "%s:%ld: column %s: '%s' is not a number", path, lineno, colnm[i], ESC(fields[i]));
                goto fail;
            }
            switch (colkind[i]) {
            case COL_TIME:
                tv = x;
                break;
            case COL_ANON: case COL_FILE:
                if (x < 0) {
                    sim_set_err(err, errlen, "%s:%ld: column %s: negative memory %s", path, lineno, colnm[i], ESC(fields[i]));
                    goto fail;
                }
                if (x * colunit[i] > MAX_BYTES) {
                    sim_set_err(err, errlen, "%s:%ld: column %s: %s is too large (at most 1 PiB, as "
                           "workload.max and workload.file_set)", path, lineno, colnm[i], ESC(fields[i]));
                    goto fail;
                }
                v[colkind[i]] = x * colunit[i];
                break;
            case COL_AF:
                if (x < 0 || x > 1) {
                    sim_set_err(err, errlen, "%s:%ld: column active_fraction: %s is outside 0..1", path, lineno, ESC(fields[i]));
                    goto fail;
                }
                v[COL_AF] = x;
                break;
            default:
                if (x < 0) {
                    sim_set_err(err, errlen, "%s:%ld: column %s: negative rate %s", path, lineno, colnm[i], ESC(fields[i]));
                    goto fail;
                }
                if (x * colunit[i] > MAX_ACCESS_BYTES_PER_S / SIM_PAGE_BYTES) {
                    sim_set_err(err, errlen, "%s:%ld: column %s: %s is too large (at most 1e15 B/s = %.0f "
                           "pages/s, as workload.access_rate)", path, lineno, colnm[i], ESC(fields[i]),
                           MAX_ACCESS_BYTES_PER_S / SIM_PAGE_BYTES);
                    goto fail;
                }
                v[COL_ACC] = x * colunit[i];
                break;
            }
        }
        for (i = 0; i < ncol; i++)
            if (colkind[i] == COL_TIME)
                break;
        if (!have_first) {
            t_first = t_prev = tv;
            have_first = 1;
        }
        if (tv < t_prev) {
            sim_set_err(err, errlen, "%s:%ld: time goes backwards (%s after %.17g)", path, lineno, ESC(fields[i]), t_prev);
            goto fail;
        }
        if (tv == t_prev && tr->stats.rows > 1)
            tr->stats.repeated_timestamps++;
        t_prev = tv;
        if ((tv - t_first) * colunit[i] > MAX_SPAN_NS) {
            sim_set_err(err, errlen, "%s:%ld: time %s is too far from the first row (a trace spans at most "
                   "126 years)", path, lineno, ESC(fields[i]));
            goto fail;
        }
        t_ns = (sim_time_t)llround((tv - t_first) * colunit[i]);
        if (builder_push(&b, t_ns, bytes_to_pages_ceil(v[COL_ANON]), bytes_to_pages_ceil(v[COL_FILE]),
                         v[COL_AF], v[COL_ACC])) {
            sim_set_err(err, errlen, "%s: out of memory", path);
            builder_free(&b);
            return SIM_ENOMEM;
        }
    }
    if (len == -2) {
        sim_set_err(err, errlen, "%s: out of memory", path);
        builder_free(&b);
        return SIM_ENOMEM;
    }
    if (ferror(f)) {
        sim_set_err(err, errlen, "%s: read error: %s", path, strerror(errno));
        builder_free(&b);
        return SIM_EIO;
    }
    if (b.n == 0) {
        sim_set_err(err, errlen, "%s: no data rows after the header (line %ld)", path, lineno);
        builder_free(&b);
        return SIM_EINPUT;
    }
    if (finish(tr, &b)) {
        sim_set_err(err, errlen, "%s: out of memory", path);
        return SIM_ENOMEM;
    }
    return 0;
fail:
    builder_free(&b);
    return SIM_EINPUT;
}

/* ------------------------------------------------------------------------------------ */
/* Bitbrains GWA-T-12                                                                   */
/* ------------------------------------------------------------------------------------ */

static int find_col(char **fields, size_t n, const char *name, int prefix)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (prefix ? strncasecmp(fields[i], name, strlen(name)) == 0 : strcasecmp(fields[i], name) == 0)
            return (int)i;
    return -1;
}

static int load_bitbrains(workload_trace_t *tr, FILE *f, char *line, long lineno, char **linebuf,
                          size_t *linecap, char *err, size_t errlen)
{
    static const char *prov_name = "Memory capacity provisioned [KB]";
    static const char *use_name = "Memory usage [KB]";
    const char *path = tr->path;
    char *fields[MAX_FIELDS];
    size_t ncol, nf;
    int ct, cp, cu;
    builder_t b;
    double t_first_valid = 0, t_prev = 0, t_scale_ns = 1e9;
    int have_row = 0, have_valid = 0;
    ssize_t len;

    memset(&b, 0, sizeof b);
    ncol = split(line, ';', fields, MAX_FIELDS);
    if (ncol > MAX_FIELDS) {
        sim_set_err(err, errlen, "%s:%ld: header has %zu columns (at most %d)", path, lineno, ncol, MAX_FIELDS);
        return SIM_EINPUT;
    }
    ct = find_col(fields, ncol, "Timestamp", 1);
    cp = find_col(fields, ncol, prov_name, 0);
    cu = find_col(fields, ncol, use_name, 0);
    if (ct < 0 || cp < 0 || cu < 0) {
        sim_set_err(err, errlen, "%s:%ld: missing column '%s' in the Bitbrains header", path, lineno,
               ct < 0 ? "Timestamp [ms]" : cp < 0 ? prov_name : use_name);
        return SIM_EINPUT;
    }

    while ((len = getline(linebuf, linecap, f)) >= 0) {
        double t, prov, use;
        line = *linebuf;
        lineno++;
        if (nul_in_line(path, lineno, line, len, err, errlen))
            goto fail;
        if (skippable(line))
            continue;
        nf = split(line, ';', fields, MAX_FIELDS);
        if (nf != ncol) {
            sim_set_err(err, errlen, "%s:%ld: %zu fields, expected %zu (as in the header)", path, lineno, nf, ncol);
            goto fail;
        }
        tr->stats.rows++;
        if (parse_number(fields[ct], &t)) {
            sim_set_err(err, errlen, "%s:%ld: Timestamp: '%s' is not a number", path, lineno, ESC(fields[ct]));
            goto fail;
        }
        if (parse_number(fields[cp], &prov)) {
            sim_set_err(err, errlen, "%s:%ld: %s: '%s' is not a number", path, lineno, prov_name, ESC(fields[cp]));
            goto fail;
        }
        if (parse_number(fields[cu], &use)) {
            sim_set_err(err, errlen, "%s:%ld: %s: '%s' is not a number", path, lineno, use_name, ESC(fields[cu]));
            goto fail;
        }
        if (prov < 0 || use < 0) {
            sim_set_err(err, errlen, "%s:%ld: %s: negative memory %s", path, lineno,
                   prov < 0 ? prov_name : use_name, prov < 0 ? ESC(fields[cp]) : ESC(fields[cu]));
            goto fail;
        }
        if (prov * 1024.0 > MAX_BYTES || use * 1024.0 > MAX_BYTES) {
            sim_set_err(err, errlen, "%s:%ld: %s: %s is too large (at most 1 PiB = 1099511627776 KB, as "
                   "vm memory)", path, lineno, prov * 1024.0 > MAX_BYTES ? prov_name : use_name,
                   ESC(prov * 1024.0 > MAX_BYTES ? fields[cp] : fields[cu]));
            goto fail;
        }
        if (!have_row) {
            /* Q1: Unix seconds, unless the first timestamp can only be milliseconds */
            if (t >= MS_THRESHOLD) {
                t_scale_ns = 1e6;
                tr->stats.timestamps_ms = 1;
            }
            t_prev = t;
            have_row = 1;
        }
        if (t < t_prev) {
            sim_set_err(err, errlen, "%s:%ld: time goes backwards (%s after %.17g)", path, lineno, ESC(fields[ct]), t_prev);
            goto fail;
        }
        if (t == t_prev && tr->stats.rows > 1)
            tr->stats.repeated_timestamps++;
        t_prev = t;
        if (prov > tr->provisioned_kib)
            tr->provisioned_kib = prov;
        /* Q2: missing samples */
        if (prov == 0 || use == 0) {
            tr->stats.missing_rows++;
            if (prov == 0)
                tr->stats.zero_rows++;
            continue;
        }
        if (!have_valid) {
            t_first_valid = t;
            have_valid = 1;
        }
        if ((t - t_first_valid) * t_scale_ns > MAX_SPAN_NS) {
            sim_set_err(err, errlen, "%s:%ld: Timestamp %s is too far from the first row (a trace spans at "
                   "most 126 years)", path, lineno, ESC(fields[ct]));
            goto fail;
        }
        if (builder_push(&b, (sim_time_t)llround((t - t_first_valid) * t_scale_ns),
                         (int64_t)ceil(use / 4.0), 0, 0, 0)) {   /* KiB -> 4 KiB pages */
            sim_set_err(err, errlen, "%s: out of memory", path);
            builder_free(&b);
            return SIM_ENOMEM;
        }
    }
    if (ferror(f)) {
        sim_set_err(err, errlen, "%s: read error: %s", path, strerror(errno));
        builder_free(&b);
        return SIM_EIO;
    }
    if (!have_row) {
        sim_set_err(err, errlen, "%s: no data rows after the header (line %ld)", path, lineno);
        builder_free(&b);
        return SIM_EINPUT;
    }
    tr->provisioned_pages = (int64_t)ceil(tr->provisioned_kib / 4.0);
    if (finish(tr, &b)) {
        sim_set_err(err, errlen, "%s: out of memory", path);
        return SIM_ENOMEM;
    }
    return 0;
fail:
    builder_free(&b);
    return SIM_EINPUT;
}

/* ------------------------------------------------------------------------------------ */
/* loading                                                                              */
/* ------------------------------------------------------------------------------------ */

void workload_trace_destroy(workload_trace_t *t)
{
    if (!t)
        return;
    free(t->path);
    free(t->t_ns); free(t->mem_pages); free(t->file_pages);
    free(t->active_fraction); free(t->access_pages_per_s);
    free(t);
}

int workload_trace_load(const char *path, workload_trace_t **out, char *err, size_t errlen)
{
    FILE *f;
    char *linebuf = NULL;
    size_t linecap = 0;
    long lineno = 0;
    ssize_t len;
    int rc;
    workload_trace_t *tr;

    *out = NULL;
    if (workload_path_is_dir(path)) {
        sim_set_err(err, errlen, "%s: is a directory (a directory of Bitbrains files needs workload = bitbrains)", path);
        return SIM_EINPUT;
    }
    /* A trace is a regular file: a device such as /dev/zero would be read as one endless
     * line until memory runs out (tests/bad/046), and a FIFO would wait for a writer
     * (tests/bad/083) -- and `validate` and every sweep point read the trace again.  The
     * file is opened without blocking so that a FIFO is refused, not waited on. */
    f = sim_open_regular(path, "a trace", err, errlen);
    if (!f)
        return SIM_EINPUT;
    tr = calloc(1, sizeof *tr);
    if (!tr || !(tr->path = strdup(path))) {
        free(tr);
        fclose(f);
        sim_set_err(err, errlen, "%s: out of memory", path);
        return SIM_ENOMEM;
    }
    /* the header: the first line that is neither blank nor a comment */
    while ((len = getline(&linebuf, &linecap, f)) >= 0) {
        lineno++;
        if (lineno == 1 && len >= 3 && memcmp(linebuf, "\xEF\xBB\xBF", 3) == 0) {
            memmove(linebuf, linebuf + 3, (size_t)len - 2);      /* a UTF-8 BOM, as in scenarios */
            len -= 3;
        }
        if (nul_in_line(path, lineno, linebuf, len, err, errlen)) {
            free(linebuf);
            fclose(f);
            workload_trace_destroy(tr);
            return SIM_EINPUT;
        }
        if (!skippable(linebuf))
            break;
    }
    if (len < 0) {
        if (ferror(f)) {
            sim_set_err(err, errlen, "%s: read error: %s", path, strerror(errno));
            rc = SIM_EIO;
        } else {
            sim_set_err(err, errlen, "%s: empty file (expected a header row such as 'time_s,anon_bytes')", path);
            rc = SIM_EINPUT;
        }
    } else if (strncasecmp(trim(linebuf), "Timestamp", 9) == 0 && strchr(linebuf, ';')) {
        tr->format = WORKLOAD_TRACE_BITBRAINS;
        rc = load_bitbrains(tr, f, trim(linebuf), lineno, &linebuf, &linecap, err, errlen);
    } else {
        tr->format = WORKLOAD_TRACE_CSV;
        rc = load_csv(tr, f, trim(linebuf), lineno, &linebuf, &linecap, err, errlen);
    }
    free(linebuf);
    fclose(f);
    if (rc) {
        workload_trace_destroy(tr);
        return rc;
    }
    *out = tr;
    return 0;
}

/* ------------------------------------------------------------------------------------ */
/* the library                                                                          */
/* ------------------------------------------------------------------------------------ */

typedef struct bb_dir {
    char *path;
    size_t count;                        /* usable files */
    const workload_trace_t **traces;     /* owned by the library's trace list */
} bb_dir_t;

struct workload_library {
    workload_trace_t **traces;
    size_t ntraces, cap;
    bb_dir_t *dirs;
    size_t ndirs, dcap;
};

int workload_library_create(workload_library_t **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? 0 : SIM_ENOMEM;
}

void workload_library_destroy(workload_library_t *lib)
{
    size_t i;
    if (!lib)
        return;
    for (i = 0; i < lib->ntraces; i++)
        workload_trace_destroy(lib->traces[i]);
    for (i = 0; i < lib->ndirs; i++) {
        free(lib->dirs[i].path);
        free(lib->dirs[i].traces);
    }
    free(lib->traces);
    free(lib->dirs);
    free(lib);
}

int workload_library_trace(workload_library_t *lib, const char *path,
                           const workload_trace_t **out, char *err, size_t errlen)
{
    size_t i;
    workload_trace_t *tr;
    int rc;

    *out = NULL;
    for (i = 0; i < lib->ntraces; i++)
        if (strcmp(lib->traces[i]->path, path) == 0) {
            *out = lib->traces[i];
            return 0;
        }
    if (lib->ntraces == lib->cap) {
        size_t cap = lib->cap ? 2 * lib->cap : 16;
        if (grow((void **)&lib->traces, cap, sizeof *lib->traces)) {
            sim_set_err(err, errlen, "%s: out of memory", path);
            return SIM_ENOMEM;
        }
        lib->cap = cap;
    }
    if ((rc = workload_trace_load(path, &tr, err, errlen)))
        return rc;
    lib->traces[lib->ntraces++] = tr;
    *out = tr;
    return 0;
}

/* Order of files in a directory: numbered names (digits then ".csv") by number, then the
 * others by strcmp. */
static int cmp_names(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    char *ex, *ey;
    unsigned long long nx, ny;
    int numx, numy;
    nx = strtoull(x, &ex, 10);
    ny = strtoull(y, &ey, 10);
    numx = ex != x && isdigit((unsigned char)x[0]) && strcasecmp(ex, ".csv") == 0;
    numy = ey != y && isdigit((unsigned char)y[0]) && strcasecmp(ey, ".csv") == 0;
    if (numx != numy)
        return numx ? -1 : 1;
    if (numx && nx != ny)
        return nx < ny ? -1 : 1;
    return strcmp(x, y);
}

static int has_csv_suffix(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && strcasecmp(name + n - 4, ".csv") == 0;
}

static int dir_load(workload_library_t *lib, const char *dir, const bb_dir_t **out, char *err, size_t errlen)
{
    DIR *d;
    struct dirent *e;
    char **names = NULL;
    size_t nnames = 0, cap = 0, i;
    bb_dir_t bd;
    int rc = 0;
    char *full = NULL;

    *out = NULL;
    for (i = 0; i < lib->ndirs; i++)
        if (strcmp(lib->dirs[i].path, dir) == 0) {
            *out = &lib->dirs[i];
            return 0;
        }
    memset(&bd, 0, sizeof bd);
    if (!workload_path_is_dir(dir)) {
        /* one Bitbrains file: a group of one file, which every VM replays */
        const workload_trace_t *tr;
        if ((rc = workload_library_trace(lib, dir, &tr, err, errlen)))
            return rc;
        if (tr->format != WORKLOAD_TRACE_BITBRAINS) {
            sim_set_err(err, errlen, "%s: not a Bitbrains file (its header must start with 'Timestamp' and use ';')", dir);
            return SIM_EINPUT;
        }
        if (tr->n == 0) {
            sim_set_err(err, errlen, "%s: no valid memory row (every row is a missing sample)", dir);
            return SIM_EINPUT;
        }
        if (lib->ndirs == lib->dcap) {
            size_t dcap = lib->dcap ? 2 * lib->dcap : 4;
            if (grow((void **)&lib->dirs, dcap, sizeof *lib->dirs)) {
                sim_set_err(err, errlen, "%s: out of memory", dir);
                return SIM_ENOMEM;
            }
            lib->dcap = dcap;
        }
        bd.path = strdup(dir);
        bd.traces = malloc(sizeof *bd.traces);
        if (!bd.path || !bd.traces) {
            free(bd.path);
            free(bd.traces);
            sim_set_err(err, errlen, "%s: out of memory", dir);
            return SIM_ENOMEM;
        }
        bd.traces[0] = tr;
        bd.count = 1;
        lib->dirs[lib->ndirs] = bd;
        *out = &lib->dirs[lib->ndirs++];
        return 0;
    }
    d = opendir(dir);
    if (!d) {
        sim_set_err(err, errlen, "%s: cannot open directory: %s", dir, strerror(errno));
        return SIM_EINPUT;
    }
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || !has_csv_suffix(e->d_name))
            continue;
        if (nnames == cap) {
            cap = cap ? 2 * cap : 64;
            if (grow((void **)&names, cap, sizeof *names)) { rc = SIM_ENOMEM; break; }
        }
        if (!(names[nnames] = strdup(e->d_name))) { rc = SIM_ENOMEM; break; }
        nnames++;
    }
    closedir(d);
    if (rc == 0) {
        if (nnames > 0)
            qsort(names, nnames, sizeof *names, cmp_names);
        bd.traces = calloc(nnames ? nnames : 1, sizeof *bd.traces);
        bd.path = strdup(dir);
        if (!bd.traces || !bd.path)
            rc = SIM_ENOMEM;
    }
    if (rc == SIM_ENOMEM)
        sim_set_err(err, errlen, "%s: out of memory", dir);
    for (i = 0; rc == 0 && i < nnames; i++) {
        size_t len = strlen(dir) + strlen(names[i]) + 2;
        const workload_trace_t *tr;
        struct stat st;
        free(full);
        if (!(full = malloc(len))) {
            sim_set_err(err, errlen, "%s: out of memory", dir);
            rc = SIM_ENOMEM;
            break;
        }
        snprintf(full, len, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", names[i]);
        if (stat(full, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if ((rc = workload_library_trace(lib, full, &tr, err, errlen)))
            break;
        if (tr->format != WORKLOAD_TRACE_BITBRAINS) {
            sim_set_err(err, errlen, "%s: not a Bitbrains file (its header must start with 'Timestamp' and use ';')", full);
            rc = SIM_EINPUT;
            break;
        }
        if (tr->n > 0)
            bd.traces[bd.count++] = tr;
    }
    if (rc == 0 && bd.count == 0) {
        sim_set_err(err, errlen, "%s: no usable Bitbrains file (*.csv with at least one valid memory row)", dir);
        rc = SIM_EINPUT;
    }
    if (rc == 0 && lib->ndirs == lib->dcap) {
        size_t dcap = lib->dcap ? 2 * lib->dcap : 4;
        if (grow((void **)&lib->dirs, dcap, sizeof *lib->dirs)) {
            sim_set_err(err, errlen, "%s: out of memory", dir);
            rc = SIM_ENOMEM;
        } else
            lib->dcap = dcap;
    }
    free(full);
    for (i = 0; i < nnames; i++)
        free(names[i]);
    free(names);
    if (rc) {
        free(bd.path);
        free(bd.traces);
        return rc;
    }
    lib->dirs[lib->ndirs] = bd;
    *out = &lib->dirs[lib->ndirs++];
    return 0;
}

int workload_bitbrains_dir_count(workload_library_t *lib, const char *dir, int64_t *out_count,
                                 char *err, size_t errlen)
{
    const bb_dir_t *d;
    int rc = dir_load(lib, dir, &d, err, errlen);
    *out_count = rc ? 0 : (int64_t)d->count;
    return rc;
}

int workload_library_dir_trace(workload_library_t *lib, const char *dir, int64_t index,
                               const workload_trace_t **out, char *err, size_t errlen)
{
    const bb_dir_t *d;
    int rc = dir_load(lib, dir, &d, err, errlen);
    *out = NULL;
    if (rc)
        return rc;
    if (index < 0) {
        sim_set_err(err, errlen, "%s: negative VM index %lld", dir, (long long)index);
        return SIM_EINPUT;
    }
    *out = d->traces[(size_t)(index % (int64_t)d->count)];
    return 0;
}

int workload_bitbrains_provisioned_bytes(workload_library_t *lib, const char *dir, int64_t index,
                                         int64_t *out_bytes, char *err, size_t errlen)
{
    const bb_dir_t *d;
    int rc = dir_load(lib, dir, &d, err, errlen);
    *out_bytes = 0;
    if (rc)
        return rc;
    if (index < 0) {
        sim_set_err(err, errlen, "%s: negative VM index %lld", dir, (long long)index);
        return SIM_EINPUT;
    }
    *out_bytes = (int64_t)llround(d->traces[(size_t)(index % (int64_t)d->count)]->provisioned_kib * 1024.0);
    return 0;
}

const char *workload_bitbrains_file(workload_library_t *lib, const char *dir, int64_t vm_index,
                                    char *err, size_t errlen)
{
    const workload_trace_t *tr;
    if (workload_library_dir_trace(lib, dir, vm_index, &tr, err, errlen))
        return NULL;
    return tr->path;
}

/* ------------------------------------------------------------------------------------ */
/* warnings (trace.h "WARNINGS")                                                        */
/* ------------------------------------------------------------------------------------ */

/* How often a looped replay goes round in a day: "; looped N times a day" or "". */
static void loops_per_day(const workload_trace_t *tr, char *buf, size_t len)
{
    buf[0] = '\0';
    if (tr->n >= 2 && tr->cycle_ns > 0 && tr->cycle_ns < 86400 * SIM_NS_PER_S)
        snprintf(buf, len, "; workload.loop replays it %.0f times a day", 86400e9 / (double)tr->cycle_ns);
}

static int warn_dropped(const workload_trace_t *tr, const workload_trace_limits_t *lim, char *msg, size_t len)
{
    const workload_trace_stats_t *st = &tr->stats;
    int64_t dropped = st->rows - st->kept_rows;
    char span[32], loops[64];
    (void)lim;
    if (st->rows <= 0 || (double)dropped <= WORKLOAD_TRACE_WARN_DROPPED * (double)st->rows)
        return 0;
    sim_units_format_human_duration(sim_time_to_s(tr->duration_ns), span, sizeof span);
    loops_per_day(tr, loops, sizeof loops);
    snprintf(msg, len, "%s: %lld of %lld rows dropped (%.1f%%, more than %.0f%%: missing samples and repeated "
             "timestamps); the %lld kept rows span %s and are replayed as if complete%s", tr->path,
             (long long)dropped, (long long)st->rows, 100.0 * (double)dropped / (double)st->rows,
             100.0 * WORKLOAD_TRACE_WARN_DROPPED, (long long)st->kept_rows, span, loops);
    return 1;
}

static int warn_short(const workload_trace_t *tr, const workload_trace_limits_t *lim, char *msg, size_t len)
{
    char span[32], loops[64];
    (void)lim;
    if (tr->n == 0 || tr->duration_ns >= WORKLOAD_TRACE_WARN_SPAN_NS)
        return 0;
    sim_units_format_human_duration(sim_time_to_s(tr->duration_ns), span, sizeof span);
    loops_per_day(tr, loops, sizeof loops);
    snprintf(msg, len, "%s: the trace spans %s (%lld kept rows), less than an hour%s", tr->path, span,
             (long long)tr->stats.kept_rows, tr->n >= 2 ? loops : ": one row, replayed as a constant");
    return 1;
}

static int warn_over(const workload_trace_t *tr, const workload_trace_limits_t *lim, char *msg, size_t len)
{
    const workload_trace_stats_t *st = &tr->stats;
    char mx[32], pv[32];
    (void)lim;
    if (tr->format != WORKLOAD_TRACE_BITBRAINS || st->over_provisioned_rows <= 0)
        return 0;
    sim_units_format_human((double)st->max_pages * SIM_PAGE_BYTES, mx, sizeof mx);
    sim_units_format_human(tr->provisioned_kib * 1024.0, pv, sizeof pv);
    snprintf(msg, len, "%s: memory usage above the provisioned memory in %lld of %lld kept rows (at most %s of "
             "%s provisioned); workload.mapping = fit caps it (counted as usage_capped_s), legacy replays it "
             "as is", tr->path, (long long)st->over_provisioned_rows, (long long)st->kept_rows, mx, pv);
    return 1;
}

static int warn_host(const workload_trace_t *tr, const workload_trace_limits_t *lim, char *msg, size_t len)
{
    char pv[32], room[32];
    double prov = tr->provisioned_kib * 1024.0;
    if (tr->format != WORKLOAD_TRACE_BITBRAINS || lim->host_room_bytes <= 0 || prov <= (double)lim->host_room_bytes)
        return 0;
    sim_units_format_human(prov, pv, sizeof pv);
    sim_units_format_human((double)lim->host_room_bytes, room, sizeof room);
    snprintf(msg, len, "%s: provisioned memory %s is more than a host of %s has for one VM (%s = memory - "
             "reserve - vm_overhead): a VM sized by the trace (memory = 0) cannot be placed", tr->path, pv,
             lim->host_from ? lim->host_from : "the scenario", room);
    return 1;
}

static const struct {
    int (*check)(const workload_trace_t *tr, const workload_trace_limits_t *lim, char *msg, size_t len);
} trace_warnings[] = { { warn_dropped }, { warn_short }, { warn_over }, { warn_host } };

int workload_trace_warnings(const workload_trace_t *tr, const workload_trace_limits_t *lim,
                            void (*emit)(void *ctx, const char *msg), void *ctx)
{
    static const workload_trace_limits_t none = { 0, NULL };
    char msg[SIM_ERR_MAX + 512];
    int count = 0;
    for (size_t i = 0; i < sizeof trace_warnings / sizeof trace_warnings[0]; i++)
        if (trace_warnings[i].check(tr, lim ? lim : &none, msg, sizeof msg)) {
            emit(ctx, msg);
            count++;
        }
    return count;
}
