/*
 * tests/unit/test_rng.c -- random streams (sim/rng.c): known answers for splitmix64,
 * FNV-1a and taus2, and for stream and run seeds and a stream's first draws (computed
 * independently of sim/rng.c); determinism of (seed, name) streams; independence of names and
 * seeds (including seeds that differ only in their high 32 bits, which gsl_rng_set
 * alone would confuse); distinct derived run seeds over 10^5 indices.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "sim/rng.h"

#define DRAWS 1000

static void draw(gsl_rng *r, unsigned long *out, int n)
{
    for (int i = 0; i < n; i++)
        out[i] = gsl_rng_get(r);
}

static void stream_draws(uint64_t seed, const char *name, unsigned long *out)
{
    gsl_rng *r = sim_rng_stream(seed, name);
    cr_assert_not_null(r);
    cr_assert_eq(r->type, gsl_rng_taus2, "streams must be taus2");
    draw(r, out, DRAWS);
    gsl_rng_free(r);
}

/* Number of positions where the two sequences agree (a few by chance at most). */
static int agreements(const unsigned long *a, const unsigned long *b)
{
    int same = 0;
    for (int i = 0; i < DRAWS; i++)
        same += a[i] == b[i];
    return same;
}

Test(rng, splitmix64_known_answers)
{
    /* Reference generator seeded with 0: outputs are mix(k * golden), k = 1, 2, ... */
    cr_assert_eq(sim_rng_splitmix64(0), UINT64_C(0xe220a8397b1dcdaf));
    cr_assert_eq(sim_rng_splitmix64(UINT64_C(0x9e3779b97f4a7c15)), UINT64_C(0x6e789e6aa1b965f4));
    cr_assert_eq(sim_rng_splitmix64(UINT64_C(0x3c6ef372fe94f82a)), UINT64_C(0x06c45d188009454f));
}

Test(rng, fnv1a_known_answers)
{
    cr_assert_eq(sim_rng_hash_name(""), UINT64_C(0xcbf29ce484222325));
    cr_assert_eq(sim_rng_hash_name("a"), UINT64_C(0xaf63dc4c8601ec8c));
    cr_assert_eq(sim_rng_hash_name("foobar"), UINT64_C(0x85944171f73967e8));
    cr_assert_neq(sim_rng_hash_name("vm web/1"), sim_rng_hash_name("vm web/2"));
}

Test(rng, taus2_known_answer)
{
    /* GSL rng/test.c: taus2 seeded with 1, the 10000th output. */
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
    gsl_rng_set(r, 1);
    unsigned long x = 0;
    for (int i = 0; i < 10000; i++)
        x = gsl_rng_get(r);
    cr_assert_eq(x, 2733957125UL);
    gsl_rng_free(r);
}

/* Known answers of the documented formulas, computed by an independent implementation
 * (Python, from the formulas in sim/rng.h, checked against the splitmix64 and FNV-1a
 * answers above), not by the code under test:
 *   stream seed = splitmix64(seed ^ splitmix64(fnv1a(name)))
 *   run seed    = splitmix64(base ^ splitmix64(index + 0x5eed))
 *   a stream    = taus2 with state words splitmix64^k(stream seed) & 0xffffffff (raised to
 *                 the minimums 2, 8, 16), then 6 draws discarded. */
Test(rng, stream_seed_known_answers)
{
    cr_assert_eq(sim_rng_stream_seed(42, "vm web/3 workload"), UINT64_C(0x302898d80c3a376a));
    gsl_rng *a = sim_rng_stream(42, "vm web/3 workload");
    cr_assert_not_null(a);
    static const unsigned long first[] = {3632220629UL, 483022402UL, 1266214460UL};
    for (size_t i = 0; i < sizeof first / sizeof first[0]; i++)
        cr_assert_eq(gsl_rng_get(a), first[i], "draw %zu", i);
    gsl_rng_free(a);
}

Test(rng, derive_seed_known_answers)
{
    cr_assert_eq(sim_rng_derive_seed(42, 0), UINT64_C(0x87e9da07dfd5155b));
    cr_assert_eq(sim_rng_derive_seed(42, 1), UINT64_C(0x3566f9d671d8d263));
    cr_assert_eq(sim_rng_derive_seed(42, 99999), UINT64_C(0xf289346c0206ac6b));
}

Test(rng, same_seed_and_name_same_sequence)
{
    unsigned long a[DRAWS], b[DRAWS];
    stream_draws(7, "balloon vm0", a);
    stream_draws(7, "balloon vm0", b);
    cr_assert_eq(memcmp(a, b, sizeof a), 0);
}

Test(rng, different_names_or_seeds_differ)
{
    unsigned long a[DRAWS], b[DRAWS], c[DRAWS], d[DRAWS];
    stream_draws(7, "balloon vm0", a);
    stream_draws(7, "balloon vm1", b);
    stream_draws(8, "balloon vm0", c);
    stream_draws(7, "", d);
    cr_assert_leq(agreements(a, b), 2);
    cr_assert_leq(agreements(a, c), 2);
    cr_assert_leq(agreements(a, d), 2);
}

Test(rng, all_64_seed_bits_matter)
{
    /* gsl_rng_set(taus2, s) ignores the high half of s; our seeding must not. */
    unsigned long a[DRAWS], b[DRAWS];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
    sim_rng_seed_taus2(r, UINT64_C(0x0000000012345678));
    draw(r, a, DRAWS);
    sim_rng_seed_taus2(r, UINT64_C(0xabcdef0012345678));
    draw(r, b, DRAWS);
    cr_assert_leq(agreements(a, b), 2);
    /* Seeding is a pure function of the seed. */
    sim_rng_seed_taus2(r, UINT64_C(0xabcdef0012345678));
    draw(r, a, DRAWS);
    cr_assert_eq(memcmp(a, b, sizeof a), 0);
    /* Seed 0 is a valid seed too (state words are raised to taus2's minimums). */
    sim_rng_seed_taus2(r, 0);
    draw(r, a, DRAWS);
    cr_assert_leq(agreements(a, b), 2);
    gsl_rng_free(r);
}

Test(rng, other_generator_types_fall_back_to_gsl_rng_set)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937), *s = gsl_rng_alloc(gsl_rng_mt19937);
    uint64_t seed = UINT64_C(0x0123456789abcdef);
    sim_rng_seed_taus2(r, seed);
    gsl_rng_set(s, (unsigned long)(seed ^ (seed >> 32)));
    for (int i = 0; i < 100; i++)
        cr_assert_eq(gsl_rng_get(r), gsl_rng_get(s));
    gsl_rng_free(r);
    gsl_rng_free(s);
}

Test(rng, streams_are_uniform_enough)
{
    gsl_rng *r = sim_rng_stream(1, "uniformity");
    double sum = 0, sumsq = 0;
    const int n = 100000;
    for (int i = 0; i < n; i++) {
        double u = gsl_rng_uniform(r);
        cr_assert(u >= 0 && u < 1);
        sum += u;
        sumsq += u * u;
    }
    double mean = sum / n, var = sumsq / n - mean * mean;
    /* Standard error of the mean is 0.0009; 5 sigma bounds. */
    cr_assert(mean > 0.4955 && mean < 0.5045, "mean %g", mean);
    cr_assert(var > 1.0 / 12 - 0.003 && var < 1.0 / 12 + 0.003, "variance %g", var);
    gsl_rng_free(r);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

Test(rng, derive_seed_distinct_over_1e5_indices)
{
    const size_t n = 100000;
    uint64_t *s = malloc(2 * n * sizeof *s);
    cr_assert_not_null(s);
    for (size_t i = 0; i < n; i++) {
        s[i] = sim_rng_derive_seed(42, i);
        s[n + i] = sim_rng_derive_seed(43, i);
        cr_assert_eq(s[i], sim_rng_derive_seed(42, i), "not deterministic");
    }
    qsort(s, n, sizeof *s, cmp_u64);
    for (size_t i = 1; i < n; i++)
        cr_assert_neq(s[i], s[i - 1], "two run indices share a seed");
    /* Another base gives another family (no overlap expected among 2 * 10^5). */
    qsort(s, 2 * n, sizeof *s, cmp_u64);
    for (size_t i = 1; i < 2 * n; i++)
        cr_assert_neq(s[i], s[i - 1], "bases 42 and 43 share a seed");
    free(s);
}
