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

/* Rewrite `fingerprint == X` lines of file with fp. */
int expect_update_fingerprints(const char *file, const int *lines, size_t n, const char *fp, char *err,
                               size_t errlen)
{
    FILE *f = fopen(file, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot read", file);
        return SIM_EIO;
    }
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", file);
    FILE *o = fopen(tmp, "w");
    if (!o) {
        fclose(f);
        snprintf(err, errlen, "%.900s: cannot write", tmp);
        return SIM_EIO;
    }
    char buf[1024];
    int ln = 0;
    while (fgets(buf, sizeof buf, f)) {
        ln++;
        int hit = 0;
        for (size_t i = 0; i < n; i++)
            hit |= lines[i] == ln;
        if (hit)
            fprintf(o, "fingerprint == %s\n", fp);
        else
            fputs(buf, o);
    }
    fclose(f);
    if (fclose(o) != 0 || rename(tmp, file) != 0) {
        snprintf(err, errlen, "%.900s: cannot replace", file);
        return SIM_EIO;
    }
    return SIM_OK;
}
