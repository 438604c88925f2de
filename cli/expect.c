/*
 * cli/expect.c -- the [expect] section of a scenario: expectation lines, metric look-ups in
 * a results database, and rewriting pinned fingerprints (used by cli/cmd_check.c).
 *
 * Syntax of an expectation line (one per line in [expect]):
 *     METRIC OP VALUE
 *   METRIC  run.NAME            a run_summary metric (models/dc.h), e.g. run.host_swap_out_bytes
 *           NAME                the same, without the prefix
 *           vm.GROUP.NAME[.AGG] a vm_summary metric over the VMs of [vm GROUP], aggregated by
 *                               AGG = mean (default) | min | max | sum
 *           fingerprint         the run's fingerprint (with == only)
 *     Metric names may be written with dots for underscores and without the unit suffix:
 *     vm.idle.usable.final means vm.idle.usable_final_bytes.
 *   OP      < <= > >= == !=
 *   VALUE   a number with an optional unit: 120MiB, 30s, 5ms, 20%, 1e6
 *           (sizes compare in bytes, durations in seconds, percentages as fractions).
 * Every run of the scenario's study is checked (each repetition and sweep point).
 * Fingerprints: `fingerprint == HEX` pins the run's behaviour; `--update-fingerprints`
 * rewrites those lines with the values of this build, so a change of behaviour must be
 * accepted on purpose.  The fingerprint hashes integers only (times in ns, pages, VM ids,
 * outcomes: see models/record.c), so it does not depend on the optimisation level.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sim/db.h"
#include "sim/file.h"
#include "sim/units.h"
#include "cli/expect.h"

static int parse_value(const char *s, double *out, int *unit)
{
    char msg[256];
    int64_t b;
    sim_time_t ns;
    double d;
    *unit = EXPECT_NUMBER;
    if (!sim_units_parse_number(s, out, msg, sizeof msg))
        return 0;
    if (!sim_units_parse_bytes(s, &b, msg, sizeof msg)) {
        *out = (double)b;
        *unit = EXPECT_BYTES;
        return 0;
    }
    if (!sim_units_parse_duration(s, &ns, msg, sizeof msg)) {
        *out = (double)ns / 1e9;
        *unit = EXPECT_SECONDS;
        return 0;
    }
    if (!sim_units_parse_fraction(s, &d, msg, sizeof msg)) {
        *out = d;
        *unit = EXPECT_FRACTION;
        return 0;
    }
    return SIM_EINPUT;
}

void expect_format_actual(const expectation_t *e, double v, char *buf, size_t len)
{
    if (!isfinite(v) || e->unit == EXPECT_NUMBER)
        snprintf(buf, len, "%.6g", v);
    else if (e->unit == EXPECT_BYTES && v >= 0)
        sim_units_format_human(v, buf, len);
    else if (e->unit == EXPECT_SECONDS && v >= 0)
        sim_units_format_human_duration(v, buf, len);
    else if (e->unit == EXPECT_FRACTION)
        snprintf(buf, len, "%.4g%%", v * 100);
    else
        snprintf(buf, len, "%.6g", v);
}

int expect_parse_line(const char *line, expectation_t *e, char *err, size_t errlen)
{
    static const char *ops[] = {"<=", ">=", "==", "!=", "<", ">"};
    const char *p = NULL, *op = NULL;
    for (size_t i = 0; i < 6 && !p; i++) {
        const char *q = strstr(line, ops[i]);
        if (q) {
            p = q;
            op = ops[i];
        }
    }
    if (!p) {
        snprintf(err, errlen, "'%s': expected METRIC OP VALUE with OP one of < <= > >= == !=", line);
        return SIM_EINPUT;
    }
    size_t mlen = (size_t)(p - line);
    while (mlen && isspace((unsigned char)line[mlen - 1]))
        mlen--;
    const char *v = p + strlen(op);
    while (isspace((unsigned char)*v))
        v++;
    if (mlen == 0 || mlen >= sizeof e->metric || !*v || strlen(v) >= sizeof e->value_text) {
        snprintf(err, errlen, "'%s': expected METRIC OP VALUE", line);
        return SIM_EINPUT;
    }
    memcpy(e->metric, line, mlen);
    e->metric[mlen] = 0;
    snprintf(e->op, sizeof e->op, "%s", op);
    snprintf(e->value_text, sizeof e->value_text, "%s", v);
    if (strcmp(e->metric, "fingerprint") && parse_value(v, &e->value, &e->unit)) {
        snprintf(err, errlen, "'%s': '%s' is not a number, size, duration or percentage", line, v);
        return SIM_EINPUT;
    }
    return SIM_OK;
}

int expect_compare(double a, const char *op, double b)
{
    double tol = 1e-9 * fmax(1.0, fabs(b));
    if (!strcmp(op, "<")) return a < b;
    if (!strcmp(op, "<=")) return a <= b + tol;
    if (!strcmp(op, ">")) return a > b;
    if (!strcmp(op, ">=")) return a >= b - tol;
    if (!strcmp(op, "==")) return fabs(a - b) <= tol;
    return fabs(a - b) > tol;
}

/* Look a metric up in run_summary (names) for run_id; tries the name, then the name with
 * dots as underscores, then with _bytes appended.  Returns 1 found, 0 not found. */
static int lookup(sqlite3 *h, const char *sql, int64_t run_id, const char *group, const char *name,
                  const char *agg, double *out)
{
    char cand[3][300];
    snprintf(cand[0], sizeof cand[0], "%s", name);
    snprintf(cand[1], sizeof cand[1], "%s", name);
    for (char *c = cand[1]; *c; c++)
        if (*c == '.')
            *c = '_';
    snprintf(cand[2], sizeof cand[2], "%.280s_bytes", cand[1]);
    char q[512];
    snprintf(q, sizeof q, sql, agg);
    for (int i = 0; i < 3; i++) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(h, q, -1, &st, NULL) != SQLITE_OK)
            return 0;
        sqlite3_bind_int64(st, 1, run_id);
        sqlite3_bind_text(st, 2, cand[i], -1, SQLITE_STATIC);
        if (group)
            sqlite3_bind_text(st, 3, group, -1, SQLITE_STATIC);
        int found = 0;
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
            *out = sqlite3_column_double(st, 0);
            found = 1;
        }
        sqlite3_finalize(st);
        if (found)
            return 1;
    }
    return 0;
}

int expect_metric_value(sqlite3 *h, int64_t run_id, const char *metric, double *out, char *err, size_t errlen)
{
    if (!strncmp(metric, "vm.", 3)) {
        char group[256], name[256], agg[8] = "avg";
        const char *rest = metric + 3;
        const char *dot = strchr(rest, '.');
        if (!dot || (size_t)(dot - rest) >= sizeof group) {
            snprintf(err, errlen, "'%s': expected vm.GROUP.METRIC", metric);
            return SIM_EINPUT;
        }
        snprintf(group, sizeof group, "%.*s", (int)(dot - rest), rest);
        snprintf(name, sizeof name, "%s", dot + 1);
        char *last = strrchr(name, '.');
        if (last && (!strcmp(last, ".mean") || !strcmp(last, ".min") || !strcmp(last, ".max") ||
                     !strcmp(last, ".sum"))) {
            snprintf(agg, sizeof agg, "%s", !strcmp(last, ".mean") ? "avg" : last + 1);
            *last = 0;
        }
        static const char *sql = "SELECT %s(s.value) FROM vm_summary s JOIN vms v USING(run_id, vm_id)"
                                 " WHERE s.run_id=?1 AND s.metric=?2 AND v.grp=?3";
        if (lookup(h, sql, run_id, group, name, agg, out))
            return SIM_OK;
        snprintf(err, errlen, "'%s': no VM metric '%s' for group '%s' (metrics: see vm_summary; "
                 "groups: the [vm NAME] sections)", metric, name, group);
        return SIM_EINPUT;
    }
    const char *name = !strncmp(metric, "run.", 4) ? metric + 4 : metric;
    static const char *sql = "SELECT %s(value) FROM run_summary WHERE run_id=?1 AND metric=?2";
    if (lookup(h, sql, run_id, NULL, name, "max", out))
        return SIM_OK;
    snprintf(err, errlen, "'%s': no run metric '%s' (see run_summary: host_swap_out_bytes, major_faults, "
             "mean_slowdown, ...)", metric, name);
    return SIM_EINPUT;
}

/* Append line[0..len) to buf with its fingerprint value replaced by fp, all else kept:
 * "  fingerprint != OLD   ; why\r\n" -> "  fingerprint == NEW   ; why\r\n" (the operator
 * becomes ==; indentation, spacing, an inline comment and the line end stay).  0, or -1
 * when the line is not `fingerprint OP VALUE`. */
static int replace_fingerprint(const char *line, size_t len, const char *fp, char *buf, size_t *used)
{
    static const char name[] = "fingerprint";
    size_t i = 0, op, v, ve;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    if (len - i < sizeof name - 1 || memcmp(line + i, name, sizeof name - 1))
        return -1;
    for (op = i + sizeof name - 1; op < len && (line[op] == ' ' || line[op] == '\t'); op++)
        ;
    if (len - op < 2 || line[op + 1] != '=')
        return -1;
    for (v = op + 2; v < len && (line[v] == ' ' || line[v] == '\t'); v++)
        ;
    for (ve = v; ve < len && !isspace((unsigned char)line[ve]); ve++)
        ;
    if (ve == v)
        return -1;
    size_t u = *used;
    memcpy(buf + u, line, op);
    memcpy(buf + u + op, "==", 2);
    memcpy(buf + u + op + 2, line + op + 2, v - op - 2);
    u += v;
    memcpy(buf + u, fp, strlen(fp));
    u += strlen(fp);
    memcpy(buf + u, line + ve, len - ve);
    *used = u + len - ve;
    return 0;
}

/* Rewrite the `fingerprint == X` lines of file with fp: only the value changes
 * (replace_fingerprint); the file is edited where a symlink points, keeping its mode
 * (sim_rewrite_file). */
int expect_update_fingerprints(const char *file, const int *lines, size_t n, const char *fp, char *err,
                               size_t errlen)
{
    FILE *f = sim_open_regular(file, "a scenario", err, errlen);
    if (!f)
        return SIM_EIO;
    char *text = NULL, *out = NULL;
    size_t len = 0, cap = 0, used = 0;
    int rc = SIM_EIO;
    for (;;) {                                   /* the whole file (at most SIM_INI_MAX_FILE) */
        if (len + 4096 > cap) {
            char *t = realloc(text, cap = 2 * cap + 8192);
            if (!t)
                goto nomem;
            text = t;
        }
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%.900s: cannot read", file);
        goto out;
    }
    /* each replaced line grows by at most strlen(fp) + 1 (a value never shorter than 1) */
    if (!(out = malloc(len + n * (strlen(fp) + 2) + 1)))
        goto nomem;
    int ln = 0;
    for (size_t at = 0; at < len;) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t end = nl ? (size_t)(nl - text) + 1 : len;
        int hit = 0;
        ln++;
        for (size_t i = 0; i < n; i++)
            hit |= lines[i] == ln;
        if (!hit) {
            memcpy(out + used, text + at, end - at);
            used += end - at;
        } else if (replace_fingerprint(text + at, end - at, fp, out, &used)) {
            snprintf(err, errlen, "%.900s:%d: expected 'fingerprint == VALUE' to update", file, ln);
            rc = SIM_EINPUT;
            goto out;
        }
        at = end;
    }
    rc = sim_rewrite_file(file, out, used, err, errlen);
    goto out;
nomem:
    snprintf(err, errlen, "out of memory");
    rc = SIM_ENOMEM;
out:
    fclose(f);
    free(text);
    free(out);
    return rc;
}
