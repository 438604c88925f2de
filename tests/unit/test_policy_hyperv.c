/*
 * tests/unit/test_policy_hyperv.c -- Criterion suite "policy_hyperv": the hyperv-dm policy
 * (models/policies/hyperv.c), after the Hyper-V Dynamic Memory documentation and
 * drivers/hv/hv_balloon.c (docs/policies.md).
 *
 * Pure part: the division rule (hyperv.h) on hand-computed cases of each phase.
 * Whole runs (scenario text -> dc_run -> SQLite under /tmp -> sqlite3 queries):
 *   - ample memory: assigned memory follows committed x (1 + buffer) (the docs' example:
 *     1000 MB committed, 20 % buffer -> 1200 MB), grown by hot-add in 128 MiB chunks;
 *   - never below the minimum (nor the guest floor), never above the maximum;
 *   - shortage: the higher weight ends with the lower pressure; the VM left short for more
 *     than short_after is reported once;
 *   - a restart whose startup RAM cannot be met is logged as Smart Paging.
 */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>

#include "sim/db.h"
#include "sim/ini.h"
#include "models/balloon.h"
#include "models/dc.h"
#include "models/record.h"
#include "models/scenario.h"
#include "tests/unit/harness.h"
#include "models/policies/hyperv.h"

#define MIB_PAGES 256

/* ------------------------------------------------------------------ helpers */

/* Runs use seed 42; the run, query and cleanup helpers are in tests/unit/harness.h. */

/* A query with one %s for the group name. */
static double grp_q(const char *path, const char *fmt, const char *grp)
{
    char sql[1024];
    snprintf(sql, sizeof sql, fmt, grp);
    return harness_q1_file(path, sql);
}

/* ------------------------------------------------------------------ the rule */

Test(policy_hyperv, allocate_ample_gives_committed_plus_buffer)
{
    /* the docs' example: committed 1000 MB, buffer 20 % -> 1200 MB */
    hyperv_alloc_vm_t v[3] = {
        {1000.0 * MIB_PAGES, 0.20, 5000, 512 * MIB_PAGES, 4096 * MIB_PAGES},
        {3900.0 * MIB_PAGES, 0.20, 5000, 512 * MIB_PAGES, 4096 * MIB_PAGES},   /* capped at max */
        {100.0 * MIB_PAGES, 0.50, 5000, 512 * MIB_PAGES, 4096 * MIB_PAGES},    /* raised to min */
    };
    int64_t out[3];
    cr_assert_eq(hyperv_allocate(v, 3, 100000 * MIB_PAGES, out), HYPERV_AMPLE);
    cr_assert_eq(out[0], 1200 * MIB_PAGES);
    cr_assert_eq(out[1], 4096 * MIB_PAGES);
    cr_assert_eq(out[2], 512 * MIB_PAGES);
}

Test(policy_hyperv, allocate_sacrifices_buffers_by_weight)
{
    /* need 2 x 1000, want 2 x 1200, avail 2100: buffer phase */
    hyperv_alloc_vm_t v[2] = {{1000, 0.2, 8000, 0, 5000}, {1000, 0.2, 2000, 0, 5000}};
    int64_t out[2];
    cr_assert_eq(hyperv_allocate(v, 2, 2100, out), HYPERV_SHORT_BUFFER);
    cr_assert_geq(out[0] + out[1], 2098);
    cr_assert_leq(out[0] + out[1], 2100);
    cr_assert_geq(out[0], 1000);
    cr_assert_geq(out[1], 1000);
    /* weighted pressure equalisation: buffers in the ratio (w + 1): 8001 : 2001 */
    cr_assert_float_eq((double)(out[0] - 1000) / (double)(out[1] - 1000), 8001.0 / 2001.0, 0.05);
    /* higher weight -> lower pressure */
    cr_assert_lt(1000.0 / (double)out[0], 1000.0 / (double)out[1]);
    /* a buffer is never more than asked: at 2300 the heavy VM's is full (200), the light
     * one gets the rest (100) */
    cr_assert_eq(hyperv_allocate(v, 2, 2300, out), HYPERV_SHORT_BUFFER);
    cr_assert_eq(out[0], 1200);
    cr_assert_geq(out[1], 1099);
    /* equal weights -> equal pressure, even for different sizes */
    hyperv_alloc_vm_t e[2] = {{1000, 0.2, 5000, 0, 5000}, {3000, 0.2, 5000, 0, 5000}};
    cr_assert_eq(hyperv_allocate(e, 2, 4400, out), HYPERV_SHORT_BUFFER);
    cr_assert_float_eq(1000.0 / (double)out[0], 3000.0 / (double)out[1], 0.002);
}

Test(policy_hyperv, allocate_below_committed_serves_weight_first)
{
    /* need 3 x 1000 above lo = 200, avail 2000: the heaviest gets its need, then the next */
    hyperv_alloc_vm_t v[3] = {{1000, 0.2, 3000, 200, 4000}, {1000, 0.2, 9000, 200, 4000}, {1000, 0.2, 6000, 200, 4000}};
    int64_t out[3];
    cr_assert_eq(hyperv_allocate(v, 3, 2000, out), HYPERV_SHORT_COMMITTED);
    cr_assert_eq(out[1], 1000);               /* weight 9000: full need */
    cr_assert_eq(out[2], 800);                /* weight 6000: what is left (2000 - 1000 - 200) */
    cr_assert_eq(out[0], 200);                /* weight 3000: its minimum */
    /* equal weights share in proportion to need - lo */
    hyperv_alloc_vm_t e[2] = {{1000, 0.2, 5000, 0, 4000}, {3000, 0.2, 5000, 0, 4000}};
    cr_assert_eq(hyperv_allocate(e, 2, 2000, out), HYPERV_SHORT_COMMITTED);
    cr_assert_eq(out[0], 500);
    cr_assert_eq(out[1], 1500);
    /* not even the minima: every VM at its minimum */
    cr_assert_eq(hyperv_allocate(v, 3, 500, out), HYPERV_SHORT_MINIMUM);
    cr_assert_eq(out[0] + out[1] + out[2], 600);
}

/* ------------------------------------------------------------------ whole runs */

Test(policy_hyperv, assigned_follows_committed_plus_buffer)
{
    static const char *const text =
        "[simulation]\nduration = 40min\nsample_interval = 10s\noutput = vm\n"
        "[host]\nmemory = 16GiB\n"
        "[vm web]\nmemory = 4GiB\nstartup = 1GiB\nmin = 512MiB\nworkload = diurnal\nworkload.mean = 1536MiB\n"
        "workload.amplitude = 1GiB\nworkload.period = 1h\nworkload.noise = 0\n"
        "[vm db]\nmemory = 4GiB\nstartup = 1GiB\nmin = 512MiB\nbuffer = 50%\nworkload = constant\n"
        "workload.mean = 1GiB\n"
        "[balloon]\npreset = hyperv\n"
        "[policy]\nname = hyperv-dm\n";
    char path[256];
    harness_run_file("follow", text, 42, path, sizeof path);
    /* kernel 64 MiB + anon demand = committed; usable (Hyper-V's assigned memory) =
     * committed x 1.2, checked mid-way between the workload's 60 s steps, after the 45 s
     * of the first report */
    double err = grp_q(path,
                       "SELECT max(abs(s.usable_bytes - (s.anon_demand_bytes + 64 * 1048576) * 1.2)) "
                       "FROM vm_samples s JOIN vms v USING (run_id, vm_id) WHERE v.grp = '%s' "
                       "AND s.time_ns >= 120e9 AND s.time_ns %% 60e9 = 30e9", "web");
    cr_assert_lt(err, 4 * MIB, "usable strays %g MiB from committed x 1.2", err / MIB);
    /* the demand moved by 2 GiB over the run: the test saw it follow */
    double span = grp_q(path, "SELECT max(s.usable_bytes) - min(s.usable_bytes) FROM vm_samples s "
                              "JOIN vms v USING (run_id, vm_id) WHERE v.grp = '%s' AND s.time_ns >= 120e9", "web");
    cr_assert_gt(span, 1500 * MIB);
    /* a 50 % buffer: 1088 MiB committed -> 1632 MiB */
    cr_assert_float_eq(harness_vm_metric(path, "db", "usable_final_bytes") / MIB, 1088 * 1.5, 2.5);
    /* growth came by hot-add in 128 MiB chunks above the 1 GiB startup */
    double assigned = harness_vm_metric(path, "db", "assigned_final_bytes") / MIB;
    cr_assert_eq(fmod(assigned - 1024, 128), 0, "assigned %g MiB", assigned);
    cr_assert_gt(assigned, 1024);
    cr_assert_gt(harness_q1_file(path, "SELECT count(*) FROM balloon_ops WHERE kind = 'hotadd'"), 0);
    /* before the first report (45 s) the VMs keep their startup memory */
    cr_assert_eq(harness_q1_file(path, "SELECT max(usable_bytes) FROM vm_samples WHERE time_ns <= 40e9") / MIB, 1024);
    harness_remove_db(path);
}

Test(policy_hyperv, never_below_minimum_nor_above_maximum)
{
    static const char *const text =
        "[simulation]\nduration = 20min\nsample_interval = 10s\noutput = vm\n"
        "[host]\nmemory = 16GiB\n"
        "[vm tiny]\nmemory = 4GiB\nstartup = 2GiB\nmin = 768MiB\nworkload = constant\nworkload.mean = 50MiB\n"
        "[vm huge]\nmemory = 3GiB\nworkload = constant\nworkload.mean = 2900MiB\n"
        "[vm nomin]\nmemory = 2GiB\nworkload = constant\nworkload.mean = 10MiB\n"
        "[balloon]\npreset = hyperv\n"
        "[policy]\nname = hyperv-dm\n";
    char path[256];
    harness_run_file("bounds", text, 42, path, sizeof path);
    const char *minq = "SELECT min(s.usable_bytes) FROM vm_samples s JOIN vms v USING (run_id, vm_id) "
                       "WHERE v.grp = '%s'";
    const char *maxq = "SELECT max(s.assigned_bytes) FROM vm_samples s JOIN vms v USING (run_id, vm_id) "
                       "WHERE v.grp = '%s'";
    /* tiny wants 114 MiB x 1.2: held at its minimum */
    cr_assert_eq(grp_q(path, minq, "tiny") / MIB, 768);
    cr_assert_eq(harness_vm_metric(path, "tiny", "usable_final_bytes") / MIB, 768);
    /* huge wants 2964 x 1.2 MiB: held at its maximum, never more */
    cr_assert_eq(grp_q(path, maxq, "huge") / MIB, 3072);
    cr_assert_eq(harness_vm_metric(path, "huge", "usable_final_bytes") / MIB, 3072);
    /* min = 0: the Linux guest floor of a 2 GiB guest (360 MiB) holds */
    int64_t floor_pages = balloon_linux_hv_floor_pages(2048 * MIB_PAGES);
    cr_assert_eq(harness_vm_metric(path, "nomin", "usable_final_bytes"), (double)floor_pages * 4096);
    cr_assert_geq(grp_q(path, minq, "nomin"), (double)floor_pages * 4096);
    harness_remove_db(path);
}

/* Two VMs growing to 3 GiB committed on a 6 GiB host: memory below committed. */
static const char *const shortage =
    "[simulation]\nduration = 30min\nsample_interval = 10s\noutput = vm\n"
    "[host]\nmemory = 6GiB\n"
    "[vm heavy]\nmemory = 4GiB\nstartup = 1GiB\nmin = 512MiB\nweight = 8000\nworkload = diurnal\n"
    "workload.mean = 1536MiB\nworkload.amplitude = 1536MiB\nworkload.period = 2h\nworkload.noise = 0\n"
    "[vm light]\nmemory = 4GiB\nstartup = 1GiB\nmin = 512MiB\nweight = 2000\nworkload = diurnal\n"
    "workload.mean = 1536MiB\nworkload.amplitude = 1536MiB\nworkload.period = 2h\nworkload.noise = 0\n"
    "[balloon]\npreset = hyperv\n"
    "[policy]\nname = hyperv-dm\n";

Test(policy_hyperv, higher_weight_ends_with_lower_pressure)
{
    char path[256];
    harness_run_file("weight", shortage, 42, path, sizeof path);
    const char *pressure = "SELECT (s.anon_demand_bytes + 64 * 1048576.0) / s.usable_bytes FROM vm_samples s "
                           "JOIN vms v USING (run_id, vm_id) WHERE v.grp = '%s' ORDER BY s.time_ns DESC LIMIT 1";
    double ph = grp_q(path, pressure, "heavy"), pl = grp_q(path, pressure, "light");
    cr_assert_lt(ph, pl, "pressure heavy %g light %g", ph, pl);
    cr_assert_leq(ph, 1.01, "the heavy VM gets its committed memory (pressure %g)", ph);
    cr_assert_gt(pl, 1.1, "the light VM is short (pressure %g)", pl);
    cr_assert_gt(harness_vm_metric(path, "heavy", "usable_final_bytes"), harness_vm_metric(path, "light", "usable_final_bytes") + 300 * MIB);
    cr_assert_lt(harness_vm_metric(path, "heavy", "guest_swap_out_bytes"), harness_vm_metric(path, "light", "guest_swap_out_bytes"));
    /* the shortage was logged, and the light VM reported short once (after 10 min) */
    cr_assert_gt(harness_q1_file(path, "SELECT count(*) FROM policy_log WHERE what = 'shortage' AND value = 2"), 0);
    cr_assert_eq(grp_q(path, "SELECT count(*) FROM policy_log p JOIN vms v USING (run_id, vm_id) "
                             "WHERE p.what = 'short' AND v.grp = '%s'", "light"), 1);
    cr_assert_eq(grp_q(path, "SELECT count(*) FROM policy_log p JOIN vms v USING (run_id, vm_id) "
                             "WHERE p.what = 'short' AND v.grp = '%s'", "heavy"), 0);
    /* reported no earlier than short_after after its pressure first exceeded 100 % */
    double first_short = grp_q(path, "SELECT min(s.time_ns) FROM vm_samples s JOIN vms v USING (run_id, vm_id) "
                                     "WHERE v.grp = '%s' AND s.time_ns > 60e9 "
                                     "AND s.anon_demand_bytes + 64 * 1048576 > s.usable_bytes", "light");
    double logged = harness_q1_file(path, "SELECT time_ns FROM policy_log WHERE what = 'short'");
    cr_assert_geq(logged - first_short, 590e9, "short logged %g s after the first short sample", (logged - first_short) / 1e9);
    harness_remove_db(path);
}

/* Gap of final usable memory heavy - light (bytes) and the final pressures, with the heavy
 * VM's weight set to `weight` (the light VM keeps 2000). */
static double weighted_gap(const char *weight, double *ph, double *pl)
{
    char text[2048], path[256];
    snprintf(text, sizeof text, "%s", shortage);
    char *w = strstr(text, "weight = 8000");
    cr_assert_not_null(w);
    memcpy(w + 9, weight, 4);
    harness_run_file("equal", text, 42, path, sizeof path);
    const char *pressure = "SELECT (s.anon_demand_bytes + 64 * 1048576.0) / s.usable_bytes FROM vm_samples s "
                           "JOIN vms v USING (run_id, vm_id) WHERE v.grp = '%s' ORDER BY s.time_ns DESC LIMIT 1";
    *ph = grp_q(path, pressure, "heavy");
    *pl = grp_q(path, pressure, "light");
    double gap = harness_vm_metric(path, "heavy", "usable_final_bytes") -
                 harness_vm_metric(path, "light", "usable_final_bytes");
    harness_remove_db(path);
    return gap;
}

Test(policy_hyperv, equal_weights_share_the_shortage)
{
    double ph, pl;
    /* equal weights: both VMs are short, by the same amount */
    double gap = weighted_gap("2000", &ph, &pl);
    cr_assert_lt(fabs(gap), 16 * MIB, "equal weights: gap %g MiB", gap / MIB);
    cr_assert_gt(ph, 1.01, "heavy not short (pressure %g): no shortage to share", ph);
    cr_assert_gt(pl, 1.01, "light not short (pressure %g): no shortage to share", pl);
    cr_assert_lt(fabs(ph - pl), 0.01, "equal weights, unequal pressure: %g vs %g", ph, pl);
    /* control: weights 10 % apart give the heavier VM more, so the checks above can fail */
    gap = weighted_gap("2200", &ph, &pl);
    cr_assert_gt(gap, 16 * MIB, "weights 2200 vs 2000: gap only %g MiB", gap / MIB);
    cr_assert_lt(ph, pl, "weights 2200 vs 2000: pressure heavy %g light %g", ph, pl);
}

Test(policy_hyperv, restart_without_memory_uses_smart_paging)
{
    static const char *const text =
        "[simulation]\nduration = 25min\nsample_interval = 10s\noutput = vm\n"
        "[host]\nmemory = %s\n"
        "[vm app]\ncount = 2\nmemory = 4GiB\nstartup = 1GiB\nmin = 512MiB\nworkload = constant\n"
        "workload.mean = 2200MiB\n"
        "[vm batch]\nmemory = 2GiB\nmin = 512MiB\nrestart = 20min\nworkload = constant\nworkload.mean = 200MiB\n"
        "[balloon]\npreset = hyperv\n"
        "[policy]\nname = hyperv-dm\n";
    char buf[2048], path[256];
    snprintf(buf, sizeof buf, text, "6GiB");
    harness_run_file("smartpaging", buf, 42, path, sizeof path);
    /* batch idled down to its minimum; the others took the host; its restart needs 2 GiB */
    cr_assert_eq(harness_q1_file(path, "SELECT count(*) FROM policy_log WHERE what = 'smart_paging'"), 1);
    cr_assert_eq(harness_q1_file(path, "SELECT p.vm_id FROM policy_log p JOIN vms v USING (run_id, vm_id) "
                          "WHERE p.what = 'smart_paging' AND v.grp = 'batch'"), 2);
    /* the restart's start request is granted at the tick of the restart (1200 s), not
     * refused: the boot is seen, and Smart Paging logged, at the next tick */
    cr_assert_eq(harness_q1_file(path, "SELECT time_ns / 1e9 FROM events WHERE what = 'request_ok' AND vm_id = 2 "
                          "AND time_ns > 0"), 1200);
    cr_assert_eq(harness_q1_file(path, "SELECT time_ns / 1e9 FROM policy_log WHERE what = 'smart_paging'"), 1201);
    double shortfall = harness_q1_file(path, "SELECT value FROM policy_log WHERE what = 'smart_paging'");
    cr_assert_gt(shortfall, 0);
    cr_assert_lt(shortfall, 2048 * MIB);
    harness_remove_db(path);
    /* the same restart on a large host: no Smart Paging */
    snprintf(buf, sizeof buf, text, "16GiB");
    harness_run_file("nosmartpaging", buf, 42, path, sizeof path);
    cr_assert_eq(harness_q1_file(path, "SELECT count(*) FROM policy_log WHERE what = 'smart_paging'"), 0);
    cr_assert_eq(harness_q1_file(path, "SELECT count(*) FROM events WHERE what = 'restart'"), 1);
    harness_remove_db(path);
}

/* ------------------------------------------------------------------ bad input */

Test(policy_hyperv, bad_keys_are_refused)
{
    harness_policy_refused("hyperv-dm", "guest_floor = windows\n", "guest_floor", "linux-hv");
    harness_policy_refused("hyperv-dm", "short_after = 0s\n", "short_after", "range");
    harness_policy_refused("hyperv-dm", "interval = 0s\n", "interval", "range");
    harness_policy_refused("hyperv-dm", "buffer = 20%\n", "buffer", "unknown key");   /* buffer is a [vm NAME] key */
}

/* Starts from off (models/request.h): the late VM boots beside two busy ones that hold
 * 5 GiB of the 6 GiB host.  One that free memory and the others' surplus can not
 * hold is refused (Microsoft: "Not enough memory in the system to start the virtual
 * machine"); one that the others' surplus can hold waits while they are ballooned down. */
Test(policy_hyperv, a_start_from_off_needs_its_startup_ram)
{
    static const char *const text =
        "[simulation]\nduration = 5min\nsample_interval = 10s\n"
        "[host]\nmemory = 6GiB\n"
        "[vm busy]\ncount = 2\nmemory = 2560MiB\nmin = 512MiB\nworkload = constant\nworkload.mean = %s\n"
        "workload.file_set = 0B\n"
        "[vm late]\nmemory = 2GiB\nworkload = constant\nworkload.mean = 256MiB\n"
        "[balloon]\npreset = hyperv\n"
        "[policy]\nname = hyperv-dm\nfirst_report = 1s\n";
    char buf[2048], path[256];
    /* the busy VMs commit 2.4 GiB each: 1.2 GiB free, under 1 GiB of surplus: refused */
    snprintf(buf, sizeof buf, text, "2400MiB");
    harness_run_file("startrefused", buf, 42, path, sizeof path);
    cr_assert_eq(harness_q1_file(path, "SELECT count(*) FROM events WHERE what = 'request_not_enough_memory' AND vm_id = 2"), 1);
    cr_assert_eq(harness_q1_file(path, "SELECT count(*) FROM events WHERE what = 'boot' AND vm_id = 2"), 0);
    cr_assert_eq(harness_q1_file(path, "SELECT value FROM run_summary WHERE metric = 'requests_refused'"), 1);
    harness_remove_db(path);
    /* the busy VMs use 512 MiB each and hold 2.5 GiB: the late one waits for the balloons */
    snprintf(buf, sizeof buf, text, "512MiB");
    harness_run_file("startwaits", buf, 42, path, sizeof path);
    double waited = harness_q1_file(path, "SELECT value FROM events WHERE what = 'request_ok' AND vm_id = 2");
    cr_assert_gt(waited, 0, "the start waited for memory");
    cr_assert_lt(waited, 10, "a few ballooning steps: %g s", waited);
    cr_assert_eq(harness_q1_file(path, "SELECT count(*) FROM events WHERE what = 'boot' AND vm_id = 2"), 1);
    cr_assert_eq(harness_q1_file(path, "SELECT value FROM run_summary WHERE metric = 'requests_refused'"), 0);
    harness_remove_db(path);
}
