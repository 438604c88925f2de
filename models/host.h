/*
 * models/host.h -- one host: its memory, host swapping, and integrating its VMs over time
 * (host_*; models/host.c).  The model (conservation C3, host swapping by random victims,
 * double paging) is described in models/vm.h and models/host.c.  Pages and ns.
 */
#ifndef MODELS_HOST_H
#define MODELS_HOST_H

#include <gsl/gsl_rng.h>
#include "sim/engine.h"
#include "models/device.h"
#include "models/guest.h"
#include "models/request.h"
#include "models/vm.h"

typedef struct dc dc_t;        /* models/dc.h: the run a host belongs to */

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
    int io_closed;             /* [host] io = closed */
    double swap_rho;           /* swap device utilisation (io = closed; host_refresh_devices) */
    double swap_response_s;    /* its response time per page (device.h D1; = latency when open) */
    double swap_read_load;     /* sum of the VMs' host faults per s (closed: kept <= bandwidth) */
    int devices_stale;         /* a VM's host-fault demand changed since the last solve */
    int io_writes;             /* [host] io_writes = load: writes use device time */
    double swap_write_pages_per_s;  /* the swap device's sequential write bandwidth */
    device_queue_t swap_q;     /* host swap-outs made at once (device.h) */
    int64_t churn_back_pages;  /* host faults brought back since the last swap-out (churn) */
    vm_t **vms;
    int32_t nvms;
    void *policy_state;
    gsl_rng *policy_rng;
    request_t *reqs;           /* pending memory requests, oldest first (request.h) */
    int32_t nreqs, reqs_cap;
};

/* Pages no running domain holds: capacity - reserve - sum (usable + overhead) -- free
 * memory as Xen counts it (a domain holds all of its guest memory). */
int64_t host_unallocated_pages(const host_t *h);

/* Integrate v to now_ns; if the host must swap, every VM of the host first. */
void host_advance_vm(vm_t *v, sim_time_t now_ns);
/* Integrate every VM of h to now_ns, then swap down to the hard threshold if needed. */
void host_advance_all(host_t *h, sim_time_t now_ns);
/* Apply a guest change: back newly touched pages (swapping if needed), take released ones. */
void host_apply_delta(host_t *h, vm_t *v, const guest_delta_t *d, sim_time_t now_ns);
/* io = closed: the swap device's time per host fault (s): the read, and while the host is
 * at its swap threshold the write of the page it evicts in exchange (churn; at the
 * sequential write bandwidth with io_writes = load, else at the read bandwidth). */
double host_seconds_per_fault(const host_t *h);
/* Check conservation C1-C3 on h: 0, or SIM_EINTERNAL with a message. */
int host_check(const host_t *h, char *err, size_t errlen);

#endif
