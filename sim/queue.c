/*
 * sim/queue.c -- the pending-event set: an indexed, cache-aligned 4-ary min-heap over a
 * pool of events.
 *
 * What it is.  The engine's future-event list (sim/queue.h is the contract).  Keys are
 * (time_ns, priority, seq), compared lexicographically; seq is a per-queue uint64
 * counter taken on every schedule and reschedule, so no two pending keys are equal and
 * the order of pops is a pure function of the calls made (docs/design.md "Engine": byte-identical
 * runs).  Units: time in int64 ns (sim_time_t); priority is a plain int32, lower first.
 *
 * Data layout (chosen by measurement with bench/bench_queue.c, hold model):
 *   slots    every event has a slot number s (uint32).  The sim_event_t of slot s lives
 *            in a pool of blocks that never move (handles stay valid): block 0 holds
 *            slots [0, P) with P a power of two, block k >= 1 holds [P*2^(k-1), P*2^k),
 *            so the pool doubles and slot -> event is a shift and a count of leading
 *            zeros.  Free slots form a LIFO list threaded through the events, so the
 *            slots in use stay dense in [0, peak pending).
 *   heap[]   16-byte entries {time_ns, priority, slot}: the keys a sift compares are
 *            inline, and the four children of a node fill exactly one 64-byte cache
 *            line (the array is 64-byte aligned and shifted by 3 entries, so that the
 *            children 4i+1..4i+4 start on a line).
 *   pos[s]   heap index of slot s (NOT_PENDING when free); seq[s] its sequence number.
 *            Dense arrays indexed by slot, so the index updates of a sift stay in a
 *            small, hot array instead of touching the events.  seq is read only when
 *            time and priority tie (and by pop, to report it).
 *   sifting  pop moves the last entry down from the root; at each level the least of
 *            the four children is found by a tournament of three compares that compile
 *            to conditional moves (equal times take an unlikely branch), and the four
 *            cache lines of grandchildren are prefetched.  After a pop, the payload and
 *            seq of the new first event are prefetched for the next pop.
 * Measurements (bench/bench_queue.c, hold model, 10^5 pending, a shared 2-vCPU AMD EPYC
 * VM, so +-30% noise): the first version (32-byte entries holding event pointers, the
 * index stored in the events) ran 3.2 M events/s; this layout 4.1 before the prefetches
 * and the tournament, about 6 M events/s with them, against 7-7.5 M events/s for a bare
 * binary heap of {time, seq} with no index, payload or pool measured in the same run.
 * Arity, measured before the prefetches and the tournament (which only the 4-ary code
 * has): binary 2.0, 4-ary 4.1, 8-ary 4.7 M events/s; 4 was kept because its children
 * fill exactly one cache line.  Compile with -DARITY=2 or 8 to compare again.
 *
 * Invariants (sim_queue_check verifies all of them; the tests call it after every step):
 *   I1  heap order: for every 0 < i < n, key(heap[(i-1)/4]) < key(heap[i]).
 *   I2  index: for i < n, pos[heap[i].slot] == i, and heap[i] holds a copy of the time
 *       and priority of that slot's event; a free slot has pos == NOT_PENDING and sits
 *       on the free list exactly once.
 *   I3  n pending + slots on the free list == slots in the pool; the heap and the side
 *       arrays have room for every slot (so schedule never reallocates when a slot is
 *       free: no allocation in steady state).
 *   I4  every pending seq is < next_seq.
 * Limits: the pool stops growing at 2^31 slots (uint32 slot numbers; the pool doubles
 * from a power of two): schedule then returns NULL.  32 GiB of heap entries alone.
 * Memory: 16 (heap) + 4 (pos) + 8 (seq) + 40 (event) = 68 bytes per slot.
 *
 * Failure behaviour: schedule returns NULL when the pool cannot grow (nothing changed).
 * cancel/reschedule of a handle that is not pending in this queue return SIM_EINTERNAL
 * (a handle that was popped and whose slot now holds a new event cannot be told apart
 * from that event: the header forbids using it).  Nothing is printed; nothing exits.
 */
#include "sim/queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef ARITY
#define ARITY 4            /* -DARITY=2 or 8 to compare in the bench; 4 fits a cache line */
#endif
#define NOT_PENDING  UINT32_MAX
#define MAX_SLOTS    (UINT32_MAX - 1u)
#define MIN_SLOTS    64u
#define LINE_BYTES   64u
#define HEAP_SHIFT   (ARITY - 1)   /* entries before heap[0], so children groups align */
#define MAX_BLOCKS   40

struct sim_event {
    sim_time_t time_ns;
    int64_t arg;
    sim_event_fn fn;
    union {
        void *ctx;                    /* while pending */
        struct sim_event *next_free;  /* while on the free list */
    } u;
    uint32_t slot;
    int32_t priority;
};

typedef struct heap_entry {
    sim_time_t time_ns;
    int32_t priority;
    uint32_t slot;
} heap_entry_t;

struct sim_queue {
    heap_entry_t *heap;           /* = heap_mem + HEAP_SHIFT; room for `slots` entries */
    void *heap_mem;               /* 64-byte aligned allocation */
    uint32_t *pos;                /* [slots] heap index, NOT_PENDING when free */
    uint64_t *seq;                /* [slots] sequence number of the pending event */
    size_t n;                     /* pending events */
    size_t slots;                 /* slots in the pool */
    unsigned p_log2;              /* block 0 holds 2^p_log2 slots */
    unsigned nblocks;
    sim_event_t *blocks[MAX_BLOCKS];
    sim_event_t *free_list;
    uint64_t next_seq;
};

/* ---------------------------------------------------------------- slots */

static inline sim_event_t *slot_event(const sim_queue_t *q, uint32_t s)
{
    uint64_t x = (uint64_t)s >> q->p_log2;
    if (x == 0)
        return &q->blocks[0][s];
    unsigned k = 64u - (unsigned)__builtin_clzll(x);          /* floor(log2 x) + 1 */
    return &q->blocks[k][s - ((uint64_t)1 << (q->p_log2 + k - 1))];
}

/* ---------------------------------------------------------------- keys and sifting */

static int tie_less(const sim_queue_t *q, const heap_entry_t *a, const heap_entry_t *b)
{
    if (a->priority != b->priority)
        return a->priority < b->priority;
    return q->seq[a->slot] < q->seq[b->slot];
}

/* key(a) < key(b).  Equal times are the unlikely branch, so the common case is one
 * compare the compiler can turn into a conditional move. */
static inline int entry_less(const sim_queue_t *q, const heap_entry_t *a, const heap_entry_t *b)
{
    if (__builtin_expect(a->time_ns == b->time_ns, 0))
        return tie_less(q, a, b);
    return a->time_ns < b->time_ns;
}

/* Move entry e up from hole i. */
static void sift_up(sim_queue_t *q, size_t i, heap_entry_t e)
{
    heap_entry_t *heap = q->heap;
    while (i > 0) {
        size_t parent = (i - 1) / ARITY;
        if (!entry_less(q, &e, &heap[parent]))
            break;
        heap[i] = heap[parent];
        q->pos[heap[i].slot] = (uint32_t)i;
        i = parent;
    }
    heap[i] = e;
    q->pos[e.slot] = (uint32_t)i;
}

/* Move entry e down from hole i in a heap of n entries. */
static void sift_down(sim_queue_t *q, size_t n, size_t i, heap_entry_t e)
{
    heap_entry_t *heap = q->heap;
    for (;;) {
        size_t c = ARITY * i + 1;
        if (c >= n)
            break;
        size_t best;
#if ARITY == 4
        if (c + 4 <= n) {
            /* Start loading the four lines of grandchildren while this level is compared
             * (the heap outgrows the caches at ~10^5 pending), then pick the least of the
             * four children by a tournament that compiles to conditional moves. */
            size_t g = ARITY * c + 1;
            if (g + 4 * ARITY <= n) {
                __builtin_prefetch(&heap[g]);
                __builtin_prefetch(&heap[g + 4]);
                __builtin_prefetch(&heap[g + 8]);
                __builtin_prefetch(&heap[g + 12]);
            }
            const heap_entry_t *h = &heap[c];
            size_t b01 = (size_t)entry_less(q, &h[1], &h[0]);
            size_t b23 = 2 + (size_t)entry_less(q, &h[3], &h[2]);
            best = c + (entry_less(q, &h[b23], &h[b01]) ? b23 : b01);
        } else
#endif
        {
            best = c;
            size_t end = c + ARITY < n ? c + ARITY : n;
            for (size_t k = c + 1; k < end; k++)
                if (entry_less(q, &heap[k], &heap[best]))
                    best = k;
        }
        if (!entry_less(q, &heap[best], &e))
            break;
        heap[i] = heap[best];
        q->pos[heap[i].slot] = (uint32_t)i;
        i = best;
    }
    heap[i] = e;
    q->pos[e.slot] = (uint32_t)i;
}

/* Put e (holding its new key) into hole i, moving up or down as its key requires. */
static void place(sim_queue_t *q, size_t i, heap_entry_t e)
{
    if (i > 0 && entry_less(q, &e, &q->heap[(i - 1) / ARITY]))
        sift_up(q, i, e);
    else
        sift_down(q, q->n, i, e);
}

/* ---------------------------------------------------------------- allocation */

/* Fault injection for tests (SQLite style): when alloc_fail_countdown > 0, the
 * allocation that brings it to 0 fails.  Process-wide, not thread-safe: test use only. */
static int alloc_fail_countdown;

void sim_queue_fault_inject(int nth)
{
    alloc_fail_countdown = nth > 0 ? nth : 0;
}

static int injected_failure(void)
{
    return alloc_fail_countdown > 0 && --alloc_fail_countdown == 0;
}

static void *q_malloc(size_t n)
{
    return injected_failure() ? NULL : malloc(n);
}

static void *q_realloc(void *p, size_t n)
{
    return injected_failure() ? NULL : realloc(p, n);
}

static void *q_aligned_alloc(size_t align, size_t n)
{
    return injected_failure() ? NULL : aligned_alloc(align, n);
}

/* ---------------------------------------------------------------- the pool */

/* Grow the pool to `want` slots (want = P at creation, then twice the current size):
 * side arrays and heap first, the new block last, so a failure leaves a valid queue
 * (only with roomier arrays). */
static int pool_grow(sim_queue_t *q, size_t want)
{
    if (want > MAX_SLOTS || q->nblocks == MAX_BLOCKS)
        return SIM_ENOMEM;
    size_t count = want - q->slots;

    uint32_t *npos = q_realloc(q->pos, want * sizeof *npos);
    if (!npos)
        return SIM_ENOMEM;
    q->pos = npos;
    uint64_t *nseq = q_realloc(q->seq, want * sizeof *nseq);
    if (!nseq)
        return SIM_ENOMEM;
    q->seq = nseq;

    size_t heap_bytes = (want + HEAP_SHIFT) * sizeof(heap_entry_t);
    heap_bytes = (heap_bytes + LINE_BYTES - 1) / LINE_BYTES * LINE_BYTES;
    void *nmem = q_aligned_alloc(LINE_BYTES, heap_bytes);
    if (!nmem)
        return SIM_ENOMEM;
    heap_entry_t *nheap = (heap_entry_t *)nmem + HEAP_SHIFT;
    if (q->n)
        memcpy(nheap, q->heap, q->n * sizeof *nheap);

    sim_event_t *b = q_malloc(count * sizeof *b);
    if (!b) {
        free(nmem);
        return SIM_ENOMEM;
    }
    free(q->heap_mem);
    q->heap_mem = nmem;
    q->heap = nheap;
    q->blocks[q->nblocks++] = b;
    /* Thread the new slots so that the lowest slot number is handed out first. */
    for (size_t k = count; k-- > 0;) {
        uint32_t s = (uint32_t)(q->slots + k);
        b[k].slot = s;
        q->pos[s] = NOT_PENDING;
        b[k].u.next_free = q->free_list;
        q->free_list = &b[k];
    }
    q->slots = want;
    return SIM_OK;
}

/* ---------------------------------------------------------------- public API */

sim_queue_t *sim_queue_create(size_t initial_capacity)
{
    sim_queue_t *q = injected_failure() ? NULL : calloc(1, sizeof *q);
    if (!q)
        return NULL;
    unsigned p = 0;
    while (((size_t)1 << p) < initial_capacity || ((size_t)1 << p) < MIN_SLOTS) {
        if (++p >= 32) {
            free(q);
            return NULL;
        }
    }
    q->p_log2 = p;
    if (pool_grow(q, (size_t)1 << p) != SIM_OK) {
        sim_queue_destroy(q);
        return NULL;
    }
    return q;
}

void sim_queue_destroy(sim_queue_t *q)
{
    if (!q)
        return;
    for (unsigned b = 0; b < q->nblocks; b++)
        free(q->blocks[b]);
    free(q->heap_mem);
    free(q->pos);
    free(q->seq);
    free(q);
}

sim_event_t *sim_queue_schedule(sim_queue_t *q, sim_time_t time_ns, int32_t priority,
                                sim_event_fn fn, void *ctx, int64_t arg)
{
    if (!q->free_list && pool_grow(q, 2 * q->slots) != SIM_OK)
        return NULL;
    sim_event_t *ev = q->free_list;
    q->free_list = ev->u.next_free;
    ev->time_ns = time_ns;
    ev->priority = priority;
    ev->fn = fn;
    ev->u.ctx = ctx;
    ev->arg = arg;
    q->seq[ev->slot] = q->next_seq++;
    heap_entry_t e = { time_ns, priority, ev->slot };
    sift_up(q, q->n++, e);
    return ev;
}

static int is_pending(const sim_queue_t *q, const sim_event_t *ev)
{
    return ev && ev->slot < q->slots && q->pos[ev->slot] < q->n
        && slot_event(q, ev->slot) == ev;
}

static void release(sim_queue_t *q, sim_event_t *ev)
{
    q->pos[ev->slot] = NOT_PENDING;
    ev->u.next_free = q->free_list;
    q->free_list = ev;
}

int sim_queue_cancel(sim_queue_t *q, sim_event_t *ev)
{
    if (!is_pending(q, ev))
        return SIM_EINTERNAL;
    size_t i = q->pos[ev->slot];
    size_t last = --q->n;
    if (i != last)
        place(q, i, q->heap[last]);
    release(q, ev);
    return SIM_OK;
}

int sim_queue_reschedule(sim_queue_t *q, sim_event_t *ev, sim_time_t new_time_ns)
{
    if (!is_pending(q, ev))
        return SIM_EINTERNAL;
    size_t i = q->pos[ev->slot];
    heap_entry_t e = q->heap[i];
    e.time_ns = new_time_ns;
    ev->time_ns = new_time_ns;
    q->seq[ev->slot] = q->next_seq++;
    place(q, i, e);
    return SIM_OK;
}

int sim_queue_pop(sim_queue_t *q, sim_fired_t *out)
{
    if (q->n == 0)
        return 0;
    heap_entry_t top = q->heap[0];
    sim_event_t *ev = slot_event(q, top.slot);
    out->time_ns = top.time_ns;
    out->priority = top.priority;
    out->seq = q->seq[top.slot];
    out->fn = ev->fn;
    out->ctx = ev->u.ctx;
    out->arg = ev->arg;
    size_t last = --q->n;
    if (last > 0) {
        sift_down(q, last, 0, q->heap[last]);
        /* The next pop reads the next event's payload and seq: fetch them now, so the
         * misses overlap with whatever the caller does in between. */
        __builtin_prefetch(slot_event(q, q->heap[0].slot));
        __builtin_prefetch(&q->seq[q->heap[0].slot]);
    }
    release(q, ev);
    return 1;
}

sim_time_t sim_queue_peek_time(const sim_queue_t *q)
{
    return q->n ? q->heap[0].time_ns : SIM_TIME_NEVER;
}

size_t sim_queue_size(const sim_queue_t *q)
{
    return q->n;
}

sim_time_t sim_queue_event_time(const sim_event_t *ev)
{
    return ev->time_ns;
}

size_t sim_queue_pool_slots(const sim_queue_t *q)
{
    return q->slots;
}

int sim_queue_check(const sim_queue_t *q, char *err, size_t errlen)
{
#if ARITY == 4
    if ((uintptr_t)&q->heap[1] % LINE_BYTES != 0) {
        snprintf(err, errlen, "queue: children of the root are not cache-line aligned");
        return SIM_EINTERNAL;
    }
#endif
    for (size_t i = 0; i < q->n; i++) {
        const heap_entry_t *e = &q->heap[i];
        if (e->slot >= q->slots || q->pos[e->slot] != i) {
            snprintf(err, errlen, "queue: heap[%zu] (slot %u) does not point back", i,
                     (unsigned)e->slot);
            return SIM_EINTERNAL;
        }
        const sim_event_t *ev = slot_event(q, e->slot);
        if (ev->slot != e->slot || ev->time_ns != e->time_ns || ev->priority != e->priority) {
            snprintf(err, errlen, "queue: heap[%zu] key differs from its event", i);
            return SIM_EINTERNAL;
        }
        if (q->seq[e->slot] >= q->next_seq) {
            snprintf(err, errlen, "queue: heap[%zu] seq %llu >= next seq %llu", i,
                     (unsigned long long)q->seq[e->slot], (unsigned long long)q->next_seq);
            return SIM_EINTERNAL;
        }
        if (i > 0 && !entry_less(q, &q->heap[(i - 1) / ARITY], e)) {
            snprintf(err, errlen, "queue: heap order violated at %zu", i);
            return SIM_EINTERNAL;
        }
    }
    size_t nfree = 0;
    for (const sim_event_t *f = q->free_list; f; f = f->u.next_free) {
        if (f->slot >= q->slots || slot_event(q, f->slot) != f || q->pos[f->slot] != NOT_PENDING) {
            snprintf(err, errlen, "queue: free slot %u is corrupt or marked pending",
                     (unsigned)f->slot);
            return SIM_EINTERNAL;
        }
        if (++nfree > q->slots) {
            snprintf(err, errlen, "queue: free list is longer than the pool (a cycle)");
            return SIM_EINTERNAL;
        }
    }
    if (nfree + q->n != q->slots) {
        snprintf(err, errlen, "queue: %zu pending + %zu free != %zu slots", q->n, nfree, q->slots);
        return SIM_EINTERNAL;
    }
    return SIM_OK;
}
