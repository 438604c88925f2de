/*
 * models/balloon.c -- the balloon driver state machine and hot-add.  The model, the state
 * diagram, presets and sources are in balloon.h.
 *
 * Transitions and the function for each:
 *   IDLE -> WAITING                 balloon_set_target (target differs from size)
 *   WAITING -> INFLATING/DEFLATING  on_start (after latency; refusal: stay WAITING, retry
 *                                   after backoff, doubling to retry_max)
 *   INFLATING/DEFLATING -> same     on_chunk (one chunk moved, more to do)
 *   INFLATING/DEFLATING -> IDLE     on_chunk (target met: 'ok'; guest can give nothing
 *                                   more: 'limited'), or -> WAITING on a reversal ('retargeted')
 *   any -> unresponsive -> any      on_fault (pending chunk is abandoned and restarted)
 * Every finished operation is one row of balloon_ops.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include "models/balloon.h"
#include "models/dc.h"
#include "models/host.h"
#include "models/vm.h"


#define OFF(f) offsetof(balloon_params_t, f)
static const sim_key_t balloon_keys[] = {
    {"preset", SIM_KEY_CHOICE, OFF(preset), "vmware", SIM_NO_RANGE, "vmware|virtio|hyperv|xen|custom",
     "driver preset; its values apply first, keys given here override them"},
    {"latency", SIM_KEY_DURATION, OFF(latency_ns), "1s", 0, 3600e9, NULL,
     "delay from a new target to the driver starting to move (duration)"},
    {"inflate_rate", SIM_KEY_RATE, OFF(inflate_bytes_per_s), "64MiB/s", 4096, 1e13, NULL,
     "inflation speed when the guest gives free or cache pages (size/s)"},
    {"deflate_rate", SIM_KEY_RATE, OFF(deflate_bytes_per_s), "64MiB/s", 4096, 1e13, NULL,
     "deflation speed (size/s)"},
    {"chunk", SIM_KEY_BYTES, OFF(chunk_bytes), "16MiB", 4096, 1e12, NULL,
     "movement per simulated step, so fault rates follow the balloon (size)"},
    {"granularity", SIM_KEY_BYTES, OFF(granularity_bytes), "4KiB", 4096, 1e10, NULL,
     "targets are rounded to this unit (size)"},
    {"cpu_per_page", SIM_KEY_DURATION, OFF(cpu_per_page_ns), "1us", 0, 1e9, NULL,
     "guest CPU time per page moved (duration)"},
    {"max_fraction", SIM_KEY_FRACTION, OFF(max_fraction), "65%", 0, 1, NULL,
     "largest balloon as a share of configured memory (ESX Mem.CtlMaxPercent)"},
    {"floor", SIM_KEY_CHOICE, OFF(floor), "none", SIM_NO_RANGE, "none|linux-hv",
     "guest floor the driver never balloons below (linux-hv: hv_balloon's table)"},
    {"mtbf", SIM_KEY_DURATION, OFF(mtbf_ns), "0s", 0, 1e18, NULL,
     "mean time between unresponsive periods, exponential; 0 = never (duration)"},
    {"unresponsive_mean", SIM_KEY_DURATION, OFF(unresponsive_mean_ns), "30s", 0, 1e18, NULL,
     "mean length of an unresponsive period, exponential (duration)"},
    {"refuse_probability", SIM_KEY_FRACTION, OFF(refuse_probability), "0", 0, 1, NULL,
     "probability that the guest refuses an operation when it starts"},
    {"retry", SIM_KEY_DURATION, OFF(retry_ns), "1s", 1e6, 3600e9, NULL,
     "first back-off after a refusal; doubles each time (duration)"},
    {"retry_max", SIM_KEY_DURATION, OFF(retry_max_ns), "32s", 1e6, 3600e9, NULL,
     "largest back-off (duration)"},
    {"deflate_on_oom", SIM_KEY_BOOL, OFF(deflate_on_oom), "no", SIM_NO_RANGE, NULL,
     "a guest OOM deflates the balloon 256 pages at a time (virtio DEFLATE_ON_OOM)"},
    {"hotadd_chunk", SIM_KEY_BYTES, OFF(hotadd_chunk_bytes), "128MiB", 4096, 1e12, NULL,
     "hot-add grows memory in these units (size; Hyper-V 128 MB)"},
    {"hotadd_latency", SIM_KEY_DURATION, OFF(hotadd_latency_ns), "1s", 0, 3600e9, NULL,
     "delay of one hot-add (duration)"},
    {"pressure_rate", SIM_KEY_RATE, OFF(pressure_bytes_per_s), "0B/s", 0, 1e13, NULL,
     "inflation rate for pages the guest must reclaim (cache, anon), halved on failure down to pressure_rate_min "
     "and raised by 16 pages/s per second (old vmw_balloon: 2048 -> 512 pages/s); 0 = inflate_rate (size/s)"},
    {"pressure_rate_min", SIM_KEY_RATE, OFF(pressure_min_bytes_per_s), "0B/s", 0, 1e13, NULL,
     "floor of pressure_rate after halvings (vmw_balloon VMW_BALLOON_RATE_ALLOC_MIN = 512 pages/s; size/s)"},
    {"stuck_after", SIM_KEY_DURATION, OFF(stuck_after_ns), "5s", 1e6, 3600e9, NULL,
     "a pending target with no progress for this long is reported stuck (squeezed: 5 s)"},
    {"rate", SIM_KEY_RATE, OFF(rate_bytes_per_s), "0B/s", 0, 1e13, NULL,
     "one speed for inflation and deflation, overriding both; 0 = use inflate_rate and deflate_rate (size/s)"},
    {"lower_limit", SIM_KEY_BYTES, OFF(lower_limit_bytes), "0B", 0, 1e15, NULL,
     "hidden floor: the driver never shrinks usable memory below this, targets are not clamped; 0 = none (size)"},
    {"upper_limit", SIM_KEY_BYTES, OFF(upper_limit_bytes), "0B", 0, 1e15, NULL,
     "hidden ceiling: the driver never grows usable memory above this by deflating; 0 = none (size)"},
    {"stuck", SIM_KEY_BOOL, OFF(stuck), "no", SIM_NO_RANGE, NULL,
     "the driver is permanently stuck: it never starts an operation"},
    {"stuck_interval", SIM_KEY_DURATION, OFF(stuck_interval_ns), "0s", 0, 3.2e17, NULL,
     "intermittently stuck: free for this long from boot, then stuck as long, and so on; 0 = never (duration)"},
    {"inaccuracy", SIM_KEY_BYTES, OFF(inaccuracy_bytes), "0B", 0, 1e12, NULL,
     "the driver stops this far short of its target, and declares it (squeezed's inaccuracy; size)"},
    {"boot_ballooned", SIM_KEY_BOOL, OFF(boot_ballooned), "no", SIM_NO_RANGE, NULL,
     "a VM boots with all of memory and its balloon holding memory - startup (Xen), not at startup size"},
    {"grow_needs_free", SIM_KEY_BOOL, OFF(grow_needs_free), "no", SIM_NO_RANGE, NULL,
     "deflating takes host memory no domain holds; with none the driver backs off and retries (Xen)"},
    {"stats_period", SIM_KEY_DURATION, OFF(stats_period_ns), "0s", 0, 3600e9, NULL,
     "the guest reports its memory statistics (free, cache, committed, fault rates) this often; a policy reads "
     "the last report (duration; 0 = always current; virtio 5 s, hyperv 1 s: docs/policies.md)"},
};
const sim_key_table_t balloon_key_table = SIM_KEY_TABLE("balloon", balloon_keys);

const char *balloon_preset(const char *name)
{
    if (!strcmp(name, "vmware"))
        return "latency=1s;inflate_rate=64MiB/s;deflate_rate=64MiB/s;granularity=4KiB;max_fraction=65%;"
               "cpu_per_page=1us;deflate_on_oom=no;floor=none;retry=1s;retry_max=32s;"
               "pressure_rate=8MiB/s;pressure_rate_min=2MiB/s";
    if (!strcmp(name, "virtio"))
        return "latency=5ms;inflate_rate=1.7GB/s;deflate_rate=1.7GB/s;granularity=1MiB;max_fraction=100%;"
               "cpu_per_page=1us;deflate_on_oom=yes;floor=none;retry=200ms;retry_max=200ms;stats_period=5s";
    if (!strcmp(name, "hyperv"))
        return "latency=1s;inflate_rate=1GiB/s;deflate_rate=1GiB/s;granularity=2MiB;max_fraction=100%;"
               "cpu_per_page=1us;deflate_on_oom=no;floor=linux-hv;hotadd_chunk=128MiB;hotadd_latency=1s;stats_period=1s";
    if (!strcmp(name, "xen"))
        return "latency=10ms;inflate_rate=1GiB/s;deflate_rate=1GiB/s;granularity=2MiB;max_fraction=100%;"
               "cpu_per_page=1us;deflate_on_oom=no;floor=none;retry=1s;retry_max=32s;boot_ballooned=yes;"
               "grow_needs_free=yes";
    if (!strcmp(name, "custom"))
        return "";
    return NULL;
}

int balloon_params_check(const balloon_params_t *p, const char **key, char *err, size_t errlen)
{
    const struct { int bad; const char *key, *msg; } rules[] = {
        {p->retry_max_ns < p->retry_ns, "retry_max", "retry_max must be >= retry"},
        {p->rate_bytes_per_s > 0 && p->rate_bytes_per_s < SIM_PAGE_BYTES, "rate",
         "rate must be 0 (unset) or at least 4KiB/s"},
        {p->upper_limit_bytes > 0 && p->upper_limit_bytes < p->lower_limit_bytes, "upper_limit",
         "upper_limit must be 0 (none) or >= lower_limit"},
        {p->stuck_interval_ns > 0 && p->stuck_interval_ns < 1000000, "stuck_interval",
         "stuck_interval must be 0 (never) or at least 1ms"},
        {p->pressure_min_bytes_per_s > p->pressure_bytes_per_s, "pressure_rate_min",
         "pressure_rate_min must be <= pressure_rate"},
    };
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        if (rules[i].bad) {
            *key = rules[i].key;
            snprintf(err, errlen, "%s", rules[i].msg);
            return SIM_EINPUT;
        }
    *key = NULL;
    return SIM_OK;
}

const char *balloon_op_kind_name(balloon_op_kind_t k)
{
    return k == BALLOON_OP_INFLATE ? "inflate" : k == BALLOON_OP_DEFLATE ? "deflate" : "hotadd";
}

int64_t balloon_linux_hv_floor_pages(int64_t ram_pages)
{
    /* drivers/hv/hv_balloon.c: RAM (MiB) -> floor (MiB), linear between the points. */
    static const double ram_mib[] = {0, 16, 32, 128, 512, 2048, 8192, 32768};
    static const double floor_mib[] = {0, 16, 24, 72, 168, 360, 744, 1512};
    double mib = (double)ram_pages * (double)SIM_PAGE_BYTES / (double)SIM_MIB, f;
    size_t n = sizeof ram_mib / sizeof ram_mib[0];
    if (mib >= ram_mib[n - 1]) {
        /* beyond the table: the driver's last segment slope (MiB/MiB) */
        f = floor_mib[n - 1] + (mib - ram_mib[n - 1]) * (floor_mib[n - 1] - floor_mib[n - 2]) /
                                  (ram_mib[n - 1] - ram_mib[n - 2]);
    } else {
        size_t i = 1;
        while (mib > ram_mib[i])
            i++;
        f = floor_mib[i - 1] + (mib - ram_mib[i - 1]) * (floor_mib[i] - floor_mib[i - 1]) /
                                   (ram_mib[i] - ram_mib[i - 1]);
    }
    return (int64_t)ceil(f * (double)SIM_MIB / (double)SIM_PAGE_BYTES);
}

/* ------------------------------------------------------------------ driver */

static const balloon_params_t *P(const vm_t *v) { return &v->gp->balloon; }
static sim_engine_t *E(const vm_t *v) { return v->host->dc->engine; }

enum { PRIO_BALLOON = 20 };

int64_t balloon_max_pages(const vm_t *v)
{
    const balloon_params_t *p = P(v);
    int64_t cap = (int64_t)floor(p->max_fraction * (double)v->configured_pages);
    int64_t floor_pages = 0;
    if (!strcmp(p->floor, "linux-hv"))
        floor_pages = balloon_linux_hv_floor_pages(v->assigned_pages);
    floor_pages = sim_max64(floor_pages, v->g.kernel_pages);
    return sim_max64(0, sim_min64(cap, v->assigned_pages - floor_pages));
}

static double inflate_pages_per_s(const balloon_params_t *p)
{
    return (p->rate_bytes_per_s > 0 ? p->rate_bytes_per_s : p->inflate_bytes_per_s) / (double)SIM_PAGE_BYTES;
}

static double deflate_pages_per_s(const balloon_params_t *p)
{
    return (p->rate_bytes_per_s > 0 ? p->rate_bytes_per_s : p->deflate_bytes_per_s) / (double)SIM_PAGE_BYTES;
}

/* The driver makes no progress: unresponsive (mtbf) or in a stuck half-period. */
static int halted(const balloon_t *b) { return b->unresponsive || b->stuck_phase; }

/* What is left to move towards the target after the driver's inaccuracy: the signed
 * distance shortened by inaccuracy pages, 0 when within it (test/squeeze_test.ml). */
static int64_t distance_pages(const vm_t *v)
{
    int64_t want = v->b.target_pages - v->b.size_pages;
    int64_t x = sim_bytes_to_pages(P(v)->inaccuracy_bytes);
    if (llabs(want) <= x)
        return 0;
    return want > 0 ? want - x : want + x;
}

/* Balloon pages the hidden limits allow: at most assigned - lower_limit (inflating), at
 * least assigned - upper_limit (deflating). */
static int64_t hidden_max_pages(const vm_t *v)
{
    int64_t lo = sim_bytes_to_pages(P(v)->lower_limit_bytes);
    return lo > 0 ? v->assigned_pages - lo : INT64_MAX;
}

static int64_t hidden_min_pages(const vm_t *v)
{
    int64_t hi = sim_bytes_to_pages(P(v)->upper_limit_bytes);
    return hi > 0 ? sim_max64(0, v->assigned_pages - hi) : 0;
}

static void finish_op(vm_t *v, sim_time_t now, const char *outcome)
{
    balloon_t *b = &v->b;
    v->c.balloon_ops += 1;
    vm_record_op(v, b->op_seq, balloon_op_kind_name(b->op_kind), b->op_issued_ns, b->op_started_ns, now,
                 b->op_asked_pages, b->op_moved_pages, outcome);
    b->op_moved_pages = 0;
    b->op_asked_pages = 0;
}

static void on_start(void *ctx, int64_t arg, sim_time_t now);
static void on_chunk(void *ctx, int64_t arg, sim_time_t now);

static void issue(vm_t *v, sim_time_t now, sim_time_t delay)
{
    balloon_t *b = &v->b;
    b->state = BALLOON_WAITING;
    b->op_seq++;
    b->op_kind = b->target_pages > b->size_pages ? BALLOON_OP_INFLATE : BALLOON_OP_DEFLATE;
    b->op_issued_ns = now;
    b->op_started_ns = -1;
    b->op_asked_pages = llabs(b->target_pages - b->size_pages);
    b->op_moved_pages = 0;
    if (!halted(b) && !P(v)->stuck)      /* a stuck driver never starts: WAITING for ever */
        b->ev = sim_engine_at(E(v), now + delay, PRIO_BALLOON, on_start, v, 0);
}

/* Start the next chunk of the current direction, or end the operation. */
static void next_chunk(vm_t *v, sim_time_t now)
{
    balloon_t *b = &v->b;
    const balloon_params_t *p = P(v);
    int64_t want = distance_pages(v);
    int inflate = b->op_kind == BALLOON_OP_INFLATE;
    if (want == 0 || (want > 0) != inflate) {
        finish_op(v, now, want == 0 ? "ok" : "retargeted");
        b->state = BALLOON_IDLE;
        b->progress_ns = now;
        b->backoff_ns = 0;
        if (want != 0)
            issue(v, now, p->latency_ns);
        return;
    }
    int64_t n = sim_min64(llabs(want), sim_bytes_to_pages(p->chunk_bytes));
    double secs;
    if (inflate) {
        int64_t can = sim_min64(guest_reclaimable_total(&v->g), balloon_max_pages(v) - b->size_pages);
        n = sim_min64(n, sim_min64(can, hidden_max_pages(v) - b->size_pages));
        if (n <= 0) {
            finish_op(v, now, "limited");
            b->state = BALLOON_IDLE;
            if (p->pressure_bytes_per_s > 0 && guest_reclaimable_total(&v->g) <= 0)
                /* a failed sleeping allocation (nothing left to reclaim) halves the rate */
                b->pressure_pages_per_s = fmax(b->pressure_pages_per_s / 2,
                                               p->pressure_min_bytes_per_s / (double)SIM_PAGE_BYTES);
            return;
        }
        int64_t cheap = sim_min64(n, guest_reclaimable_cheap(&v->g));
        double rate = inflate_pages_per_s(p);
        double anon_rate = fmin(rate, v->gp->swap_bytes_per_s / (double)SIM_PAGE_BYTES);
        if (p->pressure_bytes_per_s > 0) {
            /* vmw_balloon: free pages without sleeping, the rest at the sleeping rate */
            int64_t free_now = sim_min64(n, sim_max64(0, guest_free_pages(&v->g)));
            double slow = fmax(1.0, fmin(rate, b->pressure_pages_per_s));
            secs = (double)free_now / rate + (double)(cheap - free_now) / slow +
                   (double)(n - cheap) / fmin(slow, anon_rate);
            b->chunk_pressure_s = secs - (double)free_now / rate;
        } else {
            secs = (double)cheap / rate + (double)(n - cheap) / anon_rate;
        }
        if (v->g.dirty_fraction > 0) {
            /* dirty cached pages are written back first, at the disk's rate */
            int64_t from_cache = sim_min64(cheap - sim_min64(cheap, sim_max64(0, guest_free_pages(&v->g))),
                                       v->g.cache_pages + v->g.stale_pages);
            secs += v->g.dirty_fraction * (double)from_cache * (1.0 / anon_rate - 1.0 / rate);
        }
        b->state = BALLOON_INFLATING;
    } else {
        n = sim_min64(n, b->size_pages - hidden_min_pages(v));
        if (n <= 0) {
            finish_op(v, now, "limited");
            b->state = BALLOON_IDLE;
            return;
        }
        if (p->grow_needs_free) {
            n = sim_min64(n, host_unallocated_pages(v->host));
            if (n <= 0) {                 /* Xen: no free page for the guest; back off */
                finish_op(v, now, "nomem");
                b->backoff_ns = b->backoff_ns ? sim_min64(2 * b->backoff_ns, p->retry_max_ns) : p->retry_ns;
                issue(v, now, b->backoff_ns);
                return;
            }
        }
        secs = (double)n / deflate_pages_per_s(p);
        b->state = BALLOON_DEFLATING;
    }
    b->chunk_pages = n;
    sim_time_t dt = (sim_time_t)ceil(secs * 1e9);
    b->ev = sim_engine_at(E(v), now + (dt > 0 ? dt : 1), PRIO_BALLOON, on_chunk, v, 0);
}

static void on_start(void *ctx, int64_t arg, sim_time_t now)
{
    vm_t *v = ctx;
    balloon_t *b = &v->b;
    const balloon_params_t *p = P(v);
    b->ev = NULL;
    if (!v->running)
        return;
    if (distance_pages(v) == 0) {
        b->op_started_ns = now;
        finish_op(v, now, "ok");
        b->state = BALLOON_IDLE;
        return;
    }
    if (p->refuse_probability > 0 && gsl_rng_uniform(b->refuse_rng) < p->refuse_probability) {
        b->op_started_ns = now;
        finish_op(v, now, "refused");
        b->backoff_ns = b->backoff_ns ? sim_min64(2 * b->backoff_ns, p->retry_max_ns) : p->retry_ns;
        issue(v, now, b->backoff_ns);
        return;
    }
    b->op_started_ns = now;
    next_chunk(v, now);
}

static void on_chunk(void *ctx, int64_t arg, sim_time_t now)
{
    vm_t *v = ctx;
    balloon_t *b = &v->b;
    b->ev = NULL;
    if (!v->running)
        return;
    host_advance_vm(v, now);
    int64_t n = b->chunk_pages;
    guest_delta_t d = {0};
    if (b->state == BALLOON_INFLATING) {
        n = sim_min64(n, sim_min64(guest_reclaimable_total(&v->g), balloon_max_pages(v) - b->size_pages));
        if (n > 0) {
            guest_reclaim(&v->g, n, &d);
            b->size_pages += n;
            v->c.balloon_inflated_pages += (double)n;
        }
    } else {
        n = sim_min64(n, b->size_pages);
        guest_grow(&v->g, n);
        b->size_pages -= n;
        v->c.balloon_deflated_pages += (double)n;
    }
    b->chunk_pages = 0;
    if (n > 0 && b->chunk_pressure_s > 0) {
        /* vmw_balloon: + VMW_BALLOON_RATE_ALLOC_INC per 1 s cycle spent at the sleeping rate */
        const balloon_params_t *p = P(v);
        b->pressure_pages_per_s = fmin(b->pressure_pages_per_s + 16.0 * floor(b->chunk_pressure_s),
                                       p->pressure_bytes_per_s / (double)SIM_PAGE_BYTES);
    }
    b->chunk_pressure_s = 0;
    if (n > 0) {
        b->op_moved_pages += n;
        b->progress_ns = now;
        v->c.balloon_cpu_ns += (double)n * (double)P(v)->cpu_per_page_ns;
    }
    host_apply_delta(v->host, v, &d, now);
    next_chunk(v, now);
}

/* The driver stops: abandon the pending step (it is redone when the driver resumes). */
static void pause_driver(vm_t *v)
{
    balloon_t *b = &v->b;
    if (b->ev) {
        sim_engine_cancel(E(v), b->ev);
        b->ev = NULL;
        b->chunk_pages = 0;
    }
}

/* The driver runs again, unless another cause still halts it. */
static void resume_driver(vm_t *v, sim_time_t now)
{
    balloon_t *b = &v->b;
    if (halted(b) || b->ev)
        return;
    if (b->state == BALLOON_WAITING && !P(v)->stuck)
        b->ev = sim_engine_at(E(v), now, PRIO_BALLOON, on_start, v, 0);
    else if (b->state == BALLOON_INFLATING || b->state == BALLOON_DEFLATING)
        next_chunk(v, now);
}

/* stuck_interval: free for T from boot, stuck for T, free for T, ... */
static void on_sticky(void *ctx, int64_t arg, sim_time_t now)
{
    vm_t *v = ctx;
    balloon_t *b = &v->b;
    b->sticky_ev = NULL;
    if (!v->running)
        return;
    b->stuck_phase = !b->stuck_phase;
    vm_record_event(v, now, "balloon_stuck", b->stuck_phase);
    if (b->stuck_phase)
        pause_driver(v);
    else
        resume_driver(v, now);
    b->sticky_ev = sim_engine_at(E(v), now + P(v)->stuck_interval_ns, PRIO_BALLOON, on_sticky, v, 0);
}

static void on_fault(void *ctx, int64_t arg, sim_time_t now)
{
    vm_t *v = ctx;
    balloon_t *b = &v->b;
    const balloon_params_t *p = P(v);
    b->fault_ev = NULL;
    if (!v->running)
        return;
    if (!b->unresponsive) {
        b->unresponsive = 1;
        vm_record_event(v, now, "balloon_unresponsive", 1);
        pause_driver(v);
        double mean_s = sim_time_to_s(p->unresponsive_mean_ns);
        sim_time_t d = (sim_time_t)(gsl_ran_exponential(b->rng, mean_s > 0 ? mean_s : 1e-9) * 1e9) + 1;
        b->fault_ev = sim_engine_at(E(v), now + d, PRIO_BALLOON, on_fault, v, 0);
    } else {
        b->unresponsive = 0;
        vm_record_event(v, now, "balloon_unresponsive", 0);
        resume_driver(v, now);
        sim_time_t d = (sim_time_t)(gsl_ran_exponential(b->rng, sim_time_to_s(p->mtbf_ns)) * 1e9) + 1;
        b->fault_ev = sim_engine_at(E(v), now + d, PRIO_BALLOON, on_fault, v, 0);
    }
}

void balloon_init(vm_t *v, gsl_rng *rng, gsl_rng *refuse_rng)
{
    balloon_t *b = &v->b;
    memset(b, 0, sizeof *b);
    b->rng = rng;
    b->refuse_rng = refuse_rng;
    const balloon_params_t *p = P(v);
    b->pressure_pages_per_s = p->pressure_bytes_per_s / (double)SIM_PAGE_BYTES;   /* starts at the max */
    if (p->mtbf_ns > 0) {
        sim_time_t d = (sim_time_t)(gsl_ran_exponential(rng, sim_time_to_s(p->mtbf_ns)) * 1e9) + 1;
        b->fault_ev = sim_engine_at(E(v), sim_engine_now(E(v)) + d, PRIO_BALLOON, on_fault, v, 0);
    }
    if (p->stuck_interval_ns > 0)
        b->sticky_ev = sim_engine_at(E(v), sim_engine_now(E(v)) + p->stuck_interval_ns, PRIO_BALLOON,
                                     on_sticky, v, 0);
}

/* The target the driver will actually pursue: rounded down to the granularity and
 * clamped to [0, balloon_max_pages]. */
static int64_t clamp_target(const vm_t *v, int64_t target)
{
    int64_t grain = sim_max64(1, sim_bytes_to_pages(P(v)->granularity_bytes));
    target = (target / grain) * grain;
    return sim_max64(0, sim_min64(target, balloon_max_pages(v)));
}

void balloon_set_target(vm_t *v, int64_t target, sim_time_t now)
{
    balloon_t *b = &v->b;
    const balloon_params_t *p = P(v);
    target = clamp_target(v, target);
    if (target == b->target_pages && b->state != BALLOON_IDLE)
        return;
    b->target_pages = target;
    if (target != b->size_pages)
        b->progress_ns = b->state == BALLOON_IDLE ? now : b->progress_ns;
    switch (b->state) {
    case BALLOON_IDLE:
        if (distance_pages(v) != 0)
            issue(v, now, p->latency_ns);
        else
            b->progress_ns = now;
        break;
    case BALLOON_WAITING:
        b->op_kind = target > b->size_pages ? BALLOON_OP_INFLATE : BALLOON_OP_DEFLATE;
        b->op_asked_pages = llabs(target - b->size_pages);
        break;
    case BALLOON_INFLATING:
    case BALLOON_DEFLATING:
        if ((target > b->size_pages) == (b->op_kind == BALLOON_OP_INFLATE))
            b->op_asked_pages = sim_max64(b->op_asked_pages, b->op_moved_pages + llabs(target - b->size_pages));
        break;   /* a reversal is handled when the chunk in flight completes */
    }
}

static void on_hotadd(void *ctx, int64_t arg, sim_time_t now)
{
    vm_t *v = ctx;
    balloon_t *b = &v->b;
    b->hotadd_ev = NULL;
    if (!v->running)
        return;
    host_advance_vm(v, now);
    int64_t n = sim_min64(b->hotadd_pages, v->configured_pages - v->assigned_pages);
    v->assigned_pages += n;
    guest_grow(&v->g, n);
    v->c.hotadd_pages += (double)n;
    v->c.balloon_ops += 1;
    vm_record_op(v, ++b->op_seq, "hotadd", b->hotadd_issued_ns, b->hotadd_issued_ns, now, b->hotadd_pages, n,
                 n == b->hotadd_pages ? "ok" : "limited");
    b->hotadd_pages = 0;
    vm_refresh_rates(v);
}

void balloon_hot_add(vm_t *v, int64_t pages, sim_time_t now)
{
    balloon_t *b = &v->b;
    const balloon_params_t *p = P(v);
    if (b->hotadd_ev || pages <= 0)
        return;
    int64_t chunk = sim_max64(1, sim_bytes_to_pages(p->hotadd_chunk_bytes));
    pages = ((pages + chunk - 1) / chunk) * chunk;
    pages = sim_min64(pages, v->configured_pages - v->assigned_pages);
    if (pages <= 0)
        return;
    b->hotadd_pages = pages;
    b->hotadd_issued_ns = now;
    b->hotadd_ev = sim_engine_at(E(v), now + p->hotadd_latency_ns, PRIO_BALLOON, on_hotadd, v, 0);
}

void balloon_on_oom(vm_t *v, sim_time_t now)
{
    balloon_t *b = &v->b;
    if (!P(v)->deflate_on_oom || b->size_pages <= 0)
        return;
    /* virtio: each OOM notifier call releases 256 pages; the guest retries until the
     * allocation fits.  We release what the deficit needs, in 256-page steps. */
    /* the caller (dc.c on_workload) re-applies the demand after each release */
    int64_t n = sim_min64(b->size_pages, 256);
    b->size_pages -= n;
    guest_grow(&v->g, n);
    v->c.balloon_deflated_pages += (double)n;
    if (b->target_pages > b->size_pages)
        b->target_pages = b->size_pages;
    vm_record_event(v, now, "deflate_on_oom", (double)n);
}

void balloon_stop(vm_t *v)
{
    balloon_t *b = &v->b;
    if (b->ev)
        sim_engine_cancel(E(v), b->ev);
    if (b->hotadd_ev)
        sim_engine_cancel(E(v), b->hotadd_ev);
    if (b->fault_ev)
        sim_engine_cancel(E(v), b->fault_ev);
    if (b->sticky_ev)
        sim_engine_cancel(E(v), b->sticky_ev);
    b->ev = b->hotadd_ev = b->fault_ev = b->sticky_ev = NULL;
    b->unresponsive = b->stuck_phase = 0;
    b->state = BALLOON_IDLE;
    b->size_pages = b->target_pages = 0;
    b->chunk_pages = 0;
}

int balloon_is_stuck(const vm_t *v, sim_time_t now)
{
    const balloon_t *b = &v->b;
    return distance_pages(v) != 0 && now - b->progress_ns >= P(v)->stuck_after_ns;
}
