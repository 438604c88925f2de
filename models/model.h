/*
 * models/model.h -- the simulated datacenter: VMs, hosts, the run (vm_*, host_*, dc_*).
 *
 * These structs are shared by the model's own files (host.c, balloon.c, dc.c, record.c)
 * and are not part of the policy interface: policies see hosts and VMs only through
 * models/policy.h.
 *
 * PAGE CONSERVATION (DESIGN.md 2; asserted after every event with --check / check=yes,
 * and in the tests).  For every VM v and host h:
 *
 *   (C1) assigned_v = balloon_v + usable_v                      (guest-physical memory)
 *   (C2) touched_v  = resident_v + host_swapped_v                (what the host backs)
 *   (C3) capacity_h = free_h + reserve_h + sum_v (overhead_v + resident_v)
 *
 * with every term >= 0 except free_h, which the host keeps above its swap threshold by
 * swapping (host.c).  A VM that is not running holds no pages (touched = 0).
 *
 * HOST SWAPPING (DESIGN.md 4; Waldspurger 2002 section 3.5): when host free memory falls
 * below the `hard` threshold, the hypervisor swaps guest pages out, choosing victims at
 * random without the guest's knowledge.  We model random choice by its expectation: every
 * running VM loses pages in proportion to its resident pages.  A guest reference to a
 * host-swapped page faults at the host: rate = (guest references that hit guest memory)
 * * host_swapped / touched -- hot pages go too (double paging).  Each fault brings the page
 * back (free memory permitting: at the threshold a fault-in evicts another random page, so
 * swapping churns).  Host faults are bounded by the swap device's bandwidth.
 *
 * SLOWDOWN (documented formula): over an interval of dt seconds,
 *   stall = cache_misses * disk_latency + guest_swapins * guest_swap_latency
 *         + host_faults * host_swap_latency
 *   slowdown = 1 + stall / dt     (>= 1; 1 = no memory stalls)
 * and stall_fraction = stall / (dt + stall) is what a PSI "some" metric would report.
 */
#ifndef MODELS_MODEL_H
#define MODELS_MODEL_H

#include <gsl/gsl_rng.h>
#include "sim/engine.h"
#include "sim/db.h"
#include "models/balloon.h"
#include "models/cache.h"
#include "models/guest.h"
#include "models/policy.h"
#include "models/scenario.h"
#include "models/workload.h"

typedef struct host host_t;
typedef struct dc dc_t;
typedef struct record record_t;

/* Cumulative counters of a VM (pages and events are counted as doubles because they
 * are integrated over rates; they are whole numbers for the event-driven parts). */
typedef struct vm_counters {
    double cache_misses;
    double guest_swapins;
    double guest_swapouts;
    double host_faults;
    double host_swapouts;
    double stall_ns;
    double balloon_cpu_ns;
    double balloon_inflated_pages;
    double balloon_deflated_pages;
    double hotadd_pages;
    double balloon_ops;       /* finished balloon and hot-add operations */
    double oom_kills;
    double short_ns;          /* time with stall_fraction >= 0.1 ("short of memory") */
    double target_reversals;  /* balloon target changes opposite to the previous change */
} vm_counters_t;

typedef struct balloon {
    balloon_state_t state;
    int unresponsive;
    int64_t size_pages;
    int64_t target_pages;      /* as asked by the policy, clamped (balloon_set_target) */
    sim_event_t *ev;           /* WAITING timer or chunk completion */
    sim_event_t *fault_ev;     /* next change of responsiveness */
    /* the operation in progress */
    int64_t op_seq;
    balloon_op_kind_t op_kind;
    sim_time_t op_issued_ns, op_started_ns;
    int64_t op_asked_pages, op_moved_pages;
    int64_t chunk_pages;       /* in flight */
    sim_time_t backoff_ns;
    sim_time_t progress_ns;    /* last time the balloon moved or the target was met */
    /* hot-add in progress */
    sim_event_t *hotadd_ev;
    int64_t hotadd_pages;
    sim_time_t hotadd_issued_ns;
    gsl_rng *rng;
} balloon_t;

typedef struct vm {
    int32_t id;                /* global index */
    int32_t group;             /* index of its [vm NAME] group */
    int32_t index;             /* index within the group */
    host_t *host;
    const scn_vm_t *gp;
    int running;
    int64_t configured_pages;
    int64_t assigned_pages;
    int64_t startup_pages;
    int64_t min_pages;
    int64_t host_swapped_pages;
    guest_t g;
    guest_rates_t rates;       /* held constant until the next event of the VM */
    double host_fault_per_s;
    double host_back_carry;    /* fraction of a host fault carried to the next interval */
    balloon_t b;
    workload_t *wl;
    gsl_rng *wl_rng;
    sim_event_t *wl_ev;
    sim_time_t last_ns;        /* time the VM was last advanced to */
    sim_time_t boot_ns;        /* time of its last boot (a restart boots it again) */
    int target_dir;            /* sign of the last balloon target change (0: none since boot) */
    vm_counters_t c;
    vm_counters_t c_sampled;   /* counters at the previous sample */
    int record_series;         /* output = vm and output.vms selects it: its samples and
                                * decision rows are written */
} vm_t;

struct host {
    int32_t id;
    dc_t *dc;
    int64_t capacity_pages;
    int64_t reserve_pages;
    int64_t overhead_pages;    /* per running VM */
    int64_t free_pages;
    int64_t high_pages, soft_pages, hard_pages, low_pages;
    double swap_pages_per_s;
    sim_time_t swap_latency_ns;
    vm_t **vms;
    int32_t nvms;
    void *policy_state;
    gsl_rng *policy_rng;
};

struct dc {
    const scenario_t *scn;
    sim_engine_t *engine;
    record_t *rec;
    workload_library_t *lib;
    cache_mrc_t **mrcs;        /* one per VM group */
    host_t *hosts;
    int32_t nhosts;
    vm_t *vms;
    int32_t nvms;
    uint64_t seed;
    uint64_t vm_ticks;         /* VM advances over a positive interval */
    int level;                 /* output level: 0 summary, 1 host, 2 vm */
    int failed;                /* a recorder error happened: stop */
    void *scratch;             /* policy_scratch: one buffer for every host's policy tick */
    size_t scratch_bytes;
    uint64_t fingerprint;      /* FNV-1a over the deterministic event/record stream */
};

/* host.c */
void vm_advance(vm_t *v, sim_time_t now_ns);
void host_advance_all(host_t *h, sim_time_t now_ns);
/* Apply a guest change: back newly touched pages (swapping if needed), take released ones. */
void host_apply_delta(host_t *h, vm_t *v, const guest_delta_t *d, sim_time_t now_ns);
void vm_refresh_rates(vm_t *v);
int host_check(const host_t *h, char *err, size_t errlen);
void vm_boot(vm_t *v, sim_time_t now_ns);
void vm_shutdown(vm_t *v, sim_time_t now_ns);
void vm_name(const vm_t *v, char *buf, size_t len);

/* balloon.c */
void balloon_init(vm_t *v, gsl_rng *rng);
void balloon_set_target(vm_t *v, int64_t target_pages, sim_time_t now_ns);
void balloon_hot_add(vm_t *v, int64_t pages, sim_time_t now_ns);
void balloon_on_oom(vm_t *v, sim_time_t now_ns);
int64_t balloon_max_pages(const vm_t *v);
void balloon_stop(vm_t *v);
int balloon_is_stuck(const vm_t *v, sim_time_t now_ns);

/* dc.c */
void dc_fingerprint_add(dc_t *dc, const void *data, size_t len);

#endif
