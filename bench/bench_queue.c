/*
 * bench/bench_queue.c -- throughput of the event queue on the classic hold model.
 *
 * Hold model (Jones 1986, "An empirical comparison of priority-queue and event-set
 * implementations", CACM 29(4)): fill the queue with N pending events, then repeat
 * "pop the first event, schedule it again at now + X" where X is exponential with
 * mean 1 s (10^9 ns, so that equal times are rare, as with real time stamps), drawn
 * from a GSL taus2 generator with a fixed seed.  The queue size stays N; only the
 * hold operations are timed (the fill is not).  One pop + one schedule = one event.
 *
 * Output: one line per N: pending, events, wall seconds, events/s and the peak RSS
 * of the process so far (getrusage ru_maxrss, KiB; monotone across the lines, sizes
 * run smallest first).  Asserts nothing; exit status 1 only if the queue fails.
 *
 * Usage: build/bench/bench_queue [events_per_size]   (default 2*10^7)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <sys/resource.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>

#include "sim/queue.h"

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void noop(void *ctx, int64_t arg, sim_time_t now_ns)
{
    (void)ctx; (void)arg; (void)now_ns;
}

static sim_time_t draw_ns(gsl_rng *r)
{
    return (sim_time_t)gsl_ran_exponential(r, 1e9);
}

static int hold(size_t pending, long long events)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
    sim_queue_t *q = sim_queue_create(pending);
    if (!r || !q) {
        fprintf(stderr, "bench_queue: out of memory\n");
        gsl_rng_free(r);
        sim_queue_destroy(q);
        return 1;
    }
    gsl_rng_set(r, 12345);
    for (size_t i = 0; i < pending; i++)
        if (!sim_queue_schedule(q, draw_ns(r), 0, noop, NULL, (int64_t)i))
            goto oom;

    double t0 = wall_s();
    sim_fired_t f;
    uint64_t checksum = 0;
    for (long long k = 0; k < events; k++) {
        sim_queue_pop(q, &f);
        checksum += (uint64_t)f.arg;
        if (!sim_queue_schedule(q, f.time_ns + draw_ns(r), f.priority, f.fn, f.ctx, f.arg))
            goto oom;
    }
    double dt = wall_s() - t0;

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("pending %8zu  events %10lld  wall %7.3f s  %6.2f M events/s  peak RSS %8ld KiB"
           "  (checksum %llu)\n",
           pending, events, dt, (double)events / dt / 1e6, ru.ru_maxrss,
           (unsigned long long)(checksum % 1000));
    sim_queue_destroy(q);
    gsl_rng_free(r);
    return 0;
oom:
    fprintf(stderr, "bench_queue: schedule failed (out of memory) at %zu pending\n", pending);
    sim_queue_destroy(q);
    gsl_rng_free(r);
    return 1;
}

int main(int argc, char **argv)
{
    long long events = argc > 1 ? atoll(argv[1]) : 20000000LL;
    if (events <= 0) {
        fprintf(stderr, "usage: %s [events_per_size > 0]\n", argv[0]);
        return 2;
    }
    static const size_t sizes[] = { 1000, 100000, 1000000 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (hold(sizes[i], events))
            return 1;
    return 0;
}
