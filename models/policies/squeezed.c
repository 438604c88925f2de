/*
 * models/policies/squeezed.c -- Xen: XenServer's memory ballooning daemon squeezed
 * (policy `squeezed`).
 *
 * SOURCE (docs/policies.md "Xen: squeezed"; [code]): xapi-project/squeezed lib/squeeze.ml (module
 * Proportional, Squeezer.one_iteration, Stuckness_monitor, change_host_free_memory,
 * free_memory, balance_memory), src/squeeze_xen.ml (make_host: free memory, the 4 KiB
 * inaccuracy; the 9 MiB free-memory target) and test/squeeze_test.ml (its eight
 * scenarios: tests/regression/squeezed-{a..h}.ini).
 *
 * OPERATIONS.  squeezed works in operations, each a loop of one_iteration steps `poll`
 * (1 s) apart that ends when every active domain has hit its target and no target
 * changes, then Succeeds or Fails:
 *   - balancing, every `interval` (10 s): aims for free = reserve (9 MiB);
 *   - a memory request (models/request.h: a VM start, or [request]): aims for
 *     free = pages + reserve; Success grants it (the VM boots), Failure refuses it with
 *     "cannot_free" (no domain was declared stuck: the dynamic-mins are too high) or
 *     "domains_refused" (some were).  A request is first checked at issue (admit): when
 *     free memory already covers it and every domain has hit its target it is granted
 *     at once (change_host_free_memory's first test).  Requests are served oldest first;
 *     one pre-empts a balancing operation at the next step (a documented choice: real
 *     squeezed holds one lock, and a balancing loop whose targets keep moving would
 *     starve the request).
 * ONE STEP (one_iteration), with the per-operation Stuckness_monitor:
 *   1. monitor: a domain moving towards its target since the last step made progress; one
 *      with a target not hit (|actual - target| > inaccuracy) and no progress for more
 *      than `stuck_after` (5 s) since the operation began or its last progress is
 *      declared stuck (inactive) for the rest of the operation;
 *   2. over the active domains (Proportional.compute_target_adjustments):
 *        min_freeable = max(0, actual - dmin - 2 x inaccuracy)   (compensation; without:
 *                       max(0, actual - dmin))
 *        surplus = max(0, free + sum min_freeable - required)
 *        gamma   = clamp(surplus / sum (dmax - dmin), 0, 1)
 *        want    = dmin + trunc(gamma (dmax - dmin))
 *   3. TWO PHASES (`two_phase`, on): a domain is freeing when want < actual and want is
 *      not hit; while any is, only freeing targets are written; taking ones once none is
 *      (the Xen-heap workaround: free memory never drops to zero).  Off: all at once;
 *   4. if some active domain has not hit its current target, or a written target would
 *      change: write the changed targets and go on; else Success if free >= required,
 *      Failure otherwise.
 * A domain declared stuck has its target clipped to clamp(min(target, actual), dmin,
 * dmax): it may still free memory, never take more (squeezed sets maxmem so, CA-41832).
 * At the start of an operation a domain whose driver missed its target has the target
 * written again (the Linux Xen driver retries by itself; an idle simulated driver does
 * not).  squeezed's persistent "declared stuck" xenstore flag is not modelled: each
 * operation starts with every domain active.
 *
 * MAPPING AND ASSUMPTIONS (documented choices):
 *   - dynamic-max = configured `memory`, capped at assigned memory (use [balloon]
 *     preset = xen: domains boot with all of `memory` and a balloon, so startup is the
 *     target, not the maximum);
 *   - dynamic-min = the VM's `min`; when it is 0, default_min x dynamic-max (25%: an
 *     assumption [secondary]); capped at dynamic-max;
 *   - actual = usable pages (assigned - balloon); target = what squeezed last wrote (or
 *     the driver's target before it wrote one);
 *   - inaccuracy of a domain = `tolerance` + the driver's declared inaccuracy
 *     ([balloon] inaccuracy; squeeze_xen.ml uses 4 KiB for every domain).  `tolerance`
 *     is the simulator's: it absorbs the driver's granularity rounding (2 MiB for the
 *     xen preset).  Both are compensated for: a domain may stop anywhere within them,
 *     and without it a request computed to the page fails by the rounding;
 *   - free = memory no domain holds: min(host free, capacity - sum_running (actual +
 *     domain_overhead)); a granted explicit request's pages leave the capacity.
 *     domain_overhead should equal [host] vm_overhead (policies can not observe it);
 *   - reserve = squeezed's host free-memory target (9 MiB: 1 MiB emergency pool + 8 MiB).
 * Logged (policy_log): "gamma" at each step that writes targets (host), "stuck" when a
 * domain is declared inactive (value: its actual pages), "target" (pages) for every
 * target written.
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
    sim_time_t stuck_after_ns;
    int two_phase;
    int compensate;
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
     "added to each driver's declared inaccuracy: within it a target is hit (size; covers driver rounding)"},
    {"stuck_after", SIM_KEY_DURATION, SQ(stuck_after_ns), "5s", 0, 3.6e12, NULL,
     "a domain with a target not hit and no progress for longer is declared stuck (duration; squeezed 5 s)"},
    {"two_phase", SIM_KEY_BOOL, SQ(two_phase), "yes", SIM_NO_RANGE, NULL,
     "write freeing targets first, taking ones once no domain frees (squeezed; off = its DisableTwoPhaseTargetSets)"},
    {"compensate_inaccuracy", SIM_KEY_BOOL, SQ(compensate), "yes", SIM_NO_RANGE, NULL,
     "count 2 x inaccuracy less freeable memory per domain (squeezed; off = its DisableInaccuracyCompensation)"},
};
static const sim_key_table_t squeezed_table = SIM_KEY_TABLE("policy squeezed", squeezed_keys);

/* One domain as squeezed sees it (pages). */
typedef struct dom {
    int running;
    sim_time_t boot_ns;
    int stuck_driver;          /* the driver reports a missed target (for its retry) */
    int64_t actual;            /* usable pages now */
    int64_t target;            /* the driver's target as usable pages (after its clamps) */
    int64_t dmin, dmax;
    int64_t inacc;             /* tolerance + the driver's declared inaccuracy */
    int64_t want;              /* this step's target */
    int64_t wrote;             /* the target written this step, -1 none (decisions table) */
} dom_t;

/* Stuckness_monitor state of a domain, reset at each operation. */
typedef struct mon {
    int seen, stuck;
    int64_t last_actual;
    sim_time_t progress_ns;    /* last time it moved towards its target */
} mon_t;

typedef struct squeezed_state {
    const squeezed_params_t *p;
    int32_t nvms;
    int64_t ticks;
    int in_op;                 /* an operation is running */
    int64_t op_request;        /* the request it serves, -1: balancing */
    int64_t op_required;       /* free pages it aims for */
    int64_t *written;          /* per VM: last target written (pages), -1 = none */
    sim_time_t *booted;        /* per VM: the boot those targets were written to */
    mon_t *mon;                /* per VM */
    dom_t *d;                  /* per VM scratch for one step */
} squeezed_state_t;

typedef enum { STEP_ADJUST, STEP_SUCCESS, STEP_CANNOT_FREE, STEP_REFUSED } step_t;

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
    free(st->written);
    free(st->booted);
    free(st->mon);
    free(st->d);
    free(st);
}

static int squeezed_create(void **state, const void *params, policy_ctx_t *ctx, gsl_rng *rng,
                           char *err, size_t errlen)
{
    int32_t n = policy_nvms(ctx);
    squeezed_state_t *st = calloc(1, sizeof *st);
    if (st) {
        st->written = calloc((size_t)n + 1, sizeof *st->written);
        st->booted = calloc((size_t)n + 1, sizeof *st->booted);
        st->mon = calloc((size_t)n + 1, sizeof *st->mon);
        st->d = calloc((size_t)n + 1, sizeof *st->d);
    }
    if (!st || !st->written || !st->booted || !st->mon || !st->d) {
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
    st->op_request = -1;
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
    d->wrote = -1;
    if (!o.running)
        return;
    d->stuck_driver = o.balloon_stuck;
    d->actual = o.usable_pages;
    d->target = o.assigned_pages - o.balloon_target_pages;
    d->dmax = o.configured_pages < o.assigned_pages ? o.configured_pages : o.assigned_pages;
    d->dmin = o.min_pages > 0 ? o.min_pages : (int64_t)floor(p->default_min * (double)o.configured_pages);
    if (d->dmin > d->dmax)
        d->dmin = d->dmax;
    d->inacc = p->tolerance_bytes / SIM_PAGE_BYTES + o.balloon_inaccuracy_pages;
}

/* Observe every domain into st->d; a new guest loses what was written to the old one. */
static void observe_all(squeezed_state_t *st, policy_ctx_t *ctx)
{
    for (int32_t i = 0; i < st->nvms; i++) {
        observe(st->p, ctx, i, &st->d[i]);
        if (policy_vm_new_guest(st->d[i].running, st->d[i].boot_ns, &st->booted[i])) {
            st->written[i] = -1;
            st->mon[i].seen = 0;
        }
    }
}

/* The target squeezed holds for domain i: the one it wrote, else the driver's. */
static int64_t current(const squeezed_state_t *st, int32_t i)
{
    return st->written[i] >= 0 ? st->written[i] : st->d[i].target;
}

/* has_hit_target: actual within the domain's inaccuracy of target. */
static int hit(const dom_t *d, int64_t target) { return llabs(d->actual - target) <= d->inacc; }

static void write_target(squeezed_state_t *st, policy_ctx_t *ctx, int32_t i, int64_t pages)
{
    st->written[i] = pages;
    st->d[i].wrote = pages;
    policy_set_target(ctx, i, pages, 0);
    policy_log(ctx, i, "target", (double)pages);
}

/* Free memory as Xen counts it: not held by any running domain (see the header). */
static int64_t xen_free(const squeezed_state_t *st, policy_ctx_t *ctx)
{
    policy_host_obs_t h;
    policy_host(ctx, &h);
    int64_t held = 0, ovh = pages_of(st->p->overhead_bytes);
    for (int32_t i = 0; i < st->nvms; i++)
        if (st->d[i].running)
            held += st->d[i].actual + ovh;
    return h.capacity_pages - held < h.free_pages ? h.capacity_pages - held : h.free_pages;
}

/* Stuckness_monitor.update: progress towards the target, and stuck declarations. */
static void monitor(squeezed_state_t *st, policy_ctx_t *ctx, sim_time_t now)
{
    for (int32_t i = 0; i < st->nvms; i++) {
        dom_t *d = &st->d[i];
        mon_t *m = &st->mon[i];
        if (!d->running)
            continue;
        if (!m->seen) {                                   /* new to this operation */
            *m = (mon_t){.seen = 1, .last_actual = d->actual, .progress_ns = now};
        }
        int64_t t = current(st, i);
        int dir = hit(d, t) ? 0 : t > d->actual ? 1 : -1;
        int64_t delta = d->actual - m->last_actual;
        m->last_actual = d->actual;
        if (((delta > 0 && dir > 0) || (delta < 0 && dir < 0)) && !m->stuck)
            m->progress_ns = now;
        if (dir != 0 && now - m->progress_ns > st->p->stuck_after_ns && !m->stuck) {
            m->stuck = 1;
            policy_log(ctx, i, "stuck", (double)d->actual);
            /* maxmem rule: it may still free memory, it may not take more */
            int64_t clip = t < d->actual ? t : d->actual;
            clip = clip < d->dmin ? d->dmin : clip > d->dmax ? d->dmax : clip;
            if (clip != t)
                write_target(st, ctx, i, clip);
        }
    }
}

/* The decisions rows of one iteration: per running domain what squeezed read (dynamic-min
 * and -max, actual, the driver's target, inaccuracy), gamma, the phase, and the target
 * written (docs/database.md). */
static void squeezed_decisions(const squeezed_state_t *st, policy_ctx_t *ctx, double gamma, int freeing)
{
    for (int32_t i = 0; i < st->nvms; i++) {
        const dom_t *d = &st->d[i];
        if (!d->running || !policy_decisions(ctx, i))
            continue;
        char buf[384];
        policy_json_t j;
        policy_json_begin(&j, buf, sizeof buf);
        policy_json_int(&j, "dynamic_min_pages", d->dmin);
        policy_json_int(&j, "dynamic_max_pages", d->dmax);
        policy_json_int(&j, "actual_pages", d->actual);
        policy_json_int(&j, "target_pages", d->target);
        policy_json_int(&j, "inaccuracy_pages", d->inacc);
        policy_json_num(&j, "gamma", gamma);
        policy_json_int(&j, "want_pages", st->mon[i].stuck ? -1 : d->want);
        policy_json_int(&j, "stuck", st->mon[i].stuck);
        policy_json_int(&j, "required_pages", st->op_required);
        const char *rule = st->mon[i].stuck ? "inactive" : freeing ? "freeing" : "taking";
        policy_decision(ctx, i, rule, d->wrote, policy_json_end(&j));
    }
}

/* Squeezer.one_iteration (after observe_all). */
static step_t one_iteration(squeezed_state_t *st, policy_ctx_t *ctx, sim_time_t now)
{
    const squeezed_params_t *p = st->p;
    dom_t *d = st->d;
    monitor(st, ctx, now);
    int64_t free_pages = xen_free(st, ctx);
    double freeable = 0, range = 0;
    int any_stuck = 0;
    for (int32_t i = 0; i < st->nvms; i++) {
        if (!d[i].running)
            continue;
        if (st->mon[i].stuck) {
            any_stuck = 1;
            continue;
        }
        int64_t f = d[i].actual - d[i].dmin - (p->compensate ? 2 * d[i].inacc : 0);
        freeable += (double)(f > 0 ? f : 0);
        range += (double)(d[i].dmax - d[i].dmin);
    }
    double surplus = fmax(0.0, (double)free_pages + freeable - (double)st->op_required);
    double gamma = range > 0 ? fmin(1.0, surplus / range) : surplus > 0 ? 1.0 : 0.0;
    int freeing = 0, reached = 1, changes = 0;
    for (int32_t i = 0; i < st->nvms; i++) {
        if (!d[i].running || st->mon[i].stuck)
            continue;
        d[i].want = d[i].dmin + (int64_t)(gamma * (double)(d[i].dmax - d[i].dmin));
        if (!hit(&d[i], current(st, i)))
            reached = 0;
        if (d[i].want < d[i].actual && !hit(&d[i], d[i].want))
            freeing = 1;
    }
    /* Two phases: while any domain frees memory, only freeing targets are written. */
    for (int32_t i = 0; i < st->nvms; i++) {
        if (!d[i].running || st->mon[i].stuck)
            continue;
        int frees = d[i].want < d[i].actual && !hit(&d[i], d[i].want);
        if (p->two_phase && frees != freeing)
            continue;
        if (d[i].want != current(st, i)) {
            if (!changes)
                policy_log(ctx, -1, "gamma", gamma);
            changes = 1;
            write_target(st, ctx, i, d[i].want);
        }
    }
    squeezed_decisions(st, ctx, gamma, freeing);
    if (!reached || changes)
        return STEP_ADJUST;
    if (free_pages >= st->op_required)
        return STEP_SUCCESS;
    return any_stuck ? STEP_REFUSED : STEP_CANNOT_FREE;
}

/* A new operation: every domain active again; a driver that missed its target gets it
 * written again (the Xen driver retries). */
static void begin_op(squeezed_state_t *st, policy_ctx_t *ctx, int64_t request, int64_t pages)
{
    st->in_op = 1;
    st->op_request = request;
    st->op_required = pages + pages_of(st->p->reserve_bytes);
    for (int32_t i = 0; i < st->nvms; i++) {
        st->mon[i].seen = 0;
        st->mon[i].stuck = 0;
        if (st->d[i].running && st->d[i].stuck_driver)
            policy_set_target(ctx, i, st->d[i].target, 0);
    }
}

static void squeezed_tick(void *state, policy_ctx_t *ctx, sim_time_t now_ns)
{
    squeezed_state_t *st = state;
    const squeezed_params_t *p = st->p;
    int64_t per = p->interval_ns / p->poll_ns;
    int start = st->ticks % per == per - 1;      /* tick k runs at (k + 1) poll */
    st->ticks++;
    policy_request_t r;
    int pending = policy_request_next(ctx, &r);
    if (st->in_op && st->op_request >= 0 && (!pending || r.id != st->op_request))
        st->in_op = 0;                           /* its request is gone (deadline) */
    if (!pending && !st->in_op && !start)
        return;
    observe_all(st, ctx);
    if (pending && (!st->in_op || st->op_request < 0)) {
        if (!st->in_op || st->op_request != r.id)
            begin_op(st, ctx, r.id, r.pages);
    } else if (!st->in_op) {
        begin_op(st, ctx, -1, 0);
    }
    step_t res = one_iteration(st, ctx, now_ns);
    if (res == STEP_ADJUST)
        return;
    st->in_op = 0;
    if (st->op_request < 0)
        return;                                  /* balancing: its outcome is not used */
    if (res == STEP_SUCCESS)
        policy_request_grant(ctx, st->op_request);
    else
        policy_request_refuse(ctx, st->op_request, res == STEP_REFUSED ? REQUEST_DOMAINS_REFUSED : REQUEST_CANNOT_FREE);
}

/* change_host_free_memory's first test: the memory is free already and every domain has
 * hit its target. */
static policy_admit_t squeezed_admit(void *state, policy_ctx_t *ctx, const policy_request_t *r)
{
    squeezed_state_t *st = state;
    if (st->in_op && st->op_request >= 0)
        return POLICY_REQUEST_WAIT;              /* one request at a time */
    observe_all(st, ctx);
    int64_t required = r->pages + pages_of(st->p->reserve_bytes);
    if (r->pages == 0 || xen_free(st, ctx) < required)
        return POLICY_REQUEST_WAIT;
    for (int32_t i = 0; i < st->nvms; i++)
        if (st->d[i].running && !hit(&st->d[i], current(st, i)))
            return POLICY_REQUEST_WAIT;
    return POLICY_REQUEST_GRANT;
}

const policy_type_t policy_squeezed = {
    .name = "squeezed",
    .summary = "Xen squeezed: every domain at the same fraction of its [dynamic-min, dynamic-max]; "
               "stuck domains excluded; freeing targets before taking ones; memory requests that can fail",
    .keys = &squeezed_table,
    .params_size = sizeof(squeezed_params_t),
    .check = squeezed_check,
    .interval_ns = squeezed_interval,
    .create = squeezed_create,
    .destroy = squeezed_destroy,
    .tick = squeezed_tick,
    .admit = squeezed_admit,
};
