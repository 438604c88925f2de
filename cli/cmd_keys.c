/*
 * cli/cmd_keys.c -- `balloonsim keys [--markdown]`: every scenario key with its type,
 * default, range and help (models/scenario.h).
 */
#include <stdio.h>
#include <string.h>
#include "models/scenario.h"
#include "cli/common.h"
#include "cli/cmd_keys.h"

static const char usage[] =
    "usage: balloonsim keys [--markdown]\n  every scenario key with its type, default, range and help;\n"
    "  --markdown prints the tables of the key reference in docs/scenarios.md\n";

int cli_cmd_keys(int argc, char **argv)
{
    int md, status = cli_parse_flag(argc, argv, "markdown", usage, &md);
    if (status >= 0)
        return status;
    scenario_print_keys(stdout, md);
    return 0;
}
