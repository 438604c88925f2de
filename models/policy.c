/*
 * models/policy.c -- the registry of policies.  A new policy is one file in
 * models/policies/ and one line here (STYLE.md rule 10).
 *
 * The entries are weak references so that the tree builds while a policy file is being
 * written; a policy whose file is absent is simply not listed.
 */
#include <string.h>
#include "models/policy.h"

#define POLICY(sym) extern const policy_type_t sym __attribute__((weak))
POLICY(policy_static);
POLICY(policy_oracle);
POLICY(policy_esx);
POLICY(policy_hyperv);
POLICY(policy_mom);
POLICY(policy_squeezed);
POLICY(policy_senpai);
POLICY(policy_example);

static const policy_type_t *const registry[] = {
    &policy_static, &policy_oracle, &policy_esx, &policy_hyperv, &policy_mom, &policy_squeezed,
    &policy_senpai, &policy_example,
};
#define NREG (sizeof registry / sizeof registry[0])

size_t policy_count(void)
{
    size_t n = 0;
    for (size_t i = 0; i < NREG; i++)
        n += registry[i] != NULL;
    return n;
}

const policy_type_t *policy_at(size_t i)
{
    for (size_t k = 0; k < NREG; k++)
        if (registry[k] && i-- == 0)
            return registry[k];
    return NULL;
}

const policy_type_t *policy_find(const char *name)
{
    for (size_t k = 0; k < NREG; k++)
        if (registry[k] && !strcmp(registry[k]->name, name))
            return registry[k];
    return NULL;
}
