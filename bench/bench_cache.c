/*
 * bench/bench_cache.c -- cost of building one page-cache curve (models/cache.c: Che's
 * approximation solved with GSL Brent and tabulated), which every VM group pays once at
 * the start of a run.  Prints the mean build time over 10 builds at file sets of 10^5,
 * 10^6 and 10^7 pages (Zipf alpha 0.90 .. 0.99).  Part of `make bench`; asserts nothing
 * (speed is measured here, never by the unit tests).  Exit status 0, 1 if a build fails.
 */
#include <stdio.h>
#include "sim/engine.h"
#include "models/cache.h"
#include "sim/types.h"

int main(void)
{
    const int reps = 10;
    const long long sizes[] = {100000, 1000000, 10000000};
    printf("# page-cache curve (Che approximation), mean of %d builds\n", reps);
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        double t0 = sim_wall_s();
        for (int i = 0; i < reps; i++) {
            cache_mrc_t *m;
            char err[SIM_ERR_MAX];
            if (cache_mrc_create(&m, 0.9 + 0.01 * i, sizes[k], err, sizeof err)) {
                fprintf(stderr, "bench_cache: %s\n", err);
                return 1;
            }
            cache_mrc_destroy(m);
        }
        printf("cache_mrc_create  file set %9lld pages  %8.2f ms per build\n", sizes[k], (sim_wall_s() - t0) / reps * 1e3);
    }
    return 0;
}
