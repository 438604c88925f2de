/*
 * models/policies/esx.c -- VMware ESX proportional-share memory management
 * (policy "esx-share"): min-funding revocation with the idle memory tax, active memory
 * by statistical sampling, and the host free-memory states.
 *
 * Source: C. Waldspurger, "Memory Resource Management in VMware ESX Server", OSDI 2002
 * (sections 3.2, 5, 6); ESX resource-management guides (Mem.BalancePeriod = 15 s,
 * Mem.CtlMaxPercent = 65 %, thresholds 6/4/2/1 %) -- REFERENCE.md 1.
 *
 * WHAT IT DOES, every `interval` (15 s):
 *   1. SAMPLE.  Each running VM is sampled with policy_sample_active(): `sample_pages`
 *      pages per `sample_period`, spread over the ticks of the period (a tick samples the
 *      share of n due by then).  Estimates slow/fast/partial EWMAs, f = their maximum
 *      (esx.h).  Gains: ewma_slow = 10 %, ewma_fast = 50 % per period -- the paper does not
 *      publish them; with 30 s periods these are time constants of about 4.7 min and 43 s.
 *      A VM first seen running is taken to have booted one interval ago (so the first tick
 *      already has a partial sample); before any sample f = 1 (no tax).
 *   2. STATE.  From host free memory F and the [host] thresholds (% of host memory):
 *
 *            F < soft            F < hard             F < low
 *       HIGH -------> SOFT ---------------> HARD ---------------> LOW
 *            <-------      <---------------      <---------------
 *            F >= high       F >= hard + hyst      F >= low + hyst
 *
 *      (downward moves skip levels as F requires).  Between soft and high a host coming
 *      from HIGH stays HIGH and one that is reclaiming keeps reclaiming: the band is the
 *      paper's hysteresis; `hysteresis` adds a margin for the lower states.  Each change
 *      is logged (policy_log what = state_high|state_soft|state_hard|state_low, value =
 *      free bytes).  SOFT: balloon.  HARD: balloon, and the host swaps by itself below
 *      `hard` (models/host.c).  LOW: the paper blocks VMs above their target; here the
 *      block is modelled only as the targets being enforced by the balloon (no extra
 *      stall): documented simplification.
 *   3. REVOKE (SOFT, HARD, LOW).  The memory the VMs may hold is
 *          M = F + sum_i usable_i - goal,   goal = high + hysteresis
 *      (targets met and pages touched leave F at goal, inside the HIGH dead band).  M is
 *      divided by min-funding revocation (esx_allocate): from every VM at its assigned
 *      memory, take a chunk from the VM with the lowest rho = S / (P (f + k (1 - f))),
 *      k = 1 / (1 - tau), recompute rho with its smaller P, repeat -- P = the VM's usable
 *      pages, f its sampled active fraction (held during the revocation).  Bounds: never
 *      below the VM's `min` (reservation) nor below assigned - max_balloon x configured
 *      (the 65 % cap; the driver clamps too).  The allocation is recomputed from scratch
 *      at every tick of a reclaiming state, so a VM ballooned early (before its estimate
 *      settled) gets memory back while the others pay.  When even the bounds leave M
 *      unmet, `unmet` is logged (bytes) once per episode.
 *      Ballooning a guest's free pages that it never touched frees no host memory
 *      (models/guest.h); the host then stays in SOFT and the next tick revokes more, so
 *      a host of half-used VMs balloons more than its deficit: as a real ESX host does
 *      with guests that have not touched their memory.
 *   4. HIGH: "no reclamation" (paper 6.2).  Only when F > high + 2 hysteresis is the
 *      surplus F - goal added to the current targets, highest rho first (the same
 *      allocator with lo = the current target): balloons deflate.  Between soft and
 *      high + 2 hysteresis nothing moves (dead band around goal); memory moves between
 *      VMs only through a reclaiming state.
 * Targets go to policy_set_target() only when they move by at least `min_change`.  A VM
 * whose balloon the driver reports stuck is held where it is (excluded from revocation).
 *
 * ASSUMPTIONS (documented choices): periods are aligned to ticks (a period ends at the
 * first tick at or after its length); the rebalance "on big changes of free memory" of
 * ESX is not modelled (ticks only); host memory for the hysteresis is the capacity less
 * the hypervisor reserve; ESX never hot-adds.
 * Units: pages and ns in state; keys in human units.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "models/policy.h"
#include "models/policies/esx.h"

/* ------------------------------------------------------------------ pure parts */

double esx_rho(double shares, double pages, double active, double tau)
{
    if (pages <= 0)
        return INFINITY;
    if (shares <= 0)
        return 0;
    double f = active < 0 ? 0 : active > 1 ? 1 : active;
    double k = 1.0 / (1.0 - tau);
    return shares / (pages * (f + k * (1.0 - f)));
}

double esx_cost(double pages, double active, double tau)
{
    double f = active < 0 ? 0 : active > 1 ? 1 : active;
    return pages * (f + (1.0 - f) / (1.0 - tau));
}

void esx_active_init(esx_active_t *a)
{
    memset(a, 0, sizeof *a);
    a->slow = a->fast = a->partial = 1.0;
}

void esx_active_add(esx_active_t *a, int64_t touched, int64_t sampled, int end_of_period,
                    double g_slow, double g_fast)
{
    if (sampled > 0) {
        a->period_touched += touched;
        a->period_sampled += sampled;
    }
    if (a->period_sampled <= 0)
        return;
    double q = (double)a->period_touched / (double)a->period_sampled;
    if (end_of_period) {
        if (!a->have) {
            a->slow = a->fast = q;
            a->have = 1;
        } else {
            a->slow += g_slow * (q - a->slow);
            a->fast += g_fast * (q - a->fast);
        }
        a->partial = a->fast;
        a->period_touched = a->period_sampled = 0;
    } else {
        a->partial = a->have ? a->fast + g_fast * (q - a->fast) : q;
    }
}

double esx_active_estimate(const esx_active_t *a)
{
    if (!a->have)
        return a->period_sampled > 0 ? a->partial : 1.0;
    double e = a->slow > a->fast ? a->slow : a->fast;
    return e > a->partial ? e : a->partial;
}

/* Allocation of VM v at cost-per-share level x (x = 1 / rho), clamped to its bounds. */
static double alloc_at(const esx_alloc_vm_t *v, double x, double tau)
{
    double lo = (double)v->lo_pages, hi = (double)v->hi_pages;
    if (v->shares <= 0)
        return lo;
    double t = v->shares * x / esx_cost(1.0, v->active, tau);
    return t < lo ? lo : t > hi ? hi : t;
}

int64_t esx_allocate(const esx_alloc_vm_t *vms, size_t n, int64_t total_pages, double tau, int64_t *out)
{
    double sum_lo = 0, sum_hi = 0, x_hi = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t lo = vms[i].lo_pages, hi = vms[i].hi_pages > lo ? vms[i].hi_pages : lo;
        sum_lo += (double)lo;
        sum_hi += (double)hi;
        if (vms[i].shares > 0) {
            double x = esx_cost((double)hi, vms[i].active, tau) / vms[i].shares;
            x_hi = x > x_hi ? x : x_hi;
        }
    }
    int64_t got = 0;
    if (sum_lo >= (double)total_pages || sum_hi <= (double)total_pages) {
        int at_lo = sum_lo >= (double)total_pages;
        for (size_t i = 0; i < n; i++) {
            int64_t lo = vms[i].lo_pages, hi = vms[i].hi_pages > lo ? vms[i].hi_pages : lo;
            out[i] = at_lo ? lo : hi;
            got += out[i];
        }
        return got;
    }
    /* Sum of allocations is non-decreasing in x: bisect for the level that fills total. */
    double a = 0, b = x_hi * (1.0 + 1e-12) + 1e-300, total = (double)total_pages;
    for (int it = 0; it < 200; it++) {
        double mid = 0.5 * (a + b), s = 0;
        for (size_t i = 0; i < n; i++)
            s += alloc_at(&vms[i], mid, tau);
        if (s > total)
            b = mid;
        else
            a = mid;
        if (b - a <= 1e-15 * b)
            break;
    }
    double s = 0, room0 = 0;
    int all_hi = 1;
    for (size_t i = 0; i < n; i++) {
        double t = alloc_at(&vms[i], a, tau);
        out[i] = (int64_t)floor(t);
        s += (double)out[i];
        if (vms[i].shares <= 0)
            room0 += (double)(vms[i].hi_pages - vms[i].lo_pages);
        else if (out[i] < vms[i].hi_pages)
            all_hi = 0;
    }
    /* Every VM with shares is at hi and memory is left: refund zero-share VMs last. */
    double rest = total - s;
    if (all_hi && rest >= 1 && room0 > 0) {
        for (size_t i = 0; i < n; i++)
            if (vms[i].shares <= 0 && vms[i].hi_pages > vms[i].lo_pages) {
                double give = rest * (double)(vms[i].hi_pages - vms[i].lo_pages) / room0;
                out[i] += (int64_t)floor(give < (double)(vms[i].hi_pages - out[i]) ? give
                                                                                   : (double)(vms[i].hi_pages - out[i]));
            }
    }
    for (size_t i = 0; i < n; i++)
        got += out[i];
    return got;
}

/* ------------------------------------------------------------------ parameters */

typedef struct esx_params {
    sim_time_t interval_ns;
    double idle_tax;
    int64_t sample_pages;
    sim_time_t sample_period_ns;
    double ewma_slow;
    double ewma_fast;
    double hysteresis;
    double max_balloon;
    int64_t min_change_bytes;
    int log_estimates;
} esx_params_t;

#define EO(f) offsetof(esx_params_t, f)
static const sim_key_t esx_keys[] = {
    {"interval", SIM_KEY_DURATION, EO(interval_ns), "15s", 1e6, 3.6e12, NULL,
     "rebalance period (duration; ESX Mem.BalancePeriod 15 s)"},
    {"idle_tax", SIM_KEY_FRACTION, EO(idle_tax), "75%", 0, 0.99, NULL,
     "idle memory tax tau; idle pages cost k = 1/(1 - tau) times active ones (ESX 75%; 0 = pure shares)"},
    {"sample_pages", SIM_KEY_INT, EO(sample_pages), "100", 1, 1e7, NULL,
     "pages sampled per VM per sample period for the active fraction (ESX 100)"},
    {"sample_period", SIM_KEY_DURATION, EO(sample_period_ns), "30s", 1e6, 3.6e12, NULL,
     "active-memory sample period (duration; ESX 2.x 30 s, ESXi 4 60 s)"},
    {"ewma_slow", SIM_KEY_FRACTION, EO(ewma_slow), "10%", 0.001, 1, NULL,
     "gain of the slow EWMA of period samples (assumption: not published)"},
    {"ewma_fast", SIM_KEY_FRACTION, EO(ewma_fast), "50%", 0.001, 1, NULL,
     "gain of the fast EWMAs (assumption: not published; >= ewma_slow)"},
    {"hysteresis", SIM_KEY_FRACTION, EO(hysteresis), "1%", 0, 0.5, NULL,
     "margin of host memory: reclaim goal = high + this, give-back above high + 2x this"},
    {"max_balloon", SIM_KEY_FRACTION, EO(max_balloon), "65%", 0, 1, NULL,
     "largest balloon as a share of configured memory (ESX Mem.CtlMaxPercent 65%)"},
    {"min_change", SIM_KEY_BYTES, EO(min_change_bytes), "1MiB", 0, 1e12, NULL,
     "smallest target change sent to a balloon driver (size)"},
    {"log_estimates", SIM_KEY_BOOL, EO(log_estimates), "no", SIM_NO_RANGE, NULL,
     "log every VM's active-fraction estimate at each period end (policy_log what = active)"},
};
static const sim_key_table_t esx_table = SIM_KEY_TABLE("policy esx-share", esx_keys);

static int esx_check(const void *params, char *err, size_t errlen)
{
    const esx_params_t *p = params;
    if (p->ewma_fast < p->ewma_slow) {
        snprintf(err, errlen, "ewma_fast (%g) must be >= ewma_slow (%g): the estimate must rise faster than it falls",
                 p->ewma_fast, p->ewma_slow);
        return SIM_EINPUT;
    }
    return SIM_OK;
}

static sim_time_t esx_interval(const void *params) { return ((const esx_params_t *)params)->interval_ns; }

/* ------------------------------------------------------------------ state */

typedef enum { ESX_HIGH, ESX_SOFT, ESX_HARD, ESX_LOW } esx_level_t;
static const char *const esx_level_what[] = {"state_high", "state_soft", "state_hard", "state_low"};

typedef struct esx_vm_state {
    int seen_running;
    sim_time_t period_start_ns;
    esx_active_t act;
} esx_vm_state_t;

typedef struct esx_state {
    const esx_params_t *p;
    gsl_rng *rng;
    int32_t n;
    esx_level_t level;
    int unmet;
    esx_vm_state_t *vm;
    esx_alloc_vm_t *alloc;      /* scratch, one per VM */
    int32_t *idx;               /* scratch: host slot of alloc[j] */
    int64_t *out;               /* scratch */
} esx_state_t;

static void esx_destroy(void *state)
{
    esx_state_t *s = state;
    if (!s)
        return;
    free(s->vm);
    free(s->alloc);
    free(s->idx);
    free(s->out);
    free(s);
}

static int esx_create(void **state, const void *params, policy_ctx_t *ctx, gsl_rng *rng, char *err,
                      size_t errlen)
{
    esx_state_t *s = calloc(1, sizeof *s);
    *state = NULL;
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return SIM_ENOMEM;
    }
    s->p = params;
    s->rng = rng;
    s->n = policy_nvms(ctx);
    size_t n = (size_t)(s->n > 0 ? s->n : 1);
    s->vm = calloc(n, sizeof *s->vm);
    s->alloc = calloc(n, sizeof *s->alloc);
    s->idx = calloc(n, sizeof *s->idx);
    s->out = calloc(n, sizeof *s->out);
    if (!s->vm || !s->alloc || !s->idx || !s->out) {
        esx_destroy(s);
        snprintf(err, errlen, "out of memory");
        return SIM_ENOMEM;
    }
    s->level = ESX_HIGH;
    *state = s;
    return SIM_OK;
}

/* Step 1: sample the active memory of VM i. */
static void esx_sample(esx_state_t *s, policy_ctx_t *ctx, int32_t i, sim_time_t now)
{
    const esx_params_t *p = s->p;
    esx_vm_state_t *v = &s->vm[i];
    if (!v->seen_running) {
        v->seen_running = 1;
        esx_active_init(&v->act);
        v->period_start_ns = now - p->interval_ns > 0 ? now - p->interval_ns : 0;
    }
    sim_time_t elapsed = now - v->period_start_ns;
    int end = elapsed >= p->sample_period_ns;
    int64_t due = end ? p->sample_pages
                      : (int64_t)llround((double)p->sample_pages * (double)elapsed / (double)p->sample_period_ns);
    int64_t draw = due - v->act.period_sampled;
    int64_t touched = draw > 0 ? policy_sample_active(ctx, i, draw, s->rng) : 0;
    esx_active_add(&v->act, touched, draw > 0 ? draw : 0, end, p->ewma_slow, p->ewma_fast);
    if (end) {
        v->period_start_ns = now;
        if (p->log_estimates)
            policy_log(ctx, i, "active", esx_active_estimate(&v->act));
    }
}

/* Step 2: the free-memory state, with hysteresis on the way up. */
static esx_level_t esx_next_level(esx_level_t cur, const policy_host_obs_t *h, int64_t hyst)
{
    int64_t f = h->free_pages;
    esx_level_t down = f < h->low_pages ? ESX_LOW : f < h->hard_pages ? ESX_HARD : f < h->soft_pages ? ESX_SOFT : ESX_HIGH;
    if (down > cur)
        return down;
    for (;;) {
        if (cur == ESX_LOW && f >= h->low_pages + hyst)
            cur = ESX_HARD;
        else if (cur == ESX_HARD && f >= h->hard_pages + hyst)
            cur = ESX_SOFT;
        else if (cur == ESX_SOFT && f >= h->high_pages)
            cur = ESX_HIGH;
        else
            return cur;
    }
}

static void esx_tick(void *state, policy_ctx_t *ctx, sim_time_t now)
{
    esx_state_t *s = state;
    const esx_params_t *p = s->p;
    policy_host_obs_t h;
    policy_host(ctx, &h);
    int32_t n = policy_nvms(ctx) < s->n ? policy_nvms(ctx) : s->n;

    /* 1. sample, and build the allocator's view of every running VM */
    size_t m = 0;
    int64_t sum_usable = 0;
    for (int32_t i = 0; i < n; i++) {
        policy_vm_obs_t o;
        policy_vm(ctx, i, &o);
        if (!o.running) {
            s->vm[i].seen_running = 0;
            continue;
        }
        esx_sample(s, ctx, i, now);
        int64_t hi = o.assigned_pages;
        int64_t cap = (int64_t)floor(p->max_balloon * (double)o.configured_pages);
        int64_t lo = o.min_pages > hi - cap ? o.min_pages : hi - cap;
        lo = lo < 0 ? 0 : lo > hi ? hi : lo;
        if (o.balloon_stuck)
            lo = hi = o.usable_pages;      /* the driver cannot follow: hold it */
        esx_alloc_vm_t *a = &s->alloc[m];
        a->shares = o.shares;
        a->active = esx_active_estimate(&s->vm[i].act);
        a->lo_pages = lo;
        a->hi_pages = hi;
        s->idx[m] = i;
        m++;
        sum_usable += o.usable_pages;
    }

    /* 2. state */
    int64_t hyst = (int64_t)(p->hysteresis * (double)h.capacity_pages);
    esx_level_t next = esx_next_level(s->level, &h, hyst);
    if (next != s->level) {
        policy_log(ctx, -1, esx_level_what[next], (double)(h.free_pages * SIM_PAGE_BYTES));
        s->level = next;
    }
    if (m == 0)
        return;

    /* 3./4. revoke or give back */
    int64_t goal = h.high_pages + hyst;
    int64_t total;
    if (s->level != ESX_HIGH) {
        total = h.free_pages + sum_usable - goal;
        int64_t sum_lo = 0;
        for (size_t j = 0; j < m; j++)
            sum_lo += s->alloc[j].lo_pages;
        if (sum_lo > total && !s->unmet)
            policy_log(ctx, -1, "unmet", (double)((sum_lo - total) * SIM_PAGE_BYTES));
        s->unmet = sum_lo > total;
    } else if (h.free_pages > h.high_pages + 2 * hyst) {
        /* give back: the surplus on top of the current targets, highest rho first */
        s->unmet = 0;
        total = h.free_pages - goal;
        for (size_t j = 0; j < m; j++) {
            policy_vm_obs_t o;
            policy_vm(ctx, s->idx[j], &o);
            esx_alloc_vm_t *a = &s->alloc[j];
            int64_t cur = a->lo_pages == a->hi_pages ? a->lo_pages : o.assigned_pages - o.balloon_target_pages;
            a->lo_pages = cur < a->lo_pages ? a->lo_pages : cur > a->hi_pages ? a->hi_pages : cur;
            total += a->lo_pages;
        }
    } else {
        s->unmet = 0;
        return;                            /* high state, dead band: nothing moves */
    }
    esx_allocate(s->alloc, m, total, p->idle_tax, s->out);
    int64_t min_change = p->min_change_bytes / SIM_PAGE_BYTES;
    for (size_t j = 0; j < m; j++) {
        policy_vm_obs_t o;
        policy_vm(ctx, s->idx[j], &o);
        int64_t cur = o.assigned_pages - o.balloon_target_pages;
        int64_t d = s->out[j] - cur;
        if (d != 0 && llabs(d) >= min_change)
            policy_set_target(ctx, s->idx[j], s->out[j], 0);
    }
}

const policy_type_t policy_esx = {
    .name = "esx-share",
    .summary = "VMware ESX: min-funding revocation with idle memory tax, sampled active memory, "
               "free-memory states (balloon in soft, host swap in hard)",
    .keys = &esx_table,
    .params_size = sizeof(esx_params_t),
    .check = esx_check,
    .interval_ns = esx_interval,
    .create = esx_create,
    .destroy = esx_destroy,
    .tick = esx_tick,
};
