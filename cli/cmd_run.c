/*
 * cli/cmd_run.c -- `balloonsim run FILE`: every run of a scenario's study, serially, into
 * a database, with progress and a summary.  cli_run_one is also the sweep workers' and
 * the benchmarks' entry point; cli_guard_builds keeps runs of other builds (runs.version,
 * the model digest) from being resumed beside this one's (docs/database.md "Builds do not
 * mix").  See cli/cmd_run.h.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sim/engine.h"
#include "sim/db.h"
#include "sim/rng.h"
#include "sim/units.h"
#include "sim/version.h"
#include "models/dc.h"
#include "models/record.h"
#include "cli/common.h"
#include "cli/cmd_run.h"
#include "cli/tables.h"

typedef struct progress_ctx {
    int quiet;
    size_t run, runs;
    double t0;                 /* wall clock at the start of the run, s */
} progress_ctx_t;

/* One line on stderr, rewritten in place: simulated time, events/s and the ETA of this run. */
static void progress(void *ctx, double sim_s, double end_s, uint64_t events)
{
    progress_ctx_t *p = ctx;
    if (p->quiet || !isatty(2))
        return;
    double el = sim_wall_s() - p->t0;
    double eta = sim_s > 0 && end_s > sim_s ? el * (end_s - sim_s) / sim_s : 0;
    char now[32], end[32], left[32];
    sim_units_format_human_duration(sim_s, now, sizeof now);
    sim_units_format_human_duration(end_s, end, sizeof end);
    sim_units_format_human_duration(eta, left, sizeof left);
    fprintf(stderr, "\rrun %zu/%zu: %s / %s simulated, %.2f M events/s, ETA %s   ", p->run + 1, p->runs,
            now, end, el > 0 ? (double)events / el / 1e6 : 0, left);
}

/* A few headline metrics of a finished run, for people (scripts use the database). */
static void print_summary(db_t *db, int64_t run_id)
{
    static const char *const names[] = {"mean_slowdown", "host_swap_out_bytes", "balloon_inflated_bytes",
                                        "major_faults", "oom_kills", "vms_short"};
    double v[6] = {0};
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db_handle(db), "SELECT value FROM run_summary WHERE run_id=? AND metric=?", -1, &st,
                           NULL) != SQLITE_OK)
        return;
    for (int i = 0; i < 6; i++) {
        sqlite3_bind_int64(st, 1, run_id);
        sqlite3_bind_text(st, 2, names[i], -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            v[i] = sqlite3_column_double(st, 0);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    printf("  mean slowdown %.3f, host swap-out %.1f MiB, ballooned %.1f MiB, %.3g major faults, "
           "%.0f OOM kills, %.0f VMs short of memory\n",
           v[0], v[1] / 1048576.0, v[2] / 1048576.0, v[3], v[4], v[5]);
}

/* ------------------------------------------------------------------ builds guard */

/* Complete runs of one study made by another build (cli_guard_builds). */
typedef struct stale_runs {
    int64_t n;                 /* how many */
    int64_t outside;           /* of them, not selected */
    int64_t versions;          /* distinct other versions */
    char version[128];         /* the most frequent one */
    int64_t *ids;              /* their run_id (n) */
} stale_runs_t;

#define STALE_WHERE " FROM runs WHERE study_key=?1 AND status='complete' AND version IS NOT ?2"

static int stale_find(db_t *db, const char *key, const unsigned char *sel, size_t runs, stale_runs_t *s,
                      char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int rc = db_prepare(db, "SELECT version, count(*)" STALE_WHERE " GROUP BY version ORDER BY 2 DESC, 1", &st,
                        err, errlen);
    if (rc)
        return rc;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sim_version(), -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (!s->versions++)
            snprintf(s->version, sizeof s->version, "%s", (const char *)sqlite3_column_text(st, 0));
        s->n += sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    if (!s->n)
        return SIM_OK;
    if (!(s->ids = calloc((size_t)s->n, sizeof *s->ids))) {
        snprintf(err, errlen, "out of memory");
        return SIM_ENOMEM;
    }
    if ((rc = db_prepare(db, "SELECT run_id, run_index" STALE_WHERE, &st, err, errlen)))
        return rc;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sim_version(), -1, SQLITE_STATIC);
    int64_t i = 0;
    while (i < s->n && sqlite3_step(st) == SQLITE_ROW) {
        s->ids[i++] = sqlite3_column_int64(st, 0);
        int64_t r = sqlite3_column_int64(st, 1);
        s->outside += sel && (r < 0 || (uint64_t)r >= runs || !sel[r]);
    }
    sqlite3_finalize(st);
    s->n = i;
    return SIM_OK;
}

static int stale_delete(db_t *db, const stale_runs_t *s, char *err, size_t errlen)
{
    int rc = db_begin(db, err, errlen);
    for (int64_t i = 0; !rc && i < s->n; i++)
        rc = db_run_delete(db, s->ids[i], (const char *const *)record_tables, record_ntables, err, errlen);
    if (!rc)
        rc = db_commit(db, err, errlen);
    if (rc)
        db_rollback(db);
    return rc;
}

int cli_guard_builds(db_t *db, const char *key, const unsigned char *sel, size_t runs, int force, int quiet,
                     const char *who, char *err, size_t errlen)
{
    stale_runs_t s;
    memset(&s, 0, sizeof s);
    int rc = stale_find(db, key, sel, runs, &s, err, errlen);
    if (rc || !s.n)
        goto out;
    char more[64] = "";
    if (s.versions > 1)
        snprintf(more, sizeof more, " (and %lld other build%s)", (long long)(s.versions - 1),
                 s.versions > 2 ? "s" : "");
    if (!force || s.outside) {
        snprintf(err, errlen, "%s: holds %lld complete run%s of this study (study %s) made by balloonsim %s%s, "
                 "not by this build (%s): results of different model builds do not mix; %s",
                 db_path(db), (long long)s.n, s.n == 1 ? "" : "s", key, s.version, more, sim_version(),
                 !force ? "write to a new database (-o NEW.db), or delete and redo them with --force"
                        : "--force redoes only the selected runs, and some of them are outside --runs/--shard: "
                          "select them too, or write to a new database (-o NEW.db)");
        rc = SIM_EINPUT;
        goto out;
    }
    if (!quiet)
        fprintf(stderr, "balloonsim %s: --force: deleting %lld complete run%s of this study made by balloonsim %s%s "
                "(this build: %s) to redo them\n", who, (long long)s.n, s.n == 1 ? "" : "s", s.version, more,
                sim_version());
    rc = stale_delete(db, &s, err, errlen);
out:
    free(s.ids);
    return rc;
}

/* ------------------------------------------------------------------ one run */

int cli_run_one(const cli_opts_t *o, const sim_ini_t *ini, const sim_study_t *study, int64_t base_seed,
                size_t run, const char *db_path, volatile sig_atomic_t *stop, int *skipped,
                char *err, size_t errlen)
{
    sim_ini_t *r = NULL;
    scenario_t *s = NULL;
    db_t *db = NULL;
    sim_study_run_info_t info;
    char key[32];
    *skipped = 0;
    int rc = sim_study_run(study, run, &r, &info, err, errlen);
    if (rc)
        return rc;
    if ((rc = scenario_load(r, &s, err, errlen)))
        goto out;
    if ((rc = cli_mkdir_parents(db_path, err, errlen)) || (rc = db_open(db_path, &db, err, errlen)) ||
        (rc = record_schema(db, err, errlen)))
        goto out;
    cli_study_key(ini, key, sizeof key);
    /* Look up and delete a previous attempt in one transaction (BEGIN IMMEDIATE): under
     * the writer lock (cli_lock_db) a run still 'running' is one whose process died. */
    int64_t old_id;
    char status[32];
    if ((rc = db_begin(db, err, errlen)))
        goto out;
    int found = db_run_lookup(db, key, (int64_t)run, &old_id, status, sizeof status, err, errlen);
    if (found < 0)
        rc = -found;
    else if (found && !strcmp(status, "complete") && !o->force)
        *skipped = 1;
    else if (found)
        rc = db_run_delete(db, old_id, (const char *const *)record_tables, record_ntables, err, errlen);
    if (!rc)
        rc = db_commit(db, err, errlen);
    if (rc || *skipped) {
        db_rollback(db);
        goto out;
    }
    uint64_t seed = cli_run_seed(ini, base_seed, run, info.repetition);
    db_run_info_t ri = {key, (int64_t)run, (int64_t)info.point, info.repetition, seed, ini->path, ini->text,
                        info.axes, s->policy->name};
    progress_ctx_t pc = {o->quiet, run, sim_study_runs(study), sim_wall_s()};
    dc_options_t opt = {seed, stop, o->check, progress, &pc, o->scratch_db};
    dc_result_t res;
    rc = dc_run(s, db, &ri, &opt, &res, err, errlen);
    if (!o->quiet && isatty(2))
        fprintf(stderr, "\r%*s\r", 70, "");
    if (!o->quiet && !rc)
        printf("run %zu%s%s: %s, %llu events, %.2f s wall, %.2f M events/s, fingerprint %s\n", run,
               info.axes[0] ? " " : "", info.axes, res.status, (unsigned long long)res.events, res.wall_s,
               res.wall_s > 0 ? (double)res.events / res.wall_s / 1e6 : 0, res.fingerprint);
    if (!o->quiet && !rc)
        print_summary(db, res.run_id);
out:
    db_close(db);
    scenario_destroy(s);
    sim_ini_destroy(r);
    return rc;
}

/* cli_guard_builds on the database file dbp for the study of ini (every run). */
int cli_guard_builds_file(const char *dbp, const sim_ini_t *ini, int force, int quiet, const char *who, char *err,
                          size_t errlen)
{
    db_t *db = NULL;
    char key[32];
    cli_study_key(ini, key, sizeof key);
    int rc = db_open(dbp, &db, err, errlen);
    if (!rc)
        rc = record_schema(db, err, errlen);
    if (!rc)
        rc = cli_guard_builds(db, key, NULL, 0, force, quiet, who, err, errlen);
    db_close(db);
    return rc;
}

int cli_run_study(const cli_opts_t *o, const char *file, volatile sig_atomic_t *stop,
                  char *err, size_t errlen)
{
    sim_ini_t *ini;
    sim_study_t *study;
    int64_t seed;
    int rc = cli_load(o, file, &ini, &study, &seed, err, errlen);
    if (rc)
        return rc;
    char dbp[4096];
    if (o->db_path)
        snprintf(dbp, sizeof dbp, "%s", o->db_path);
    else
        cli_default_db(file, dbp, sizeof dbp);
    size_t runs = sim_study_runs(study), skipped = 0;
    /* Every point checked before the first run; then the writer lock, held to the end. */
    int lock_fd = -1;
    rc = cli_check_points_warn(study, NULL, "run", err, errlen);
    if (!rc)
        rc = cli_check_output(dbp, study, err, errlen);
    if (!rc && !(rc = cli_mkdir_parents(dbp, err, errlen)))
        rc = cli_lock_db(dbp, 1, "run", stop, &lock_fd, err, errlen);
    if (!rc)                         /* runs of another build are not resumed beside ours */
        rc = cli_guard_builds_file(dbp, ini, o->force, o->quiet, "run", err, errlen);
    for (size_t run = 0; run < runs && !rc; run++) {
        int sk;
        rc = cli_run_one(o, ini, study, seed, run, dbp, stop, &sk, err, errlen);
        skipped += (size_t)sk;
    }
    if (!rc) {                       /* point_summary and the views, as a sweep leaves them */
        db_t *db = NULL;
        rc = db_open(dbp, &db, err, errlen);
        if (!rc)
            rc = tables_rebuild_all(db, err, errlen);
        db_close(db);
    }
    cli_unlock_db(lock_fd);
    if (!rc && !o->quiet) {
        if (skipped)
            printf("%zu run%s already complete in %s (use --force to redo)\n", skipped, skipped == 1 ? "" : "s", dbp);
        printf("results: %s\n", dbp);
    }
    sim_study_destroy(study);
    sim_ini_destroy(ini);
    return rc;
}

int cli_run_file(const char *file, char **sets, size_t nsets, size_t run, const char *db_path,
                 char *err, size_t errlen)
{
    cli_opts_t o;
    memset(&o, 0, sizeof o);
    o.quiet = 1;
    o.force = 1;                     /* measure a run even if db_path holds it already */
    o.sets = sets;
    o.nsets = nsets;
    sim_ini_t *ini;
    sim_study_t *study;
    int64_t seed;
    int rc = cli_load(&o, file, &ini, &study, &seed, err, errlen);
    if (rc)
        return rc;
    int skipped;
    rc = cli_run_one(&o, ini, study, seed, run, db_path, NULL, &skipped, err, errlen);
    sim_study_destroy(study);
    sim_ini_destroy(ini);
    return rc;
}

static const char *run_usage =
    "usage: balloonsim run FILE [-o DB] [--seed N] [--set section.key=value]... [--quiet] [--check] [--force]\n"
    "  -o DB        database to write (default results/NAME.db)\n"
    "  --seed N     base seed (overrides simulation.seed)\n"
    "  --set K=V    override any scenario key, e.g. --set 'vm web.count=4' --set policy.name=esx-share\n"
    "  --quiet      no progress or summary on stderr/stdout\n"
    "  --check      check page conservation after every event (slow)\n"
    "  --force      redo runs that the database already holds as complete; without it, complete runs\n"
    "               of this study made by another build (runs.version) are refused (exit 2)\n";

/* ------------------------------------------------------------------ run */

int cli_cmd_run(int argc, char **argv)
{
    cli_opts_t o;
    char err[SIM_ERR_MAX];
    int rc = cli_preamble(argc, argv, CLI_RUN, run_usage, 1, &o);
    if (rc >= 0)
        return rc;
    volatile sig_atomic_t *stop = cli_install_signals(0);
    rc = cli_run_study(&o, o.files[0], stop, err, sizeof err);
    if (rc && rc != SIM_EINTR)
        fprintf(stderr, "balloonsim: %s\n", err);
    if (rc == SIM_EINTR)
        fprintf(stderr, "balloonsim: interrupted; the run is marked 'interrupted' in the database\n");
    cli_opts_free(&o);
    return cli_exit_status(rc, *stop);
}

