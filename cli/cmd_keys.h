/*
 * cli/cmd_keys.h -- `balloonsim keys` (cli/cmd_keys.c).
 */
#ifndef CLI_CMD_KEYS_H
#define CLI_CMD_KEYS_H

/* argv[0] == "keys".  Returns the process exit status. */
int cli_cmd_keys(int argc, char **argv);

#endif
