/*
 * tests/unit/test_balloon_faults.c -- Criterion suite "balloon_faults": the per-VM driver
 * behaviours of models/balloon.h (rate, hidden lower and upper limits, permanently and
 * intermittently stuck, inaccuracy) and their per-group override of [balloon]
 * (docs/scenarios.md "Per-VM driver keys").
 *
 * Each test runs one tiny VM (KiB sizes, as squeezed's test/squeeze_test.ml) under the
 * `example` policy with no headroom, so the balloon target is the guest's committed memory (its
 * anonymous demand: kernel and file set are 0), and reads the balloon operations and VM
 * summaries the run recorded.  The expected values are worked out in each test from the
 * driver's parameters.
 */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <string.h>
#include "tests/unit/harness.h"

#define KIB 1024.0

/* One 2000 KiB VM whose need is 1000 KiB; driver keys and the workload (`workload =` is
 * required) appended to its group (%s), then the example policy.  The driver's latency is 0 and it moves one page a chunk. */
static const char *tiny =
    "[simulation]\nduration = 40s\nsample_interval = 1s\n"
    "[host]\nmemory = 16MiB\nvm_overhead = 0B\n"
    "[vm v]\nmemory = 2000KiB\nkernel = 0B\nworkload.mean = 1000KiB\nworkload.file_set = 0B\n%s\n"
    "[balloon]\npreset = xen\nchunk = 4KiB\ngranularity = 4KiB\nlatency = 0s\nrate = 1GiB/s\n"
    "[policy]\nname = example\nheadroom = 0%%\ninterval = 1s\n";

static db_t *run_tiny_with(const char *vm_keys, const char *workload)
{
    char text[2048], keys[1024], err[SIM_ERR_MAX];
    snprintf(keys, sizeof keys, "%s\n%s", vm_keys, workload);
    snprintf(text, sizeof text, tiny, keys);
    db_t *db;
    cr_assert_eq(harness_run(text, 1, &db, err), 0, "%s", err);
    return db;
}

static db_t *run_tiny(const char *vm_keys) { return run_tiny_with(vm_keys, "workload = constant"); }

static double usable_final(db_t *db)
{
    return harness_q1(db, "SELECT value FROM vm_summary WHERE metric = 'usable_final_bytes'");
}

/* Time (s) the first inflation finished. */
static double first_inflate_finished_s(db_t *db)
{
    return harness_q1(db, "SELECT finished_ns / 1e9 FROM balloon_ops WHERE kind = 'inflate' ORDER BY op LIMIT 1");
}

Test(balloon_faults, rate_sets_both_speeds_and_overrides_the_group_default)
{
    /* 1000 KiB to inflate at 100 KiB/s from the first tick (1 s): done at 11 s */
    db_t *db = run_tiny("balloon.rate = 100KiB/s");
    cr_assert_float_eq(first_inflate_finished_s(db), 11.0, 0.05, "finished at %g s", first_inflate_finished_s(db));
    cr_assert_float_eq(usable_final(db), 1000 * KIB, 0.5);
    db_close(db);
    db = run_tiny("");                      /* [balloon] rate = 1GiB/s: within a few ms */
    cr_assert_lt(first_inflate_finished_s(db), 1.01);
    db_close(db);
}

Test(balloon_faults, a_hidden_lower_limit_stops_the_balloon_but_not_the_target)
{
    /* need 1000 KiB, hidden floor 1250 KiB -> rounded up to whole pages, 1252 KiB */
    db_t *db = run_tiny("balloon.rate = 100KiB/s\nballoon.lower_limit = 1250KiB");
    cr_assert_float_eq(usable_final(db), 1252 * KIB, 0.5, "usable %g KiB", usable_final(db) / KIB);
    cr_assert_eq(harness_q1(db, "SELECT outcome = 'limited' FROM balloon_ops ORDER BY op LIMIT 1"), 1);
    /* the driver accepted the full target: the policy sees it unmet */
    cr_assert_float_eq(harness_q1(db, "SELECT asked_bytes - moved_bytes FROM balloon_ops ORDER BY op LIMIT 1"),
                       252 * KIB, 0.5);
    /* 748 KiB moved at 100 KiB/s from 1 s */
    cr_assert_float_eq(first_inflate_finished_s(db), 8.48, 0.05);
    db_close(db);
}

Test(balloon_faults, a_hidden_upper_limit_stops_deflation)
{
    /* need 1000 KiB for 15 s, then 1800 KiB: the balloon gives back only up to 1600 KiB */
    static const char *step = "workload = step\nworkload.amplitude = 800KiB\nworkload.step_at = 15s";
    db_t *db = run_tiny_with("balloon.upper_limit = 1600KiB", step);
    cr_assert_float_eq(usable_final(db), 1600 * KIB, 0.5, "usable %g KiB", usable_final(db) / KIB);
    cr_assert_gt(harness_q1(db, "SELECT count(*) FROM balloon_ops WHERE kind = 'deflate' AND outcome = 'limited'"), 0);
    db_close(db);
    db = run_tiny_with("", step);
    cr_assert_float_eq(usable_final(db), 1800 * KIB, 0.5, "without the limit: %g KiB", usable_final(db) / KIB);
    db_close(db);
}

Test(balloon_faults, a_stuck_driver_never_moves)
{
    db_t *db = run_tiny("balloon.stuck = yes");
    cr_assert_float_eq(usable_final(db), 2000 * KIB, 0.5);
    cr_assert_eq(harness_metric(db, "balloon_inflated_bytes"), 0);
    cr_assert_eq(harness_q1(db, "SELECT count(*) FROM balloon_ops"), 0, "no operation ever finishes");
    db_close(db);
}

Test(balloon_faults, an_intermittently_stuck_driver_moves_only_in_its_free_half_periods)
{
    /* free [0,1), stuck [1,2), free [2,3), ...: the target comes at 1 s (stuck).  In each
     * free second 24 chunks of 4 KiB (40 ms at 100 KiB/s) finish; the 25th would end at
     * the very instant the driver sticks again and is abandoned (balloon.h).  So 96 KiB
     * per free second: 960 KiB in the seconds from 2, 4, ..., 20, and the last 40 KiB
     * (10 chunks, 0.4 s) from 22 s: done at 22.4 s, not at the 11 s of a free driver. */
    db_t *db = run_tiny("balloon.rate = 100KiB/s\nballoon.stuck_interval = 1s");
    double t = first_inflate_finished_s(db);
    cr_assert_float_eq(t, 22.4, 0.01, "finished at %g s", t);
    cr_assert_float_eq(usable_final(db), 1000 * KIB, 0.5);
    /* it toggled at every whole second, 1 s to 40 s (the end of the run) included */
    cr_assert_eq(harness_q1(db, "SELECT count(*) FROM events WHERE what = 'balloon_stuck'"), 40);
    cr_assert_eq(harness_q1(db, "SELECT value FROM events WHERE what = 'balloon_stuck' ORDER BY time_ns LIMIT 1"), 1);
    db_close(db);
}

Test(balloon_faults, an_inaccurate_driver_stops_short_of_its_target)
{
    db_t *db = run_tiny("balloon.rate = 100KiB/s\nballoon.inaccuracy = 8KiB");
    cr_assert_float_eq(usable_final(db), 1008 * KIB, 0.5, "usable %g KiB", usable_final(db) / KIB);
    cr_assert_eq(harness_q1(db, "SELECT outcome = 'ok' FROM balloon_ops ORDER BY op LIMIT 1"), 1,
                 "within its inaccuracy the target counts as met");
    cr_assert_eq(harness_q1(db, "SELECT count(*) FROM balloon_ops"), 1, "and is not retried");
    db_close(db);
}

Test(balloon_faults, group_keys_override_balloon_for_that_group_only)
{
    static const char *two =
        "[simulation]\nduration = 20s\nsample_interval = 1s\n"
        "[host]\nmemory = 16MiB\nvm_overhead = 0B\n"
        "[vm slow]\nmemory = 2000KiB\nkernel = 0B\nworkload = constant\nworkload.mean = 1000KiB\n"
        "workload.file_set = 0B\nballoon.rate = 100KiB/s\nballoon.lower_limit = 1500KiB\n"
        "[vm fast]\nmemory = 2000KiB\nkernel = 0B\nworkload = constant\nworkload.mean = 1000KiB\n"
        "workload.file_set = 0B\n"
        "[balloon]\npreset = xen\nchunk = 4KiB\ngranularity = 4KiB\nlatency = 0s\nrate = 1MiB/s\n"
        "[policy]\nname = example\nheadroom = 0%\ninterval = 1s\n";
    char err[SIM_ERR_MAX];
    db_t *db;
    cr_assert_eq(harness_run(two, 1, &db, err), 0, "%s", err);
    cr_assert_float_eq(harness_q1(db, "SELECT value FROM vm_summary WHERE vm_id = 0 AND metric = 'usable_final_bytes'"),
                       1500 * KIB, 0.5);
    cr_assert_float_eq(harness_q1(db, "SELECT value FROM vm_summary WHERE vm_id = 1 AND metric = 'usable_final_bytes'"),
                       1000 * KIB, 0.5);
    cr_assert_float_eq(harness_q1(db, "SELECT finished_ns / 1e9 FROM balloon_ops WHERE vm_id = 0 ORDER BY op LIMIT 1"),
                       6.0, 0.05, "500 KiB at 100 KiB/s");
    cr_assert_float_eq(harness_q1(db, "SELECT finished_ns / 1e9 FROM balloon_ops WHERE vm_id = 1 ORDER BY op LIMIT 1"),
                       1 + 1000.0 / 1024, 0.05, "1000 KiB at 1 MiB/s");
    /* the resolved values are stored with the run, per group */
    cr_assert_eq(harness_q1(db, "SELECT count(*) FROM run_params WHERE section = 'vm slow' AND key = 'balloon.rate'"), 1);
    db_close(db);
}

/* Bad values of the new keys are refused with the section and key named. */
static void refused(const char *group_lines, const char *w1, const char *w2)
{
    char text[1024], err[SIM_ERR_MAX] = "";
    snprintf(text, sizeof text, "[host]\nmemory = 4GiB\n[vm a]\nmemory = 1GiB\n%s", group_lines);
    sim_ini_t *ini = NULL;
    scenario_t *s = NULL;
    cr_assert_eq(sim_ini_load_string("bad.ini", text, &ini, err, sizeof err), 0, "%s", err);
    cr_assert_eq(scenario_load(ini, &s, err, sizeof err), SIM_EINPUT, "accepted: %s", group_lines);
    cr_assert_not_null(strstr(err, w1), "message '%s' lacks '%s'", err, w1);
    cr_assert_not_null(strstr(err, w2), "message '%s' lacks '%s'", err, w2);
    sim_ini_destroy(ini);
}

Test(balloon_faults, bad_driver_keys_are_refused_with_their_key)
{
    refused("balloon.rate = 1KiB/s\n", "[vm a] balloon.rate", "at least 4KiB/s");
    refused("balloon.lower_limit = 2GiB\nballoon.upper_limit = 1GiB\n", "[vm a] balloon.upper_limit", ">= lower_limit");
    refused("balloon.stuck_interval = 10us\n", "[vm a] balloon.stuck_interval", "1ms");
    refused("balloon.preset = xen\n", "[vm a] balloon.preset", "every VM");
    refused("balloon.inacuracy = 4KiB\n", "[vm a] balloon.inacuracy", "did you mean 'balloon.inaccuracy'");
    refused("balloon.stuck = maybe\n", "[vm a] balloon.stuck", "");
    refused("[balloon]\nrate = 1KiB/s\n", "[balloon] rate", "at least 4KiB/s");
}
