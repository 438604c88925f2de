/*
 * cli/common.c -- the commands' shared preamble: option parsing, loading a scenario with
 * --set overrides and its study, the study key, default paths, exit statuses, signals and
 * the database writer lock; and the checks made over every point of a study before the
 * first run (workloads and trace warnings, the host's room for a VM, outputs that would
 * overwrite inputs), each a callback of one walk, foreach_point.  See cli/common.h.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sim/keys.h"
#include "sim/units.h"
#include "sim/err.h"
#include "sim/rng.h"
#include "sim/file.h"
#include "models/dc.h"
#include "models/balloon.h"
#include "models/policy.h"
#include "models/trace.h"
#include "models/workload.h"
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

/* Options of the run-like commands (run, validate, sweep, check), with the commands that
 * take each (bit 1 << cli_kind_t); getopt_long parses them, so -j2, -j 2, --jobs 2 and
 * --jobs=2 are the same. */
enum { OPT_SEED = 256, OPT_SET, OPT_CHECK, OPT_FORCE, OPT_DRY_RUN, OPT_UPDATE_FP, OPT_RUNS, OPT_SHARD, OPT_MAX_DB,
       OPT_AXIS, OPT_RANGE, OPT_BUDGET, OPT_POLICIES, OPT_REPEAT };
#define ALL_KINDS ((1u << CLI_RUN) | (1u << CLI_VALIDATE) | (1u << CLI_SWEEP) | (1u << CLI_CHECK))
#define CAPACITY (1u << CLI_CAPACITY)
static const struct { struct option opt; unsigned kinds; } run_options[] = {
    {{"help", no_argument, NULL, 'h'}, ALL_KINDS | CAPACITY},
    {{"output", required_argument, NULL, 'o'}, ALL_KINDS | CAPACITY},
    {{"seed", required_argument, NULL, OPT_SEED}, ALL_KINDS | CAPACITY},
    {{"set", required_argument, NULL, OPT_SET}, ALL_KINDS | CAPACITY},
    {{"quiet", no_argument, NULL, 'q'}, ALL_KINDS | CAPACITY},
    {{"check", no_argument, NULL, OPT_CHECK}, ALL_KINDS | CAPACITY},
    {{"force", no_argument, NULL, OPT_FORCE}, ALL_KINDS | CAPACITY},
    {{"dry-run", no_argument, NULL, OPT_DRY_RUN}, 1u << CLI_SWEEP},
    {{"update-fingerprints", no_argument, NULL, OPT_UPDATE_FP}, 1u << CLI_CHECK},
    {{"jobs", required_argument, NULL, 'j'}, (1u << CLI_SWEEP) | CAPACITY},
    {{"runs", required_argument, NULL, OPT_RUNS}, 1u << CLI_SWEEP},
    {{"shard", required_argument, NULL, OPT_SHARD}, 1u << CLI_SWEEP},
    {{"max-db-size", required_argument, NULL, OPT_MAX_DB}, (1u << CLI_SWEEP) | CAPACITY},
    {{"axis", required_argument, NULL, OPT_AXIS}, CAPACITY},
    {{"range", required_argument, NULL, OPT_RANGE}, CAPACITY},
    {{"budget", required_argument, NULL, OPT_BUDGET}, CAPACITY},
    {{"policies", required_argument, NULL, OPT_POLICIES}, CAPACITY},
    {{"repeat", required_argument, NULL, OPT_REPEAT}, CAPACITY},
};
enum { NRUN_OPTIONS = sizeof run_options / sizeof run_options[0] };

static int parse_jobs(const char *val, int *jobs, char *err, size_t errlen)
{
    char *end;
    long j = strtol(val, &end, 10);
    if (!*val || *end || j < 1 || j > CLI_MAX_JOBS) {
        sim_set_err(err, errlen, "-j %s: expected a number of workers from 1 to %d", val, CLI_MAX_JOBS);
        return SIM_EINPUT;
    }
    *jobs = (int)j;
    return SIM_OK;
}

/* One option c with its value val (NULL for flags) into *o. */
static int take_option(cli_opts_t *o, int c, const char *val, char *err, size_t errlen)
{
    char msg[256];
    switch (c) {
    case 'o':
        if (!*val) {
            sim_set_err(err, errlen, "option -o needs a database file name (got an empty one)");
            return SIM_EINPUT;
        }
        if (strlen(val) >= 4000) {   /* the commands' path buffers; Linux PATH_MAX is 4096 */
            sim_set_err(err, errlen, "option -o: the path is %zu bytes long; at most 3999 are accepted "
                        "(Linux refuses paths of 4096 bytes or more): use a shorter path", strlen(val));
            return SIM_EINPUT;
        }
        o->db_path = val;
        return SIM_OK;
    case OPT_SEED:
        if (sim_units_parse_int(val, &o->seed, msg, sizeof msg) || o->seed < 0) {
            sim_set_err(err, errlen, "--seed %.40s: expected an integer from 0 to %lld (a signed 64-bit "
                        "seed, as simulation.seed)", val, (long long)INT64_MAX);
            return SIM_EINPUT;
        }
        o->has_seed = 1;
        return SIM_OK;
    case OPT_SET: return push(&o->sets, &o->nsets, (char *)val);
    case 'q': o->quiet = 1; return SIM_OK;
    case OPT_CHECK: o->check = 1; return SIM_OK;
    case OPT_FORCE: o->force = 1; return SIM_OK;
    case OPT_DRY_RUN: o->dry_run = 1; return SIM_OK;
    case OPT_UPDATE_FP: o->update_fingerprints = 1; return SIM_OK;
    case 'j': return parse_jobs(val, &o->jobs, err, errlen);
    case OPT_RUNS: o->runs = val; return SIM_OK;
    case OPT_AXIS: o->axis = val; return SIM_OK;
    case OPT_RANGE: o->range = val; return SIM_OK;
    case OPT_BUDGET: o->budget = val; return SIM_OK;
    case OPT_POLICIES: o->policies = val; return SIM_OK;
    case OPT_REPEAT:
        if (sim_units_parse_int(val, &o->repeat, msg, sizeof msg) || o->repeat < 1 || o->repeat > 1000) {
            sim_set_err(err, errlen, "--repeat %.40s: expected an integer from 1 to 1000", val);
            return SIM_EINPUT;
        }
        return SIM_OK;
    case OPT_MAX_DB:
        if (!strcmp(val, "none")) {
            o->max_db_bytes = 0;
            return SIM_OK;
        }
        if (sim_units_parse_bytes(val, &o->max_db_bytes, msg, sizeof msg) || o->max_db_bytes <= 0) {
            sim_set_err(err, errlen, "--max-db-size %s: expected a size such as 10GiB, or 'none'", val);
            return SIM_EINPUT;
        }
        return SIM_OK;
    case OPT_SHARD: {
        int si, sn;
        char extra;
        if (sscanf(val, "%d/%d%c", &si, &sn, &extra) != 2 || sn < 1 || si < 0 || si >= sn) {
            sim_set_err(err, errlen, "--shard %s: expected i/N with 0 <= i < N", val);
            return SIM_EINPUT;
        }
        o->shard_i = si, o->shard_n = sn;
        return SIM_OK;
    }
    default: return push(&o->files, &o->nfiles, (char *)val);    /* 1: a FILE */
    }
}

static int parse_args(int argc, char **argv, cli_opts_t *o, cli_kind_t kind, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    o->max_db_bytes = CLI_DEFAULT_MAX_DB_BYTES;
    o->jobs = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (o->jobs < 1)
        o->jobs = 1;
    struct option longopts[NRUN_OPTIONS + 1];
    size_t n = 0;
    for (size_t i = 0; i < NRUN_OPTIONS; i++)
        if (run_options[i].kinds & (1u << kind))
            longopts[n++] = run_options[i].opt;
    memset(&longopts[n], 0, sizeof longopts[n]);
    const char *shortopts = kind == CLI_SWEEP || kind == CLI_CAPACITY ? "ho:qj:" : "ho:q";
    int c, rc = SIM_OK;
    optind = 0;
    while (!rc && (c = cli_getopt(argc, argv, shortopts, longopts, err, errlen)) != -1) {
        if (c == 'h')
            return CLI_HELP;
        rc = c == '?' ? SIM_EINPUT : take_option(o, c, optarg, err, errlen);
    }
    for (int i = optind; !rc && i < argc; i++)          /* FILEs after "--" */
        rc = push(&o->files, &o->nfiles, argv[i]);
    return rc;
}

int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts, char *err,
               size_t errlen)
{
    return cli_getopt_index(argc, argv, shortopts, longopts, NULL, err, errlen);
}

int cli_getopt_index(int argc, char **argv, const char *shortopts, const struct option *longopts, int *longindex,
                     char *err, size_t errlen)
{
    char spec[64];
    snprintf(spec, sizeof spec, "-:%s", shortopts);   /* arguments in order (1); ':' = no value */
    opterr = 0;
    int c = getopt_long(argc, argv, spec, longopts, longindex);
    const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "";
    if (c == ':') {
        sim_set_err(err, errlen, "option %s needs a value", arg);
        return '?';
    }
    if (c == '?') {
        if (!strncmp(arg, "--", 2) || !optopt)
            sim_set_err(err, errlen, "unknown option '%s'", arg);
        else
            sim_set_err(err, errlen, "unknown option '-%c'", optopt);
    }
    return c;
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

/* ------------------------------------------------------------------ --set */

/* "section.key" of the first scenario key table that has `key`, or NULL (for "did you
 * mean" after --set KEY=V without a section). */
static const char *section_of_key(const char *key)
{
    static const struct {
        const sim_key_table_t *t;
        const char *section;
    } tabs[] = {{&scn_sim_key_table, "simulation"}, {&scn_host_key_table, "host"},
                {&balloon_key_table, "balloon"}, {&scn_vm_key_table, "vm NAME"}, {&workload_key_table, "vm NAME"}};
    for (size_t i = 0; i < sizeof tabs / sizeof tabs[0]; i++)
        if (sim_keys_find(tabs[i].t, key))
            return tabs[i].section;
    for (size_t i = 0; i < policy_count(); i++)
        if (policy_at(i)->keys && sim_keys_find(policy_at(i)->keys, key))
            return "policy";
    return NULL;
}

/* Does the scenario have a section named `sec`? */
static int has_section(const sim_ini_t *ini, const char *sec, size_t upto)
{
    for (size_t i = 0; i < upto; i++)
        if (!strcmp(ini->entries[i].section, sec))
            return 1;
    return 0;
}

/* The scenario's section nearest to `sec` (edit distance through sim_keys_nearest), or NULL. */
static const char *nearest_section(const sim_ini_t *ini, size_t upto, const char *sec, sim_key_t *rows)
{
    size_t n = 0;
    for (size_t i = 0; i < upto; i++)
        if (!has_section(ini, ini->entries[i].section, i))
            rows[n++] = (sim_key_t){.name = ini->entries[i].section};
    sim_key_table_t t = {"sections", rows, n};
    const sim_key_table_t *tp = &t;
    return n ? sim_keys_nearest(&tp, 1, sec) : NULL;
}

/* Apply one --set.  A leading '+' ("+vm db.count=2") may add a VM group the file does not
 * have; without it, an override that would open a new [vm NAME] section (or a section of
 * no known kind) is refused with the nearest section of the file, since a typo ("vm wbe")
 * would otherwise run a study with an extra group.  Sections with defaults (simulation,
 * host, balloon, policy) may be added freely.  --set KEY=V without a section suggests the
 * section that has KEY. */
static int apply_set(sim_ini_t *ini, const char *set, char *err, size_t errlen)
{
    int add = set[0] == '+';
    const char *assign = set + add;
    size_t before = ini->count;
    char msg[SIM_ERR_MAX];
    int rc = sim_ini_apply_override(ini, assign, msg, sizeof msg);
    if (rc) {
        size_t keylen = strcspn(assign, "=");
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)(keylen < 255 ? keylen : 255), assign);
        const char *sec = !strchr(key, '.') ? section_of_key(key) : NULL;
        if (sec)
            snprintf(err, errlen, "%s (did you mean --set '%s.%s'?)", msg, sec, assign);
        else
            snprintf(err, errlen, "%s", msg);     /* msg names the --set already */
        return rc;
    }
    if (ini->count == before || add)
        return SIM_OK;
    const char *sec = ini->entries[ini->count - 1].section;
    static const char *const singletons[] = {"simulation", "host", "balloon", "policy", "expect"};
    for (size_t i = 0; i < sizeof singletons / sizeof singletons[0]; i++)
        if (!strcmp(sec, singletons[i]))
            return SIM_OK;
    if (has_section(ini, sec, before))
        return SIM_OK;
    sim_key_t *rows = calloc(before ? before : 1, sizeof *rows);
    const char *near = rows ? nearest_section(ini, before, sec, rows) : NULL;
    snprintf(err, errlen, "--set '%s': the scenario has no section [%s]%s%s%s; to add it, write --set '+%s'", set,
             sec, near ? " (did you mean [" : "", near ? near : "", near ? "]?)" : "", assign);
    free(rows);
    return SIM_EINPUT;
}

int cli_load(const cli_opts_t *o, const char *file, sim_ini_t **ini, sim_study_t **study,
             int64_t *base_seed, char *err, size_t errlen)
{
    *ini = NULL;
    *study = NULL;
    int rc = sim_ini_load_file(file, ini, err, errlen);
    if (rc)
        return rc;
    for (size_t i = 0; i < o->nsets; i++)
        if ((rc = apply_set(*ini, o->sets[i], err, errlen)))
            goto fail;
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

/* ------------------------------------------------------------------ every point of a study */

/* What fn is called with for one point: pt, the point's index, and ri, the scenario
 * text of its first run (the caller's, freed after the call).  0, or an error code with
 * its message in err, which ends the walk. */
typedef int (*point_fn)(void *ctx, size_t pt, const sim_ini_t *ri, char *err, size_t errlen);

/* Has point pt (runs pt*reps .. (pt+1)*reps - 1) a run selected by sel (NULL = all)? */
static int point_selected(const unsigned char *sel, size_t pt, size_t reps, size_t runs)
{
    int any = !sel;
    for (size_t r = pt * reps; !any && r < (pt + 1) * reps && r < runs; r++)
        any = sel[r];
    return any;
}

/* fn(ctx, pt, ri) for every point of the study in order (with sel: only the points with
 * a selected run), ri its first run's scenario text.  The first error, from loading a
 * run or from fn, ends the walk and is returned. */
static int foreach_point(const sim_study_t *study, const unsigned char *sel, point_fn fn, void *ctx, char *err,
                         size_t errlen)
{
    size_t runs = sim_study_runs(study), points = sim_study_points(study);
    size_t reps = points ? runs / points : 1;
    int rc = SIM_OK;
    for (size_t pt = 0; pt < points && !rc; pt++) {
        if (!point_selected(sel, pt, reps, runs))
            continue;
        sim_ini_t *ri = NULL;
        sim_study_run_info_t info;
        if ((rc = sim_study_run(study, pt * reps, &ri, &info, err, errlen)))
            break;
        rc = fn(ctx, pt, ri, err, errlen);
        sim_ini_destroy(ri);
    }
    return rc;
}

/* The room a host of s has for one VM: [host] memory - reserve - vm_overhead, bytes. */
static int64_t host_room_bytes(const scenario_t *s)
{
    return s->host.memory_bytes - s->host.reserve_bytes - s->host.vm_overhead_bytes;
}

/* The trace files already warned about (each once). */
typedef struct warned {
    const workload_trace_t **tr;
    size_t n, cap;
    const char *who;
    int oom;
} warned_t;

static void print_warning(void *ctx, const char *msg)
{
    fprintf(stderr, "balloonsim %s: warning: %s\n", (const char *)ctx, msg);
}

static void warn_trace(warned_t *w, const workload_trace_t *tr, const workload_trace_limits_t *lim)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->tr[i] == tr)
            return;
    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 16;
        const workload_trace_t **p = realloc(w->tr, cap * sizeof *p);
        if (!p) {
            w->oom = 1;
            return;
        }
        w->tr = p;
        w->cap = cap;
    }
    w->tr[w->n++] = tr;
    workload_trace_warnings(tr, lim, print_warning, (void *)w->who);
}

/* The warnings of the traces the VMs of s replay (a Bitbrains group: its first count
 * files, or all of them when count = 0), loaded by dc_check_workloads through lib. */
static void warn_point(warned_t *w, const scenario_t *s, workload_library_t *lib)
{
    workload_trace_limits_t lim = { host_room_bytes(s), s->path };
    char msg[SIM_ERR_MAX];
    for (size_t g = 0; g < s->nvm_groups; g++) {
        const scn_vm_t *gp = &s->vms[g];
        const workload_trace_t *tr;
        int64_t n = 0;
        if (!strcmp(gp->wl.type, "trace")) {
            if (!workload_path_is_dir(gp->wl.file) && workload_library_trace(lib, gp->wl.file, &tr, msg, sizeof msg) == 0)
                warn_trace(w, tr, &lim);
        } else if (!strcmp(gp->wl.type, "bitbrains") &&
                   workload_bitbrains_dir_count(lib, gp->wl.file, &n, msg, sizeof msg) == 0) {
            int64_t used = gp->count > 0 && gp->count < n ? gp->count : n;
            for (int64_t k = 0; k < used; k++)
                if (workload_library_dir_trace(lib, gp->wl.file, k, &tr, msg, sizeof msg) == 0)
                    warn_trace(w, tr, &lim);
        }
    }
}

/* cli_check_points: the traces loaded once in lib; warned.who NULL = no warnings. */
typedef struct check_ctx {
    workload_library_t *lib;
    warned_t warned;
} check_ctx_t;

static int check_point(void *ctx, size_t pt, const sim_ini_t *ri, char *err, size_t errlen)
{
    check_ctx_t *c = ctx;
    scenario_t *s = NULL;
    (void)pt;
    int rc = scenario_load(ri, &s, err, errlen);
    if (!rc)
        rc = dc_check_workloads(s, c->lib, err, errlen);
    if (!rc && c->warned.who)
        warn_point(&c->warned, s, c->lib);
    scenario_destroy(s);
    return rc;
}

static int check_points(const sim_study_t *study, const unsigned char *sel, const char *who, char *err,
                        size_t errlen)
{
    check_ctx_t c = { NULL, { NULL, 0, 0, who, 0 } };
    int rc = workload_library_create(&c.lib);
    if (rc) {
        snprintf(err, errlen, "out of memory");
        return rc;
    }
    rc = foreach_point(study, sel, check_point, &c, err, errlen);
    free(c.warned.tr);
    workload_library_destroy(c.lib);
    if (!rc && c.warned.oom) {
        snprintf(err, errlen, "out of memory");
        rc = SIM_ENOMEM;
    }
    return rc;
}

int cli_check_points(const sim_study_t *study, const unsigned char *sel, char *err, size_t errlen)
{
    return check_points(study, sel, NULL, err, errlen);
}

int cli_check_points_warn(const sim_study_t *study, const unsigned char *sel, const char *who, char *err,
                          size_t errlen)
{
    return check_points(study, sel, who, err, errlen);
}

/* cli_host_room: the largest room so far into *(int64_t *)ctx. */
static int room_of_point(void *ctx, size_t pt, const sim_ini_t *ri, char *err, size_t errlen)
{
    int64_t *room_bytes = ctx;
    scenario_t *s = NULL;
    (void)pt;
    int rc = scenario_load(ri, &s, err, errlen);
    if (!rc && host_room_bytes(s) > *room_bytes)
        *room_bytes = host_room_bytes(s);
    scenario_destroy(s);
    return rc;
}

int cli_host_room(const sim_study_t *study, int64_t *room_bytes, char *err, size_t errlen)
{
    *room_bytes = 0;
    return foreach_point(study, NULL, room_of_point, room_bytes, err, errlen);
}

int cli_check_output_vs(const char *out, const char *in, const char *what, char *err, size_t errlen)
{
    static const char *const beside[] = {"", "-wal", "-shm", "-journal"};
    struct stat st;
    if (stat(in, &st) == 0 && S_ISDIR(st.st_mode) && sim_in_dir(out, in)) {
        snprintf(err, errlen, "%.900s: is in the Bitbrains directory %.900s, an input (its *.csv files are "
                 "traces): an output is never written into an input directory (choose another -o)", out, in);
        return SIM_EINPUT;
    }
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

/* cli_check_output: the output ctx against the point's scenario file (the same for every
 * point: checked at the first) and every VM group's workload.file. */
static int output_vs_point(void *ctx, size_t pt, const sim_ini_t *ri, char *err, size_t errlen)
{
    const char *out = ctx;
    int rc = pt == 0 ? cli_check_output_vs(out, ri->path, "scenario", err, errlen) : SIM_OK;
    for (size_t i = 0; i < ri->count && !rc; i++) {
        const sim_ini_entry_t *e = &ri->entries[i];
        if (!strncmp(e->section, "vm ", 3) && !strcmp(e->key, "workload.file"))
            rc = cli_check_output_vs(out, e->value, "trace", err, errlen);
    }
    return rc;
}

int cli_check_output(const char *out, const sim_study_t *study, char *err, size_t errlen)
{
    return foreach_point(study, NULL, output_vs_point, (void *)out, err, errlen);
}

int cli_parse_flags(int argc, char **argv, const char *const *flags, const char *usage, int *set)
{
    struct option longopts[CLI_MAX_FLAGS + 2];
    size_t n = 0;
    for (; flags[n]; n++) {
        assert(n < CLI_MAX_FLAGS);
        longopts[n] = (struct option){flags[n], no_argument, NULL, 'f'};
        set[n] = 0;
    }
    longopts[n] = (struct option){"help", no_argument, NULL, 'h'};
    longopts[n + 1] = (struct option){NULL, 0, NULL, 0};
    char err[SIM_ERR_MAX];
    int c, k = 0;
    optind = 0;
    while ((c = cli_getopt_index(argc, argv, "h", longopts, &k, err, sizeof err)) != -1) {
        if (c == 'f') {
            set[k] = 1;
        } else if (c == 'h') {
            fputs(usage, stdout);
            return 0;
        } else {
            fprintf(stderr, "balloonsim %s: %s\n%s", argv[0], c == 1 ? "unexpected argument" : err, usage);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "balloonsim %s: unexpected argument '%s'\n%s", argv[0], argv[optind], usage);
        return 2;
    }
    return -1;
}

int cli_parse_flag(int argc, char **argv, const char *flag, const char *usage, int *set)
{
    const char *const flags[] = {flag, NULL};
    return cli_parse_flags(argc, argv, flags, usage, set);
}

int cli_preamble(int argc, char **argv, cli_kind_t kind, const char *usage, int one_file, cli_opts_t *o)
{
    char err[SIM_ERR_MAX];
    int rc = cli_parse(argc, argv, o, kind, err, sizeof err);
    if (rc == CLI_HELP) {
        fputs(usage, stdout);
        return 0;
    }
    if (rc) {
        fprintf(stderr, "balloonsim %s: %s\n%s", argv[0], err, usage);
        return 2;
    }
    if (one_file ? o->nfiles != 1 : o->nfiles == 0) {
        fprintf(stderr, "balloonsim %s: expected %s\n%s", argv[0], one_file ? "one scenario FILE" : "a scenario FILE",
                usage);
        cli_opts_free(o);
        return 2;
    }
    return -1;
}
