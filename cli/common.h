/*
 * cli/common.h -- the commands' shared preamble (cli_*; cli/common.c): option parsing,
 * loading a scenario with overrides and study expansion, the study key, default paths,
 * exit statuses.  Used by every cli/cmd_*.c.
 */
#ifndef CLI_COMMON_H
#define CLI_COMMON_H

#include <getopt.h>
#include <signal.h>
#include "sim/ini.h"
#include "sim/study.h"
#include "models/scenario.h"

#define CLI_HELP 100            /* cli_parse: --help was given */

/* sweep's default --max-db-size: 2 GiB (issue 21, docs/scenarios.md "Output size"). */
#define CLI_DEFAULT_MAX_DB_BYTES (2LL << 30)

typedef enum { CLI_RUN, CLI_VALIDATE, CLI_SWEEP, CLI_CHECK, CLI_CAPACITY } cli_kind_t;

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
    int64_t max_db_bytes;            /* --max-db-size (sweep): refuse a larger estimate; 0 = no limit */
    /* capacity (cli/cmd_capacity.c) */
    const char *axis, *range, *budget, *policies;  /* --axis, --range, --budget, --policies */
    int64_t repeat;                  /* --repeat N; 0 = not given */
} cli_opts_t;

/* Parse the options of a run-like command (getopt_long; FILE arguments in order).
 * 0, CLI_HELP, or SIM_EINPUT / SIM_ENOMEM with a message (the options are then freed). */
int cli_parse(int argc, char **argv, cli_opts_t *o, cli_kind_t kind, char *err, size_t errlen);
/* getopt_long for every command: call with optind = 0 before the first call (a full
 * reset: the unit tests parse several command lines in one process).  Returns the
 * option's code, 1 for an argument that is not an option (in optarg, in command-line
 * order: argv is not permuted), -1 at the end, or '?' for an unknown option or a missing
 * value with the message in err ("unknown option '--x'", "option -o needs a value"). */
int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts, char *err,
               size_t errlen);
/* The options of a command that takes flags --FLAG (no value) and --help, and no argument
 * (keys, policies, columns): flags is NULL-terminated (at most CLI_MAX_FLAGS names) and
 * set[i] = 1 when flags[i] is given, else 0.  Returns -1 to go on, or the exit status
 * after printing the usage (0, --help) or a message and the usage (2). */
#define CLI_MAX_FLAGS 8
int cli_parse_flags(int argc, char **argv, const char *const *flags, const char *usage, int *set);
/* The same for one flag --FLAG: *set = the flag. */
int cli_parse_flag(int argc, char **argv, const char *flag, const char *usage, int *set);
/* The same, with the index in longopts of a long option found (getopt_long's longindex). */
int cli_getopt_index(int argc, char **argv, const char *shortopts, const struct option *longopts, int *longindex,
                     char *err, size_t errlen);
void cli_opts_free(cli_opts_t *o);
/* The preamble of a run-like command: parse argv (argv[0] the command's name) into *o and
 * require one FILE (one_file) or at least one.  Returns -1 to go on (the caller frees *o
 * with cli_opts_free), or the exit status after printing usage (0, --help) or a message
 * and usage (2). */
int cli_preamble(int argc, char **argv, cli_kind_t kind, const char *usage, int one_file, cli_opts_t *o);

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

/* Check every point of a study as its runs would meet it, before the first run (issue
 * 15): bind the point's scenario and load every trace with the run's own loaders
 * (dc_check_workloads; each file once).  sel (NULL = all) selects runs; a point is
 * checked when any of its repetitions is selected.  The first error, as a run would
 * report it. */
int cli_check_points(const sim_study_t *study, const unsigned char *sel, char *err, size_t errlen);
/* cli_check_points, and then `who` (e.g. "run") prints on stderr the trace warnings
 * (models/trace.h "WARNINGS") of every trace file the selected points replay, once per
 * file however many VMs, points and runs replay it: "balloonsim WHO: warning: ...". */
int cli_check_points_warn(const sim_study_t *study, const unsigned char *sel, const char *who, char *err,
                          size_t errlen);
/* The largest room a host of any point of the study has for one VM ([host] memory -
 * reserve - vm_overhead), for the trace warnings; 0 or SIM_EINPUT with a message. */
int cli_host_room(const sim_study_t *study, int64_t *room_bytes, char *err, size_t errlen);
/* Outputs never clobber inputs (issue 15): SIM_EINPUT when the output `out`, or one of
 * the files SQLite writes beside it (-wal, -shm, -journal), is the same file (st_dev and
 * st_ino: same path, another name, a hard link, a symlink) as the scenario or a trace
 * file of any point of the study.  Call it before anything is created. */
int cli_check_output(const char *out, const sim_study_t *study, char *err, size_t errlen);
/* The same for one input file: SIM_EINPUT naming both when out is in (or beside it). */
int cli_check_output_vs(const char *out, const char *in, const char *what, char *err, size_t errlen);

/* The writer lock of a database (issue 15): every command that writes a database (run,
 * sweep, check -o, merge) holds flock(LOCK_EX) on the database file for its whole
 * duration, taken before the first write and released after the database is closed;
 * merge holds LOCK_SH on its inputs.  A second writer waits up to CLI_LOCK_WAIT_S,
 * polling every 100 ms and returning SIM_EINTR at once when *stop becomes non-zero
 * (Ctrl-C), then gives up with SIM_EINPUT and a message naming the file.  The file is
 * created (empty) when missing and exclusive is set.  *fd_out is the descriptor to
 * close with cli_unlock_db after db_close (closing it earlier would drop SQLite's own
 * POSIX locks on the file).  who names the command in the waiting message. */
#define CLI_LOCK_WAIT_S 10
int cli_lock_db(const char *path, int exclusive, const char *who, volatile sig_atomic_t *stop, int *fd_out,
                char *err, size_t errlen);
void cli_unlock_db(int fd);                  /* accepts -1 */

#endif
