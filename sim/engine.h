/*
 * sim/engine.h -- the discrete-event run loop (sim_engine_*).
 *
 * The engine owns the clock and the pending-event set (sim/queue.h).  Models
 * schedule callbacks; sim_engine_run pops events in (time, priority, seq) order,
 * advances the clock to each event's time and calls it.  Time never goes back:
 * scheduling in the past is a bug (asserted).  After every event, if a check hook
 * is installed (debug builds and tests install the page-conservation check), it is
 * called; a failed check stops the run with SIM_EINTERNAL and its message.
 *
 * Interruption: the run loop polls *stop_flag (set by a SIGINT/SIGTERM handler
 * in main) every event and returns SIM_EINTR, leaving the model in a consistent
 * state at an event boundary.
 *
 * The engine knows nothing about memory or ballooning (docs/design.md "Layers").
 */
#ifndef SIM_ENGINE_H
#define SIM_ENGINE_H

#include <signal.h>
#include "sim/queue.h"

typedef struct sim_engine sim_engine_t;

/* Returns 0 if the model is consistent, else SIM_EINTERNAL with a message. */
typedef int (*sim_check_fn)(void *ctx, sim_time_t now_ns, char *err, size_t errlen);

/* Wall-clock seconds from a monotonic clock (for durations: progress, benchmarks). */
double sim_wall_s(void);

sim_engine_t *sim_engine_create(void);              /* NULL when out of memory */
void sim_engine_destroy(sim_engine_t *e);           /* accepts NULL */

sim_time_t sim_engine_now(const sim_engine_t *e);
uint64_t sim_engine_events(const sim_engine_t *e);  /* events fired so far */
size_t sim_engine_pending(const sim_engine_t *e);

/* Schedule at an absolute time >= now.  NULL when out of memory. */
sim_event_t *sim_engine_at(sim_engine_t *e, sim_time_t t_ns, int32_t priority,
                           sim_event_fn fn, void *ctx, int64_t arg);
int sim_engine_cancel(sim_engine_t *e, sim_event_t *ev);
int sim_engine_reschedule(sim_engine_t *e, sim_event_t *ev, sim_time_t t_ns);

void sim_engine_set_check(sim_engine_t *e, sim_check_fn fn, void *ctx);
void sim_engine_set_stop_flag(sim_engine_t *e, volatile sig_atomic_t *flag);
/* From an event handler: sim_engine_run returns SIM_OK after this event, the clock left
 * at it (a model stops at its first failed database write this way). */
void sim_engine_halt(sim_engine_t *e);
/* Called every `every_events` events (for progress lines). */
typedef void (*sim_progress_fn)(void *ctx, sim_time_t now_ns, uint64_t events);
void sim_engine_set_progress(sim_engine_t *e, sim_progress_fn fn, void *ctx, uint64_t every_events);

/* Fire events with time <= end_ns.  Returns 0 when the queue holds no event at or
 * before end_ns (the clock is then set to end_ns; with end_ns = SIM_TIME_NEVER the run
 * goes on until the queue is empty and the clock stays at the last event), SIM_EINTR
 * if stopped by the flag, SIM_EINTERNAL if the check hook failed (message in err). */
int sim_engine_run(sim_engine_t *e, sim_time_t end_ns, char *err, size_t errlen);

#endif
