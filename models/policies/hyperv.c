/*
 * models/policies/hyperv.c -- Hyper-V Dynamic Memory (policy "hyperv-dm").
 *
 * Sources: Microsoft docs (Set-VMMemory, Dynamic Memory overview, BPA rules: startup,
 * minimum, maximum RAM, buffer 20 %, weight 5000, Smart Paging); Linux drivers/hv/hv_balloon.c
 * (2 MB balloon units, 128 MB hot-add, the guest floor, 1 s reports, the first one 45 s
 * after the driver loads) -- docs/policies.md.
 *
 * Per VM (scenario keys): startup = `startup` (boot size), minimum = `min`, maximum =
 * `memory`, buffer and weight from the VM's group.  Demand is the guest-reported
 * committed memory C (kernel + anonymous demand), from the guest's last status report
 * ([balloon] stats_period: 1 s with the hyperv preset, as hv_balloon.c posts them);
 * pressure = C / assigned memory, where
 * "assigned memory" in Hyper-V's sense is our usable memory (assigned - balloon).
 *
 * STARTS go through host memory requests (models/request.h; hyperv_requests below):
 * granted when memory no VM holds covers the startup RAM plus the VM overhead, else the other
 * VMs are ballooned down when their surplus above committed memory would make the room,
 * else a restart goes ahead with Smart Paging and a start from off is refused
 * ("not_enough_memory"; docs/policies.md, Hyper-V, "Smart Paging").
 * EVERY `interval` (1 s):
 *   1. LIFE.  A VM first seen running booted during the last interval; a VM whose
 *      assigned memory fell (only a reboot shrinks it) or whose non-empty balloon target
 *      vanished at startup size without a new target from us was restarted.  (This
 *      predates boot_ns in policy_vm_obs_t; switching to it, as esx-share, mom and
 *      squeezed do, would move hyperv-dm's results and is left for a change of its
 *      own.)  At a boot the startup RAM must come
 *      from free memory plus what other VMs hold above their committed memory; if it
 *      cannot, Hyper-V uses Smart Paging: logged as policy_log what = smart_paging, value
 *      = shortfall bytes.  Host swapping (models/host.c) plays the role of the Smart
 *      Paging file, and ordinary balancing then balloons the VM to its share.  (A first
 *      boot short of memory is refused before it gets here: STARTS above.)
 *   2. BALANCE.  A VM takes part only once its guest has reported (`first_report` after
 *      boot, 45 s); until then it keeps its startup memory.  Memory available to the
 *      balanced VMs:  avail = free + sum used - host `high` threshold (kept free), where
 *      used = usable - the guest's reported free memory (kernel + anon + page cache).
 *      Not `usable`: a guest's free pages it never touched cost the host nothing and are
 *      already counted in host free memory, so avail would count them twice and drift
 *      each time a guest touched one (every target would move at every cache fill).
 *      Pages a guest touched and freed again are not counted (conservative) until the
 *      balloon takes them back.  avail is divided by hyperv_allocate()
 *      (hyperv.h: target = committed x (1 + buffer) when ample; under shortage the buffer
 *      goes first, split by weighted pressure equalisation, then memory below committed
 *      goes to the highest weight first), each target clamped to [max(minimum, guest
 *      floor), maximum].  The guest floor is the Linux hv_balloon table (`guest_floor`).
 *   3. ACT.  policy_set_target(..., allow_hot_add = 1) when a target moved by at least
 *      `min_change` (2 MiB, the balloon unit): growth is hot-added in the driver's
 *      hotadd_chunk units (128 MiB; use [balloon] preset = hyperv), shrinking is the
 *      balloon.  Assigned memory is never hot-removed (as in Hyper-V).
 *   4. SHORT VMs.  A VM whose pressure stays above 100 % (committed > usable) for longer
 *      than `short_after` (10 min) is logged once per episode: what = short, value =
 *      committed - usable bytes at that moment; the end of a reported episode is logged as
 *      what = short_end, value = its length in seconds.  (The articles: a VM that is
 *      always short is misconfigured -- ballooning is a balancing tool, not a cure.)
 * The host's shortage phase (0 ample, 1 buffer, 2 committed, 3 minimum) is logged at each
 * change: what = shortage.
 * Units: pages and ns in state; keys in human units.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "models/policy.h"
#include "models/balloon.h"
#include "models/policies/hyperv.h"

/* ------------------------------------------------------------------ pure part */

static double clampd(double x, double lo, double hi) { return x < lo ? lo : x > hi ? hi : x; }

/* A VM's bounds (hi below lo counts as lo), and within them its need (committed) and
 * want (committed plus its buffer). */
typedef struct hv_span {
    double lo, hi, need, want;
} hv_span_t;

static hv_span_t span_of(const hyperv_alloc_vm_t *v)
{
    hv_span_t s;
    s.lo = (double)v->lo_pages;
    s.hi = v->hi_pages > v->lo_pages ? (double)v->hi_pages : s.lo;
    s.need = clampd(v->committed_pages, s.lo, s.hi);
    s.want = clampd(v->committed_pages * (1.0 + v->buffer), s.lo, s.hi);
    return s;
}

int hyperv_allocate(const hyperv_alloc_vm_t *vms, size_t n, int64_t avail_pages, int64_t *out)
{
    double sum_lo = 0, sum_need = 0, sum_want = 0, avail = (double)avail_pages;
    for (size_t i = 0; i < n; i++) {
        hv_span_t sp = span_of(&vms[i]);
        sum_lo += sp.lo;
        sum_need += sp.need;
        sum_want += sp.want;
    }
    if (sum_want <= avail) {
        for (size_t i = 0; i < n; i++)
            out[i] = (int64_t)floor(span_of(&vms[i]).want);
        return HYPERV_AMPLE;
    }
    if (avail < sum_lo) {
        for (size_t i = 0; i < n; i++)
            out[i] = vms[i].lo_pages;
        return HYPERV_SHORT_MINIMUM;
    }
    if (sum_need <= avail) {
        /* Buffers by weighted pressure equalisation: bisect lambda. */
        double a = 0, b = 0;
        for (size_t i = 0; i < n; i++) {
            double l = vms[i].buffer / (vms[i].weight + 1.0);
            b = l > b ? l : b;
        }
        for (int it = 0; it < 200 && b - a > 1e-15 * b; it++) {
            double mid = 0.5 * (a + b), s = 0;
            for (size_t i = 0; i < n; i++) {
                hv_span_t sp = span_of(&vms[i]);
                s += sp.need + fmin(sp.want - sp.need, mid * (vms[i].weight + 1.0) * sp.need);
            }
            if (s > avail)
                b = mid;
            else
                a = mid;
        }
        for (size_t i = 0; i < n; i++) {
            hv_span_t sp = span_of(&vms[i]);
            out[i] = (int64_t)floor(sp.need + fmin(sp.want - sp.need, a * (vms[i].weight + 1.0) * sp.need));
        }
        return HYPERV_SHORT_BUFFER;
    }
    /* Below committed: strict priority by weight, equal weights in proportion. */
    for (size_t i = 0; i < n; i++)
        out[i] = vms[i].lo_pages;
    double left = avail - sum_lo;
    double done_weight = INFINITY;
    while (left > 0) {
        double w = -1;                      /* the highest weight not yet served */
        for (size_t i = 0; i < n; i++)
            if (vms[i].weight < done_weight && vms[i].weight > w)
                w = vms[i].weight;
        if (w < 0)
            break;
        double gap = 0;
        for (size_t i = 0; i < n; i++)
            if (vms[i].weight == w) {
                hv_span_t sp = span_of(&vms[i]);
                gap += sp.need - sp.lo;
            }
        double frac = gap > left ? left / gap : 1.0;
        for (size_t i = 0; i < n; i++)
            if (vms[i].weight == w) {
                hv_span_t sp = span_of(&vms[i]);
                out[i] = (int64_t)floor(sp.lo + frac * (sp.need - sp.lo));
            }
        left -= gap * frac;
        done_weight = w;
    }
    return HYPERV_SHORT_COMMITTED;
}

/* ------------------------------------------------------------------ parameters */

typedef struct hyperv_params {
    sim_time_t interval_ns;
    sim_time_t first_report_ns;
    sim_time_t short_after_ns;
    int64_t min_change_bytes;
    char guest_floor[SIM_STR_MAX];
} hyperv_params_t;

#define HO(f) offsetof(hyperv_params_t, f)
static const sim_key_t hyperv_keys[] = {
    {"interval", SIM_KEY_DURATION, HO(interval_ns), "1s", 1e6, 3.6e12, NULL,
     "balancing period (duration; Hyper-V about 1 s)"},
    {"first_report", SIM_KEY_DURATION, HO(first_report_ns), "45s", 0, 3.6e12, NULL,
     "a VM keeps its startup memory until its guest's first report (duration; hv_balloon 45 s)"},
    {"short_after", SIM_KEY_DURATION, HO(short_after_ns), "10min", 1e9, 3.6e14, NULL,
     "pressure above 100% for this long logs the VM as short (duration)"},
    {"min_change", SIM_KEY_BYTES, HO(min_change_bytes), "2MiB", 0, 1e12, NULL,
     "smallest target change acted on (size; the 2 MB balloon unit)"},
    {"guest_floor", SIM_KEY_CHOICE, HO(guest_floor), "linux-hv", SIM_NO_RANGE, "none|linux-hv",
     "floor below which the guest refuses to balloon, respected by the balancer"},
};
static const sim_key_table_t hyperv_table = SIM_KEY_TABLE("policy hyperv-dm", hyperv_keys);

static sim_time_t hyperv_interval(const void *params) { return ((const hyperv_params_t *)params)->interval_ns; }

/* ------------------------------------------------------------------ state */

typedef struct hyperv_vm_state {
    int seen_running;          /* running at the previous tick */
    int set_last;              /* we sent a target at the previous tick */
    sim_time_t boot_ns;
    int64_t last_assigned_pages;
    int64_t last_balloon_target_pages;
    sim_time_t short_since_ns; /* -1: not short */
    int short_reported;
} hyperv_vm_state_t;

typedef struct hyperv_state {
    const hyperv_params_t *p;
    int32_t n;
    int phase;
    hyperv_vm_state_t *vm;
    policy_vm_obs_t *obs;
    hyperv_alloc_vm_t *alloc;
    int32_t *idx;
    int64_t *out;
} hyperv_state_t;

static void hyperv_destroy(void *state)
{
    hyperv_state_t *s = state;
    if (!s)
        return;
    free(s->vm);
    free(s->obs);
    free(s->alloc);
    free(s->idx);
    free(s->out);
    free(s);
}

static int hyperv_create(void **state, const void *params, policy_ctx_t *ctx, gsl_rng *rng, char *err,
                         size_t errlen)
{
    hyperv_state_t *s = calloc(1, sizeof *s);
    *state = NULL;
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return SIM_ENOMEM;
    }
    s->p = params;
    s->n = policy_nvms(ctx);
    size_t n = (size_t)(s->n > 0 ? s->n : 1);
    s->vm = calloc(n, sizeof *s->vm);
    s->obs = calloc(n, sizeof *s->obs);
    s->alloc = calloc(n, sizeof *s->alloc);
    s->idx = calloc(n, sizeof *s->idx);
    s->out = calloc(n, sizeof *s->out);
    if (!s->vm || !s->obs || !s->alloc || !s->idx || !s->out) {
        hyperv_destroy(s);
        snprintf(err, errlen, "out of memory");
        return SIM_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        s->vm[i].short_since_ns = -1;
    *state = s;
    return SIM_OK;
}

static int64_t need_pages(const policy_vm_obs_t *o)
{
    int64_t c = o->committed_pages;
    return c < o->min_pages ? o->min_pages : c > o->configured_pages ? o->configured_pages : c;
}

static void short_end(policy_ctx_t *ctx, hyperv_vm_state_t *v, int32_t i, sim_time_t now)
{
    if (v->short_reported)
        policy_log(ctx, i, "short_end", sim_time_to_s(now - v->short_since_ns));
    v->short_since_ns = -1;
    v->short_reported = 0;
}

/* Step 1: boots and restarts, Smart Paging. */
static void hyperv_life(hyperv_state_t *s, policy_ctx_t *ctx, const policy_host_obs_t *h, int32_t n,
                        sim_time_t now)
{
    for (int32_t i = 0; i < n; i++) {
        const policy_vm_obs_t *o = &s->obs[i];
        hyperv_vm_state_t *v = &s->vm[i];
        if (!o->running) {
            if (v->seen_running)
                short_end(ctx, v, i, now);
            v->seen_running = 0;
            continue;
        }
        int booted = !v->seen_running || o->assigned_pages < v->last_assigned_pages ||
                     (!v->set_last && v->last_balloon_target_pages > 0 && o->balloon_target_pages == 0 &&
                      o->balloon_pages == 0 && o->assigned_pages == o->startup_pages);
        if (booted) {
            if (v->seen_running)
                short_end(ctx, v, i, now);
            v->boot_ns = now - s->p->interval_ns > 0 ? now - s->p->interval_ns : 0;
            /* Can the startup RAM come from free memory and other VMs' surplus?  The pages
             * this guest has used since boot were taken from free memory already. */
            int64_t have = h->free_pages + (o->usable_pages - o->guest_free_pages);
            for (int32_t j = 0; j < n; j++) {
                const policy_vm_obs_t *q = &s->obs[j];
                if (j != i && q->running && q->usable_pages > need_pages(q))
                    have += q->usable_pages - need_pages(q);
            }
            if (o->startup_pages > have)
                policy_log(ctx, i, "smart_paging", (double)((o->startup_pages - have) * SIM_PAGE_BYTES));
            v->short_since_ns = -1;
            v->short_reported = 0;
        }
        v->seen_running = 1;
        v->last_assigned_pages = o->assigned_pages;
        v->last_balloon_target_pages = o->balloon_target_pages;
    }
}

/* Memory a start can have: what no running VM holds (Hyper-V backs all of a VM's
 * memory; the simulated host's free pages also count the pages a guest never touched). */
static int64_t start_free(const policy_host_obs_t *h)
{
    return h->unallocated_pages < h->free_pages ? h->unallocated_pages : h->free_pages;
}

/* Step 0: VM starts (models/request.h), oldest first.  A start is granted when free
 * memory holds its startup RAM (and overhead); when it does not but free memory and what
 * the other VMs hold above their committed memory together would, its pages are held back
 * from the balance (the other VMs are ballooned down) and it waits; when even that would
 * not do, a restart is granted anyway (Smart Paging bridges the gap: logged at its boot
 * by step 1) and a start from off is refused ("Not enough memory in the system to start
 * the virtual machine").  Returns the pages held back. */
static int64_t hyperv_requests(hyperv_state_t *s, policy_ctx_t *ctx, policy_host_obs_t *h, int32_t n)
{
    policy_request_t r;
    while (policy_request_next(ctx, &r)) {
        int64_t free_pages = start_free(h);
        if (free_pages >= r.pages) {
            policy_request_grant(ctx, r.id);
            policy_host(ctx, h);
            continue;
        }
        int64_t reclaimable = 0;
        for (int32_t j = 0; j < n; j++) {
            const policy_vm_obs_t *q = &s->obs[j];
            if (j != r.vm && q->running && q->usable_pages > need_pages(q))
                reclaimable += q->usable_pages - need_pages(q);
        }
        if (free_pages + reclaimable >= r.pages)
            return r.pages;
        if (r.restart) {
            policy_request_grant(ctx, r.id);
            policy_host(ctx, h);
        } else {
            policy_request_refuse(ctx, r.id, REQUEST_NOT_ENOUGH_MEMORY);
        }
    }
    return 0;
}

/* The first test of a start, at once: free memory holds it. */
static policy_admit_t hyperv_admit(void *state, policy_ctx_t *ctx, const policy_request_t *r)
{
    policy_host_obs_t h;
    policy_host(ctx, &h);
    return start_free(&h) >= r->pages ? POLICY_REQUEST_GRANT : POLICY_REQUEST_WAIT;
}

/* Step 4: pressure above 100 % for too long. */
static void hyperv_short(hyperv_state_t *s, policy_ctx_t *ctx, int32_t i, sim_time_t now)
{
    const policy_vm_obs_t *o = &s->obs[i];
    hyperv_vm_state_t *v = &s->vm[i];
    if (o->committed_pages > o->usable_pages) {
        if (v->short_since_ns < 0)
            v->short_since_ns = now;
        if (!v->short_reported && now - v->short_since_ns >= s->p->short_after_ns) {
            policy_log(ctx, i, "short", (double)((o->committed_pages - o->usable_pages) * SIM_PAGE_BYTES));
            v->short_reported = 1;
        }
    } else if (v->short_since_ns >= 0) {
        short_end(ctx, v, i, now);
    }
}

/* A decisions row of VM o: its inputs, the shortage phase that decided (or first-report:
 * its guest has not reported yet and it keeps its startup memory; stuck: held where its
 * balloon is), and the target set.  a is NULL for a VM left out of the balance. */
static void hyperv_decision(policy_ctx_t *ctx, int32_t i, const policy_vm_obs_t *o, const hyperv_alloc_vm_t *a,
                            int64_t avail_pages, int64_t alloc_pages, int64_t cur_pages, int phase, int set)
{
    static const char *const phases[] = {"ample", "short-buffer", "short-committed", "short-minimum"};
    char buf[512];
    policy_json_t j;
    policy_json_begin(&j, buf, sizeof buf);
    policy_json_int(&j, "committed_pages", o->committed_pages);
    policy_json_num(&j, "buffer", o->buffer);
    policy_json_num(&j, "weight", o->weight);
    policy_json_num(&j, "pressure", o->usable_pages > 0 ? (double)o->committed_pages / (double)o->usable_pages : 0);
    policy_json_int(&j, "usable_pages", o->usable_pages);
    policy_json_int(&j, "guest_free_pages", o->guest_free_pages);
    policy_json_int(&j, "available_pages", avail_pages);
    if (a) {
        policy_json_int(&j, "lo_pages", a->lo_pages);
        policy_json_int(&j, "hi_pages", a->hi_pages);
        policy_json_int(&j, "allocation_pages", alloc_pages);
        policy_json_int(&j, "current_target_pages", cur_pages);
    }
    const char *rule = !a ? "first-report" : o->balloon_stuck ? "stuck"
                     : phase >= 0 && phase < 4 ? phases[phase] : "?";
    policy_decision(ctx, i, rule, set ? alloc_pages : -1, policy_json_end(&j));
}

static void hyperv_tick(void *state, policy_ctx_t *ctx, sim_time_t now)
{
    hyperv_state_t *s = state;
    const hyperv_params_t *p = s->p;
    policy_host_obs_t h;
    policy_host(ctx, &h);
    int32_t n = s->n;                      /* a host's VMs are placed before its policy */
    for (int32_t i = 0; i < n; i++)
        policy_vm(ctx, i, &s->obs[i]);
    hyperv_life(s, ctx, &h, n, now);
    int64_t held_back = hyperv_requests(s, ctx, &h, n);

    /* 2. balance the VMs whose guests have reported */
    size_t m = 0;
    int64_t avail = h.free_pages - h.high_pages - held_back;
    int linux_floor = !strcmp(p->guest_floor, "linux-hv");
    for (int32_t i = 0; i < n; i++) {
        const policy_vm_obs_t *o = &s->obs[i];
        s->vm[i].set_last = 0;
        if (!o->running || now - s->vm[i].boot_ns < p->first_report_ns)
            continue;
        hyperv_alloc_vm_t *a = &s->alloc[m];
        int64_t lo = o->min_pages;
        if (linux_floor) {
            int64_t fl = balloon_linux_hv_floor_pages(o->assigned_pages);
            lo = fl > lo ? fl : lo;
        }
        int64_t hi = o->configured_pages;
        lo = lo > hi ? hi : lo;
        if (o->balloon_stuck)
            lo = hi = o->usable_pages;     /* the driver cannot follow: hold it */
        a->committed_pages = (double)o->committed_pages;
        a->buffer = o->buffer;
        a->weight = o->weight;
        a->lo_pages = lo;
        a->hi_pages = hi;
        s->idx[m++] = i;
        avail += o->usable_pages - (o->guest_free_pages > 0 ? o->guest_free_pages : 0);
    }
    if (m > 0) {
        int phase = hyperv_allocate(s->alloc, m, avail, s->out);
        if (phase != s->phase) {
            policy_log(ctx, -1, "shortage", phase);
            s->phase = phase;
        }
        int64_t min_change = p->min_change_bytes / SIM_PAGE_BYTES;
        for (size_t j = 0; j < m; j++) {
            int32_t i = s->idx[j];
            const policy_vm_obs_t *o = &s->obs[i];
            int64_t cur = o->assigned_pages - o->balloon_target_pages;
            int64_t d = s->out[j] - cur;
            int set = d != 0 && llabs(d) >= (min_change > 0 ? min_change : 1);
            if (set) {
                policy_set_target(ctx, i, s->out[j], 1);
                s->vm[i].set_last = 1;
            }
            if (policy_decisions(ctx, i))
                hyperv_decision(ctx, i, o, &s->alloc[j], avail, s->out[j], cur, phase, set);
        }
    }
    for (int32_t i = 0; i < n; i++)    /* running VMs left out of the balance */
        if (s->obs[i].running && now - s->vm[i].boot_ns < p->first_report_ns && policy_decisions(ctx, i))
            hyperv_decision(ctx, i, &s->obs[i], NULL, avail, -1, -1, -1, 0);

    /* 4. short VMs (on the state seen at the start of the tick) */
    for (int32_t i = 0; i < n; i++)
        if (s->obs[i].running)
            hyperv_short(s, ctx, i, now);
}

const policy_type_t policy_hyperv = {
    .name = "hyperv-dm",
    .summary = "Hyper-V Dynamic Memory: committed x (1 + buffer), hot-add to grow, balloon to shrink, "
               "weight under shortage, Smart Paging and short-VM reports",
    .keys = &hyperv_table,
    .params_size = sizeof(hyperv_params_t),
    .check = NULL,
    .interval_ns = hyperv_interval,
    .create = hyperv_create,
    .destroy = hyperv_destroy,
    .tick = hyperv_tick,
    .admit = hyperv_admit,
};
