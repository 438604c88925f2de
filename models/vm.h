/*
 * models/vm.h -- one simulated VM: its guest, balloon driver, workload and counters
 * (vm_*; models/vm.c).  The conservation rules C1-C2 and the slowdown formula below are
 * kept by models/vm.c and models/host.c together.
 *
 * Not part of the policy interface: policies see VMs only through models/policy.h.
 *
 * PAGE CONSERVATION (docs/design.md "Units and numbers"; asserted after every event with
 * --check / check=yes, and in the tests).  For every VM v and host h:
 *
 *   (C1) assigned_v = balloon_v + usable_v                      (guest-physical memory)
 *   (C2) touched_v  = resident_v + host_swapped_v                (what the host backs)
 *   (C3) capacity_h = free_h + reserve_h + sum_v (overhead_v + resident_v)
 *
 * with every term >= 0 except free_h, which the host keeps above its swap threshold by
 * swapping (host.c).  A VM that is not running holds no pages (touched = 0).
 *
 * HOST SWAPPING (docs/models.md "Host"; Waldspurger 2002 section 3.5): when host free memory falls
 * below the `hard` threshold, the hypervisor swaps guest pages out, choosing victims at
 * random without the guest's knowledge.  We model random choice by its expectation: every
 * running VM loses pages in proportion to its resident pages.  A guest reference to a
 * host-swapped page faults at the host: rate = (guest references that hit guest memory)
 * * host_swapped / touched -- hot pages go too (double paging).  Each fault brings the page
 * back (free memory permitting: at the threshold a fault-in evicts another random page, so
 * swapping churns).  Host faults are bounded by the swap device's bandwidth.
 *
 * SLOWDOWN with [host] io = closed (docs/models.md "Devices"): references are issued per
 * second of progress; each stalls on its device's queued response time, so the VM makes
 * progress a fraction x = 1 / (1 + stall per progress second) of the time, issues x times
 * the references, and stall_ns accumulates dt * (1/x - 1): slowdown = 1/x and stall_fraction
 * = 1 - x by the formulas below.  Writes use device time too (io_writes = load): those
 * that go with the faults (guest_writes_per_read; the host's churn) in the same equations,
 * those made at once through the device's write queue (device.h), which leaves the reads
 * 1 - DEVICE_WRITE_SHARE of the device while it lasts.
 *
 * SLOWDOWN with io = open (the old model; documented formula): over an interval of dt seconds,
 *   stall = cache_misses * disk_latency + guest_swapins * guest_swap_latency
 *         + host_faults * host_swap_latency
 *   slowdown = 1 + stall / dt     (>= 1; 1 = no memory stalls)
 * and stall_fraction = stall / (dt + stall) is what a PSI "some" metric would report.
 */
#ifndef MODELS_VM_H
#define MODELS_VM_H

#include <gsl/gsl_rng.h>
#include "sim/engine.h"
#include "models/balloon.h"
#include "models/device.h"
#include "models/guest.h"
#include "models/scenario.h"
#include "models/workload.h"

typedef struct host host_t;    /* models/host.h: the host a VM runs on */

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
    double usage_capped_ns;   /* time its trace usage was above what the mapping admits */
    double usage_capped_max_pages; /* the largest usage cut off (workload_sample_t capped_pages) */
    double disk_write_queue_ns; /* time its guest disk had writes queued (device.h), past boots */
} vm_counters_t;

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
    double host_back_carry;
    /* io = closed (host.c vm_rates_closed): demands per second of progress, and the
     * fraction of wall time that makes progress (1 / slowdown) */
    double io_m_cache, io_m_swapin, io_m_host;   /* misses, swap-ins, host faults per progress s */
    double io_a0_s, io_b_s;                      /* guest-disk stall per progress s: fixed and queued parts */
    double io_bw_s;                              /* guest-disk write time per progress s (w / mu_w) */
    double io_avail;                             /* share of the guest disk left by its write queue */
    device_queue_t disk_q;                       /* guest disk: writes made at once (device.h) */
    double io_m_host_seen;                       /* io_m_host at the last host device solve */
    double progress;
    /* guest swap-outs over the last policy interval (what a daemon reads from pswpout) */
    double swapout_seen_pages;
    sim_time_t swapout_seen_ns;
    double swapout_pages_per_s;
    balloon_t b;
    cache_mrc_t *mrc_own;      /* file_cache = tracking: this VM's curve (owned), else NULL */
    workload_t *wl;
    gsl_rng *wl_rng;
    sim_event_t *wl_ev;
    sim_time_t last_ns;        /* time the VM was last advanced to */
    sim_time_t boot_ns;        /* time of its last boot (a restart boots it again) */
    sim_time_t capped_since_ns; /* start of the running stretch of capped usage; -1 if none */
    int target_dir;            /* sign of the last balloon target change (0: none since boot) */
    /* What the guest reports to policies (host.c, policy_vm): its last statistics report
     * and PSI "some" avg10 (stats.avg10, a 10 s EWMA of the stall fraction). */
    struct vm_report {
        sim_time_t at_ns;      /* time of the report held (-1: none since boot) */
        int64_t free_pages, cache_pages, committed_pages;
        double swap_in_pages_per_s, major_faults_per_s, stall_fraction;
        double avg10;          /* PSI some avg10, fraction 0..1 */
        sim_time_t avg10_ns;   /* when avg10 was last brought up to date */
        double avg10_stall_ns; /* the stall counter then */
    } report;
    vm_counters_t c;
    vm_counters_t c_sampled;   /* counters at the previous sample */
    int record_series;         /* output = vm and output.vms selects it: its samples and
                                * decision rows are written */
    int record_decisions;      /* its rows of the decisions table are written */
} vm_t;

/* Pages of v the host backs: touched and not host-swapped (C2). */
static inline int64_t vm_resident(const vm_t *v) { return v->g.touched_pages - v->host_swapped_pages; }
/* "GROUP/INDEX" */
void vm_name(const vm_t *v, char *buf, size_t len);
/* Recompute v->rates and v->host_fault_per_s from the VM's state (RATES ARE FRESH,
 * models/host.c). */
void vm_refresh_rates(vm_t *v);
/* Memory stall (ns) of VM v over dt_s seconds at guest rates r and host_faults_per_s
 * host swap faults per second: every cache miss waits the group's disk latency, every
 * guest swap-in its swap latency, every host fault the host's swap latency (the slowdown
 * formula above, io = open).  The simulation (host.c, io = open) and the oracle's cost
 * curve (either io) use it. */
double vm_stall_ns(const vm_t *v, const guest_rates_t *r, double host_faults_per_s, double dt_s);
/* io = closed: the fraction of time v makes progress when the host swap device answers in
 * t_host seconds (its own guest disk queueing solved in closed form; docs/models.md). */
double vm_progress(const vm_t *v, double t_host);
/* io = closed, io_writes = load: queue `pages` written at once on v's guest disk (a balloon
 * inflation or a demand jump that swaps or writes back) and schedule the queue's end. */
void vm_queue_writes(vm_t *v, double pages, sim_time_t now_ns);
/* Boot (startup memory, a fresh guest and driver) or shut down v on its host. */
void vm_boot(vm_t *v, sim_time_t now_ns);
void vm_shutdown(vm_t *v, sim_time_t now_ns);

/* The model's one way to the recorder for a VM (models/record.h, through the run's
 * recorder): an event row, a finished balloon or hot-add operation, a changed balloon
 * target (v->b.target_pages).  Operations and targets are written when v's series is
 * recorded (output level) and always count in the fingerprint. */
void vm_record_event(const vm_t *v, sim_time_t t, const char *what, double value);
void vm_record_op(const vm_t *v, int64_t op, const char *kind, sim_time_t issued_ns, sim_time_t started_ns,
                  sim_time_t finished_ns, int64_t asked_pages, int64_t moved_pages, const char *outcome);
void vm_record_target(const vm_t *v, sim_time_t t, int64_t usable_pages);

#endif
