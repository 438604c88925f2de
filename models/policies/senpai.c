/*
 * models/policies/senpai.c -- Meta's Senpai (TMO), a feedback loop on memory pressure stall
 * (policy `senpai`).
 *
 * SOURCE (docs/policies.md; [code]/[paper]): facebookincubator/senpai senpai.py; Weiner et
 * al., "TMO: Transparent Memory Offloading in Datacenters", ASPLOS 2022.
 *
 * MODEL.  Senpai drives one memory limit per cgroup from the PSI "some" stall time; here
 * the cgroup is a VM and its limit is the VM's usable memory (the balloon target).  Every
 * `tick` (1 s: senpai sleeps 1 s per loop) each running VM's stall time over the tick is
 * added to an integral:
 *     integral += delta of the PSI "some" total since the last tick
 * read from the VM's cumulative stall counter (policy_vm_obs.stall_total_ns, brought up
 * to date at every policy tick) as wall time stalled, dt x stall / (dt + stall) -- the
 * integral of the reported stall_fraction over the tick, not its value at the tick.
 * Then, exactly as senpai.py's tick():
 *   - integral > pressure (10 ms: target stall per interval): back off at once --
 *         err = integral / pressure,  adj = min((err / coeff_backoff)^2, 1) x max_backoff
 *         limit += limit x adj;  integral = 0;  grace = interval - 1 ticks
 *   - else, while grace ticks remain: grace -= 1
 *   - else probe -- err = pressure / max(integral, 1 us),
 *         adj = min((err / coeff_probe)^2, 1) x max_probe
 *         limit -= limit x adj;  integral = 0;  grace = interval - 1 ticks
 * So a limit shrinks by up to max_probe (1%) per interval (6 s), the full 1% when stall is
 * at most pressure / coeff_probe (1 ms per 6 s) and quadratically less closer to the
 * target; it grows by up to max_backoff (100%), reached at coeff_backoff (20) times the
 * target, 1% at twice the target.  The back-off is checked every tick, before the grace
 * countdown, and the integral restarts at 0: while the stall exceeds pressure per second
 * (1%) the limit grows every second, compounding (senpai's README log shows back-offs in
 * consecutive seconds).  In this model that makes the limit saw-tooth on a workload whose
 * hot page cache refills slowly: a probe past the knee stalls on refaults for tens of
 * seconds and senpai grows the limit meanwhile, then probes down at 1% per 6 s.  (The
 * adjustment is scaled by the square of the error in senpai.py's ratio form, not by
 * (target - stall) / target.)
 * The limit is clamped to [max(min_size, VM min), configured memory] and page-aligned
 * (senpai's import_limit); it starts at the VM's usable memory when first seen.  When the
 * driver's target differs from the limit by more than `slack` (the driver clamped it to
 * its maximum balloon or guest floor, deflate-on-OOM released pages, the VM rebooted),
 * the limit becomes what the driver holds, as senpai resets a limit someone else changed
 * (to memory.current).  Targets are set with allow_hot_add = 1
 * (a limit above the startup size hot-adds where the driver supports it).
 *
 * Senpai looks at no host state: on an overcommitted host the VMs' limits simply sum to
 * what their stall allows (TMO offloads to swap/zswap; the host may swap).
 * Logged (policy_log): "adj" (signed fraction) and the new "limit" (pages) at every
 * adjustment that changes the limit.  The decisions table also holds PSI's avg10
 * (policy_vm_obs.stall_avg10), which senpai.py prints as `pressure` but, as here, does
 * not decide on.
 *
 * Units: pages and ns in state; the target pressure is a duration per interval.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include "models/policy.h"

typedef struct senpai_params {
    sim_time_t tick_ns;
    int64_t interval_ticks;
    sim_time_t pressure_ns;
    double max_probe, max_backoff;
    double coeff_probe, coeff_backoff;
    int64_t min_size_bytes;
    int64_t slack_bytes;
} senpai_params_t;

#define SP(f) offsetof(senpai_params_t, f)
static const sim_key_t senpai_keys[] = {
    {"tick", SIM_KEY_DURATION, SP(tick_ns), "1s", 1e6, 3.6e12, NULL,
     "stall is read this often (duration; senpai 1 s)"},
    {"interval", SIM_KEY_INT, SP(interval_ticks), "6", 1, 1e6, NULL,
     "ticks between probes (senpai --interval 6: 6 s)"},
    {"pressure", SIM_KEY_DURATION, SP(pressure_ns), "10ms", 1e3, 3.6e12, NULL,
     "target stall time per interval (duration; senpai --pressure 10 ms)"},
    {"max_probe", SIM_KEY_FRACTION, SP(max_probe), "1%", 0, 1, NULL,
     "largest shrink of the limit per probe (senpai --max-probe 0.01)"},
    {"max_backoff", SIM_KEY_FRACTION, SP(max_backoff), "100%", 0, 100, NULL,
     "largest growth of the limit per back-off (senpai --max-backoff 1.0)"},
    {"coeff_probe", SIM_KEY_REAL, SP(coeff_probe), "10", 1e-6, 1e6, NULL,
     "probing reaches max_probe at stall = pressure / coeff_probe (senpai 10)"},
    {"coeff_backoff", SIM_KEY_REAL, SP(coeff_backoff), "20", 1e-6, 1e6, NULL,
     "back-off reaches max_backoff at stall = coeff_backoff x pressure (senpai 20)"},
    {"min_size", SIM_KEY_BYTES, SP(min_size_bytes), "100MiB", 0, 1e15, NULL,
     "smallest limit; a VM's own min raises it (size; senpai --min-size 100 MiB)"},
    {"slack", SIM_KEY_BYTES, SP(slack_bytes), "4MiB", 0, 1e12, NULL,
     "a driver target this far from the limit was changed by someone else (size)"},
};
static const sim_key_table_t senpai_table = SIM_KEY_TABLE("policy senpai", senpai_keys);

typedef struct senpai_vm {
    int seen;                  /* the limit has been initialised */
    int64_t limit_pages;
    double integral_ns;        /* stall time since the last adjustment */
    int64_t grace;             /* ticks before the next probe */
    double last_total_ns;      /* the stall counter at the last tick (senpai's last_total) */
    sim_time_t last_ns;        /* when it was read */
} senpai_vm_t;

typedef struct senpai_state {
    const senpai_params_t *p;
    int32_t nvms;
    senpai_vm_t *vm;
} senpai_state_t;

static sim_time_t senpai_interval(const void *params) { return ((const senpai_params_t *)params)->tick_ns; }

static void senpai_destroy(void *state)
{
    senpai_state_t *st = state;
    if (!st)
        return;
    free(st->vm);
    free(st);
}

static int senpai_create(void **state, const void *params, policy_ctx_t *ctx, gsl_rng *rng,
                         char *err, size_t errlen)
{
    int32_t n = policy_nvms(ctx);
    senpai_state_t *st = calloc(1, sizeof *st);
    if (st)
        st->vm = calloc((size_t)n + 1, sizeof *st->vm);
    if (!st || !st->vm) {
        senpai_destroy(st);
        snprintf(err, errlen, "out of memory for %d VMs", (int)n);
        return SIM_ENOMEM;
    }
    st->p = params;
    st->nvms = n;
    *state = st;
    return SIM_OK;
}

/* Scale the limit by (1 + factor), clamp, set it (senpai's adjust + set_limit). */
static void adjust(const senpai_params_t *p, policy_ctx_t *ctx, int32_t i, const policy_vm_obs_t *o,
                   senpai_vm_t *v, double factor)
{
    int64_t lo = (p->min_size_bytes + SIM_PAGE_BYTES - 1) / SIM_PAGE_BYTES;
    if (o->min_pages > lo)
        lo = o->min_pages;
    double x = (double)v->limit_pages;
    x += x * factor;
    int64_t limit = (int64_t)x;
    if (limit > o->configured_pages)
        limit = o->configured_pages;
    if (limit < lo)
        limit = lo;
    v->integral_ns = 0;
    v->grace = p->interval_ticks - 1;
    if (limit != v->limit_pages) {
        policy_log(ctx, i, "adj", factor);
        policy_log(ctx, i, "limit", (double)limit);
    }
    v->limit_pages = limit;
    policy_set_target(ctx, i, limit, 1);
}

/* The PSI "some" total's delta since the last tick (senpai's `delta`): the wall time
 * stalled.  The model's stall counter is time added to dt of work, so of the wall time
 * dt + stall a share stall / (dt + stall) is stalled -- over the dt elapsed that is
 * dt x stall / (dt + stall), the integral of the stall_fraction the guest reports. */
static double psi_delta_ns(senpai_vm_t *v, const policy_vm_obs_t *o, sim_time_t now_ns)
{
    double stall_ns = o->stall_total_ns - v->last_total_ns;
    double dt_ns = (double)(now_ns - v->last_ns);
    v->last_total_ns = o->stall_total_ns;
    v->last_ns = now_ns;
    if (!(stall_ns > 0) || !(dt_ns > 0))
        return 0;
    return dt_ns * stall_ns / (dt_ns + stall_ns);
}

static void senpai_tick(void *state, policy_ctx_t *ctx, sim_time_t now_ns)
{
    senpai_state_t *st = state;
    const senpai_params_t *p = st->p;
    double pressure_ns = (double)p->pressure_ns;
    int64_t slack = (p->slack_bytes + SIM_PAGE_BYTES - 1) / SIM_PAGE_BYTES;
    for (int32_t i = 0; i < st->nvms; i++) {
        senpai_vm_t *v = &st->vm[i];
        policy_vm_obs_t o;
        policy_vm(ctx, i, &o);
        if (!o.running) {
            v->seen = 0;
            continue;
        }
        if (!v->seen) {                       /* a new cgroup: limit = memory.current */
            v->seen = 1;
            v->limit_pages = o.usable_pages;
            v->integral_ns = 0;
            v->grace = p->interval_ticks;
            v->last_total_ns = o.stall_total_ns;
            v->last_ns = now_ns;
            if (policy_decisions(ctx, i)) {
                char buf[96];
                policy_json_t j;
                policy_json_begin(&j, buf, sizeof buf);
                policy_json_int(&j, "limit_pages", v->limit_pages);
                policy_decision(ctx, i, "new-cgroup", -1, policy_json_end(&j));
            }
            continue;
        }
        /* Someone else changed the target (the driver clamped it to its maximum balloon
         * or floor, deflate-on-OOM, a reboot): adopt it, as senpai's import_limit does. */
        int64_t accepted = o.assigned_pages - o.balloon_target_pages;
        if (v->limit_pages < o.assigned_pages && llabs(accepted - v->limit_pages) > slack)
            v->limit_pages = accepted;
        double delta_ns = psi_delta_ns(v, &o, now_ns);
        v->integral_ns += delta_ns;
        double integral_ns = v->integral_ns, step = 0;
        int64_t limit_before = v->limit_pages, grace = v->grace;
        const char *rule;
        if (v->integral_ns > pressure_ns) {
            double err = v->integral_ns / pressure_ns / p->coeff_backoff;
            step = fmin(err * err, 1.0) * p->max_backoff;
            adjust(p, ctx, i, &o, v, step);
            rule = "backoff";
        } else if (v->grace > 0) {
            v->grace--;
            rule = "grace";
        } else {
            double err = pressure_ns / fmax(v->integral_ns, 1000.0) / p->coeff_probe;
            step = -fmin(err * err, 1.0) * p->max_probe;
            adjust(p, ctx, i, &o, v, step);
            rule = "probe";
        }
        if (policy_decisions(ctx, i)) {
            char buf[384];
            policy_json_t j;
            policy_json_begin(&j, buf, sizeof buf);
            policy_json_num(&j, "psi_some_delta_ns", delta_ns);
            policy_json_num(&j, "psi_some_avg10", o.stall_avg10);   /* what senpai.py logs as pressure */
            policy_json_num(&j, "pressure_integral_ns", integral_ns);
            policy_json_num(&j, "pressure_target_ns", pressure_ns);
            policy_json_int(&j, "limit_pages", limit_before);
            policy_json_num(&j, "step", step);
            policy_json_int(&j, "grace_ticks", grace);
            policy_json_int(&j, "usable_pages", o.usable_pages);
            policy_decision(ctx, i, rule, rule[0] == 'g' ? -1 : v->limit_pages, policy_json_end(&j));
        }
    }
}

const policy_type_t policy_senpai = {
    .name = "senpai",
    .summary = "Meta Senpai/TMO: per VM, shrink the limit by <= 1% per 6 s while stall < 10 ms, "
               "grow it by <= 100% when stall exceeds it",
    .keys = &senpai_table,
    .params_size = sizeof(senpai_params_t),
    .interval_ns = senpai_interval,
    .create = senpai_create,
    .destroy = senpai_destroy,
    .tick = senpai_tick,
};
