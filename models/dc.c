/*
 * models/dc.c -- one run: build hosts and VMs from a scenario, schedule, simulate,
 * sample and summarise.  Event order, RNG streams and metrics are documented in dc.h.
 */
#include <fnmatch.h>
#include <math.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/statvfs.h>
#include "sim/err.h"
#include "sim/rng.h"
#include "sim/units.h"
#include "models/dc.h"
#include "models/host.h"
#include "models/vm.h"
#include "models/record.h"

enum { PRIO_LIFE = 0, PRIO_WORKLOAD = 10, PRIO_POLICY = 50, PRIO_SAMPLE = 90 };
#define FLUSH_WALL_S 10.0           /* commit at a sample time when this much wall time passed */

/* Per-VM running statistics over samples (kept outside vm_t: only when summarising). */
typedef struct vm_stats {
    double usable_sum, assigned_sum, balloon_sum, slowdown_sum;
    double usable_max, assigned_max, balloon_max, slowdown_max;
    double idle_sum;                /* pages usable beyond need, summed over samples */
    int64_t n;
    /* flexibility (docs/models.md "The four claims"): the need at the previous sample, and
     * the open wait for memory (since rise_ns) when waiting is set */
    int64_t need_prev;
    int has_prev, short_prev, waiting;
    sim_time_t rise_ns;
} vm_stats_t;

/* Waits for memory (seconds), one per demand rise, in the order they end. */
typedef struct waits {
    double *s;
    size_t n, cap;
    int oom;
} waits_t;

/* Memory layout (performance, issue 9): dc.vms holds the VMs HOST-MAJOR -- the VMs of host
 * 0 (slots 0, 1, ...), then those of host 1, ... -- so that a policy tick or a sample, which
 * walks the VMs of one host, reads contiguous memory.  dc.vms[k] is therefore not VM id k:
 * by_id[id] is; stats[] is indexed like dc.vms (vm_pos).  Everything that is done "for every
 * VM" in an order that can be observed (scheduling, which breaks ties by sequence number;
 * records; floating-point sums of the summary) still runs in id order. */
typedef struct run {
    dc_t dc;
    vm_t **by_id;                   /* VM of each id */
    vm_stats_t *stats;              /* per VM, host-major like dc.vms */
    sim_time_t end_ns;
    sim_time_t last_sample_ns;
    double flushed_wall_s;          /* wall time of the last commit at a sample time */
    const dc_options_t *opt;
    double util_sum;                /* sum over samples and hosts of resident / capacity */
    double idle_sum;                /* sum over samples of the pages usable beyond need (all VMs) */
    int64_t util_n, idle_n;
    waits_t waits;
} run_t;

void dc_fingerprint_add(dc_t *dc, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        dc->fingerprint ^= p[i];
        dc->fingerprint *= 0x100000001b3ULL;
    }
}

/* ------------------------------------------------------------------ events */

/* file_cache = tracking: the VM's hit-ratio curve follows its file set, rebuilt when the
 * set has moved by more than 25% from the curve's (h then moves by < 0.02 for cache
 * fractions >= 0.01, models/cache.h).  A failed build keeps the old curve. */
static void vm_follow_file_set(vm_t *v)
{
    if (!v->g.file_tracking || v->g.file_pages <= 0)
        return;
    const cache_mrc_t *cur = v->g.mrc;
    double f = (double)v->g.file_pages, fc = cur ? (double)cache_mrc_file_pages(cur) : 0;
    if (cur && fabs(f - fc) <= 0.25 * fc)
        return;
    cache_mrc_t *m;
    if (cache_mrc_create(&m, v->gp->zipf_alpha, v->g.file_pages, NULL, 0) != SIM_OK)
        return;
    cache_mrc_destroy(v->mrc_own);
    v->mrc_own = m;
    v->g.mrc = m;
    vm_refresh_rates(v);
}

/* Trace usage cut off by the Bitbrains mapping (issue 19): the time it lasts, from one
 * workload event to the next (the sample holds in between), and the largest cut.
 * capped_pages = 0 closes a stretch (also at shutdown and at the end of the run). */
static void note_capped(vm_t *v, sim_time_t now, int64_t capped_pages)
{
    if (v->capped_since_ns >= 0)
        v->c.usage_capped_ns += (double)(now - v->capped_since_ns);
    v->capped_since_ns = capped_pages > 0 ? now : -1;
    if ((double)capped_pages > v->c.usage_capped_max_pages)
        v->c.usage_capped_max_pages = (double)capped_pages;
}

static void on_workload(void *ctx, int64_t arg, sim_time_t now)
{
    vm_t *v = ctx;
    v->wl_ev = NULL;
    if (!v->running)
        return;
    host_advance_vm(v, now);
    workload_sample_t s;
    workload_at(v->wl, now, &s);
    note_capped(v, now, s.capped_pages);
    guest_delta_t d = {0};
    guest_set_demand(&v->g, &s, &d);
    vm_follow_file_set(v);
    if (v->g.in_oom && v->b.size_pages > 0 && v->gp->balloon.deflate_on_oom) {
        /* virtio DEFLATE_ON_OOM: the OOM notifier releases 256 pages per call and the
         * allocation is retried; repeat while OOM and the balloon holds pages.  The OOM
         * kill counts only if the balloon could not cover the demand. */
        int64_t kills = d.oom_kills;
        d.oom_kills = 0;
        d.oom_dropped_pages = 0;
        while (v->g.in_oom && v->b.size_pages > 0) {
            host_apply_delta(v->host, v, &d, now);
            memset(&d, 0, sizeof d);
            balloon_on_oom(v, now);
            guest_set_demand(&v->g, &s, &d);
        }
        d.oom_kills = v->g.in_oom ? kills : 0;
    }
    host_apply_delta(v->host, v, &d, now);
    sim_time_t next = workload_next_change(v->wl, now);
    if (next != SIM_TIME_NEVER && next <= v->host->dc->scn->sim.duration_ns)
        v->wl_ev = sim_engine_at(v->host->dc->engine, next, PRIO_WORKLOAD, on_workload, v, 0);
}

void dc_boot_vm(vm_t *v, sim_time_t now)
{
    vm_boot(v, now);
    if (v->wl_ev)
        sim_engine_cancel(v->host->dc->engine, v->wl_ev);
    v->wl_ev = NULL;
    on_workload(v, 0, now);
}

static void on_life(void *ctx, int64_t what, sim_time_t now)
{
    vm_t *v = ctx;
    if (what == 0) {
        request_start(v, 0, now);
    } else if (what == 1) {
        if (v->wl_ev)
            sim_engine_cancel(v->host->dc->engine, v->wl_ev);
        v->wl_ev = NULL;
        note_capped(v, now, 0);
        vm_shutdown(v, now);
        request_host_poll(v->host, now);
    } else {
        if (v->wl_ev)
            sim_engine_cancel(v->host->dc->engine, v->wl_ev);
        v->wl_ev = NULL;
        note_capped(v, now, 0);
        vm_shutdown(v, now);
        request_start(v, 1, now);     /* boots at once unless the policy admits starts */
        vm_record_event(v, now, "restart", 0);
    }
}

static void on_request(void *ctx, int64_t k, sim_time_t now)
{
    dc_t *dc = ctx;
    const scn_request_t *q = &dc->scn->requests[k];
    request_explicit(&dc->hosts[q->host], (int32_t)k, sim_bytes_to_pages(q->size_bytes), now + q->deadline_ns,
                     q->hold_ns, now);
}

static void on_policy(void *ctx, int64_t arg, sim_time_t now)
{
    host_t *h = ctx;
    dc_t *dc = h->dc;
    host_advance_all(h, now);
    for (int32_t i = 0; i < h->nvms; i++) {      /* guest swap-out rate since the last tick */
        vm_t *v = h->vms[i];
        sim_time_t dt = now - v->swapout_seen_ns;
        v->swapout_pages_per_s = dt > 0 ? (v->c.guest_swapouts - v->swapout_seen_pages) / sim_time_to_s(dt) : 0;
        v->swapout_seen_pages = v->c.guest_swapouts;
        v->swapout_seen_ns = now;
    }
    dc->scn->policy->tick(h->policy_state, (policy_ctx_t *)(void *)h, now);
    request_host_poll(h, now);
    sim_time_t dt = dc->scn->policy->interval_ns(dc->scn->policy_params);
    if (dt > 0 && now + dt <= dc->scn->sim.duration_ns)
        sim_engine_at(dc->engine, now + dt, PRIO_POLICY, on_policy, h, 0);
}

static const char *host_state(const host_t *h)
{
    if (h->free_pages >= h->high_pages)
        return "high";
    if (h->free_pages >= h->soft_pages)
        return "soft-high";   /* between soft and high: no reclaim yet, hysteresis band */
    if (h->free_pages >= h->hard_pages)
        return "soft";
    if (h->free_pages >= h->low_pages)
        return "hard";
    return "low";
}

static double vm_slowdown(const vm_t *v, double dt_ns)
{
    double stall = v->c.stall_ns - v->c_sampled.stall_ns;
    return dt_ns > 0 ? 1.0 + stall / dt_ns : 1.0;
}

/* ------------------------------------------------------------------ the four claims
 * Observed at sample times only (they read the state, never change it: results and
 * fingerprints do not move).  Definitions (docs/models.md "The four claims as metrics"):
 *   need      = kernel + anonymous demand + file set of the workload, at most the VM's
 *               configured memory (what no policy can exceed without hot-add);
 *   idle      = max(0, usable - need): memory a VM holds beyond its need;
 *   short     = need > usable + WAIT_TOLERANCE x configured;
 *   a rise    = a sample where a running VM is short, was not short at the previous
 *               sample, and its need grew since that sample;
 *   arrival   = the first later sample where it is no longer short; the wait is the time
 *               between the two samples.  A wait still open when the VM stops or the run
 *               ends is counted up to then (a lower bound).
 * Resolution: the sample interval. */
#define WAIT_TOLERANCE 0.01

static int waits_push(waits_t *w, double s)
{
    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 64;
        double *p = realloc(w->s, cap * sizeof *p);
        if (!p) {
            w->oom = 1;
            return -1;
        }
        w->s = p, w->cap = cap;
    }
    w->s[w->n++] = s;
    return 0;
}

static int64_t vm_need_pages(const vm_t *v)
{
    int64_t need = v->g.kernel_pages + v->g.anon_demand_pages + v->g.file_pages;
    return need < v->configured_pages ? need : v->configured_pages;
}

/* Host utilisation, idle memory and waits for memory of host h's VMs at time now. */
static void observe_host(run_t *r, const host_t *h, sim_time_t now)
{
    int64_t resident = 0;
    for (int32_t i = 0; i < h->nvms; i++) {
        const vm_t *v = h->vms[i];
        vm_stats_t *st = &r->stats[v - r->dc.vms];
        if (!v->running) {
            if (st->waiting)                       /* stopped while waiting: censored */
                waits_push(&r->waits, sim_time_to_s(now - st->rise_ns));
            st->waiting = 0, st->has_prev = 0, st->short_prev = 0;
            continue;
        }
        resident += vm_resident(v);
        int64_t need = vm_need_pages(v), usable = v->g.usable_pages;
        double idle = usable > need ? (double)(usable - need) : 0;
        st->idle_sum += idle;
        r->idle_sum += idle;
        int is_short = (double)need > (double)usable + WAIT_TOLERANCE * (double)v->configured_pages;
        if (st->waiting && !is_short) {
            waits_push(&r->waits, sim_time_to_s(now - st->rise_ns));
            st->waiting = 0;
        } else if (!st->waiting && is_short && st->has_prev && !st->short_prev && need > st->need_prev) {
            st->waiting = 1;
            st->rise_ns = now;
        }
        st->need_prev = need;
        st->short_prev = is_short;
        st->has_prev = 1;
    }
    if (h->capacity_pages > 0) {
        r->util_sum += (double)resident / (double)h->capacity_pages;
        r->util_n++;
    }
}

static void sample(run_t *r, sim_time_t now)
{
    dc_t *dc = &r->dc;
    double dt_ns = (double)(now - r->last_sample_ns);
    double dt_s = dt_ns / 1e9;
    for (int32_t hi = 0; hi < dc->nhosts; hi++) {
        host_t *h = &dc->hosts[hi];
        host_advance_all(h, now);
        if (dc->level >= 1) {        /* the host sample: its VMs summed */
            int64_t resident = 0, swapped = 0, balloon = 0;
            double swapouts = 0, faults = 0;
            for (int32_t i = 0; i < h->nvms; i++) {
                vm_t *v = h->vms[i];
                if (v->running) {
                    resident += v->g.touched_pages - v->host_swapped_pages;
                    swapped += v->host_swapped_pages;
                    balloon += v->b.size_pages;
                }
                swapouts += v->c.host_swapouts - v->c_sampled.host_swapouts;
                faults += v->c.host_faults - v->c_sampled.host_faults;
            }
            record_host_sample_t s = {h->id, now, h->free_pages, resident, swapped, balloon, host_state(h),
                                      dt_s > 0 ? swapouts / dt_s : 0, dt_s > 0 ? faults / dt_s : 0};
            record_host_sample(dc->rec, &s);
        }
        if (dt_ns > 0 || now == 0)
            observe_host(r, h, now);
        for (int32_t i = 0; i < h->nvms; i++) {
            vm_t *v = h->vms[i];
            vm_stats_t *st = &r->stats[v - dc->vms];
            double slow = vm_slowdown(v, dt_ns);
            if (v->running && (dt_ns > 0 || now == 0)) {
                double u = (double)v->g.usable_pages, a = (double)v->assigned_pages, b = (double)v->b.size_pages;
                st->usable_sum += u, st->assigned_sum += a, st->balloon_sum += b, st->slowdown_sum += slow;
                st->usable_max = fmax(st->usable_max, u), st->assigned_max = fmax(st->assigned_max, a);
                st->balloon_max = fmax(st->balloon_max, b), st->slowdown_max = fmax(st->slowdown_max, slow);
                st->n++;
            }
            if (v->record_series && v->running) {
                double cm = v->c.cache_misses - v->c_sampled.cache_misses;
                double si = v->c.guest_swapins - v->c_sampled.guest_swapins;
                double hf = v->c.host_faults - v->c_sampled.host_faults;
                double stall = v->c.stall_ns - v->c_sampled.stall_ns;
                record_vm_sample_t s = {
                    .vm_id = v->id, .t = now, .assigned = v->assigned_pages, .balloon = v->b.size_pages,
                    .balloon_target = v->b.target_pages, .usable = v->g.usable_pages,
                    .anon_demand = v->g.anon_demand_pages, .anon = v->g.anon_pages,
                    .guest_swapped = v->g.swapped_pages, .cache = v->g.cache_pages, .file_set = v->g.file_pages,
                    .free = guest_free_pages(&v->g), .host_swapped = v->host_swapped_pages,
                    .hit_ratio = v->rates.hit_ratio,
                    .cache_miss_per_s = dt_s > 0 ? cm / dt_s : v->rates.cache_miss_per_s,
                    .guest_swapin_per_s = dt_s > 0 ? si / dt_s : v->rates.swapin_faults_per_s,
                    .host_fault_per_s = dt_s > 0 ? hf / dt_s : v->host_fault_per_s,
                    .major_faults_per_s = dt_s > 0 ? (cm + si + hf) / dt_s : 0,
                    .stall_fraction = dt_ns > 0 ? stall / (dt_ns + stall) : 0,
                    .slowdown = slow};
                record_vm_sample(dc->rec, &s);
            }
            v->c_sampled = v->c;
        }
    }
    if (dt_ns > 0 || now == 0)
        r->idle_n++;
    r->last_sample_ns = now;
    /* Commit at sample times, at most once per FLUSH_WALL_S of wall time (and record.c
     * commits every BATCH_ROWS rows): a commit costs every index page the batch touched,
     * whatever the number of rows, so frequent commits rewrite the same pages.  A reader
     * sees a long run's progress every FLUSH_WALL_S; a killed run loses at most that much.
     * The database content does not depend on where the commits fall. */
    double wall = sim_wall_s();
    if (wall - r->flushed_wall_s >= FLUSH_WALL_S) {
        record_flush(dc->rec);
        r->flushed_wall_s = wall;
    }
    if (record_error(dc->rec)) {
        dc->failed = 1;             /* the first failed write stops the run (issue 15) */
        sim_engine_halt(dc->engine);
    }
}

static void on_sample(void *ctx, int64_t arg, sim_time_t now)
{
    run_t *r = ctx;
    sample(r, now);
    for (int32_t hi = 0; hi < r->dc.nhosts; hi++)
        request_host_poll(&r->dc.hosts[hi], now);
    sim_time_t next = now + r->dc.scn->sim.sample_interval_ns;
    if (next > r->end_ns && now < r->end_ns)
        next = r->end_ns;
    if (next <= r->end_ns && next > now)
        sim_engine_at(r->dc.engine, next, PRIO_SAMPLE, on_sample, r, 0);
}

static int check_all(void *ctx, sim_time_t now, char *err, size_t errlen)
{
    run_t *r = ctx;
    for (int32_t i = 0; i < r->dc.nhosts; i++) {
        int rc = host_check(&r->dc.hosts[i], err, errlen);
        if (rc) {
            size_t n = strlen(err);
            snprintf(err + n, errlen - n, " (at t=%.9f s)", sim_time_to_s(now));
            return rc;
        }
    }
    if (r->dc.failed) {
        snprintf(err, errlen, "%s", record_error(r->dc.rec) ? record_error(r->dc.rec) : "recorder failed");
        return SIM_EIO;
    }
    return 0;
}

static void progress_cb(void *ctx, sim_time_t now, uint64_t events)
{
    run_t *r = ctx;
    if (r->opt->progress)
        r->opt->progress(r->opt->progress_ctx, sim_time_to_s(now), sim_time_to_s(r->end_ns), events);
}

/* ------------------------------------------------------------------ build */

/* Per VM group: its VM count (a bitbrains group without a count takes its directory's
 * files, and never more) into counts[g], the total into *total, and its page-cache curve. */
static int count_groups(run_t *r, int64_t *counts, int64_t *total, char *err, size_t errlen)
{
    dc_t *dc = &r->dc;
    const scenario_t *s = dc->scn;
    int rc;
    char msg[SIM_ERR_MAX];
    for (size_t g = 0; g < s->nvm_groups; g++) {
        const scn_vm_t *gp = &s->vms[g];
        counts[g] = gp->count;
        if (!strcmp(gp->wl.type, "bitbrains")) {
            int64_t n;
            if ((rc = workload_bitbrains_dir_count(dc->lib, gp->wl.file, &n, msg, sizeof msg))) {
                sim_set_err(err, errlen, "%s: [vm %s] workload.file: %s", s->path, gp->name, msg);
                return rc;
            }
            if (counts[g] == 0 || counts[g] > n)
                counts[g] = counts[g] == 0 ? n : counts[g];
        }
        *total += counts[g];
        int64_t file_pages = sim_bytes_to_pages(gp->wl.file_set_bytes);
        if ((rc = cache_mrc_create(&dc->mrcs[g], gp->zipf_alpha, file_pages > 0 ? file_pages : 262144, msg,
                                   sizeof msg))) {
            sim_set_err(err, errlen, "%s: [vm %s] zipf_alpha: %s", s->path, gp->name, msg);
            return rc;
        }
    }
    if (*total > INT32_MAX / 2 || s->host.count > INT32_MAX / 2) {
        sim_set_err(err, errlen, "%s: too many VMs or hosts (%lld VMs)", s->path, (long long)*total);
        return SIM_EINPUT;
    }
    return SIM_OK;
}

/* The hosts, each with room for its share of the VMs; their rows in `hosts`. */
static int build_hosts(run_t *r, char *err, size_t errlen)
{
    dc_t *dc = &r->dc;
    const scenario_t *s = dc->scn;
    int32_t per_host = (dc->nvms + dc->nhosts - 1) / dc->nhosts;
    for (int32_t i = 0; i < dc->nhosts; i++) {
        host_t *h = &dc->hosts[i];
        h->id = i;
        h->dc = dc;
        h->capacity_pages = s->host.memory_bytes / SIM_PAGE_BYTES;
        h->reserve_pages = sim_bytes_to_pages(s->host.reserve_bytes);
        h->overhead_pages = sim_bytes_to_pages(s->host.vm_overhead_bytes);
        h->free_pages = h->capacity_pages - h->reserve_pages;
        h->high_pages = (int64_t)(s->host.high * (double)h->capacity_pages);
        h->soft_pages = (int64_t)(s->host.soft * (double)h->capacity_pages);
        h->hard_pages = (int64_t)(s->host.hard * (double)h->capacity_pages);
        h->low_pages = (int64_t)(s->host.low * (double)h->capacity_pages);
        h->swap_pages_per_s = s->host.swap_bytes_per_s / (double)SIM_PAGE_BYTES;
        h->swap_latency_ns = s->host.swap_latency_ns;
        h->io_closed = !strcmp(s->host.io, "closed");
        h->io_writes = h->io_closed && !strcmp(s->host.io_writes, "load");
        h->swap_write_pages_per_s = s->host.swap_write_bytes_per_s / (double)SIM_PAGE_BYTES;
        h->swap_response_s = sim_time_to_s(h->swap_latency_ns);
        h->vms = calloc((size_t)(per_host ? per_host : 1), sizeof *h->vms);
        if (!h->vms) {
            sim_set_err(err, errlen, "out of memory");
            return SIM_ENOMEM;
        }
        record_host(dc->rec, i, h->capacity_pages, h->reserve_pages);
    }
    return SIM_OK;
}

/* VM `id`, the k-th of group g: its place (round robin over the hosts), memory, streams,
 * workload, its row in `vms` and its life events. */
static int build_vm(run_t *r, size_t g, int64_t k, int32_t id, char *err, size_t errlen)
{
    dc_t *dc = &r->dc;
    const scenario_t *s = dc->scn;
    const scn_vm_t *gp = &s->vms[g];
    int rc;
    /* host hi gets VMs hi, hi + nhosts, ...: nvms / nhosts of them, one more for the
     * first nvms % nhosts hosts; its block of dc->vms follows those of hosts < hi */
    int32_t hi = id % dc->nhosts, base = dc->nvms / dc->nhosts, rem = dc->nvms % dc->nhosts;
    vm_t *v = &dc->vms[hi * base + (hi < rem ? hi : rem) + dc->hosts[hi].nvms];
    r->by_id[id] = v;
    char name[SIM_STR_MAX + 64], stream[SIM_STR_MAX + 96], msg[SIM_ERR_MAX];
    v->id = id;
    v->group = (int32_t)g;
    v->index = (int32_t)k;
    v->gp = gp;
    v->host = &dc->hosts[id % dc->nhosts];
    v->host->vms[v->host->nvms++] = v;
    int64_t mem = gp->memory_bytes;
    if (!strcmp(gp->wl.type, "bitbrains") && mem == 0) {
        if ((rc = workload_bitbrains_provisioned_bytes(dc->lib, gp->wl.file, k, &mem, msg, sizeof msg))) {
            sim_set_err(err, errlen, "%s: [vm %s] workload.file: %s", s->path, gp->name, msg);
            return rc;
        }
    }
    v->configured_pages = sim_bytes_to_pages(mem);
    v->startup_pages = gp->startup_bytes && gp->startup_bytes < mem ? sim_bytes_to_pages(gp->startup_bytes)
                                                                      : v->configured_pages;
    v->min_pages = sim_bytes_to_pages(gp->min_bytes);
    if (v->configured_pages + v->host->overhead_pages > v->host->capacity_pages - v->host->reserve_pages) {
        sim_set_err(err, errlen, "%s: [vm %s] memory: VM %lld (%lld MiB) does not fit on a host", s->path,
                    gp->name, (long long)k, (long long)(mem / SIM_MIB));
        return SIM_EINPUT;
    }
    vm_name(v, name, sizeof name);
    v->record_series = dc->level >= 2 && fnmatch(s->sim.output_vms, name, 0) == 0;
    /* decisions: auto follows the VM series; yes writes them for the output.vms VMs at any
     * output level; no never */
    v->record_decisions = !strcmp(s->sim.output_decisions, "auto") ? v->record_series
                          : !strcmp(s->sim.output_decisions, "yes") && fnmatch(s->sim.output_vms, name, 0) == 0;
    snprintf(stream, sizeof stream, "vm/%s/workload", name);
    v->wl_rng = sim_rng_stream(dc->seed, stream);
    int oom = !v->wl_rng;
    if (s->balloon.mtbf_ns > 0) {
        snprintf(stream, sizeof stream, "vm/%s/balloon", name);
        oom |= !(v->b.rng = sim_rng_stream(dc->seed, stream));
    }
    if (s->balloon.refuse_probability > 0) {
        snprintf(stream, sizeof stream, "vm/%s/balloon/refuse", name);
        oom |= !(v->b.refuse_rng = sim_rng_stream(dc->seed, stream));
    }
    if (oom) {
        sim_set_err(err, errlen, "out of memory");
        return SIM_ENOMEM;
    }
    if ((rc = workload_create(&v->wl, &gp->wl, dc->lib, k, v->wl_rng, msg, sizeof msg))) {
        sim_set_err(err, errlen, "%s: [vm %s] workload: %s", s->path, gp->name, msg);
        return rc;
    }
    /* the Bitbrains fit mapping: the guest keeps its kernel reserve and the free pages of
     * its high watermark (what kswapd restores) for itself (docs/models.md) */
    int64_t kernel = sim_min64(sim_bytes_to_pages(gp->kernel_bytes), v->configured_pages);
    workload_set_guest(v->wl, v->configured_pages,
                       kernel + guest_linux_high_wmark_pages(v->configured_pages - kernel));
    v->capped_since_ns = -1;
    record_vm(dc->rec, id, v->host->id, gp->name, (int32_t)k, name, v->configured_pages, v->startup_pages,
              v->min_pages, gp->shares, gp->weight);
    sim_time_t end = s->sim.duration_ns;
    if (gp->start_ns <= end)
        sim_engine_at(dc->engine, gp->start_ns, PRIO_LIFE, on_life, v, 0);
    if (gp->stop_ns > 0 && gp->stop_ns <= end)
        sim_engine_at(dc->engine, gp->stop_ns, PRIO_LIFE, on_life, v, 1);
    if (gp->restart_ns > 0 && gp->restart_ns <= end)
        sim_engine_at(dc->engine, gp->restart_ns, PRIO_LIFE + 1, on_life, v, 2);
    return SIM_OK;
}

/* One policy instance per host, with its own stream, and its first tick. */
static int build_policies(run_t *r, char *err, size_t errlen)
{
    dc_t *dc = &r->dc;
    const scenario_t *s = dc->scn;
    sim_time_t dt = s->policy->interval_ns(s->policy_params);
    for (int32_t i = 0; i < dc->nhosts; i++) {
        host_t *h = &dc->hosts[i];
        char stream[SIM_STR_MAX + 64], msg[SIM_ERR_MAX];
        snprintf(stream, sizeof stream, "policy/%s/host/%d", s->policy->name, (int)i);
        h->policy_rng = sim_rng_stream(dc->seed, stream);
        if (!h->policy_rng) {
            sim_set_err(err, errlen, "out of memory");
            return SIM_ENOMEM;
        }
        int rc = s->policy->create(&h->policy_state, s->policy_params, (policy_ctx_t *)(void *)h, h->policy_rng,
                                   msg, sizeof msg);
        if (rc) {
            sim_set_err(err, errlen, "%s: [policy] %s: %s", s->path, s->policy->name, msg);
            return rc;
        }
        if (dt > 0 && dt <= s->sim.duration_ns)
            sim_engine_at(dc->engine, dt, PRIO_POLICY, on_policy, h, 0);
    }
    /* Explicit memory requests ([request NAME]), after the policies exist. */
    for (size_t k = 0; k < s->nrequests; k++)
        if (s->requests[k].at_ns <= s->sim.duration_ns)
            sim_engine_at(dc->engine, s->requests[k].at_ns, PRIO_LIFE + 2, on_request, dc, (int64_t)k);
    return SIM_OK;
}

/* Build the datacenter of r's scenario: groups, hosts, VMs, policies, the first sample.
 * On failure what was built is left for teardown. */
static int build(run_t *r, char *err, size_t errlen)
{
    dc_t *dc = &r->dc;
    const scenario_t *s = dc->scn;
    int64_t *counts = NULL, total = 0;
    int rc;
    if ((rc = workload_library_create(&dc->lib))) {
        sim_set_err(err, errlen, "out of memory");
        return rc;
    }
    counts = calloc(s->nvm_groups, sizeof *counts);
    dc->mrcs = calloc(s->nvm_groups, sizeof *dc->mrcs);
    if (!counts || !dc->mrcs) {
        sim_set_err(err, errlen, "out of memory");
        rc = SIM_ENOMEM;
        goto out;
    }
    if ((rc = count_groups(r, counts, &total, err, errlen)))
        goto out;
    dc->nhosts = (int32_t)s->host.count;
    dc->nvms = (int32_t)total;
    dc->hosts = calloc((size_t)dc->nhosts, sizeof *dc->hosts);
    dc->vms = calloc((size_t)(dc->nvms ? dc->nvms : 1), sizeof *dc->vms);
    r->stats = calloc((size_t)(dc->nvms ? dc->nvms : 1), sizeof *r->stats);
    r->by_id = calloc((size_t)(dc->nvms ? dc->nvms : 1), sizeof *r->by_id);
    if (!dc->hosts || !dc->vms || !r->stats || !r->by_id) {
        sim_set_err(err, errlen, "out of memory for %lld VMs", (long long)total);
        rc = SIM_ENOMEM;
        goto out;
    }
    if ((rc = build_hosts(r, err, errlen)))
        goto out;
    int32_t id = 0;
    for (size_t g = 0; g < s->nvm_groups; g++)
        for (int64_t k = 0; k < counts[g]; k++, id++)
            if ((rc = build_vm(r, g, k, id, err, errlen)))
                goto out;
    if ((rc = build_policies(r, err, errlen)))
        goto out;
    sim_engine_at(dc->engine, 0, PRIO_SAMPLE, on_sample, r, 0);
out:
    free(counts);
    return rc;
}

static void teardown(run_t *r)
{
    dc_t *dc = &r->dc;
    if (dc->hosts) {
        for (int32_t i = 0; i < dc->nhosts; i++) {
            host_t *h = &dc->hosts[i];
            if (h->policy_state && dc->scn->policy->destroy)
                dc->scn->policy->destroy(h->policy_state);
            gsl_rng_free(h->policy_rng);
            free(h->vms);
            request_host_destroy(h);
        }
    }
    if (dc->vms) {
        for (int32_t i = 0; i < dc->nvms; i++) {
            workload_destroy(dc->vms[i].wl);
            cache_mrc_destroy(dc->vms[i].mrc_own);
            if (dc->vms[i].wl_rng)
                gsl_rng_free(dc->vms[i].wl_rng);
            if (dc->vms[i].b.rng)
                gsl_rng_free(dc->vms[i].b.rng);
            if (dc->vms[i].b.refuse_rng)
                gsl_rng_free(dc->vms[i].b.refuse_rng);
        }
    }
    if (dc->mrcs)
        for (size_t g = 0; g < dc->scn->nvm_groups; g++)
            cache_mrc_destroy(dc->mrcs[g]);
    free(dc->mrcs);
    free(dc->hosts);
    free(dc->vms);
    free(dc->scratch);
    free(r->stats);
    free(r->waits.s);
    free(r->by_id);
    workload_library_destroy(dc->lib);
    sim_engine_destroy(dc->engine);
}

/* ------------------------------------------------------------------ summary */

static double pending_requests(const dc_t *dc)
{
    double n = 0;
    for (int32_t i = 0; i < dc->nhosts; i++)
        n += dc->hosts[i].nreqs;
    return n;
}

static void summarise_requests(dc_t *dc);
static void summarise_claims(run_t *r);

static void summarise(run_t *r)
{
    dc_t *dc = &r->dc;
    vm_counters_t t = {0};
    double duration_s = sim_time_to_s(r->end_ns);
    double slow_sum = 0, slow_max = 1, vms_short = 0, vms_capped = 0;
    for (int32_t i = 0; i < dc->nvms; i++) {
        vm_t *v = r->by_id[i];
        vm_stats_t *st = &r->stats[v - dc->vms];
        note_capped(v, r->end_ns, 0);          /* close a capped stretch still open */
        double n = st->n > 0 ? (double)st->n : 1;
        const double P = (double)SIM_PAGE_BYTES;
        double run_s = duration_s > 0 ? duration_s : 1;
        double mean_slow = 1.0 + v->c.stall_ns / 1e9 / run_s;
        double short_frac = v->c.short_ns / 1e9 / run_s;
        double disk_queue_s = (v->c.disk_write_queue_ns + device_queue_busy_ns(&v->disk_q, r->end_ns)) / 1e9;
        struct { const char *m; double val; } rows[] = {
            {"usable_mean_bytes", st->usable_sum / n * P}, {"usable_max_bytes", st->usable_max * P},
            {"usable_final_bytes", (double)(v->running ? v->g.usable_pages : 0) * P},
            {"assigned_mean_bytes", st->assigned_sum / n * P}, {"assigned_max_bytes", st->assigned_max * P},
            {"assigned_final_bytes", (double)(v->running ? v->assigned_pages : 0) * P},
            {"balloon_mean_bytes", st->balloon_sum / n * P}, {"balloon_max_bytes", st->balloon_max * P},
            {"balloon_final_bytes", (double)v->b.size_pages * P},
            {"host_swap_out_bytes", v->c.host_swapouts * P}, {"host_faults", v->c.host_faults},
            {"guest_swap_out_bytes", v->c.guest_swapouts * P}, {"guest_swap_in_bytes", v->c.guest_swapins * P},
            {"cache_misses", v->c.cache_misses}, {"major_faults", v->c.cache_misses + v->c.guest_swapins + v->c.host_faults},
            {"oom_kills", v->c.oom_kills}, {"balloon_ops", v->c.balloon_ops}, {"stall_s", v->c.stall_ns / 1e9}, {"balloon_cpu_s", v->c.balloon_cpu_ns / 1e9},
            {"slowdown_mean", mean_slow}, {"slowdown_max", st->slowdown_max > 0 ? st->slowdown_max : 1},
            {"short_fraction", short_frac},
            {"balloon_inflated_bytes", v->c.balloon_inflated_pages * P},
            {"balloon_deflated_bytes", v->c.balloon_deflated_pages * P},
            {"balloon_moved_bytes_per_day", (v->c.balloon_inflated_pages + v->c.balloon_deflated_pages) * P * 86400.0 / run_s},
            {"target_reversals", v->c.target_reversals},
            {"target_reversals_per_h", v->c.target_reversals * 3600.0 / run_s},
            {"idle_mean_bytes", st->idle_sum / n * P},
            {"usage_capped_s", v->c.usage_capped_ns / 1e9},
            {"usage_capped_max_bytes", v->c.usage_capped_max_pages * P},
            {"disk_write_queue_s", disk_queue_s},
        };
        for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++)
            record_vm_summary(dc->rec, v->id, rows[k].m, rows[k].val);
        t.host_swapouts += v->c.host_swapouts, t.host_faults += v->c.host_faults;
        t.guest_swapouts += v->c.guest_swapouts, t.guest_swapins += v->c.guest_swapins;
        t.cache_misses += v->c.cache_misses, t.oom_kills += v->c.oom_kills, t.stall_ns += v->c.stall_ns;
        t.balloon_inflated_pages += v->c.balloon_inflated_pages;
        t.balloon_deflated_pages += v->c.balloon_deflated_pages;
        t.hotadd_pages += v->c.hotadd_pages, t.balloon_cpu_ns += v->c.balloon_cpu_ns;
        t.balloon_ops += v->c.balloon_ops;
        t.usage_capped_ns += v->c.usage_capped_ns;
        t.disk_write_queue_ns += disk_queue_s * 1e9;
        if (v->c.usage_capped_ns > 0)
            vms_capped += 1;
        slow_sum += mean_slow;
        slow_max = fmax(slow_max, st->slowdown_max);
        if (short_frac >= 0.25)
            vms_short += 1;
    }
    const double P = (double)SIM_PAGE_BYTES;
    double swap_queue_s = 0;
    for (int32_t i = 0; i < dc->nhosts; i++)
        swap_queue_s += device_queue_busy_ns(&dc->hosts[i].swap_q, r->end_ns) / 1e9;
    struct { const char *m; double val; } rows[] = {
        {"host_swap_out_bytes", t.host_swapouts * P}, {"host_faults", t.host_faults},
        {"guest_swap_out_bytes", t.guest_swapouts * P}, {"guest_swap_in_bytes", t.guest_swapins * P},
        {"cache_misses", t.cache_misses}, {"major_faults", t.cache_misses + t.guest_swapins + t.host_faults},
        {"oom_kills", t.oom_kills}, {"balloon_inflated_bytes", t.balloon_inflated_pages * P},
        {"balloon_deflated_bytes", t.balloon_deflated_pages * P}, {"hotadd_bytes", t.hotadd_pages * P},
        {"balloon_cpu_s", t.balloon_cpu_ns / 1e9}, {"balloon_ops", t.balloon_ops}, {"stall_s", t.stall_ns / 1e9},
        {"mean_slowdown", dc->nvms ? slow_sum / dc->nvms : 1}, {"max_slowdown", slow_max},
        {"vms_short", vms_short}, {"vms_usage_capped", vms_capped}, {"usage_capped_s", t.usage_capped_ns / 1e9},
        {"swap_write_queue_s", swap_queue_s}, {"disk_write_queue_s", t.disk_write_queue_ns / 1e9},
        {"vms", (double)dc->nvms}, {"hosts", (double)dc->nhosts},
        {"events", (double)sim_engine_events(dc->engine)}, {"vm_ticks", (double)dc->vm_ticks},
    };
    for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++)
        record_run_summary(dc->rec, rows[k].m, rows[k].val);
    summarise_requests(dc);
    summarise_claims(r);
}

const char *const dc_run_metrics[] = {
    "host_swap_out_bytes", "host_faults", "guest_swap_out_bytes", "guest_swap_in_bytes", "cache_misses",
    "major_faults", "oom_kills", "balloon_inflated_bytes", "balloon_deflated_bytes", "hotadd_bytes", "balloon_cpu_s",
    "balloon_ops", "stall_s", "mean_slowdown", "max_slowdown", "vms_short", "vms_usage_capped", "usage_capped_s",
    "swap_write_queue_s", "disk_write_queue_s", "vms", "hosts", "events", "vm_ticks",
    "requests", "requests_ok", "requests_refused", "requests_cannot_free", "requests_domains_refused",
    "requests_not_enough_memory", "requests_deadline", "requests_pending", "request_wait_mean_s",
    "request_wait_max_s", "host_utilisation_mean", "idle_mean_bytes", "demand_rises", "memory_wait_p50_s",
    "memory_wait_p95_s", NULL};
const char *const dc_vm_metrics[] = {
    "usable_mean_bytes", "usable_max_bytes", "usable_final_bytes", "assigned_mean_bytes", "assigned_max_bytes",
    "assigned_final_bytes", "balloon_mean_bytes", "balloon_max_bytes", "balloon_final_bytes", "host_swap_out_bytes",
    "host_faults", "guest_swap_out_bytes", "guest_swap_in_bytes", "cache_misses", "major_faults", "oom_kills",
    "balloon_ops", "stall_s", "balloon_cpu_s", "slowdown_mean", "slowdown_max", "short_fraction",
    "balloon_inflated_bytes", "balloon_deflated_bytes", "balloon_moved_bytes_per_day", "target_reversals",
    "target_reversals_per_h", "idle_mean_bytes", "usage_capped_s", "usage_capped_max_bytes", "disk_write_queue_s",
    NULL};

/* The articles' claims (observe_host): host utilisation, idle memory, waits for memory.
 * Waits still open at the end of the run are counted up to the end (lower bounds). */
static void summarise_claims(run_t *r)
{
    dc_t *dc = &r->dc;
    for (int32_t i = 0; i < dc->nvms; i++) {
        vm_stats_t *st = &r->stats[i];
        if (st->waiting)
            waits_push(&r->waits, sim_time_to_s(r->end_ns - st->rise_ns));
        st->waiting = 0;
    }
    waits_t *w = &r->waits;
    double p50 = 0, p95 = 0;
    if (w->n > 0 && !w->oom) {
        gsl_sort(w->s, 1, w->n);
        p50 = gsl_stats_quantile_from_sorted_data(w->s, 1, w->n, 0.50);
        p95 = gsl_stats_quantile_from_sorted_data(w->s, 1, w->n, 0.95);
    }
    struct { const char *m; double val; } rows[] = {
        {"host_utilisation_mean", r->util_n ? r->util_sum / (double)r->util_n : 0},
        {"idle_mean_bytes", r->idle_n ? r->idle_sum / (double)r->idle_n * (double)SIM_PAGE_BYTES : 0},
        {"demand_rises", w->oom ? NAN : (double)w->n},
        {"memory_wait_p50_s", w->oom ? NAN : p50},
        {"memory_wait_p95_s", w->oom ? NAN : p95},
    };
    for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++)
        record_run_summary(dc->rec, rows[k].m, rows[k].val);
}

/* Memory requests (request.h): counts by outcome and the time to grant. */
static void summarise_requests(dc_t *dc)
{
    const request_stats_t *q = &dc->req;
    double ok = q->by_outcome[REQUEST_OK];
    struct { const char *m; double val; } rows[] = {
        {"requests", q->issued}, {"requests_ok", ok}, {"requests_refused", q->issued - ok - pending_requests(dc)},
        {"requests_cannot_free", q->by_outcome[REQUEST_CANNOT_FREE]},
        {"requests_domains_refused", q->by_outcome[REQUEST_DOMAINS_REFUSED]},
        {"requests_not_enough_memory", q->by_outcome[REQUEST_NOT_ENOUGH_MEMORY]},
        {"requests_deadline", q->by_outcome[REQUEST_DEADLINE]},
        {"requests_pending", pending_requests(dc)},
        {"request_wait_mean_s", ok > 0 ? q->wait_ok_sum_s / ok : 0}, {"request_wait_max_s", q->wait_ok_max_s},
    };
    for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++)
        record_run_summary(dc->rec, rows[k].m, rows[k].val);
}

/* ------------------------------------------------------------------ memory limit */

/* RESOURCE LIMIT (issue 10).  A run that cannot fit in memory is refused before anything
 * is allocated or written, with its estimate, rather than thrashing or being killed hours
 * later.  The estimate is linear in VMs and hosts:
 *     bytes = DC_EST_FIXED_BYTES + VMs * DC_EST_VM_BYTES + hosts * DC_EST_HOST_BYTES
 *   - per VM: vm_t, its summary statistics and pointers, its workload state, two RNG
 *     streams, ~3 pending events with the queue's doubling slack, the policy's per-VM
 *     state.  Measured (bench_dc scale, peak RSS less SQLite's heap, slope from 10^4 to
 *     10^5 VMs): about 1.5 KiB; DC_EST_VM_BYTES is the 2 KiB budget of issue 9, above it;
 *   - per host: host_t, the policy instance and its RNG, the per-host VM table;
 *   - fixed: SQLite's page cache (64 MiB, models/record.c), code, page-cache curves,
 *     traces (loaded once per file, shared by the VMs that replay them).
 * The output level does not enter: samples go to disk through the bounded page cache, so a
 * million VMs at output = vm need the same memory as at summary.  The limit is the
 * machine's physical memory (sysconf _SC_PHYS_PAGES x _SC_PAGESIZE); parallel sweep
 * workers each need their own estimate.
 * DISK.  What the samples do need is disk, so the database's file system must have room
 * for the rows the run will write (statvfs f_bavail x f_frsize of the database's
 * directory):
 *     bytes = samples * (hosts * DC_EST_HOST_ROW_BYTES [output >= host]
 *                        + sampled VMs * DC_EST_VM_ROW_BYTES [output = vm])
 *             + VMs * DC_EST_VM_SUMMARY_BYTES
 * with samples = duration / sample_interval + 2 and bytes per row (index included)
 * measured on the benchmark scenarios (dc-large: 61 B per host sample; dc-medium: 123 B
 * per VM sample; 21 summary rows per VM).  Balloon operations, targets and logs are left
 * out, so both estimates are lower bounds: a refused run could not have finished. */
#define DC_EST_VM_BYTES   2048.0
#define DC_EST_HOST_BYTES 4096.0
#define DC_EST_FIXED_BYTES (128.0 * 1048576.0)
#define DC_EST_HOST_ROW_BYTES 60.0
#define DC_EST_VM_ROW_BYTES 120.0
#define DC_EST_VM_SUMMARY_BYTES 800.0

static int check_memory(const scenario_t *s, char *err, size_t errlen)
{
    double vms = 0;
    for (size_t g = 0; g < s->nvm_groups; g++)
        vms += (double)s->vms[g].count;    /* bitbrains count 0 = one per file: a few */
    double need = DC_EST_FIXED_BYTES + vms * DC_EST_VM_BYTES + (double)s->host.count * DC_EST_HOST_BYTES;
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0)
        return SIM_OK;                     /* unknown: no limit */
    double have = (double)pages * (double)page;
    if (need <= have)
        return SIM_OK;
    snprintf(err, errlen,
             "%s: [vm] count: the scenario needs about %.1f GiB of memory (%.0f VMs x %.0f bytes + %lld hosts x "
             "%.0f bytes + %.0f MiB), more than the %.1f GiB of physical memory of this machine: use fewer VMs "
             "or hosts, or run on a larger machine",
             s->path, need / 1073741824.0, vms, DC_EST_VM_BYTES, (long long)s->host.count, DC_EST_HOST_BYTES,
             DC_EST_FIXED_BYTES / 1048576.0, have / 1073741824.0);
    return SIM_EINPUT;
}

double dc_estimate_db_bytes(const scenario_t *s)
{
    int level = !strcmp(s->sim.output, "vm") ? 2 : !strcmp(s->sim.output, "host") ? 1 : 0;
    double vms = 0;
    for (size_t g = 0; g < s->nvm_groups; g++)
        vms += (double)s->vms[g].count;
    double samples = (double)(s->sim.duration_ns / s->sim.sample_interval_ns) + 2;
    double per_sample = (level >= 1 ? (double)s->host.count * DC_EST_HOST_ROW_BYTES : 0) +
                        (level >= 2 ? (double)scenario_sampled_vms(s) * DC_EST_VM_ROW_BYTES : 0);
    return samples * per_sample + vms * DC_EST_VM_SUMMARY_BYTES;
}

static int check_disk(const scenario_t *s, int level, const char *db_file, char *err, size_t errlen)
{
    if (db_file && !strcmp(db_file, ":memory:"))
        return SIM_OK;                     /* no disk to fill */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", db_file && *db_file ? db_file : ".");
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == dir)
        dir[1] = 0;
    else
        *slash = 0;
    struct statvfs fs;
    if (statvfs(dir, &fs) != 0)
        return SIM_OK;                     /* unknown: no limit */
    double samples = (double)(s->sim.duration_ns / s->sim.sample_interval_ns) + 2;
    double per_sample = (level >= 1 ? (double)s->host.count * DC_EST_HOST_ROW_BYTES : 0) +
                        (level >= 2 ? (double)scenario_sampled_vms(s) * DC_EST_VM_ROW_BYTES : 0);
    double need = dc_estimate_db_bytes(s);
    double have = (double)fs.f_bavail * (double)fs.f_frsize;
    if (need <= have)
        return SIM_OK;
    char needs[32], haves[32];
    sim_units_format_human(need, needs, sizeof needs);
    sim_units_format_human(have, haves, sizeof haves);
    snprintf(err, errlen,
             "%s: [simulation] output: the disk is full before the run ends: it would write about %s to %s "
             "(%.0f samples of %.0f bytes at output = %s, and the summaries), and %s is free there: record less "
             "(output = host or summary, output.vms, a longer sample_interval) or write elsewhere (-o)",
             s->path, needs, db_file, samples, per_sample, s->sim.output, haves);
    return SIM_EINPUT;
}

/* ------------------------------------------------------------------ run */

static int store_param(void *ctx, const char *section, const char *key, const char *value)
{
    void **a = ctx;
    char *err = a[2];
    return db_run_param(a[0], *(int64_t *)a[1], section, key, value, err, SIM_ERR_MAX);
}

int dc_check_workloads(const scenario_t *s, workload_library_t *lib, char *err, size_t errlen)
{
    char msg[SIM_ERR_MAX];
    for (size_t g = 0; g < s->nvm_groups; g++) {
        const scn_vm_t *gp = &s->vms[g];
        int64_t n = 1;
        int rc = SIM_OK;
        if (!strcmp(gp->wl.type, "bitbrains") &&
            (rc = workload_bitbrains_dir_count(lib, gp->wl.file, &n, msg, sizeof msg))) {
            snprintf(err, errlen, "%s: [vm %s] workload.file: %s", s->path, gp->name, msg);
            return rc;
        }
        if (gp->count == 0 && n == 0)
            continue;
        gsl_rng *rng = sim_rng_stream(1, "check");
        workload_t *w = NULL;
        if (!rng) {
            snprintf(err, errlen, "out of memory");
            return SIM_ENOMEM;
        }
        rc = workload_create(&w, &gp->wl, lib, 0, rng, msg, sizeof msg);
        workload_destroy(w);
        gsl_rng_free(rng);
        if (rc) {
            snprintf(err, errlen, "%s: [vm %s] workload: %s", s->path, gp->name, msg);
            return rc;
        }
    }
    return SIM_OK;
}

int dc_run(const scenario_t *s, db_t *db, const db_run_info_t *info, const dc_options_t *opt,
           dc_result_t *res, char *err, size_t errlen)
{
    double t0 = sim_wall_s();
    memset(res, 0, sizeof *res);
    res->status = "failed";
    int level = !strcmp(s->sim.output, "vm") ? 2 : !strcmp(s->sim.output, "host") ? 1 : 0;
    int mrc = check_memory(s, err, errlen);
    if (!mrc)
        mrc = check_disk(s, level, db_path(db), err, errlen);
    if (mrc)
        return mrc;                        /* refused up front: no run row, nothing allocated */
    run_t *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return SIM_ENOMEM;
    }
    int rc;
    char perr[SIM_ERR_MAX] = "";
    dc_t *dc = &r->dc;
    r->opt = opt;
    dc->scn = s;
    dc->seed = opt->seed;
    dc->fingerprint = 0xcbf29ce484222325ULL;
    r->end_ns = s->sim.duration_ns;
    r->flushed_wall_s = t0;
    dc->level = level;
    if ((rc = db_run_begin(db, info, &res->run_id, err, errlen)))
        goto out_free;
    if ((rc = db_begin(db, err, errlen)))
        goto out_free;
    void *args[3] = {db, &res->run_id, perr};
    if ((rc = scenario_foreach_param(s, store_param, args))) {
        snprintf(err, errlen, "%s", perr);
        db_rollback(db);
        goto out_free;
    }
    if ((rc = db_commit(db, err, errlen)))
        goto out_free;
    dc->engine = sim_engine_create();
    if (!dc->engine || (rc = record_create(&dc->rec, db, res->run_id, err, errlen))) {
        if (!rc) {
            snprintf(err, errlen, "out of memory");
            rc = SIM_ENOMEM;
        }
        goto out_mark;
    }
    record_set_fingerprint(dc->rec, &dc->fingerprint);
    if (opt->scratch_db)
        record_keep_unindexed(dc->rec);
    if ((rc = build(r, err, errlen)))
        goto out_mark;
    sim_engine_set_stop_flag(dc->engine, opt->stop);
    if (opt->check || s->sim.check)
        sim_engine_set_check(dc->engine, check_all, r);
    sim_engine_set_progress(dc->engine, progress_cb, r, 65536);
    rc = sim_engine_run(dc->engine, r->end_ns, err, errlen);
    if (!rc && dc->failed) {
        snprintf(err, errlen, "%s", record_error(dc->rec) ? record_error(dc->rec) : "recorder failed");
        rc = SIM_EIO;
    }
    if (!rc) {
        summarise(r);
        if (record_finish(dc->rec)) {
            snprintf(err, errlen, "%s", record_error(dc->rec));
            rc = SIM_EIO;
        }
    }
out_mark:
    if (dc->rec && rc != SIM_EIO)
        record_flush(dc->rec);
    res->rows = dc->rec ? record_rows(dc->rec) : 0;
    record_destroy(dc->rec);
    dc->rec = NULL;
    res->events = dc->engine ? sim_engine_events(dc->engine) : 0;
    res->vm_ticks = dc->vm_ticks;
    res->wall_s = sim_wall_s() - t0;
    snprintf(res->fingerprint, sizeof res->fingerprint, "%016llx", (unsigned long long)dc->fingerprint);
    res->status = rc == SIM_OK ? "complete" : rc == SIM_EINTR ? "interrupted" : "failed";
    {
        char ferr[SIM_ERR_MAX];
        db_rollback(db);
        int frc = db_run_finish(db, res->run_id, res->status, res->wall_s, res->events,
                                rc == SIM_OK ? res->fingerprint : NULL, rc ? err : NULL, ferr, sizeof ferr);
        if (frc && !rc) {
            snprintf(err, errlen, "%s", ferr);
            rc = frc;
            res->status = "failed";
        } else if (frc) {           /* a disk still full: say so, the row stays 'running' */
            size_t n = strlen(err);
            snprintf(err + n, errlen - n, "; the run could not be marked 'failed' (%s): it stays 'running', "
                     "which every reader treats as not done", ferr);
        }
    }
    teardown(r);
out_free:
    free(r);
    return rc;
}
