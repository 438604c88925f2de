/*
 * sim/engine.c -- the discrete-event run loop.  See engine.h for the contract.
 */
#include <assert.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include "sim/engine.h"

struct sim_engine {
    sim_queue_t *queue;
    sim_time_t now_ns;
    uint64_t events;
    sim_check_fn check;
    void *check_ctx;
    volatile sig_atomic_t *stop_flag;
    int halted;                 /* sim_engine_halt: leave run after the current event */
    sim_progress_fn progress;
    void *progress_ctx;
    uint64_t progress_every;
    uint64_t progress_left;    /* events until the next progress call (no division per event) */
};

double sim_wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

sim_engine_t *sim_engine_create(void)
{
    sim_engine_t *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->queue = sim_queue_create(1024);
    if (!e->queue) {
        free(e);
        return NULL;
    }
    return e;
}

void sim_engine_destroy(sim_engine_t *e)
{
    if (!e)
        return;
    sim_queue_destroy(e->queue);
    free(e);
}

sim_time_t sim_engine_now(const sim_engine_t *e) { return e->now_ns; }
uint64_t sim_engine_events(const sim_engine_t *e) { return e->events; }
size_t sim_engine_pending(const sim_engine_t *e) { return sim_queue_size(e->queue); }

sim_event_t *sim_engine_at(sim_engine_t *e, sim_time_t t_ns, int32_t priority,
                           sim_event_fn fn, void *ctx, int64_t arg)
{
    assert(t_ns >= e->now_ns && "scheduling in the past");
    if (t_ns < e->now_ns)
        t_ns = e->now_ns;
    return sim_queue_schedule(e->queue, t_ns, priority, fn, ctx, arg);
}

int sim_engine_cancel(sim_engine_t *e, sim_event_t *ev) { return sim_queue_cancel(e->queue, ev); }

int sim_engine_reschedule(sim_engine_t *e, sim_event_t *ev, sim_time_t t_ns)
{
    assert(t_ns >= e->now_ns && "rescheduling into the past");
    if (t_ns < e->now_ns)
        t_ns = e->now_ns;
    return sim_queue_reschedule(e->queue, ev, t_ns);
}

void sim_engine_set_check(sim_engine_t *e, sim_check_fn fn, void *ctx)
{
    e->check = fn;
    e->check_ctx = ctx;
}

void sim_engine_set_stop_flag(sim_engine_t *e, volatile sig_atomic_t *flag) { e->stop_flag = flag; }
void sim_engine_halt(sim_engine_t *e) { e->halted = 1; }

void sim_engine_set_progress(sim_engine_t *e, sim_progress_fn fn, void *ctx, uint64_t every_events)
{
    e->progress = fn;
    e->progress_ctx = ctx;
    e->progress_every = every_events ? every_events : 1;
    e->progress_left = e->progress_every - e->events % e->progress_every;
}

int sim_engine_run(sim_engine_t *e, sim_time_t end_ns, char *err, size_t errlen)
{
    sim_fired_t ev;
    while (sim_queue_peek_time(e->queue) <= end_ns) {
        if (e->stop_flag && *e->stop_flag)
            return SIM_EINTR;
        if (!sim_queue_pop(e->queue, &ev))
            break;                  /* empty (end_ns = SIM_TIME_NEVER runs until then) */
        assert(ev.time_ns >= e->now_ns);
        e->now_ns = ev.time_ns;
        ev.fn(ev.ctx, ev.arg, ev.time_ns);
        e->events++;
        if (e->halted)
            return SIM_OK;          /* the handler that halted knows why */
        if (e->check) {
            int rc = e->check(e->check_ctx, e->now_ns, err, errlen);
            if (rc)
                return rc;
        }
        if (e->progress && --e->progress_left == 0) {      /* events % progress_every == 0 */
            e->progress_left = e->progress_every;
            e->progress(e->progress_ctx, e->now_ns, e->events);
        }
    }
    if (e->now_ns < end_ns && end_ns != SIM_TIME_NEVER)
        e->now_ns = end_ns;
    return SIM_OK;
}
