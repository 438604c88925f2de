/*
 * bench/bench_queue.c -- throughput of the event queue (sim/queue.c) on the hold model.
 *
 * Hold model (Jones 1986, "An empirical comparison of priority-queue and event-set
 * implementations", CACM 29(4)): fill the queue with N pending events, then repeat
 * "pop the first event, schedule it again at now + X", X exponential with mean 1 s
 * (10^9 ns: equal time stamps are then rare, as in a real run), drawn from a GSL
 * taus2 generator with a fixed seed.  The size stays N.  Only the hold loop is timed
 * (not the fill); one pop + one schedule counts as one event.
 *
 * For calibration on a shared or noisy machine, each size is also run on a bare
 * binary heap of 16-byte {time, seq} keys (no index, no cancel, no payload, no pool):
 * the floor any indexed queue has to compete with, measured the same way.
 * Each measurement is the best (shortest wall time) of REPS runs, to filter out
 * interference from other processes; every run pops the same sequence.
 *
 * Output: one line per size and queue: pending, events, wall seconds, events/s, the
 * peak RSS of the process so far (getrusage ru_maxrss, KiB; sim_queue sizes run smallest
 * first, so the value after each size is the peak up to that size; not shown for the
 * bare heap, which runs after them), and a checksum of the popped times (which keeps the
 * compiler from dropping the pops).  Asserts nothing; exit
 * status 1 if the queue fails, 2 on bad usage.
 *
 * Usage: build/bench/bench_queue [events_per_size [reps]]   (defaults 10^7 and 3)
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>

#include "sim/engine.h"
#include "sim/queue.h"

static long peak_rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static void noop(void *ctx, int64_t arg, sim_time_t now_ns)
{
    (void)ctx; (void)arg; (void)now_ns;
}

static sim_time_t draw_ns(gsl_rng *r)
{
    return (sim_time_t)gsl_ran_exponential(r, 1e9);
}

/* ---------------------------------------------------------------- sim_queue */

/* One hold run; returns wall seconds, or -1 when the queue fails. */
static double hold_queue(size_t pending, long long events, gsl_rng *r, uint64_t *checksum)
{
    sim_queue_t *q = sim_queue_create(pending);
    if (!q)
        return -1;
    gsl_rng_set(r, 12345);
    for (size_t i = 0; i < pending; i++)
        if (!sim_queue_schedule(q, draw_ns(r), 0, noop, NULL, (int64_t)i)) {
            sim_queue_destroy(q);
            return -1;
        }
    double t0 = sim_wall_s();
    sim_fired_t f;
    uint64_t sum = 0;
    for (long long k = 0; k < events; k++) {
        sim_queue_pop(q, &f);
        sum += (uint64_t)f.arg;
        if (!sim_queue_schedule(q, f.time_ns + draw_ns(r), f.priority, f.fn, f.ctx, f.arg)) {
            sim_queue_destroy(q);
            return -1;
        }
    }
    double dt = sim_wall_s() - t0;
    *checksum = sum;
    sim_queue_destroy(q);
    return dt;
}

/* ---------------------------------------------------------------- bare binary heap */

typedef struct bare_entry { int64_t t; uint64_t s; } bare_entry_t;

static inline int bare_less(bare_entry_t a, bare_entry_t b)
{
    return a.t < b.t || (a.t == b.t && a.s < b.s);
}

static void bare_push(bare_entry_t *h, size_t *n, bare_entry_t e)
{
    size_t i = (*n)++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!bare_less(e, h[p]))
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = e;
}

static bare_entry_t bare_pop(bare_entry_t *h, size_t *n)
{
    bare_entry_t top = h[0], e = h[--*n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && bare_less(h[c + 1], h[c]))
            c++;
        if (!bare_less(h[c], e))
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = e;
    return top;
}

static double hold_bare(size_t pending, long long events, gsl_rng *r, uint64_t *checksum)
{
    bare_entry_t *h = malloc((pending + 1) * sizeof *h);
    if (!h)
        return -1;
    size_t n = 0;
    uint64_t seq = 0, sum = 0;
    gsl_rng_set(r, 12345);
    for (size_t i = 0; i < pending; i++)
        bare_push(h, &n, (bare_entry_t){ draw_ns(r), seq++ });
    double t0 = sim_wall_s();
    for (long long k = 0; k < events; k++) {
        bare_entry_t e = bare_pop(h, &n);
        sum += e.s;
        bare_push(h, &n, (bare_entry_t){ e.t + draw_ns(r), seq++ });
    }
    double dt = sim_wall_s() - t0;
    *checksum = sum;
    free(h);
    return dt;
}

/* ---------------------------------------------------------------- main */

typedef double (*hold_fn)(size_t, long long, gsl_rng *, uint64_t *);

static int report(const char *name, hold_fn fn, size_t pending, long long events, int reps,
                  gsl_rng *r)
{
    double best = -1;
    uint64_t checksum = 0;
    for (int k = 0; k < reps; k++) {
        double dt = fn(pending, events, r, &checksum);
        if (dt < 0) {
            fprintf(stderr, "bench_queue: %s failed (out of memory) at %zu pending\n", name, pending);
            return 1;
        }
        if (best < 0 || dt < best)
            best = dt;
    }
    /* the bare heap runs after every sim_queue size: its RSS would be theirs */
    char rss[32] = "        -";
    if (fn == hold_queue)
        snprintf(rss, sizeof rss, "%7ld KiB", peak_rss_kib());
    printf("%-10s pending %8zu  events %10lld  wall %7.3f s  %6.2f M events/s  peak RSS %s  checksum %016llx\n",
           name, pending, events, best, (double)events / best / 1e6, rss, (unsigned long long)checksum);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    long long events = argc > 1 ? atoll(argv[1]) : 10000000LL;
    int reps = argc > 2 ? atoi(argv[2]) : 3;
    if (events <= 0 || reps <= 0 || argc > 3) {
        fprintf(stderr, "usage: %s [events_per_size > 0 [reps > 0]]\n", argv[0]);
        return 2;
    }
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
    if (!r) {
        fprintf(stderr, "bench_queue: out of memory\n");
        return 1;
    }
    printf("# hold model, exponential(mean 1 s) increments; best wall time of %d runs\n", reps);
    static const size_t sizes[] = { 1000, 100000, 1000000 };
    int rc = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0] && rc == 0; i++)
        rc = report("sim_queue", hold_queue, sizes[i], events, reps, r);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0] && rc == 0; i++)
        rc = report("bare-heap", hold_bare, sizes[i], events, reps, r);
    gsl_rng_free(r);
    return rc;
}
