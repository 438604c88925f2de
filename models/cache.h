/*
 * models/cache.h -- guest page-cache hit ratio from a miss-ratio curve (cache_mrc_*).
 *
 * What it models (docs/models.md "Page cache: Che's approximation"): the fraction of a guest's
 * file-page references that hit its page cache when the cache holds C of the F pages of
 * the file working set, for an LRU cache under the independent reference model (IRM)
 * with Zipf(alpha) popularity: page of rank i = 1..F is referenced with probability
 *     p_i = i^-alpha / H(F, alpha),   H(F, alpha) = sum_{i=1..F} i^-alpha.
 * Linux's page cache is a two-list approximation of LRU; we model it as LRU.
 *
 * Che's approximation (Che, Tung, Wang, "Hierarchical Web caching systems: modeling,
 * design and experimental results", IEEE JSAC 20(7), 2002; justified and shown to be
 * accurate for Zipf popularity by Fricker, Robert, Roberts, "A versatile and accurate
 * approximation for LRU cache performance", ITC 24, 2012): the cache's characteristic
 * time T solves
 *     sum_i (1 - exp(-p_i T)) = C,
 * page i is in the cache with probability 1 - exp(-p_i T), and the hit ratio is
 *     h(C) = sum_i p_i (1 - exp(-p_i T)).
 *
 * The curve depends on F, not only on x = C/F, so F is a create parameter.  For
 * alpha < 1 the curve tends to a limit as F grows, but slowly (corrections ~ F^(alpha-1));
 * for alpha >= 1 the most popular pages carry a mass that does not shrink with F, so the
 * same x = C/F holds many more of them in a bigger file set.  h(x = 0.05) by F (this
 * module; test "cache/depends_on_file_pages"):
 *       alpha    F = 10^4   F = 2^18   F = 10^7
 *        0.6      0.1514     0.1636     0.1670
 *        0.8      0.3312     0.3798     0.4041
 *        1.0      0.5867     0.6901     0.7577
 *        1.2      0.8084     0.9076     0.9572
 *        1.5      0.9601     0.9923     0.9987
 * Doubling F at fixed x (F 10^4 .. 10^7, x >= 0.01) moves h by at most 0.004 (alpha 0.6),
 * 0.017 (0.8), 0.040 (1.0), 0.051 (1.2), 0.030 (1.5); more below x = 0.01.  A caller
 * whose file working set changes over time can keep one curve per VM (or per distinct
 * (alpha, F)) and rebuild it when F has moved by more than 25% (h then moves by
 * < 0.02 for x >= 0.01); a build costs 5-10 ms whatever F.
 *
 * Method (details in cache.c): Zipf ranks 1..64 one by one, higher ranks in geometric
 * buckets (ratio sqrt 2) of 4 Gauss-Legendre nodes in log rank, each bucket rescaled to
 * its exact item count and exact mass sum_{i=a..b} i^-alpha (generalized harmonic numbers
 * by Euler-Maclaurin), so a model has at most 336 terms for any F <= 2^40.  Che's
 * equation is solved for ln T with gsl_root_fsolver_brent at 512 cache fractions (log
 * spaced from min(1/(16F), 1e-3) up to 1/2, then 1 - x log spaced down to
 * max(1e-6, 1/(16F))), and h(x) is interpolated with gsl_interp_steffen (monotone, C^1)
 * through those points and (0, 0), (1, 1).
 *
 * Accuracy (tests/unit/test_cache.c):
 *   - against Che solved directly over all F pages (no buckets, no interpolation), alpha
 *     in [0, 3], F in 2 .. 10^6: |error| < 5e-6 for caches of at least one page
 *     (x >= 1/F), < 3e-5 below (test bound 1e-3, measured max 1.8e-5);
 *   - against an exact LRU simulation, F = 10^4 pages, 3 * 10^5 warm-up + 10^6 counted
 *     Zipf references (GSL mt19937, fixed seeds): max |Che - LRU| = 0.10 percentage points
 *     over alpha {0.6, 0.8, 1.0, 1.2} x x {0.05, 0.1, 0.25, 0.5, 0.75} (test bound 2);
 *   - alpha = 0 (uniform popularity) gives h = x to a relative 1e-12.
 * Known answer: alpha = 0.8, F = 10^6 pages, x = 0.1: h = 0.487113 (Che over all pages
 * 0.4871133, this module 0.4871135), test "cache/known_answer".
 *
 * Units and ranges: alpha in [0, CACHE_MRC_ALPHA_MAX]; file_pages (4 KiB pages) in
 * [1, CACHE_MRC_FILE_PAGES_MAX]; cache_fraction = cache pages / file_pages.
 *
 * Invariants of the curve: h(x) = 0 for x <= 0, h(x) = 1 for x >= 1, h is monotone
 * non-decreasing and continuous in x, 0 <= h <= 1.
 *
 * Cost: create 5-10 ms and about 13 KiB per curve; a lookup (about 12 ns) is a binary
 * search over at most 514 points plus a cubic (O(log grid)), allocation-free, and safe to
 * call from several threads on the same curve (no accelerator state).  Curves are
 * immutable: VMs with the same (alpha, file_pages) may share one.
 */
#ifndef MODELS_CACHE_H
#define MODELS_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include "sim/types.h"

#define CACHE_MRC_ALPHA_MAX        3.0
#define CACHE_MRC_FILE_PAGES_MAX   (INT64_C(1) << 40)    /* 4 PiB of 4 KiB pages */

typedef struct cache_mrc cache_mrc_t;   /* immutable once created */

/* Build the hit-ratio curve of an LRU page cache over file_pages pages with
 * Zipf(zipf_alpha) popularity.  On success *out owns the curve (free with
 * cache_mrc_destroy) and 0 is returned.  On failure *out is NULL, nothing is leaked and
 * a message is written to err (may be NULL when errlen is 0):
 *   SIM_EINPUT     zipf_alpha NaN, < 0 or > CACHE_MRC_ALPHA_MAX; file_pages < 1 or
 *                  > CACHE_MRC_FILE_PAGES_MAX;
 *   SIM_ENOMEM     out of memory;
 *   SIM_EINTERNAL  a bug (the grid could not be built). */
int cache_mrc_create(cache_mrc_t **out, double zipf_alpha, int64_t file_pages,
                     char *err, size_t errlen);

/* Free a curve; NULL is accepted. */
void cache_mrc_destroy(cache_mrc_t *m);

/* Hit ratio in [0, 1] for a cache holding cache_fraction * file_pages pages.
 * cache_fraction is clamped to [0, 1]; NaN gives NaN.  O(log grid), no allocation. */
double cache_mrc_hit_ratio(const cache_mrc_t *m, double cache_fraction);

/* The parameters the curve was built for. */
double cache_mrc_alpha(const cache_mrc_t *m);
int64_t cache_mrc_file_pages(const cache_mrc_t *m);

#endif
