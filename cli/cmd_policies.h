/*
 * cli/cmd_policies.h -- `balloonsim policies` (cli/cmd_policies.c).
 */
#ifndef CLI_CMD_POLICIES_H
#define CLI_CMD_POLICIES_H

/* argv[0] == "policies".  Returns the process exit status. */
int cli_cmd_policies(int argc, char **argv);

#endif
