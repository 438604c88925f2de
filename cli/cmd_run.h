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
/* argv[0] == "run".  Returns the process exit status. */
int cli_cmd_run(int argc, char **argv);

#endif
