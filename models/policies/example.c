/*
 * models/policies/example.c -- a small complete policy, docs/policies.md's "write your own
 * policy" example (policy `example`): memory in proportion to committed memory.
 *
 * Every `interval` each running VM wants its guest-reported committed memory (kernel +
 * anonymous demand, policy_vm_obs.committed_pages) plus `headroom`, within [min,
 * configured].  What the VMs may hold is what they hold now plus the host's free memory
 * above its `high` threshold; when the wants exceed it, every want is scaled by the same
 * factor (never below the VM's min).  An illustration, not a published policy: it ignores
 * page cache, so file-heavy guests lose their cache first.
 *
 * Units: pages; the interval in ns.
 */
#include <stddef.h>
#include "models/policy.h"

typedef struct example_params {
    sim_time_t interval_ns;
    double headroom;
} example_params_t;

#define EO(f) offsetof(example_params_t, f)
static const sim_key_t example_keys[] = {
    {"interval", SIM_KEY_DURATION, EO(interval_ns), "10s", 1e6, 3.6e12, NULL, "rebalance period (duration)"},
    {"headroom", SIM_KEY_FRACTION, EO(headroom), "20%", 0, 10, NULL, "memory given above committed"},
};
static const sim_key_table_t example_table = SIM_KEY_TABLE("policy example", example_keys);

static sim_time_t example_interval(const void *params) { return ((const example_params_t *)params)->interval_ns; }

static int example_create(void **state, const void *params, policy_ctx_t *ctx, gsl_rng *rng,
                          char *err, size_t errlen)
{
    *state = (void *)params;   /* no state of its own: the params are enough */
    return 0;
}

static void example_destroy(void *state) {}

/* What VM i wants: committed + headroom, within [min, configured]. */
static double example_want(const example_params_t *p, const policy_vm_obs_t *o)
{
    double want = (double)o->committed_pages * (1.0 + p->headroom);
    if (want > (double)o->configured_pages)
        want = (double)o->configured_pages;
    return want < (double)o->min_pages ? (double)o->min_pages : want;
}

static void example_tick(void *state, policy_ctx_t *ctx, sim_time_t now_ns)
{
    const example_params_t *p = state;
    policy_host_obs_t h;
    policy_host(ctx, &h);
    int32_t n = policy_nvms(ctx);
    double want_total = 0, held = 0;
    for (int32_t i = 0; i < n; i++) {
        policy_vm_obs_t o;
        policy_vm(ctx, i, &o);
        if (o.running) {
            want_total += example_want(p, &o);
            held += (double)o.usable_pages;
        }
    }
    double avail = held + (double)(h.free_pages - h.high_pages);
    double scale = want_total > avail && want_total > 0 ? avail / want_total : 1.0;
    policy_log(ctx, -1, "scale", scale);
    for (int32_t i = 0; i < n; i++) {
        policy_vm_obs_t o;
        policy_vm(ctx, i, &o);
        if (!o.running)
            continue;
        int64_t target = (int64_t)(example_want(p, &o) * (scale > 0 ? scale : 0));
        policy_set_target(ctx, i, target < o.min_pages ? o.min_pages : target, 1);
    }
}

const policy_type_t policy_example = {
    .name = "example",
    .summary = "docs/policies.md example: memory in proportion to guest-reported committed memory (+20%)",
    .keys = &example_table,
    .params_size = sizeof(example_params_t),
    .interval_ns = example_interval,
    .create = example_create,
    .destroy = example_destroy,
    .tick = example_tick,
    .sample = 1,   /* a template: left out of `all` (models/policy.h, policy_compared) */
};
