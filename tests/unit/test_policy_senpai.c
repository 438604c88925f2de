/*
 * tests/unit/test_policy_senpai.c -- Criterion suite "policy_senpai": Meta's Senpai / TMO
 * feedback loop on memory stall (models/policies/senpai.c, docs/policies.md).
 *
 * Each test runs a small scenario through the whole model (scenario_load + dc_run) into a
 * temporary SQLite database under /tmp and checks what the simulator recorded (VM
 * samples, VM summaries, targets), never the policy's own view.
 */
#include <criterion/criterion.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>

#include "sim/ini.h"
#include "models/dc.h"
#include "models/record.h"
#include "models/scenario.h"
#include "tests/unit/harness.h"

/* ------------------------------------------------------------------ helpers */

/* harness_run_text, harness_done, harness_qnum, MIB: tests/unit/harness.h */


/* One 2 GiB VM with 800 MiB of anonymous memory and a 256 MiB file set (64 MiB kernel):
 * its working set is 1120 MiB.  `extra` is added to its [vm app] section. */
static const char *app_scenario(char *buf, size_t len, const char *duration, const char *extra)
{
    snprintf(buf, len,
             "[simulation]\nmemory_model = legacy\nduration = %s\nsample_interval = 60s\n"
             "[host]\nmemory = 4GiB\n"
             "[vm app]\nmemory = 2GiB\nworkload.mean = 800MiB\nworkload.file_set = 256MiB\n%s"
             "[balloon]\npreset = virtio\n"
             "[policy]\nname = senpai\n",
             duration, extra);
    return buf;
}

/* ------------------------------------------------------------------ tests */

/* Derived under the memory model before issue 23 (cache-first reclaim: no swap while cache
 * remains); kept on it (memory_model = legacy). */
Test(policy_senpai, converges_above_the_working_set_without_sustained_stall)
{
    char text[1024];
    sqlite3 *q = harness_run_text("senpai-conv", app_scenario(text, sizeof text, "2h", "workload = constant\n"));
    double late_mean = harness_qnum(q, "SELECT avg(usable_bytes) FROM vm_samples WHERE time_ns >= 3600e9");
    double late_used = harness_qnum(q, "SELECT max(usable_bytes - free_bytes) FROM vm_samples WHERE time_ns >= 3600e9");
    double late_low = harness_qnum(q, "SELECT min(usable_bytes) FROM vm_samples WHERE time_ns >= 3600e9");
    double late_stall = harness_qnum(q, "SELECT avg(stall_fraction) FROM vm_samples WHERE time_ns >= 3600e9");
    double late_hit = harness_qnum(q, "SELECT min(hit_ratio) FROM vm_samples WHERE time_ns >= 3600e9");
    /* It gave memory back: on average the limit stays well below the 2 GiB the VM started
     * with.  It does not settle: each probe past the knee evicts hot page cache, the
     * refaults stall > 10 ms per second while the cache refills, and senpai backs off every
     * second until they stop -- so the limit saw-tooths between the working set and up to
     * the configured size, and only its mean is bounded. */
    cr_assert_lt(late_mean, 1536 * MIB, "mean usable %.0f MiB in the second hour", late_mean / MIB);
    /* the memory actually in use (memory.current) stays at the working set */
    cr_assert_lt(late_used, (1120 + 16) * MIB, "%.0f MiB in use", late_used / MIB);
    /* ...but never below anonymous demand + kernel, and it kept most of the file set */
    cr_assert_gt(late_low, (800 + 64 + 200) * MIB, "usable fell to %.0f MiB", late_low / MIB);
    cr_assert_gt(late_hit, 0.99, "hit ratio %.4f", late_hit);
    cr_assert_lt(late_stall, 0.005, "stall fraction %.4f in the second hour", late_stall);
    cr_assert_eq(harness_qnum(q, "SELECT value FROM vm_summary WHERE metric = 'guest_swap_out_bytes'"), 0);
    harness_done(q);
}

Test(policy_senpai, shrinks_an_idle_vm_over_time)
{
    const char *text =
        "[simulation]\nmemory_model = legacy\nduration = 30min\nsample_interval = 60s\n"
        "[host]\nmemory = 8GiB\n"
        "[vm idle]\nmemory = 4GiB\nworkload = constant\nworkload.mean = 256MiB\nworkload.file_set = 0B\n"
        "[balloon]\npreset = virtio\n"
        "[policy]\nname = senpai\n";
    sqlite3 *q = harness_run_text("senpai-idle", text);
    const char *at = "SELECT usable_bytes FROM vm_samples WHERE time_ns = %.0f";
    double u5 = harness_qnum(q, at, 300e9), u10 = harness_qnum(q, at, 600e9), u20 = harness_qnum(q, at, 1200e9);
    cr_assert_lt(u5, 4096 * MIB);
    cr_assert_lt(u10, u5);
    cr_assert_lt(u20, u10);
    /* at most 1% per 6 s: after 5 min (at least 49 probes) no less than 0.99^50 of 4 GiB */
    cr_assert_geq(u5, 4096 * MIB * pow(0.99, 50) - 1 * MIB, "%.0f MiB at 5 min", u5 / MIB);
    /* it probes down to about anonymous memory + kernel (320 MiB) within the 30 minutes */
    double low = harness_qnum(q, "SELECT min(usable_bytes) FROM vm_samples");
    cr_assert_lt(low, 512 * MIB, "lowest usable %.0f MiB", low / MIB);
    cr_assert_gt(low, (256 + 64 - 16) * MIB, "lowest usable %.0f MiB", low / MIB);
    /* a probe below that swaps anonymous pages; every swap-in stalls, so it backs off at
     * once: no sample sits more than 16 MiB below anonymous memory + kernel, and the swapped
     * pages come back (nothing is left swapped at the end) */
    double swapped = harness_qnum(q, "SELECT guest_swapped_bytes FROM vm_samples ORDER BY time_ns DESC LIMIT 1");
    cr_assert_eq(swapped, 0, "%.0f bytes still swapped", swapped);
    cr_assert_eq(harness_qnum(q, "SELECT value FROM vm_summary WHERE metric = 'oom_kills'"), 0);
    harness_done(q);
}

Test(policy_senpai, backs_off_when_demand_grows)
{
    char text[1024];
    /* After an hour the anonymous demand steps from 800 MiB to 1.5 GiB: the guest swaps,
     * stalls, and the limit must grow back above the new demand. */
    sqlite3 *q = harness_run_text("senpai-step", app_scenario(text, sizeof text, "90min",
                                                      "workload = step\nworkload.amplitude = 736MiB\n"
                                                      "workload.step_at = 60min\n"));
    /* before the step the limit had come down below the new demand (its lowest value in
     * the 20 minutes before: it saw-tooths, see the first test) */
    double before = harness_qnum(q, "SELECT min(usable_bytes) FROM vm_samples WHERE time_ns BETWEEN 2400e9 AND 3600e9");
    double final = harness_qnum(q, "SELECT value FROM vm_summary WHERE metric = 'usable_final_bytes'");
    cr_assert_lt(before, 1536 * MIB, "%.0f MiB before the step", before / MIB);
    cr_assert_gt(final, (1536 + 64) * MIB, "%.0f MiB at the end", final / MIB);
    /* the growth came in back-offs: some target raised the limit by more than 1% at once */
    double jump = harness_qnum(q, "SELECT max(t.usable_target_bytes * 1.0 / s.usable_bytes) FROM targets t JOIN vm_samples s "
                          "ON s.vm_id = t.vm_id AND s.time_ns = (SELECT max(time_ns) FROM vm_samples "
                          "WHERE time_ns <= t.time_ns) WHERE t.time_ns >= 3600e9");
    cr_assert_gt(jump, 1.01, "largest raise x%.3f", jump);
    harness_done(q);
}
