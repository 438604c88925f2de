/*
 * tests/unit/test_policy_esx.c -- Criterion suite "policy_esx": the esx-share policy
 * (models/policies/esx.c), after Waldspurger, OSDI 2002 (docs/policies.md).
 *
 * Pure parts: rho on hand-computed cases; the allocator against the literal
 * chunk-by-chunk min-funding revocation (reference model); the active-memory sampler
 * (converges to the true fraction, rises faster than it falls).
 * Whole runs (scenario text -> dc_run -> SQLite under /tmp -> sqlite3 queries):
 *   - tau = 0: an idle and an active VM of equal shares end with equal memory;
 *   - tau = 0.75: the idle VM's memory moves to the active one (paper Fig. 7);
 *   - shares 2:1, both active: contended memory splits 2:1;
 *   - a host whose free memory stays high never balloons;
 *   - a VM that becomes short while the host sits in the high state gets memory from
 *     the lowest-rho VM within a few balance periods, and keeps it;
 *   - sampling noise alone moves no memory between equally short VMs (noise band);
 *   - the logged estimates follow the true active fraction, up fast and down slowly.
 */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <sqlite3.h>

#include "sim/db.h"
#include "sim/ini.h"
#include "models/dc.h"
#include "models/record.h"
#include "models/scenario.h"
#include "tests/unit/harness.h"
#include "models/policies/esx.h"


/* ------------------------------------------------------------------ helpers */

/* Runs use seed 42; the run, query and cleanup helpers are in tests/unit/harness.h. */

static double run_metric(const char *path, const char *metric)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT value FROM run_summary WHERE metric = '%s'", metric);
    double v = harness_q1_file(path, sql);
    cr_assert(!isnan(v), "no run metric %s", metric);
    return v;
}

/* ------------------------------------------------------------------ rho */

Test(policy_esx, rho_known_answers)
{
    /* all active: no tax, rho = S / P */
    cr_assert_float_eq(esx_rho(1000, 1000, 1.0, 0.75), 1.0, 1e-12);
    /* all idle at tau = 0.75: k = 4, rho = 1000 / (1000 * 4) */
    cr_assert_float_eq(esx_rho(1000, 1000, 0.0, 0.75), 0.25, 1e-12);
    /* tau = 0.5 (k = 2), f = 0.5: 2000 / (500 * (0.5 + 2 * 0.5)) = 8/3 */
    cr_assert_float_eq(esx_rho(2000, 500, 0.5, 0.5), 8.0 / 3.0, 1e-12);
    /* tau = 0: pure proportional share whatever f */
    cr_assert_float_eq(esx_rho(1500, 300, 0.1, 0.0), 5.0, 1e-12);
    cr_assert_float_eq(esx_rho(1500, 300, 0.9, 0.0), 5.0, 1e-12);
    /* paper's example spirit: f = 0.25 at tau = 0.75 -> 0.25 + 4 * 0.75 = 3.25 */
    cr_assert_float_eq(esx_rho(1000, 100, 0.25, 0.75), 1000.0 / (100 * 3.25), 1e-12);
    /* edges */
    cr_assert(isinf(esx_rho(1000, 0, 0.5, 0.75)));
    cr_assert_float_eq(esx_rho(0, 100, 0.5, 0.75), 0.0, 1e-12);
    /* an idle VM always has a lower rho than an equally sized active one when tau > 0 */
    cr_assert_lt(esx_rho(1000, 100, 0.05, 0.75), esx_rho(1000, 100, 0.9, 0.75));
}

Test(policy_esx, cost_agrees_with_rho)
{
    double tau[] = {0, 0.25, 0.5, 0.75, 0.9};
    for (size_t t = 0; t < 5; t++)
        for (double f = 0; f <= 1.0; f += 0.125)
            /* the paper's rho = S / (P (f + k (1 - f))), k = 1 / (1 - tau), written out here */
            cr_assert_float_eq(esx_rho(500, 777, f, tau[t]), 500 / (777 * (f + (1 - f) / (1 - tau[t]))), 1e-12,
                               "tau %g f %g", tau[t], f);
    /* k = 4: 100 idle pages cost 400, 100 active ones 100 */
    cr_assert_float_eq(esx_cost(100, 0, 0.75), 400, 1e-9);
    cr_assert_float_eq(esx_cost(100, 1, 0.75), 100, 1e-9);
}

/* ------------------------------------------------------------------ allocator */

/* Literal min-funding revocation: from every VM at hi, take `chunk` pages from the VM
 * with the lowest rho (active pages fixed) until the total fits. */
static void revoke_literal(const esx_alloc_vm_t *v, size_t n, int64_t total, double tau, int64_t chunk,
                           int64_t *out)
{
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += out[i] = v[i].hi_pages;
    while (sum > total) {
        size_t best = n;
        double best_rho = INFINITY;
        for (size_t i = 0; i < n; i++) {
            if (out[i] <= v[i].lo_pages)
                continue;
            double r = esx_rho(v[i].shares, (double)out[i], v[i].active, tau);
            if (r < best_rho) {
                best_rho = r;
                best = i;
            }
        }
        if (best == n)
            break;
        int64_t c = chunk;
        if (c > out[best] - v[best].lo_pages)
            c = out[best] - v[best].lo_pages;
        if (c > sum - total)
            c = sum - total;
        out[best] -= c;
        sum -= c;
    }
}

/* Literal give-back: from every VM at lo, give `chunk` to the highest rho until total. */
static void give_literal(const esx_alloc_vm_t *v, size_t n, int64_t total, double tau, int64_t chunk,
                         int64_t *out)
{
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += out[i] = v[i].lo_pages;
    while (sum < total) {
        size_t best = n;
        double best_rho = -1;
        for (size_t i = 0; i < n; i++) {
            if (out[i] >= v[i].hi_pages)
                continue;
            double r = esx_rho(v[i].shares, (double)out[i], v[i].active, tau);
            if (r > best_rho) {
                best_rho = r;
                best = i;
            }
        }
        if (best == n)
            break;
        int64_t c = chunk;
        if (c > v[best].hi_pages - out[best])
            c = v[best].hi_pages - out[best];
        if (c > total - sum)
            c = total - sum;
        out[best] += c;
        sum += c;
    }
}

Test(policy_esx, allocate_matches_literal_revocation)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
    gsl_rng_set(r, 12345);
    double taus[] = {0, 0.5, 0.75};
    for (int trial = 0; trial < 60; trial++) {
        size_t n = 2 + gsl_rng_uniform_int(r, 5);
        esx_alloc_vm_t v[8];
        int64_t sum_lo = 0, sum_hi = 0;
        for (size_t i = 0; i < n; i++) {
            v[i].shares = 250.0 * (double)(1 + gsl_rng_uniform_int(r, 8));
            v[i].hi_pages = 2000 + (int64_t)gsl_rng_uniform_int(r, 6000);
            v[i].lo_pages = (int64_t)gsl_rng_uniform_int(r, (unsigned long)(v[i].hi_pages / 2));
            v[i].active = gsl_rng_uniform(r);
            sum_lo += v[i].lo_pages;
            sum_hi += v[i].hi_pages;
        }
        int64_t total = sum_lo + (int64_t)(gsl_rng_uniform(r) * (double)(sum_hi - sum_lo));
        double tau = taus[trial % 3];
        int64_t exact[8], lit[8], give[8];
        int64_t got = esx_allocate(v, n, total, tau, exact);
        revoke_literal(v, n, total, tau, 1, lit);
        give_literal(v, n, total, tau, 1, give);
        cr_assert_leq(got, total);
        cr_assert_geq(got, total - (int64_t)n, "allocated %lld of %lld", (long long)got, (long long)total);
        for (size_t i = 0; i < n; i++) {
            cr_assert_geq(exact[i], v[i].lo_pages);
            cr_assert_leq(exact[i], v[i].hi_pages);
            /* one-page chunks: the literal procedures land within a few pages (tax k <= 4) */
            cr_assert_leq(llabs(exact[i] - lit[i]), 6, "trial %d vm %zu: exact %lld literal %lld", trial, i,
                          (long long)exact[i], (long long)lit[i]);
            cr_assert_leq(llabs(exact[i] - give[i]), 6, "trial %d vm %zu: exact %lld give-back %lld", trial, i,
                          (long long)exact[i], (long long)give[i]);
        }
    }
    gsl_rng_free(r);
}

/* The bisection of esx_allocate as first written: a sum over every VM at every step.
 * esx_allocate skips the sums it can infer (monotonicity, see esx.c); it must land on
 * the very same level, hence the very same pages (speed never changes results). */
static void allocate_plain(const esx_alloc_vm_t *v, size_t n, int64_t total_pages, double tau, int64_t *out)
{
    double sum_lo = 0, sum_hi = 0, x_hi = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t lo = v[i].lo_pages, hi = v[i].hi_pages > lo ? v[i].hi_pages : lo;
        sum_lo += (double)lo;
        sum_hi += (double)hi;
        if (v[i].shares > 0) {
            double x = esx_cost((double)hi, v[i].active, tau) / v[i].shares;
            x_hi = x > x_hi ? x : x_hi;
        }
    }
    cr_assert(sum_lo < (double)total_pages && sum_hi > (double)total_pages, "case must bisect");
    double a = 0, b = x_hi * (1.0 + 1e-12) + 1e-300, total = (double)total_pages;
    for (int it = 0; it < 200; it++) {
        double mid = 0.5 * (a + b), s = 0;
        for (size_t i = 0; i < n; i++) {
            double t = v[i].shares <= 0 ? (double)v[i].lo_pages : v[i].shares * mid / esx_cost(1.0, v[i].active, tau);
            if (v[i].shares > 0)
                t = t < (double)v[i].lo_pages ? (double)v[i].lo_pages : t > (double)v[i].hi_pages ? (double)v[i].hi_pages : t;
            s += t;
        }
        if (s > total)
            b = mid;
        else
            a = mid;
        if (b - a <= 1e-15 * b)
            break;
    }
    for (size_t i = 0; i < n; i++) {
        double t = v[i].shares <= 0 ? (double)v[i].lo_pages : v[i].shares * a / esx_cost(1.0, v[i].active, tau);
        if (v[i].shares > 0)
            t = t < (double)v[i].lo_pages ? (double)v[i].lo_pages : t > (double)v[i].hi_pages ? (double)v[i].hi_pages : t;
        out[i] = (int64_t)floor(t);
    }
    /* every VM with shares at hi: the zero-share VMs get the rest, in proportion to room */
    double s = 0, room0 = 0;
    int all_hi = 1;
    for (size_t i = 0; i < n; i++) {
        s += (double)out[i];
        if (v[i].shares <= 0)
            room0 += (double)(v[i].hi_pages - v[i].lo_pages);
        else if (out[i] < v[i].hi_pages)
            all_hi = 0;
    }
    if (all_hi && total - s >= 1 && room0 > 0)
        for (size_t i = 0; i < n; i++)
            if (v[i].shares <= 0 && v[i].hi_pages > v[i].lo_pages) {
                double give = (total - s) * (double)(v[i].hi_pages - v[i].lo_pages) / room0;
                double room = (double)(v[i].hi_pages - out[i]);
                out[i] += (int64_t)floor(give < room ? give : room);
            }
}

Test(policy_esx, allocate_identical_to_plain_bisection)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
    gsl_rng_set(r, 777);
    enum { NMAX = 300 };
    static esx_alloc_vm_t v[NMAX];
    static int64_t fast[NMAX], plain[NMAX];
    double taus[] = {0, 0.3, 0.75, 0.99};
    int bisected = 0;
    for (int trial = 0; trial < 3000; trial++) {
        size_t n = 1 + gsl_rng_uniform_int(r, trial % 10 == 0 ? NMAX : 24);
        int64_t sum_lo = 0, sum_hi = 0;
        for (size_t i = 0; i < n; i++) {
            int kind = (int)gsl_rng_uniform_int(r, 10);
            v[i].shares = kind == 0 ? 0 : 1000.0 * (double)(1 + gsl_rng_uniform_int(r, 4)) * gsl_rng_uniform_pos(r);
            v[i].hi_pages = 1 + (int64_t)gsl_rng_uniform_int(r, 4u << 20);   /* up to 16 GiB */
            v[i].lo_pages = kind == 1 ? v[i].hi_pages : (int64_t)(gsl_rng_uniform(r) * (double)v[i].hi_pages);
            if (kind == 4 && trial % 7 == 0)
                v[i].lo_pages = v[i].hi_pages + 5;      /* hi below lo: the unordered path */
            v[i].active = kind == 2 ? 1.0 : kind == 3 ? 0.0 : gsl_rng_uniform(r);
            sum_lo += v[i].lo_pages;
            sum_hi += v[i].hi_pages;
        }
        if (sum_hi - sum_lo < 2)
            continue;
        int64_t total = sum_lo + 1 + (int64_t)gsl_rng_uniform_int(r, (unsigned long)(sum_hi - sum_lo - 1));
        double tau = taus[trial % 4];
        esx_allocate(v, n, total, tau, fast);
        allocate_plain(v, n, total, tau, plain);
        bisected++;
        for (size_t i = 0; i < n; i++)
            cr_assert_eq(fast[i], plain[i], "trial %d (n %zu, tau %g) vm %zu: %lld pages, plain bisection %lld", trial,
                         n, tau, i, (long long)fast[i], (long long)plain[i]);
    }
    cr_assert_gt(bisected, 2500);
    gsl_rng_free(r);
}

/* One VM as the allocator sees it (the scratch fields are its own). */
#define VM(sh, f, lo, hi) {.shares = (sh), .active = (f), .lo_pages = (lo), .hi_pages = (hi)}

Test(policy_esx, allocate_hand_cases)
{
    int64_t out[3];
    /* tau = 0: proportional to shares (2:1 of 900 pages) */
    esx_alloc_vm_t a[2] = {VM(2000, 0.1, 0, 1000), VM(1000, 0.9, 0, 1000)};
    esx_allocate(a, 2, 900, 0.0, out);
    cr_assert_leq(llabs(out[0] - 600), 1);
    cr_assert_leq(llabs(out[1] - 300), 1);
    /* tau = 0.75, equal shares, idle f = 0.1 (cost 3.7 per page), active f = 0.9 (cost
     * 1.3 per page), total 1300: equal rho <=> P in the ratio 1/3.7 : 1/1.3, so the idle VM
     * gets 1300 x 0.27027 / 1.03950 = 338 and the active one 962 */
    esx_alloc_vm_t b[2] = {VM(1000, 0.1, 0, 1000), VM(1000, 0.9, 0, 1000)};
    esx_allocate(b, 2, 1300, 0.75, out);
    cr_assert_leq(llabs(out[0] - 338), 1, "idle %lld", (long long)out[0]);
    cr_assert_leq(llabs(out[1] - 962), 1, "active %lld", (long long)out[1]);
    /* at 1400 the active VM would get 1036 > hi: it is held at 1000, the idle VM gets 400 */
    esx_allocate(b, 2, 1400, 0.75, out);
    cr_assert_eq(out[1], 1000);
    cr_assert_leq(llabs(out[0] - 400), 1, "idle %lld", (long long)out[0]);
    /* bounds: not enough for the floors -> floors; more than the maxima -> maxima */
    esx_alloc_vm_t c[3] = {VM(1000, 0, 300, 1000), VM(1000, 0, 400, 1000), VM(0, 0, 100, 500)};
    esx_allocate(c, 3, 500, 0.75, out);
    cr_assert_eq(out[0], 300);
    cr_assert_eq(out[1], 400);
    cr_assert_eq(out[2], 100);
    esx_allocate(c, 3, 5000, 0.75, out);
    cr_assert_eq(out[0], 1000);
    cr_assert_eq(out[1], 1000);
    cr_assert_eq(out[2], 500);
    /* zero shares: revoked first, refunded last */
    esx_allocate(c, 3, 2200, 0.75, out);
    cr_assert_eq(out[0], 1000);
    cr_assert_eq(out[1], 1000);
    cr_assert_leq(llabs(out[2] - 200), 1);
    esx_allocate(c, 3, 1900, 0.75, out);
    cr_assert_eq(out[2], 100);
}

/* ------------------------------------------------------------------ sampler */

/* One period at true fraction f: n pages in two halves (the ticks of a 30 s period at a
 * 15 s interval).  Returns the estimate at the period end. */
static double period(esx_active_t *a, gsl_rng *r, double f, unsigned n)
{
    unsigned h = n / 2;
    esx_active_add(a, gsl_ran_binomial(r, f, h), h, 0, 0.1, 0.5);
    esx_active_add(a, gsl_ran_binomial(r, f, n - h), n - h, 1, 0.1, 0.5);
    return esx_active_estimate(a);
}

Test(policy_esx, sampler_converges_to_true_fraction)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
    gsl_rng_set(r, 7);
    esx_active_t a;
    esx_active_init(&a);
    cr_assert_float_eq(esx_active_estimate(&a), 1.0, 1e-12, "no sample yet: untaxed");
    double truth[] = {0.05, 0.3, 0.6, 0.9};
    for (size_t t = 0; t < 4; t++) {
        esx_active_init(&a);
        double sum = 0;
        int k = 0;
        for (int p = 0; p < 300; p++) {
            double e = period(&a, r, truth[t], 100);
            if (p >= 100) {
                sum += e;
                k++;
            }
        }
        /* n = 100 per period: the mean estimate is within 0.04 of the truth (the max of
         * the EWMAs biases it up a little, never down) */
        cr_assert_lt(fabs(sum / k - truth[t]), 0.04, "truth %g mean estimate %g", truth[t], sum / k);
        cr_assert_geq(sum / k, truth[t] - 0.01);
    }
    /* with many pages the estimate is exact */
    esx_active_init(&a);
    for (int p = 0; p < 100; p++)
        period(&a, r, 0.42, 1000000);
    cr_assert_float_eq(esx_active_estimate(&a), 0.42, 0.003);
    gsl_rng_free(r);
}

Test(policy_esx, sampler_rises_faster_than_it_falls)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
    gsl_rng_set(r, 11);
    esx_active_t up, down;
    esx_active_init(&up);
    esx_active_init(&down);
    for (int p = 0; p < 100; p++) {
        period(&up, r, 0.1, 100000);
        period(&down, r, 0.8, 100000);
    }
    /* within the first half period of the change the partial estimate already rises */
    esx_active_add(&up, gsl_ran_binomial(r, 0.8, 50000), 50000, 0, 0.1, 0.5);
    cr_assert_gt(esx_active_estimate(&up), 0.4, "partial estimate %g", esx_active_estimate(&up));
    esx_active_add(&down, gsl_ran_binomial(r, 0.1, 50000), 50000, 0, 0.1, 0.5);
    cr_assert_gt(esx_active_estimate(&down), 0.75, "a fall is not seen within the period");
    /* periods until the estimate crosses the midpoint 0.45 */
    int rise = 0, fall = 0;
    esx_active_add(&up, gsl_ran_binomial(r, 0.8, 50000), 50000, 1, 0.1, 0.5);
    esx_active_add(&down, gsl_ran_binomial(r, 0.1, 50000), 50000, 1, 0.1, 0.5);
    while (esx_active_estimate(&up) < 0.45 && rise < 100) {
        period(&up, r, 0.8, 100000);
        rise++;
    }
    while (esx_active_estimate(&down) > 0.45 && fall < 100) {
        period(&down, r, 0.1, 100000);
        fall++;
    }
    /* the fast EWMA (gain 0.5) gets there in the first period; the slow one (gain 0.1)
     * needs ln(0.35/0.7)/ln(0.9) = 6.6 periods */
    cr_assert_eq(rise, 0, "rise took %d more periods", rise);
    cr_assert_geq(fall, 5, "fall took %d periods", fall);
    cr_assert_leq(fall, 8, "fall took %d periods", fall);
    gsl_rng_free(r);
}

/* ------------------------------------------------------------------ whole runs */

/* Paper Fig. 7 in small: two VMs of 2 GiB, equal shares, on a 3 GiB host; VM "idle" holds
 * 1.8 GiB but touches 5 % of it, VM "busy" grows to 1.8 GiB (90 % active) over an hour. */
static const char *const fig7 =
    "[simulation]\nduration = 1h\nsample_interval = 30s\noutput = vm\n"
    "[host]\nmemory = 3GiB\n"
    "[vm idle]\nmemory = 2GiB\nworkload = constant\nworkload.mean = 1800MiB\nworkload.file_set = 0\n"
    "workload.active_fraction = 5%%\nworkload.access_rate = 1MiB/s\n"
    "[vm busy]\nmemory = 2GiB\nworkload = diurnal\nworkload.mean = 1000MiB\nworkload.amplitude = 800MiB\n"
    "workload.period = 4h\nworkload.noise = 0\nworkload.file_set = 0\nworkload.active_fraction = 90%%\n"
    "[balloon]\npreset = vmware\n"
    "[policy]\nname = esx-share\nidle_tax = %s\n";

Test(policy_esx, tax_zero_gives_equal_memory)
{
    char text[2048], path[256];
    snprintf(text, sizeof text, fig7, "0");
    harness_run_file("tau0", text, 42, path, sizeof path);
    double idle = harness_vm_metric(path, "idle", "usable_final_bytes");
    double busy = harness_vm_metric(path, "busy", "usable_final_bytes");
    /* memory was contended: both ballooned well below 2 GiB ... */
    cr_assert_lt(busy, 1800 * MIB, "busy %g MiB", busy / MIB);
    cr_assert_gt(run_metric(path, "balloon_inflated_bytes"), 500 * MIB);
    /* ... and split equally, active or idle */
    cr_assert_lt(fabs(idle - busy), 32 * MIB, "idle %g MiB busy %g MiB", idle / MIB, busy / MIB);
    harness_remove_db(path);
}

Test(policy_esx, idle_tax_moves_memory_to_the_active_vm)
{
    char text[2048], p0[256], p75[256];
    snprintf(text, sizeof text, fig7, "0");
    harness_run_file("fig7-0", text, 42, p0, sizeof p0);
    snprintf(text, sizeof text, fig7, "75%");
    harness_run_file("fig7-75", text, 42, p75, sizeof p75);
    double idle0 = harness_vm_metric(p0, "idle", "usable_final_bytes");
    double busy0 = harness_vm_metric(p0, "busy", "usable_final_bytes");
    double idle75 = harness_vm_metric(p75, "idle", "usable_final_bytes");
    double busy75 = harness_vm_metric(p75, "busy", "usable_final_bytes");
    cr_assert_gt(busy75 - idle75, 600 * MIB, "tau 0.75: idle %g busy %g MiB", idle75 / MIB, busy75 / MIB);
    cr_assert_lt(idle75, idle0 - 300 * MIB, "idle: %g MiB at tau 0.75, %g at 0", idle75 / MIB, idle0 / MIB);
    cr_assert_gt(busy75, busy0 + 300 * MIB, "busy: %g MiB at tau 0.75, %g at 0", busy75 / MIB, busy0 / MIB);
    /* the active VM no longer swaps in its guest; the idle one does instead */
    cr_assert_lt(harness_vm_metric(p75, "busy", "guest_swap_out_bytes"), harness_vm_metric(p0, "busy", "guest_swap_out_bytes"));
    /* never beyond the 65 % balloon cap */
    cr_assert_geq(idle75, 0.35 * 2048 * MIB - 4096);
    harness_remove_db(p0);
    harness_remove_db(p75);
}

/* The policy tests below were derived under the memory model before issue 23 (the ESX
 * sampler then read workload.active_fraction directly, guest reclaim was cache-first): they
 * keep it (memory_model = legacy); test_memmodel.c covers the new model. */
Test(policy_esx, shares_split_contended_memory)
{
    static const char *const text =
        "[simulation]\nmemory_model = legacy\nduration = 20min\nsample_interval = 30s\noutput = summary\n"
        "[host]\nmemory = 3GiB\n"
        "[vm gold]\nmemory = 2GiB\nshares = 2000\nworkload = constant\nworkload.mean = 1984MiB\n"
        "workload.file_set = 0\nworkload.active_fraction = 90%\n"
        "[vm bronze]\nmemory = 2GiB\nshares = 1000\nworkload = constant\nworkload.mean = 1984MiB\n"
        "workload.file_set = 0\nworkload.active_fraction = 90%\n"
        "[balloon]\npreset = vmware\n"
        "[policy]\nname = esx-share\n";
    char path[256];
    harness_run_file("shares", text, 42, path, sizeof path);
    double gold = harness_vm_metric(path, "gold", "usable_final_bytes");
    double bronze = harness_vm_metric(path, "bronze", "usable_final_bytes");
    cr_assert_gt(gold / bronze, 1.8, "gold %g MiB bronze %g MiB", gold / MIB, bronze / MIB);
    cr_assert_lt(gold / bronze, 2.2, "gold %g MiB bronze %g MiB", gold / MIB, bronze / MIB);
    harness_remove_db(path);
}

Test(policy_esx, no_ballooning_while_free_memory_is_high)
{
    static const char *const text =
        "[simulation]\nduration = 30min\nsample_interval = 30s\noutput = host\n"
        "[host]\nmemory = 8GiB\n"
        "[vm a]\ncount = 2\nmemory = 2GiB\nworkload = diurnal\nworkload.mean = 1GiB\nworkload.amplitude = 800MiB\n"
        "workload.period = 30min\nworkload.step = 30s\n"
        "[vm idle]\nmemory = 2GiB\nworkload = constant\nworkload.mean = 1800MiB\nworkload.active_fraction = 1%\n"
        "[balloon]\npreset = vmware\n"
        "[policy]\nname = esx-share\n";
    char path[256];
    harness_run_file("high", text, 42, path, sizeof path);
    cr_assert_eq(run_metric(path, "balloon_inflated_bytes"), 0);
    cr_assert_eq(harness_q1_file(path, "SELECT count(*) FROM balloon_ops"), 0);
    cr_assert_eq(harness_q1_file(path, "SELECT count(*) FROM policy_log WHERE what LIKE 'state_%'"), 0);
    cr_assert_eq(harness_q1_file(path, "SELECT count(*) FROM host_samples WHERE state <> 'high'"), 0);
    cr_assert_float_eq(harness_vm_metric(path, "idle", "usable_final_bytes"), 2048 * MIB, 1);
    harness_remove_db(path);
}

/* usable memory (MiB) of the VM of group `grp` in the sample at t_s seconds */
static double usable_mib_at(const char *path, const char *grp, double t_s)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT s.usable_bytes / 1048576.0 FROM vm_samples s JOIN vms v USING (run_id, vm_id) "
             "WHERE v.grp = '%s' AND s.time_ns = %.0f", grp, t_s * 1e9);
    double v = harness_q1_file(path, sql);
    cr_assert(!isnan(v), "no sample of %s at %g s", grp, t_s);
    return v;
}

/* The default scenario's problem in small: a VM ballooned while its demand was low is
 * short once its demand grows back, but its paging does not lower host free memory, so
 * the host stays in the high state.  The policy must move memory to it from the
 * low-rho VMs within a few balance periods (the version without high-state
 * rebalancing left it at 1502 MiB, swapping, for good).
 *   idle  1800 MiB, 5 % active: the lowest rho;
 *   busy  diurnal 1100 +- 800 MiB over 1 h, 90 % active: its rise at boot makes the
 *         host reclaim (to about 14 min), then its demand falls;
 *   grow  1800 MiB for 30 s, 300 MiB to 25 min, then 1800 MiB again (90 % active):
 *         ballooned while small, to about 1.5 GiB. */
Test(policy_esx, a_short_vm_gets_memory_back_in_the_high_state)
{
    char csv[256], text[2048], path[256];
    snprintf(csv, sizeof csv, "/tmp/balloonsim-esx-%ld-grow.csv", (long)getpid());
    FILE *f = fopen(csv, "w");
    cr_assert_not_null(f);
    fputs("time_s,anon_mib\n0,1800\n30,300\n1500,1800\n", f);
    fclose(f);
    snprintf(text, sizeof text,
             "[simulation]\nmemory_model = legacy\nduration = 40min\nsample_interval = 30s\noutput = vm\n"
             "[host]\nmemory = 5100MiB\n"
             "[vm idle]\nmemory = 2GiB\nworkload = constant\nworkload.mean = 1800MiB\nworkload.file_set = 0\n"
             "workload.active_fraction = 5%%\nworkload.access_rate = 1MiB/s\n"
             "[vm busy]\nmemory = 2GiB\nworkload = diurnal\nworkload.mean = 1100MiB\nworkload.amplitude = 800MiB\n"
             "workload.period = 1h\nworkload.noise = 0\nworkload.file_set = 0\nworkload.active_fraction = 90%%\n"
             "[vm grow]\nmemory = 2GiB\nworkload = trace\nworkload.file = %s\nworkload.file_set = 0\n"
             "workload.active_fraction = 90%%\n"
             "[balloon]\npreset = vmware\n"
             "[policy]\nname = esx-share\n", csv);
    harness_run_file("grow", text, 42, path, sizeof path);
    const double need = 64 + 1800;          /* kernel + demand after the rise, MiB */
    double grow0 = usable_mib_at(path, "grow", 1440), idle0 = usable_mib_at(path, "idle", 1440);
    double busy0 = usable_mib_at(path, "busy", 1440);
    /* settled in the high state, with grow's balloon below its coming demand */
    cr_assert_lt(grow0, need - 200, "grow holds %g MiB before the rise", grow0);
    cr_assert_eq(harness_q1_file(path, "SELECT count(*) FROM policy_log WHERE what LIKE 'state_%' AND time_ns > 1200e9"), 0,
                 "the host left the high state: the move would be a reclaim");
    /* within 2 min (8 balance periods) of the rise grow holds its demand ... */
    double grow1 = usable_mib_at(path, "grow", 1620);
    cr_assert_geq(grow1, need, "grow: %g MiB at 25 min + 2 min, needs %g", grow1, need);
    /* ... taken mostly from the idle VM, the lowest rho */
    double idle1 = usable_mib_at(path, "idle", 1620), busy1 = usable_mib_at(path, "busy", 1620);
    cr_assert_lt(idle1, idle0 - 200, "idle: %g -> %g MiB", idle0, idle1);
    cr_assert_gt(idle0 - idle1, busy0 - busy1, "idle gave %g MiB, busy %g", idle0 - idle1, busy0 - busy1);
    cr_assert_gt(harness_q1_file(path, "SELECT count(*) FROM policy_log WHERE what = 'rebalance'"), 0);
    /* it stops paging, and nothing takes the memory back (no churn) */
    double slow = harness_q1_file(path, "SELECT avg(s.slowdown) FROM vm_samples s JOIN vms v USING (run_id, vm_id) "
                           "WHERE v.grp = 'grow' AND s.time_ns >= 1800e9");
    cr_assert_lt(slow, 1.02, "grow's slowdown after 30 min: %g", slow);
    double low = harness_q1_file(path, "SELECT min(s.usable_bytes) / 1048576.0 FROM vm_samples s JOIN vms v USING (run_id, vm_id) "
                          "WHERE v.grp = 'grow' AND s.time_ns >= 1620e9");
    cr_assert_geq(low, grow1 - 1, "grow lost memory again: %g MiB after %g", low, grow1);
    harness_remove_db(path);
    unlink(csv);
}

/* Two equally active VMs that are both short (shares 2:1) on a settled host: their
 * allocations differ only by the sampling noise of f, so nothing may move (the noise
 * band); without it the same run moves memory back and forth. */
Test(policy_esx, sampling_noise_moves_no_memory)
{
    static const char *const fmt =
        "[simulation]\nmemory_model = legacy\nduration = 1h\nsample_interval = 30s\noutput = vm\n"
        "[host]\nmemory = 3GiB\n"
        "[vm gold]\nmemory = 2GiB\nshares = 2000\nworkload = constant\nworkload.mean = 1984MiB\n"
        "workload.file_set = 0\nworkload.active_fraction = 90%%\n"
        "[vm bronze]\nmemory = 2GiB\nshares = 1000\nworkload = constant\nworkload.mean = 1984MiB\n"
        "workload.file_set = 0\nworkload.active_fraction = 90%%\n"
        "[balloon]\npreset = vmware\n"
        "[policy]\nname = esx-share\nnoise_band = %s\n";
    char text[1024], path[256], p0[256];
    snprintf(text, sizeof text, fmt, "2");
    harness_run_file("noise", text, 42, path, sizeof path);
    /* both short for the whole hour: neither holds its 2 GiB */
    cr_assert_lt(harness_vm_metric(path, "gold", "usable_final_bytes"), 1990 * MIB);
    cr_assert_gt(harness_vm_metric(path, "bronze", "slowdown_mean"), 1.05);
    cr_assert_eq(harness_q1_file(path, "SELECT count(*) FROM balloon_ops WHERE issued_ns > 600e9"), 0,
                 "balloon operations after the host settled");
    cr_assert_eq(harness_q1_file(path, "SELECT count(*) FROM policy_log WHERE what = 'rebalance'"), 0);
    double gold = harness_vm_metric(path, "gold", "usable_final_bytes"), bronze = harness_vm_metric(path, "bronze", "usable_final_bytes");
    cr_assert(gold / bronze > 1.8 && gold / bronze < 2.2, "gold %g bronze %g MiB", gold / MIB, bronze / MIB);
    snprintf(text, sizeof text, fmt, "0");
    harness_run_file("noise0", text, 42, p0, sizeof p0);
    cr_assert_gt(harness_q1_file(p0, "SELECT count(*) FROM policy_log WHERE what = 'rebalance'"), 0,
                 "without the noise band the estimates' noise should move memory");
    harness_remove_db(path);
    harness_remove_db(p0);
}

Test(policy_esx, logged_estimates_follow_the_truth)
{
    /* Alone on a big host (no ballooning): the true active fraction of usable memory is
     * (kernel + anon) / usable = 264/2048 before the step and 1864/2048 after. */
    static const char *const text =
        "[simulation]\nmemory_model = legacy\nduration = 30min\nsample_interval = 30s\noutput = vm\n"
        "[host]\nmemory = 16GiB\n"
        "[vm up]\nmemory = 2GiB\nworkload = step\nworkload.mean = 200MiB\nworkload.amplitude = 1600MiB\n"
        "workload.step_at = 10min\nworkload.file_set = 0\nworkload.active_fraction = 100%\n"
        "[vm down]\nmemory = 2GiB\nworkload = step\nworkload.mean = 1800MiB\nworkload.amplitude = -1600MiB\n"
        "workload.step_at = 10min\nworkload.file_set = 0\nworkload.active_fraction = 100%\n"
        "[balloon]\npreset = vmware\n"
        "[policy]\nname = esx-share\nlog_estimates = yes\n";
    char path[256];
    harness_run_file("estimates", text, 42, path, sizeof path);
    const double lo = 264.0 / 2048, hi = 1864.0 / 2048, mid = 0.5 * (lo + hi);
    /* before the step, both settle at their truth */
    double up0 = harness_q1_file(path, "SELECT avg(value) FROM policy_log WHERE what = 'active' AND vm_id = 0 "
                          "AND time_ns BETWEEN 300e9 AND 600e9");
    double down0 = harness_q1_file(path, "SELECT avg(value) FROM policy_log WHERE what = 'active' AND vm_id = 1 "
                            "AND time_ns BETWEEN 300e9 AND 600e9");
    cr_assert_lt(fabs(up0 - lo), 0.06, "up before: %g, truth %g", up0, lo);
    cr_assert_lt(fabs(down0 - hi), 0.06, "down before: %g, truth %g", down0, hi);
    /* after the step: time to cross the midpoint */
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT min(time_ns) / 1e9 - 600 FROM policy_log WHERE what = 'active' "
                              "AND vm_id = 0 AND time_ns > 600e9 AND value >= %.6f", mid);
    double rise_s = harness_q1_file(path, sql);
    snprintf(sql, sizeof sql, "SELECT min(time_ns) / 1e9 - 600 FROM policy_log WHERE what = 'active' "
                              "AND vm_id = 1 AND time_ns > 600e9 AND value <= %.6f", mid);
    double fall_s = harness_q1_file(path, sql);
    cr_assert(!isnan(rise_s) && !isnan(fall_s), "no crossing (rise %g, fall %g)", rise_s, fall_s);
    cr_assert_leq(rise_s, 30, "rise took %g s", rise_s);
    cr_assert_geq(fall_s, 3 * rise_s + 60, "fall %g s, rise %g s", fall_s, rise_s);
    /* and both converge to their new truth by the end */
    double up1 = harness_q1_file(path, "SELECT avg(value) FROM policy_log WHERE what = 'active' AND vm_id = 0 AND time_ns >= 1500e9");
    double down1 = harness_q1_file(path, "SELECT avg(value) FROM policy_log WHERE what = 'active' AND vm_id = 1 AND time_ns >= 1500e9");
    cr_assert_lt(fabs(up1 - hi), 0.06, "up after: %g, truth %g", up1, hi);
    cr_assert_lt(fabs(down1 - lo), 0.06, "down after: %g, truth %g", down1, lo);
    harness_remove_db(path);
}

/* ------------------------------------------------------------------ bad input */

Test(policy_esx, bad_keys_are_refused)
{
    harness_policy_refused("esx-share", "idle_tax = 100%\n", "idle_tax", "range");          /* k = 1/(1 - tau) would be infinite */
    harness_policy_refused("esx-share", "ewma_fast = 5%\n", "ewma_fast", "ewma_slow");       /* must rise faster than it falls */
    harness_policy_refused("esx-share", "sample_pages = 0\n", "sample_pages", "range");
    harness_policy_refused("esx-share", "max_balloon = 120%\n", "max_balloon", "range");
    harness_policy_refused("esx-share", "idle_tx = 0.5\n", "idle_tx", "idle_tax");   /* unknown key: the nearest is suggested */
}
