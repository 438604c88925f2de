/*
 * cli/cmd_export.h -- `balloonsim export DB [--view V] [--format F] [-o FILE]`: a results
 * database as tidy CSV, TSV or JSON Lines (cli/cmd_export.c, docs/database.md).
 */
#ifndef CLI_CMD_EXPORT_H
#define CLI_CMD_EXPORT_H

int cli_cmd_export(int argc, char **argv);

#endif
