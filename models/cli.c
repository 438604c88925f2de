/*
 * models/cli.c -- option parsing and running studies.  See cli.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sim/engine.h"
#include "sim/db.h"
#include "sim/rng.h"
#include "sim/units.h"
#include "models/cli.h"
#include "models/dc.h"
#include "models/record.h"

static int push(char ***arr, size_t *n, char *s)
{
    char **a = realloc(*arr, (*n + 1) * sizeof *a);
    if (!a)
        return SIM_ENOMEM;
    a[(*n)++] = s;
    *arr = a;
    return 0;
}

static int parse_args(int argc, char **argv, cli_opts_t *o, cli_kind_t kind, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    o->jobs = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (o->jobs < 1)
        o->jobs = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_VAL() do { if (!val) { snprintf(err, errlen, "option %s needs a value", a); return SIM_EINPUT; } i++; } while (0)
        if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            return CLI_HELP;
        else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            NEED_VAL();
            if (!*val) {
                snprintf(err, errlen, "option %s needs a database file name (got an empty one)", a);
                return SIM_EINPUT;
            }
            o->db_path = val;
        } else if (!strcmp(a, "--seed")) {
            NEED_VAL();
            char msg[256];
            if (sim_units_parse_int(val, &o->seed, msg, sizeof msg) || o->seed < 0) {
                snprintf(err, errlen, "--seed %s: expected a non-negative integer", val);
                return SIM_EINPUT;
            }
            o->has_seed = 1;
        } else if (!strcmp(a, "--set")) {
            NEED_VAL();
            if (push(&o->sets, &o->nsets, (char *)val))
                return SIM_ENOMEM;
        } else if (!strncmp(a, "--set=", 6)) {
            if (push(&o->sets, &o->nsets, (char *)a + 6))
                return SIM_ENOMEM;
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q"))
            o->quiet = 1;
        else if (!strcmp(a, "--check"))
            o->check = 1;
        else if (!strcmp(a, "--force"))
            o->force = 1;
        else if (!strcmp(a, "--dry-run") && kind == CLI_SWEEP)
            o->dry_run = 1;
        else if (!strcmp(a, "--update-fingerprints") && kind == CLI_CHECK)
            o->update_fingerprints = 1;
        else if (!strcmp(a, "-j") && kind == CLI_SWEEP) {
            NEED_VAL();
            char *end;
            long j = strtol(val, &end, 10);
            if (*end || j < 1 || j > CLI_MAX_JOBS) {
                snprintf(err, errlen, "-j %s: expected a number of workers from 1 to %d", val, CLI_MAX_JOBS);
                return SIM_EINPUT;
            }
            o->jobs = (int)j;
        } else if (!strcmp(a, "--runs") && kind == CLI_SWEEP) {
            NEED_VAL();
            o->runs = val;
        } else if (!strcmp(a, "--shard") && kind == CLI_SWEEP) {
            NEED_VAL();
            int si, sn;
            char extra;
            if (sscanf(val, "%d/%d%c", &si, &sn, &extra) != 2 || sn < 1 || si < 0 || si >= sn) {
                snprintf(err, errlen, "--shard %s: expected i/N with 0 <= i < N", val);
                return SIM_EINPUT;
            }
            o->shard_i = si, o->shard_n = sn;
        } else if (a[0] == '-' && a[1]) {
            snprintf(err, errlen, "unknown option '%s'", a);
            return SIM_EINPUT;
        } else if (push(&o->files, &o->nfiles, (char *)a))
            return SIM_ENOMEM;
#undef NEED_VAL
    }
    return 0;
}

/* On any return but 0 (an error, or CLI_HELP) the options are freed here, so that a
 * caller that prints usage and returns leaks nothing (found by valgrind on
 * tests/bad/049); cli_opts_free on them again is harmless. */
int cli_parse(int argc, char **argv, cli_opts_t *o, cli_kind_t kind, char *err, size_t errlen)
{
    int rc = parse_args(argc, argv, o, kind, err, errlen);
    if (rc != 0)
        cli_opts_free(o);
    return rc;
}

void cli_opts_free(cli_opts_t *o)
{
    free(o->files);
    free(o->sets);
    memset(o, 0, sizeof *o);
}

void cli_default_db(const char *file, char *buf, size_t len)
{
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    size_t n = strcspn(base, ".");
    snprintf(buf, len, "results/%.*s.db", (int)n, base);
}

void cli_study_key(const sim_ini_t *ini, char *buf, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < ini->count; i++) {
        const sim_ini_entry_t *e = &ini->entries[i];
        const char *parts[] = {e->section, "\x1f", e->key, "\x1f", e->value, "\x1e"};
        for (size_t p = 0; p < 6; p++)
            for (const char *c = parts[p]; *c; c++) {
                h ^= (unsigned char)*c;
                h *= 0x100000001b3ULL;
            }
    }
    snprintf(buf, len, "%016llx", (unsigned long long)h);
}

int cli_load(const cli_opts_t *o, const char *file, sim_ini_t **ini, sim_study_t **study,
             int64_t *base_seed, char *err, size_t errlen)
{
    *ini = NULL;
    *study = NULL;
    int rc = sim_ini_load_file(file, ini, err, errlen);
    if (rc)
        return rc;
    for (size_t i = 0; i < o->nsets; i++) {
        char msg[SIM_ERR_MAX];
        if ((rc = sim_ini_apply_override(*ini, o->sets[i], msg, sizeof msg))) {
            snprintf(err, errlen, "--set %s: %s", o->sets[i], msg);
            goto fail;
        }
    }
    if (o->has_seed) {
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", (long long)o->seed);
        if ((rc = sim_ini_set(*ini, "simulation", "seed", buf, 0)))
            goto fail;
    }
    /* repeat and seed cannot be axes: read them raw */
    int64_t repeat = 1, seed = 1;
    char msg[SIM_ERR_MAX];
    const sim_ini_entry_t *e = sim_ini_find(*ini, "simulation", "repeat");
    if (e && (sim_units_parse_int(e->value, &repeat, msg, sizeof msg) || repeat < 1 || repeat > 1000000)) {
        snprintf(err, errlen, "%s:%d: [simulation] repeat: '%s' must be an integer from 1 to 1000000",
                 (*ini)->path, e->line, e->value);
        rc = SIM_EINPUT;
        goto fail;
    }
    e = sim_ini_find(*ini, "simulation", "seed");
    if (e && (sim_units_parse_int(e->value, &seed, msg, sizeof msg) || seed < 0)) {
        snprintf(err, errlen, "%s:%d: [simulation] seed: '%s' must be a non-negative integer",
                 (*ini)->path, e->line, e->value);
        rc = SIM_EINPUT;
        goto fail;
    }
    *base_seed = seed;
    if ((rc = sim_study_expand(*ini, repeat, study, err, errlen)))
        goto fail;
    return SIM_OK;
fail:
    sim_ini_destroy(*ini);
    *ini = NULL;
    return rc;
}

int cli_validate(const cli_opts_t *o, const char *file, size_t *runs, char *err, size_t errlen)
{
    sim_ini_t *ini;
    sim_study_t *study;
    int64_t seed;
    int rc = cli_load(o, file, &ini, &study, &seed, err, errlen);
    if (rc)
        return rc;
    *runs = sim_study_runs(study);
    /* Bind every sweep point (repetitions share the scenario). */
    size_t reps = sim_study_points(study) ? sim_study_runs(study) / sim_study_points(study) : 1;
    for (size_t run = 0; run < *runs && !rc; run += reps) {
        sim_ini_t *r;
        sim_study_run_info_t info;
        if ((rc = sim_study_run(study, run, &r, &info, err, errlen)))
            break;
        scenario_t *s;
        rc = scenario_load(r, &s, err, errlen);
        scenario_destroy(s);
        sim_ini_destroy(r);
    }
    sim_study_destroy(study);
    sim_ini_destroy(ini);
    return rc;
}

int cli_mkdir_parents(const char *path, char *err, size_t errlen)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return SIM_OK;
    *slash = 0;
    for (char *c = dir + 1;; c++) {             /* mkdir -p, one level at a time */
        if (*c != '/' && *c != 0)
            continue;
        char keep = *c;
        *c = 0;
        struct stat st;
        if (stat(dir, &st) != 0) {
            if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
                snprintf(err, errlen, "%s: cannot create directory: %s", dir, strerror(errno));
                return SIM_EIO;
            }
        } else if (!S_ISDIR(st.st_mode)) {
            snprintf(err, errlen, "%s: not a directory", dir);
            return SIM_EINPUT;
        }
        *c = keep;
        if (!keep)
            return SIM_OK;
    }
}

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
    fprintf(stderr, "\rrun %zu/%zu: %.0f/%.0f s simulated, %.2f M events/s, ETA %.0f s   ", p->run + 1, p->runs,
            sim_s, end_s, el > 0 ? (double)events / el / 1e6 : 0, eta);
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
    int64_t old_id;
    char status[32];
    int found = db_run_lookup(db, key, (int64_t)run, &old_id, status, sizeof status, err, errlen);
    if (found < 0) {
        rc = -found;
        goto out;
    }
    if (found) {
        if (!strcmp(status, "complete") && !o->force) {
            *skipped = 1;
            goto out;
        }
        if ((rc = db_begin(db, err, errlen)) ||
            (rc = db_run_delete(db, old_id, (const char *const *)record_tables, record_ntables, err, errlen)) ||
            (rc = db_commit(db, err, errlen))) {
            db_rollback(db);
            goto out;
        }
    }
    uint64_t seed = sim_rng_derive_seed((uint64_t)base_seed, run);
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
    for (size_t run = 0; run < runs && !rc; run++) {
        int sk;
        rc = cli_run_one(o, ini, study, seed, run, dbp, stop, &sk, err, errlen);
        skipped += (size_t)sk;
    }
    if (!rc && !o->quiet) {
        if (skipped)
            printf("%zu run%s already complete in %s (use --force to redo)\n", skipped, skipped == 1 ? "" : "s", dbp);
        printf("results: %s\n", dbp);
    }
    sim_study_destroy(study);
    sim_ini_destroy(ini);
    return rc;
}

int cli_exit_status(int rc, int sig)
{
    switch (rc) {
    case SIM_OK: return 0;
    case SIM_EINPUT: case SIM_EIO: case SIM_ENOMEM: return 2;
    case SIM_EINTR: return sig == SIGTERM ? 143 : 130;
    default: return 3;
    }
}

int cli_validate_file(const char *file, char **sets, size_t nsets, char *err, size_t errlen)
{
    cli_opts_t o;
    memset(&o, 0, sizeof o);
    o.sets = sets;
    o.nsets = nsets;
    size_t runs;
    return cli_validate(&o, file, &runs, err, errlen);
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
