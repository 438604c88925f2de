/*
 * tests/unit/test_compare.c -- every policy on one overcommitted scenario (issue 5):
 * the oracle, which sees the truth, has the fewest major faults; static, which never
 * balloons, swaps the most at the host.  Two idle VMs hold memory they touched and
 * freed; two busy VMs grow into it after 10 minutes.
 */
#include "tests/unit/harness.h"

static const char *scenario =
    "[simulation]\nduration = 1h\nsample_interval = 1min\n"
    "[host]\nmemory = 10GiB\n"
    "[vm busy]\ncount = 2\nmemory = 4GiB\nworkload = step\nworkload.mean = 1GiB\nworkload.amplitude = 2GiB\n"
    "workload.step_at = 10min\nworkload.file_set = 512MiB\n"
    "[vm idle]\ncount = 2\nmemory = 4GiB\nworkload = step\nworkload.mean = 3GiB\nworkload.amplitude = -2560MiB\n"
    "workload.step_at = 5min\nworkload.active_fraction = 0.02\nworkload.access_rate = 1MiB/s\n"
    "workload.file_set = 128MiB\n"
    "[policy]\nname = %s\n";

Test(compare, oracle_fewest_faults_static_most_host_swapping, .timeout = 120)
{
    double faults[16], swap[16];
    size_t n = policy_count(), oracle = n, stat = n;
    cr_assert_leq(n, 16);
    for (uint64_t seed = 1; seed <= 2; seed++) {
        for (size_t i = 0; i < n; i++) {
            const char *name = policy_at(i)->name;
            char text[2048], err[SIM_ERR_MAX];
            snprintf(text, sizeof text, scenario, name);
            db_t *db;
            cr_assert_eq(harness_run(text, seed, &db, err), 0, "%s: %s", name, err);
            faults[i] = harness_metric(db, "major_faults");
            swap[i] = harness_metric(db, "host_swap_out_bytes");
            db_close(db);
            if (!strcmp(name, "oracle"))
                oracle = i;
            if (!strcmp(name, "static"))
                stat = i;
        }
        cr_assert(oracle < n && stat < n);
        for (size_t i = 0; i < n; i++) {
            if (i != oracle)
                cr_expect_lt(faults[oracle], faults[i], "seed %llu: oracle %g faults, %s %g",
                             (unsigned long long)seed, faults[oracle], policy_at(i)->name, faults[i]);
            if (i != stat)
                cr_expect_gt(swap[stat], swap[i], "seed %llu: static %g host swap, %s %g",
                             (unsigned long long)seed, swap[stat], policy_at(i)->name, swap[i]);
        }
    }
}
