/*
 * sim/rng.c -- random streams, one independent GSL generator per entity (sim/rng.h).
 *
 * Sources and known answers (tests/unit/test_rng.c checks each):
 *   splitmix64  Steele, Lea, Flood, "Fast splittable pseudorandom number generators",
 *               OOPSLA 2014; here the stateless finaliser of one step:
 *               sim_rng_splitmix64(x) = mix(x + 0x9e3779b97f4a7c15), so
 *               sim_rng_splitmix64(0) = 0xe220a8397b1dcdaf (the first output of the
 *               reference generator seeded with 0).  A bijection on uint64.
 *   FNV-1a 64   Fowler, Noll, Vo; offset basis 0xcbf29ce484222325, prime 0x100000001b3.
 *               fnv1a64("") = 0xcbf29ce484222325, fnv1a64("a") = 0xaf63dc4c8601ec8c,
 *               fnv1a64("foobar") = 0x85944171f73967e8.
 *   taus2       L'Ecuyer, "Maximally equidistributed combined Tausworthe generators",
 *               Math. Comp. 65 (1996); GSL's gsl_rng_taus2.  GSL's own test: seed 1,
 *               the 10000th output is 2733957125.
 *
 * Derivations (deterministic, documented in rng.h and study.h):
 *   stream seed  s = splitmix64(run_seed ^ splitmix64(fnv1a64(name)))
 *   run seed     derive_seed(base, i) = splitmix64(base ^ splitmix64(i + 0x5eed)):
 *                for a fixed base, a composition of bijections of i, so distinct runs
 *                always get distinct seeds.
 *
 * Seeding taus2 from all 64 bits.  gsl_rng_set(taus2, s) only uses the low 32 bits
 * of s (its LCG seeding masks with 0xffffffff), so two entities whose 64-bit seeds
 * agree in the low half would draw identical streams, and among 10^5 VMs such a
 * collision is more likely than not (birthday bound over 2^32).  sim_rng_stream
 * therefore fills taus2's three 32-bit state words from three successive splitmix64
 * outputs of s (raising each to the generator's minimum, s1 > 1, s2 > 7, s3 > 15, as
 * GSL's own seeding does) and discards 6 outputs, like gsl_rng_set.  This writes the
 * state through gsl_rng_state(), relying on taus2's state being three unsigned longs
 * (checked by size; if a future GSL differs, it falls back to gsl_rng_set with the
 * two halves of s folded together).
 *
 * Failure behaviour: sim_rng_stream returns NULL when out of memory.  Note that
 * gsl_rng_alloc calls the GSL error handler first, which aborts unless the program
 * has installed its own (main does: gsl_set_error_handler_off).  No printing here.
 */
#include "sim/rng.h"

#include <string.h>

uint64_t sim_rng_splitmix64(uint64_t x)
{
    uint64_t z = x + UINT64_C(0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

uint64_t sim_rng_hash_name(const char *name)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        h ^= *p;
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

uint64_t sim_rng_derive_seed(uint64_t base_seed, uint64_t index)
{
    return sim_rng_splitmix64(base_seed ^ sim_rng_splitmix64(index + UINT64_C(0x5eed)));
}

uint64_t sim_rng_stream_seed(uint64_t run_seed, const char *name)
{
    return sim_rng_splitmix64(run_seed ^ sim_rng_splitmix64(sim_rng_hash_name(name)));
}

void sim_rng_seed_taus2(gsl_rng *r, uint64_t seed)
{
    if (r->type != gsl_rng_taus2 || gsl_rng_size(r) != 3 * sizeof(unsigned long)) {
        gsl_rng_set(r, (unsigned long)(seed ^ (seed >> 32)));
        return;
    }
    static const unsigned long minimum[3] = { 2, 8, 16 };
    unsigned long state[3];
    uint64_t x = seed;
    for (int i = 0; i < 3; i++) {
        x = sim_rng_splitmix64(x);
        state[i] = (unsigned long)(x & UINT64_C(0xffffffff));
        if (state[i] < minimum[i])
            state[i] += minimum[i];
    }
    memcpy(gsl_rng_state(r), state, sizeof state);
    for (int i = 0; i < 6; i++)
        (void)gsl_rng_get(r);
}

gsl_rng *sim_rng_stream(uint64_t run_seed, const char *name)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
    if (!r)
        return NULL;
    sim_rng_seed_taus2(r, sim_rng_stream_seed(run_seed, name));
    return r;
}
