/*
 * cli/cmd_policies.c -- `balloonsim policies`: every policy of the registry
 * (models/policy.h) with its [policy] keys, defaults and ranges.
 */
#include <stdio.h>
#include <string.h>
#include "sim/keys.h"
#include "models/policy.h"
#include "cli/common.h"
#include "cli/cmd_policies.h"

static const char usage[] =
    "usage: balloonsim policies [--names]\n"
    "  every policy with its [policy] keys, defaults and ranges;\n"
    "  --names prints the policy names only, one a line (for scripts)\n";

int cli_cmd_policies(int argc, char **argv)
{
    int names, status = cli_parse_flag(argc, argv, "names", usage, &names);
    if (status >= 0)
        return status;
    for (size_t i = 0; names && i < policy_count(); i++)
        puts(policy_at(i)->name);
    if (names)
        return 0;
    for (size_t i = 0; i < policy_count(); i++) {
        const policy_type_t *p = policy_at(i);
        printf("%-10s %s\n", p->name, p->summary);
        if (p->keys && p->keys->count)
            sim_keys_print(stdout, p->keys, 0);
        printf("\n");
    }
    return 0;
}
