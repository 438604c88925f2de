/*
 * cli/cmd_validate.h -- `balloonsim validate` (cli/cmd_validate.c) and the validation
 * of one scenario file, which the benchmarks reuse.
 */
#ifndef CLI_CMD_VALIDATE_H
#define CLI_CMD_VALIDATE_H

#include <stddef.h>
#include "cli/common.h"

/* Load FILE with o's overrides and bind every sweep point; *runs = the study's runs. */
int cli_validate(const cli_opts_t *o, const char *file, size_t *runs, char *err, size_t errlen);
/* Validate FILE with the --set overrides as `balloonsim validate` does (the benchmarks
 * check every scenario before they run any).  Returns 0, or SIM_EINPUT (bad scenario) or
 * SIM_EIO (unreadable file) with err filled. */
int cli_validate_file(const char *file, char **sets, size_t nsets, char *err, size_t errlen);
/* argv[0] == "validate".  Returns the process exit status. */
int cli_cmd_validate(int argc, char **argv);

#endif
