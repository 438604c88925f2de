/*
 * models/policies/oracle.c -- a near-bound: the policy that sees the truth and allocates
 * the host's memory to minimise the total memory stall (docs/policies.md, issue 17).
 *
 * Every interval, per host, over the running VMs:
 *   1. Fit.  Host memory that can back guests, counted once:
 *          avail = free + sum resident_i
 *      (resident = touched less host-swapped: untouched usable pages cost the host
 *      nothing, so they are not counted; free already excludes them).  When every VM's
 *      configured size fits above the host's swap threshold,
 *          sum configured_i <= avail - hard,
 *      no ballooning can help: the oracle deflates any balloon it left and otherwise does
 *      nothing, so its results equal static's.
 *   2. Shortage.  The budget is B = avail - hard - margin (free memory kept `margin` of the
 *      host, default 0.5%, above the threshold where the host swaps, for what moves
 *      between two ticks).
 *      Each VM's cost curve c_i(u) is the stall (ns/s) it would suffer settled at u usable
 *      pages with its present demand, computed by the model itself (policy_truth_stall:
 *      guest_settled_at + guest_rates + vm_stall_ns).  Each VM gets at least
 *          lo_i = max(min_i, driver floor_i, kernel + anon demand - guest swap)
 *      (the last keeps it out of OOM when it can be), at most hi_i = configured_i.  The
 *      rest of B is water-filled: c_i is sampled on a grid from lo_i to hi_i, its lower
 *      convex hull taken (the model's curve is convex within the anonymous part and
 *      within the cache part, but the cache's first pages can save more per page than the
 *      last anonymous ones), and the hull segments of all VMs are taken in order of
 *      stall saved per page, the last one in part, while B lasts.  Memory left when every
 *      VM's stall is zero gives each VM headroom up to `headroom` (1000%: in effect up to its configured size) of its need above
 *      the need (for the demand that comes before the next tick; scaled down together
 *      when short); the rest stays free on the host, where the next tick can hand it to
 *      whichever VM grows -- and a VM that no longer needs memory gives it back at once
 *      (its free pages cost nothing to balloon), so the host has it when another VM steps
 *      up.  The lower bound counts against B, for the stall-saving pages, only for what
 *      the VM needs or has touched: a reservation (min) or driver floor above that is
 *      memory the VM does not use now; headroom comes only out of what is left once the
 *      whole lower bounds are counted (a reservation may be touched at any moment).
 *   3. Growth is paced: the pages added this tick (targets above the present usable) are
 *      scaled so that they fit in free - hard - margin now; the rest comes at later ticks as the
 *      shrinking VMs' balloons inflate.
 * It still pays what a driver costs: latency, inflate/deflate rates, refusals, outages,
 * guest swap-out of what a shrink pushes out and the lazy swap-in after, and it sees the
 * demand only at its ticks.  Hence a near-bound, not a theorem (docs/policies.md).
 *
 * Units: pages (4 KiB), stall in ns per second.  State: none (params only).  Scratch per
 * tick: the per-VM arrays and hull segments (policy_scratch).
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "models/policy.h"

#define ORACLE_GRID 128              /* grid intervals per VM cost curve */
#define ORACLE_MIN_STEP 256          /* smallest grid step: 1 MiB */

typedef struct oracle_params {
    sim_time_t interval_ns;
    double margin;
    double headroom;
} oracle_params_t;

#define OO(f) offsetof(oracle_params_t, f)
static const sim_key_t oracle_keys[] = {
    {"interval", SIM_KEY_DURATION, OO(interval_ns), "1s", 1e6, 3.6e12, NULL, "rebalance period (duration)"},
    {"margin", SIM_KEY_FRACTION, OO(margin), "0.5%", 0, 0.5, NULL,
     "host memory kept free above the hard (host swap) threshold under shortage, share of the host (assumption)"},
    {"headroom", SIM_KEY_FRACTION, OO(headroom), "1000%", 0, 10, NULL,
     "under shortage, memory left over is given up to this share of a VM's need above it; the rest stays free on the host (assumption)"},
};
static const sim_key_table_t oracle_table = SIM_KEY_TABLE("policy oracle", oracle_keys);

/* One VM of a tick. */
typedef struct ovm {
    int64_t lo, hi;                  /* bounds of its target */
    int64_t need;                    /* kernel + anon demand + file set */
    int64_t holds;                   /* need, or the pages it has touched if more */
    int64_t target;                  /* pages allocated so far */
    int64_t usable;                  /* now */
    int running;
} ovm_t;

/* One segment of a VM's convex hull: `pages` more pages save `saved` ns/s. */
typedef struct oseg {
    int32_t vm;
    int64_t pages;
    double saved;
} oseg_t;

typedef struct oracle_state {
    const oracle_params_t *p;
    int32_t max_vms;
} oracle_state_t;

static size_t scratch_bytes(int32_t nvms)
{
    return (size_t)nvms * (sizeof(ovm_t) + (size_t)ORACLE_GRID * sizeof(oseg_t)) +
           (size_t)(ORACLE_GRID + 1) * (sizeof(double) + sizeof(int64_t) + sizeof(int32_t));
}

static sim_time_t oracle_interval(const void *params) { return ((const oracle_params_t *)params)->interval_ns; }

static int oracle_create(void **state, const void *params, policy_ctx_t *ctx, gsl_rng *rng,
                         char *err, size_t errlen)
{
    oracle_state_t *s = calloc(1, sizeof *s);
    if (!s)
        return SIM_ENOMEM;
    s->p = params;
    policy_host_obs_t h;
    policy_host(ctx, &h);
    s->max_vms = h.nvms > 0 ? h.nvms : 1;
    if (policy_scratch_reserve(ctx, scratch_bytes(s->max_vms))) {
        free(s);
        return SIM_ENOMEM;
    }
    *state = s;
    return 0;
}
static void oracle_destroy(void *state) { free(state); }

static int64_t clamp64(int64_t x, int64_t lo, int64_t hi) { return x < lo ? lo : x > hi ? hi : x; }

/* Lower convex hull of the points (u[k], c[k]), k = 0..n (u increasing): append its
 * segments, as (pages, stall saved), to seg; returns how many.  Slopes come out
 * increasing (saved per page decreasing), as the hull of a decreasing curve does. */
static int32_t hull_segments(int32_t vm, const int64_t *u, const double *c, int32_t n, int32_t *idx, oseg_t *seg)
{
    int32_t m = 0;
    for (int32_t k = 0; k <= n; k++) {
        while (m >= 2) {
            int32_t a = idx[m - 2], b = idx[m - 1];
            /* drop b when it lies on or above the chord a -> k */
            double lhs = (c[b] - c[a]) * (double)(u[k] - u[a]);
            double rhs = (c[k] - c[a]) * (double)(u[b] - u[a]);
            if (lhs >= rhs)
                m--;
            else
                break;
        }
        idx[m++] = k;
    }
    int32_t ns = 0;
    for (int32_t j = 1; j < m; j++) {
        double saved = c[idx[j - 1]] - c[idx[j]];
        if (saved <= 0)
            break;                    /* flat from here: nothing more to save */
        seg[ns++] = (oseg_t){vm, u[idx[j]] - u[idx[j - 1]], saved};
    }
    return ns;
}

static int by_saving(const void *a, const void *b)
{
    const oseg_t *x = a, *y = b;
    /* saved per page, larger first: compare x.saved / x.pages with y.saved / y.pages */
    double l = x->saved * (double)y->pages, r = y->saved * (double)x->pages;
    if (l != r)
        return l > r ? -1 : 1;
    if (x->vm != y->vm)
        return x->vm < y->vm ? -1 : 1;   /* a VM's own segments keep their order */
    return 0;
}

/* Build every VM's bounds; returns the sum of configured sizes of the running VMs and
 * the host memory that can back guests (free + resident). */
static void gather(policy_ctx_t *ctx, ovm_t *v, int32_t n, double *configured, double *avail)
{
    policy_host_obs_t h;
    policy_host(ctx, &h);
    *configured = 0;
    *avail = (double)h.free_pages;
    for (int32_t i = 0; i < n; i++) {
        policy_vm_obs_t o;
        policy_vm_truth_t t;
        policy_vm(ctx, i, &o);
        v[i] = (ovm_t){0};
        if (!o.running)
            continue;
        policy_truth(ctx, i, &t);
        v[i].running = 1;
        v[i].usable = o.usable_pages;
        v[i].hi = o.configured_pages;
        int64_t oom_line = t.kernel_pages + t.anon_pages - t.swap_max_pages;
        int64_t lo = o.min_pages > t.usable_floor_pages ? o.min_pages : t.usable_floor_pages;
        lo = lo > oom_line ? lo : oom_line;
        v[i].lo = clamp64(lo, 0, v[i].hi);
        v[i].need = t.need_pages;
        v[i].holds = t.need_pages > t.touched_pages ? t.need_pages : t.touched_pages;
        *configured += (double)o.configured_pages;
        *avail += (double)t.resident_pages;
    }
}

/* Pages VM v would take as headroom: up to `headroom` of its need above the need, within
 * its size. */
static int64_t headroom_of(const ovm_t *v, double headroom)
{
    if (!v->running)
        return 0;
    int64_t top = v->need + (int64_t)(headroom * (double)v->need);
    top = top < v->hi ? top : v->hi;
    return top > v->target ? top - v->target : 0;
}

/* Water-fill `budget` pages above the lower bounds over the VMs' convex cost curves. */
static void water_fill(policy_ctx_t *ctx, ovm_t *v, int32_t n, int64_t budget, double headroom, void *scratch)
{
    oseg_t *seg = (oseg_t *)((char *)scratch + (size_t)n * sizeof(ovm_t));
    double *c = (double *)(seg + (size_t)n * ORACLE_GRID);
    int64_t *u = (int64_t *)(c + ORACLE_GRID + 1);
    int32_t *idx = (int32_t *)(u + ORACLE_GRID + 1);
    size_t nseg = 0;
    for (int32_t i = 0; i < n; i++) {
        v[i].target = v[i].lo;
        budget -= v[i].lo < v[i].holds ? v[i].lo : v[i].holds;
        if (!v[i].running || v[i].hi <= v[i].lo)
            continue;
        int64_t span = v[i].hi - v[i].lo;
        int64_t step = span / ORACLE_GRID > ORACLE_MIN_STEP ? (span + ORACLE_GRID - 1) / ORACLE_GRID : ORACLE_MIN_STEP;
        int32_t k = 0;
        for (int64_t x = v[i].lo;; x += step) {
            u[k] = x < v[i].hi ? x : v[i].hi;
            c[k] = policy_truth_stall(ctx, i, u[k]);
            if (u[k] == v[i].hi || k == ORACLE_GRID)
                break;
            k++;
        }
        nseg += (size_t)hull_segments(i, u, c, k, idx, seg + nseg);
    }
    if (budget <= 0)
        return;
    qsort(seg, nseg, sizeof *seg, by_saving);
    for (size_t j = 0; j < nseg && budget > 0; j++) {
        int64_t give = seg[j].pages < budget ? seg[j].pages : budget;
        v[seg[j].vm].target += give;
        budget -= give;
    }
    /* Stall is zero everywhere: headroom for the demand before the next tick, up to
     * `headroom` of each VM's need above it, out of what no lower bound has promised (a
     * reservation the VM has not touched yet is promised: it may touch it at any moment);
     * what is left stays free on the host. */
    for (int32_t i = 0; i < n; i++)
        budget -= v[i].lo - (v[i].lo < v[i].holds ? v[i].lo : v[i].holds);
    double want = 0;
    for (int32_t i = 0; i < n; i++)
        want += (double)headroom_of(&v[i], headroom);
    if (budget > 0 && want > 0) {
        double f = (double)budget / want < 1 ? (double)budget / want : 1;
        for (int32_t i = 0; i < n; i++)
            v[i].target += (int64_t)(f * (double)headroom_of(&v[i], headroom));
    }
}

/* A decisions row of VM i (docs/database.md): its need and allocation (-1 when all fits),
 * the rule (fits, water-fill) and the target set (-1 none). */
static void oracle_decision(policy_ctx_t *ctx, int32_t i, const ovm_t *v, const char *rule, int64_t alloc,
                            double pace, int64_t target)
{
    char buf[256];
    policy_json_t j;
    policy_json_begin(&j, buf, sizeof buf);
    policy_json_int(&j, "need_pages", v->need);
    policy_json_int(&j, "allocation_pages", alloc);
    policy_json_int(&j, "lo_pages", v->lo);
    policy_json_int(&j, "hi_pages", v->hi);
    policy_json_int(&j, "usable_pages", v->usable);
    policy_json_num(&j, "pace", pace);
    policy_decision(ctx, i, rule, target, policy_json_end(&j));
}

static void oracle_tick(void *state, policy_ctx_t *ctx, sim_time_t now_ns)
{
    oracle_state_t *s = state;
    int32_t n = policy_nvms(ctx);
    if (n > s->max_vms)
        n = s->max_vms;                /* the host's VM count is fixed at creation */
    ovm_t *v = policy_scratch(ctx);
    policy_host_obs_t h;
    policy_host(ctx, &h);
    double configured, avail;
    gather(ctx, v, n, &configured, &avail);
    if (configured <= avail - (double)h.hard_pages) {
        /* Everything fits: give back whatever a past shortage ballooned, nothing else. */
        for (int32_t i = 0; i < n; i++) {
            policy_vm_obs_t o;
            policy_vm(ctx, i, &o);
            int set = o.running && (o.balloon_pages > 0 || o.balloon_target_pages > 0);
            if (set)
                policy_set_target(ctx, i, o.assigned_pages, 0);
            if (o.running && policy_decisions(ctx, i))
                oracle_decision(ctx, i, &v[i], "fits", -1, 1, set ? o.assigned_pages : -1);
        }
        return;
    }
    double keep = (double)h.hard_pages + s->p->margin * (double)h.capacity_pages;
    double budget = avail - keep;
    water_fill(ctx, v, n, budget > 0 ? (int64_t)budget : 0, s->p->headroom, v);
    /* Pace growth by the free memory there is now. */
    double grow = 0, room = (double)h.free_pages - keep;
    for (int32_t i = 0; i < n; i++)
        if (v[i].running && v[i].target > v[i].usable)
            grow += (double)(v[i].target - v[i].usable);
    double pace = grow > room ? (room > 0 ? room / grow : 0) : 1;
    for (int32_t i = 0; i < n; i++) {
        if (!v[i].running)
            continue;
        int64_t t = v[i].target;
        if (t > v[i].usable)
            t = v[i].usable + (int64_t)(pace * (double)(t - v[i].usable));
        policy_set_target(ctx, i, t, 1);
        if (policy_decisions(ctx, i))
            oracle_decision(ctx, i, &v[i], "water-fill", v[i].target, pace, t);
    }
}

const policy_type_t policy_oracle = {
    .name = "oracle",
    .summary = "sees the truth: balloons nothing when all fits, else water-fills the host's memory over the model's stall curves (near-bound)",
    .keys = &oracle_table,
    .params_size = sizeof(oracle_params_t),
    .interval_ns = oracle_interval,
    .create = oracle_create,
    .destroy = oracle_destroy,
    .tick = oracle_tick,
};
