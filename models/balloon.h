/*
 * models/balloon.h -- the balloon driver in each guest, and hot-add (balloon_*).
 *
 * STATE MACHINE (one driver per VM)
 *
 *          target != size                 latency elapsed
 *   IDLE ------------------> WAITING ---------------------> INFLATING / DEFLATING
 *    ^                         |  refused (prob. p): retry after backoff    |   one chunk per event:
 *    |                         v                                           |   chunk / rate seconds
 *    +------------- target reached, or limited (cap, floor, nothing to give) +
 *   Any state may be overlaid by UNRESPONSIVE (exponential MTBF, exponential duration):
 *   no progress; a pending chunk is delayed until the driver responds again.  A target
 *   that does not move for stuck_after_ns while pending is reported as stuck.
 *
 * TIMING: an operation of X pages at rate r with request latency l finishes at
 * l + X / r (chunked: each chunk of c pages takes c / r).  Inflation is limited by
 * what the guest can give and how fast: free and cache pages at inflate_rate, anonymous
 * pages at min(inflate_rate, guest swap bandwidth) (guest.h reclaim order).
 * UNDER GUEST PRESSURE (pressure_rate > 0; the old vmw_balloon, Linux drivers/misc/
 * vmw_balloon.c up to 4.19, MODULE_VERSION 1.2.x-1.3.x, vmballoon_inflate): free pages go at
 * inflate_rate (non-sleeping allocations, VMW_BALLOON_NOSLEEP_ALLOC_MAX = 16384 pages per
 * 1 s cycle); pages the guest must reclaim (cache, anon) go at the driver's sleeping rate,
 * which starts at VMW_BALLOON_RATE_ALLOC_MAX = 2048 pages/s, grows by
 * VMW_BALLOON_RATE_ALLOC_INC = 16 pages/s per cycle spent at it, and halves, down to
 * VMW_BALLOON_RATE_ALLOC_MIN = 512 pages/s, when the guest can give nothing more (a failed
 * sleeping allocation).  pressure_rate = 0 (the other presets): no such limit.
 * COST: cpu_per_page of guest CPU per page moved (recorded as guest CPU seconds).
 * LIMITS: the balloon never exceeds max_fraction of configured memory (ESX
 * Mem.CtlMaxPercent = 65%), and never takes the guest below its floor
 * (floor = linux-hv: the Hyper-V Linux driver's piecewise-linear floor; docs/models.md
 * "Balloon driver").
 * DEFLATE-ON-OOM: when enabled, a guest OOM deflates the balloon by 256 pages per OOM
 * retry until the demand fits or the balloon is empty (virtio; docs/models.md
 * "Balloon driver").
 * HOT-ADD: memory grows in hotadd_chunk units after hotadd_latency (Hyper-V, 128 MB).
 * FAULTY DRIVERS (the drivers of squeezed's test/squeeze_test.ml; docs/scenarios.md):
 *   rate            one speed both ways (overrides inflate_rate and deflate_rate);
 *   lower_limit     a hidden floor: the balloon stops when usable memory reaches it, but
 *                   the target is not clamped (the policy sees a target not reached);
 *   upper_limit     a hidden ceiling on usable memory for deflation, likewise;
 *   stuck           the driver never starts an operation (WAITING for ever);
 *   stuck_interval  T > 0: from boot the driver is free for T, stuck for T, free ...;
 *                   stuck as UNRESPONSIVE is (a chunk in flight is abandoned, so keep
 *                   chunk * 1/rate well below T);
 *   inaccuracy x    the driver stops x short of its target (|target - size| <= x is
 *                   met: 'ok', and not stuck).
 *
 * PRESETS (sources in docs/models.md "Balloon driver"; [code] facts, the rest
 * assumptions marked *):
 *   vmware  1 s loop as latency, 16384 pages/s = 64 MiB/s both ways, 4 KiB grain,
 *           65% cap, cpu 1 us/page*
 *   virtio  5 ms* latency, 1.7 GB/s (7 GB in 4.1 s, LKML 2017), 1 MiB grain (256 pages),
 *           retry 200 ms, deflate-on-OOM on, no cap
 *   hyperv  1 s balancer period as latency, 2 MiB grain, 1 GiB/s*, hot-add 128 MiB,
 *           linux-hv floor
 *   xen     10 ms* latency, 2 MiB (512 pages per hypercall), 1 GiB/s*, backoff 1 s doubling
 *           to 32 s; boots ballooned (a domain is built with its static-max of guest
 *           memory and target = startup, so it may grow to `memory` without hot-add) and
 *           grows only into memory no domain holds (populate_physmap fails otherwise and
 *           the driver backs off: outcome 'nomem', retried like a refusal)
 * Units: pages and ns in state; the keys take human units.
 */
#ifndef MODELS_BALLOON_H
#define MODELS_BALLOON_H

#include <gsl/gsl_rng.h>
#include "sim/keys.h"
#include "sim/engine.h"

typedef struct balloon_params {
    char preset[SIM_STR_MAX];
    sim_time_t latency_ns;
    double inflate_bytes_per_s;
    double deflate_bytes_per_s;
    int64_t chunk_bytes;
    int64_t granularity_bytes;
    sim_time_t cpu_per_page_ns;
    double max_fraction;
    char floor[SIM_STR_MAX];
    sim_time_t mtbf_ns;                 /* 0: never unresponsive */
    sim_time_t unresponsive_mean_ns;
    double refuse_probability;
    sim_time_t retry_ns;
    sim_time_t retry_max_ns;
    int deflate_on_oom;
    int64_t hotadd_chunk_bytes;
    sim_time_t hotadd_latency_ns;
    sim_time_t stuck_after_ns;
    /* per-driver behaviours (docs/scenarios.md "Per-VM driver keys"; squeezed's
     * test/squeeze_test.ml drivers).  Every key may also be set per VM group as
     * [vm NAME] balloon.KEY, which overrides [balloon] for that group. */
    double rate_bytes_per_s;            /* > 0: inflate and deflate rate both (size/s) */
    int64_t lower_limit_bytes;          /* hidden: never shrinks usable below it; 0 none */
    int64_t upper_limit_bytes;          /* hidden: never grows usable above it; 0 none */
    int stuck;                          /* never moves at all */
    sim_time_t stuck_interval_ns;       /* free, stuck, free, ... this long each; 0 never */
    int64_t inaccuracy_bytes;           /* stops this far short of its target */
    int boot_ballooned;                 /* boots at memory with a balloon of memory - startup */
    int grow_needs_free;                /* deflating takes unallocated host memory */
    double pressure_bytes_per_s;        /* 0: none; else the rate when the guest must reclaim */
    double pressure_min_bytes_per_s;
    sim_time_t stats_period_ns;    /* the guest's memory statistics are refreshed this often
                                    * (0: a policy reads them as they are now) */
} balloon_params_t;

extern const sim_key_table_t balloon_key_table;
/* "key=value;key=value" text of a preset, or NULL for an unknown preset. */
const char *balloon_preset(const char *name);
/* Cross-key checks: SIM_OK, or SIM_EINPUT with the message in err and the key at fault
 * in *key (NULL when p passes). */
int balloon_params_check(const balloon_params_t *p, const char **key, char *err, size_t errlen);

typedef enum {
    BALLOON_IDLE, BALLOON_WAITING, BALLOON_INFLATING, BALLOON_DEFLATING
} balloon_state_t;

typedef enum { BALLOON_OP_INFLATE, BALLOON_OP_DEFLATE, BALLOON_OP_HOTADD } balloon_op_kind_t;
const char *balloon_op_kind_name(balloon_op_kind_t k);

/* Linux hv_balloon floor (MiB of RAM -> MiB floor), in pages. */
int64_t balloon_linux_hv_floor_pages(int64_t ram_pages);

typedef struct vm vm_t;        /* models/vm.h: a VM holds its driver (v->b) */

/* The driver of one VM. */
typedef struct balloon {
    balloon_state_t state;
    int unresponsive;
    int64_t size_pages;
    int64_t target_pages;      /* as asked by the policy, clamped (balloon_set_target) */
    sim_event_t *ev;           /* WAITING timer or chunk completion */
    sim_event_t *fault_ev;     /* next change of responsiveness */
    int stuck_phase;           /* stuck_interval: in a stuck half-period */
    sim_event_t *sticky_ev;    /* next change of stuck_phase */
    /* the operation in progress */
    int64_t op_seq;
    balloon_op_kind_t op_kind;
    sim_time_t op_issued_ns, op_started_ns;
    int64_t op_asked_pages, op_moved_pages;
    int64_t chunk_pages;       /* in flight */
    sim_time_t backoff_ns;
    sim_time_t progress_ns;    /* last time the balloon moved or the target was met */
    double pressure_pages_per_s;  /* vmw_balloon's sleeping-allocation rate (rate_alloc) */
    double chunk_pressure_s;      /* seconds of the chunk in flight spent at that rate */
    /* hot-add in progress */
    sim_event_t *hotadd_ev;
    int64_t hotadd_pages;
    sim_time_t hotadd_issued_ns;
    gsl_rng *rng;              /* outages (mtbf, unresponsive spells): a world stream,
                                * "vm/NAME/balloon"; NULL when mtbf = 0 */
    gsl_rng *refuse_rng;       /* refusals, drawn once per operation, so its position
                                * depends on the policy: its own stream,
                                * "vm/NAME/balloon/refuse"; NULL when never refused */
} balloon_t;

/* The driver of VM v (balloon.c).  Targets and sizes in pages, times in ns. */
void balloon_init(vm_t *v, gsl_rng *rng, gsl_rng *refuse_rng);
void balloon_set_target(vm_t *v, int64_t target_pages, sim_time_t now_ns);
void balloon_hot_add(vm_t *v, int64_t pages, sim_time_t now_ns);
void balloon_on_oom(vm_t *v, sim_time_t now_ns);
int64_t balloon_max_pages(const vm_t *v);
void balloon_stop(vm_t *v);
int balloon_is_stuck(const vm_t *v, sim_time_t now_ns);

#endif
