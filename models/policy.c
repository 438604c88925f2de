/*
 * models/policy.c -- the registry of policies.  A new policy is one file in
 * models/policies/ and one line here (docs/design.md "Conventions", rule 10); a policy
 * listed here whose file is missing is a link error.
 */
#include <string.h>
#include "models/policy.h"

extern const policy_type_t policy_static, policy_oracle, policy_esx, policy_hyperv, policy_mom, policy_squeezed,
    policy_senpai, policy_example;

static const policy_type_t *const registry[] = {
    &policy_static, &policy_oracle, &policy_esx, &policy_hyperv, &policy_mom, &policy_squeezed,
    &policy_senpai, &policy_example,
};
#define NREG (sizeof registry / sizeof registry[0])

size_t policy_count(void) { return NREG; }

const policy_type_t *policy_at(size_t i) { return i < NREG ? registry[i] : NULL; }

int policy_compared(const policy_type_t *p) { return !p->sample; }

const policy_type_t *policy_find(const char *name)
{
    for (size_t k = 0; k < NREG; k++)
        if (!strcmp(registry[k]->name, name))
            return registry[k];
    return NULL;
}
