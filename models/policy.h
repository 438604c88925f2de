/*
 * models/policy.h -- the interface between a memory-overcommitment policy and the
 * hypervisor it runs in (policy_*).
 *
 * A policy is a type struct of function pointers (like gsl_rng_type) in a registry
 * (models/policy.c), chosen by `[policy] name = ...`.  One instance runs per host; it is
 * ticked every interval_ns and acts only through balloon targets and hot-add.
 *
 * What a policy may observe (docs/policies.md: never the ground truth):
 *   - the host: capacity, free pages, the free-memory thresholds;
 *   - per VM: configuration (configured/assigned/min/startup sizes, shares, weight,
 *     buffer), balloon size and target, and the statistics a guest agent reports
 *     (virtio-balloon stats, Hyper-V pressure reports): free, cache, committed,
 *     swap-in/out and major-fault rates, and a pressure-stall fraction (PSI "some") --
 *     as of the guest's last report ([balloon] stats_period), not as they are now; PSI's
 *     cumulative total and its avg10 are read as the kernel keeps them;
 *   - active memory only through policy_sample_active(): n random guest pages are
 *     checked for a touch during the last period, as ESX's sampler does; the result is
 *     a Binomial(n, f) draw on the policy's own RNG stream, so it carries sampling error.
 * The `oracle` policy alone calls policy_truth() and policy_truth_stall().
 *
 * Acting: policy_set_target(ctx, i, pages) asks for `pages` of guest-usable memory
 * (assigned - balloon).  Below the assigned size the balloon inflates; above it the
 * balloon deflates, and beyond that, with allow_hot_add, memory is hot-added in the
 * driver's hot-add chunks (never above the configured maximum).  Targets are clamped to
 * what the driver allows (maximum balloon fraction, guest floor) by the driver itself.
 *
 * Units: pages (4 KiB), rates per second, time in ns.
 */
#ifndef MODELS_POLICY_H
#define MODELS_POLICY_H

#include <gsl/gsl_rng.h>
#include "sim/keys.h"

typedef struct policy_ctx policy_ctx_t;        /* the host, as a policy sees it */

typedef struct policy_host_obs {
    int64_t capacity_pages;        /* host memory less hypervisor reserve */
    int64_t free_pages;            /* host free pages now */
    int64_t unallocated_pages;     /* capacity less what running VMs hold (usable +
                                    * overhead): free memory for a hypervisor that backs
                                    * all of a VM's memory (Xen, Hyper-V starts) */
    int64_t high_pages, soft_pages, hard_pages, low_pages;   /* free-memory thresholds */
    int32_t nvms;                  /* VMs on the host, running or not */
} policy_host_obs_t;

typedef struct policy_vm_obs {
    int running;                   /* 0 before start / after stop */
    sim_time_t boot_ns;            /* when it last booted (-1 when not running): a new
                                    * value is a restart, a new guest (state to forget) */
    int64_t configured_pages;      /* maximum the guest can see */
    int64_t assigned_pages;        /* guest-physical memory now (grows by hot-add) */
    int64_t min_pages;             /* reservation / minimum RAM / dynamic-min / guaranteed */
    int64_t startup_pages;
    double shares;                 /* ESX shares */
    double weight;                 /* Hyper-V memory weight, 0..10000 */
    double buffer;                 /* Hyper-V memory buffer, fraction (0.2 = 20%) */
    int64_t balloon_pages;
    int64_t balloon_target_pages;
    int64_t usable_pages;          /* assigned - balloon */
    int balloon_stuck;             /* no progress on a pending target for 5 s (driver report) */
    int64_t balloon_inaccuracy_pages; /* the driver's declared inaccuracy (squeezed reads it) */
    /* guest-reported statistics: the guest's last report, refreshed every [balloon]
     * stats_period (virtio 5 s, hyperv 1 s; 0 = as they are now) -- policies see them as
     * old as the real system does (docs/policies.md, "What each policy reads") */
    sim_time_t stats_ns;           /* time of that report */
    int64_t guest_free_pages;
    int64_t guest_cache_pages;
    int64_t guest_available_pages; /* free + cache */
    int64_t committed_pages;       /* kernel + anonymous demand */
    double swap_in_pages_per_s;
    double swap_out_pages_per_s;
    double major_faults_per_s;
    double stall_fraction;         /* share of time stalled on memory (PSI "some"), 0..1 */
    double stall_total_ns;         /* memory stall accumulated since the VM was created, ns
                                    * (the counter behind PSI "some" total; never decreases;
                                    * read directly, as senpai reads memory.pressure) */
    double stall_avg10;            /* PSI "some" avg10: 10 s moving average of the share of
                                    * time stalled, 0..1 (kernel/sched/psi.c) */
} policy_vm_obs_t;

/* Ground truth, for the oracle only. */
typedef struct policy_vm_truth {
    int64_t need_pages;            /* kernel + anon demand + file working set */
    int64_t anon_pages, file_pages;
    double active_fraction;
    int64_t kernel_pages;          /* the guest kernel's reserve */
    int64_t swap_max_pages;        /* guest swap device */
    int64_t touched_pages;         /* guest pages the host backs, resident or host-swapped */
    int64_t resident_pages;        /* host memory backing the guest now (touched less
                                    * host-swapped); 0 when not running */
    int64_t usable_floor_pages;    /* least usable the balloon driver allows (assigned less
                                    * its largest balloon); 0 when not running */
} policy_vm_truth_t;

void policy_host(policy_ctx_t *ctx, policy_host_obs_t *out);
int32_t policy_nvms(policy_ctx_t *ctx);
void policy_vm(policy_ctx_t *ctx, int32_t i, policy_vm_obs_t *out);
void policy_truth(policy_ctx_t *ctx, int32_t i, policy_vm_truth_t *out);
/* The oracle's cost curve: memory stall (ns per second) VM i would suffer once settled
 * at usable_pages with its present demand (guest_settled_at, guest_rates, vm_stall_ns:
 * the model's own functions, so the curve follows the model); no host swapping. */
double policy_truth_stall(policy_ctx_t *ctx, int32_t i, int64_t usable_pages);
int64_t policy_sample_active(policy_ctx_t *ctx, int32_t i, int64_t n, gsl_rng *rng);
void policy_set_target(policy_ctx_t *ctx, int32_t i, int64_t usable_pages, int allow_hot_add);
/* Record a decision or state change in the database (table policy_log). vm = -1: the host. */
void policy_log(policy_ctx_t *ctx, int32_t vm, const char *what, double value);
sim_time_t policy_now(policy_ctx_t *ctx);
/* The decisions table (docs/database.md): does VM i's row get written?  A policy builds
 * its inputs only when it does, then calls policy_decision once per VM per tick, with the
 * rule or branch that fired, the usable memory it asked for (-1: none, NULL in the table)
 * and its inputs as a JSON object (policy_json_*).  Rows are never part of the
 * fingerprint: a run that writes them gives the same results as one that does not. */
int policy_decisions(policy_ctx_t *ctx, int32_t i);
void policy_decision(policy_ctx_t *ctx, int32_t i, const char *rule, int64_t target_pages, const char *inputs_json);
/* A JSON object built in a caller's buffer: policy_json_begin, then one _num/_int/_str
 * per member, then policy_json_end; a member that does not fit is dropped whole (the
 * object stays valid). */
typedef struct policy_json {
    char *buf;
    size_t cap, len;
} policy_json_t;
void policy_json_begin(policy_json_t *j, char *buf, size_t cap);
void policy_json_num(policy_json_t *j, const char *key, double v);
void policy_json_int(policy_json_t *j, const char *key, int64_t v);
void policy_json_str(policy_json_t *j, const char *key, const char *v);
const char *policy_json_end(policy_json_t *j);
/* Is the guest of a VM a new one for a policy whose per-VM state belongs to the boot
 * *seen_ns?  True when the VM is not running or has booted again since; *seen_ns then
 * takes boot_ns (-1 when not running).  The policy forgets what it learnt of the old
 * guest.  Start *seen_ns at -1, so that a VM running at the first tick is new. */
static inline int policy_vm_new_guest(int running, sim_time_t boot_ns, sim_time_t *seen_ns)
{
    if (running && boot_ns == *seen_ns)
        return 0;
    *seen_ns = running ? boot_ns : -1;
    return 1;
}
/* Scratch memory for a tick, one buffer shared by the policy instances of every host
 * (ticks never overlap): create() reserves the bytes its tick needs (SIM_OK, or
 * SIM_ENOMEM), tick() gets the buffer with policy_scratch (64-byte aligned, at least every
 * size reserved; contents do not survive the tick).  Per-tick arrays kept per host are
 * cold when the host's next tick comes, 15 s of simulated time and every other host
 * later; one shared buffer stays in cache (issue 9: esx-share on dc-large 7 % faster). */
int policy_scratch_reserve(policy_ctx_t *ctx, size_t bytes);
void *policy_scratch(policy_ctx_t *ctx);

/* ---- host memory requests (models/request.h) ----
 * A VM start (under a policy with `admit`) or a [request] section asks the host for
 * `pages` by deadline_ns.  admit() is asked first, at issue: it grants at once or lets the
 * request wait; a waiting request is the policy's to end in a later tick, with
 * policy_request_grant or policy_request_refuse (the host refuses it at its deadline). */
typedef enum {
    REQUEST_OK, REQUEST_CANNOT_FREE, REQUEST_DOMAINS_REFUSED, REQUEST_NOT_ENOUGH_MEMORY, REQUEST_DEADLINE,
    REQUEST_NOUTCOMES
} request_outcome_t;

typedef struct policy_request {
    int64_t id;
    int32_t vm;                    /* a start: the VM's index on the host; -1: explicit */
    int restart;                   /* a start that is a reboot (the VM ran before) */
    int64_t pages;                 /* asked for: a start's startup memory + VM overhead */
    sim_time_t issued_ns, deadline_ns;
} policy_request_t;

typedef enum { POLICY_REQUEST_WAIT, POLICY_REQUEST_GRANT } policy_admit_t;

/* The oldest pending request of the host: 1 and *out filled, or 0 when none. */
int policy_request_next(policy_ctx_t *ctx, policy_request_t *out);
/* End pending request id: granted (a start boots now), or refused with outcome why. */
void policy_request_grant(policy_ctx_t *ctx, int64_t id);
void policy_request_refuse(policy_ctx_t *ctx, int64_t id, request_outcome_t why);

typedef struct policy_type {
    const char *name;
    const char *summary;                    /* one line for `balloonsim policies` */
    const sim_key_table_t *keys;            /* keys of the [policy] section besides `name` */
    size_t params_size;                     /* size of the params struct the keys fill */
    /* Check cross-key constraints of params (0 or SIM_EINPUT with message). May be NULL. */
    int (*check)(const void *params, char *err, size_t errlen);
    sim_time_t (*interval_ns)(const void *params);
    /* One instance per host; params outlive it; rng is the policy's own stream. */
    int (*create)(void **state, const void *params, policy_ctx_t *ctx, gsl_rng *rng,
                  char *err, size_t errlen);
    void (*destroy)(void *state);
    void (*tick)(void *state, policy_ctx_t *ctx, sim_time_t now_ns);
    /* Memory requests: NULL = VM starts boot at once and the host itself waits for free
     * memory for explicit requests (request.h).  Else VM starts are requests too, and
     * admit() answers each at issue; one that waits is ended by a later tick. */
    policy_admit_t (*admit)(void *state, policy_ctx_t *ctx, const policy_request_t *r);
    /* 1: a sample of how to write a policy (`example`, docs/policies.md), not a policy of
     * the literature: it runs when named, but is not one of the policies compared. */
    int sample;
} policy_type_t;

const policy_type_t *policy_find(const char *name);
size_t policy_count(void);
const policy_type_t *policy_at(size_t i);
/* Is p one of the policies compared: the set `all` stands for everywhere (`balloonsim
 * capacity --policies all`, `balloonsim policies --compared`, which scripts/figures.sh and
 * scripts/bench.sh read)?  Every policy of the registry but the samples. */
int policy_compared(const policy_type_t *p);

#endif
