/*
 * cli/cmd_sweep.h -- `balloonsim sweep` (cli/cmd_sweep.c) and its --runs selection
 * ("0-9,17,30-") into selected[nruns] (zeroed by the caller); 0 or SIM_EINPUT.
 */
#ifndef CLI_CMD_SWEEP_H
#define CLI_CMD_SWEEP_H

#include <stddef.h>

/* argv[0] == "sweep".  Returns the process exit status. */
int cli_cmd_sweep(int argc, char **argv);
int sweep_parse_runs(const char *spec, size_t nruns, unsigned char *selected, char *err, size_t errlen);

#endif
