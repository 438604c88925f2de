/*
 * cli/cmd_keys.c -- `balloonsim keys [--markdown]`: every scenario key with its type,
 * default, range and help (models/scenario.h).
 */
#include <stdio.h>
#include <string.h>
#include "models/scenario.h"
#include "cli/cmd_keys.h"

int cli_cmd_keys(int argc, char **argv)
{
    int md = argc > 1 && !strcmp(argv[1], "--markdown");
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        puts("usage: balloonsim keys [--markdown]\n  every scenario key with its type, default, range and help;\n"
             "  --markdown prints the tables of the key reference in docs/scenarios.md");
        return 0;
    }
    if (argc > 2 || (argc > 1 && !md)) {
        fprintf(stderr, "usage: balloonsim keys [--markdown]\n");
        return 2;
    }
    scenario_print_keys(stdout, md);
    return 0;
}
