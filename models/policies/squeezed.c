/*
 * models/policies/squeezed.c -- Xen: XenServer's memory ballooning daemon squeezed
 * (policy `squeezed`).
 *
 * SOURCE (docs/policies.md; [code]): xapi-project/squeezed lib/squeeze.ml (module
 * Proportional, Squeezer.one_iteration, Stuckness_monitor, change_host_free_memory).
 *
 * MODEL.  Every domain d has dynamic-min <= target <= dynamic-max and a current
 * allocation `actual`.  One balancing step (one_iteration):
 *     surplus = max(0, free + sum_active max(0, actual - dmin) - reserve)
 *     gamma   = clamp(surplus / sum_active (dmax - dmin), 0, 1)
 *     target  = dmin + gamma (dmax - dmin)                     for every active domain
 * so every active domain sits at the same fraction gamma of its [dmin, dmax] range.
 * TWO PHASES (squeeze.ml: `allocation_phase = freeing = []`): the new targets are split
 * into those that free memory (target below actual) and those that take memory; while any
 * domain still has memory to free, only the freeing targets are issued; the taking targets
 * are issued at a later step, once no active domain is above its target -- i.e. once the
 * memory it frees has been seen as free.  Free memory therefore never drops to zero.
 * STUCK DOMAINS: a domain whose driver reports no progress on a pending target for 5 s
 * (policy_vm_obs.balloon_stuck, the driver's `stuck_after`) is declared inactive for the
 * rest of the balancing operation: it leaves the sums (its actual is fixed and stays in
 * use), and its target is clipped to clamp(min(target, actual), dmin, dmax) so that it may
 * still free memory but never takes more (squeezed's maxmem rule, CA-41832).
 *
 * SCHEDULE.  Every `interval` (10 s) a balancing operation starts (squeezed's balance
 * loop); it repeats one_iteration every `poll` (1 s, io.wait 1.) until every active
 * domain has reached its target and no target changes; then it ends until the next
 * interval.  At the start of an operation every domain is active again, and a domain the
 * driver reports stuck has its target written again: the Linux Xen driver retries a target
 * by itself (1 s back-off doubling to 32 s), which an idle driver in this simulator does
 * not; a driver that still makes no progress is declared inactive 5 s later.
 *
 * MAPPING AND ASSUMPTIONS (documented choices):
 *   - dynamic-max = configured `memory`, capped at assigned memory (squeezed never hot-adds;
 *     with `startup` < `memory` the domain can not exceed its startup size);
 *   - dynamic-min = the VM's `min`; when it is 0, default_min x dynamic-max (25%: XenServer
 *     guests may not balloon below 1/4 of static-max -- an assumption [secondary]); capped
 *     at dynamic-max;
 *   - actual = usable pages (assigned - balloon); a target is `hit` when within `tolerance`
 *     (squeezed's inaccuracy; it also absorbs the driver's granularity rounding, 2 MiB for
 *     the xen preset);
 *   - free = memory no domain holds: min(host free, capacity - sum_running (actual +
 *     domain_overhead)).  Xen allocates all of a domain's memory; the simulated host backs
 *     only touched pages, so its raw free pages would count untouched guest memory twice.
 *     domain_overhead should equal [host] vm_overhead (policies can not observe it);
 *   - reserve = squeezed's host free-memory target (9 MiB).
 * Logged (policy_log): "gamma" at each step that issues targets (host), "stuck" when a
 * domain is declared inactive, "target" (pages) for every target written.
 *
 * Units: pages and ns in state.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include "models/policy.h"

typedef struct squeezed_params {
    sim_time_t interval_ns;
    sim_time_t poll_ns;
    int64_t reserve_bytes;
    double default_min;
    int64_t overhead_bytes;
    int64_t tolerance_bytes;
} squeezed_params_t;

#define SQ(f) offsetof(squeezed_params_t, f)
static const sim_key_t squeezed_keys[] = {
    {"interval", SIM_KEY_DURATION, SQ(interval_ns), "10s", 1e6, 3.6e12, NULL,
     "a balancing operation starts this often (duration; squeezed 10 s)"},
    {"poll", SIM_KEY_DURATION, SQ(poll_ns), "1s", 1e6, 3.6e12, NULL,
     "time between steps of an operation; divides interval (duration; squeezed waits 1 s)"},
    {"reserve", SIM_KEY_BYTES, SQ(reserve_bytes), "9MiB", 0, 1e15, NULL,
     "host free memory squeezed keeps unallocated (size; 9 MiB)"},
    {"default_min", SIM_KEY_FRACTION, SQ(default_min), "25%", 0, 1, NULL,
     "dynamic-min as a share of dynamic-max for VMs whose min is 0 (XenServer: >= 1/4)"},
    {"domain_overhead", SIM_KEY_BYTES, SQ(overhead_bytes), "32MiB", 0, 1e12, NULL,
     "per-domain memory outside the guest; set it to [host] vm_overhead (size)"},
    {"tolerance", SIM_KEY_BYTES, SQ(tolerance_bytes), "4MiB", 0, 1e12, NULL,
     "a domain within this of its target has hit it (size; covers driver rounding)"},
};
static const sim_key_table_t squeezed_table = SIM_KEY_TABLE("policy squeezed", squeezed_keys);

typedef struct squeezed_state {
    const squeezed_params_t *p;
    int32_t nvms;
    int64_t ticks;
    int in_op;                 /* a balancing operation is running */
    char *inactive;            /* per VM: declared inactive in this operation */
    int64_t *written;          /* per VM: last target written (pages), -1 = none */
    sim_time_t *booted;        /* per VM: the boot those targets were written to */
    struct dom *d;             /* per VM scratch for one step */
} squeezed_state_t;

/* One domain as squeezed sees it (pages). */
typedef struct dom {
    int running, stuck;
    sim_time_t boot_ns;
    int64_t actual;            /* usable pages now */
    int64_t target;            /* the driver's target as usable pages (after its clamps) */
    int64_t dmin, dmax;
    int64_t want;              /* this step's target */
} dom_t;

static int squeezed_check(const void *params, char *err, size_t errlen)
{
    const squeezed_params_t *p = params;
    if (p->interval_ns % p->poll_ns != 0) {
        snprintf(err, errlen, "interval must be a multiple of poll");
        return SIM_EINPUT;
    }
    return SIM_OK;
}

static sim_time_t squeezed_interval(const void *params) { return ((const squeezed_params_t *)params)->poll_ns; }

static void squeezed_destroy(void *state)
{
    squeezed_state_t *st = state;
    if (!st)
        return;
    free(st->inactive);
    free(st->written);
    free(st->booted);
    free(st->d);
    free(st);
}

static int squeezed_create(void **state, const void *params, policy_ctx_t *ctx, gsl_rng *rng,
                           char *err, size_t errlen)
{
    int32_t n = policy_nvms(ctx);
    squeezed_state_t *st = calloc(1, sizeof *st);
    if (st) {
        st->inactive = calloc((size_t)n + 1, 1);
        st->written = calloc((size_t)n + 1, sizeof *st->written);
        st->booted = calloc((size_t)n + 1, sizeof *st->booted);
        st->d = calloc((size_t)n + 1, sizeof *st->d);
    }
    if (!st || !st->inactive || !st->written || !st->booted || !st->d) {
        squeezed_destroy(st);
        snprintf(err, errlen, "out of memory for %d VMs", (int)n);
        return SIM_ENOMEM;
    }
    for (int32_t i = 0; i < n; i++) {
        st->written[i] = -1;
        st->booted[i] = -1;                /* no guest seen yet */
    }
    st->p = params;
    st->nvms = n;
    *state = st;
    return SIM_OK;
}

static int64_t pages_of(int64_t bytes) { return (bytes + SIM_PAGE_BYTES - 1) / SIM_PAGE_BYTES; }

static void observe(const squeezed_params_t *p, policy_ctx_t *ctx, int32_t i, dom_t *d)
{
    policy_vm_obs_t o;
    policy_vm(ctx, i, &o);
    d->running = o.running;
    d->boot_ns = o.boot_ns;
    if (!o.running)
        return;
    d->stuck = o.balloon_stuck;
    d->actual = o.usable_pages;
    d->target = o.assigned_pages - o.balloon_target_pages;
    d->dmax = o.configured_pages < o.assigned_pages ? o.configured_pages : o.assigned_pages;
    d->dmin = o.min_pages > 0 ? o.min_pages : (int64_t)floor(p->default_min * (double)o.configured_pages);
    if (d->dmin > d->dmax)
        d->dmin = d->dmax;
}

static void write_target(squeezed_state_t *st, policy_ctx_t *ctx, int32_t i, int64_t pages)
{
    st->written[i] = pages;
    policy_set_target(ctx, i, pages, 0);
    policy_log(ctx, i, "target", (double)pages);
}

/* Squeezer.one_iteration: observe, declare stuck domains inactive, compute gamma and the
 * targets, write the targets of this phase.  Returns 1 while the operation goes on (a
 * target is not reached, or targets changed). */
static int one_iteration(squeezed_state_t *st, policy_ctx_t *ctx)
{
    const squeezed_params_t *p = st->p;
    int64_t tol = pages_of(p->tolerance_bytes), ovh = pages_of(p->overhead_bytes);
    dom_t *d = st->d;
    policy_host_obs_t h;
    policy_host(ctx, &h);
    int64_t held = 0;
    double freeable = 0, range = 0;
    for (int32_t i = 0; i < st->nvms; i++) {
        observe(p, ctx, i, &d[i]);
        if (policy_vm_new_guest(d[i].running, d[i].boot_ns, &st->booted[i])) {
            st->inactive[i] = 0;                          /* a new guest: nothing written to it */
            st->written[i] = -1;
            if (!d[i].running)
                continue;
        }
        held += d[i].actual + ovh;
        if (d[i].stuck && !st->inactive[i]) {            /* declared inactive */
            st->inactive[i] = 1;
            policy_log(ctx, i, "stuck", (double)d[i].actual);
            /* maxmem rule: it may still free memory, it may not take more */
            int64_t clip = d[i].target < d[i].actual ? d[i].target : d[i].actual;
            clip = clip < d[i].dmin ? d[i].dmin : clip > d[i].dmax ? d[i].dmax : clip;
            if (clip != d[i].target)
                write_target(st, ctx, i, clip);
        }
        if (st->inactive[i])
            continue;
        freeable += (double)(d[i].actual > d[i].dmin ? d[i].actual - d[i].dmin : 0);
        range += (double)(d[i].dmax - d[i].dmin);
    }
    /* Free memory as Xen counts it: not held by any domain (see the header). */
    int64_t free_pages = h.capacity_pages - held < h.free_pages ? h.capacity_pages - held : h.free_pages;
    double surplus = fmax(0.0, (double)free_pages + freeable - (double)pages_of(p->reserve_bytes));
    double gamma = range > 0 ? fmin(1.0, surplus / range) : 1.0;
    int freeing = 0, reached = 1, changes = 0;
    for (int32_t i = 0; i < st->nvms; i++) {
        if (!d[i].running || st->inactive[i])
            continue;
        d[i].want = d[i].dmin + (int64_t)floor(gamma * (double)(d[i].dmax - d[i].dmin));
        if (llabs(d[i].actual - d[i].target) > tol)
            reached = 0;
        if (d[i].want < d[i].actual - tol)
            freeing = 1;
    }
    /* Two phases: while any domain has memory to free, only freeing targets are written. */
    for (int32_t i = 0; i < st->nvms; i++) {
        if (!d[i].running || st->inactive[i])
            continue;
        if ((d[i].want < d[i].actual - tol) != freeing)
            continue;
        int64_t current = st->written[i] >= 0 ? st->written[i] : d[i].target;
        if (llabs(d[i].want - current) > tol) {
            if (!changes)
                policy_log(ctx, -1, "gamma", gamma);
            changes = 1;
            write_target(st, ctx, i, d[i].want);
        }
    }
    return !reached || changes;
}

static void squeezed_tick(void *state, policy_ctx_t *ctx, sim_time_t now_ns)
{
    squeezed_state_t *st = state;
    const squeezed_params_t *p = st->p;
    int64_t per = p->interval_ns / p->poll_ns;
    int start = st->ticks % per == per - 1;      /* tick k runs at (k + 1) poll */
    st->ticks++;
    if (!st->in_op) {
        if (!start)
            return;
        st->in_op = 1;
        for (int32_t i = 0; i < st->nvms; i++) {
            dom_t d;
            st->inactive[i] = 0;
            observe(p, ctx, i, &d);
            if (d.running && d.stuck)             /* the Xen driver retries a missed target */
                policy_set_target(ctx, i, d.target, 0);
        }
    }
    st->in_op = one_iteration(st, ctx);
}

const policy_type_t policy_squeezed = {
    .name = "squeezed",
    .summary = "Xen squeezed: every domain at the same fraction of its [dynamic-min, dynamic-max]; "
               "stuck balloons excluded; freeing targets before taking ones",
    .keys = &squeezed_table,
    .params_size = sizeof(squeezed_params_t),
    .check = squeezed_check,
    .interval_ns = squeezed_interval,
    .create = squeezed_create,
    .destroy = squeezed_destroy,
    .tick = squeezed_tick,
};
