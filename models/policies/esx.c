/*
 * models/policies/esx.c -- VMware ESX proportional-share memory management
 * (policy "esx-share"): min-funding revocation with the idle memory tax, active memory
 * by statistical sampling, and the host free-memory states.
 *
 * Source: C. Waldspurger, "Memory Resource Management in VMware ESX Server", OSDI 2002
 * (sections 3.2, 5, 6); ESX resource-management guides (Mem.BalancePeriod = 15 s,
 * Mem.CtlMaxPercent = 65 %, thresholds 6/4/2/1 %) -- docs/policies.md.
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
 *   4. HIGH, GIVE BACK: F > high + 2 hysteresis.  The surplus F - goal is added to the
 *      current targets, highest rho first (the same allocator with lo = the current
 *      target), but only to VMs whose guest reports less free memory than their dead
 *      band (below): a VM with free memory has no use for more, and a grant it has not
 *      touched yet leaves F unchanged, so without this rule the same surplus would be
 *      handed out again at every tick.
 *   5. HIGH, REBALANCE: soft <= F <= high + 2 hysteresis.  The paper reclaims nothing
 *      here, but ESX recomputes every VM's allocation target each balance period and
 *      the balloon follows it; a VM whose balloon keeps it below its demand must not be
 *      frozen because F sits at `high` (its paging does not lower F).  Every tick at
 *      which some VM is short (below) the allocation of M (step 3) is computed -- with
 *      nobody short nothing could move, so it is skipped; memory moves only toward
 *      RECEIVERS:
 *        - short: the guest reports free memory below its dead band AND either
 *          committed > usable (its anonymous memory does not fit: it swaps) or a
 *          memory stall (PSI some) >= short_stall (2 %);
 *        - allocation - current target > max(dead band, noise band), where
 *          dead band   = max(min_change, dead_band (2 %) x configured memory),
 *          noise band  = noise_band (2) standard errors of the allocation that the
 *                        sampling of f alone causes: the allocation goes as
 *                        1 / (f + k (1 - f)), so an error sqrt(f (1 - f) / n) in f
 *                        moves it by (k - 1) sqrt(f (1 - f) / n) / (f + k (1 - f))
 *                        of itself (0 at tau = 0).
 *      Receivers get their gain, paid first from projected free memory above the goal
 *      (F + sum (usable - target) - goal), then by the DONORS -- every other VM whose
 *      target exceeds its allocation -- each giving the same share of its excess (so
 *      the lowest-rho VMs, furthest above their allocation, give most).  If the donors
 *      cannot pay it all, receivers get the same share of their gains.  The deflations
 *      are issued before the inflations, and the pages given are logged (policy_log
 *      what = rebalance, bytes).  With nobody short nothing moves: a host with ample
 *      free memory never balloons; noisy estimates of equally short VMs move nothing
 *      (the noise band); a VM that stops being short keeps what it got until a
 *      reclaiming state or a short VM takes it.
 * Targets go to policy_set_target() only when they move by at least `min_change`, and a
 * move opposite to the VM's previous one only when it exceeds the VM's dead band (step
 * 5): the allocation is recomputed from scratch each tick, and small reversals are
 * noise.  A VM whose balloon the driver reports stuck is let off where it stuck for a
 * hold (esx_stuck_bounds): not re-asked every tick.
 *
 * ASSUMPTIONS (documented choices): periods are aligned to ticks (a period ends at the
 * first tick at or after its length); the rebalance "on big changes of free memory" of
 * ESX is not modelled (ticks only); host memory for the hysteresis is the capacity less
 * the hypervisor reserve; ESX never hot-adds.  ESX publishes no rule for when a VM is
 * short, nor dead bands: the receiver rule, dead_band, noise_band, short_stall and the
 * donors' equal share of their excess (step 5) are this model's choices.
 * Units: pages and ns in state; keys in human units.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "models/policy.h"
#include "models/policies/esx.h"

/* ------------------------------------------------------------------ pure parts */

double esx_cost(double pages, double active, double tau)
{
    double f = active < 0 ? 0 : active > 1 ? 1 : active;
    return pages * (f + (1.0 - f) / (1.0 - tau));
}

double esx_rho(double shares, double pages, double active, double tau)
{
    if (pages <= 0)
        return INFINITY;
    return shares <= 0 ? 0 : shares / esx_cost(pages, active, tau);
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

/* Allocation of VM v at cost-per-share level x (x = 1 / rho), clamped to its bounds
 * (v->unit_cost = esx_cost(1.0, v->active, tau), set by esx_allocate). */
static double alloc_at(const esx_alloc_vm_t *v, double x)
{
    double lo = (double)v->lo_pages, hi = (double)v->hi_pages;
    if (v->shares <= 0)
        return lo;
    double t = v->shares * x / v->unit_cost;
    return t < lo ? lo : t > hi ? hi : t;
}

/* The level search of esx_allocate: the VMs, the pages to fill, and what is known: the
 * sum at xl is <= total, at xr > total. */
typedef struct alloc_level {
    const esx_alloc_vm_t *vms;
    size_t n;
    double total;
    double xl, xr;
} alloc_level_t;

/* Is the sum of the allocations at level x, added in VM order, above total (the one
 * comparison the bisection makes)?  Sums only when x is inside (xl, xr), and narrows
 * that bracket with the answer; *slope (if not NULL) gets d sum / dx there (the
 * unclamped VMs' slopes; 0 when x was not summed), *sum the sum. */
static int level_over(alloc_level_t *L, double x, double *sum, double *slope)
{
    if (slope)
        *slope = 0;
    if (x <= L->xl || x >= L->xr)
        return x >= L->xr;
    double s = 0, d = 0;
    for (size_t i = 0; i < L->n; i++) {
        const esx_alloc_vm_t *v = &L->vms[i];
        double t = alloc_at(v, x);
        if (v->shares > 0 && t > (double)v->lo_pages && t < (double)v->hi_pages)
            d += v->slope;
        s += t;
    }
    int over = s > L->total;
    if (over)
        L->xr = x;
    else
        L->xl = x;
    if (sum)
        *sum = s;
    if (slope)
        *slope = d;
    return over;
}

/* Narrow (xl, xr) around the level where the allocations fill total: safeguarded Newton
 * steps on the piecewise-linear sum (a step that lands in the right linear piece lands on
 * the level), then probes either side of it.  Every sum is the bisection's own, so the
 * bracket is exact; how narrow it gets changes the speed of esx_allocate, never its
 * result.  b: a level known to be above every VM's allocation range. */
static void level_narrow(alloc_level_t *L, double b)
{
    double x = 0.5 * b;
    for (int it = 0; it < 16; it++) {
        double s, d;
        level_over(L, x, &s, &d);       /* x is inside the bracket: it is summed */
        double hi = L->xr < b ? L->xr : b;
        double next = d > 0 ? x + (L->total - s) / d : 0.5 * (L->xl + hi);
        if (!(next > L->xl && next < hi))
            next = 0.5 * (L->xl + hi);
        int done = fabs(next - x) <= 1e-13 * x || hi - L->xl <= 1e-12 * hi;
        x = next;
        if (done)
            break;
    }
    /* Probes close to x narrow the bracket most, far ones are the fallback when x is off
     * by more than 1e-14: a probe outside the bracket is decided without summing.  (The
     * two at 1e-14 took dc-large from 13.0 to 11.4 sums per allocation.) */
    level_over(L, x * (1.0 - 1e-14), NULL, NULL);
    level_over(L, x * (1.0 + 1e-14), NULL, NULL);
    level_over(L, x * (1.0 - 1e-12), NULL, NULL);
    level_over(L, x * (1.0 + 1e-12), NULL, NULL);
}

int64_t esx_allocate(esx_alloc_vm_t *vms, size_t n, int64_t total_pages, double tau, int64_t *out)
{
    double sum_lo = 0, sum_hi = 0, x_hi = 0;
    int ordered = tau < 1;
    for (size_t i = 0; i < n; i++) {
        esx_alloc_vm_t *v = &vms[i];
        int64_t lo = v->lo_pages, hi = v->hi_pages > lo ? v->hi_pages : lo;
        v->unit_cost = esx_cost(1.0, v->active, tau);
        v->slope = v->shares > 0 ? v->shares / v->unit_cost : 0;
        sum_lo += (double)lo;
        sum_hi += (double)hi;
        ordered &= v->hi_pages >= lo;
        if (v->shares > 0) {
            double x = (double)hi * v->unit_cost / v->shares;      /* = esx_cost(hi) / shares */
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
    /* Sum of allocations is non-decreasing in x: bisect for the level that fills total.
     * The sum as computed is non-decreasing too (each allocation is a rounded product
     * and quotient by positive constants, then clamped to lo <= hi, and rounded
     * addition is monotone in each operand), so once the sum at xl is known to be
     * <= total and at xr > total, every level <= xl compares as xl does and every level
     * >= xr as xr does.  level_narrow brings (xl, xr) to about 1e-12 of the level; the
     * bisection then takes the same steps and ends at the same level as if it had summed
     * at every step, summing only inside the bracket (about 12 sums instead of 50).
     * (With some hi < lo, which the policy never passes, the sum is not monotone:
     * nothing is inferred and every step sums.) */
    double a = 0, b = x_hi * (1.0 + 1e-12) + 1e-300;
    alloc_level_t L = {vms, n, (double)total_pages, -1, INFINITY};
    if (ordered)
        level_narrow(&L, b);
    for (int it = 0; it < 200; it++) {
        double mid = 0.5 * (a + b);
        if (level_over(&L, mid, NULL, NULL))
            b = mid;
        else
            a = mid;
        if (b - a <= 1e-15 * b)
            break;
    }
    double s = 0, room0 = 0, total = (double)total_pages;
    int all_hi = 1;
    for (size_t i = 0; i < n; i++) {
        double t = alloc_at(&vms[i], a);
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
    double dead_band;
    double short_stall;
    double noise_band;
    sim_time_t stuck_hold_ns;
    sim_time_t stuck_hold_max_ns;
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
    {"dead_band", SIM_KEY_FRACTION, EO(dead_band), "2%", 0, 0.5, NULL,
     "high state: memory moves to a short VM only if its allocation exceeds its target by this share of its configured memory (and min_change)"},
    {"short_stall", SIM_KEY_FRACTION, EO(short_stall), "2%", 0, 1, NULL,
     "memory stall (PSI some) at or above which a guest without free memory is short (as is one with committed > usable)"},
    {"noise_band", SIM_KEY_REAL, EO(noise_band), "2", 0, 100, NULL,
     "high state: and by this many standard errors of its allocation due to the sampling of active memory (0 = off)"},
    {"stuck_hold", SIM_KEY_DURATION, EO(stuck_hold_ns), "5min", 0, 3.6e12, NULL,
     "a VM whose balloon the driver reports stuck is not asked below where it stuck for this long (duration; "
     "doubles at each new stick, up to stuck_hold_max; 0 = one tick, as before issue 18)"},
    {"stuck_hold_max", SIM_KEY_DURATION, EO(stuck_hold_max_ns), "1h", 0, 3.6e13, NULL,
     "longest hold of a stuck balloon (duration)"},
    {"log_estimates", SIM_KEY_BOOL, EO(log_estimates), "no", SIM_NO_RANGE, NULL,
     "log every VM's active-fraction estimate at each period end (policy_log what = active; written at output = vm)"},
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
    if (p->stuck_hold_max_ns < p->stuck_hold_ns) {
        snprintf(err, errlen, "stuck_hold_max must be >= stuck_hold");
        return SIM_EINPUT;
    }
    return SIM_OK;
}

static sim_time_t esx_interval(const void *params) { return ((const esx_params_t *)params)->interval_ns; }

/* ------------------------------------------------------------------ state */

typedef enum { ESX_HIGH, ESX_SOFT, ESX_HARD, ESX_LOW } esx_level_t;
static const char *const esx_level_what[] = {"state_high", "state_soft", "state_hard", "state_low"};

typedef struct esx_vm_state {
    sim_time_t boot_ns;         /* the boot whose guest is being sampled (policy_vm_new_guest) */
    sim_time_t period_start_ns;
    esx_active_t act;
    /* stuck balloon (step 1): not asked below held_pages until held_until_ns; hold_ns is
     * the length of the last hold (stuck_hold, doubling while the balloon keeps sticking) */
    int64_t held_pages;
    sim_time_t held_until_ns, hold_ns;
    int dir;                    /* sign of the last target change this policy made */
} esx_vm_state_t;

typedef struct esx_state {
    const esx_params_t *p;
    gsl_rng *rng;
    int32_t n;
    esx_level_t level;
    int unmet;
    esx_vm_state_t *vm;
    /* Per-tick arrays, one entry per VM, in the buffer every host's tick shares
     * (policy_scratch; esx_scratch points them there at the start of a tick): */
    esx_alloc_vm_t *alloc;      /* the allocator's view of the running VMs */
    int32_t *idx;               /* host slot of alloc[j] */
    int64_t *out;               /* allocation, then new target */
    int64_t *cur;               /* alloc[j]'s current target (esx_current) */
    int64_t *gain;              /* its gain as a receiver (esx_rebalance), then the target
                                 * set this tick (-1: none; esx_decisions) */
    int64_t *alloc_out;         /* the min-funding allocation (for the decisions table) */
    policy_vm_obs_t *obs;       /* what alloc[j]'s VM reported this tick */
} esx_state_t;

/* Lay the per-tick arrays of n VMs out from base (NULL: just count); returns the bytes
 * they take.  Each array starts on a 64-byte line. */
static size_t esx_scratch(esx_state_t *s, char *base, size_t n)
{
    size_t off = 0;
#define ESX_CARVE(field)                                                   \
    do {                                                                   \
        if (base)                                                          \
            s->field = (void *)(base + off);                               \
        off += (n * sizeof *s->field + 63) / 64 * 64;                      \
    } while (0)
    ESX_CARVE(obs);
    ESX_CARVE(alloc);
    ESX_CARVE(idx);
    ESX_CARVE(out);
    ESX_CARVE(cur);
    ESX_CARVE(gain);
    ESX_CARVE(alloc_out);
#undef ESX_CARVE
    return off;
}

static void esx_destroy(void *state)
{
    esx_state_t *s = state;
    if (!s)
        return;
    free(s->vm);
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
    if (!s->vm || policy_scratch_reserve(ctx, esx_scratch(s, NULL, n)) != SIM_OK) {
        esx_destroy(s);
        snprintf(err, errlen, "out of memory");
        return SIM_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        s->vm[i].boot_ns = -1;              /* no guest seen yet */
    s->level = ESX_HIGH;
    *state = s;
    return SIM_OK;
}

/* Step 1: sample the active memory of VM i. */
static void esx_sample(esx_state_t *s, policy_ctx_t *ctx, int32_t i, sim_time_t now)
{
    const esx_params_t *p = s->p;
    esx_vm_state_t *v = &s->vm[i];
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

/* Current target of alloc[j]'s VM (usable pages it is asked to keep), within its bounds. */
static int64_t esx_current(const esx_state_t *s, size_t j)
{
    const esx_alloc_vm_t *a = &s->alloc[j];
    const policy_vm_obs_t *o = &s->obs[j];
    int64_t cur = a->lo_pages == a->hi_pages ? a->lo_pages : o->assigned_pages - o->balloon_target_pages;
    return cur < a->lo_pages ? a->lo_pages : cur > a->hi_pages ? a->hi_pages : cur;
}


/* Dead band of a VM: max(min_change, dead_band x configured memory), in pages. */
static int64_t esx_band(const esx_params_t *p, const policy_vm_obs_t *o)
{
    int64_t min_change = p->min_change_bytes / SIM_PAGE_BYTES;
    int64_t band = (int64_t)(p->dead_band * (double)o->configured_pages);
    return band > min_change ? band : min_change;
}

/* Smallest gain worth moving toward alloc[j]'s VM, now at `cur` pages: its dead band, or
 * noise_band standard errors of its allocation if larger.  The allocation is
 * proportional to 1 / (f + k (1 - f)); an estimate f from n sampled pages has a
 * standard error sqrt(f (1 - f) / n), which moves the allocation by the relative amount
 * (k - 1) sqrt(f (1 - f) / n) / (f + k (1 - f)).  Zero at tau = 0 (f does not matter). */
static int64_t esx_move_band(const esx_params_t *p, const esx_alloc_vm_t *a, const policy_vm_obs_t *o, int64_t cur)
{
    int64_t band = esx_band(p, o);
    double f = a->active < 0 ? 0 : a->active > 1 ? 1 : a->active;
    double k = 1.0 / (1.0 - p->idle_tax);
    double rel = (k - 1.0) * sqrt(f * (1.0 - f) / (double)p->sample_pages) / (f + k * (1.0 - f));
    int64_t noise = (int64_t)(p->noise_band * rel * (double)cur);
    return noise > band ? noise : band;
}

/* The guest says it lacks memory: it reports less free memory than its dead band, and
 * its committed memory does not fit (it swaps) or it stalls on memory at least
 * short_stall of the time.  (A guest with free memory that still stalls is paging its
 * own swap back in: more memory would not help it.) */
static int esx_is_short(const esx_params_t *p, const policy_vm_obs_t *o)
{
    return o->guest_free_pages < esx_band(p, o) &&
           (o->committed_pages > o->usable_pages || o->stall_fraction >= p->short_stall);
}

/* Gain that makes alloc[j]'s VM a receiver of a high-state rebalance: its allocation
 * out[j] less its current target cur[j], when the VM is short and the gain exceeds its
 * move band; else 0. */
static int64_t esx_receiver_gain(const esx_state_t *s, size_t j)
{
    int64_t cur = s->cur[j], d = s->out[j] - cur;
    if (!esx_is_short(s->p, &s->obs[j]) || d <= esx_move_band(s->p, &s->alloc[j], &s->obs[j], cur))
        return 0;
    return d;
}

/* Step 5: rebalance in the HIGH dead band (see the header).  out[] holds the
 * min-funding allocation of M.  Memory moves only toward receivers (esx_receiver_gain),
 * funded first by projected free memory above the goal, then by the donors -- every VM
 * whose current target exceeds its allocation -- each giving the same share of its
 * excess.  Writes the new targets into out[] (the current target for the others) and
 * returns the pages given to receivers (0: nothing moves). */
static int64_t esx_rebalance(esx_state_t *s, size_t m, int64_t proj_free_pages, int64_t goal_pages)
{
    int64_t need = 0, excess = 0;
    for (size_t j = 0; j < m; j++) {
        int64_t cur = s->cur[j], g = s->gain[j] = esx_receiver_gain(s, j);
        need += g;
        if (g == 0 && s->out[j] < cur)
            excess += cur - s->out[j];
    }
    if (need <= 0)
        return 0;
    int64_t from_free = proj_free_pages - goal_pages;
    from_free = from_free < 0 ? 0 : from_free > need ? need : from_free;
    int64_t fund = need - from_free < excess ? need - from_free : excess;
    double give = (double)(from_free + fund) / (double)need;       /* receivers' share of their gain */
    double take = excess > 0 ? (double)fund / (double)excess : 0;  /* donors' share of their excess */
    int64_t moved = 0;
    for (size_t j = 0; j < m; j++) {
        int64_t cur = s->cur[j], g = s->gain[j];
        if (g > 0) {
            g = (int64_t)floor(give * (double)g);
            s->out[j] = cur + g;
            moved += g;
        } else if (s->out[j] < cur) {
            s->out[j] = cur - (int64_t)ceil(take * (double)(cur - s->out[j]));
        } else {
            s->out[j] = cur;
        }
    }
    return moved;
}

/* Step 1, stuck balloons: the bounds of alloc[j]'s VM.  A balloon the driver reports
 * stuck (no progress for 5 s: the guest has nothing left to give -- no free memory, no
 * cache, a full swap) is let off where it stuck, and not asked below that for a hold:
 * its neighbours pay instead, and the memory they give is not handed back to them at
 * the next tick only to be taken again; should the host still run short, it swaps (the
 * hard state, models/host.c).  The hold lasts hold_ns, or until the guest reports free
 * memory beyond its dead band (the balloon could take that).  A stick within or right
 * after a hold doubles the next hold, up to stuck_hold_max; a stick after a quiet spell
 * starts again at stuck_hold.  (Before issue 18 a stuck VM was held for one tick only:
 * the target met, the report cleared, the next tick asked again, and its neighbours
 * swung by its deficit at every tick.) */
static void esx_stuck_bounds(const esx_params_t *p, esx_vm_state_t *v, const policy_vm_obs_t *o,
                             sim_time_t now, int64_t *lo, int64_t *hi)
{
    if (o->balloon_stuck) {
        int again = v->held_until_ns > 0 && now <= v->held_until_ns + 2 * p->interval_ns;
        if (now >= v->held_until_ns)
            v->hold_ns = !again ? p->stuck_hold_ns
                       : 2 * v->hold_ns < p->stuck_hold_max_ns ? 2 * v->hold_ns : p->stuck_hold_max_ns;
        v->held_pages = o->usable_pages;
        v->held_until_ns = now + v->hold_ns;
        *lo = *hi = o->usable_pages;     /* the driver cannot follow: where it is */
        return;
    }
    if (now >= v->held_until_ns || o->guest_free_pages >= esx_band(p, o))
        return;
    int64_t t = v->held_pages < *lo ? *lo : v->held_pages > *hi ? *hi : v->held_pages;
    *lo = t;
}

/* The decisions rows of a tick: for alloc[j], its inputs, the branch of the tick (or why
 * its target did not move) and the target set (gain[j] after esx_act: -1 none). */
static void esx_decisions(esx_state_t *s, policy_ctx_t *ctx, size_t m, const char *branch, int64_t total)
{
    for (size_t j = 0; j < m; j++) {
        int32_t i = s->idx[j];
        if (!policy_decisions(ctx, i))
            continue;
        const esx_alloc_vm_t *a = &s->alloc[j];
        const esx_active_t *act = &s->vm[i].act;
        char buf[768];
        policy_json_t js;
        policy_json_begin(&js, buf, sizeof buf);
        policy_json_num(&js, "shares", a->shares);
        policy_json_num(&js, "active_slow", act->slow);
        policy_json_num(&js, "active_fast", act->fast);
        policy_json_num(&js, "active_partial", act->partial);
        policy_json_num(&js, "active_used", a->active);
        policy_json_num(&js, "rho", esx_rho(a->shares, (double)s->obs[j].usable_pages, a->active, s->p->idle_tax));
        policy_json_int(&js, "allocation_pages", s->alloc_out[j]);
        policy_json_int(&js, "current_target_pages", s->cur[j]);
        policy_json_int(&js, "lo_pages", a->lo_pages);
        policy_json_int(&js, "hi_pages", a->hi_pages);
        policy_json_int(&js, "usable_pages", s->obs[j].usable_pages);
        policy_json_int(&js, "guest_free_pages", s->obs[j].guest_free_pages);
        policy_json_int(&js, "stuck", s->obs[j].balloon_stuck);
        policy_json_int(&js, "held", s->vm[i].held_until_ns > policy_now(ctx));
        policy_json_int(&js, "short", esx_is_short(s->p, &s->obs[j]));
        policy_json_str(&js, "state", esx_level_what[s->level] + strlen("state_"));   /* high, soft, ... */
        policy_json_int(&js, "vm_memory_pages", total);
        policy_decision(ctx, i, branch, s->gain[j], policy_json_end(&js));
    }
}

static void esx_tick(void *state, policy_ctx_t *ctx, sim_time_t now)
{
    esx_state_t *s = state;
    const esx_params_t *p = s->p;
    policy_host_obs_t h;
    policy_host(ctx, &h);
    int32_t n = s->n;                      /* a host's VMs are placed before its policy */
    esx_scratch(s, (char *)policy_scratch(ctx), (size_t)(n > 0 ? n : 1));

    /* 1. sample, and build the allocator's view of every running VM */
    size_t m = 0;
    int64_t sum_usable = 0, sum_cur = 0;
    for (int32_t i = 0; i < n; i++) {
        policy_vm_obs_t *o = &s->obs[m];
        policy_vm(ctx, i, o);
        esx_vm_state_t *v = &s->vm[i];
        if (policy_vm_new_guest(o->running, o->boot_ns, &v->boot_ns)) {
            if (!o->running)
                continue;
            esx_active_init(&v->act);        /* a new guest, taken to have booted one interval ago */
            v->held_until_ns = 0, v->hold_ns = p->stuck_hold_ns, v->dir = 0;
            v->period_start_ns = now - p->interval_ns > 0 ? now - p->interval_ns : 0;
        }
        esx_sample(s, ctx, i, now);
        int64_t hi = o->assigned_pages;
        int64_t cap = (int64_t)floor(p->max_balloon * (double)o->configured_pages);
        int64_t lo = o->min_pages > hi - cap ? o->min_pages : hi - cap;
        lo = lo < 0 ? 0 : lo > hi ? hi : lo;
        esx_stuck_bounds(p, v, o, now, &lo, &hi);    /* a stuck balloon keeps its target */
        esx_alloc_vm_t *a = &s->alloc[m];
        a->shares = o->shares;
        a->active = esx_active_estimate(&s->vm[i].act);
        a->lo_pages = lo;
        a->hi_pages = hi;
        s->idx[m] = i;
        sum_usable += o->usable_pages;
        s->cur[m] = esx_current(s, m);
        sum_cur += s->cur[m];
        m++;
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
    for (size_t j = 0; j < m; j++)
        s->gain[j] = -1, s->alloc_out[j] = s->out[j] = s->cur[j];

    /* 3./4./5. revoke, give back, or rebalance toward short VMs */
    int64_t goal = h.high_pages + hyst;
    int64_t total = h.free_pages + sum_usable - goal;   /* M: what the VMs may hold */
    int64_t min_change = p->min_change_bytes / SIM_PAGE_BYTES;
    const char *branch;
    if (s->level != ESX_HIGH) {
        int64_t sum_lo = 0;
        for (size_t j = 0; j < m; j++)
            sum_lo += s->alloc[j].lo_pages;
        if (sum_lo > total && !s->unmet)
            policy_log(ctx, -1, "unmet", (double)((sum_lo - total) * SIM_PAGE_BYTES));
        s->unmet = sum_lo > total;
        esx_allocate(s->alloc, m, total, p->idle_tax, s->out);
        branch = "reclaim";
    } else if (h.free_pages > h.high_pages + 2 * hyst) {
        /* give back: the surplus on top of the current targets, highest rho first */
        s->unmet = 0;
        total = h.free_pages - goal;
        for (size_t j = 0; j < m; j++) {
            esx_alloc_vm_t *a = &s->alloc[j];
            a->lo_pages = s->cur[j];
            /* only a VM that has used its memory gets more (a grant it has not yet
             * touched shows as guest free memory, and leaves host free memory where
             * it was: the same surplus is not handed out again at the next tick) */
            if (s->obs[j].guest_free_pages >= esx_band(p, &s->obs[j]))
                a->hi_pages = a->lo_pages;
            total += a->lo_pages;
        }
        esx_allocate(s->alloc, m, total, p->idle_tax, s->out);
        branch = "give-back";
    } else {
        s->unmet = 0;
        size_t j = 0;
        while (j < m && !esx_is_short(p, &s->obs[j]))
            j++;
        if (j == m) {
            esx_decisions(s, ctx, m, "high-nobody-short", total);
            return;                        /* nobody short: no receiver, nothing moves */
        }
        esx_allocate(s->alloc, m, total, p->idle_tax, s->out);
        memcpy(s->alloc_out, s->out, m * sizeof *s->out);
        /* projected free memory once every balloon meets its current target */
        int64_t moved = esx_rebalance(s, m, h.free_pages + sum_usable - sum_cur, goal);
        for (size_t k = 0; k < m; k++)
            s->gain[k] = -1;
        if (moved <= 0) {
            esx_decisions(s, ctx, m, "high-within-bands", total);
            return;                        /* the short VMs' gains are within their bands, or unfunded */
        }
        policy_log(ctx, -1, "rebalance", (double)(moved * SIM_PAGE_BYTES));
        branch = "rebalance";
    }
    if (s->level != ESX_HIGH || strcmp(branch, "rebalance"))
        memcpy(s->alloc_out, s->out, m * sizeof *s->out);
    /* In the high state the deflations (toward short VMs) are issued before the
     * inflations that fund them; while reclaiming, every target in VM order. */
    int deflate_first = s->level == ESX_HIGH;
    for (int pass = 0; pass < 2; pass++)
        for (size_t j = 0; j < m; j++) {
            int64_t d = s->out[j] - (s->obs[j].assigned_pages - s->obs[j].balloon_target_pages);
            int first = deflate_first ? d > 0 : 1;
            if (d == 0 || llabs(d) < min_change || first != (pass == 0))
                continue;
            esx_vm_state_t *v = &s->vm[s->idx[j]];
            int dir = d > 0 ? 1 : -1;
            if (dir == -v->dir && llabs(d) <= esx_band(p, &s->obs[j]))
                continue;                  /* a reversal within the dead band */
            v->dir = dir;
            policy_set_target(ctx, s->idx[j], s->out[j], 0);
            s->gain[j] = s->out[j];
        }
    esx_decisions(s, ctx, m, branch, total);
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
