/*
 * cli/cmd_sweep.h -- `balloonsim sweep` (cli/cmd_sweep.c) and its --runs selection
 * ("0-9,17,30-") into selected[nruns] (zeroed by the caller); 0 or SIM_EINPUT.
 */
#ifndef CLI_CMD_SWEEP_H
#define CLI_CMD_SWEEP_H

#include <signal.h>
#include <stddef.h>
#include "cli/common.h"

/* argv[0] == "sweep".  Returns the process exit status. */
int cli_cmd_sweep(int argc, char **argv);
int sweep_parse_runs(const char *spec, size_t nruns, unsigned char *selected, char *err, size_t errlen);


/* The sweep machinery for other commands (capacity): run the runs of study with sel[r]
 * set into dbp on o->jobs workers, skipping those complete in dbp (unless o->force).
 * Complete runs of the study made by another build (cli_guard_builds) make it refuse
 * (SIM_EINPUT) before anything runs, or with o->force are deleted first, the whole
 * study's (a capacity search selects one probe at a time).  The
 * caller holds dbp's writer lock (cli_lock_db), installed the signals (stop) and removed
 * old scratch databases (sweep_remove_scratch).  *stopped = the signal that stopped it,
 * else 0.  Returns 0 or SIM_* with err (a failed run is counted, not an error). */
typedef struct sweep_counts {
    size_t selected, done, skipped, failed, interrupted;
} sweep_counts_t;
int sweep_execute(const cli_opts_t *o, const sim_ini_t *ini, const sim_study_t *study, int64_t base_seed,
                  const char *dbp, const char *key, const unsigned char *sel, volatile sig_atomic_t *stop,
                  sweep_counts_t *counts, int *stopped, char *err, size_t errlen);
void sweep_remove_scratch(const char *dbp);
/* The database bytes one run of each selected point adds (dc_estimate_db_bytes), in
 * est[point] (points of sim_study_points). */
int sweep_estimate_points(const sim_study_t *study, const unsigned char *sel, size_t runs, double *est,
                          char *err, size_t errlen);

#endif
