/*
 * models/host.c -- host memory, host swapping, VM integration over time, and the view a
 * policy gets of a host (host_*, policy_* accessors; models/host.h, models/policy.h).
 *
 * The model (conservation C1-C3, host swapping by random victims, double paging, the
 * slowdown formula) is documented in models/vm.h.  Choices made here:
 *   - a VM is advanced lazily: only at its own events, unless the host must swap, in
 *     which case every VM of the host is first advanced to now (host_sync) so victims'
 *     rates change only from now on;
 *   - the host swaps when free memory falls below the `hard` threshold (ESX: hard = host
 *     swap) and swaps exactly enough to bring it back to the threshold;
 *   - victims: every running VM in proportion to its resident pages, shares computed by
 *     largest remainder in VM order (deterministic);
 *   - host faults of one VM are bounded by the host swap device's bandwidth.
 *
 * RATES ARE FRESH (invariant, relied on for speed -- issue 9): v->rates and
 * v->host_fault_per_s are a pure function of the VM's state (guest_rates: anon demand,
 * file set, access rate, cache, guest-swapped pages; plus host-swapped and touched pages
 * and the host's swap bandwidth), and every code path that changes one of those inputs
 * calls vm_refresh_rates (models/vm.c) afterwards (host_apply_delta, host_swap_out, vm_boot, vm_shutdown,
 * balloon.c after a hot-add; guest_set_demand and guest_reclaim are always followed by
 * host_apply_delta).  vm_advance_local, run for every VM of a host at every policy tick,
 * therefore refreshes only when its own interval changed an input: skipping is exact.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_roots.h>
#include "models/device.h"
#include "models/dc.h"
#include "models/host.h"
#include "models/record.h"
#include "models/vm.h"


/* Integrate v from v->last_ns to now and apply the local effects; the pages the host
 * must newly back are debited from its free memory here (swapping is the caller's job). */
static void vm_advance_local(vm_t *v, sim_time_t now_ns)
{
    sim_time_t dt_ns = now_ns - v->last_ns;
    v->last_ns = now_ns;
    if (!v->running || dt_ns <= 0)
        return;
    host_t *h = v->host;
    double dt_s = sim_time_to_s(dt_ns);
    guest_delta_t d = {0};
    int64_t seen_before = v->g.seen_pages;
    double misses = v->rates.cache_miss_per_s * dt_s;
    double host_faults = v->host_fault_per_s * dt_s;
    double stall_ns = h->io_closed
        ? (v->progress > 0 ? (double)dt_ns * (1.0 / v->progress - 1.0) : (double)dt_ns * 1e9)
        : vm_stall_ns(v, &v->rates, v->host_fault_per_s, dt_s);
    guest_advance(&v->g, &v->rates, dt_s, &d);
    /* Every swap-in fault stalls, whether or not the page could stay; one that could not
     * displaced another anonymous page to swap (thrashing: guest_advance counts it). */
    double swapins = v->rates.swapin_faults_per_s * dt_s;
    v->c.guest_swapouts += (double)d.swap_out_pages;
    /* Host faults bring host-swapped pages back into host memory (whole pages, the
     * fraction carried). */
    int64_t back = 0;
    if (host_faults != 0) {
        double exact = host_faults + v->host_back_carry;
        back = (int64_t)exact;
        v->host_back_carry = exact - (double)back;
        back = sim_min64(v->host_swapped_pages, back);
    }
    v->host_swapped_pages -= back;
    if (h->free_pages <= h->hard_pages)
        h->churn_back_pages += back;      /* each will be swapped out in exchange: churn */
    h->free_pages -= back;
    /* New guest pages need host backing. */
    h->free_pages -= d.newly_touched_pages;
    v->c.cache_misses += misses;
    v->c.guest_swapins += swapins;
    v->c.host_faults += host_faults;
    v->c.stall_ns += stall_ns;
    if (stall_ns >= 0.1 * (double)(dt_ns + stall_ns))
        v->c.short_ns += (double)dt_ns;
    h->dc->vm_ticks++;
    /* The rates are a function of the state alone (vm_refresh_rates) and every change of
     * the state elsewhere refreshes them (RATES ARE FRESH, header): when this interval
     * changed none of their inputs, they are still exact -- skip the page-cache curve.
     * This is the common case of a VM whose cache is full and that swaps nothing. */
    if (back != 0 || d.swap_in_pages != 0 || d.cache_fill_pages != 0 || d.newly_touched_pages != 0 ||
        v->g.seen_pages != seen_before)
        vm_refresh_rates(v);
}

/* The host swap device's write queue is empty: its VMs' faults get the whole device again. */
static void on_swap_queue_empty(void *ctx, int64_t arg, sim_time_t now)
{
    (void)arg;
    host_t *h = ctx;
    h->swap_q.ev = NULL;
    h->swap_q.pages = 0;                 /* the VMs were integrated at the share held until now */
    host_advance_all(h, now);            /* ... and are solved again without it */
}

double host_seconds_per_fault(const host_t *h)
{
    double read = 1.0 / h->swap_pages_per_s;
    if (h->free_pages > h->hard_pages)
        return read;
    return read + (h->io_writes ? 1.0 / h->swap_write_pages_per_s : read);
}

/* Swap out `pages` from the running VMs in proportion to their resident pages. */
static void host_swap_out(host_t *h, int64_t pages, sim_time_t now_ns)
{
    int64_t total = 0;
    for (int32_t i = 0; i < h->nvms; i++)
        if (h->vms[i]->running)
            total += sim_max64(0, vm_resident(h->vms[i]) - h->vms[i]->g.kernel_pages / 2);
    if (total <= 0 || pages <= 0)
        return;
    if (pages > total)
        pages = total;
    int64_t done = 0;
    for (int32_t i = 0; i < h->nvms && done < pages; i++) {
        vm_t *v = h->vms[i];
        if (!v->running)
            continue;
        int64_t avail = sim_max64(0, vm_resident(v) - v->g.kernel_pages / 2);
        int64_t share = (int64_t)((double)pages * (double)avail / (double)total);
        share = sim_min64(share, avail);
        v->host_swapped_pages += share;
        v->c.host_swapouts += (double)share;
        done += share;
    }
    /* Remainder (rounding) from the VMs in order. */
    for (int32_t i = 0; i < h->nvms && done < pages; i++) {
        vm_t *v = h->vms[i];
        if (!v->running)
            continue;
        int64_t avail = sim_max64(0, vm_resident(v) - v->g.kernel_pages / 2);
        int64_t extra = sim_min64(avail, pages - done);
        v->host_swapped_pages += extra;
        v->c.host_swapouts += (double)extra;
        done += extra;
    }
    h->free_pages += done;
    /* the swap-outs that exchange pages faulted back at the threshold are the churn writes
     * of host_seconds_per_fault; the rest are written at once: queued on the device */
    int64_t burst = done - sim_min64(done, h->churn_back_pages);
    h->churn_back_pages = 0;
    if (h->io_writes && burst > 0)
        device_queue_push(&h->swap_q, h->dc->engine, h->swap_write_pages_per_s, (double)burst, now_ns,
                          on_swap_queue_empty, h);
    for (int32_t i = 0; i < h->nvms; i++)
        vm_refresh_rates(h->vms[i]);
}

/* io = closed: the swap device's utilisation solves
 *   rho = q + sum_v m_v x_v(T(rho)) * t_f
 * (each VM's host faults at the response time T(rho) of device.h D1, t_f the device time
 * per fault, host_seconds_per_fault, and q the share of a queue of swap-outs made at once).
 * The right side falls from its value at rho = 0 towards q < 1 as rho -> 1, so the root is
 * unique; GSL's Brent solver finds it. */
static double swap_excess(double rho, void *p)
{
    const host_t *h = p;
    double t = device_response_s(sim_time_to_s(h->swap_latency_ns), h->swap_pages_per_s, rho), load = 0;
    for (int32_t i = 0; i < h->nvms; i++)
        if (h->vms[i]->running && h->vms[i]->io_m_host > 0)
            load += h->vms[i]->io_m_host * vm_progress(h->vms[i], t);
    return device_queue_share(&h->swap_q) + load * host_seconds_per_fault(h) - rho;
}

static void host_refresh_devices(host_t *h)
{
    double rho = 0;
    if (swap_excess(0, h) > 0) {
        gsl_function f = {swap_excess, h};
        gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
        double hi = 1.0 - 1e-12;
        if (s && gsl_root_fsolver_set(s, &f, 0.0, hi) == GSL_SUCCESS) {
            for (int it = 0; it < 100; it++) {
                gsl_root_fsolver_iterate(s);
                rho = gsl_root_fsolver_root(s);
                if (gsl_root_test_interval(gsl_root_fsolver_x_lower(s), gsl_root_fsolver_x_upper(s), 1e-12, 1e-9) !=
                    GSL_CONTINUE)
                    break;
            }
        }
        gsl_root_fsolver_free(s);
    }
    h->swap_rho = rho;
    h->swap_response_s = device_response_s(sim_time_to_s(h->swap_latency_ns), h->swap_pages_per_s, rho);
    h->swap_read_load = 0;
    for (int32_t i = 0; i < h->nvms; i++)
        h->swap_read_load += h->vms[i]->host_fault_per_s;
    for (int32_t i = 0; i < h->nvms; i++)
        vm_refresh_rates(h->vms[i]);
    h->devices_stale = 0;
}

/* Ask the cache for the whole of *v: into L2, not L1 (locality 1).  A host's 20 VMs are
 * 13 KiB; fetched into L1 (locality 3) they evicted the state the current host's tick was
 * using, and dc-large ran 6 % slower (interleaved 6 h runs, bench_dc; locality 0 was 8 %
 * slower than 1). */
static void vm_prefetch(const vm_t *v)
{
    for (size_t off = 0; off < sizeof *v; off += 64)
        __builtin_prefetch((const char *)v + off, 1, 1);
}

void host_advance_all(host_t *h, sim_time_t now_ns)
{
    /* Memory, not arithmetic, is the cost at datacenter scale: when a host's policy tick
     * (or a sample) comes, its VMs' state has left the cache while the other hosts ran.
     * Policy ticks and samples visit the hosts in id order (they are scheduled in that
     * order at equal times, and the queue breaks ties by sequence), so while this host's
     * VMs are integrated, the next host's VMs are fetched, one VM per step; a tick then
     * finds its host's VMs in cache for the advance and for the policy that follows.
     * (dc.c allocates the hosts as one array indexed by id, so host id + 1 is h + 1, and
     * lays each host's VMs out contiguously.)  Prefetching never changes results. */
    const host_t *next = h->id + 1 < h->dc->nhosts ? h + 1 : NULL;
    int32_t nnext = next ? next->nvms : 0;
    for (int32_t i = 0; i < h->nvms; i++) {
        if (i < nnext)
            vm_prefetch(next->vms[i]);
        vm_advance_local(h->vms[i], now_ns);
    }
    for (int32_t i = h->nvms; i < nnext; i++)
        vm_prefetch(next->vms[i]);
    if (h->free_pages < h->hard_pages)
        host_swap_out(h, h->hard_pages - h->free_pages, now_ns);
    if (h->io_closed)
        host_refresh_devices(h);
}

void host_advance_vm(vm_t *v, sim_time_t now_ns)
{
    vm_advance_local(v, now_ns);
    if (v->host->free_pages < v->host->hard_pages || (v->host->io_closed && v->host->devices_stale))
        host_advance_all(v->host, now_ns);
}

void host_apply_delta(host_t *h, vm_t *v, const guest_delta_t *d, sim_time_t now_ns)
{
    /* Released touched pages: the host-swapped share is dropped from swap, the rest frees
     * host memory (random pages of the guest, so in proportion). */
    if (d->released_touched_pages > 0) {
        int64_t touched_before = v->g.touched_pages + d->released_touched_pages;
        int64_t from_swap = touched_before > 0
            ? (int64_t)((double)d->released_touched_pages * (double)v->host_swapped_pages / (double)touched_before)
            : 0;
        from_swap = sim_min64(from_swap, v->host_swapped_pages);
        v->host_swapped_pages -= from_swap;
        h->free_pages += d->released_touched_pages - from_swap;
        /* Guest swap-out of a host-swapped page first faults it in (double paging). */
    }
    if (d->swap_out_pages > 0 && v->g.touched_pages > 0) {
        double hf = (double)d->swap_out_pages * (double)v->host_swapped_pages /
                    (double)(v->g.touched_pages + d->released_touched_pages);
        v->c.host_faults += hf;
        v->c.stall_ns += hf * (h->io_closed ? h->swap_response_s * 1e9 : (double)h->swap_latency_ns);
    }
    h->free_pages -= d->newly_touched_pages;
    vm_queue_writes(v, (double)(d->swap_out_pages + d->writeback_pages), now_ns);
    v->c.guest_swapouts += (double)d->swap_out_pages;
    v->c.guest_swapins += (double)d->swap_in_pages;
    v->c.cache_misses += (double)d->cache_fill_pages;
    v->c.oom_kills += (double)d->oom_kills;
    if (d->oom_kills)
        vm_record_event(v, now_ns, "oom", (double)d->oom_dropped_pages);
    vm_refresh_rates(v);
    if (h->free_pages < h->hard_pages || (h->io_closed && h->devices_stale))
        host_advance_all(h, now_ns);
}

int64_t host_unallocated_pages(const host_t *h)
{
    int64_t held = 0;
    for (int32_t i = 0; i < h->nvms; i++)
        if (h->vms[i]->running)
            held += h->vms[i]->g.usable_pages + h->overhead_pages;
    return h->capacity_pages - h->reserve_pages - held;
}

int host_check(const host_t *h, char *err, size_t errlen)
{
    int64_t sum = h->free_pages + h->reserve_pages;
    for (int32_t i = 0; i < h->nvms; i++) {
        const vm_t *v = h->vms[i];
        if (!v->running)
            continue;
        int rc = guest_check(&v->g, err, errlen);
        if (rc)
            return rc;
        if (v->b.size_pages < 0 || v->assigned_pages != v->b.size_pages + v->g.usable_pages ||
            v->host_swapped_pages < 0 || v->host_swapped_pages > v->g.touched_pages ||
            v->assigned_pages > v->configured_pages) {
            snprintf(err, errlen, "vm %d: C1/C2 violated: assigned=%lld balloon=%lld usable=%lld "
                     "touched=%lld host_swapped=%lld configured=%lld", (int)v->id,
                     (long long)v->assigned_pages, (long long)v->b.size_pages, (long long)v->g.usable_pages,
                     (long long)v->g.touched_pages, (long long)v->host_swapped_pages,
                     (long long)v->configured_pages);
            return SIM_EINTERNAL;
        }
        sum += h->overhead_pages + vm_resident(v);
    }
    if (sum != h->capacity_pages) {
        snprintf(err, errlen, "host %d: C3 violated: free + reserve + overhead + resident = %lld != capacity %lld",
                 (int)h->id, (long long)sum, (long long)h->capacity_pages);
        return SIM_EINTERNAL;
    }
    return SIM_OK;
}

/* ---------------------------------------------------------------- policy view */

/* The window of ESX's sampler: a sampled page counts as active when touched within it
 * (esx.c sample_period default, Waldspurger 2002 section 5.1). */
#define POLICY_TOUCH_WINDOW_S 30.0

struct policy_ctx { host_t h; };   /* never instantiated: a policy_ctx_t * is a host_t * */
#define HOST(ctx) ((host_t *)(void *)(ctx))

void policy_host(policy_ctx_t *ctx, policy_host_obs_t *out)
{
    host_t *h = HOST(ctx);
    out->capacity_pages = h->capacity_pages - h->reserve_pages;
    out->free_pages = h->free_pages;
    out->unallocated_pages = host_unallocated_pages(h);
    out->high_pages = h->high_pages;
    out->soft_pages = h->soft_pages;
    out->hard_pages = h->hard_pages;
    out->low_pages = h->low_pages;
    out->nvms = h->nvms;
}

int32_t policy_nvms(policy_ctx_t *ctx) { return HOST(ctx)->nvms; }

int policy_scratch_reserve(policy_ctx_t *ctx, size_t bytes)
{
    dc_t *dc = HOST(ctx)->dc;
    if (bytes <= dc->scratch_bytes)
        return SIM_OK;
    bytes = (bytes + 63) / 64 * 64;          /* aligned_alloc wants a multiple of 64 */
    void *p = aligned_alloc(64, bytes);
    if (!p)
        return SIM_ENOMEM;
    free(dc->scratch);                       /* nothing in it outlives a tick */
    dc->scratch = p;
    dc->scratch_bytes = bytes;
    return SIM_OK;
}

void *policy_scratch(policy_ctx_t *ctx) { return HOST(ctx)->dc->scratch; }
sim_time_t policy_now(policy_ctx_t *ctx) { return sim_engine_now(HOST(ctx)->dc->engine); }

/* PSI "some" avg10 of VM v brought to now: the kernel keeps an exponential moving average
 * of the share of wall time stalled, with a 10 s window, updated every 2 s
 * (kernel/sched/psi.c: calc_avgs, EXP_10s = exp(-2 s / 10 s)).  Here it is updated at each
 * observation with the decay exp(-dt / 10 s) of the time elapsed, the same average sampled
 * more finely.  The stall share over dt is stall / (dt + stall): the model adds stall to
 * dt of work (model.h, SLOWDOWN). */
static void vm_psi_avg10(vm_t *v, sim_time_t now_ns)
{
    struct vm_report *r = &v->report;
    double dt_ns = (double)(now_ns - r->avg10_ns);
    if (!(dt_ns > 0))
        return;
    double stall_ns = v->c.stall_ns - r->avg10_stall_ns;
    double share = stall_ns > 0 ? stall_ns / (dt_ns + stall_ns) : 0;
    double keep = exp(-dt_ns / 10e9);
    r->avg10 = r->avg10 * keep + share * (1.0 - keep);
    r->avg10_ns = now_ns;
    r->avg10_stall_ns = v->c.stall_ns;
}

/* The fraction of time v stalls on memory now, as PSI "some" would report it: 1 - progress
 * with closed-loop references; else stall / (1 + stall) from the stall per second at the
 * current rates (+-0 stays exactly what the division gives for no stall). */
static double stall_fraction_now(const vm_t *v)
{
    const host_t *h = v->host;
    if (h->io_closed)
        return 1.0 - v->progress;
    double stall_ns_per_s = v->rates.cache_miss_per_s * (double)v->gp->disk_latency_ns +
                            v->rates.swapin_faults_per_s * (double)v->gp->swap_latency_ns +
                            v->host_fault_per_s * (double)h->swap_latency_ns;
    if (stall_ns_per_s == 0)
        return stall_ns_per_s;
    double stall_per_s = stall_ns_per_s / 1e9;
    return stall_per_s / (1.0 + stall_per_s);
}

void policy_vm(policy_ctx_t *ctx, int32_t i, policy_vm_obs_t *o)
{
    host_t *h = HOST(ctx);
    vm_t *v = h->vms[i];
    /* Every field is stored explicitly (no memset): policies call this up to three times
     * per VM and tick, and a rep-stos of the whole struct showed in the profile. */
    o->running = v->running;
    o->configured_pages = v->configured_pages;
    o->min_pages = v->min_pages;
    o->startup_pages = v->startup_pages;
    o->shares = v->gp->shares;
    o->weight = v->gp->weight;
    o->buffer = v->gp->buffer;
    o->swap_out_pages_per_s = v->running ? v->swapout_pages_per_s : 0;   /* over the last policy interval */
    o->stall_total_ns = v->c.stall_ns;
    if (!v->running) {
        o->boot_ns = -1;
        o->assigned_pages = 0;
        o->balloon_pages = o->balloon_target_pages = o->usable_pages = 0;
        o->balloon_stuck = 0;
        o->balloon_inaccuracy_pages = 0;
        o->guest_free_pages = o->guest_cache_pages = o->guest_available_pages = o->committed_pages = 0;
        o->swap_in_pages_per_s = o->major_faults_per_s = o->stall_fraction = 0;
        o->stall_avg10 = 0;
        o->stats_ns = -1;
        return;
    }
    sim_time_t now = sim_engine_now(h->dc->engine);
    o->boot_ns = v->boot_ns;
    o->assigned_pages = v->assigned_pages;
    o->balloon_pages = v->b.size_pages;
    o->balloon_target_pages = v->b.target_pages;
    o->usable_pages = v->g.usable_pages;
    /* balloon_is_stuck is false whenever the target is met: skip the call then */
    o->balloon_stuck = v->b.target_pages != v->b.size_pages && balloon_is_stuck(v, now);
    o->balloon_inaccuracy_pages = sim_bytes_to_pages(v->gp->balloon.inaccuracy_bytes);
    vm_psi_avg10(v, now);
    o->stall_avg10 = v->report.avg10;
    /* The guest's statistics: its report of the last multiple of stats_period since boot
     * (taken at the first observation at or after that instant: exact for a policy that
     * ticks on those instants), or the state now when stats_period is 0. */
    struct vm_report *r = &v->report;
    sim_time_t period = v->gp->balloon.stats_period_ns;
    sim_time_t at = period > 0 ? v->boot_ns + (now - v->boot_ns) / period * period : now;
    if (period == 0 || r->at_ns != at) {
        r->at_ns = at;
        r->free_pages = guest_free_pages(&v->g);
        r->cache_pages = v->g.cache_pages + v->g.stale_pages;
        r->committed_pages = guest_committed_pages(&v->g);
        r->swap_in_pages_per_s = v->rates.swapin_faults_per_s;
        r->major_faults_per_s = v->rates.swapin_faults_per_s + v->rates.cache_miss_per_s + v->host_fault_per_s;
        r->stall_fraction = stall_fraction_now(v);
    }
    o->stats_ns = r->at_ns;
    o->guest_free_pages = r->free_pages;
    o->guest_cache_pages = r->cache_pages;
    o->guest_available_pages = r->free_pages + r->cache_pages;
    o->committed_pages = r->committed_pages;
    o->swap_in_pages_per_s = r->swap_in_pages_per_s;
    o->major_faults_per_s = r->major_faults_per_s;
    o->stall_fraction = r->stall_fraction;
}

void policy_truth(policy_ctx_t *ctx, int32_t i, policy_vm_truth_t *out)
{
    const vm_t *v = HOST(ctx)->vms[i];
    out->anon_pages = v->g.anon_demand_pages;
    out->file_pages = v->g.file_pages;
    out->need_pages = v->running ? v->g.kernel_pages + v->g.anon_demand_pages + v->g.file_pages : 0;
    out->active_fraction = v->g.active_fraction;
    out->kernel_pages = v->g.kernel_pages;
    out->swap_max_pages = v->g.swap_max_pages;
    out->touched_pages = v->running ? v->g.touched_pages : 0;
    out->resident_pages = v->running ? vm_resident(v) : 0;
    out->usable_floor_pages = v->running ? v->assigned_pages - balloon_max_pages(v) : 0;
}

double policy_truth_stall(policy_ctx_t *ctx, int32_t i, int64_t usable_pages)
{
    const vm_t *v = HOST(ctx)->vms[i];
    if (!v->running)
        return 0;
    guest_t g;
    guest_rates_t r;
    guest_settled_at(&v->g, usable_pages, &g);
    guest_rates(&g, &r);
    return vm_stall_ns(v, &r, 0, 1.0);
}

/* anon_refs = hot-cold: the share of v's usable pages that the reference process touches
 * within a window of w seconds, P(touched) = 1 - exp(-lambda w) per page: hot and cold
 * resident anon pages at their per-page rates, cached file pages at the hit rate spread
 * over the cache, kernel pages always (assumed active), free and stale pages never.  The
 * rates are wall-clock (io = closed: a stalled VM touches fewer pages). */
static double vm_touched_fraction(const vm_t *v, double w)
{
    const guest_t *g = &v->g;
    int64_t h, hs, c, cs;
    guest_hot_cold(g, &h, &hs, &c, &cs);
    double total = (double)(g->anon_demand_pages + g->file_pages);
    double x = v->host->io_closed ? v->progress : 1.0;
    double ra = total > 0 ? g->access_pages_per_s * x * (double)g->anon_demand_pages / total : 0;
    double rf = total > 0 ? g->access_pages_per_s * x * (double)g->file_pages / total : 0;
    double hot_share = c == 0 ? 1.0 : h == 0 ? 0.0 : g->hot_share;
    double touched = (double)g->kernel_pages;
    if (h > 0)
        touched += (double)(h - hs) * -expm1(-ra * hot_share / (double)h * w);
    if (c > 0)
        touched += (double)(c - cs) * -expm1(-ra * (1.0 - hot_share) / (double)c * w);
    if (g->cache_pages > 0)
        touched += (double)g->cache_pages * -expm1(-rf * v->rates.hit_ratio / (double)g->cache_pages * w);
    return touched / (double)g->usable_pages;
}

int64_t policy_sample_active(policy_ctx_t *ctx, int32_t i, int64_t n, gsl_rng *rng)
{
    const vm_t *v = HOST(ctx)->vms[i];
    if (!v->running || n <= 0 || v->g.usable_pages <= 0)
        return 0;
    double f;
    if (v->g.hot_cold) {
        f = vm_touched_fraction(v, POLICY_TOUCH_WINDOW_S);
    } else {
        /* True active fraction of the VM's memory: active share of the pages in use. */
        double used = (double)(v->g.kernel_pages + v->g.anon_pages + v->g.cache_pages + v->g.stale_pages);
        f = v->g.active_fraction * used / (double)v->g.usable_pages;
    }
    if (f > 1)
        f = 1;
    if (f < 0)
        f = 0;
    return (int64_t)gsl_ran_binomial(rng, f, (unsigned int)n);
}

void policy_set_target(policy_ctx_t *ctx, int32_t i, int64_t usable_pages, int allow_hot_add)
{
    host_t *h = HOST(ctx);
    vm_t *v = h->vms[i];
    if (!v->running)
        return;
    sim_time_t now = sim_engine_now(h->dc->engine);
    if (usable_pages < 0)
        usable_pages = 0;
    if (usable_pages > v->assigned_pages && allow_hot_add && v->assigned_pages < v->configured_pages &&
        v->b.hotadd_ev == NULL) {
        balloon_hot_add(v, sim_min64(usable_pages, v->configured_pages) - v->assigned_pages, now);
    }
    int64_t assigned_then = v->assigned_pages + (v->b.hotadd_ev ? v->b.hotadd_pages : 0);
    int64_t target = sim_max64(0, assigned_then - usable_pages);
    if (v->b.hotadd_ev && target > 0 && usable_pages > v->assigned_pages)
        target = 0;
    int64_t before = v->b.target_pages;
    balloon_set_target(v, target, now);          /* clamps; records nothing itself */
    if (v->b.target_pages != before) {           /* record real changes only */
        int dir = v->b.target_pages > before ? 1 : -1;
        if (v->target_dir == -dir)
            v->c.target_reversals += 1;
        v->target_dir = dir;
        vm_record_target(v, now, usable_pages);
    }
}

void policy_log(policy_ctx_t *ctx, int32_t vm, const char *what, double value)
{
    host_t *h = HOST(ctx);
    record_policy(h->dc->rec, sim_engine_now(h->dc->engine), h->id, vm >= 0 ? h->vms[vm]->id : -1, what, value,
                  vm >= 0 ? h->vms[vm]->record_series : h->dc->level >= 1);
}

int policy_decisions(policy_ctx_t *ctx, int32_t i) { return HOST(ctx)->vms[i]->record_decisions; }

void policy_decision(policy_ctx_t *ctx, int32_t i, const char *rule, int64_t target_pages, const char *inputs_json)
{
    host_t *h = HOST(ctx);
    const vm_t *v = h->vms[i];
    if (!v->record_decisions)
        return;
    record_decision(h->dc->rec, sim_engine_now(h->dc->engine), h->id, v->id, h->dc->scn->policy->name, rule,
                    target_pages, inputs_json);
}

/* ---------------------------------------------------------------- JSON inputs */

static void json_add(policy_json_t *j, const char *key, const char *fmt_value)
{
    size_t room = j->cap - j->len;
    int n = snprintf(j->buf + j->len, room, "%s\"%s\":%s", j->len > 1 ? "," : "", key, fmt_value);
    if (n > 0 && (size_t)n < room - 1)        /* keep a byte for the closing brace */
        j->len += (size_t)n;
    else
        j->buf[j->len] = 0;                   /* dropped whole */
}

void policy_json_begin(policy_json_t *j, char *buf, size_t cap)
{
    j->buf = buf, j->cap = cap, j->len = 1;
    buf[0] = '{', buf[1] = 0;
}

void policy_json_num(policy_json_t *j, const char *key, double v)
{
    char s[40];
    if (isfinite(v))
        snprintf(s, sizeof s, "%.15g", v);      /* 15 digits: 0.2 reads 0.2 */
    else
        snprintf(s, sizeof s, "null");         /* JSON has no inf or nan */
    json_add(j, key, s);
}

void policy_json_int(policy_json_t *j, const char *key, int64_t v)
{
    char s[24];
    snprintf(s, sizeof s, "%lld", (long long)v);
    json_add(j, key, s);
}

void policy_json_str(policy_json_t *j, const char *key, const char *v)
{
    char s[80];
    snprintf(s, sizeof s, "\"%.70s\"", v);   /* callers pass plain names (no quotes) */
    json_add(j, key, s);
}

const char *policy_json_end(policy_json_t *j)
{
    j->buf[j->len] = '}', j->buf[j->len + 1] = 0;
    return j->buf;
}
