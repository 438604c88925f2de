/*
 * cli/cmd_run.h -- `balloonsim run` (cli/cmd_run.c): running the runs of a study into a
 * database.  cli_run_one is shared with the sweep workers and check; cli_run_file with
 * the benchmarks.
 */
#ifndef CLI_CMD_RUN_H
#define CLI_CMD_RUN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "sim/db.h"
#include "sim/ini.h"
#include "sim/study.h"
#include "cli/common.h"

/* Run every selected run of the study of FILE into the database (serially).
 * Completed runs are skipped unless --force; incomplete ones are deleted and redone. */
int cli_run_study(const cli_opts_t *o, const char *file, volatile sig_atomic_t *stop,
                  char *err, size_t errlen);
/* Run one run of a loaded study into an open database path. */
int cli_run_one(const cli_opts_t *o, const sim_ini_t *ini, const sim_study_t *study, int64_t base_seed,
                size_t run, const char *db_path, volatile sig_atomic_t *stop, int *skipped,
                char *err, size_t errlen);
/* Load FILE with the --set overrides `sets` and run its run number `run` into db_path,
 * quietly (the benchmarks' entry point).  Returns 0 or an error code with err filled. */
int cli_run_file(const char *file, char **sets, size_t nsets, size_t run, const char *db_path,
                 char *err, size_t errlen);
/* The builds guard (docs/database.md "Builds do not mix"): complete runs of study `key`
 * in db made by another build (runs.version != sim_version(): another model digest) may
 * not be resumed beside this build's.  None: 0.  Some, without force: SIM_EINPUT with a
 * message naming the database, their count, both versions and the ways out (a new -o, or
 * --force).  With force: when sel (runs bytes; NULL = every run) selects every one of
 * them, they are deleted with all their rows in one transaction (a note on stderr unless
 * quiet, "balloonsim WHO: ...") and 0 is returned, so the caller redoes them; otherwise
 * SIM_EINPUT (--force redoes only the selected runs).  db must have record_schema. */
int cli_guard_builds(db_t *db, const char *key, const unsigned char *sel, size_t runs, int force, int quiet,
                     const char *who, char *err, size_t errlen);
/* cli_guard_builds on the database file dbp (opened, record_schema added, closed) for
 * every run of the study of ini; run and check -o call it under the writer lock. */
int cli_guard_builds_file(const char *dbp, const sim_ini_t *ini, int force, int quiet, const char *who, char *err,
                          size_t errlen);
/* argv[0] == "run".  Returns the process exit status. */
int cli_cmd_run(int argc, char **argv);

#endif
