/*
 * cli/cmd_plot.h -- `balloonsim plot` (cli/cmd_plot.c).
 */
#ifndef CLI_CMD_PLOT_H
#define CLI_CMD_PLOT_H

/* argv[0] == "plot".  Returns the process exit status. */
int cli_cmd_plot(int argc, char **argv);

#endif
