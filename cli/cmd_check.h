/*
 * cli/cmd_check.h -- `balloonsim check` (cli/cmd_check.c).
 */
#ifndef CLI_CMD_CHECK_H
#define CLI_CMD_CHECK_H

/* argv[0] == "check".  Returns the process exit status. */
int cli_cmd_check(int argc, char **argv);

#endif
