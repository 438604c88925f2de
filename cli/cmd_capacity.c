/*
 * cli/cmd_capacity.c -- `balloonsim capacity` (issue 20): how many VMs per host each policy
 * sustains at a budget.  Usage, search, rules and tables: docs/capacity.md; the search
 * and its probe bound: cli/cmd_capacity.h; the budget: cli/budget.h.
 *
 *   capacity FILE --axis KEY [--range LO..HI[ step S]] --budget EXPR [--policies all|a,b]
 *            [--repeat N] [-j N] [-o DB] [--set K=V]... [--seed N] [--max-db-size SIZE] [--force] [--quiet]
 *
 * How it reuses the sweep.  The scenario (with --set) becomes ONE study with two axes,
 * policy.name = ${the policies} and the axis over the whole range (`vm *.count` is a named
 * axis ${vms_per_group=LO..HI} given to every [vm] group), repeated N times with the
 * scenario's seeds (per repetition by default: every probe of one repetition replays the
 * same workloads, common random numbers).  A probe is the N runs of one point of that
 * study, run by the sweep's workers (sweep_execute: -j, scratch databases, the writer
 * lock) into the database as ordinary runs of the study key.  Runs complete in the
 * database are never run again, and the search is a function of the results, so an
 * interrupted capacity rerun with the same command replays the probes from the database
 * and continues where it stopped, unless those runs were made by another build (another
 * model digest, runs.version): then it refuses before running anything, and --force
 * deletes them and redoes every probe (cli_guard_builds).  --shard is not offered: each
 * probe depends on the previous one.
 *
 * A probe passes only if every budget clause holds at the conservative end of the 95%
 * Student-t interval over the repetitions (budget_meets): a policy is credited with a
 * load only when the data say, with 95% confidence in the mean, that it stays within
 * budget.  A probe with a failed run fails (the run's message is printed).
 *
 * Results: the table capacity (one row per study and policy; docs/database.md) and a
 * printed table.  The only mutable global is the signal flag (cli_install_signals).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "sim/db.h"
#include "sim/study.h"
#include "sim/units.h"
#include "models/policy.h"
#include "models/record.h"
#include "cli/budget.h"
#include "cli/common.h"
#include "cli/cmd_capacity.h"
#include "cli/cmd_sweep.h"
#include "cli/stats.h"
#include "cli/tables.h"

/* ------------------------------------------------------------------ the search */

void capacity_search_init(capacity_search_t *s, size_t len)
{
    memset(s, 0, sizeof *s);
    s->len = len;
    s->pass = -1;
    s->fail = (long)len;
    s->step = 1;
}

long capacity_search_next(const capacity_search_t *s)
{
    if (s->len == 0 || s->fail == 0 || s->pass + 1 >= s->fail || s->pass == (long)s->len - 1)
        return -1;
    if (s->bisecting)
        return s->pass + (s->fail - s->pass) / 2;
    if (s->pass < 0)
        return 0;
    long next = s->pass + (long)s->step;
    return next < (long)s->len ? next : (long)s->len - 1;
}

void capacity_search_update(capacity_search_t *s, size_t pos, int passed)
{
    s->probes++;
    if (passed) {
        if (!s->bisecting && s->pass >= 0)
            s->step *= 2;                  /* steps 1, 2, 4, ...: positions 0, 1, 3, 7, ... */
        if ((long)pos > s->pass)
            s->pass = (long)pos;
    } else {
        if ((long)pos < s->fail)
            s->fail = (long)pos;
        s->bisecting = 1;
    }
}

/* ------------------------------------------------------------------ the command */

static const char *capacity_usage =
    "usage: balloonsim capacity FILE --axis KEY [--range LO..HI] --budget EXPR [--policies all|a,b,...]\n"
    "                           [--repeat N] [-j N] [-o DB] [--set section.key=value]... [--seed N]\n"
    "                           [--max-db-size SIZE] [--force] [--quiet]\n"
    "  --axis KEY     what grows: 'vm NAME.count', 'vm *.count' (every [vm] group's count set to\n"
    "                 the value), another integer or size key; 'host.memory' (and host.*) is\n"
    "                 searched downward (less supply = more load)\n"
    "  --range LO..HI the values (default 1..64 for counts; 1GiB..the scenario's host.memory);\n"
    "                 'LO..HI step S' sets the step (default 1, sizes 256MiB)\n"
    "  --budget EXPR  clauses joined with 'and': mean_slowdown <= 1.10, p95(vm.slowdown_mean) <= 1.25,\n"
    "                 max(vm.slowdown_mean) <= 2, oom_kills == 0, host_swap_out_bytes <= 1GiB\n"
    "                 (run metrics; AGG(vm.METRIC) over a run's VMs, AGG mean|min|max|sum|p1..p99)\n"
    "  --policies P   'all' (default: the policies compared, `balloonsim policies --compared`:\n"
    "                 every policy but the sample 'example', which runs when named) or a,b,...\n"
    "  --repeat N     repetitions per probe (default: the scenario's repeat if above 1, else 3)\n"
    "  -j N, -o DB    workers and database (default results/NAME-capacity.db), as for sweep;\n"
    "                 rerunning the same command resumes: complete probes are not run again\n"
    "  --force        redo the runs the database holds as complete; without it, complete runs of\n"
    "                 this study made by another build (runs.version) are refused (exit 2)\n"
    "A probe passes only if the conservative end of the 95% Student-t interval over the\n"
    "repetitions meets every clause (the upper end for <=, the lower end for >=): CONSERVATIVE.\n"
    "exit status: 0 done, 1 a run failed, 2 bad input, 130/143 interrupted\n";

enum { MAX_POLICIES = 64 };           /* policies are distinct registry entries */

typedef struct axis {
    char key[256];              /* as given: "vm web.count", "host.memory" */
    int size;                   /* a size axis (bytes) */
    int down;                   /* supply: searched from the top down */
    int64_t lo, hi, step;       /* integers, or bytes */
    size_t len;
} axis_t;

typedef struct probe {          /* the result of one probe */
    int done, passed;
    size_t runs_ok, runs;
    double edge, mean;          /* first clause: conservative end and mean */
    double overcommit, vms_per_host, slow_mean, slow_ci, util, idle, wait_p95;
    char note[160];
} probe_t;

typedef struct policy_run {
    const char *name;
    size_t index;               /* on the policy axis */
    capacity_search_t search;
    probe_t *probes;            /* by position (len) */
    double vs_static, vs_static_ci;  /* point_diff mean_slowdown at the passing value, NAN = none */
} policy_run_t;

typedef struct capacity {
    cli_opts_t o;               /* the user's options; o2 adds the study's overrides */
    cli_opts_t o2;
    char **sets;                /* owned override strings of o2 */
    size_t nsets_owned;
    budget_t budget;
    axis_t axis;
    policy_run_t *pol;
    size_t npol;
    sim_ini_t *ini;
    sim_study_t *study;
    int64_t base_seed, reps;
    size_t pol_axis, val_axis, npoints_val;
    char key[32], dbp[4096];
    volatile sig_atomic_t *stop;
    int lock_fd;
} capacity_t;

static void capacity_free(capacity_t *c)
{
    for (size_t i = 0; i < c->npol; i++)
        free(c->pol[i].probes);
    free(c->pol);
    for (size_t i = 0; i < c->nsets_owned; i++)
        free(c->sets[i]);
    free(c->sets);
    free(c->o2.sets);
    sim_study_destroy(c->study);
    sim_ini_destroy(c->ini);
    cli_opts_free(&c->o);
}

static int add_set(capacity_t *c, const char *text)
{
    char **a = realloc(c->sets, (c->nsets_owned + 1) * sizeof *a);
    if (!a)
        return SIM_ENOMEM;
    c->sets = a;
    if (!(a[c->nsets_owned] = strdup(text)))
        return SIM_ENOMEM;
    c->nsets_owned++;
    return SIM_OK;
}

/* "LO..HI" or "LO..HI step S" into the axis (integers, else sizes in whole MiB). */
static int parse_range(axis_t *a, const char *text, char *err, size_t errlen)
{
    char buf[256], msg[SIM_ERR_MAX];
    snprintf(buf, sizeof buf, "%s", text);
    char *dots = strstr(buf, ".."), *step = strstr(buf, " step ");
    if (!dots) {
        snprintf(err, errlen, "--range '%s': expected LO..HI or LO..HI step S", text);
        return SIM_EINPUT;
    }
    *dots = 0;
    if (step)
        *step = 0;
    const char *lo = buf, *hi = dots + 2, *st = step ? step + 6 : NULL;
    int64_t v[3] = {0, 0, 0};
    const char *parts[3] = {lo, hi, st};
    a->size = sim_units_parse_int(lo, &v[0], msg, sizeof msg) != 0;
    for (int i = 0; i < 3; i++) {
        if (!parts[i])
            continue;
        int bad = a->size ? sim_units_parse_bytes(parts[i], &v[i], msg, sizeof msg)
                          : sim_units_parse_int(parts[i], &v[i], msg, sizeof msg);
        if (bad || (a->size && v[i] % SIM_MIB)) {
            snprintf(err, errlen, "--range '%s': '%s' is not %s", text, parts[i],
                     a->size ? "a size in whole MiB (8GiB, 512MiB)" : "an integer like LO");
            return SIM_EINPUT;
        }
    }
    a->lo = v[0], a->hi = v[1];
    a->step = st ? v[2] : a->size ? 256 * SIM_MIB : 1;
    if (a->step <= 0 || a->lo < 0 || a->hi < a->lo) {
        snprintf(err, errlen, "--range '%s': expected 0 <= LO <= HI and a positive step", text);
        return SIM_EINPUT;
    }
    a->len = (size_t)((a->hi - a->lo) / a->step) + 1;
    if (a->len > 100000) {
        snprintf(err, errlen, "--range '%s': %zu values, more than 100000: use a larger step", text, a->len);
        return SIM_EINPUT;
    }
    return SIM_OK;
}

/* The overrides that make the study: repeat, the axis over the range, the policy axis. */
static int build_sets(capacity_t *c, char *err, size_t errlen)
{
    axis_t *a = &c->axis;
    char range[200], set[600];
    if (a->size)
        snprintf(range, sizeof range, "%lldMiB..%lldMiB step %lldMiB", (long long)(a->lo / SIM_MIB),
                 (long long)(a->hi / SIM_MIB), (long long)(a->step / SIM_MIB));
    else
        snprintf(range, sizeof range, "%lld..%lld step %lld", (long long)a->lo, (long long)a->hi, (long long)a->step);
    int rc = SIM_OK;
    snprintf(set, sizeof set, "simulation.repeat=%lld", (long long)c->reps);
    rc = add_set(c, set);
    if (!rc && !strcmp(a->key, "vm *.count")) {
        int first = 1;
        for (size_t i = 0; i < c->ini->count && !rc; i++) {
            const char *sec = c->ini->entries[i].section;
            if (strncmp(sec, "vm ", 3))
                continue;
            int seen = 0;                              /* each group once */
            for (size_t j = 0; j < i; j++)
                seen |= !strcmp(c->ini->entries[j].section, sec);
            if (seen)
                continue;
            if (first)
                snprintf(set, sizeof set, "%s.count=${vms_per_group=%s}", sec, range);
            else
                snprintf(set, sizeof set, "%s.count=${vms_per_group}", sec);
            first = 0;
            rc = add_set(c, set);
        }
        if (first) {
            snprintf(err, errlen, "--axis 'vm *.count': %s has no [vm NAME] section", c->ini->path);
            return SIM_EINPUT;
        }
    } else if (!rc) {
        snprintf(set, sizeof set, "%s=${%s}", a->key, range);
        rc = add_set(c, set);
    }
    /* one policy is no axis (a bare ${name} would be a reference) */
    size_t n = snprintf(set, sizeof set, c->npol > 1 ? "policy.name=${" : "policy.name=");
    for (size_t i = 0; i < c->npol && n < sizeof set; i++)
        n += (size_t)snprintf(set + n, sizeof set - n, "%s%s", i ? ", " : "", c->pol[i].name);
    if (n + 2 >= sizeof set) {
        snprintf(err, errlen, "--policies: too many");
        return SIM_EINPUT;
    }
    if (c->npol > 1)
        strcat(set, "}");
    if (!rc)
        rc = add_set(c, set);
    if (rc) {
        snprintf(err, errlen, "out of memory");
        return rc;
    }
    c->o2 = c->o;
    c->o2.sets = calloc(c->o.nsets + c->nsets_owned, sizeof *c->o2.sets);
    if (!c->o2.sets) {
        snprintf(err, errlen, "out of memory");
        return SIM_ENOMEM;
    }
    for (size_t i = 0; i < c->o.nsets; i++)
        c->o2.sets[i] = c->o.sets[i];
    for (size_t i = 0; i < c->nsets_owned; i++)
        c->o2.sets[c->o.nsets + i] = c->sets[i];
    c->o2.nsets = c->o.nsets + c->nsets_owned;
    return SIM_OK;
}

/* --policies: 'all' (the default) is the policies compared (policy_compared: every
 * policy but the samples, as `balloonsim policies --compared` lists them), else a,b,... */
static int parse_policies(capacity_t *c, char *err, size_t errlen)
{
    const char *spec = c->o.policies ? c->o.policies : "all";
    int all = !strcmp(spec, "all");
    size_t n = all ? policy_count() : 1;
    if (policy_count() > MAX_POLICIES) {
        snprintf(err, errlen, "internal: more than %d policies", MAX_POLICIES);
        return SIM_EINTERNAL;
    }
    if (!all)
        for (const char *p = spec; *p; p++)
            n += *p == ',';
    c->pol = calloc(n, sizeof *c->pol);
    if (!c->pol) {
        snprintf(err, errlen, "out of memory");
        return SIM_ENOMEM;
    }
    if (all) {
        for (size_t i = 0; i < policy_count(); i++)
            if (policy_compared(policy_at(i)))
                c->pol[c->npol++].name = policy_at(i)->name;
        return SIM_OK;
    }
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        tok[strcspn(tok, " ")] = 0;
        const policy_type_t *t = policy_find(tok);
        if (!t) {
            size_t k = (size_t)snprintf(err, errlen, "--policies: unknown policy '%s' (policies:", tok);
            for (size_t i = 0; i < policy_count() && k < errlen; i++)
                k += (size_t)snprintf(err + k, errlen - k, " %s", policy_at(i)->name);
            if (k < errlen)
                snprintf(err + k, errlen - k, ")");
            return SIM_EINPUT;
        }
        for (size_t i = 0; i < c->npol; i++)
            if (c->pol[i].name == t->name) {
                snprintf(err, errlen, "--policies: '%s' given twice", tok);
                return SIM_EINPUT;
            }
        c->pol[c->npol++].name = t->name;
    }
    if (!c->npol) {
        snprintf(err, errlen, "--policies: empty");
        return SIM_EINPUT;
    }
    return SIM_OK;
}

/* The axis key, its direction and range (defaults from the scenario). */
static int parse_axis(capacity_t *c, char *err, size_t errlen)
{
    axis_t *a = &c->axis;
    snprintf(a->key, sizeof a->key, "%s", c->o.axis);
    const char *dot = strrchr(a->key, '.');
    if (!dot || dot == a->key || !dot[1]) {
        snprintf(err, errlen, "--axis '%s': expected SECTION.KEY ('vm web.count', 'vm *.count', 'host.memory')", a->key);
        return SIM_EINPUT;
    }
    a->down = !strncmp(a->key, "host.", 5);
    if (c->o.range)
        return parse_range(a, c->o.range, err, errlen);
    if (!strcmp(dot, ".count") && !strncmp(a->key, "vm ", 3))
        return parse_range(a, "1..64", err, errlen);
    if (!strcmp(a->key, "host.memory")) {
        const char *mem = sim_ini_get(c->ini, "host", "memory");
        char r[128];
        snprintf(r, sizeof r, "1GiB..%s", mem ? mem : "16GiB");
        if (parse_range(a, r, err, errlen)) {
            snprintf(err, errlen, "--axis host.memory: give --range LO..HI (the default 1GiB..host.memory "
                     "needs host.memory in whole GiB above 1GiB)");
            return SIM_EINPUT;
        }
        return SIM_OK;
    }
    snprintf(err, errlen, "--axis '%s': give its --range LO..HI (defaults exist for vm counts and host.memory)",
             a->key);
    return SIM_EINPUT;
}

/* Find the two axes of the study and check that the point numbering is what point_of
 * computes. */
static int locate_axes(capacity_t *c, char *err, size_t errlen)
{
    size_t naxes = sim_study_axes(c->study), want = c->npol > 1 ? 2 : 1;
    if (naxes != want) {
        snprintf(err, errlen, "internal: the capacity study has %zu axes, not %zu", naxes, want);
        return SIM_EINTERNAL;
    }
    if (want == 1) {                        /* one policy: the axis alone */
        c->pol_axis = 1, c->val_axis = 0;
    } else {
        c->pol_axis = strcmp(sim_study_axis_name(c->study, 0), "policy.name") ? 1 : 0;
        c->val_axis = 1 - c->pol_axis;
    }
    if ((want == 2 && (strcmp(sim_study_axis_name(c->study, c->pol_axis), "policy.name") ||
                       sim_study_axis_length(c->study, c->pol_axis) != c->npol)) ||
        sim_study_axis_length(c->study, c->val_axis) != c->axis.len) {
        snprintf(err, errlen, "internal: unexpected study axes");
        return SIM_EINTERNAL;
    }
    return SIM_OK;
}

/* The sweep point of policy p at search position pos (value index: from the top when down). */
static size_t point_of(const capacity_t *c, size_t p, size_t pos)
{
    size_t v = c->axis.down ? c->axis.len - 1 - pos : pos;
    return c->npol == 1 ? v : c->pol_axis == 0 ? p * c->axis.len + v : v * c->npol + p;
}

static const char *value_text(const capacity_t *c, size_t p, size_t pos)
{
    return sim_study_axis_value(c->study, point_of(c, p, pos) * (size_t)c->reps, c->val_axis);
}

static double value_num(const capacity_t *c, size_t pos)
{
    size_t v = c->axis.down ? c->axis.len - 1 - pos : pos;
    return (double)(c->axis.lo + (int64_t)v * c->axis.step);
}

/* ------------------------------------------------------------------ judging a probe */

static double q_double(db_t *db, const char *sql, int64_t run_id, const char *metric)
{
    sqlite3_stmt *st;
    char e[SIM_ERR_MAX];
    double v = NAN;
    if (db_prepare(db, sql, &st, e, sizeof e))
        return NAN;
    sqlite3_bind_int64(st, 1, run_id);
    if (metric)
        sqlite3_bind_text(st, 2, metric, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    return v;
}

static double run_metric(db_t *db, int64_t run_id, const char *metric)
{
    return q_double(db, "SELECT value FROM run_summary WHERE run_id = ? AND metric = ?", run_id, metric);
}

/* The value of clause cl for one run. */
static double clause_value(db_t *db, int64_t run_id, const budget_clause_t *cl)
{
    if (cl->agg == BUDGET_RUN)
        return run_metric(db, run_id, cl->metric);
    sqlite3_stmt *st;
    char e[SIM_ERR_MAX];
    if (db_prepare(db, "SELECT value FROM vm_summary WHERE run_id = ? AND metric = ? AND value IS NOT NULL"
                       " ORDER BY value", &st, e, sizeof e))
        return NAN;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, cl->metric, -1, SQLITE_STATIC);
    double *v = NULL;
    size_t n = 0, cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            double *p = realloc(v, cap * sizeof *p);
            if (!p)
                break;
            v = p;
        }
        if (n < cap)
            v[n++] = sqlite3_column_double(st, 0);
    }
    sqlite3_finalize(st);
    double x = budget_aggregate(cl, v, n);
    free(v);
    return x;
}

/* Mean and 95% half-width of f over the runs. */
static void over_runs(db_t *db, const int64_t *ids, size_t n, const char *metric, double *mean, double *ci)
{
    double x[1000], sd;
    size_t k = 0;
    for (size_t i = 0; i < n && k < 1000; i++) {
        double v = run_metric(db, ids[i], metric);
        if (isfinite(v))
            x[k++] = v;
    }
    stats_summary(x, k, mean, &sd, ci);
}

/* Judge the probe of policy p at pos from the database. */
static void judge(const capacity_t *c, db_t *db, size_t p, size_t pos, probe_t *pr)
{
    memset(pr, 0, sizeof *pr);
    pr->done = 1;
    pr->runs = (size_t)c->reps;
    int64_t ids[1000];
    sqlite3_stmt *st;
    char e[SIM_ERR_MAX];
    if (db_prepare(db, "SELECT run_id, status FROM runs WHERE study_key = ? AND point_index = ? ORDER BY run_index",
                   &st, e, sizeof e)) {
        snprintf(pr->note, sizeof pr->note, "%.150s", e);
        return;
    }
    sqlite3_bind_text(st, 1, c->key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)point_of(c, p, pos));
    while (sqlite3_step(st) == SQLITE_ROW && pr->runs_ok < 1000)
        if (!strcmp((const char *)sqlite3_column_text(st, 1), "complete"))
            ids[pr->runs_ok++] = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (pr->runs_ok < pr->runs) {
        snprintf(pr->note, sizeof pr->note, "%zu of %zu runs not complete: counted as failing", pr->runs - pr->runs_ok,
                 pr->runs);
        return;
    }
    pr->passed = 1;
    double refused = 0;                  /* VM starts never granted, over the runs */
    for (size_t i = 0; i < pr->runs_ok; i++)
        refused += q_double(db, "SELECT count(DISTINCT e.vm_id) FROM events e WHERE e.run_id = ?1 AND e.vm_id >= 0"
                                " AND e.what = 'request' AND NOT EXISTS (SELECT 1 FROM events o WHERE o.run_id ="
                                " e.run_id AND o.vm_id = e.vm_id AND o.what = 'request_ok')", ids[i], NULL);
    for (size_t k = 0; k < c->budget.n; k++) {
        const budget_clause_t *cl = &c->budget.c[k];
        double x[1000], mean, sd, ci, edge;
        for (size_t i = 0; i < pr->runs_ok; i++)
            x[i] = clause_value(db, ids[i], cl);
        stats_summary(x, pr->runs_ok, &mean, &sd, &ci);
        int ok = budget_meets(cl, mean, ci, &edge);
        if (k == 0)
            pr->mean = mean, pr->edge = edge;
        if (!ok && pr->passed) {
            pr->passed = 0;
            snprintf(pr->note, sizeof pr->note, "%.60s: %.4g (95%% end %.4g)", cl->text, mean, edge);
        }
    }
    if (refused > 0 && pr->passed) {     /* it did not run the VMs it would be credited with */
        pr->passed = 0;
        snprintf(pr->note, sizeof pr->note, "%.0f VM starts refused or left waiting over %zu runs (the policy did "
                 "not run them)", refused, pr->runs_ok);
    }
    double sum = 0, dummy;
    for (size_t i = 0; i < pr->runs_ok; i++)
        sum += q_double(db, "SELECT (SELECT sum(configured_bytes) FROM vms WHERE run_id = ?1) * 1.0 /"
                            " (SELECT nullif(sum(capacity_bytes - reserve_bytes), 0) FROM hosts WHERE run_id = ?1)",
                        ids[i], NULL);
    pr->overcommit = sum / (double)pr->runs_ok;
    double vms, hosts;
    over_runs(db, ids, pr->runs_ok, "vms", &vms, &dummy);
    over_runs(db, ids, pr->runs_ok, "hosts", &hosts, &dummy);
    pr->vms_per_host = hosts > 0 ? vms / hosts : NAN;
    over_runs(db, ids, pr->runs_ok, "mean_slowdown", &pr->slow_mean, &pr->slow_ci);
    over_runs(db, ids, pr->runs_ok, "host_utilisation_mean", &pr->util, &dummy);
    over_runs(db, ids, pr->runs_ok, "idle_mean_bytes", &pr->idle, &dummy);
    over_runs(db, ids, pr->runs_ok, "memory_wait_p95_s", &pr->wait_p95, &dummy);
}

/* ------------------------------------------------------------------ results */

static const char *capacity_schema =
    "CREATE TABLE IF NOT EXISTS capacity(study_key TEXT NOT NULL, policy TEXT NOT NULL, axis TEXT NOT NULL,"
    " direction TEXT NOT NULL, outcome TEXT NOT NULL, pass_value REAL, pass_text TEXT, fail_value REAL,"
    " fail_text TEXT, pass_overcommit REAL, fail_overcommit REAL, pass_vms_per_host REAL,"
    " pass_mean_slowdown REAL, pass_mean_slowdown_ci95 REAL, pass_host_utilisation REAL, pass_idle_bytes REAL,"
    " pass_memory_wait_p95_s REAL, pass_slowdown_vs_static REAL, pass_slowdown_vs_static_ci95 REAL,"
    " budget TEXT NOT NULL, probes INTEGER NOT NULL, repetitions INTEGER NOT NULL, PRIMARY KEY(study_key, policy))";

static const char *outcome_of(const capacity_t *c, const policy_run_t *pr)
{
    if (pr->search.pass < 0)
        return "no passing value";
    if (pr->search.pass == (long)c->axis.len - 1)
        return "top of range passes";
    return "bracketed";
}

static void bind_or_null(sqlite3_stmt *st, int k, double v)
{
    if (isfinite(v))
        sqlite3_bind_double(st, k, v);
    else
        sqlite3_bind_null(st, k);
}

static int write_results(const capacity_t *c, db_t *db, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    int rc = db_exec(db, capacity_schema, err, errlen);
    if (rc || (rc = db_begin(db, err, errlen)))
        return rc;
    if ((rc = db_prepare(db, "INSERT OR REPLACE INTO capacity VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", &st,
                         err, errlen))) {
        db_rollback(db);
        return rc;
    }
    char budget[1024] = "";
    for (size_t k = 0; k < c->budget.n; k++)
        snprintf(budget + strlen(budget), sizeof budget - strlen(budget), "%s%s", k ? " and " : "",
                 c->budget.c[k].text);
    for (size_t p = 0; p < c->npol && !rc; p++) {
        const policy_run_t *pr = &c->pol[p];
        long ps = pr->search.pass, fs = pr->search.fail;
        const probe_t *pp = ps >= 0 ? &pr->probes[ps] : NULL, *fp = fs < (long)c->axis.len ? &pr->probes[fs] : NULL;
        sqlite3_bind_text(st, 1, c->key, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, pr->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, c->axis.key, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, c->axis.down ? "down" : "up", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, outcome_of(c, pr), -1, SQLITE_STATIC);
        bind_or_null(st, 6, pp ? value_num(c, (size_t)ps) : NAN);
        if (pp)
            sqlite3_bind_text(st, 7, value_text(c, p, (size_t)ps), -1, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(st, 7);
        bind_or_null(st, 8, fp ? value_num(c, (size_t)fs) : NAN);
        if (fp)
            sqlite3_bind_text(st, 9, value_text(c, p, (size_t)fs), -1, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(st, 9);
        bind_or_null(st, 10, pp ? pp->overcommit : NAN);
        bind_or_null(st, 11, fp && fp->runs_ok ? fp->overcommit : NAN);
        bind_or_null(st, 12, pp ? pp->vms_per_host : NAN);
        bind_or_null(st, 13, pp ? pp->slow_mean : NAN);
        bind_or_null(st, 14, pp ? pp->slow_ci : NAN);
        bind_or_null(st, 15, pp ? pp->util : NAN);
        bind_or_null(st, 16, pp ? pp->idle : NAN);
        bind_or_null(st, 17, pp ? pp->wait_p95 : NAN);
        bind_or_null(st, 18, pr->vs_static);
        bind_or_null(st, 19, pr->vs_static_ci);
        sqlite3_bind_text(st, 20, budget, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 21, (int64_t)pr->search.probes);
        sqlite3_bind_int64(st, 22, c->reps);
        rc = db_step_done(db, st, err, errlen);
    }
    sqlite3_finalize(st);
    if (!rc)
        rc = db_commit(db, err, errlen);
    if (rc)
        db_rollback(db);
    return rc;
}

static void print_table(const capacity_t *c)
{
    printf("\n# capacity: %s searched %s over %lld..%lld, budget: ", c->axis.key, c->axis.down ? "downward" : "upward",
           (long long)(c->axis.size ? c->axis.lo / SIM_MIB : c->axis.lo),
           (long long)(c->axis.size ? c->axis.hi / SIM_MIB : c->axis.hi));
    for (size_t k = 0; k < c->budget.n; k++)
        printf("%s%s", k ? " and " : "", c->budget.c[k].text);
    printf("%s\n# %lld repetitions per probe; a probe passes when the 95%% interval's conservative end meets the "
           "budget\n", c->axis.size ? " (MiB)" : "", (long long)c->reps);
    printf("%-10s | %16s | %10s | %15s | %-17s | %6s | %5s | %9s | %8s | %15s\n", "policy", "max VMs per host",
           "overcommit", "slowdown at max", "bracket pass/fail", "probes", "util", "idle", "wait p95", "vs static");
    for (size_t p = 0; p < c->npol; p++) {
        const policy_run_t *pr = &c->pol[p];
        long ps = pr->search.pass, fs = pr->search.fail;
        char bracket[80], idle[32], slow[40], vms[32], oc[32], util[16], wait[32];
        snprintf(bracket, sizeof bracket, "%s / %s", ps >= 0 ? value_text(c, p, (size_t)ps) : "-",
                 fs < (long)c->axis.len ? value_text(c, p, (size_t)fs) : "-");
        if (ps < 0) {
            printf("%-10s | %16s | %10s | %15s | %-17s | %6zu | %5s | %9s | %8s | %15s\n", pr->name, "none", "-", "-",
                   bracket, pr->search.probes, "-", "-", "-", "-");
            continue;
        }
        const probe_t *pp = &pr->probes[ps];
        snprintf(vms, sizeof vms, "%.4g%s", pp->vms_per_host, fs >= (long)c->axis.len ? "+" : "");
        snprintf(oc, sizeof oc, "%.2f", pp->overcommit);
        if (isfinite(pp->slow_ci))
            snprintf(slow, sizeof slow, "%.3f+-%.3f", pp->slow_mean, pp->slow_ci);
        else
            snprintf(slow, sizeof slow, "%.3f", pp->slow_mean);
        snprintf(util, sizeof util, "%.2f", pp->util);
        sim_units_format_human(pp->idle, idle, sizeof idle);
        sim_units_format_human_duration(pp->wait_p95, wait, sizeof wait);
        char vs[40] = "-";
        if (isfinite(pr->vs_static))
            snprintf(vs, sizeof vs, isfinite(pr->vs_static_ci) ? "%+.3f+-%.3f" : "%+.3f", pr->vs_static,
                     pr->vs_static_ci);
        printf("%-10s | %16s | %10s | %15s | %-17s | %6zu | %5s | %9s | %8s | %15s\n", pr->name, vms, oc, slow, bracket,
               pr->search.probes, util, idle, wait, vs);
    }
    for (size_t p = 0; p < c->npol; p++) {
        const policy_run_t *pr = &c->pol[p];
        if (pr->search.pass < 0)
            printf("%s: no passing value: even %s = %s fails the budget (%s)\n", pr->name, c->axis.key,
                   value_text(c, p, 0), pr->probes[0].note);
        else if (pr->search.pass == (long)c->axis.len - 1)
            printf("%s: top of range passes: %s = %s still meets the budget; the capacity is at least that "
                   "(widen --range)\n", pr->name, c->axis.key, value_text(c, p, c->axis.len - 1));
    }
    printf("# util = host_utilisation_mean, idle = idle_mean_bytes, wait p95 = memory_wait_p95_s at the passing "
           "value (docs/models.md); '+' = at least;\n# vs static = mean_slowdown paired against the baseline policy "
           "of the same repetition (point_diff), when it was probed at that value\n");
}

/* ------------------------------------------------------------------ driving it */

static int prepare(capacity_t *c, char *err, size_t errlen)
{
    int rc;
    if (!c->o.axis || !c->o.budget) {
        snprintf(err, errlen, "--axis and --budget are required\n%s", capacity_usage);
        return SIM_EINPUT;
    }
    if ((rc = budget_parse(c->o.budget, &c->budget, err, errlen)) || (rc = parse_policies(c, err, errlen)))
        return rc;
    /* the scenario as the user gave it: its groups, its repeat, no axes of its own */
    sim_study_t *plain = NULL;
    if ((rc = cli_load(&c->o, c->o.files[0], &c->ini, &plain, &c->base_seed, err, errlen)))
        return rc;
    size_t plain_axes = sim_study_axes(plain);
    sim_study_destroy(plain);
    if (plain_axes) {
        snprintf(err, errlen, "%s: capacity searches one axis, but the scenario (with --set) has %zu sweep axes: "
                 "give them one value with --set", c->o.files[0], plain_axes);
        return SIM_EINPUT;
    }
    const char *rep = sim_ini_get(c->ini, "simulation", "repeat");
    c->reps = c->o.repeat ? c->o.repeat : rep && atoll(rep) > 1 ? atoll(rep) : 3;
    if ((rc = parse_axis(c, err, errlen)) || (rc = build_sets(c, err, errlen)))
        return rc;
    sim_ini_destroy(c->ini);
    c->ini = NULL;
    if ((rc = cli_load(&c->o2, c->o.files[0], &c->ini, &c->study, &c->base_seed, err, errlen)) ||
        (rc = locate_axes(c, err, errlen)))
        return rc;
    for (size_t p = 0; p < c->npol; p++) {
        capacity_search_init(&c->pol[p].search, c->axis.len);
        if (!(c->pol[p].probes = calloc(c->axis.len, sizeof *c->pol[p].probes))) {
            snprintf(err, errlen, "out of memory");
            return SIM_ENOMEM;
        }
    }
    cli_study_key(c->ini, c->key, sizeof c->key);
    if (c->o.db_path)
        snprintf(c->dbp, sizeof c->dbp, "%s", c->o.db_path);
    else {
        char d[4096];
        cli_default_db(c->o.files[0], d, sizeof d);
        size_t n = strlen(d);
        if (n > 3 && !strcmp(d + n - 3, ".db"))
            d[n - 3] = 0;
        snprintf(c->dbp, sizeof c->dbp, "%.4000s-capacity.db", d);
    }
    return SIM_OK;
}

/* An upper bound of the database growth: every policy at its most probes, each probe
 * as large as the heaviest end of the range; printed, and refused above --max-db-size. */
static int estimate(capacity_t *c, char *err, size_t errlen)
{
    size_t runs = sim_study_runs(c->study), points = sim_study_points(c->study);
    unsigned char *sel = calloc(runs, 1);
    double *est = calloc(points, sizeof *est);
    int rc = SIM_OK;
    if (!sel || !est) {
        snprintf(err, errlen, "out of memory");
        rc = SIM_ENOMEM;
        goto out;
    }
    for (size_t p = 0; p < c->npol; p++)
        sel[point_of(c, p, 0) * (size_t)c->reps] = sel[point_of(c, p, c->axis.len - 1) * (size_t)c->reps] = 1;
    if ((rc = cli_check_points(c->study, sel, err, errlen)) ||
        (rc = sweep_estimate_points(c->study, sel, runs, est, err, errlen)))
        goto out;
    size_t maxprobes = 2, bytes_runs = 0;
    for (size_t l = 1; l < c->axis.len; l *= 2)
        maxprobes += 2;
    double bytes = 0;
    for (size_t p = 0; p < c->npol; p++) {
        double a = est[point_of(c, p, 0)], b = est[point_of(c, p, c->axis.len - 1)];
        size_t probes = maxprobes < c->axis.len ? maxprobes : c->axis.len;
        bytes += (a > b ? a : b) * (double)probes * (double)c->reps;
        bytes_runs += probes * (size_t)c->reps;
    }
    char h[32], lim[32];
    sim_units_format_human(bytes, h, sizeof h);
    if (!c->o.quiet)
        printf("# estimated database growth: at most %s for at most %zu runs (%zu policies x up to %zu probes x %lld "
               "repetitions; summaries and samples at the output level)\n", h, bytes_runs, c->npol,
               maxprobes < c->axis.len ? maxprobes : c->axis.len, (long long)c->reps);
    if (c->o.max_db_bytes > 0 && bytes > (double)c->o.max_db_bytes) {
        sim_units_format_human((double)c->o.max_db_bytes, lim, sizeof lim);
        snprintf(err, errlen, "%s: the search could write up to %s to its database, more than the limit of %s: "
                 "record less ([simulation] output = summary), or raise the limit with --max-db-size SIZE (or none)",
                 c->o.files[0], h, lim);
        rc = SIM_EINPUT;
    }
out:
    free(sel);
    free(est);
    return rc;
}

/* One round: the next probe of every policy still searching, run together, then judged.
 * Returns 1 when a round ran, 0 when every search is over, < 0 on error (*status set). */
static int round_once(capacity_t *c, unsigned char *sel, size_t *ran, size_t *reused, int *status, char *err,
                      size_t errlen)
{
    size_t runs = sim_study_runs(c->study);
    memset(sel, 0, runs);
    long next[MAX_POLICIES];
    int any = 0;
    for (size_t p = 0; p < c->npol; p++) {
        next[p] = capacity_search_next(&c->pol[p].search);
        if (next[p] < 0)
            continue;
        any = 1;
        size_t pt = point_of(c, p, (size_t)next[p]);
        memset(sel + pt * (size_t)c->reps, 1, (size_t)c->reps);
    }
    if (!any)
        return 0;
    sweep_counts_t n;
    int stopped = 0;
    int rc = sweep_execute(&c->o2, c->ini, c->study, c->base_seed, c->dbp, c->key, sel, c->stop, &n, &stopped, err,
                           errlen);
    if (rc) {
        *status = cli_exit_status(rc, *c->stop);
        return -1;
    }
    *ran += n.done, *reused += n.skipped;
    if (stopped) {
        snprintf(err, errlen, "interrupted; the probes complete so far are in %.900s (rerun the same command to "
                 "continue)", c->dbp);
        *status = cli_exit_status(SIM_EINTR, stopped);
        return -1;
    }
    db_t *db = NULL;
    if ((rc = db_open(c->dbp, &db, err, errlen))) {
        *status = cli_exit_status(rc, 0);
        return -1;
    }
    for (size_t p = 0; p < c->npol; p++) {
        if (next[p] < 0)
            continue;
        probe_t *pr = &c->pol[p].probes[next[p]];
        judge(c, db, p, (size_t)next[p], pr);
        capacity_search_update(&c->pol[p].search, (size_t)next[p], pr->passed);
        if (!c->o.quiet)
            printf("probe %-10s %s = %-10s %s  (%s %.4g, 95%% end %.4g)%s%s\n", c->pol[p].name, c->axis.key,
                   value_text(c, p, (size_t)next[p]), pr->passed ? "pass" : "FAIL", c->budget.c[0].text, pr->mean,
                   pr->edge, pr->note[0] ? ": " : "", pr->note);
    }
    db_close(db);
    fflush(stdout);
    return 1;
}

/* The performance claim: mean_slowdown paired against the baseline policy (static by
 * default) at each policy's passing value, from point_diff (present when the baseline was
 * probed at that value too). */
static void paired_at_pass(capacity_t *c, db_t *db)
{
    sqlite3_stmt *st;
    char e[SIM_ERR_MAX];
    int ok = !db_prepare(db, "SELECT mean, ci95 FROM point_diff WHERE study_key = ? AND point_index = ? AND"
                             " metric = 'mean_slowdown'", &st, e, sizeof e);
    for (size_t p = 0; p < c->npol; p++) {
        policy_run_t *pr = &c->pol[p];
        pr->vs_static = pr->vs_static_ci = NAN;
        if (!ok || pr->search.pass < 0)
            continue;
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, c->key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (int64_t)point_of(c, p, (size_t)pr->search.pass));
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
            pr->vs_static = sqlite3_column_double(st, 0);
            if (sqlite3_column_type(st, 1) != SQLITE_NULL)
                pr->vs_static_ci = sqlite3_column_double(st, 1);
        }
    }
    if (ok)
        sqlite3_finalize(st);
}

static int finish(capacity_t *c, char *err, size_t errlen)
{
    db_t *db = NULL;
    int rc = db_open(c->dbp, &db, err, errlen);
    if (!rc)
        rc = tables_rebuild_all(db, err, errlen);
    if (!rc)
        paired_at_pass(c, db);
    if (!rc)
        rc = write_results(c, db, err, errlen);
    db_close(db);
    return rc;
}

int cli_cmd_capacity(int argc, char **argv)
{
    capacity_t c;
    memset(&c, 0, sizeof c);
    c.lock_fd = -1;
    int rc = cli_preamble(argc, argv, CLI_CAPACITY, capacity_usage, 1, &c.o);
    if (rc >= 0)
        return rc;
    char err[4 * SIM_ERR_MAX] = "";      /* a budget error lists every metric */
    int status = 2;
    unsigned char *sel = NULL;
    double t0 = sim_wall_s();
    if ((rc = prepare(&c, err, sizeof err)) || (rc = estimate(&c, err, sizeof err)) ||
        (rc = cli_check_output(c.dbp, c.study, err, sizeof err)) || (rc = cli_mkdir_parents(c.dbp, err, sizeof err)))
        goto fail;
    c.stop = cli_install_signals(1);
    if ((rc = cli_lock_db(c.dbp, 1, "capacity", c.stop, &c.lock_fd, err, sizeof err)))
        goto fail;
    sweep_remove_scratch(c.dbp);
    if (!(sel = calloc(sim_study_runs(c.study), 1))) {
        rc = SIM_ENOMEM;
        snprintf(err, sizeof err, "out of memory");
        goto fail;
    }
    size_t ran = 0, reused = 0;
    int r;
    while ((r = round_once(&c, sel, &ran, &reused, &status, err, sizeof err)) > 0)
        ;
    if (r < 0) {
        fprintf(stderr, "balloonsim capacity: %s\n", err);
        goto out;
    }
    if ((rc = finish(&c, err, sizeof err)))
        goto fail;
    if (!c.o.quiet)
        print_table(&c);
    size_t probes = 0, failed = 0;
    for (size_t p = 0; p < c.npol; p++) {
        probes += c.pol[p].search.probes;
        for (size_t i = 0; i < c.axis.len; i++)
            failed += c.pol[p].probes[i].done && c.pol[p].probes[i].runs_ok < c.pol[p].probes[i].runs;
    }
    if (!c.o.quiet)
        printf("capacity: %zu probes, %zu runs run now, %zu already complete, %.1f s -> %s (table capacity)\n", probes,
               ran, reused, sim_wall_s() - t0, c.dbp);
    status = failed ? 1 : 0;
    goto out;
fail:
    fprintf(stderr, "balloonsim capacity: %s\n", err);
    status = cli_exit_status(rc, c.stop ? *c.stop : 0);
out:
    cli_unlock_db(c.lock_fd);
    free(sel);
    capacity_free(&c);
    return status;
}
