/*
 * tests/unit/test_queue.c -- the event queue (sim/queue.c) against a reference model.
 *
 * The reference is the simplest correct implementation: an unsorted array of pending
 * records, the minimum found by a linear scan of (time, priority, seq).  Long random
 * sequences of schedule / cancel / reschedule / pop (fixed-seed GSL taus2, so failures
 * reproduce) run on both, with times and priorities drawn from tiny ranges so that
 * equal keys, and the seq tie-break, are the common case.  After every operation the
 * queue's own invariant check (sim_queue_check) runs and size/peek are compared.
 * Also: FIFO order of equal keys, reschedule semantics, pool reuse and bounded growth,
 * the empty queue, handles that are no longer pending, and every allocation failure
 * (fault injection), after which the queue must still be consistent and usable.
 */
#include <criterion/criterion.h>
#include <gsl/gsl_rng.h>
#include <stdlib.h>
#include <string.h>

#include "sim/engine.h"
#include "sim/queue.h"

static void nop(void *ctx, int64_t arg, sim_time_t now_ns)
{
    (void)ctx; (void)arg; (void)now_ns;
}

static void other_fn(void *ctx, int64_t arg, sim_time_t now_ns)
{
    (void)ctx; (void)arg; (void)now_ns;
}

static void check(const sim_queue_t *q)
{
    char err[256] = "";
    int rc = sim_queue_check(q, err, sizeof err);
    cr_assert_eq(rc, 0, "invariant broken: %s", err);
}

/* ---------------------------------------------------------------- reference model */

typedef struct ref_event {
    sim_time_t time_ns;
    int32_t priority;
    uint64_t seq;
    int64_t id;
    sim_event_t *handle;
} ref_event_t;

typedef struct ref {
    ref_event_t *ev;
    size_t n, cap;
    uint64_t next_seq;
} ref_t;

static int ref_less(const ref_event_t *a, const ref_event_t *b)
{
    if (a->time_ns != b->time_ns)
        return a->time_ns < b->time_ns;
    if (a->priority != b->priority)
        return a->priority < b->priority;
    return a->seq < b->seq;
}

static size_t ref_min(const ref_t *r)
{
    size_t best = 0;
    for (size_t i = 1; i < r->n; i++)
        if (ref_less(&r->ev[i], &r->ev[best]))
            best = i;
    return best;
}

static void ref_remove(ref_t *r, size_t i)
{
    r->ev[i] = r->ev[--r->n];
}

static void ref_add(ref_t *r, ref_event_t e)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 64;
        r->ev = realloc(r->ev, r->cap * sizeof *r->ev);
        cr_assert_not_null(r->ev);
    }
    r->ev[r->n++] = e;
}

/* One random run of `ops` operations; keys drawn from [0, time_range) x [0, prios). */
static void random_run(unsigned long seed, long ops, int time_range, int prios, size_t target)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_taus2);
    gsl_rng_set(g, seed);
    sim_queue_t *q = sim_queue_create(4);
    cr_assert_not_null(q);
    ref_t r = { 0 };
    int64_t next_id = 0;
    sim_time_t now = 0;
    size_t max_pending = 0;
    for (long op = 0; op < ops; op++) {
        /* Drift the size around `target`, sometimes far above, sometimes down to empty. */
        double p_sched = r.n < target ? 0.55 : 0.40;
        if ((op / 5000) % 4 == 3)
            p_sched = 0.2;                                /* drain phases */
        double u = gsl_rng_uniform(g);
        if (u < p_sched || r.n == 0) {
            ref_event_t e;
            e.time_ns = now + (sim_time_t)gsl_rng_uniform_int(g, (unsigned long)time_range);
            e.priority = (int32_t)gsl_rng_uniform_int(g, (unsigned long)prios) - 1;
            e.seq = r.next_seq++;
            e.id = next_id++;
            e.handle = sim_queue_schedule(q, e.time_ns, e.priority, nop, &r, e.id);
            cr_assert_not_null(e.handle);
            cr_assert_eq(sim_queue_event_time(e.handle), e.time_ns);
            ref_add(&r, e);
        } else if (u < p_sched + 0.25) {
            size_t m = ref_min(&r);
            sim_fired_t f;
            cr_assert_eq(sim_queue_pop(q, &f), 1);
            cr_assert_eq(f.time_ns, r.ev[m].time_ns, "op %ld: time %lld != %lld", op,
                         (long long)f.time_ns, (long long)r.ev[m].time_ns);
            cr_assert_eq(f.priority, r.ev[m].priority, "op %ld", op);
            cr_assert_eq(f.seq, r.ev[m].seq, "op %ld: seq %llu != %llu", op,
                         (unsigned long long)f.seq, (unsigned long long)r.ev[m].seq);
            cr_assert_eq(f.arg, r.ev[m].id, "op %ld", op);
            cr_assert_eq(f.fn, nop);
            cr_assert_eq(f.ctx, &r);
            cr_assert_geq(f.time_ns, now, "time went back");
            now = f.time_ns;
            ref_remove(&r, m);
        } else if (u < p_sched + 0.40) {
            size_t i = gsl_rng_uniform_int(g, r.n);
            cr_assert_eq(sim_queue_cancel(q, r.ev[i].handle), 0, "op %ld", op);
            ref_remove(&r, i);
        } else {
            size_t i = gsl_rng_uniform_int(g, r.n);
            sim_time_t t = now + (sim_time_t)gsl_rng_uniform_int(g, (unsigned long)time_range);
            cr_assert_eq(sim_queue_reschedule(q, r.ev[i].handle, t), 0, "op %ld", op);
            r.ev[i].time_ns = t;
            r.ev[i].seq = r.next_seq++;
            cr_assert_eq(sim_queue_event_time(r.ev[i].handle), t);
        }
        cr_assert_eq(sim_queue_size(q), r.n, "op %ld", op);
        cr_assert_eq(sim_queue_peek_time(q), r.n ? r.ev[ref_min(&r)].time_ns : SIM_TIME_NEVER,
                     "op %ld", op);
        if (r.n < 300 || op % 101 == 0)
            check(q);
        if (r.n > max_pending)
            max_pending = r.n;
    }
    /* Drain: the rest comes out in reference order. */
    sim_fired_t f;
    while (r.n) {
        size_t m = ref_min(&r);
        cr_assert_eq(sim_queue_pop(q, &f), 1);
        cr_assert_eq(f.arg, r.ev[m].id);
        ref_remove(&r, m);
    }
    cr_assert_eq(sim_queue_pop(q, &f), 0);
    check(q);
    /* The pool never exceeds twice the peak (64 at least). */
    size_t bound = max_pending < 32 ? 64 : 2 * max_pending;
    cr_assert_leq(sim_queue_pool_slots(q), bound, "pool %zu for a peak of %zu",
                  sim_queue_pool_slots(q), max_pending);
    free(r.ev);
    sim_queue_destroy(q);
    gsl_rng_free(g);
}

Test(queue, reference_many_ties)
{
    random_run(1, 200000, 4, 2, 50);           /* 4 times x 2 priorities: ties everywhere */
}

Test(queue, reference_single_key)
{
    random_run(2, 50000, 1, 1, 40);            /* every key equal: order is seq alone */
}

Test(queue, reference_wide_keys_large_queue)
{
    random_run(3, 200000, 1000000, 5, 3000);  /* rare ties, deep heap, pool growth */
}

Test(queue, reference_other_seeds)
{
    for (unsigned long seed = 10; seed < 20; seed++)
        random_run(seed, 20000, 16, 3, 200);
}

/* ---------------------------------------------------------------- ordering */

Test(queue, equal_keys_fire_in_schedule_order)
{
    sim_queue_t *q = sim_queue_create(0);
    for (int i = 0; i < 1000; i++)
        cr_assert_not_null(sim_queue_schedule(q, 42, 7, nop, NULL, i));
    sim_fired_t f;
    uint64_t last_seq = 0;
    for (int i = 0; i < 1000; i++) {
        cr_assert_eq(sim_queue_pop(q, &f), 1);
        cr_assert_eq(f.arg, i);
        cr_assert_eq(f.time_ns, 42);
        cr_assert_eq(f.priority, 7);
        if (i)
            cr_assert_gt(f.seq, last_seq);
        last_seq = f.seq;
    }
    sim_queue_destroy(q);
}

Test(queue, time_then_priority_then_seq)
{
    sim_queue_t *q = sim_queue_create(8);
    sim_queue_schedule(q, 10, 0, nop, NULL, 1);
    sim_queue_schedule(q, 5, 3, nop, NULL, 2);
    sim_queue_schedule(q, 5, -3, nop, NULL, 3);
    sim_queue_schedule(q, 5, 3, nop, NULL, 4);
    sim_queue_schedule(q, INT64_MIN, INT32_MAX, nop, NULL, 5);
    sim_queue_schedule(q, INT64_MAX - 1, INT32_MIN, nop, NULL, 6);
    sim_queue_schedule(q, 5, INT32_MIN, nop, NULL, 7);
    const int64_t want[] = { 5, 7, 3, 2, 4, 1, 6 };
    sim_fired_t f;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        cr_assert_eq(sim_queue_pop(q, &f), 1);
        cr_assert_eq(f.arg, want[i], "pop %zu: got %lld", i, (long long)f.arg);
    }
    sim_queue_destroy(q);
}

Test(queue, payload_is_returned)
{
    sim_queue_t *q = sim_queue_create(1);
    int ctx;
    sim_queue_schedule(q, 3, 1, other_fn, &ctx, -77);
    sim_fired_t f;
    cr_assert_eq(sim_queue_pop(q, &f), 1);
    cr_assert_eq(f.fn, other_fn);
    cr_assert_eq(f.ctx, &ctx);
    cr_assert_eq(f.arg, -77);
    cr_assert_eq(f.time_ns, 3);
    cr_assert_eq(f.priority, 1);
    cr_assert_eq(f.seq, 0);
    sim_queue_destroy(q);
}

Test(queue, reschedule_takes_a_new_seq_and_keeps_the_handle)
{
    sim_queue_t *q = sim_queue_create(4);
    sim_event_t *a = sim_queue_schedule(q, 10, 0, nop, NULL, 1);
    sim_queue_schedule(q, 10, 0, nop, NULL, 2);
    /* Same time again: a now goes after b (new seq). */
    cr_assert_eq(sim_queue_reschedule(q, a, 10), 0);
    cr_assert_eq(sim_queue_event_time(a), 10);
    sim_fired_t f;
    sim_queue_pop(q, &f);
    cr_assert_eq(f.arg, 2);
    cr_assert_eq(f.seq, 1);
    sim_queue_pop(q, &f);
    cr_assert_eq(f.arg, 1);
    cr_assert_eq(f.seq, 2);
    /* Earlier and later moves. */
    sim_event_t *x = sim_queue_schedule(q, 100, 0, nop, NULL, 3);
    sim_queue_schedule(q, 50, 0, nop, NULL, 4);
    cr_assert_eq(sim_queue_reschedule(q, x, 1), 0);
    cr_assert_eq(sim_queue_peek_time(q), 1);
    cr_assert_eq(sim_queue_reschedule(q, x, 1000), 0);
    cr_assert_eq(sim_queue_peek_time(q), 50);
    cr_assert_eq(sim_queue_event_time(x), 1000);
    check(q);
    sim_queue_destroy(q);
}

/* ---------------------------------------------------------------- empty and stale */

Test(queue, empty_queue)
{
    sim_queue_t *q = sim_queue_create(0);
    cr_assert_not_null(q);
    sim_fired_t f;
    memset(&f, 0x5a, sizeof f);
    sim_fired_t before = f;
    cr_assert_eq(sim_queue_pop(q, &f), 0);
    cr_assert_eq(memcmp(&f, &before, sizeof f), 0, "pop of an empty queue wrote *out");
    cr_assert_eq(sim_queue_peek_time(q), SIM_TIME_NEVER);
    cr_assert_eq(sim_queue_size(q), 0);
    cr_assert_eq(sim_queue_cancel(q, NULL), SIM_EINTERNAL);
    cr_assert_eq(sim_queue_reschedule(q, NULL, 5), SIM_EINTERNAL);
    check(q);
    sim_queue_destroy(q);
    sim_queue_destroy(NULL);                   /* accepted */
}

Test(queue, handles_that_are_not_pending_are_refused)
{
    sim_queue_t *q = sim_queue_create(0), *other = sim_queue_create(0);
    sim_event_t *a = sim_queue_schedule(q, 1, 0, nop, NULL, 1);
    sim_event_t *b = sim_queue_schedule(q, 2, 0, nop, NULL, 2);
    sim_event_t *c = sim_queue_schedule(other, 3, 0, nop, NULL, 3);
    cr_assert_eq(sim_queue_cancel(q, b), 0);
    cr_assert_eq(sim_queue_cancel(q, b), SIM_EINTERNAL, "double cancel");
    cr_assert_eq(sim_queue_reschedule(q, b, 9), SIM_EINTERNAL, "reschedule of a cancelled event");
    sim_fired_t f;
    cr_assert_eq(sim_queue_pop(q, &f), 1);
    cr_assert_eq(sim_queue_cancel(q, a), SIM_EINTERNAL, "cancel of a popped event");
    cr_assert_eq(sim_queue_reschedule(q, a, 9), SIM_EINTERNAL);
    cr_assert_eq(sim_queue_cancel(q, c), SIM_EINTERNAL, "handle of another queue");
    cr_assert_eq(sim_queue_size(other), 1);
    check(q);
    check(other);
    sim_queue_destroy(q);
    sim_queue_destroy(other);
}

/* ---------------------------------------------------------------- pool */

Test(queue, pool_slots_are_recycled)
{
    sim_queue_t *q = sim_queue_create(1);
    cr_assert_eq(sim_queue_pool_slots(q), 64);
    sim_fired_t f;
    sim_event_t *first = sim_queue_schedule(q, 1, 0, nop, NULL, 0);
    sim_queue_pop(q, &f);
    /* A freed slot is handed out again at once (LIFO free list). */
    cr_assert_eq(sim_queue_schedule(q, 2, 0, nop, NULL, 0), first);
    sim_queue_pop(q, &f);
    for (int round = 0; round < 1000; round++) {
        for (int i = 0; i < 64; i++)
            cr_assert_not_null(sim_queue_schedule(q, round * 100 + i, 0, nop, NULL, i));
        while (sim_queue_pop(q, &f))
            ;
    }
    cr_assert_eq(sim_queue_pool_slots(q), 64, "steady state must not grow the pool");
    check(q);
    sim_queue_destroy(q);
}

Test(queue, pool_grows_by_doubling_and_handles_stay_valid)
{
    sim_queue_t *q = sim_queue_create(100);
    cr_assert_eq(sim_queue_pool_slots(q), 128);
    sim_event_t *h[5000];
    for (int i = 0; i < 5000; i++)
        h[i] = sim_queue_schedule(q, 5000 - i, 0, nop, NULL, i);
    cr_assert_eq(sim_queue_pool_slots(q), 8192);
    /* Handles made before the growth are still the same events. */
    for (int i = 0; i < 5000; i++)
        cr_assert_eq(sim_queue_event_time(h[i]), 5000 - i);
    for (int i = 0; i < 5000; i += 2)
        cr_assert_eq(sim_queue_cancel(q, h[i]), 0);
    check(q);
    sim_fired_t f;
    for (int i = 4999; i >= 1; i -= 2) {
        cr_assert_eq(sim_queue_pop(q, &f), 1);
        cr_assert_eq(f.arg, i);
    }
    cr_assert_eq(sim_queue_size(q), 0);
    sim_queue_destroy(q);
}

Test(queue, create_refuses_absurd_capacity)
{
    cr_assert_null(sim_queue_create(SIZE_MAX));
    cr_assert_null(sim_queue_create((size_t)1 << 40));
}

/* ---------------------------------------------------------------- fault injection */

Test(queue, create_fails_cleanly_at_every_allocation)
{
    /* create makes 5 allocations (queue, pos, seq, heap, block); fail each in turn. */
    for (int nth = 1; nth <= 5; nth++) {
        sim_queue_fault_inject(nth);
        cr_assert_null(sim_queue_create(10), "allocation %d failed but create succeeded", nth);
    }
    sim_queue_fault_inject(6);
    sim_queue_t *q = sim_queue_create(10);
    cr_assert_not_null(q);
    sim_queue_fault_inject(0);
    sim_queue_destroy(q);
}

Test(queue, schedule_fails_cleanly_when_the_pool_cannot_grow)
{
    for (int nth = 1; nth <= 4; nth++) {     /* pos, seq, heap, block */
        sim_queue_t *q = sim_queue_create(1);
        for (int i = 0; i < 64; i++)
            cr_assert_not_null(sim_queue_schedule(q, 64 - i, 0, nop, NULL, i));
        sim_queue_fault_inject(nth);
        cr_assert_null(sim_queue_schedule(q, 0, 0, nop, NULL, 99), "nth %d", nth);
        sim_queue_fault_inject(0);
        cr_assert_eq(sim_queue_size(q), 64);
        cr_assert_eq(sim_queue_pool_slots(q), 64);
        check(q);
        /* Still usable: the next schedule grows the pool, and order is intact. */
        cr_assert_not_null(sim_queue_schedule(q, 0, 0, nop, NULL, 99));
        check(q);
        sim_fired_t f;
        cr_assert_eq(sim_queue_pop(q, &f), 1);
        cr_assert_eq(f.arg, 99);
        for (int i = 63; i >= 0; i--) {
            cr_assert_eq(sim_queue_pop(q, &f), 1);
            cr_assert_eq(f.arg, i);
        }
        sim_queue_destroy(q);
    }
}

/* ---------------------------------------------------------------- the engine's loop */

static void count_fired(void *ctx, int64_t arg, sim_time_t t)
{
    (void)arg;
    (void)t;
    ++*(int *)ctx;
}

/* "Run until nothing is left" (end = SIM_TIME_NEVER) stops when the queue empties, with
 * every event fired once and the clock at the last one. */
Test(queue, engine_runs_until_empty)
{
    sim_engine_t *e = sim_engine_create();
    cr_assert_not_null(e);
    int fired = 0;
    char err[256];
    cr_assert_not_null(sim_engine_at(e, 5, 0, count_fired, &fired, 0));
    cr_assert_not_null(sim_engine_at(e, 9, 0, count_fired, &fired, 0));
    cr_assert_eq(sim_engine_run(e, SIM_TIME_NEVER, err, sizeof err), 0, "%s", err);
    cr_assert_eq(fired, 2);
    cr_assert_eq(sim_engine_events(e), 2);
    cr_assert_eq(sim_engine_now(e), 9);
    sim_engine_destroy(e);
}
