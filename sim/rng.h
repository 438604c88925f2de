/*
 * sim/rng.h -- random streams (sim_rng_*), one independent GSL generator per entity.
 *
 * Each simulated entity (a VM's workload, a balloon driver, a policy's sampler)
 * owns its own gsl_rng, seeded from (run seed, stream name): the seed is
 * splitmix64(run_seed XOR splitmix64(fnv1a64(name))).  Adding a VM therefore
 * does not change the draws of the others, and the same (seed, name) always
 * yields the same sequence.  The generator is gsl_rng_taus2 (L'Ecuyer 1996,
 * period 2^88, 24 bytes of state): small enough to keep one per VM at datacenter
 * scale (docs/design.md "Engine"; docs/performance.md: <= 2 KiB per VM).
 *
 * Run seeds of a study: sim_rng_derive_seed(base_seed, run_index) gives each run
 * (repetition, sweep point) its own seed, deterministically.
 */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <gsl/gsl_rng.h>
#include "sim/types.h"

uint64_t sim_rng_splitmix64(uint64_t x);
uint64_t sim_rng_hash_name(const char *name);                 /* FNV-1a 64 */
uint64_t sim_rng_derive_seed(uint64_t base_seed, uint64_t index);

/* Allocate the stream for entity `name` in a run with seed run_seed.
 * Returns NULL when out of memory.  Free with gsl_rng_free. */
gsl_rng *sim_rng_stream(uint64_t run_seed, const char *name);

/* The 64-bit seed of stream `name`: splitmix64(run_seed ^ splitmix64(fnv1a64(name))). */
uint64_t sim_rng_stream_seed(uint64_t run_seed, const char *name);
/* Seed a taus2 generator from all 64 bits of seed (gsl_rng_set would use only the low
 * 32: see sim/rng.c).  Any other generator type gets gsl_rng_set(seed ^ seed >> 32). */
void sim_rng_seed_taus2(gsl_rng *r, uint64_t seed);

#endif
