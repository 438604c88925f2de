/*
 * tests/unit/test_cache.c -- Criterion suite "cache" for models/cache.[ch] (cache_mrc_*).
 *
 * Two reference models, both written here independently of cache.c:
 *   - brute_che_hit(): Che's approximation solved over every one of the F pages
 *     (no buckets, no interpolation), GSL Brent on ln T;
 *   - lru_hit_ratio(): an exact LRU cache (array-indexed pages + doubly linked list)
 *     driven by Zipf ranks drawn from the exact CDF with a fixed-seed gsl_rng
 *     (mt19937), warmed up, then hits counted.
 * Deterministic: fixed seeds, no timing (the build cost is bench/bench_cache.c).
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_roots.h>

#include "models/cache.h"

/* ---------------------------------------------------------------- references */

/* Zipf(alpha) probabilities of ranks 1..F (index 0..F-1), summed smallest first. */
static double *zipf_probs(double alpha, long F)
{
    double *p = malloc((size_t)F * sizeof *p);
    cr_assert_not_null(p);
    double H = 0.0;
    for (long i = F - 1; i >= 0; i--) {
        p[i] = pow((double)(i + 1), -alpha);
        H += p[i];
    }
    for (long i = 0; i < F; i++)
        p[i] /= H;
    return p;
}

typedef struct brute_ctx {
    const double *p;
    long F;
    double target_pages;
} brute_ctx_t;

static double brute_residual(double lnT, void *arg)
{
    const brute_ctx_t *c = arg;
    double T = exp(lnT), s = 0.0;
    for (long i = 0; i < c->F; i++)
        s += -expm1(-c->p[i] * T);
    return s - c->target_pages;
}

/* Che's hit ratio over all F pages for cache fraction x in (0, 1). */
static double brute_che_hit(const double *p, long F, double x)
{
    brute_ctx_t c = { p, F, x * F };
    gsl_function fn = { brute_residual, &c };
    double lo = log(x * F);                                  /* C(T) <= T */
    double hi = log(-log1p(-x)) - log(p[F - 1]) + 1e-6;      /* C(T) >= F(1-e^{-p_min T}) */
    cr_assert(brute_residual(lo, &c) <= 0.0 && brute_residual(hi, &c) >= 0.0,
              "brute bracket F=%ld x=%g", F, x);
    gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    cr_assert_not_null(s);
    gsl_root_fsolver_set(s, &fn, lo, hi);
    double r = lo;
    for (int it = 0; it < 200; it++) {
        gsl_root_fsolver_iterate(s);
        r = gsl_root_fsolver_root(s);
        if (gsl_root_test_interval(gsl_root_fsolver_x_lower(s), gsl_root_fsolver_x_upper(s),
                                   1e-13, 0.0) == GSL_SUCCESS)
            break;
    }
    gsl_root_fsolver_free(s);
    double T = exp(r), h = 0.0;
    for (long i = 0; i < F; i++)
        h += p[i] * -expm1(-p[i] * T);
    return h;
}

/* Exact LRU with capacity C pages over F pages (page id = Zipf rank - 1). */
typedef struct lru {
    int32_t *prev, *next;
    unsigned char *in;
    int32_t head, tail;   /* head = most recent; -1 when empty */
    long size, cap;
} lru_t;

static void lru_unlink(lru_t *l, int32_t i)
{
    if (l->prev[i] >= 0) l->next[l->prev[i]] = l->next[i]; else l->head = l->next[i];
    if (l->next[i] >= 0) l->prev[l->next[i]] = l->prev[i]; else l->tail = l->prev[i];
}

static void lru_push_front(lru_t *l, int32_t i)
{
    l->prev[i] = -1;
    l->next[i] = l->head;
    if (l->head >= 0) l->prev[l->head] = i; else l->tail = i;
    l->head = i;
}

/* Reference page i; returns 1 on a hit. */
static int lru_ref(lru_t *l, int32_t i)
{
    if (l->in[i]) {
        if (l->head != i) {
            lru_unlink(l, i);
            lru_push_front(l, i);
        }
        return 1;
    }
    if (l->size == l->cap) {
        int32_t v = l->tail;
        lru_unlink(l, v);
        l->in[v] = 0;
        l->size--;
    }
    lru_push_front(l, i);
    l->in[i] = 1;
    l->size++;
    return 0;
}

/* Smallest rank index with cdf[i] > u (cdf[F-1] == 1 > u). */
static int32_t draw_rank(const double *cdf, long F, double u)
{
    long lo = 0, hi = F - 1;
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        if (cdf[mid] > u) hi = mid; else lo = mid + 1;
    }
    return (int32_t)lo;
}

static double lru_hit_ratio(const double *cdf, long F, long cap, unsigned long seed,
                            long warmup_refs, long refs)
{
    lru_t l = { 0 };
    l.prev = malloc((size_t)F * sizeof *l.prev);
    l.next = malloc((size_t)F * sizeof *l.next);
    l.in = calloc((size_t)F, 1);
    cr_assert(l.prev && l.next && l.in);
    l.head = l.tail = -1;
    l.cap = cap;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    cr_assert_not_null(r);
    gsl_rng_set(r, seed);
    for (long k = 0; k < warmup_refs; k++)
        lru_ref(&l, draw_rank(cdf, F, gsl_rng_uniform(r)));
    cr_assert_eq(l.size, cap, "cache not full after warm-up");
    long hits = 0;
    for (long k = 0; k < refs; k++)
        hits += lru_ref(&l, draw_rank(cdf, F, gsl_rng_uniform(r)));
    gsl_rng_free(r);
    free(l.prev);
    free(l.next);
    free(l.in);
    return (double)hits / (double)refs;
}

static cache_mrc_t *must_create(double alpha, int64_t F)
{
    char err[SIM_ERR_MAX] = "";
    cache_mrc_t *m = NULL;
    int rc = cache_mrc_create(&m, alpha, F, err, sizeof err);
    cr_assert_eq(rc, SIM_OK, "create(alpha %g, F %lld): %s", alpha, (long long)F, err);
    cr_assert_not_null(m);
    return m;
}

/* ---------------------------------------------------------------- (1) vs LRU */

#define LRU_F        10000
#define LRU_WARMUP   300000
#define LRU_REFS     1000000
#define LRU_TOL      0.02

static void check_against_lru(double alpha)
{
    static const double fractions[] = { 0.05, 0.1, 0.25, 0.5, 0.75 };
    double *p = zipf_probs(alpha, LRU_F);
    double *cdf = malloc(LRU_F * sizeof *cdf);
    cr_assert_not_null(cdf);
    double acc = 0.0;
    for (long i = 0; i < LRU_F; i++) {
        acc += p[i];
        cdf[i] = acc;
    }
    cdf[LRU_F - 1] = 1.0;
    cache_mrc_t *m = must_create(alpha, LRU_F);
    double worst = 0.0;
    for (size_t k = 0; k < sizeof fractions / sizeof fractions[0]; k++) {
        double x = fractions[k];
        long cap = lround(x * LRU_F);
        double sim = lru_hit_ratio(cdf, LRU_F, cap, 20240601UL + k, LRU_WARMUP, LRU_REFS);
        double che = cache_mrc_hit_ratio(m, x);
        double dev = fabs(che - sim);
        if (dev > worst)
            worst = dev;
        cr_log_info("alpha %.1f C/F %.2f: LRU %.4f Che %.4f dev %.2f pp",
                    alpha, x, sim, che, 100.0 * dev);
        cr_expect_leq(dev, LRU_TOL, "alpha %g x %g: LRU %.4f vs Che %.4f", alpha, x, sim, che);
    }
    cr_log_info("alpha %.1f: max |Che - LRU| = %.2f pp", alpha, 100.0 * worst);
    cache_mrc_destroy(m);
    free(cdf);
    free(p);
}

Test(cache, lru_alpha_0_6) { check_against_lru(0.6); }
Test(cache, lru_alpha_0_8) { check_against_lru(0.8); }
Test(cache, lru_alpha_1_0) { check_against_lru(1.0); }
Test(cache, lru_alpha_1_2) { check_against_lru(1.2); }

/* ---------------------------------------------------------------- (2) uniform */

Test(cache, uniform_is_identity)
{
    static const int64_t Fs[] = { 1, 2, 10, 1000, 1000000, 10000000, INT64_C(1) << 40 };
    for (size_t f = 0; f < sizeof Fs / sizeof Fs[0]; f++) {
        cache_mrc_t *m = must_create(0.0, Fs[f]);
        for (double x = 1e-9; x < 1.0; x *= 1.07)
            cr_assert(fabs(cache_mrc_hit_ratio(m, x) - x) <= 1e-12 * x,
                      "F %lld x %g: h %.17g", (long long)Fs[f], x, cache_mrc_hit_ratio(m, x));
        for (int i = 0; i <= 1000; i++) {
            double x = i / 1000.0;
            cr_assert(fabs(cache_mrc_hit_ratio(m, x) - x) <= 1e-12,
                      "F %lld x %g: h %.17g", (long long)Fs[f], x, cache_mrc_hit_ratio(m, x));
        }
        cache_mrc_destroy(m);
    }
}

/* ---------------------------------------------------------------- (3) shape */

Test(cache, monotone_and_end_points)
{
    static const double alphas[] = { 0.0, 0.3, 0.6, 0.8, 0.99, 1.0, 1.01, 1.2, 1.5, 2.0, 3.0 };
    static const int64_t Fs[] = { 1, 2, 3, 100, 10000, 262144, 10000000, INT64_C(1) << 40 };
    for (size_t a = 0; a < sizeof alphas / sizeof alphas[0]; a++) {
        for (size_t f = 0; f < sizeof Fs / sizeof Fs[0]; f++) {
            cache_mrc_t *m = must_create(alphas[a], Fs[f]);
            cr_assert_eq(cache_mrc_hit_ratio(m, 0.0), 0.0);
            cr_assert_eq(cache_mrc_hit_ratio(m, -0.5), 0.0);
            cr_assert_eq(cache_mrc_hit_ratio(m, -INFINITY), 0.0);
            cr_assert_eq(cache_mrc_hit_ratio(m, 1.0), 1.0);
            cr_assert_eq(cache_mrc_hit_ratio(m, 1.5), 1.0);
            cr_assert_eq(cache_mrc_hit_ratio(m, INFINITY), 1.0);
            cr_assert(isnan(cache_mrc_hit_ratio(m, NAN)));
            /* log-spaced scan from 1e-15, then linear to 1 */
            double prev = 0.0;
            for (double x = 1e-15; x < 1e-3; x *= 1.01) {
                double h = cache_mrc_hit_ratio(m, x);
                cr_assert(h >= prev && h <= 1.0, "alpha %g F %lld x %g: h %.17g < %.17g",
                          alphas[a], (long long)Fs[f], x, h, prev);
                prev = h;
            }
            for (int i = 100; i <= 100000; i++) {
                double x = i * 1e-5;
                double h = cache_mrc_hit_ratio(m, x);
                cr_assert(h >= prev && h <= 1.0, "alpha %g F %lld x %.9f: h %.17g < %.17g",
                          alphas[a], (long long)Fs[f], x, h, prev);
                prev = h;
            }
            cr_assert_eq(prev, 1.0);
            /* continuous at both ends */
            cr_assert_leq(cache_mrc_hit_ratio(m, 1e-300), 1e-200);
            cr_assert_geq(cache_mrc_hit_ratio(m, 1.0 - 1e-15), 1.0 - 1e-9);
            cache_mrc_destroy(m);
        }
    }
}

/* ---------------------------------------------------------------- (4) vs direct */

Test(cache, agrees_with_direct_solve)
{
    static const double alphas[] = { 0.0, 0.5, 0.8, 1.0, 1.2, 1.5, 3.0 };
    static const long Fs[] = { 100, 1000, 10000, 100000 };
    static const double xs[] = { 1e-4, 1e-3, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999 };
    double worst = 0.0;
    for (size_t a = 0; a < sizeof alphas / sizeof alphas[0]; a++) {
        for (size_t f = 0; f < sizeof Fs / sizeof Fs[0]; f++) {
            double *p = zipf_probs(alphas[a], Fs[f]);
            cache_mrc_t *m = must_create(alphas[a], Fs[f]);
            for (size_t k = 0; k < sizeof xs / sizeof xs[0]; k++) {
                double ref = brute_che_hit(p, Fs[f], xs[k]);
                double got = cache_mrc_hit_ratio(m, xs[k]);
                double d = fabs(got - ref);
                if (d > worst)
                    worst = d;
                cr_expect_leq(d, 1e-3, "alpha %g F %ld x %g: table %.8f direct %.8f",
                              alphas[a], Fs[f], xs[k], got, ref);
            }
            cache_mrc_destroy(m);
            free(p);
        }
    }
    cr_log_info("max |table - direct Che| = %.2e", worst);
}

/* Known answer (models/cache.h): alpha 0.8, F = 10^6, x = 0.1 -> h = 0.487113. */
Test(cache, known_answer)
{
    const double want = 0.487113;
    double *p = zipf_probs(0.8, 1000000);
    double ref = brute_che_hit(p, 1000000, 0.1);
    free(p);
    cr_assert(fabs(ref - want) < 1e-6, "direct Che %.8f vs known %.6f", ref, want);
    cache_mrc_t *m = must_create(0.8, 1000000);
    double got = cache_mrc_hit_ratio(m, 0.1);
    cr_assert(fabs(got - want) < 1e-5, "table %.8f vs known %.6f", got, want);
    cache_mrc_destroy(m);
}

/* The F-dependence table quoted in models/cache.h, h(x = 0.05). */
Test(cache, depends_on_file_pages)
{
    static const double alphas[] = { 0.6, 0.8, 1.0, 1.2, 1.5 };
    static const int64_t Fs[] = { 10000, 262144, 10000000 };
    static const double want[5][3] = {
        { 0.1514, 0.1636, 0.1670 },
        { 0.3312, 0.3798, 0.4041 },
        { 0.5867, 0.6901, 0.7577 },
        { 0.8084, 0.9076, 0.9572 },
        { 0.9601, 0.9923, 0.9987 },
    };
    for (size_t a = 0; a < 5; a++)
        for (size_t f = 0; f < 3; f++) {
            cache_mrc_t *m = must_create(alphas[a], Fs[f]);
            double h = cache_mrc_hit_ratio(m, 0.05);
            cr_expect(fabs(h - want[a][f]) <= 0.6e-4, "alpha %g F %lld: h %.5f, header %.4f",
                      alphas[a], (long long)Fs[f], h, want[a][f]);
            cache_mrc_destroy(m);
        }
}

/* ---------------------------------------------------------------- cost */

/* ---------------------------------------------------------------- (5) errors */

static void expect_einput(double alpha, int64_t F, const char *needle)
{
    char err[SIM_ERR_MAX] = "";
    cache_mrc_t *m = (cache_mrc_t *)&err;   /* must be reset to NULL */
    int rc = cache_mrc_create(&m, alpha, F, err, sizeof err);
    cr_assert_eq(rc, SIM_EINPUT, "alpha %g F %lld: rc %d", alpha, (long long)F, rc);
    cr_assert_null(m);
    cr_assert_not_null(strstr(err, needle), "message '%s' lacks '%s'", err, needle);
    /* no buffer: still fails cleanly */
    m = NULL;
    cr_assert_eq(cache_mrc_create(&m, alpha, F, NULL, 0), SIM_EINPUT);
    cr_assert_null(m);
    /* tiny buffer: truncated, terminated */
    char tiny[8];
    memset(tiny, 'x', sizeof tiny);
    cr_assert_eq(cache_mrc_create(&m, alpha, F, tiny, sizeof tiny), SIM_EINPUT);
    cr_assert_eq(tiny[sizeof tiny - 1], '\0');
}

Test(cache, invalid_alpha)
{
    expect_einput(-0.1, 1000, "zipf_alpha");
    expect_einput(-1e-300, 1000, "zipf_alpha");
    expect_einput(3.0000001, 1000, "zipf_alpha");
    expect_einput(INFINITY, 1000, "zipf_alpha");
    expect_einput(-INFINITY, 1000, "zipf_alpha");
    expect_einput(NAN, 1000, "zipf_alpha");
}

Test(cache, invalid_file_pages)
{
    expect_einput(1.0, 0, "file_pages");
    expect_einput(1.0, -4096, "file_pages");
    expect_einput(1.0, CACHE_MRC_FILE_PAGES_MAX + 1, "file_pages");
    expect_einput(1.0, INT64_MAX, "file_pages");
}

Test(cache, accessors_and_limits)
{
    cache_mrc_t *m = must_create(CACHE_MRC_ALPHA_MAX, CACHE_MRC_FILE_PAGES_MAX);
    cr_assert_eq(cache_mrc_alpha(m), CACHE_MRC_ALPHA_MAX);
    cr_assert_eq(cache_mrc_file_pages(m), CACHE_MRC_FILE_PAGES_MAX);
    cache_mrc_destroy(m);
    m = must_create(1.0, 1);
    cr_assert_eq(cache_mrc_alpha(m), 1.0);
    cr_assert_eq(cache_mrc_file_pages(m), 1);
    /* one page: Che gives h = x exactly */
    for (int i = 0; i <= 100; i++)
        cr_assert(fabs(cache_mrc_hit_ratio(m, i / 100.0) - i / 100.0) < 1e-12);
    cache_mrc_destroy(m);
    cache_mrc_destroy(NULL);
}
