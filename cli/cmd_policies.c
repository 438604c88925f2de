/*
 * cli/cmd_policies.c -- `balloonsim policies`: every policy of the registry
 * (models/policy.h) with its [policy] keys, defaults and ranges; --names and --compared
 * list names only, for scripts (--compared: the set `all` stands for, policy_compared).
 */
#include <stdio.h>
#include <string.h>
#include "sim/keys.h"
#include "models/policy.h"
#include "cli/common.h"
#include "cli/cmd_policies.h"

static const char usage[] =
    "usage: balloonsim policies [--names | --compared]\n"
    "  every policy with its [policy] keys, defaults and ranges;\n"
    "  --names prints the policy names only, one a line (for scripts);\n"
    "  --compared the names of the policies compared, the set 'all' stands for (capacity\n"
    "             --policies all, the figures, the benchmarks): every policy but the sample\n"
    "             'example' of docs/policies.md, which runs only when named\n";

enum { FLAG_NAMES, FLAG_COMPARED, NFLAGS };

int cli_cmd_policies(int argc, char **argv)
{
    static const char *const flags[NFLAGS + 1] = {[FLAG_NAMES] = "names", [FLAG_COMPARED] = "compared", NULL};
    int set[NFLAGS], status = cli_parse_flags(argc, argv, flags, usage, set);
    if (status >= 0)
        return status;
    if (set[FLAG_NAMES] || set[FLAG_COMPARED]) {
        for (size_t i = 0; i < policy_count(); i++)
            if (!set[FLAG_COMPARED] || policy_compared(policy_at(i)))
                puts(policy_at(i)->name);
        return 0;
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
