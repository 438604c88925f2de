/*
 * models/request.h -- host memory requests (request_*): "free N bytes on this host by a
 * deadline, or say why not" (docs/scenarios.md "Memory requests", docs/database.md).
 *
 * A request comes from a VM start (its startup memory plus the per-VM overhead) under a
 * policy that admits starts (policy_type_t.admit: squeezed, hyperv-dm), or from a
 * [request NAME] section at its time.  Its life:
 *
 *            request_issue                      policy grants (admit or tick)
 *   (none) ---------------> PENDING ------------------------------------------> GRANTED
 *                              |   the policy refuses: cannot_free, domains_refused,
 *                              |   not_enough_memory; or the deadline passes: deadline
 *                              +----------------------------------------------> REFUSED
 *
 * GRANTED: a start boots its VM; an explicit request takes its pages from host free
 * memory into the hypervisor's reserve (a domain being built) for `hold`, or to the end.
 * Under a policy without `admit` the host itself waits: at issue, after every policy
 * tick, VM shutdown, release of a held request and metric sample, the oldest pending
 * requests are granted while host free memory covers them and stays at or above the
 * `hard` threshold; starts then boot at once, as before (ESX and
 * KVM hosts overcommit and swap).
 * Every request is an event `request` at issue (value: bytes), and one at its end:
 * `request_ok` or `request_REASON` (value: seconds since issue); the run summary counts
 * them (dc.h).  Pending requests are served in issue order (squeezed serialises them).
 * Units: pages and ns.
 */
#ifndef MODELS_REQUEST_H
#define MODELS_REQUEST_H

#include <stdint.h>
#include "sim/engine.h"
#include "models/policy.h"

typedef struct host host_t;
typedef struct vm vm_t;

/* A pending request (the outcomes, request_outcome_t, are in policy.h). */
typedef struct request {
    policy_request_t r;        /* what a policy sees */
    vm_t *v;                   /* the VM of a start, NULL for an explicit request */
    int32_t k;                 /* explicit: index of its [request] section */
    sim_time_t hold_ns;        /* explicit: how long a granted request keeps its pages */
    sim_event_t *deadline_ev;
} request_t;

/* Name of an outcome: "ok", "cannot_free", ... */
const char *request_outcome_name(request_outcome_t o);

/* Per-run counters, summed over hosts (the summary metrics). */
typedef struct request_stats {
    double issued;
    double by_outcome[REQUEST_NOUTCOMES];
    double wait_ok_sum_s, wait_ok_max_s;   /* issue to grant, granted requests */
} request_stats_t;

/* Ask v's host for its start (restart: a reboot).  Under a policy that does not admit
 * starts the VM boots at once. */
void request_start(vm_t *v, int restart, sim_time_t now_ns);
/* The k-th [request] section: pages on host h, refused if pending at deadline_ns; a
 * granted one is held for hold_ns (0: to the end of the run). */
void request_explicit(host_t *h, int32_t k, int64_t pages, sim_time_t deadline_ns, sim_time_t hold_ns,
                      sim_time_t now_ns);
/* Under a policy without `admit`, grant the oldest pending requests free memory covers
 * (called after the events that free memory: see above). */
void request_host_poll(host_t *h, sim_time_t now_ns);
/* Free the host's queue (the run is over). */
void request_host_destroy(host_t *h);

#endif
