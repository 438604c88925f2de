/*
 * cli/common.h -- the commands' shared preamble (cli_*; cli/common.c): option parsing,
 * loading a scenario with overrides and study expansion, the study key, default paths,
 * exit statuses.  Used by every cli/cmd_*.c.
 */
#ifndef CLI_COMMON_H
#define CLI_COMMON_H

#include <signal.h>
#include "sim/ini.h"
#include "sim/study.h"
#include "models/scenario.h"

#define CLI_VERSION "0.1.0"
#define CLI_HELP 100            /* cli_parse: --help was given */

typedef enum { CLI_RUN, CLI_VALIDATE, CLI_SWEEP, CLI_CHECK } cli_kind_t;

typedef struct cli_opts {
    char **files;  size_t nfiles;
    char **sets;   size_t nsets;     /* --set K=V, in order */
    const char *db_path;             /* -o */
    int has_seed;  int64_t seed;
    int quiet, check, force, dry_run, update_fingerprints;
    int jobs;                        /* -j N (sweep) */
    const char *runs;                /* --runs 0-9,17 (sweep) */
    int shard_i, shard_n;            /* --shard i/N (sweep) */
    int scratch_db;                  /* the database is a sweep worker's scratch copy */
} cli_opts_t;

int cli_parse(int argc, char **argv, cli_opts_t *o, cli_kind_t kind, char *err, size_t errlen);
void cli_opts_free(cli_opts_t *o);

/* Load FILE, apply --set overrides and --seed, expand the study.  The caller owns
 * *ini and *study. */
int cli_load(const cli_opts_t *o, const char *file, sim_ini_t **ini, sim_study_t **study,
             int64_t *base_seed, char *err, size_t errlen);
/* The seed of run `run` (repetition `repetition`) of the study loaded into ini:
 * sim_rng_derive_seed(base_seed, repetition) with [simulation] seeds = per-repetition
 * (the default: common random numbers, every run of a repetition replays the same world),
 * sim_rng_derive_seed(base_seed, run) with seeds = per-run (the behaviour before issue 17).
 * cli_load has checked the key (it cannot be an axis). */
uint64_t cli_run_seed(const sim_ini_t *ini, int64_t base_seed, size_t run, int64_t repetition);
/* Study key: FNV-1a over the overridden scenario text and overrides (hex). */
void cli_study_key(const sim_ini_t *ini, char *buf, size_t len);
/* Default database for a scenario: results/NAME.db */
void cli_default_db(const char *file, char *buf, size_t len);

/* Exit status of a command that ended with rc (SIM_*): 0 ok, 2 bad input, I/O or out of
 * memory, 130 / 143 interrupted by SIGINT / SIGTERM (sig: the signal that stopped it),
 * 3 an internal error. */
int cli_exit_status(int rc, int sig);
/* Install the handler of SIGINT and SIGTERM (no SA_RESTART: poll and read return EINTR)
 * and return the flag it sets to the number of the signal that asked the command to
 * stop (0 while none): the program's only mutable global.  ignore_sigpipe: a write to
 * a closed pipe returns EPIPE instead of killing the process (the sweep's worker pipes). */
volatile sig_atomic_t *cli_install_signals(int ignore_sigpipe);
/* The most sweep workers (-j); worker k's scratch database is DB.workerK.tmp. */
#define CLI_MAX_JOBS 1024
/* Create the directories above the file `path` (mkdir -p of its parent).  0, SIM_EINPUT
 * when a component is not a directory, SIM_EIO when one cannot be created. */
int cli_mkdir_parents(const char *path, char *err, size_t errlen);

#endif
