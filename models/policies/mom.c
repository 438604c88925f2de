/*
 * models/policies/mom.c -- KVM: the oVirt MOM (Memory Overcommitment Manager) auto-balloon
 * rules (policy `mom`).
 *
 * SOURCE (docs/policies.md, MOM): oVirt/mom doc/balloon.rules and doc/mom-balloon+ksm.conf
 * (`rules = mom`, the default); oVirt/vdsm static/etc/vdsm/mom.d/02-balloon.policy, the
 * rules oVirt ships (`rules = vdsm`).  The rules themselves are mom_decide (mom.h, with
 * their text); this file collects the statistics they read and applies the decisions.
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
 * its free pages are the whole of it); host total (mem_available) = policy_host capacity.
 * Per guest: balloon_cur = usable pages (assigned - balloon, libvirt's `actual`);
 * mem_unused = the guest's free pages, page cache excluded (MOM's GuestLibvirt collector
 * reads libvirt's `unused`, "memory left completely unused by the system", reclaimable
 * caches not counted), as of the guest's last virtio-balloon statistics report ([balloon]
 * stats_period, 5 s with the virtio preset: docs/policies.md); balloon_min = the VM's `min` (guaranteed memory); balloon_max =
 * its assigned memory (= configured `memory` unless `startup` is smaller: MOM never
 * hot-adds).
 *
 * RULES: mom.h.  In short: under host pressure (< 20 % free) every guest shrinks by at
 * most 5 % per interval toward its floor, used + gf x cur with gf scaled by the host's
 * free fraction (negative when critical, to force guest swapping); otherwise every
 * ballooned guest grows by 5 %, or at once to used + 20 % x cur when that is more; moves
 * under 0.25 % of cur are skipped.  With `rules = vdsm` the grow floor uses the scaled gf
 * and guest_qos raises a guest below its guaranteed minimum to that minimum.
 *
 * ASSUMPTIONS (documented choices): a VM that is not running has its history cleared (a
 * new guest starts a new history).  Targets are set with allow_hot_add = 0.  Host-level
 * values are logged (policy_log): per engine run, "host_free_fraction" and "pressure"
 * (0 none, 1 pressure, 2 critical); per target set, "target" in pages.
 *
 * Units: pages and ns in state; fractions as doubles.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "models/policy.h"
#include "models/policies/mom.h"

typedef struct mom_params {
    sim_time_t interval_ns;    /* policy-engine-interval */
    sim_time_t monitor_ns;     /* host/guest-monitor-interval */
    int64_t history;           /* sample-history-length */
    double pressure;           /* pressure_threshold */
    double critical;           /* pressure_critical */
    double guest_free;         /* min_guest_free_percent */
    double max_change;         /* max_balloon_change_percent */
    double min_change;         /* min_balloon_change_percent */
    char rules[SIM_STR_MAX];   /* mom (doc/balloon.rules) | vdsm (02-balloon.policy) */
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
    {"rules", SIM_KEY_CHOICE, MO(rules), "mom", SIM_NO_RANGE, "mom|vdsm",
     "mom: oVirt MOM doc/balloon.rules; vdsm: vdsm's 02-balloon.policy (host-scaled grow floor, "
     "guest_qos raises a guest below min to min)"},
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

static const char *const mom_rule_names[MOM_NRULES] = {
    [MOM_SHRINK_STEP] = "shrink-step", [MOM_SHRINK_FLOOR] = "shrink-floor", [MOM_SHRINK_ABOVE] = "shrink-above",
    [MOM_SHRINK_SMALL] = "shrink-small", [MOM_GROW_STEP] = "grow-step",     [MOM_GROW_FLOOR] = "grow-floor",
    [MOM_GROW_MAX] = "grow-max",         [MOM_GROW_SMALL] = "grow-small",   [MOM_FULL] = "full",
    [MOM_QOS] = "qos",
};

const char *mom_rule_name(mom_rule_t r) { return r < MOM_NRULES ? mom_rule_names[r] : "?"; }

/* change_big_enough */
static int mom_big_enough(const mom_consts_t *k, double cur, double size)
{
    return fabs(size - cur) > k->min_change * cur;
}

static void mom_shrink(const mom_consts_t *k, const mom_inputs_t *in, mom_decision_t *d)
{
    double cur = in->balloon_cur;
    d->floor_pages = fmax(in->balloon_min, in->cur_mean - in->unused_mean + d->gf * cur);
    double size = cur * (1.0 - k->max_change);
    d->rule = MOM_SHRINK_STEP;
    if (size < d->floor_pages) {
        size = d->floor_pages;
        d->rule = MOM_SHRINK_FLOOR;
    }
    if (size > cur)
        d->rule = MOM_SHRINK_ABOVE;
    else if (!mom_big_enough(k, cur, size))
        d->rule = MOM_SHRINK_SMALL;
    else
        d->set = 1, d->target_pages = size;
}

static void mom_grow(const mom_consts_t *k, const mom_inputs_t *in, mom_decision_t *d)
{
    double cur = in->balloon_cur;
    if (!(cur < in->balloon_max)) {
        d->rule = MOM_FULL;
        return;
    }
    if (k->rules == MOM_RULES_MOM)
        d->gf = k->guest_free;            /* balloon.rules: min_guest_free_percent, fixed */
    d->floor_pages = fmax(in->balloon_min, in->cur_mean - in->unused_mean + d->gf * cur);
    double size = cur * (1.0 + k->max_change);
    d->rule = MOM_GROW_STEP;
    if (size < d->floor_pages) {
        size = d->floor_pages;
        d->rule = MOM_GROW_FLOOR;
    }
    if (size > in->balloon_max) {
        size = in->balloon_max;
        d->rule = MOM_GROW_MAX;
    }
    if (!mom_big_enough(k, cur, size))
        d->rule = MOM_GROW_SMALL;
    else
        d->set = 1, d->target_pages = size;
}

void mom_decide(const mom_consts_t *k, const mom_inputs_t *in, mom_decision_t *d)
{
    double hf = in->host_free_fraction;
    int critical = hf <= k->critical, pressure = hf < k->pressure;
    *d = (mom_decision_t){.pressure = pressure ? (critical ? 2 : 1) : 0};
    /* balloon.rules computes guest_free_percent inside shrink_guest only; vdsm's
     * grow_guest computes it the same way (mom_grow replaces it for rules = mom). */
    d->gf = critical ? hf - 0.05 : k->guest_free * hf / k->pressure;
    if (pressure)
        mom_shrink(k, in, d);
    else
        mom_grow(k, in, d);
    if (k->rules == MOM_RULES_VDSM && in->balloon_cur < in->balloon_min) {   /* guest_qos, last */
        d->rule = MOM_QOS;
        d->set = 1, d->target_pages = in->balloon_min;
    }
}

static void mom_tick(void *state, policy_ctx_t *ctx, sim_time_t now_ns)
{
    (void)now_ns;
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
    mom_consts_t k = {p->pressure, p->critical, p->guest_free, p->max_change, p->min_change,
                      strcmp(p->rules, "vdsm") ? MOM_RULES_MOM : MOM_RULES_VDSM};
    double hf = h.capacity_pages > 0 ? ring_mean(&st->host_free) / (double)h.capacity_pages : 0;
    if (engine) {
        policy_log(ctx, -1, "host_free_fraction", hf);
        policy_log(ctx, -1, "pressure", hf < p->pressure ? (hf <= p->critical ? 2 : 1) : 0);
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
        ring_push(&st->unused[i], cap, (double)o.guest_free_pages);
        if (!engine)
            continue;
        mom_inputs_t in = {(double)o.usable_pages, ring_mean(&st->usable[i]), ring_mean(&st->unused[i]),
                           (double)o.min_pages, (double)o.assigned_pages, hf};
        mom_decision_t d;
        mom_decide(&k, &in, &d);
        int64_t pages = d.set ? llround(d.target_pages) : -1;
        if (d.set) {
            policy_set_target(ctx, i, pages, 0);
            policy_log(ctx, i, "target", (double)pages);
        }
        if (policy_decisions(ctx, i)) {
            char buf[640];
            policy_json_t j;
            policy_json_begin(&j, buf, sizeof buf);
            policy_json_int(&j, "balloon_cur_pages", o.usable_pages);
            policy_json_num(&j, "balloon_cur_mean_pages", in.cur_mean);
            policy_json_int(&j, "balloon_cur_count", st->usable[i].n);
            policy_json_num(&j, "mem_unused_mean_pages", in.unused_mean);
            policy_json_int(&j, "mem_unused_count", st->unused[i].n);
            policy_json_int(&j, "balloon_min_pages", o.min_pages);
            policy_json_int(&j, "balloon_max_pages", o.assigned_pages);
            policy_json_num(&j, "host_free_fraction_now", h.capacity_pages > 0 ? (double)h.free_pages / (double)h.capacity_pages : 0);
            policy_json_num(&j, "host_free_fraction_mean", hf);
            policy_json_int(&j, "host_free_count", st->host_free.n);
            policy_json_int(&j, "host_total_pages", h.capacity_pages);
            policy_json_int(&j, "pressure", d.pressure);
            policy_json_num(&j, "guest_free_percent", d.gf);
            policy_json_num(&j, "floor_pages", d.floor_pages);
            policy_json_str(&j, "rules", p->rules);
            policy_decision(ctx, i, mom_rule_name(d.rule), pages, policy_json_end(&j));
        }
    }
}

const policy_type_t policy_mom = {
    .name = "mom",
    .summary = "KVM oVirt MOM (doc/balloon.rules): under host pressure (<20% free) shrink guests by <= 5% per "
               "10 s toward used + free target; otherwise grow by 5%, or at once to used + 20%",
    .keys = &mom_table,
    .params_size = sizeof(mom_params_t),
    .check = mom_check,
    .interval_ns = mom_interval,
    .create = mom_create,
    .destroy = mom_destroy,
    .tick = mom_tick,
};
