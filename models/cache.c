/*
 * models/cache.c -- guest page-cache hit ratio: Che's approximation for LRU under
 * Zipf(alpha) popularity, tabulated once per (alpha, file_pages).  Specification,
 * sources, accuracy and a known-answer value: models/cache.h.
 *
 * Build pipeline (cache_mrc_create):
 *   1. popularity model (pop_build): the F ranks as weighted "terms" (w_j items of
 *      popularity q_j each):
 *        ranks 1..POP_EXACT_RANKS      one term per rank, w = 1, q = i^-alpha / H;
 *        ranks above                   geometric buckets [a, b] with b ~ a * sqrt(2); in
 *                                      each, POP_GL_NODES Gauss-Legendre nodes in log u over
 *                                      the continuous ranks [a - 1/2, b + 1/2] (midpoint
 *                                      rule for the sum), then rescaled so that the bucket
 *                                      holds exactly b - a + 1 items and exactly the mass
 *                                      sum_{i=a..b} i^-alpha (Euler-Maclaurin, hsum_em).
 *      H = sum_{i=1..F} i^-alpha is the exact generalized harmonic number (direct sum of
 *      the exact ranks + the bucket masses).  At most POP_MAX_TERMS terms for any F.
 *   2. grid (grid_targets): target fractions x, geometric from x_min = min(1/(16 F), 1e-3)
 *      up to 1/2 (GRID_LOW points), then 1 - x geometric from 1/2 down to
 *      max(1e-6, 1/(16 F)) (GRID_HIGH points); plus (0, 0) and (1, 1).
 *   3. for each target x: solve s = ln T with gsl_root_fsolver_brent for
 *      sum_j w_j (1 - e^{-q_j T}) = x F, bracketed by
 *        T >= C                          (since 1 - e^-y <= y and sum w q = 1),
 *        T <= -ln(1 - x) / q_min         (since every term >= w (1 - e^{-q_min T})),
 *      and by the previous grid point's T (the solution grows with x).  Then the point
 *      stored is (x(T), h(T)) recomputed from the solved T, so every stored pair lies on
 *      the Che curve of the model whatever the solver's tolerance.
 *   4. gsl_interp_steffen over the stored points: monotone (Steffen 1990, no overshoot),
 *      C^1.  Lookups pass a NULL accelerator (binary search), so they are const and
 *      thread-safe.
 *
 * Numerics: 1 - e^{-y} is computed as -expm1(-y) (exact for small y, so h = x holds to
 * rounding for alpha = 0 down to x = 1e-9); the Euler-Maclaurin integral uses
 * a^beta expm1(beta ln(b/a)) / beta, beta = 1 - alpha, so alpha = 1 is no special case
 * but for beta == 0 exactly.  No GSL call can fail on the inputs we give it (brackets
 * are checked before gsl_root_fsolver_set, grid x strictly increasing before
 * gsl_interp_init), so the GSL error handler is never reached except on allocation
 * failure inside GSL.
 */
#include "sim/err.h"
#include "models/cache.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_interp.h>
#include <gsl/gsl_roots.h>

/* ---------------------------------------------------------------- constants */

#define POP_EXACT_RANKS  64           /* ranks summed one by one */
#define POP_BUCKET_RATIO 1.4142135623730951   /* sqrt(2): b ~ a * ratio */
#define POP_GL_NODES     4            /* Gauss-Legendre nodes per bucket */
/* buckets above rank 64 up to 2^40: log_sqrt2(2^40 / 64) = 68, + margin */
#define POP_MAX_BUCKETS  80
#define POP_MAX_TERMS    (POP_EXACT_RANKS + POP_MAX_BUCKETS * POP_GL_NODES)

#define GRID_LOW   384                /* geometric in x, x_min .. 1/2 */
#define GRID_HIGH  128                /* geometric in 1 - x, 1/2 .. 1 - x_top */
#define GRID_MAX   (GRID_LOW + GRID_HIGH + 2)

#define SOLVE_MAX_ITER 200
#define SOLVE_EPSABS_LNT 1e-9         /* absolute tolerance on ln T */

/* ---------------------------------------------------------------- the object */

/*
 * Invariants (checked by the tests, asserted at the end of create):
 *   n >= 3; x[0] = 0, x[n-1] = 1, x strictly increasing;
 *   h[0] = 0, h[n-1] = 1, h non-decreasing, 0 <= h <= 1;
 *   interp is a gsl_interp_steffen initialised on (x, h).
 */
struct cache_mrc {
    double alpha;
    int64_t file_pages;
    size_t n;
    double *x;          /* cache fraction C/F of each grid point, owned */
    double *h;          /* hit ratio at x, owned */
    gsl_interp *interp; /* owned */
};

/* ---------------------------------------------------------------- popularity */

/* The popularity model: n terms, term j stands for w[j] items (real, > 0) each with
 * popularity q[j].  Invariants after pop_build: sum w = F (to rounding),
 * sum w q = 1 (to rounding), qmin = min q > 0. */
typedef struct pop {
    size_t n;
    double w[POP_MAX_TERMS];
    double q[POP_MAX_TERMS];
    double qmin;
} pop_t;

/* sum_{i=m..n} i^-alpha for 2 <= m <= n, by Euler-Maclaurin to the B6 term.
 * The remainder is below B8/8! * alpha..(alpha+6) * m^(-alpha-7), i.e. < 1e-17
 * relative to the first term for m >= 64, alpha <= 3. */
static double hsum_em(double alpha, double m, double n)
{
    double beta = 1.0 - alpha;
    double lm = log(m), ln_ = log(n);
    double integral;
    if (beta == 0.0)
        integral = ln_ - lm;
    else
        integral = exp(beta * lm) * expm1(beta * (ln_ - lm)) / beta;
    double fm = exp(-alpha * lm), fn = exp(-alpha * ln_);
    double s = integral + 0.5 * (fm + fn);
    /* (B2/2!)(f'(n) - f'(m)), f'(u) = -alpha u^(-alpha-1) */
    double c1 = alpha;
    s += c1 / 12.0 * (fm / m - fn / n);
    /* (B4/4!)(f'''(n) - f'''(m)), f''' = -alpha(alpha+1)(alpha+2) u^(-alpha-3) */
    double c3 = alpha * (alpha + 1.0) * (alpha + 2.0);
    s -= c3 / 720.0 * (fm / (m * m * m) - fn / (n * n * n));
    /* (B6/6!)(f5(n) - f5(m)), f5 = -alpha..(alpha+4) u^(-alpha-5) */
    double c5 = c3 * (alpha + 3.0) * (alpha + 4.0);
    s += c5 / 30240.0 * (fm / (m * m * m * m * m) - fn / (n * n * n * n * n));
    return s;
}

/* Fill p for Zipf(alpha) over F ranks.  Returns 0, or SIM_ENOMEM (GSL table). */
static int pop_build(pop_t *p, double alpha, int64_t F, char *err, size_t errlen)
{
    size_t k = 0;
    double H = 0.0;
    int64_t exact = F < POP_EXACT_RANKS ? F : POP_EXACT_RANKS;
    for (int64_t i = 1; i <= exact; i++) {
        p->w[k] = 1.0;
        p->q[k] = pow((double)i, -alpha);
        H += p->q[k];
        k++;
    }
    if (F > exact) {
        gsl_integration_glfixed_table *gl = gsl_integration_glfixed_table_alloc(POP_GL_NODES);
        if (gl == NULL) {
            sim_set_err(err, errlen, "cache: out of memory (Gauss-Legendre table)");
            return SIM_ENOMEM;
        }
        int64_t a = exact + 1;
        while (a <= F) {
            int64_t b = (int64_t)floor((double)a * POP_BUCKET_RATIO);
            if (b < a + POP_GL_NODES)
                b = a + POP_GL_NODES;
            /* no sliver at the end: a last bucket of less than half a step joins this one */
            if (b >= F || (double)(F - b) < 0.5 * (POP_BUCKET_RATIO - 1.0) * (double)b)
                b = F;
            double la = log((double)a - 0.5), lb = log((double)b + 0.5);
            double sw = 0.0, sm = 0.0;
            size_t k0 = k;
            for (size_t j = 0; j < POP_GL_NODES; j++) {
                double s, wgt;
                gsl_integration_glfixed_point(la, lb, j, &s, &wgt, gl);
                double u = exp(s);
                assert(k < POP_MAX_TERMS);
                p->w[k] = wgt * u;
                p->q[k] = exp(-alpha * s);
                sw += p->w[k];
                k++;
            }
            double items = (double)(b - a + 1);
            for (size_t j = k0; j < k; j++) {
                p->w[j] *= items / sw;
                sm += p->w[j] * p->q[j];
            }
            double mass = hsum_em(alpha, (double)a, (double)b);
            for (size_t j = k0; j < k; j++)
                p->q[j] *= mass / sm;
            H += mass;
            a = b + 1;
        }
        gsl_integration_glfixed_table_free(gl);
    }
    p->n = k;
    p->qmin = INFINITY;
    for (size_t j = 0; j < k; j++) {
        p->q[j] /= H;
        if (p->q[j] < p->qmin)
            p->qmin = p->q[j];
    }
    return SIM_OK;
}

/* Che's sums at characteristic time T: *count = sum w (1 - e^{-qT}) (pages in cache),
 * *hit = sum w q (1 - e^{-qT}) (hit ratio).  Either pointer may be NULL. */
static void che_eval(const pop_t *p, double T, double *count, double *hit)
{
    double c = 0.0, h = 0.0;
    for (size_t j = 0; j < p->n; j++) {
        double in = -expm1(-p->q[j] * T);
        c += p->w[j] * in;
        h += p->w[j] * p->q[j] * in;
    }
    if (count)
        *count = c;
    if (hit)
        *hit = h;
}

typedef struct che_ctx {
    const pop_t *p;
    double target_pages;
} che_ctx_t;

/* f(ln T) = cached pages at T - target; increasing in ln T. */
static double che_residual(double lnT, void *arg)
{
    const che_ctx_t *c = arg;
    double count;
    che_eval(c->p, exp(lnT), &count, NULL);
    return count - c->target_pages;
}

/* Solve Che's equation for the fraction x in (0,1): returns ln T, with lo_lnT a known
 * lower bound (the previous grid point's solution, or -INFINITY). */
static double che_solve(gsl_root_fsolver *s, const pop_t *p, double F, double x,
                        double lo_lnT)
{
    che_ctx_t ctx = { p, x * F };
    gsl_function fn = { che_residual, &ctx };
    double lo = log(x * F);                 /* C(T) <= T */
    if (lo_lnT > lo)
        lo = lo_lnT;
    double hi = log(-log1p(-x)) - log(p->qmin);
    if (hi < lo)
        hi = lo;
    double flo = che_residual(lo, &ctx);
    if (flo >= 0.0)
        return lo;
    double fhi = che_residual(hi, &ctx);
    /* grow hi if rounding left it a hair short (never needed in the tests) */
    for (int i = 0; fhi < 0.0 && i < 64; i++) {
        hi += 1.0;
        fhi = che_residual(hi, &ctx);
    }
    if (fhi <= 0.0)
        return hi;
    gsl_root_fsolver_set(s, &fn, lo, hi);
    double r = 0.5 * (lo + hi);
    for (int it = 0; it < SOLVE_MAX_ITER; it++) {
        gsl_root_fsolver_iterate(s);
        r = gsl_root_fsolver_root(s);
        double a = gsl_root_fsolver_x_lower(s), b = gsl_root_fsolver_x_upper(s);
        if (gsl_root_test_interval(a, b, SOLVE_EPSABS_LNT, 0.0) == GSL_SUCCESS)
            break;
    }
    return r;
}

/* Target cache fractions, strictly increasing in (0, 1).  Returns the count. */
static size_t grid_targets(double *xs, double F)
{
    double xmin = 1.0 / (16.0 * F);
    if (xmin > 1e-3)
        xmin = 1e-3;
    double top = 1.0 / (16.0 * F);          /* smallest 1 - x */
    if (top < 1e-6)
        top = 1e-6;
    if (top > 1e-3)
        top = 1e-3;
    size_t k = 0;
    double lmin = log(xmin), lhalf = log(0.5);
    for (size_t i = 0; i < GRID_LOW; i++)   /* xmin .. just below 1/2 */
        xs[k++] = exp(lmin + (lhalf - lmin) * (double)i / (double)GRID_LOW);
    double ltop = log(top);
    for (size_t i = 0; i < GRID_HIGH; i++)  /* 1/2 .. 1 - top */
        xs[k++] = 1.0 - exp(lhalf + (ltop - lhalf) * (double)i / (double)(GRID_HIGH - 1));
    return k;
}

/* ---------------------------------------------------------------- public API */

int cache_mrc_create(cache_mrc_t **out, double zipf_alpha, int64_t file_pages,
                     char *err, size_t errlen)
{
    assert(out != NULL);
    *out = NULL;
    if (!(zipf_alpha >= 0.0 && zipf_alpha <= CACHE_MRC_ALPHA_MAX)) {   /* also NaN */
        sim_set_err(err, errlen, "cache: zipf_alpha = %g is out of range [0, %g]",
                zipf_alpha, CACHE_MRC_ALPHA_MAX);
        return SIM_EINPUT;
    }
    if (file_pages < 1 || file_pages > CACHE_MRC_FILE_PAGES_MAX) {
        sim_set_err(err, errlen, "cache: file_pages = %lld is out of range [1, %lld]",
                (long long)file_pages, (long long)CACHE_MRC_FILE_PAGES_MAX);
        return SIM_EINPUT;
    }

    int rc = SIM_ENOMEM;
    pop_t *p = NULL;
    double *targets = NULL;
    gsl_root_fsolver *solver = NULL;
    cache_mrc_t *m = calloc(1, sizeof *m);
    if (m == NULL)
        goto fail_nomem;
    m->alpha = zipf_alpha;
    m->file_pages = file_pages;
    m->x = malloc(GRID_MAX * sizeof *m->x);
    m->h = malloc(GRID_MAX * sizeof *m->h);
    p = malloc(sizeof *p);
    targets = malloc(GRID_MAX * sizeof *targets);
    if (m->x == NULL || m->h == NULL || p == NULL || targets == NULL)
        goto fail_nomem;
    if ((rc = pop_build(p, zipf_alpha, file_pages, err, errlen)) != SIM_OK)
        goto fail;
    solver = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (solver == NULL)
        goto fail_nomem;

    double F = (double)file_pages;
    size_t nt = grid_targets(targets, F);
    size_t n = 0;
    m->x[n] = 0.0;
    m->h[n] = 0.0;
    n++;
    double lnT = -INFINITY;
    for (size_t i = 0; i < nt; i++) {
        lnT = che_solve(solver, p, F, targets[i], lnT);
        double count, hit;
        che_eval(p, exp(lnT), &count, &hit);
        double x = count / F;
        if (!(x > m->x[n - 1] && x < 1.0))  /* keep x strictly increasing inside (0,1) */
            continue;
        if (hit < m->h[n - 1])              /* rounding near h = 1 */
            hit = m->h[n - 1];
        if (hit > 1.0)
            hit = 1.0;
        m->x[n] = x;
        m->h[n] = hit;
        n++;
    }
    m->x[n] = 1.0;
    m->h[n] = 1.0;
    n++;
    m->n = n;
    if (n < 3) {
        sim_set_err(err, errlen, "cache: internal error, %zu grid points for alpha %g, "
                "file_pages %lld", n, zipf_alpha, (long long)file_pages);
        rc = SIM_EINTERNAL;
        goto fail;
    }
    m->interp = gsl_interp_alloc(gsl_interp_steffen, n);
    if (m->interp == NULL)
        goto fail_nomem;
    if (gsl_interp_init(m->interp, m->x, m->h, n) != GSL_SUCCESS) {
        sim_set_err(err, errlen, "cache: internal error, gsl_interp_init failed for alpha %g",
                zipf_alpha);
        rc = SIM_EINTERNAL;
        goto fail;
    }
    gsl_root_fsolver_free(solver);
    free(targets);
    free(p);
    *out = m;
    return SIM_OK;

fail_nomem:
    sim_set_err(err, errlen, "cache: out of memory building the hit-ratio curve "
            "(alpha %g, file_pages %lld)", zipf_alpha, (long long)file_pages);
    rc = SIM_ENOMEM;
fail:
    if (solver)
        gsl_root_fsolver_free(solver);
    free(targets);
    free(p);
    cache_mrc_destroy(m);
    return rc;
}

void cache_mrc_destroy(cache_mrc_t *m)
{
    if (m == NULL)
        return;
    if (m->interp)
        gsl_interp_free(m->interp);
    free(m->x);
    free(m->h);
    free(m);
}

double cache_mrc_hit_ratio(const cache_mrc_t *m, double cache_fraction)
{
    assert(m != NULL);
    if (isnan(cache_fraction))
        return NAN;
    if (cache_fraction <= 0.0)
        return 0.0;
    if (cache_fraction >= 1.0)
        return 1.0;
    double h = gsl_interp_eval(m->interp, m->x, m->h, cache_fraction, NULL);
    /* Steffen is monotone and does not overshoot; clamp against rounding only */
    if (h < 0.0)
        h = 0.0;
    if (h > 1.0)
        h = 1.0;
    return h;
}

double cache_mrc_alpha(const cache_mrc_t *m)
{
    assert(m != NULL);
    return m->alpha;
}

int64_t cache_mrc_file_pages(const cache_mrc_t *m)
{
    assert(m != NULL);
    return m->file_pages;
}
