/*
 * cli/cmd_columns.h -- `balloonsim columns` (cli/cmd_columns.c).
 */
#ifndef CLI_CMD_COLUMNS_H
#define CLI_CMD_COLUMNS_H

/* argv[0] == "columns".  Returns the process exit status. */
int cli_cmd_columns(int argc, char **argv);

#endif
