/*
 * tests/unit/test_policy_mom.c -- Criterion suite "policy_mom": the oVirt MOM balloon rules
 * (models/policies/mom.c, docs/policies.md).
 *
 * Each test runs a small scenario through the whole model (scenario_load + dc_run) into a
 * temporary SQLite database under /tmp and checks what the simulator itself recorded:
 * the targets table (written by policy_set_target, not by the policy), VM samples and
 * balloon operations.  Samples are taken every 10 s, the policy acts every 10 s at the
 * same instants and before the sample (dc.h priorities), and the virtio driver needs 5 ms
 * to start: a sample at a decision time shows the memory the policy saw.
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
#include "models/policies/mom.h"
#include "tests/unit/harness.h"

/* ------------------------------------------------------------------ helpers */

/* harness_run_text, harness_done, harness_qnum, MIB: tests/unit/harness.h */


/* An 8 GiB host; two web VMs of 3 GiB (1.25 GiB anon + 1 GiB file set, `web_extra`
 * added to their section) and a hog (anon `hog_mean` in `hog_memory`) that stops at
 * `hog_stop` (0s: never).  With a 3 GiB / 2.5 GiB hog about 12% of the host is free at
 * first, MOM's "pressure" (< 20%); with a 4 GiB / 3.75 GiB hog the pressure persists even
 * when the web VMs sit at their floor. */
static const char *pressure_scenario(char *buf, size_t len, const char *hog_memory, const char *hog_mean,
                                     const char *hog_stop, const char *web_extra)
{
    snprintf(buf, len,
             "[simulation]\nduration = 15min\nsample_interval = 10s\noutput = vm\n"
             "[host]\nmemory = 8GiB\n"
             "[vm web]\ncount = 2\nmemory = 3GiB\nworkload = constant\nworkload.mean = 1.25GiB\n"
             "workload.file_set = 1GiB\nworkload.access_rate = 256MiB/s\n%s"
             "[vm hog]\nmemory = %s\nworkload = constant\nworkload.mean = %s\n"
             "workload.file_set = 64MiB\nstop = %s\n"
             "[balloon]\npreset = virtio\n"
             "[policy]\nname = mom\n",
             web_extra, hog_memory, hog_mean, hog_stop);
    return buf;
}

/* ------------------------------------------------------------------ conformance */

/* The rules of oVirt/mom doc/balloon.rules (and vdsm's 02-balloon.policy), evaluated by
 * hand on chosen inputs (docs/policies.md quotes the rules).  Constants: pressure 0.20,
 * critical 0.05, min_guest_free 0.20, max change 0.05, min change 0.0025.  Pages. */
typedef struct mom_case {
    const char *what;
    mom_rules_t rules;
    double hf, cur, cur_mean, unused_mean, bmin, bmax;
    const char *rule;
    int set;
    double target;
} mom_case_t;

static const mom_case_t mom_cases[] = {
    /* no pressure (hf >= 0.20): grow_guest; floor = max(bmin, used + 0.20 cur) */
    {"grow by the step: used 400, floor 600 < 1050 = 1000 x 1.05",
     MOM_RULES_MOM, 0.50, 1000, 1000, 600, 0, 2000, "grow-step", 1, 1050},
    {"hf exactly 0.20 is no pressure (<): grow",
     MOM_RULES_MOM, 0.20, 1000, 1000, 600, 0, 2000, "grow-step", 1, 1050},
    {"grow below the floor: used 900, floor 900 + 200 = 1100 > 1050",
     MOM_RULES_MOM, 0.50, 1000, 1000, 100, 0, 2000, "grow-floor", 1, 1100},
    {"used from the means: 1100 - 100 = 1000, floor 1200",
     MOM_RULES_MOM, 0.50, 1000, 1100, 100, 0, 2000, "grow-floor", 1, 1200},
    {"balloon_min raises the grow floor: max(1500, 600)",
     MOM_RULES_MOM, 0.50, 1000, 1000, 600, 1500, 2000, "grow-floor", 1, 1500},
    {"balloon_max clamp: 1980 x 1.05 = 2079 -> 2000",
     MOM_RULES_MOM, 0.50, 1980, 1980, 1000, 0, 2000, "grow-max", 1, 2000},
    {"balloon_max clamps the floor too: floor 990 + 220 = 1210 > max 1200",
     MOM_RULES_MOM, 0.50, 1100, 1000, 10, 0, 1200, "grow-max", 1, 1200},
    {"grow change too small: 2000 - 1998 = 2 <= 0.0025 x 1998",
     MOM_RULES_MOM, 0.50, 1998, 1998, 1000, 0, 2000, "grow-small", 0, 0},
    {"not ballooned (cur = balloon_max): nothing to do",
     MOM_RULES_MOM, 0.50, 2000, 2000, 100, 0, 2000, "full", 0, 0},
    /* pressure (hf < 0.20): shrink_guest; gf = 0.20 x hf / 0.20 = hf */
    {"shrink by the step: gf 0.10, floor 400 + 100 = 500 < 950",
     MOM_RULES_MOM, 0.10, 1000, 1000, 600, 0, 2000, "shrink-step", 1, 950},
    {"shrink to the floor: used 880, floor 980 > 950",
     MOM_RULES_MOM, 0.10, 1000, 1000, 120, 0, 2000, "shrink-floor", 1, 980},
    {"floor above cur (used 920 + 100 = 1020): nothing set",
     MOM_RULES_MOM, 0.10, 1000, 1000, 80, 0, 2000, "shrink-above", 0, 0},
    {"shrink change too small: floor 998, 2 <= 2.5",
     MOM_RULES_MOM, 0.10, 1000, 1000, 102, 0, 2000, "shrink-small", 0, 0},
    {"balloon_min clamp: floor max(990, 500) = 990",
     MOM_RULES_MOM, 0.10, 1000, 1000, 600, 990, 2000, "shrink-floor", 1, 990},
    /* critical (hf <= 0.05): gf = hf - 0.05, negative: below what the guest uses */
    {"critical: gf -0.01, floor 980 - 10 = 970",
     MOM_RULES_MOM, 0.04, 1000, 1000, 20, 0, 2000, "shrink-floor", 1, 970},
    {"hf exactly 0.05 is critical: gf 0, floor = used 960",
     MOM_RULES_MOM, 0.05, 1000, 1000, 40, 0, 2000, "shrink-floor", 1, 960},
    {"just above critical (0.06): gf 0.06, floor 980 + 60 = 1040 > cur",
     MOM_RULES_MOM, 0.06, 1000, 1000, 20, 0, 2000, "shrink-above", 0, 0},
    /* rules = mom has no guest_qos: a guest below balloon_min is left to the rules */
    {"mom: below balloon_min under pressure, floor 900 > cur 800: nothing",
     MOM_RULES_MOM, 0.10, 800, 800, 400, 900, 2000, "shrink-above", 0, 0},
    /* rules = vdsm: the grow floor is host-scaled (gf = 0.20 x 0.50 / 0.20 = 0.50) */
    {"vdsm: grow floor 900 + 500 = 1400",
     MOM_RULES_VDSM, 0.50, 1000, 1000, 100, 0, 2000, "grow-floor", 1, 1400},
    {"vdsm: guest_qos raises a guest below balloon_min to it, last",
     MOM_RULES_VDSM, 0.10, 800, 800, 400, 900, 2000, "qos", 1, 900},
    {"vdsm: shrink as mom when above balloon_min",
     MOM_RULES_VDSM, 0.10, 1000, 1000, 600, 0, 2000, "shrink-step", 1, 950},
};

Test(policy_mom, conforms_to_balloon_rules)
{
    for (size_t c = 0; c < sizeof mom_cases / sizeof mom_cases[0]; c++) {
        const mom_case_t *t = &mom_cases[c];
        mom_consts_t k = {0.20, 0.05, 0.20, 0.05, 0.0025, t->rules};
        mom_inputs_t in = {t->cur, t->cur_mean, t->unused_mean, t->bmin, t->bmax, t->hf};
        mom_decision_t d;
        mom_decide(&k, &in, &d);
        cr_expect_str_eq(mom_rule_name(d.rule), t->rule, "%s: rule %s", t->what, mom_rule_name(d.rule));
        cr_expect_eq(d.set, t->set, "%s: set %d", t->what, d.set);
        if (t->set)
            cr_expect(fabs(d.target_pages - t->target) < 1e-9, "%s: target %.6f, expected %.0f", t->what,
                      d.target_pages, t->target);
    }
}

/* ------------------------------------------------------------------ tests */

Test(policy_mom, one_interval_shrinks_at_most_max_change)
{
    char text[2048];
    sqlite3 *q = harness_run_text("mom-step", pressure_scenario(text, sizeof text, "3GiB", "2.5GiB", "5min", ""));
    /* Every target, against the memory the guest had when it was decided. */
    const char *join =
        "FROM targets t JOIN vm_samples s ON s.vm_id = t.vm_id AND s.time_ns = t.time_ns";
    double n = harness_qnum(q, "SELECT count(*) %s", join);
    double shrinks = harness_qnum(q, "SELECT count(*) %s WHERE t.usable_target_bytes < s.usable_bytes", join);
    double grows = harness_qnum(q, "SELECT count(*) %s WHERE t.usable_target_bytes > s.usable_bytes", join);
    /* Shrinks move by the 5% step at most; grows may jump to the floor (used + 20%). */
    double worst = harness_qnum(q, "SELECT max((s.usable_bytes - t.usable_target_bytes) * 1.0 / s.usable_bytes) %s "
                           "WHERE t.usable_target_bytes < s.usable_bytes", join);
    cr_assert_gt(shrinks, 5, "MOM should shrink under pressure (%g targets, %g shrinks)", n, shrinks);
    cr_assert_gt(grows, 5, "MOM should grow once the pressure is gone (%g grows)", grows);
    cr_assert_eq(harness_qnum(q, "SELECT count(*) FROM targets"), n, "every target is matched by a sample");
    /* 5% plus the rounding of the virtio driver's 1 MiB grain on a >= 1 GiB guest */
    cr_assert_leq(worst, 0.05 + 1.0 / 1024, "a target moved %.2f%% in one interval", worst * 100);
    /* ...and the driver really moved the balloon. */
    cr_assert_gt(harness_qnum(q, "SELECT max(balloon_bytes) FROM vm_samples"), 100 * MIB);
    harness_done(q);
}

Test(policy_mom, small_changes_are_skipped)
{
    char text[2048];
    /* The hog never stops: the web VMs shrink to their floor (used + free target) and
     * then sit there, where every newly computed size is within 0.25% of the current one. */
    sqlite3 *q = harness_run_text("mom-skip", pressure_scenario(text, sizeof text, "4GiB", "3.75GiB", "0s", ""));
    const char *join = "FROM targets t JOIN vm_samples s ON s.vm_id = t.vm_id AND s.time_ns = t.time_ns";
    double n = harness_qnum(q, "SELECT count(*) %s", join);
    double smallest = harness_qnum(q, "SELECT min(abs(t.usable_target_bytes - s.usable_bytes) * 1.0 / s.usable_bytes) %s", join);
    cr_assert_gt(n, 5);
    cr_assert_gt(smallest, 0.0025 - 1.0 / 3072, "a change of %.3f%% was made", smallest * 100);
    /* Skipped: the targets stop while the policy keeps running (it acts every 10 s for
     * 15 min = 90 times per VM); the last target of a web VM comes well before the end. */
    double last_web = harness_qnum(q, "SELECT max(t.time_ns) FROM targets t JOIN vms v USING (vm_id) WHERE v.grp = 'web'");
    cr_assert_lt(last_web, 12 * 60e9, "targets kept coming until %.0f s", last_web / 1e9);
    double acts = harness_qnum(q, "SELECT count(*) FROM policy_log WHERE what = 'pressure'");
    cr_assert_geq(acts, 89, "the policy acted %g times", acts);
    /* The host is still under pressure at the end (so shrinking was wanted but small). */
    double hf = harness_qnum(q, "SELECT value FROM policy_log WHERE what = 'host_free_fraction' ORDER BY time_ns DESC LIMIT 1");
    cr_assert_lt(hf, 0.20, "host free fraction %.3f", hf);
    harness_done(q);
}

Test(policy_mom, grows_when_the_host_is_not_under_pressure)
{
    char text[2048];
    sqlite3 *q = harness_run_text("mom-grow", pressure_scenario(text, sizeof text, "3GiB", "2.5GiB", "5min", ""));
    /* Before the hog stops the web VMs were ballooned... */
    double ballooned = harness_qnum(q, "SELECT max(s.balloon_bytes) FROM vm_samples s JOIN vms v USING (vm_id) "
                               "WHERE v.grp = 'web' AND s.time_ns <= 300e9");
    cr_assert_gt(ballooned, 256 * MIB, "web VMs ballooned only %.0f MiB", ballooned / MIB);
    /* ...after it, no pressure is seen and the policy only grows them, back to 3 GiB. */
    double pressure_after = harness_qnum(q, "SELECT max(value) FROM policy_log WHERE what = 'pressure' AND time_ns > 400e9");
    cr_assert_eq(pressure_after, 0);
    double shrink_after = harness_qnum(q, "SELECT count(*) FROM targets t JOIN vm_samples s USING (vm_id, time_ns) "
                                  "WHERE t.time_ns > 400e9 AND t.usable_target_bytes < s.usable_bytes");
    cr_assert_eq(shrink_after, 0);
    double final = harness_qnum(q, "SELECT min(value) FROM vm_summary m JOIN vms v USING (vm_id) "
                           "WHERE v.grp = 'web' AND m.metric = 'usable_final_bytes'");
    cr_assert_geq(final, 3072 * MIB - 1 * MIB, "web VMs end at %.0f MiB", final / MIB);
    harness_done(q);
}

Test(policy_mom, guaranteed_minimum_is_kept)
{
    /* A guaranteed 2.5 GiB for the web VMs: the shrink floor is max(guaranteed, used +
     * free target), so under lasting pressure they shrink, but never below it. */
    char text[2048];
    sqlite3 *q = harness_run_text("mom-min", pressure_scenario(text, sizeof text, "4GiB", "3.75GiB", "0s", "min = 2.5GiB\n"));
    double low = harness_qnum(q, "SELECT min(s.usable_bytes) FROM vm_samples s JOIN vms v USING (vm_id) WHERE v.grp = 'web'");
    cr_assert_geq(low, 2560 * MIB - 1 * MIB, "a web VM fell to %.0f MiB", low / MIB);
    double shrank = harness_qnum(q, "SELECT count(*) FROM targets t JOIN vms v USING (vm_id) WHERE v.grp = 'web'");
    cr_assert_gt(shrank, 0, "the web VMs were not ballooned at all");
    harness_done(q);
}

Test(policy_mom, bad_keys_are_refused)
{
    harness_policy_refused("mom", "interval = 7s\n", "multiple of monitor", "policy");
    harness_policy_refused("mom", "critical = 30%\n", "critical", "policy");
    harness_policy_refused("mom", "min_change = 10%\n", "min_change", "policy");
}
