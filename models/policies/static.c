/*
 * models/policies/static.c -- no ballooning: the lower bound.
 *
 * Every VM keeps its configured memory (its startup size if that is smaller: static
 * never hot-adds).  An overcommitted host therefore shows its overcommitment as host
 * swapping (models/vm.h, models/host.h), which is exactly what the other policies are compared with.
 */
#include <stddef.h>
#include "models/policy.h"

static sim_time_t static_interval(const void *params) { return 0; }   /* never ticks */
static int static_create(void **state, const void *params, policy_ctx_t *ctx, gsl_rng *rng,
                         char *err, size_t errlen)
{
    *state = NULL;
    return 0;
}
static void static_destroy(void *state) {}
static void static_tick(void *state, policy_ctx_t *ctx, sim_time_t now_ns) {}

const policy_type_t policy_static = {
    .name = "static",
    .summary = "no ballooning: configured memory for every VM; overcommit shows as host swapping (lower bound)",
    .keys = NULL,
    .params_size = 0,
    .interval_ns = static_interval,
    .create = static_create,
    .destroy = static_destroy,
    .tick = static_tick,
};
