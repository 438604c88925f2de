/*
 * sim/queue.h -- the pending-event set of the engine (sim_queue_*).
 *
 * An indexed priority queue of events keyed by (time_ns, priority, seq):
 *   - earlier time first; at equal time, lower priority value first; at equal
 *     (time, priority), the event scheduled first (lower seq) first.  seq is a
 *     per-queue counter incremented on every schedule and reschedule, so ties are
 *     broken deterministically and runs are byte-identical for the same seed.
 *   - schedule, cancel, reschedule and pop are O(log n); peek is O(1).
 *   - events come from a pool owned by the queue (blocks that never move, a free
 *     list): no malloc per event once the pool has grown to the working size.
 *
 * Ownership: the queue owns every sim_event_t.  A handle returned by
 * sim_queue_schedule stays valid until the event is popped or cancelled; after
 * that it must not be used (the slot is recycled).  Models that keep a handle to
 * cancel it later must forget it in their callback.
 */
#ifndef SIM_QUEUE_H
#define SIM_QUEUE_H

#include "sim/types.h"

typedef struct sim_event sim_event_t;
typedef struct sim_queue sim_queue_t;

/* Callback run by the engine when an event fires.  ctx and arg are what was
 * passed to sim_queue_schedule.  The event has already been removed. */
typedef void (*sim_event_fn)(void *ctx, int64_t arg, sim_time_t now_ns);

/* A popped event: a plain copy, the slot has been returned to the pool. */
typedef struct sim_fired {
    sim_time_t time_ns;
    int32_t priority;
    uint64_t seq;
    sim_event_fn fn;
    void *ctx;
    int64_t arg;
} sim_fired_t;

/* Create a queue with room for initial_capacity pending events (it grows by
 * doubling).  Returns NULL when out of memory. */
sim_queue_t *sim_queue_create(size_t initial_capacity);
void sim_queue_destroy(sim_queue_t *q);             /* accepts NULL */

/* Schedule fn(ctx, arg) at time_ns.  Returns the handle, or NULL when out of memory. */
sim_event_t *sim_queue_schedule(sim_queue_t *q, sim_time_t time_ns, int32_t priority,
                                sim_event_fn fn, void *ctx, int64_t arg);
/* Remove a pending event.  Returns 0, or SIM_EINTERNAL if ev is not pending. */
int sim_queue_cancel(sim_queue_t *q, sim_event_t *ev);
/* Move a pending event to a new time (priority kept, new seq).  The handle stays valid. */
int sim_queue_reschedule(sim_queue_t *q, sim_event_t *ev, sim_time_t new_time_ns);
/* Pop the first event into *out.  Returns 1 if an event was popped, 0 if empty. */
int sim_queue_pop(sim_queue_t *q, sim_fired_t *out);
/* Time of the first pending event, or SIM_TIME_NEVER when empty. */
sim_time_t sim_queue_peek_time(const sim_queue_t *q);
size_t sim_queue_size(const sim_queue_t *q);
sim_time_t sim_queue_event_time(const sim_event_t *ev);   /* time of a pending event */

/* Event slots allocated in the pool (pending + free).  It only grows, by doubling from
 * max(64, initial_capacity rounded up to a power of two), so it is less than twice the
 * largest number of events ever pending at once (or the initial size). */
size_t sim_queue_pool_slots(const sim_queue_t *q);
/* Verify every invariant (heap order, indices, free list; see sim/queue.c).  O(n).
 * Returns 0, or SIM_EINTERNAL with a message in err.  For tests and debug builds. */
int sim_queue_check(const sim_queue_t *q, char *err, size_t errlen);
/* Fault injection for tests: the nth memory allocation made by any queue from now on
 * fails (1 = the next one); 0 turns it off.  Process-wide and not thread-safe. */
void sim_queue_fault_inject(int nth);

#endif
