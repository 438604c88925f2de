/*
 * sim/rng.c -- random streams, one per entity.  See rng.h for the derivation.
 * splitmix64: Steele, Lea, Flood, "Fast splittable pseudorandom number generators",
 * OOPSLA 2014 (known answer: splitmix64 of state 0 -> first output 0xe220a8397b1dcdaf).
 */
#include "sim/rng.h"

uint64_t sim_rng_splitmix64(uint64_t x)
{
    uint64_t z = x + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t sim_rng_hash_name(const char *name)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ULL;
    }
    return h;
}

uint64_t sim_rng_derive_seed(uint64_t base_seed, uint64_t index)
{
    return sim_rng_splitmix64(base_seed ^ sim_rng_splitmix64(index + 0x5eedULL));
}

gsl_rng *sim_rng_stream(uint64_t run_seed, const char *name)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
    if (!r)
        return NULL;
    uint64_t s = sim_rng_splitmix64(run_seed ^ sim_rng_splitmix64(sim_rng_hash_name(name)));
    /* taus2 needs a nonzero seed; gsl_rng_set maps 0 to its default, which is fine. */
    gsl_rng_set(r, (unsigned long)s);
    return r;
}
