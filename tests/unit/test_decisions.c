/*
 * tests/unit/test_decisions.c -- Criterion suite "decisions": the decisions table
 * (models/record.h, policy_decision in models/policy.h; docs/database.md).
 *
 * Each policy runs a two-VM scenario for 60 s; the table must hold one row per VM per
 * policy tick (ticks that set nothing included), inputs that SQLite's JSON functions read
 * with the keys docs/database.md lists for the policy, a rule, and a target exactly when
 * the policy set one (the targets table, written by the simulator, agrees).  Writing the
 * table must not change the run: same fingerprint and summaries with output.decisions =
 * yes and no.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>

#include "sim/ini.h"
#include "models/dc.h"
#include "models/record.h"
#include "models/scenario.h"
#include "tests/unit/harness.h"

/* Two VMs on a 4 GiB host, one of them a hog, so that every policy has something to do. */
static void scenario_text_for(char *buf, size_t len, const char *duration, const char *policy, const char *preset,
                              const char *extra)
{
    snprintf(buf, len,
             "[simulation]\nduration = %s\nsample_interval = 10s\n%s"
             "[host]\nmemory = 4GiB\n"
             "[vm web]\nmemory = 2GiB\nworkload = constant\nworkload.mean = 1GiB\nworkload.file_set = 512MiB\n"
             "[vm hog]\nmemory = 2GiB\nworkload = constant\nworkload.mean = 1800MiB\n"
             "[balloon]\npreset = %s\n[policy]\nname = %s\n",
             duration, extra, preset, policy);
}

static void scenario_text(char *buf, size_t len, const char *policy, const char *preset, const char *extra)
{
    scenario_text_for(buf, len, "60s", policy, preset, extra);
}

/* Run text into the database file path; returns the run's fingerprint in fp. */
static void run_into(const char *path, const char *text, char fp[17])
{
    char e[SIM_ERR_MAX] = "";
    sim_ini_t *ini = NULL;
    scenario_t *s = NULL;
    db_t *db = NULL;
    db_remove_files(path);
    cr_assert_eq(sim_ini_load_string("decisions.ini", text, &ini, e, sizeof e), 0, "%s", e);
    cr_assert_eq(scenario_load(ini, &s, e, sizeof e), 0, "%s", e);
    cr_assert_eq(db_open(path, &db, e, sizeof e), 0, "%s", e);
    cr_assert_eq(record_schema(db, e, sizeof e), 0, "%s", e);
    db_run_info_t info = {"test", 0, 0, 0, 42, "decisions.ini", text, "", s->policy->name};
    dc_options_t opt = {.seed = 42, .check = 1};
    dc_result_t res;
    cr_assert_eq(dc_run(s, db, &info, &opt, &res, e, sizeof e), 0, "dc_run: %s", e);
    memcpy(fp, res.fingerprint, 17);
    db_close(db);
    scenario_destroy(s);
    sim_ini_destroy(ini);
}

static double q(const char *path, const char *sql) { return harness_q1_file(path, sql); }

typedef struct policy_case {
    const char *policy, *preset;
    double ticks;              /* policy ticks in 60 s that give rows (per VM) */
    const char *keys[8];       /* input keys every row must hold */
} policy_case_t;

static const policy_case_t cases[] = {
    {"mom", "virtio", 6,                                   /* engine every 10 s */
     {"balloon_cur_pages", "balloon_cur_mean_pages", "balloon_cur_count", "mem_unused_mean_pages",
      "mem_unused_count", "balloon_min_pages", "host_free_fraction_mean", "host_total_pages"}},
    {"esx-share", "vmware", 4,                             /* every 15 s */
     {"shares", "active_slow", "active_fast", "active_partial", "active_used", "rho", "allocation_pages",
      "state"}},
    {"hyperv-dm", "hyperv", 60,                            /* every 1 s */
     {"committed_pages", "buffer", "weight", "pressure", "available_pages", NULL}},
    {"senpai", "virtio", 60,                               /* every 1 s */
     {"limit_pages", NULL}},
    {"oracle", "virtio", 60,                               /* every 1 s */
     {"need_pages", "allocation_pages", NULL}},
};

/* Tick times whose row count differs from the number of VMs booted before them (no VM stops
 * in these scenarios; a VM that boots at a tick time is seen from the next tick). */
#define RUNNING_MISMATCH                                                                          \
    "SELECT count(*) FROM (SELECT time_ns AS t, count(*) AS c FROM decisions GROUP BY time_ns) " \
    "WHERE c != (SELECT count(*) FROM events e WHERE e.what = 'boot' AND e.time_ns < t)"

static void check_policy(const policy_case_t *c)
{
    char text[2048], path[256], fp[17];
    snprintf(path, sizeof path, "/tmp/balloonsim-test-%ld-decisions-%s.db", (long)getpid(), c->policy);
    scenario_text(text, sizeof text, c->policy, c->preset, "output = vm\noutput.decisions = yes\n");
    run_into(path, text, fp);
    double ticks = q(path, "SELECT count(DISTINCT time_ns) FROM decisions");
    cr_expect_eq(ticks, c->ticks, "%s: rows at %g tick times, expected %g", c->policy, ticks, (double)c->ticks);
    /* one row per running VM at every tick time: a VM whose start waited for memory (a start
     * request under hyperv-dm and squeezed) has rows from the first tick after its boot */
    cr_expect_eq(q(path, RUNNING_MISMATCH), 0, "%s: a tick without a row for each running VM", c->policy);
    cr_expect_eq(q(path, "SELECT count(DISTINCT vm_id) FROM decisions"), 2, "%s: both VMs have rows", c->policy);
    cr_expect_eq(q(path, "SELECT count(*) FROM decisions WHERE policy != (SELECT policy FROM runs)"), 0);
    cr_expect_eq(q(path, "SELECT count(*) FROM decisions WHERE NOT json_valid(inputs) OR rule IS NULL OR rule = ''"),
                 0, "%s: invalid inputs or empty rule", c->policy);
    char sql[512];
    for (size_t k = 0; k < 8 && c->keys[k]; k++) {
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM decisions WHERE json_extract(inputs, '$.%s') IS NULL AND rule != 'first-report'"
                 " AND rule != 'new-cgroup'", c->keys[k]);
        cr_expect_eq(q(path, sql), 0, "%s: rows without %s", c->policy, c->keys[k]);
    }
    /* every target the simulator recorded at a decision time has a decision that set one */
    cr_expect_eq(q(path, "SELECT count(*) FROM targets t WHERE NOT EXISTS (SELECT 1 FROM decisions d"
                         " WHERE d.vm_id = t.vm_id AND d.time_ns = t.time_ns AND d.usable_target_bytes IS NOT NULL)"),
                 0, "%s: a target with no decision that set it", c->policy);
    db_remove_files(path);
}

Test(decisions, mom) { check_policy(&cases[0]); }
Test(decisions, esx_share) { check_policy(&cases[1]); }
Test(decisions, hyperv_dm) { check_policy(&cases[2]); }
Test(decisions, senpai) { check_policy(&cases[3]); }
Test(decisions, oracle) { check_policy(&cases[4]); }

Test(decisions, squeezed_rows_per_iteration)
{
    char text[2048], path[256], fp[17];
    snprintf(path, sizeof path, "/tmp/balloonsim-test-%ld-decisions-squeezed.db", (long)getpid());
    scenario_text(text, sizeof text, "squeezed", "xen", "output = vm\noutput.decisions = yes\n");
    run_into(path, text, fp);
    /* squeezed iterates every 1 s while a balancing operation runs (and not in between) */
    cr_expect_gt(q(path, "SELECT count(*) FROM decisions"), 0);
    cr_expect_eq(q(path, RUNNING_MISMATCH), 0);
    cr_expect_eq(q(path, "SELECT count(*) FROM decisions WHERE json_extract(inputs, '$.gamma') IS NULL"
                         " OR json_extract(inputs, '$.dynamic_min_pages') IS NULL"
                         " OR json_extract(inputs, '$.dynamic_max_pages') IS NULL"
                         " OR json_extract(inputs, '$.target_pages') IS NULL"), 0);
    cr_expect_eq(q(path, "SELECT count(*) FROM targets t WHERE NOT EXISTS (SELECT 1 FROM decisions d"
                         " WHERE d.vm_id = t.vm_id AND d.time_ns = t.time_ns AND d.usable_target_bytes IS NOT NULL)"), 0);
    db_remove_files(path);
}

/* A mom row's target is the rule's target, and its inputs reproduce the decision. */
Test(decisions, mom_rows_match_the_rules)
{
    char text[2048], path[256], fp[17];
    snprintf(path, sizeof path, "/tmp/balloonsim-test-%ld-decisions-momrule.db", (long)getpid());
    scenario_text_for(text, sizeof text, "5min", "mom", "virtio", "output = vm\noutput.decisions = yes\n");
    run_into(path, text, fp);
    /* shrink-step: target = round(0.95 cur) */
    cr_expect_gt(q(path, "SELECT count(*) FROM decisions WHERE rule = 'shrink-step'"), 0, "no shrink-step");
    cr_expect_eq(q(path, "SELECT count(*) FROM decisions WHERE rule = 'shrink-step' AND usable_target_bytes !="
                         " round(0.95 * json_extract(inputs, '$.balloon_cur_pages')) * 4096"), 0);
    cr_expect_eq(q(path, "SELECT count(*) FROM decisions WHERE rule LIKE '%-small' AND usable_target_bytes IS NOT NULL"), 0);
    cr_expect_eq(q(path, "SELECT count(*) FROM decisions WHERE rule IN ('shrink-step', 'shrink-floor') AND"
                         " json_extract(inputs, '$.pressure') = 0"), 0);
    db_remove_files(path);
}

Test(decisions, writing_them_changes_nothing)
{
    const char *policies[][2] = {{"mom", "virtio"}, {"esx-share", "vmware"}, {"hyperv-dm", "hyperv"},
                                 {"squeezed", "xen"}, {"senpai", "virtio"}, {"oracle", "virtio"}};
    for (size_t k = 0; k < sizeof policies / sizeof policies[0]; k++) {
        char text[2048], a[256], b[256], fpa[17], fpb[17];
        snprintf(a, sizeof a, "/tmp/balloonsim-test-%ld-dec-yes.db", (long)getpid());
        snprintf(b, sizeof b, "/tmp/balloonsim-test-%ld-dec-no.db", (long)getpid());
        scenario_text(text, sizeof text, policies[k][0], policies[k][1], "output = vm\noutput.decisions = yes\n");
        run_into(a, text, fpa);
        scenario_text(text, sizeof text, policies[k][0], policies[k][1], "output = vm\noutput.decisions = no\n");
        run_into(b, text, fpb);
        cr_expect_str_eq(fpa, fpb, "%s: fingerprint moved when decisions are written", policies[k][0]);
        cr_expect_gt(q(a, "SELECT count(*) FROM decisions"), 0, "%s: no rows with yes", policies[k][0]);
        cr_expect_eq(q(b, "SELECT count(*) FROM decisions"), 0, "%s: rows with no", policies[k][0]);
        cr_expect_eq(q(a, "SELECT total(value) FROM run_summary WHERE metric NOT IN ('wall_s')"),
                     q(b, "SELECT total(value) FROM run_summary WHERE metric NOT IN ('wall_s')"), "%s", policies[k][0]);
        db_remove_files(a);
        db_remove_files(b);
    }
}

Test(decisions, level_and_key)
{
    char text[2048], path[256], fp[17];
    snprintf(path, sizeof path, "/tmp/balloonsim-test-%ld-decisions-level.db", (long)getpid());
    /* the default (no) writes none, even at output = vm; auto: written at output = vm, not
     * at summary; yes writes them at summary too; output.vms selects the VMs */
    scenario_text(text, sizeof text, "mom", "virtio", "output = vm\n");
    run_into(path, text, fp);
    cr_expect_eq(q(path, "SELECT count(*) FROM decisions"), 0);
    scenario_text(text, sizeof text, "mom", "virtio", "output = summary\noutput.decisions = auto\n");
    run_into(path, text, fp);
    cr_expect_eq(q(path, "SELECT count(*) FROM decisions"), 0);
    scenario_text(text, sizeof text, "mom", "virtio", "output = summary\noutput.decisions = yes\n");
    run_into(path, text, fp);
    cr_expect_eq(q(path, "SELECT count(*) FROM decisions"), 12);
    scenario_text(text, sizeof text, "mom", "virtio", "output = vm\noutput.decisions = auto\noutput.vms = web/*\n");
    run_into(path, text, fp);
    cr_expect_eq(q(path, "SELECT count(*) FROM decisions"), 6);
    cr_expect_eq(q(path, "SELECT count(DISTINCT vm_id) FROM decisions"), 1);
    db_remove_files(path);
}
