/*
 * models/request.c -- host memory requests: the queue of each host, admission, grant,
 * refusal, deadline, and their events and counters.  The model and its state diagram are
 * in request.h; the policies' side in policy.h; docs/scenarios.md "Memory requests".
 *
 * Transitions and the function for each:
 *   (none) -> PENDING        request_start, request_explicit (then admit / host_poll)
 *   PENDING -> GRANTED       policy_request_grant, or admit, or request_host_poll
 *   PENDING -> REFUSED       policy_request_refuse, or on_deadline
 */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include "models/dc.h"
#include "models/host.h"
#include "models/record.h"
#include "models/request.h"
#include "models/vm.h"

enum { PRIO_REQUEST = 55 };   /* after the policy tick (50), before samples (90) */

static const struct {
    request_outcome_t o;
    const char *name;          /* the outcome; the end event is "request_" name */
} outcomes[] = {
    {REQUEST_OK, "ok"},
    {REQUEST_CANNOT_FREE, "cannot_free"},
    {REQUEST_DOMAINS_REFUSED, "domains_refused"},
    {REQUEST_NOT_ENOUGH_MEMORY, "not_enough_memory"},
    {REQUEST_DEADLINE, "deadline"},
};

const char *request_outcome_name(request_outcome_t o)
{
    for (size_t i = 0; i < sizeof outcomes / sizeof outcomes[0]; i++)
        if (outcomes[i].o == o)
            return outcomes[i].name;
    return "unknown";
}

#define HOST(ctx) ((host_t *)(void *)(ctx))

static int32_t event_vm(const request_t *q) { return q->v ? q->v->id : -1 - q->k; }

/* Index of request id in h's queue, or -1. */
static int32_t find(const host_t *h, int64_t id)
{
    for (int32_t i = 0; i < h->nreqs; i++)
        if (h->reqs[i].r.id == id)
            return i;
    return -1;
}

static void on_release(void *ctx, int64_t pages, sim_time_t now)
{
    host_t *h = ctx;
    host_advance_all(h, now);
    h->reserve_pages -= pages;
    h->free_pages += pages;
    request_host_poll(h, now);
}

/* Remove request i from the queue and carry out its outcome. */
static void finish(host_t *h, int32_t i, request_outcome_t o, sim_time_t now)
{
    request_t q = h->reqs[i];
    memmove(&h->reqs[i], &h->reqs[i + 1], (size_t)(h->nreqs - i - 1) * sizeof *h->reqs);
    h->nreqs--;
    dc_t *dc = h->dc;
    if (q.deadline_ev)
        sim_engine_cancel(dc->engine, q.deadline_ev);
    double waited_s = sim_time_to_s(now - q.r.issued_ns);
    char what[48];
    snprintf(what, sizeof what, "request_%s", request_outcome_name(o));
    record_event(dc->rec, now, event_vm(&q), what, waited_s);
    dc->req.by_outcome[o] += 1;
    if (o != REQUEST_OK)
        return;
    dc->req.wait_ok_sum_s += waited_s;
    if (waited_s > dc->req.wait_ok_max_s)
        dc->req.wait_ok_max_s = waited_s;
    if (q.v) {
        dc_boot_vm(q.v, now);
        return;
    }
    host_advance_all(h, now);                 /* the pages become the hypervisor's */
    h->reserve_pages += q.r.pages;
    h->free_pages -= q.r.pages;
    if (h->free_pages < h->hard_pages)
        host_advance_all(h, now);
    if (q.hold_ns > 0 && now + q.hold_ns <= dc->scn->sim.duration_ns)
        sim_engine_at(dc->engine, now + q.hold_ns, PRIO_REQUEST, on_release, h, q.r.pages);
}

static void on_deadline(void *ctx, int64_t id, sim_time_t now)
{
    host_t *h = ctx;
    int32_t i = find(h, id);
    if (i < 0)
        return;
    h->reqs[i].deadline_ev = NULL;
    finish(h, i, REQUEST_DEADLINE, now);
}

/* Free memory covers the request and leaves the host at or above `hard`. */
static int fits(const host_t *h, int64_t pages) { return h->free_pages - pages >= h->hard_pages; }

/* Queue q, record it, and ask the policy (or the host) at once. */
static void issue(host_t *h, request_t q, sim_time_t now)
{
    dc_t *dc = h->dc;
    if (h->nreqs == h->reqs_cap) {
        int32_t cap = h->reqs_cap ? 2 * h->reqs_cap : 4;
        request_t *n = realloc(h->reqs, (size_t)cap * sizeof *n);
        if (!n) {                                 /* no room to wait: refuse at once */
            record_event(dc->rec, now, event_vm(&q), "request_not_enough_memory", 0);
            dc->req.issued += 1;
            dc->req.by_outcome[REQUEST_NOT_ENOUGH_MEMORY] += 1;
            return;
        }
        h->reqs = n;
        h->reqs_cap = cap;
    }
    q.r.id = dc->next_request_id++;
    q.r.issued_ns = now;
    dc->req.issued += 1;
    record_event(dc->rec, now, event_vm(&q), "request", (double)(q.r.pages * SIM_PAGE_BYTES));
    if (q.r.deadline_ns <= dc->scn->sim.duration_ns)
        q.deadline_ev = sim_engine_at(dc->engine, q.r.deadline_ns, PRIO_REQUEST, on_deadline, h, q.r.id);
    h->reqs[h->nreqs++] = q;
    const policy_type_t *pt = dc->scn->policy;
    if (pt->admit) {
        if (pt->admit(h->policy_state, (policy_ctx_t *)(void *)h, &q.r) == POLICY_REQUEST_GRANT)
            finish(h, find(h, q.r.id), REQUEST_OK, now);
    } else {
        request_host_poll(h, now);
    }
}

void request_start(vm_t *v, int restart, sim_time_t now)
{
    host_t *h = v->host;
    if (!h->dc->scn->policy->admit) {
        dc_boot_vm(v, now);
        return;
    }
    request_t q = {0};
    q.v = v;
    q.r.restart = restart;
    q.r.pages = v->startup_pages + h->overhead_pages;
    q.r.deadline_ns = now + h->dc->scn->host.start_deadline_ns;
    q.r.vm = -1;
    for (int32_t i = 0; i < h->nvms; i++)
        if (h->vms[i] == v)
            q.r.vm = i;
    issue(h, q, now);
}

void request_explicit(host_t *h, int32_t k, int64_t pages, sim_time_t deadline_ns, sim_time_t hold_ns,
                      sim_time_t now)
{
    request_t q = {0};
    q.k = k;
    q.hold_ns = hold_ns;
    q.r.vm = -1;
    q.r.pages = pages;
    q.r.deadline_ns = deadline_ns;
    issue(h, q, now);
}

void request_host_poll(host_t *h, sim_time_t now)
{
    if (h->nreqs == 0 || h->dc->scn->policy->admit)
        return;
    host_advance_all(h, now);
    while (h->nreqs > 0 && fits(h, h->reqs[0].r.pages))
        finish(h, 0, REQUEST_OK, now);
}

void request_host_destroy(host_t *h)
{
    free(h->reqs);
    h->reqs = NULL;
    h->nreqs = h->reqs_cap = 0;
}

/* ---------------------------------------------------------------- policy view */

int policy_request_next(policy_ctx_t *ctx, policy_request_t *out)
{
    host_t *h = HOST(ctx);
    if (h->nreqs == 0)
        return 0;
    *out = h->reqs[0].r;
    return 1;
}

void policy_request_grant(policy_ctx_t *ctx, int64_t id)
{
    host_t *h = HOST(ctx);
    int32_t i = find(h, id);
    if (i >= 0)
        finish(h, i, REQUEST_OK, sim_engine_now(h->dc->engine));
}

void policy_request_refuse(policy_ctx_t *ctx, int64_t id, request_outcome_t why)
{
    host_t *h = HOST(ctx);
    int32_t i = find(h, id);
    if (i >= 0 && why != REQUEST_OK)
        finish(h, i, why, sim_engine_now(h->dc->engine));
}
