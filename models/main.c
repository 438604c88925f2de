/*
 * models/main.c -- the `balloonsim` command line (git-style subcommands).
 *
 * It lives in models/ because it wires the model into the engine: sim/ stays free of
 * model headers (DESIGN.md 1).
 *
 *   balloonsim run FILE [-o DB] [--seed N] [--set section.key=value]... [--quiet] [--check] [--force]
 *   balloonsim validate FILE [--set ...]      parse and check a scenario, run nothing
 *   balloonsim policies                       list policies with their keys and defaults
 *   balloonsim keys [--markdown]              every scenario key (the README reference)
 *   balloonsim trace generate|check ...       workload traces (models/workload_cli.c)
 *   balloonsim help [COMMAND]
 * Exit status: 0 ok; 1 a check or expectation failed; 2 bad usage or bad input (the
 * message names file, section and key), including an unusable database or a full disk;
 * 3 an internal error; 130/143 interrupted by SIGINT/SIGTERM (the run is marked
 * 'interrupted' and the database stays consistent).
 *
 * This is the only file with global mutable state: the signal flag.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "models/cli.h"
#include "sim/db.h"
#include "sim/ini.h"
#include "sim/rng.h"
#include "sim/study.h"
#include "models/dc.h"
#include "models/record.h"
#include "models/scenario.h"
#include "models/workload_cli.h"

static volatile sig_atomic_t g_stop;   /* the signal number that asked us to stop */

static void on_signal(int sig) { g_stop = sig; }

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static const char *usage_text =
    "usage: balloonsim COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  run FILE       run a scenario (every sweep point and repetition) into a database\n"
    "  sweep FILE     run a parameter study on N worker processes, resumable\n"
    "  check FILE...  run scenarios and verify their [expect] sections (exit 1 on failure)\n"
    "  validate FILE  parse and check a scenario without running it\n"
    "  plot DB        draw a figure from a results database with gnuplot\n"
    "  merge OUT IN.. merge sweep shard databases\n"
    "  policies       list policies, their keys and defaults\n"
    "  keys           list every scenario key (--markdown for the README table)\n"
    "  trace          generate or check workload traces (balloonsim trace --help)\n"
    "  help [CMD]     this text, or a command's\n"
    "\n"
    "common options: -o DB, --seed N, --set section.key=value (repeatable), --quiet\n"
    "exit status: 0 ok, 1 expectation failed, 2 bad usage or input, 130/143 interrupted\n";

static const char *run_usage =
    "usage: balloonsim run FILE [-o DB] [--seed N] [--set section.key=value]... [--quiet] [--check] [--force]\n"
    "  -o DB        database to write (default results/NAME.db)\n"
    "  --seed N     base seed (overrides simulation.seed)\n"
    "  --set K=V    override any scenario key, e.g. --set 'vm web.count=4' --set policy.name=esx-share\n"
    "  --quiet      no progress or summary on stderr/stdout\n"
    "  --check      check page conservation after every event (slow)\n"
    "  --force      redo runs that the database already holds as complete\n";

/* ------------------------------------------------------------------ run */

static int cmd_run(int argc, char **argv)
{
    cli_opts_t o;
    char err[SIM_ERR_MAX];
    int rc = cli_parse(argc, argv, &o, CLI_RUN, err, sizeof err);
    if (rc == CLI_HELP) {
        fputs(run_usage, stdout);
        return 0;
    }
    if (rc) {
        fprintf(stderr, "balloonsim run: %s\n%s", err, run_usage);
        return 2;
    }
    if (o.nfiles != 1) {
        fprintf(stderr, "balloonsim run: expected one scenario FILE\n%s", run_usage);
        cli_opts_free(&o);
        return 2;
    }
    install_signals();
    rc = cli_run_study(&o, o.files[0], &g_stop, err, sizeof err);
    if (rc && rc != SIM_EINTR)
        fprintf(stderr, "balloonsim: %s\n", err);
    if (rc == SIM_EINTR)
        fprintf(stderr, "balloonsim: interrupted; the run is marked 'interrupted' in the database\n");
    cli_opts_free(&o);
    return cli_exit_status(rc, g_stop);
}

static int cmd_validate(int argc, char **argv)
{
    cli_opts_t o;
    char err[SIM_ERR_MAX];
    int rc = cli_parse(argc, argv, &o, CLI_VALIDATE, err, sizeof err);
    if (rc == CLI_HELP) {
        puts("usage: balloonsim validate FILE... [--set section.key=value]...");
        return 0;
    }
    if (rc || o.nfiles < 1) {
        fprintf(stderr, "balloonsim validate: %s\n", rc ? err : "expected a scenario FILE");
        cli_opts_free(&o);
        return 2;
    }
    int status = 0;
    for (size_t i = 0; i < o.nfiles; i++) {
        size_t runs = 0;
        rc = cli_validate(&o, o.files[i], &runs, err, sizeof err);
        if (rc) {
            fprintf(stderr, "balloonsim: %s\n", err);
            status = cli_exit_status(rc, g_stop);
        } else if (!o.quiet) {
            printf("%s: ok (%zu run%s)\n", o.files[i], runs, runs == 1 ? "" : "s");
        }
    }
    cli_opts_free(&o);
    return status;
}

static int cmd_policies(int argc, char **argv)
{
    if (argc > 1) {
        if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
            puts("usage: balloonsim policies\n  every policy with its [policy] keys, defaults and ranges");
            return 0;
        }
        fprintf(stderr, "usage: balloonsim policies\n");
        return 2;
    }
    for (size_t i = 0; i < policy_count(); i++) {
        const policy_type_t *p = policy_at(i);
        printf("%-10s %s\n", p->name, p->summary);
        if (p->keys && p->keys->count)
            sim_keys_print(stdout, p->keys, 0);
        printf("\n");
    }
    return 0;
}

static int cmd_keys(int argc, char **argv)
{
    int md = argc > 1 && !strcmp(argv[1], "--markdown");
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        puts("usage: balloonsim keys [--markdown]\n  every scenario key with its type, default, range and help;\n"
             "  --markdown prints the tables of the README's key reference");
        return 0;
    }
    if (argc > 2 || (argc > 1 && !md)) {
        fprintf(stderr, "usage: balloonsim keys [--markdown]\n");
        return 2;
    }
    scenario_print_keys(stdout, md);
    return 0;
}

typedef struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
} command_t;

static int cmd_help(int argc, char **argv);

static const command_t commands[] = {
    {"run", cmd_run},
    {"validate", cmd_validate},
    {"policies", cmd_policies},
    {"keys", cmd_keys},
    {"trace", workload_cli_main},
    {"sweep", cli_cmd_sweep},
    {"check", cli_cmd_check},
    {"plot", cli_cmd_plot},
    {"merge", cli_cmd_merge},
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

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_text, stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
        return cmd_help(1, argv);
    if (!strcmp(argv[1], "--version")) {
        puts("balloonsim " CLI_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(commands[i].name, argv[1]))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "balloonsim: unknown command '%s' (try 'balloonsim help')\n", argv[1]);
    return 2;
}
