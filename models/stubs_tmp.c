/* temporary: replaced by sweep.c, expect.c, plot.c */
#include <stdio.h>
#include "models/cli.h"
int cli_cmd_sweep(int argc, char **argv) { fprintf(stderr, "sweep: not built yet\n"); return 2; }
int cli_cmd_merge(int argc, char **argv) { fprintf(stderr, "merge: not built yet\n"); return 2; }
int cli_cmd_plot(int argc, char **argv) { fprintf(stderr, "plot: not built yet\n"); return 2; }
