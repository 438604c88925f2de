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
#include <math.h>
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

/* Statistics as the guest reports them (issue 23): with a 10 s stats_period, the committed
 * memory hyperv-dm reads changes only at the guest's report instants, boot + k x 10 s,
 * although its demand ramps every second and the policy ticks every second. */
Test(decisions, statistics_are_the_last_report)
{
    char text[2048], path[256], fp[17];
    snprintf(path, sizeof path, "/tmp/balloonsim-test-%ld-decisions-stats.db", (long)getpid());
    snprintf(text, sizeof text,
             "[simulation]\nduration = 3min\nsample_interval = 10s\noutput = vm\noutput.decisions = auto\n"
             "[host]\nmemory = 8GiB\n"
             "[vm a]\nmemory = 4GiB\nworkload = diurnal\nworkload.mean = 2GiB\nworkload.amplitude = 1GiB\n"
             "workload.period = 2min\nworkload.step = 1s\n"
             "[balloon]\npreset = hyperv\nstats_period = 10s\n[policy]\nname = hyperv-dm\n");
    run_into(path, text, fp);
    double rows = q(path, "SELECT count(*) FROM decisions");
    cr_assert_gt(rows, 150);
    /* the committed value changes between consecutive rows only where a 10 s boundary
     * (the VM boots at 0) lies between them */
    const char *changes =
        "WITH d AS (SELECT time_ns, json_extract(inputs, '$.committed_pages') AS c,"
        " lag(json_extract(inputs, '$.committed_pages')) OVER (ORDER BY time_ns) AS pc,"
        " lag(time_ns) OVER (ORDER BY time_ns) AS pt FROM decisions)";
    char sql[1024];
    snprintf(sql, sizeof sql, "%s SELECT count(*) FROM d WHERE pc IS NOT NULL AND c != pc"
                              " AND time_ns / 10000000000 = pt / 10000000000", changes);
    cr_expect_eq(q(path, sql), 0, "the committed memory changed between two reports");
    snprintf(sql, sizeof sql, "%s SELECT count(*) FROM d WHERE pc IS NOT NULL AND c != pc", changes);
    cr_expect_gt(q(path, sql), 5, "the demand ramp never reached the policy");
    db_remove_files(path);
    /* with stats_period = 0 the policy sees every second's value */
    char *at = strstr(text, "stats_period = 10s");
    cr_assert_not_null(at);
    memcpy(at, "stats_period = 0s ", 18);
    run_into(path, text, fp);
    snprintf(sql, sizeof sql, "%s SELECT count(*) FROM d WHERE pc IS NOT NULL AND c != pc"
                              " AND time_ns / 10000000000 = pt / 10000000000", changes);
    cr_expect_gt(q(path, sql), 10, "with stats_period = 0 the value should move within 10 s");
    db_remove_files(path);
}

/* PSI avg10 (kernel/sched/psi.c): an exponential average of the share of time stalled
 * with a 10 s window.  senpai ticks every 1 s and logs both the stall time of the tick
 * (psi_some_delta_ns) and avg10, so avg10_k = avg10_{k-1} e^-0.1 + share_k (1 - e^-0.1),
 * share_k = delta_k / 1 s. */
Test(decisions, psi_avg10_is_the_kernels_average)
{
    char text[2048], path[256], fp[17];
    snprintf(path, sizeof path, "/tmp/balloonsim-test-%ld-decisions-psi.db", (long)getpid());
    scenario_text_for(text, sizeof text, "2min", "senpai", "virtio", "output = vm\noutput.decisions = auto\n");
    run_into(path, text, fp);
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    cr_assert_eq(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(h,
                     "SELECT vm_id, time_ns, json_extract(inputs, '$.psi_some_delta_ns'),"
                     " json_extract(inputs, '$.psi_some_avg10') FROM decisions WHERE rule != 'new-cgroup'"
                     " ORDER BY vm_id, time_ns", -1, &st, NULL), SQLITE_OK);
    int prev_vm = -1, n = 0, stalled = 0;
    double prev = 0, worst = 0, k = exp(-0.1);
    while (sqlite3_step(st) == SQLITE_ROW) {
        int vm = sqlite3_column_int(st, 0);
        double delta = sqlite3_column_double(st, 2), avg = sqlite3_column_double(st, 3);
        if (vm == prev_vm) {
            double want = prev * k + delta / 1e9 * (1.0 - k);
            worst = fmax(worst, fabs(avg - want));
            n++;
        }
        stalled += delta > 0;
        prev_vm = vm, prev = avg;
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    cr_expect_gt(n, 200);
    cr_expect_gt(stalled, 10, "no stall to average");
    cr_expect_lt(worst, 1e-9, "avg10 off the recursion by %g", worst);
    db_remove_files(path);
}
