/*
 * cli/cmd_policies.c -- `balloonsim policies`: every policy of the registry
 * (models/policy.h) with its [policy] keys, defaults and ranges.
 */
#include <stdio.h>
#include <string.h>
#include "sim/keys.h"
#include "models/policy.h"
#include "cli/cmd_policies.h"

int cli_cmd_policies(int argc, char **argv)
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
