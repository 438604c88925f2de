/*
 * models/policies/mom.c -- KVM: the oVirt MOM (Memory Overcommitment Manager) auto-balloon
 * rules (policy `mom`).
 *
 * SOURCE (REFERENCE.md 3, [code]): oVirt/mom doc/balloon.rules and doc/mom-balloon+ksm.conf;
 * oVirt/vdsm static/etc/vdsm/mom.d/02-balloon.policy (the rules oVirt ships).
 *
 * SCHEDULE.  MOM's host and guest monitors collect a sample every monitor interval (5 s,
 * host-monitor-interval / guest-monitor-interval) and keep the last `history` samples (10,
 * sample-history-length); the policy engine runs every `interval` (10 s,
 * policy-engine-interval).  Here the policy ticks every `monitor` interval, records one
 * sample per VM and one of the host, and applies the rules on every (interval / monitor)-th
 * tick, after that tick's sample.  Statistics are plain means over the samples held
 * (StatAvg: fewer than `history` right after a VM boots).
 *
 * OBSERVATIONS.  Host free memory = policy_host free pages (MOM's HostMemory collector
 * counts MemFree + Buffers + Cached; the simulated host has no page cache of its own, so
 * its free pages are the whole of it); host total = policy_host capacity.  Per guest:
 * balloon_cur = usable pages (assigned - balloon), mem_unused = guest-reported available
 * (free + page cache), balloon_min = the VM's `min` (guaranteed memory), balloon_max =
 * its assigned memory (= configured `memory` unless `startup` is smaller: MOM never
 * hot-adds).
 *
 * RULES, every policy interval (vdsm 02-balloon.policy):
 *   hf  = mean(host free) / host total
 *   pressure when hf < pressure (20%); critical when hf <= critical (5%)
 *   guest free target gf = guest_free * hf / pressure          (0.20 x hf / 0.20 = hf)
 *                        = hf - 0.05 when critical            (negative: force swapping)
 *   used = mean(balloon_cur) - mean(mem_unused);  floor = max(balloon_min, used + gf x cur)
 *   pressure:    new = max(cur x (1 - max_change), floor); set only if new <= cur
 *   no pressure: if cur < balloon_max: new = min(cur x (1 + max_change), balloon_max)
 *                (with grow_to_floor = yes, vdsm's variant: new = max(new, floor) before
 *                the cap -- a guest short of free memory then grows at once)
 *   a change is made only if |new - cur| > min_change x cur (0.25%)
 *   guest_qos: a guest below its guaranteed minimum gets target = balloon_min.
 * So, with grow_to_floor = no (the default, and doc/balloon.rules' 5% step), a balloon moves
 * at most max_change (5%) of the guest's memory per interval in either direction; only the
 * guaranteed-minimum rule can move it further.
 *
 * ASSUMPTIONS (documented choices): doc/balloon.rules in oVirt/mom writes `min` where vdsm
 * writes `max` for the floor; we follow vdsm (a guaranteed minimum is a floor).  A VM that
 * is not running has its history cleared (a new guest starts a new history).  Targets are
 * set with allow_hot_add = 0.  Every decision is logged (policy_log): per act, the host's
 * "host_free_fraction" and "pressure" (0 none, 1 pressure, 2 critical); per target set,
 * "target" in pages.
 *
 * Units: pages and ns in state; fractions as doubles.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include "models/policy.h"

typedef struct mom_params {
    sim_time_t interval_ns;    /* policy-engine-interval */
    sim_time_t monitor_ns;     /* host/guest-monitor-interval */
    int64_t history;           /* sample-history-length */
    double pressure;           /* pressure_threshold */
    double critical;           /* pressure_critical */
    double guest_free;         /* min_guest_free_percent */
    double max_change;         /* max_balloon_change_percent */
    double min_change;         /* min_balloon_change_percent */
    int grow_to_floor;         /* vdsm grow_guest raises to the free-memory floor */
} mom_params_t;

#define MO(f) offsetof(mom_params_t, f)
static const sim_key_t mom_keys[] = {
    {"interval", SIM_KEY_DURATION, MO(interval_ns), "10s", 1e6, 3.6e12, NULL,
     "policy-engine-interval: the rules run this often (duration; MOM 10 s, oVirt 15 s)"},
    {"monitor", SIM_KEY_DURATION, MO(monitor_ns), "5s", 1e6, 3.6e12, NULL,
     "host/guest-monitor-interval: one statistics sample this often; divides interval (duration)"},
    {"history", SIM_KEY_INT, MO(history), "10", 1, 1000, NULL,
     "sample-history-length: statistics are plain means of this many samples"},
    {"pressure", SIM_KEY_FRACTION, MO(pressure), "20%", 1e-6, 1, NULL,
     "host under pressure when free memory is below this share of the total"},
    {"critical", SIM_KEY_FRACTION, MO(critical), "5%", 0, 1, NULL,
     "pressure is critical at or below this share; guests are pushed to swap"},
    {"guest_free", SIM_KEY_FRACTION, MO(guest_free), "20%", 0, 1, NULL,
     "free memory an unconstrained guest keeps (min_guest_free_percent)"},
    {"max_change", SIM_KEY_FRACTION, MO(max_change), "5%", 0, 1, NULL,
     "largest balloon move per interval, share of the guest's memory"},
    {"min_change", SIM_KEY_FRACTION, MO(min_change), "0.25%", 0, 1, NULL,
     "moves smaller than this share of the guest's memory are skipped"},
    {"grow_to_floor", SIM_KEY_BOOL, MO(grow_to_floor), "no", SIM_NO_RANGE, NULL,
     "vdsm variant: growing also raises a guest at once to used + free target"},
};
static const sim_key_table_t mom_table = SIM_KEY_TABLE("policy mom", mom_keys);

/* A ring of the last `cap` samples with a running count (means are recomputed: cap is
 * small, and recomputing avoids drift in a running sum). */
typedef struct mom_ring {
    int64_t n, head;
    double *v;
} mom_ring_t;

typedef struct mom_state {
    const mom_params_t *p;
    int32_t nvms;
    int64_t ticks;
    mom_ring_t host_free;
    mom_ring_t *usable;        /* per VM: balloon_cur */
    mom_ring_t *unused;        /* per VM: mem_unused (guest available) */
    sim_time_t *booted;        /* per VM: the boot whose guest the history is of */
    double *buf;               /* backing store of every ring */
} mom_state_t;

static void ring_push(mom_ring_t *r, int64_t cap, double x)
{
    r->v[r->head] = x;
    r->head = (r->head + 1) % cap;
    if (r->n < cap)
        r->n++;
}

static double ring_mean(const mom_ring_t *r)
{
    double s = 0;
    for (int64_t i = 0; i < r->n; i++)
        s += r->v[i];           /* the first n slots are filled while n < cap */
    return r->n > 0 ? s / (double)r->n : 0;
}

static int mom_check(const void *params, char *err, size_t errlen)
{
    const mom_params_t *p = params;
    if (p->interval_ns % p->monitor_ns != 0) {
        snprintf(err, errlen, "interval must be a multiple of monitor");
        return SIM_EINPUT;
    }
    if (p->critical >= p->pressure) {
        snprintf(err, errlen, "critical must be below pressure");
        return SIM_EINPUT;
    }
    if (p->min_change > p->max_change) {
        snprintf(err, errlen, "min_change must not exceed max_change");
        return SIM_EINPUT;
    }
    return SIM_OK;
}

static sim_time_t mom_interval(const void *params) { return ((const mom_params_t *)params)->monitor_ns; }

static void mom_destroy(void *state)
{
    mom_state_t *st = state;
    if (!st)
        return;
    free(st->usable);
    free(st->unused);
    free(st->booted);
    free(st->buf);
    free(st);
}

static int mom_create(void **state, const void *params, policy_ctx_t *ctx, gsl_rng *rng,
                      char *err, size_t errlen)
{
    const mom_params_t *p = params;
    int32_t n = policy_nvms(ctx);
    size_t cap = (size_t)p->history;
    mom_state_t *st = calloc(1, sizeof *st);
    if (st) {
        st->usable = calloc((size_t)n + 1, sizeof *st->usable);
        st->unused = calloc((size_t)n + 1, sizeof *st->unused);
        st->booted = calloc((size_t)n + 1, sizeof *st->booted);
        st->buf = calloc((2 * (size_t)n + 1) * cap, sizeof *st->buf);
    }
    if (!st || !st->usable || !st->unused || !st->booted || !st->buf) {
        mom_destroy(st);
        snprintf(err, errlen, "out of memory for %d VMs x %zu samples", (int)n, cap);
        return SIM_ENOMEM;
    }
    for (int32_t i = 0; i < n; i++)
        st->booted[i] = -1;                /* no guest seen yet */
    st->p = p;
    st->nvms = n;
    st->host_free.v = st->buf;
    for (int32_t i = 0; i < n; i++) {
        st->usable[i].v = st->buf + (1 + 2 * (size_t)i) * cap;
        st->unused[i].v = st->buf + (2 + 2 * (size_t)i) * cap;
    }
    *state = st;
    return SIM_OK;
}

/* Ask for `size` pages if the change is big enough; log it. */
static void mom_set(policy_ctx_t *ctx, const mom_params_t *p, int32_t i, double cur, double size)
{
    if (fabs(size - cur) > p->min_change * cur) {
        int64_t pages = llround(size);
        policy_set_target(ctx, i, pages, 0);
        policy_log(ctx, i, "target", (double)pages);
    }
}

static void mom_tick(void *state, policy_ctx_t *ctx, sim_time_t now_ns)
{
    mom_state_t *st = state;
    const mom_params_t *p = st->p;
    int64_t cap = p->history;
    policy_host_obs_t h;
    policy_host(ctx, &h);
    /* 1. monitors: one sample of the host and of every running guest (below), and on
     * every interval/monitor-th tick 2. the policy engine, VM by VM after its sample */
    ring_push(&st->host_free, cap, (double)h.free_pages);
    st->ticks++;
    int engine = st->ticks % (p->interval_ns / p->monitor_ns) == 0;
    double gf = 0;
    int critical = 0, pressure = 0;
    if (engine) {
        double hf = h.capacity_pages > 0 ? ring_mean(&st->host_free) / (double)h.capacity_pages : 0;
        critical = hf <= p->critical, pressure = hf < p->pressure;
        gf = critical ? hf - 0.05 : p->guest_free * hf / p->pressure;
        policy_log(ctx, -1, "host_free_fraction", hf);
        policy_log(ctx, -1, "pressure", pressure ? (critical ? 2 : 1) : 0);
    }
    for (int32_t i = 0; i < st->nvms; i++) {
        policy_vm_obs_t o;
        policy_vm(ctx, i, &o);
        if (policy_vm_new_guest(o.running, o.boot_ns, &st->booted[i])) {   /* forget the old guest */
            st->usable[i].n = st->usable[i].head = 0;
            st->unused[i].n = st->unused[i].head = 0;
            if (!o.running)
                continue;
        }
        ring_push(&st->usable[i], cap, (double)o.usable_pages);
        ring_push(&st->unused[i], cap, (double)o.guest_available_pages);
        if (!engine)
            continue;
        double cur = (double)o.usable_pages;
        double bmin = (double)o.min_pages, bmax = (double)o.assigned_pages;
        double used = ring_mean(&st->usable[i]) - ring_mean(&st->unused[i]);
        double floor_pages = fmax(bmin, used + gf * cur);
        if (cur < bmin) {                              /* guest_qos */
            policy_set_target(ctx, i, o.min_pages, 0);
            policy_log(ctx, i, "target", (double)o.min_pages);
        } else if (pressure) {                         /* shrink_guest */
            double size = fmax(cur * (1.0 - p->max_change), floor_pages);
            if (size <= cur)
                mom_set(ctx, p, i, cur, size);
        } else if (cur < bmax) {                       /* grow_guest */
            double size = cur * (1.0 + p->max_change);
            if (p->grow_to_floor)
                size = fmax(size, floor_pages);
            mom_set(ctx, p, i, cur, fmin(size, bmax));
        }
    }
}

const policy_type_t policy_mom = {
    .name = "mom",
    .summary = "KVM oVirt MOM: under host pressure (<20% free) shrink guests by <= 5% per 10 s toward "
               "used + free target; otherwise grow by 5%",
    .keys = &mom_table,
    .params_size = sizeof(mom_params_t),
    .check = mom_check,
    .interval_ns = mom_interval,
    .create = mom_create,
    .destroy = mom_destroy,
    .tick = mom_tick,
};
