/*
 * models/policies/oracle.c -- the upper bound: a policy that sees the truth.
 *
 * Every interval it reads each VM's true need (kernel + anonymous demand + file working
 * set, policy_truth) and gives each VM its need plus a headroom fraction, capped at the
 * configured size.  When the host cannot hold every need, memory is split in proportion
 * to need (each VM gets the same fraction of its need), keeping the host's free memory at
 * the `high` threshold.  Ballooning costs (latency, rates, CPU, reclaim order) are still
 * paid: only the knowledge is perfect.
 */
#include <stddef.h>
#include <stdlib.h>
#include "models/policy.h"

typedef struct oracle_params {
    sim_time_t interval_ns;
    double headroom;
} oracle_params_t;

#define OO(f) offsetof(oracle_params_t, f)
static const sim_key_t oracle_keys[] = {
    {"interval", SIM_KEY_DURATION, OO(interval_ns), "1s", 1e6, 3.6e12, NULL, "rebalance period (duration)"},
    {"headroom", SIM_KEY_FRACTION, OO(headroom), "5%", 0, 10, NULL, "memory given above the true need"},
};
static const sim_key_table_t oracle_table = SIM_KEY_TABLE("policy oracle", oracle_keys);

static sim_time_t oracle_interval(const void *params) { return ((const oracle_params_t *)params)->interval_ns; }

static int oracle_create(void **state, const void *params, policy_ctx_t *ctx, gsl_rng *rng,
                         char *err, size_t errlen)
{
    *state = (void *)params;
    return 0;
}
static void oracle_destroy(void *state) {}

static void oracle_tick(void *state, policy_ctx_t *ctx, sim_time_t now_ns)
{
    const oracle_params_t *p = state;
    policy_host_obs_t h;
    policy_host(ctx, &h);
    int32_t n = policy_nvms(ctx);
    double want_total = 0, overhead_now = 0;
    for (int32_t i = 0; i < n; i++) {
        policy_vm_obs_t o;
        policy_vm_truth_t t;
        policy_vm(ctx, i, &o);
        if (!o.running)
            continue;
        policy_truth(ctx, i, &t);
        double want = (double)t.need_pages * (1.0 + p->headroom);
        if (want > (double)o.configured_pages)
            want = (double)o.configured_pages;
        want_total += want;
        /* memory the VM holds now = usable (touched part is what the host backs) */
        overhead_now += (double)o.usable_pages;
    }
    /* Memory available to VMs: what they hold now plus free memory above `high`. */
    double avail = overhead_now + (double)(h.free_pages - h.high_pages);
    double scale = want_total > avail && want_total > 0 ? avail / want_total : 1.0;
    if (scale < 0)
        scale = 0;
    for (int32_t i = 0; i < n; i++) {
        policy_vm_obs_t o;
        policy_vm_truth_t t;
        policy_vm(ctx, i, &o);
        if (!o.running)
            continue;
        policy_truth(ctx, i, &t);
        double want = (double)t.need_pages * (1.0 + p->headroom);
        if (want > (double)o.configured_pages)
            want = (double)o.configured_pages;
        int64_t target = (int64_t)(want * scale);
        if (target < o.min_pages)
            target = o.min_pages;
        policy_set_target(ctx, i, target, 1);
    }
}

const policy_type_t policy_oracle = {
    .name = "oracle",
    .summary = "sees true demand and gives each VM its need (+headroom), split by need under shortage (upper bound)",
    .keys = &oracle_table,
    .params_size = sizeof(oracle_params_t),
    .interval_ns = oracle_interval,
    .create = oracle_create,
    .destroy = oracle_destroy,
    .tick = oracle_tick,
};
