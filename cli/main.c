/*
 * cli/main.c -- the `balloonsim` command line (git-style subcommands): the command table
 * and help; each command lives in its own cli/cmd_NAME.c.  cli/ is the program layer,
 * above models/ (the model) and sim/ (the engine); see docs/design.md.
 *
 *   balloonsim run FILE [-o DB] [--seed N] [--set section.key=value]... [--quiet] [--check] [--force]
 *   balloonsim validate FILE [--set ...]      parse and check a scenario, run nothing
 *   balloonsim policies                       list policies with their keys and defaults
 *   balloonsim keys [--markdown]              every scenario key (the reference in docs/scenarios.md)
 *   balloonsim columns [--markdown]           the sample tables' columns (docs/database.md)
 *   balloonsim trace generate|check ...       workload traces (cli/cmd_trace.c)
 *   balloonsim help [COMMAND]
 *   balloonsim --version                      "balloonsim 0.1.0+model.DIGEST" (sim/version.h)
 * Exit status: 0 ok; 1 a check or expectation failed; 2 bad usage or bad input (the
 * message names file, section and key), including an unusable database or a full disk;
 * 3 an internal error; 130/143 interrupted by SIGINT/SIGTERM (the run is marked
 * 'interrupted' and the database stays consistent).
 *
 * The only global mutable state is the signal flag (cli_install_signals, cli/common.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "sim/version.h"
#include "cli/common.h"
#include "cli/cmd_capacity.h"
#include "cli/cmd_check.h"
#include "cli/cmd_columns.h"
#include "cli/cmd_export.h"
#include "cli/cmd_keys.h"
#include "cli/cmd_merge.h"
#include "cli/cmd_plot.h"
#include "cli/cmd_policies.h"
#include "cli/cmd_run.h"
#include "cli/cmd_sweep.h"
#include "cli/cmd_trace.h"
#include "cli/cmd_validate.h"

static const char *usage_text =
    "usage: balloonsim COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  run FILE       run a scenario (every sweep point and repetition) into a database\n"
    "  sweep FILE     run a parameter study on N worker processes, resumable\n"
    "  capacity FILE  per policy, the most VMs per host (or least memory) that meets a budget\n"
    "  check FILE...  run scenarios and verify their [expect] sections (exit 1 on failure)\n"
    "  validate FILE  parse and check a scenario without running it\n"
    "  plot DB        draw a figure from a results database with gnuplot\n"
    "  merge OUT IN.. merge sweep shard databases\n"
    "  export DB      a results database as tidy CSV, TSV or JSON Lines (runs, points, vms, samples)\n"
    "  policies       list policies, their keys and defaults\n"
    "  keys           list every scenario key (--markdown for docs/scenarios.md)\n"
    "  columns        list the columns of the sample tables (--markdown for docs/database.md)\n"
    "  trace          generate or check workload traces (balloonsim trace --help)\n"
    "  help [CMD]     this text, or a command's\n"
    "\n"
    "balloonsim --version: the release and the model digest every run records (runs.version)\n"
    "common options: -o DB, --seed N, --set section.key=value (repeatable), --quiet\n"
    "exit status: 0 ok, 1 expectation failed, 2 bad usage or input, 130/143 interrupted\n";


typedef struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
} command_t;

static int cmd_help(int argc, char **argv);

static const command_t commands[] = {
    {"run", cli_cmd_run},
    {"validate", cli_cmd_validate},
    {"policies", cli_cmd_policies},
    {"keys", cli_cmd_keys},
    {"columns", cli_cmd_columns},
    {"trace", cli_cmd_trace},
    {"sweep", cli_cmd_sweep},
    {"capacity", cli_cmd_capacity},
    {"check", cli_cmd_check},
    {"plot", cli_cmd_plot},
    {"merge", cli_cmd_merge},
    {"export", cli_cmd_export},
    {"help", cmd_help},
};

static int cmd_help(int argc, char **argv)
{
    if (argc > 1) {
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
            if (!strcmp(commands[i].name, argv[1]) && strcmp(argv[1], "help")) {
                char *args[] = {argv[1], "--help", NULL};
                return commands[i].fn(2, args);
            }
        fprintf(stderr, "balloonsim help: unknown command '%s'\n", argv[1]);
        return 2;
    }
    fputs(usage_text, stdout);
    return 0;
}

/* A command whose output could not be written did not do its job: `keys > /dev/full`,
 * `sweep --dry-run` into a full disk, `trace check | closed pipe` exit 2 with the reason,
 * not 0 (issue 15).  The status of a command that failed already is kept. */
static int stdout_checked(const char *cmd, int status)
{
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "balloonsim %s: cannot write to standard output: %s\n", cmd,
                errno ? strerror(errno) : "write error");
        return status ? status : 2;
    }
    return status;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_text, stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
        return cmd_help(1, argv);
    if (!strcmp(argv[1], "--version")) {
        printf("balloonsim %s\n", sim_version());   /* release+model digest (sim/version.h) */
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(commands[i].name, argv[1]))
            return stdout_checked(argv[1], commands[i].fn(argc - 1, argv + 1));
    fprintf(stderr, "balloonsim: unknown command '%s' (try 'balloonsim help')\n", argv[1]);
    return 2;
}
