/*
 * cli/common.c -- the commands' shared preamble: option parsing, loading a scenario with
 * --set overrides and its study, the study key, default paths, exit statuses.  See
 * cli/common.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sim/units.h"
#include "sim/rng.h"
#include "sim/file.h"
#include "models/dc.h"
#include "cli/common.h"

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

uint64_t cli_run_seed(const sim_ini_t *ini, int64_t base_seed, size_t run, int64_t repetition)
{
    const sim_ini_entry_t *e = sim_ini_find(ini, "simulation", "seeds");
    uint64_t index = e && !strcmp(e->value, "per-run") ? (uint64_t)run : (uint64_t)repetition;
    return sim_rng_derive_seed((uint64_t)base_seed, index);
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
    /* repeat, seed and seeds cannot be axes: read them raw */
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
    e = sim_ini_find(*ini, "simulation", "seeds");
    if (e && strcmp(e->value, "per-repetition") && strcmp(e->value, "per-run")) {
        snprintf(err, errlen, "%s:%d: [simulation] seeds: '%s' must be per-repetition or per-run (it cannot be an axis)",
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

int cli_exit_status(int rc, int sig)
{
    switch (rc) {
    case SIM_OK: return 0;
    case SIM_EINPUT: case SIM_EIO: case SIM_ENOMEM: return 2;
    case SIM_EINTR: return sig == SIGTERM ? 143 : 130;
    default: return 3;
    }
}

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig) { stop_signal = sig; }

volatile sig_atomic_t *cli_install_signals(int ignore_sigpipe)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (ignore_sigpipe)
        signal(SIGPIPE, SIG_IGN);
    return &stop_signal;
}

int cli_lock_db(const char *path, int exclusive, const char *who, volatile sig_atomic_t *stop, int *fd_out,
                char *err, size_t errlen)
{
    *fd_out = -1;
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {      /* as db_open words it */
        snprintf(err, errlen, "%.900s: not a database file: it is %s", path,
                 S_ISDIR(st.st_mode) ? "a directory" : S_ISCHR(st.st_mode) ? "a character device" :
                 S_ISBLK(st.st_mode) ? "a block device" : S_ISFIFO(st.st_mode) ? "a pipe" : "not a regular file");
        return SIM_EINPUT;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | (exclusive ? O_CREAT : 0), 0666);
    if (fd < 0) {
        snprintf(err, errlen, "%.900s: cannot open: %s", path, strerror(errno));
        return SIM_EIO;
    }
    for (int tries = 0;; tries++) {
        if (flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0)
            break;
        if (errno != EWOULDBLOCK && errno != EINTR)
            break;                     /* a file system without flock: go on unguarded */
        if (tries == 0)
            fprintf(stderr, "balloonsim %s: %s is being written by another balloonsim command; "
                    "waiting up to %d s\n", who, path, CLI_LOCK_WAIT_S);
        if (stop && *stop) {
            close(fd);
            snprintf(err, errlen, "interrupted while waiting for %.900s", path);
            return SIM_EINTR;
        }
        if (tries >= CLI_LOCK_WAIT_S * 10) {
            close(fd);
            snprintf(err, errlen, "%.900s: another balloonsim command (run, sweep, check -o or merge) is "
                     "writing this database (wait for it, or stop it, then rerun)", path);
            return SIM_EINPUT;
        }
        usleep(100000);                /* a signal ends the sleep early: Ctrl-C is seen at once */
    }
    *fd_out = fd;
    return SIM_OK;
}

void cli_unlock_db(int fd)
{
    if (fd >= 0)
        close(fd);
}

int cli_check_points(const sim_study_t *study, const unsigned char *sel, char *err, size_t errlen)
{
    size_t runs = sim_study_runs(study), points = sim_study_points(study);
    size_t reps = points ? runs / points : 1;
    workload_library_t *lib = NULL;
    int rc = workload_library_create(&lib);
    if (rc) {
        snprintf(err, errlen, "out of memory");
        return rc;
    }
    for (size_t pt = 0; pt < points && !rc; pt++) {
        int any = !sel;
        for (size_t r = pt * reps; !any && r < (pt + 1) * reps && r < runs; r++)
            any = sel[r];
        if (!any)
            continue;
        sim_ini_t *ri = NULL;
        sim_study_run_info_t info;
        if ((rc = sim_study_run(study, pt * reps, &ri, &info, err, errlen)))
            break;
        scenario_t *s = NULL;
        rc = scenario_load(ri, &s, err, errlen);
        if (!rc)
            rc = dc_check_workloads(s, lib, err, errlen);
        scenario_destroy(s);
        sim_ini_destroy(ri);
    }
    workload_library_destroy(lib);
    return rc;
}

int cli_check_output_vs(const char *out, const char *in, const char *what, char *err, size_t errlen)
{
    static const char *const beside[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof beside / sizeof beside[0]; i++) {
        char p[4200];
        if (snprintf(p, sizeof p, "%s%s", out, beside[i]) >= (int)sizeof p)
            continue;
        if (sim_same_file(p, in)) {
            snprintf(err, errlen, "%.900s: is the same file as the %s %.900s: an output never overwrites "
                     "an input (choose another -o)", p, what, in);
            return SIM_EINPUT;
        }
    }
    return SIM_OK;
}

int cli_check_output(const char *out, const sim_study_t *study, char *err, size_t errlen)
{
    size_t runs = sim_study_runs(study), points = sim_study_points(study);
    size_t reps = points ? runs / points : 1;
    int rc = SIM_OK;
    for (size_t pt = 0; pt < points && !rc; pt++) {
        sim_ini_t *ri = NULL;
        sim_study_run_info_t info;
        if ((rc = sim_study_run(study, pt * reps, &ri, &info, err, errlen)))
            break;
        if (pt == 0)
            rc = cli_check_output_vs(out, ri->path, "scenario", err, errlen);
        for (size_t i = 0; i < ri->count && !rc; i++) {
            const sim_ini_entry_t *e = &ri->entries[i];
            if (!strncmp(e->section, "vm ", 3) && !strcmp(e->key, "workload.file"))
                rc = cli_check_output_vs(out, e->value, "trace", err, errlen);
        }
        sim_ini_destroy(ri);
    }
    return rc;
}
