/*
 * models/dc.h -- one run of a scenario: build the datacenter, simulate, record (dc_*).
 *
 * Events and their priorities at equal times (lower first), so that the order is
 * deterministic and meaningful:
 *     0 VM boot / shutdown / restart     10 workload change     20 balloon driver
 *    50 policy tick (per host)           90 metric sample (all hosts)
 * The first policy tick is at one interval, samples at 0, sample_interval, ... and at
 * the end of the run.  VM j runs on host j mod hosts (round robin).  Every entity draws
 * from its own RNG stream, derived from the run seed and the stream's name (sim/rng.h):
 *     vm/GROUP/INDEX/workload         the workload generator, trace phase (world)
 *     vm/GROUP/INDEX/balloon          driver outages: mtbf and unresponsive spells (world;
 *                                     allocated only when balloon.mtbf > 0)
 *     vm/GROUP/INDEX/balloon/refuse   refusals, one draw per operation (only when
 *                                     balloon.refuse_probability > 0)
 *     policy/POLICY/host/H            the policy's own draws (ESX active sampling)
 * The run seed is, by default, the same for every run of one repetition (common random
 * numbers, [simulation] seeds = per-repetition: cli.h), so the world streams of a VM are
 * the same whatever the policy, its parameters or the host; a VM's name does not depend
 * on its group's count, so web/3 draws the same with 4 or 8 web VMs.  Streams whose
 * position depends on what a policy does (refusals, the policy's own) are kept apart
 * from the world streams so that they never shift them.
 *
 * Summary metrics (run_summary, long format; bytes and seconds):
 *   host_swap_out_bytes, host_faults, guest_swap_out_bytes, guest_swap_in_bytes,
 *   cache_misses, major_faults, oom_kills, balloon_inflated_bytes, balloon_deflated_bytes,
 *   hotadd_bytes, balloon_cpu_s, balloon_ops, stall_s, mean_slowdown, max_slowdown,
 *   vms_short (VMs short of memory -- stall >= 10% -- for >= 25% of their running time),
 *   events, vm_ticks; memory requests (request.h, docs/database.md): requests,
 *   requests_ok, requests_refused, requests_cannot_free, requests_domains_refused,
 *   requests_not_enough_memory, requests_deadline, requests_pending, request_wait_mean_s,
 *   request_wait_max_s; the articles' claims (docs/models.md "The four claims as
 *   metrics"): host_utilisation_mean (fraction), idle_mean_bytes, demand_rises,
 *   memory_wait_p50_s, memory_wait_p95_s (observed at sample times).
 * Per VM (vm_summary): the same counters plus usable/assigned/balloon mean, max, final
 * (bytes), slowdown mean and max, short_fraction, idle_mean_bytes.
 */
#ifndef MODELS_DC_H
#define MODELS_DC_H

#include <signal.h>
#include "sim/engine.h"
#include "sim/db.h"
#include "models/cache.h"
#include "models/host.h"
#include "models/request.h"
#include "models/scenario.h"
#include "models/vm.h"
#include "models/workload.h"

typedef void (*dc_progress_fn)(void *ctx, double sim_s, double end_s, uint64_t events);

typedef struct dc_options {
    uint64_t seed;                       /* this run's seed */
    volatile sig_atomic_t *stop;         /* set by a signal handler; NULL = never */
    int check;                           /* check page conservation after every event */
    dc_progress_fn progress;             /* NULL = none */
    void *progress_ctx;
    int scratch_db;                      /* the database is a copy read once by rowid and
                                          * deleted (a sweep worker's): its sample tables
                                          * are left without their indexes */
} dc_options_t;

typedef struct dc_result {
    int64_t run_id;
    uint64_t events;
    uint64_t vm_ticks;
    uint64_t rows;
    double wall_s;
    char fingerprint[17];                /* hex FNV-1a of the deterministic record stream */
    const char *status;                  /* complete | interrupted | failed */
} dc_result_t;

/* Load every workload source a run of s would (trace files, Bitbrains files and
 * directories) through lib, with the run's own loaders, and report the first error as a
 * run would ("FILE: [vm NAME] workload: ...").  Nothing is simulated.  `validate`, `sweep`
 * and `run` call it for every point before the first run (issue 15); a shared lib loads
 * each file once. */
int dc_check_workloads(const scenario_t *s, workload_library_t *lib, char *err, size_t errlen);

/* Run scenario s once and record it in db as a new run described by info.  Returns 0
 * (complete), SIM_EINTR (stopped by the flag: run marked interrupted), SIM_EINPUT (a bad
 * trace, etc.: run marked failed), SIM_EIO (database), SIM_EINTERNAL (an invariant). */
int dc_run(const scenario_t *s, db_t *db, const db_run_info_t *info, const dc_options_t *opt,
           dc_result_t *res, char *err, size_t errlen);

/* The names of the summary metrics every complete run writes (run_summary and
 * vm_summary), NULL-terminated: what `capacity --budget` accepts before any run exists.
 * tests/unit/test_claims.c checks them against what a run writes. */
extern const char *const dc_run_metrics[];
extern const char *const dc_vm_metrics[];

/* Bytes the run of s will add to its database at least (samples at its output level and
 * the summaries; balloon operations, targets and logs left out): the lower bound of the
 * disk check in dc.c, and what `sweep` adds up before it starts (issue 21). */
double dc_estimate_db_bytes(const scenario_t *s);

typedef struct record record_t; /* models/record.h */

/* One run: the datacenter being simulated (dc.c builds it; the model's files share it). */
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
    request_stats_t req;       /* memory requests of the run (request.h) */
    int64_t next_request_id;
};

/* Add data to the run's fingerprint (FNV-1a). */
void dc_fingerprint_add(dc_t *dc, const void *data, size_t len);
/* Boot v now and start its workload (models/dc.c). */
void dc_boot_vm(vm_t *v, sim_time_t now_ns);

#endif
