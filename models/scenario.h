/*
 * models/scenario.h -- a scenario file bound to typed parameters (scenario_*).
 *
 * Sections (docs/scenarios.md; every key is in a declarative table, see scenario.c, and
 * `balloonsim keys` prints them):
 *   [simulation]  duration, seed, seeds, repeat, baseline, sample_interval, output, output.vms, check
 *   [host]        count, memory, reserve, vm_overhead, swap_bandwidth, swap_latency,
 *                 high, soft, hard, low (free-memory thresholds, % of host memory)
 *   [vm NAME]     a group of identical VMs: count, memory, startup, min, shares, weight,
 *                 buffer, kernel, swap, swap_bandwidth, disk_latency, swap_latency,
 *                 zipf_alpha, start, stop, restart, and workload.* (models/workload.h)
 *   [balloon]     preset and driver keys (models/balloon.h), for every VM; a group's
 *                 balloon.KEY (any key but preset) overrides one for that group
 *   [policy]      name and the chosen policy's own keys (models/policies/)
 *   [request NAME] a host memory request: at, size, deadline, hold, host (request.h)
 *   [expect]      assertions checked by `balloonsim check` (cli/expect.h)
 * Unknown sections and keys are errors naming file, line, section and key, with the
 * nearest valid key suggested.  Placement: VM j (counting over groups in file order)
 * runs on host j mod count (round robin) -- a documented choice.
 */
#ifndef MODELS_SCENARIO_H
#define MODELS_SCENARIO_H

#include "sim/ini.h"
#include "sim/keys.h"
#include "models/balloon.h"
#include "models/policy.h"
#include "models/workload.h"

typedef struct scn_sim {
    sim_time_t duration_ns;
    int64_t seed;
    int64_t repeat;
    sim_time_t sample_interval_ns;
    char output[SIM_STR_MAX];        /* summary | host | vm */
    char output_vms[SIM_STR_MAX];    /* glob over VM names for vm-level output */
    char output_decisions[SIM_STR_MAX];  /* auto | yes | no: the decisions table */
    int check;                       /* check invariants after every event */
    char seeds[SIM_STR_MAX];         /* per-repetition (common random numbers) | per-run */
    char baseline[SIM_STR_MAX];      /* policy the paired differences are taken against */
    char memory_model[SIM_STR_MAX];  /* v2 | legacy (issue 23; scenario.c) */
} scn_sim_t;

typedef struct scn_host {
    int64_t count;
    int64_t memory_bytes;
    int64_t reserve_bytes;
    int64_t vm_overhead_bytes;
    double swap_bytes_per_s;
    sim_time_t swap_latency_ns;
    char storage[SIM_STR_MAX];       /* swap device preset (models/device.h) or custom */
    char io[SIM_STR_MAX];            /* open | closed (host.c, docs/models.md "Devices") */
    double swap_write_bytes_per_s;   /* sequential writes (swap-outs; io = closed) */
    char io_writes[SIM_STR_MAX];     /* load | free: writes use device bandwidth (io = closed) */
    double high, soft, hard, low;    /* fractions of host memory */
    sim_time_t start_deadline_ns;    /* a VM start's memory request is refused after this */
} scn_host_t;

typedef struct scn_vm {
    char name[SIM_STR_MAX];
    int line;                        /* line of the section header, for messages */
    int64_t count;
    int64_t memory_bytes;
    int64_t startup_bytes;
    int64_t min_bytes;
    double shares;
    double weight;
    double buffer;
    int64_t kernel_bytes;
    int64_t swap_bytes;
    double swap_bytes_per_s;
    double disk_bytes_per_s;         /* guest disk bandwidth (io = closed) */
    double disk_write_bytes_per_s;   /* its sequential write bandwidth (swap-outs, write-back) */
    char storage[SIM_STR_MAX];       /* guest disk preset (models/device.h) or custom */
    sim_time_t disk_latency_ns;
    sim_time_t swap_latency_ns;
    double zipf_alpha;
    char reclaim[SIM_STR_MAX];       /* cache-first | linux (guest.h) */
    int64_t swappiness;              /* Linux vm_swappiness, 0..200 */
    char anon_refs[SIM_STR_MAX];     /* uniform | hot-cold (guest.h) */
    char file_cache[SIM_STR_MAX];    /* stationary | tracking (guest.h) */
    double dirty_fraction;
    int64_t readahead_bytes;
    double hot_share;                /* share of anon references to the hot set */
    sim_time_t start_ns;
    sim_time_t stop_ns;              /* 0 = runs to the end */
    sim_time_t restart_ns;           /* 0 = no restart; else stopped and booted again then */
    workload_params_t wl;
    balloon_params_t balloon;        /* [balloon], overridden by this group's balloon.KEY */
} scn_vm_t;

typedef struct scn_request {        /* [request NAME]: a host memory request (request.h) */
    char name[SIM_STR_MAX];
    int line;
    sim_time_t at_ns;
    int64_t size_bytes;
    sim_time_t deadline_ns;          /* after at */
    sim_time_t hold_ns;              /* 0 = to the end of the run */
    int64_t host;
} scn_request_t;

typedef struct scenario {
    char path[SIM_STR_MAX];
    const sim_ini_t *ini;            /* not owned */
    scn_sim_t sim;
    scn_host_t host;
    balloon_params_t balloon;
    const policy_type_t *policy;
    void *policy_params;             /* owned, policy->params_size bytes */
    scn_vm_t *vms;
    size_t nvm_groups;
    scn_request_t *requests;
    size_t nrequests;
    const char **expect;             /* the [expect] lines (pointers into ini) */
    int *expect_lines;
    size_t nexpect;
} scenario_t;

extern const sim_key_table_t scn_sim_key_table, scn_host_key_table, scn_vm_key_table, scn_request_key_table;

/* Bind and validate.  Errors: SIM_EINPUT with "file:line: [section] key: message". */
int scenario_load(const sim_ini_t *ini, scenario_t **out, char *err, size_t errlen);
void scenario_destroy(scenario_t *s);                     /* accepts NULL */
/* VMs whose samples output = vm records: those whose GROUP/INDEX name output.vms matches
 * (a group with count 0, a Bitbrains directory not yet read, counts none). */
int64_t scenario_sampled_vms(const scenario_t *s);
/* Call fn for every resolved (section, key, value) -- stored with each run. */
typedef int (*scenario_param_fn)(void *ctx, const char *section, const char *key, const char *value);
int scenario_foreach_param(const scenario_t *s, scenario_param_fn fn, void *ctx);
/* Print every key of every section (and every policy's keys); markdown tables if md. */
void scenario_print_keys(FILE *out, int md);

#endif
