/*
 * models/expect.c -- `balloonsim check`: run scenarios and verify their [expect] sections.
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
 *
 * Exit status: 0 every expectation holds; 1 one failed (each is listed with its actual
 * value); 2 bad input (unknown metric, malformed line, bad scenario).
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sim/db.h"
#include "sim/units.h"
#include "models/cli.h"

typedef struct expectation {
    char metric[256];
    char op[3];
    char value_text[128];
    double value;
    int line;
} expectation_t;

static int parse_value(const char *s, double *out)
{
    char msg[256];
    int64_t b;
    sim_time_t ns;
    double d;
    if (!sim_units_parse_number(s, out, msg, sizeof msg))
        return 0;
    if (!sim_units_parse_bytes(s, &b, msg, sizeof msg)) {
        *out = (double)b;
        return 0;
    }
    if (!sim_units_parse_duration(s, &ns, msg, sizeof msg)) {
        *out = (double)ns / 1e9;
        return 0;
    }
    if (!sim_units_parse_fraction(s, &d, msg, sizeof msg)) {
        *out = d;
        return 0;
    }
    return SIM_EINPUT;
}

static int parse_line(const char *line, expectation_t *e, char *err, size_t errlen)
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
    if (strcmp(e->metric, "fingerprint") && parse_value(v, &e->value)) {
        snprintf(err, errlen, "'%s': '%s' is not a number, size, duration or percentage", line, v);
        return SIM_EINPUT;
    }
    return SIM_OK;
}

static int compare(double a, const char *op, double b)
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

static int metric_value(sqlite3 *h, int64_t run_id, const char *metric, double *out, char *err, size_t errlen)
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
static int update_fingerprints(const char *file, const int *lines, size_t n, const char *fp, char *err,
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

static int check_file(const cli_opts_t *o, const char *file, int *failed, char *err, size_t errlen)
{
    sim_ini_t *ini;
    sim_study_t *study;
    int64_t seed;
    int rc = cli_load(o, file, &ini, &study, &seed, err, errlen);
    if (rc)
        return rc;
    /* Parse expectations first: a malformed line is bad input before any run. */
    size_t n = 0;
    for (size_t i = 0; i < ini->count; i++)
        n += !strcmp(ini->entries[i].section, "expect");
    expectation_t *ex = calloc(n ? n : 1, sizeof *ex);
    int *fp_lines = calloc(n ? n : 1, sizeof *fp_lines);
    size_t nfp = 0;
    char dbp[4096] = "";
    db_t *db = NULL;
    if (!ex || !fp_lines) {
        rc = SIM_ENOMEM;
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    n = 0;
    for (size_t i = 0; i < ini->count; i++) {
        const sim_ini_entry_t *e = &ini->entries[i];
        if (strcmp(e->section, "expect"))
            continue;
        char msg[SIM_ERR_MAX];
        if (e->key[0] != '#' || parse_line(e->value, &ex[n], msg, sizeof msg)) {
            snprintf(err, errlen, "%.200s:%d: [expect] %.700s", file, e->line,
                     e->key[0] != '#' ? "expected METRIC OP VALUE (equality is ==)" : msg);
            rc = SIM_EINPUT;
            goto out;
        }
        ex[n].line = e->line;
        if (!strcmp(ex[n].metric, "fingerprint"))
            fp_lines[nfp++] = e->line;
        n++;
    }
    if (o->db_path) {
        snprintf(dbp, sizeof dbp, "%s", o->db_path);
    } else {
        snprintf(dbp, sizeof dbp, "%s/balloonsim-check-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        int fd = mkstemp(dbp);
        if (fd < 0) {
            snprintf(err, errlen, "cannot create a temporary database in %.900s", dbp);
            rc = SIM_EIO;
            goto out;
        }
        close(fd);
        unlink(dbp);
    }
    cli_opts_t ro = *o;
    ro.quiet = 1;
    ro.force = o->db_path ? o->force : 0;
    size_t runs = sim_study_runs(study);
    char first_fp[32] = "";
    for (size_t run = 0; run < runs; run++) {
        int skipped;
        if ((rc = cli_run_one(&ro, ini, study, seed, run, dbp, NULL, &skipped, err, errlen)))
            goto out;
    }
    if ((rc = db_open(dbp, &db, err, errlen)))
        goto out;
    char key[32];
    cli_study_key(ini, key, sizeof key);
    for (size_t run = 0; run < runs; run++) {
        int64_t run_id;
        char status[32];
        if (db_run_lookup(db, key, (int64_t)run, &run_id, status, sizeof status, err, errlen) != 1) {
            rc = SIM_EINTERNAL;
            snprintf(err, errlen, "%.300s: run %zu missing from %.600s", file, run, dbp);
            goto out;
        }
        char fp[32] = "";
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db_handle(db), "SELECT fingerprint FROM runs WHERE run_id=?", -1, &st, NULL) ==
            SQLITE_OK) {
            sqlite3_bind_int64(st, 1, run_id);
            if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
                snprintf(fp, sizeof fp, "%s", (const char *)sqlite3_column_text(st, 0));
            sqlite3_finalize(st);
        }
        if (run == 0)
            snprintf(first_fp, sizeof first_fp, "%s", fp);
        for (size_t i = 0; i < n; i++) {
            expectation_t *e = &ex[i];
            int ok;
            char actual[128];
            if (!strcmp(e->metric, "fingerprint")) {
                if (o->update_fingerprints)
                    continue;
                ok = strcmp(e->op, "==") ? strcmp(fp, e->value_text) != 0 : strcmp(fp, e->value_text) == 0;
                snprintf(actual, sizeof actual, "%s", fp);
            } else {
                double v;
                if ((rc = metric_value(db_handle(db), run_id, e->metric, &v, err + 0, errlen))) {
                    char tmp[SIM_ERR_MAX];
                    snprintf(tmp, sizeof tmp, "%.200s:%d: [expect] %.700s", file, e->line, err);
                    snprintf(err, errlen, "%s", tmp);
                    goto out;
                }
                ok = compare(v, e->op, e->value);
                snprintf(actual, sizeof actual, "%.6g", v);
            }
            if (!ok) {
                (*failed)++;
                printf("FAIL %s:%d: %s %s %s: actual %s (run %zu)\n", file, e->line, e->metric, e->op,
                       e->value_text, actual, run);
            } else if (!o->quiet) {
                printf("ok   %s:%d: %s %s %s: actual %s (run %zu)\n", file, e->line, e->metric, e->op,
                       e->value_text, actual, run);
            }
        }
    }
    if (o->update_fingerprints && nfp) {
        if ((rc = update_fingerprints(file, fp_lines, nfp, first_fp, err, errlen)))
            goto out;
        printf("%s: fingerprint updated to %s\n", file, first_fp);
    }
out:
    db_close(db);
    if (!o->db_path && dbp[0])
        db_remove_files(dbp);
    free(ex);
    free(fp_lines);
    sim_study_destroy(study);
    sim_ini_destroy(ini);
    return rc;
}

int cli_cmd_check(int argc, char **argv)
{
    cli_opts_t o;
    char err[SIM_ERR_MAX];
    int rc = cli_parse(argc, argv, &o, CLI_CHECK, err, sizeof err);
    if (rc == CLI_HELP) {
        puts("usage: balloonsim check FILE... [--quiet] [--update-fingerprints] [--set K=V]... [-o DB]\n"
             "  runs each scenario and checks its [expect] section; exit 1 listing every failed\n"
             "  expectation with its actual value, 0 when all hold, 2 on bad input");
        return 0;
    }
    if (rc || o.nfiles == 0) {
        fprintf(stderr, "balloonsim check: %s\n", rc ? err : "expected scenario FILEs");
        cli_opts_free(&o);
        return 2;
    }
    int failed = 0, status = 0;
    for (size_t i = 0; i < o.nfiles; i++) {
        int before = failed;
        rc = check_file(&o, o.files[i], &failed, err, sizeof err);
        if (rc) {
            fprintf(stderr, "balloonsim check: %s\n", err);
            status = 2;
        } else if (failed == before) {
            printf("%s: all expectations hold\n", o.files[i]);
        }
    }
    cli_opts_free(&o);
    if (status)
        return status;
    return failed ? 1 : 0;
}
