/*
 * tests/unit/test_model.c -- the memory model: guest reclaim order and OOM, page
 * conservation on random scenarios, balloon timing and refusal, and host swapping
 * against ballooning (issue 3).  Runs go to temporary SQLite databases.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sim/db.h"
#include "sim/ini.h"
#include "models/dc.h"
#include "models/guest.h"
#include "models/record.h"
#include "models/scenario.h"
#include "tests/unit/harness.h"


/* ------------------------------------------------------------------ guest */

Test(model, guest_reclaim_order_free_then_cache_then_anon)
{
    guest_t g;
    guest_init(&g, 1000, 100, 1000, NULL);
    workload_sample_t s = {.anon_pages = 400, .file_pages = 300, .active_fraction = 1, .access_pages_per_s = 0};
    guest_delta_t d = {0};
    guest_set_demand(&g, &s, &d);
    g.cache_pages = 300;          /* a warm cache */
    int64_t free0 = guest_free_pages(&g);
    cr_assert_eq(free0, 1000 - 100 - 400 - 300);
    memset(&d, 0, sizeof d);
    guest_reclaim(&g, free0, &d);         /* free pages only */
    cr_assert_eq(g.cache_pages, 300);
    cr_assert_eq(g.anon_pages, 400);
    cr_assert_eq(d.swap_out_pages, 0);
    guest_reclaim(&g, 200, &d);           /* then page cache */
    cr_assert_eq(g.cache_pages, 100);
    cr_assert_eq(g.anon_pages, 400);
    cr_assert_eq(d.swap_out_pages, 0);
    guest_reclaim(&g, 150, &d);           /* cache exhausted: 50 anon pages to swap */
    cr_assert_eq(g.cache_pages, 0);
    cr_assert_eq(g.anon_pages, 350);
    cr_assert_eq(g.swapped_pages, 50);
    cr_assert_eq(d.swap_out_pages, 50);
    char err[256];
    cr_assert_eq(guest_check(&g, err, sizeof err), 0, "%s", err);
}

Test(model, guest_oom_is_an_event_not_a_crash)
{
    guest_t g;
    guest_init(&g, 1000, 100, 200, NULL);
    workload_sample_t s = {.anon_pages = 1500};
    guest_delta_t d = {0};
    guest_set_demand(&g, &s, &d);
    /* fits: 900 resident + 200 swap = 1100; 400 dropped by one OOM kill */
    cr_assert_eq(d.oom_kills, 1);
    cr_assert_eq(d.oom_dropped_pages, 400);
    cr_assert_eq(g.anon_pages, 900);
    cr_assert_eq(g.swapped_pages, 200);
    cr_assert(g.in_oom);
    /* the same demand again is the same episode, not a new kill */
    memset(&d, 0, sizeof d);
    s.anon_pages = 1600;
    guest_set_demand(&g, &s, &d);
    cr_assert_eq(d.oom_kills, 0);
    cr_assert(g.in_oom);
    char err[256];
    cr_assert_eq(guest_check(&g, err, sizeof err), 0, "%s", err);
}

Test(model, guest_lazy_swap_in_and_cache_refill_follow_faults)
{
    guest_t g;
    guest_init(&g, 1000, 100, 1000, NULL);
    workload_sample_t s = {.anon_pages = 1000, .file_pages = 0, .access_pages_per_s = 1000};
    guest_delta_t d = {0};
    guest_set_demand(&g, &s, &d);       /* 900 resident, 100 swapped */
    cr_assert_eq(g.swapped_pages, 100);
    guest_grow(&g, 500);                /* deflate: room for everything */
    guest_rates_t r;
    guest_rates(&g, &r);
    cr_assert_float_eq(r.swapin_faults_per_s, 1000.0 * 100 / 1000, 1e-9);
    memset(&d, 0, sizeof d);
    guest_advance(&g, &r, 0.05, &d);    /* 5 faults in 50 ms */
    cr_assert_eq(d.swap_in_pages, 5);
    cr_assert_eq(g.swapped_pages, 95);
}

/* A swap-in fault with room brings its page in and swaps nothing out, however the
 * faults are spread over intervals (fractions carried); one without room displaces
 * another anonymous page: a swap-out per such fault (thrashing), and nothing moves. */
Test(model, guest_swaps_out_only_when_a_faulting_page_has_no_room)
{
    guest_t g;
    guest_init(&g, 1000, 100, 1000, NULL);
    workload_sample_t s = {.anon_pages = 1000, .file_pages = 0, .access_pages_per_s = 1000};
    guest_delta_t d = {0};
    guest_set_demand(&g, &s, &d);       /* 900 resident, 100 swapped, no free memory */
    guest_grow(&g, 500);                /* room for everything */
    guest_rates_t r;
    guest_rates(&g, &r);                /* 100 faults/s */
    memset(&d, 0, sizeof d);
    for (int i = 0; i < 40; i++)        /* 0.5 faults per interval: carried, 20 in all */
        guest_advance(&g, &r, 0.005, &d);
    cr_assert_eq(d.swap_in_pages, 20);
    cr_assert_eq(d.swap_out_pages, 0, "room for every page, yet %lld swap-outs", (long long)d.swap_out_pages);
    /* no room at all: every fault thrashes */
    guest_init(&g, 1000, 100, 1000, NULL);
    memset(&d, 0, sizeof d);
    guest_set_demand(&g, &s, &d);       /* 900 resident + 100 kernel = 1000: full */
    cr_assert_eq(guest_free_pages(&g), 0);
    guest_rates(&g, &r);
    memset(&d, 0, sizeof d);
    guest_advance(&g, &r, 0.05, &d);    /* 5 faults */
    cr_assert_eq(d.swap_in_pages, 0);
    cr_assert_eq(d.swap_out_pages, 5);
    cr_assert_eq(g.swapped_pages, 100);
}

/* ------------------------------------------------------------------ conservation */

Test(model, pages_are_conserved_on_random_scenarios, .timeout = 120)
{
    static const char *workloads[] = {"constant", "diurnal", "onoff", "spikes", "ou", "step"};
    static const char *presets[] = {"vmware", "virtio", "hyperv", "xen"};
    char text[4096], err[SIM_ERR_MAX];
    unsigned seed = 12345;
    /* Every registered policy (models/policy.h: a new one is covered without editing this
     * list), at least 3 scenarios each, the policy taken in turn. */
    size_t npol = policy_count(), nscn = npol * 3 > 24 ? npol * 3 : 24;
    cr_assert_gt(npol, 1);
    for (size_t k = 0; k < nscn; k++) {
        seed = seed * 1103515245u + 12345u;
        const char *pol = policy_at(k % npol)->name;
        int hosts = 1 + (int)((seed >> 12) % 3);
        int host_gib = 4 + (int)((seed >> 16) % 8);
        int nvm = 1 + (int)((seed >> 20) % 5);
        snprintf(text, sizeof text,
                 "[simulation]\nduration = 20min\nsample_interval = 1min\n"
                 "[host]\ncount = %d\nmemory = %dGiB\n"
                 "[vm a]\ncount = %d\nmemory = 2GiB\nmin = 256MiB\nworkload = %s\nworkload.mean = 1GiB\n"
                 "workload.amplitude = 512MiB\nworkload.file_set = 512MiB\n"
                 "[vm b]\ncount = %d\nmemory = 3GiB\nstartup = 1GiB\nworkload = %s\nworkload.mean = 2GiB\n"
                 "workload.amplitude = 1GiB\nstop = 15min\n"
                 "[balloon]\npreset = %s\nmtbf = %s\nrefuse_probability = %s\n"
                 "[policy]\nname = %s\n",
                 hosts, host_gib, nvm, workloads[(seed >> 3) % 6], 1 + nvm / 2, workloads[(seed >> 5) % 6],
                 presets[(seed >> 24) % 4], (seed & 1) ? "5min" : "0s", (seed & 2) ? "10%" : "0", pol);
        db_t *db;
        int rc = harness_run(text, seed, &db, err);
        cr_assert_eq(rc, 0, "scenario %zu (%s) failed: %s\n%s", k, pol, err, text);
        cr_assert_eq(harness_q1(db, "SELECT count(*) FROM runs WHERE status='complete'"), 1);
        /* the run did simulate: VMs advanced, samples recorded (the conservation check,
         * on in harness_run, ran after every one of these events) */
        cr_assert_gt(harness_metric(db, "events"), 0, "scenario %zu (%s) simulated nothing", k, pol);
        cr_assert_gt(harness_metric(db, "vm_ticks"), 0, "scenario %zu (%s): no VM advanced", k, pol);
        cr_assert_gt(harness_q1(db, "SELECT count(*) FROM host_samples"), 0, "scenario %zu (%s)", k, pol);
        db_close(db);
    }
}

/* ------------------------------------------------------------------ balloon */

/* The driver tests need a policy that balloons one VM on a host with room: `example`
 * (committed + headroom).  Not the oracle, which balloons nothing when everything fits
 * (issue 17). */

static const char *one_vm =
    "[simulation]\nduration = 5min\nsample_interval = 10s\n"
    "[host]\nmemory = 8GiB\n"
    "[vm v]\nmemory = 4GiB\nkernel = 64MiB\nworkload = constant\nworkload.mean = 1GiB\n"
    "workload.file_set = 0B\n"
    "[balloon]\npreset = vmware\nlatency = %s\ninflate_rate = %s\nchunk = 16MiB\n"
    "refuse_probability = %s\n"
    "[policy]\nname = example\nheadroom = 0%%\ninterval = 1s\n";

Test(model, inflation_finishes_at_latency_plus_size_over_rate)
{
    char text[1024], err[SIM_ERR_MAX];
    snprintf(text, sizeof text, one_vm, "2s", "128MiB/s", "0");
    db_t *db;
    cr_assert_eq(harness_run(text, 1, &db, err), 0, "%s", err);
    double n = harness_q1(db, "SELECT count(*) FROM balloon_ops WHERE kind='inflate' AND outcome='ok'");
    cr_assert_geq(n, 1);
    double issued = harness_q1(db, "SELECT issued_ns FROM balloon_ops WHERE kind='inflate' ORDER BY issued_ns LIMIT 1");
    double started = harness_q1(db, "SELECT started_ns FROM balloon_ops WHERE kind='inflate' ORDER BY issued_ns LIMIT 1");
    double finished = harness_q1(db, "SELECT finished_ns FROM balloon_ops WHERE kind='inflate' ORDER BY issued_ns LIMIT 1");
    double moved = harness_q1(db, "SELECT moved_bytes FROM balloon_ops WHERE kind='inflate' ORDER BY issued_ns LIMIT 1");
    cr_assert_gt(moved, 1e9, "the idle memory (about 2.9 GiB) is ballooned: moved %g", moved);
    cr_assert_float_eq(started - issued, 2e9, 1, "latency");
    double expect_ns = moved / (128.0 * 1048576) * 1e9;
    double chunk_ns = 16.0 / 128 * 1e9;
    cr_assert(fabs((finished - started) - expect_ns) <= chunk_ns, "took %g s, expected %g s",
              (finished - started) / 1e9, expect_ns / 1e9);
    db_close(db);
}

Test(model, a_refusing_driver_never_moves_and_backs_off)
{
    char text[1024], err[SIM_ERR_MAX];
    snprintf(text, sizeof text, one_vm, "10ms", "1GiB/s", "100%");
    db_t *db;
    cr_assert_eq(harness_run(text, 1, &db, err), 0, "%s", err);
    cr_assert_gt(harness_q1(db, "SELECT count(*) FROM balloon_ops WHERE outcome='refused'"), 3);
    cr_assert_eq(harness_q1(db, "SELECT coalesce(sum(moved_bytes),0) FROM balloon_ops"), 0);
    cr_assert_eq(harness_metric(db, "balloon_inflated_bytes"), 0);
    /* back-off doubles: the gap between refusals grows up to retry_max (32 s), so about
     * 1+2+4+8+16 s and then one refusal per 32 s: 13 or 14 in the run, not one a second */
    double span = harness_q1(db, "SELECT max(finished_ns) - min(finished_ns) FROM balloon_ops WHERE outcome='refused'");
    double count = harness_q1(db, "SELECT count(*) FROM balloon_ops WHERE outcome='refused'");
    cr_assert_leq(count, 20, "refusals are retried too often: %g in %g s", count, span / 1e9);
    double first_gap = harness_q1(db, "SELECT min(g) FROM (SELECT finished_ns - lag(finished_ns) OVER (ORDER BY finished_ns) AS g"
                              " FROM balloon_ops WHERE outcome='refused') WHERE g IS NOT NULL");
    double last_gap = harness_q1(db, "SELECT max(g) FROM (SELECT finished_ns - lag(finished_ns) OVER (ORDER BY finished_ns) AS g"
                             " FROM balloon_ops WHERE outcome='refused') WHERE g IS NOT NULL");
    cr_assert_lt(first_gap, 4e9, "the first retry comes soon: %g s", first_gap / 1e9);
    cr_assert_geq(last_gap, 30e9, "the gap grows to retry_max: %g s", last_gap / 1e9);
    cr_assert_leq(last_gap, 34e9, "and no further: %g s", last_gap / 1e9);
    db_close(db);
}

/* ------------------------------------------------------------------ host swap */

/* The idle VM once used 3 GiB and freed most of it (touched but free: only ballooning can
 * find it); later the busy VM grows from 512 MiB to 3 GiB. */
/* A busy VM that grows at 5 min and an idle one that shrinks at 2 min; host memory and
 * policy are the format's arguments. */
#define TWO_VMS_HOST_AND_VMS \
    "[host]\nmemory = %s\n" \
    "[vm busy]\nmemory = 4GiB\nmin = 4GiB\nworkload = step\nworkload.mean = 512MiB\nworkload.amplitude = 2560MiB\n" \
    "workload.step_at = 5min\nworkload.file_set = 256MiB\n" \
    "[vm idle]\nmemory = 4GiB\nworkload = step\nworkload.mean = 3GiB\nworkload.amplitude = -2560MiB\n" \
    "workload.step_at = 2min\nworkload.active_fraction = 0.02\nworkload.access_rate = 1MiB/s\n" \
    "workload.file_set = 0B\n" \
    "[policy]\nname = %s\n"
static const char *two_vms = "[simulation]\nduration = 30min\nsample_interval = 30s\n" TWO_VMS_HOST_AND_VMS;

Test(model, host_swaps_only_when_resident_memory_exceeds_capacity)
{
    char text[1024], err[SIM_ERR_MAX];
    db_t *db;
    snprintf(text, sizeof text, two_vms, "12GiB", "static");
    cr_assert_eq(harness_run(text, 3, &db, err), 0, "%s", err);
    cr_assert_eq(harness_metric(db, "host_swap_out_bytes"), 0, "fits: no host swapping");
    db_close(db);
    snprintf(text, sizeof text, two_vms, "6GiB", "static");
    cr_assert_eq(harness_run(text, 3, &db, err), 0, "%s", err);
    cr_assert_gt(harness_metric(db, "host_swap_out_bytes"), 0, "overcommitted: the host swaps");
    db_close(db);
}

Test(model, host_swapping_costs_more_faults_than_ballooning_idle_memory)
{
    char text[1024], err[SIM_ERR_MAX];
    db_t *db;
    snprintf(text, sizeof text, two_vms, "6GiB", "static");
    cr_assert_eq(harness_run(text, 3, &db, err), 0, "%s", err);
    double swap_faults = harness_metric(db, "host_faults");
    double swap_busy = harness_q1(db, "SELECT avg(s.value) FROM vm_summary s JOIN vms v USING(run_id, vm_id) "
                               "WHERE v.grp='busy' AND s.metric='major_faults'");
    db_close(db);
    snprintf(text, sizeof text, two_vms, "6GiB", "oracle");
    cr_assert_eq(harness_run(text, 3, &db, err), 0, "%s", err);
    double balloon_faults = harness_metric(db, "host_faults");
    double balloon_busy = harness_q1(db, "SELECT avg(s.value) FROM vm_summary s JOIN vms v USING(run_id, vm_id) "
                                  "WHERE v.grp='busy' AND s.metric='major_faults'");
    cr_assert_gt(harness_metric(db, "balloon_inflated_bytes"), 0);
    db_close(db);
    cr_assert_gt(swap_faults, 10 * (balloon_faults + 1), "host faults: swap %g vs balloon %g", swap_faults,
                 balloon_faults);
    cr_assert_gt(swap_busy, balloon_busy, "the busy VM faults more under host swapping");
}

/* ------------------------------------------------------------------ driver faults, OOM, hot-add */

static const char *oom_vm =
    "[simulation]\nduration = 6min\nsample_interval = 10s\n"
    "[host]\nmemory = 8GiB\n"
    "[vm v]\nmemory = 2GiB\nswap = 0B\nkernel = 64MiB\nworkload = step\nworkload.mean = 512MiB\n"
    "workload.amplitude = 1280MiB\nworkload.step_at = 3min\nworkload.file_set = 0B\n"
    "[balloon]\npreset = virtio\ndeflate_on_oom = %s\n"
    "[policy]\nname = example\nheadroom = 0%%\ninterval = %s\n";

Test(model, deflate_on_oom_releases_the_balloon_instead_of_killing)
{
    char text[1024], err[SIM_ERR_MAX];
    db_t *db;
    /* the policy ticks once a minute, so the step at 3 min meets a full balloon */
    snprintf(text, sizeof text, oom_vm, "no", "1min");
    cr_assert_eq(harness_run(text, 5, &db, err), 0, "%s", err);
    double kills_without = harness_metric(db, "oom_kills");
    db_close(db);
    snprintf(text, sizeof text, oom_vm, "yes", "1min");
    cr_assert_eq(harness_run(text, 5, &db, err), 0, "%s", err);
    double kills_with = harness_metric(db, "oom_kills");
    double released = harness_q1(db, "SELECT sum(value) FROM events WHERE what='deflate_on_oom'");
    double steps = harness_q1(db, "SELECT count(*) FROM events WHERE what='deflate_on_oom'");
    double max_step = harness_q1(db, "SELECT max(value) FROM events WHERE what='deflate_on_oom'");
    db_close(db);
    cr_assert_geq(kills_without, 1, "without deflate-on-OOM the guest kills");
    cr_assert_eq(kills_with, 0, "with deflate-on-OOM the balloon gives way");
    cr_assert_gt(steps, 1);
    cr_assert_leq(max_step, 256, "virtio releases 256 pages per OOM call");
    cr_assert_gt(released * 4096, 512.0 * 1048576, "released %g pages", released);
}

static const char *flaky_vm =
    "[simulation]\nduration = 10min\nsample_interval = 10s\n"
    "[host]\nmemory = 8GiB\n"
    "[vm v]\nmemory = 4GiB\nworkload = constant\nworkload.mean = 512MiB\nworkload.file_set = 0B\n"
    "[balloon]\npreset = vmware\nlatency = 2min\nmtbf = %s\nunresponsive_mean = 10h\n"
    "[policy]\nname = example\nheadroom = 5%%\ninterval = 1s\n";

Test(model, an_unresponsive_driver_makes_no_progress)
{
    char text[1024], err[SIM_ERR_MAX];
    db_t *db;
    snprintf(text, sizeof text, flaky_vm, "0s");
    cr_assert_eq(harness_run(text, 9, &db, err), 0, "%s", err);
    double healthy = harness_metric(db, "balloon_inflated_bytes");
    db_close(db);
    /* mean time to the first failure 30 s, before the 2 min latency ends; then 10 h down */
    snprintf(text, sizeof text, flaky_vm, "30s");
    cr_assert_eq(harness_run(text, 9, &db, err), 0, "%s", err);
    double flaky = harness_metric(db, "balloon_inflated_bytes");
    double down = harness_q1(db, "SELECT min(time_ns) FROM events WHERE what='balloon_unresponsive' AND value=1");
    double after = harness_q1(db, "SELECT count(*) FROM balloon_ops WHERE finished_ns > (SELECT min(time_ns) FROM events "
                          "WHERE what='balloon_unresponsive' AND value=1)");
    db_close(db);
    cr_assert_gt(healthy, 2e9, "a healthy driver balloons the idle memory");
    cr_assert(!isnan(down) && down < 120e9, "the driver fails before it starts (at %g s)", down / 1e9);
    cr_assert_eq(flaky, 0, "an unresponsive driver moves nothing");
    cr_assert_eq(after, 0, "no operation completes while the driver is down");
}

Test(model, hot_add_grows_in_chunks_up_to_the_maximum)
{
    const char *text =
        "[simulation]\nduration = 10min\nsample_interval = 10s\n"
        "[host]\nmemory = 16GiB\n"
        "[vm v]\nmemory = 4GiB\nstartup = 1GiB\nworkload = constant\nworkload.mean = 2GiB\n"
        "workload.file_set = 0B\n"
        "[balloon]\npreset = hyperv\n"
        "[policy]\nname = hyperv-dm\n";
    char err[SIM_ERR_MAX];
    db_t *db;
    cr_assert_eq(harness_run(text, 2, &db, err), 0, "%s", err);
    double ops = harness_q1(db, "SELECT count(*) FROM balloon_ops WHERE kind='hotadd'");
    double bad_chunks = harness_q1(db, "SELECT count(*) FROM balloon_ops WHERE kind='hotadd' AND "
                               "moved_bytes % (128*1048576) != 0 AND moved_bytes + 1048576*0 < "
                               "(SELECT configured_bytes FROM vms) - 1073741824");
    double max_assigned = harness_q1(db, "SELECT max(assigned_bytes) FROM vm_samples");
    double final_assigned = harness_q1(db, "SELECT assigned_bytes FROM vm_samples ORDER BY time_ns DESC LIMIT 1");
    db_close(db);
    cr_assert_geq(ops, 1, "memory is hot-added");
    cr_assert_eq(bad_chunks, 0, "hot-add moves whole 128 MiB chunks");
    cr_assert_leq(max_assigned, 4.0 * 1073741824, "never above the maximum");
    /* committed 2 GiB + 64 MiB kernel, x 1.2 buffer: about 2.5 GiB */
    cr_assert_geq(final_assigned, 2.0 * 1073741824 * 1.2, "grown to committed x (1 + buffer): %g", final_assigned);
}

/* ------------------------------------------------------------------ output levels */

/* The output level chooses which rows are written, never the results: the same run at
 * summary, host and vm level has the same run and VM summaries; decision rows
 * (targets, balloon_ops, per-VM policy_log) exist only at vm level and only for the VMs
 * that output.vms selects; the host-wide policy log from host level up. */
Test(model, output_levels_choose_rows_not_results)
{
    static const char *fmt = "[simulation]\nduration = 30min\nsample_interval = 30s\noutput = %s\n"
                             "output.vms = idle*\n" TWO_VMS_HOST_AND_VMS;   /* README's web* form */
    const char *levels[] = {"summary", "host", "vm"};
    char text[2048], err[SIM_ERR_MAX], summary[3][4096];
    double slow[3], rows[3][7];
    const char *sql[7] = {
        "SELECT count(*) FROM host_samples",
        "SELECT count(*) FROM policy_log WHERE vm_id < 0",
        "SELECT count(*) FROM policy_log WHERE vm_id >= 0",
        "SELECT count(*) FROM balloon_ops",
        "SELECT count(*) FROM targets",
        "SELECT count(*) FROM vm_summary",
        "SELECT count(*) FROM vm_samples",
    };
    for (int l = 0; l < 3; l++) {
        db_t *db;
        snprintf(text, sizeof text, fmt, levels[l], "6GiB", "esx-share\nlog_estimates = yes");
        cr_assert_eq(harness_run(text, 5, &db, err), 0, "%s", err);
        sqlite3_stmt *st;
        cr_assert_eq(sqlite3_prepare_v2(db_handle(db),
                                        "SELECT group_concat(m || '=' || v, ' ') FROM (SELECT metric AS m, "
                                        "printf('%.17g', value) AS v FROM run_summary ORDER BY metric)",
                                        -1, &st, NULL),
                     SQLITE_OK);
        cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
        snprintf(summary[l], sizeof summary[l], "%s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        slow[l] = harness_metric(db, "mean_slowdown");
        for (int k = 0; k < 7; k++)
            rows[l][k] = harness_q1(db, sql[k]);
        if (l == 2) {
            /* only the selected group's samples and decisions are written */
            cr_assert_eq(harness_q1(db, "SELECT count(*) FROM vm_samples s JOIN vms v USING(run_id, vm_id) WHERE v.grp <> 'idle'"), 0);
            cr_assert_gt(harness_q1(db, "SELECT count(*) FROM vm_samples s JOIN vms v USING(run_id, vm_id) WHERE v.grp = 'idle'"), 0);
            cr_assert_eq(harness_q1(db, "SELECT count(*) FROM balloon_ops o JOIN vms v USING(run_id, vm_id) WHERE v.grp <> 'idle'"), 0);
            cr_assert_eq(harness_q1(db, "SELECT count(*) FROM targets t JOIN vms v USING(run_id, vm_id) WHERE v.grp <> 'idle'"), 0);
            cr_assert_eq(harness_q1(db, "SELECT count(*) FROM policy_log p JOIN vms v USING(run_id, vm_id) WHERE v.grp <> 'idle'"), 0);
        }
        db_close(db);
    }
    for (int l = 1; l < 3; l++) {
        cr_assert_str_eq(summary[l], summary[0], "run summary at output = %s", levels[l]);
        cr_assert_eq(slow[l], slow[0], "mean slowdown at output = %s", levels[l]);
        cr_assert_eq(rows[l][5], rows[0][5], "VM summaries at every level");
    }
    cr_assert_eq(rows[0][6] + rows[1][6], 0, "summary and host: no VM samples");
    cr_assert_eq(rows[0][0], 0, "summary: no host samples");
    cr_assert_gt(rows[1][0], 0, "host: host samples");
    for (int k = 1; k < 5; k++)
        cr_assert_eq(rows[0][k], 0, "summary: no decision rows (%s)", sql[k]);
    cr_assert_gt(rows[1][1], 0, "host: the host-wide policy log (state changes)");
    cr_assert_eq(rows[2][1], rows[1][1], "the host-wide policy log is the same at vm level");
    for (int k = 2; k < 5; k++) {
        cr_assert_eq(rows[1][k], 0, "host: no per-VM decision rows (%s)", sql[k]);
        cr_assert_gt(rows[2][k], 0, "vm: per-VM decision rows of the selected VMs (%s)", sql[k]);
    }
}

/* A recorder enlarges its connection's page cache while it lives and gives the old size
 * back when it goes (a sweep keeps the connection for many runs). */
Test(model, recorder_restores_the_page_cache_size)
{
    char err[SIM_ERR_MAX];
    db_t *db;
    cr_assert_eq(db_open(":memory:", &db, err, sizeof err), 0, "%s", err);
    cr_assert_eq(record_schema(db, err, sizeof err), 0, "%s", err);
    cr_assert_eq(db_exec(db, "PRAGMA cache_size=-1234", err, sizeof err), 0, "%s", err);
    record_t *r;
    cr_assert_eq(record_create(&r, db, 1, err, sizeof err), 0, "%s", err);
    cr_assert_lt(harness_q1(db, "PRAGMA cache_size"), -1234, "a recording connection has a larger cache");
    record_destroy(r);
    cr_assert_eq(harness_q1(db, "PRAGMA cache_size"), -1234);
    db_close(db);
}

/* The sample tables' indexes: dropped while a run records into an empty table, built by
 * record_finish (or, after a failure, by record_destroy); a table holding rows keeps its
 * index; record_schema re-creates one that is missing. */
static double nindex(db_t *db, const char *name)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = '%s'", name);
    return harness_q1(db, sql);
}

Test(model, sample_indexes_are_built_after_a_fresh_run_and_kept_otherwise)
{
    char err[SIM_ERR_MAX];
    db_t *db;
    cr_assert_eq(db_open(":memory:", &db, err, sizeof err), 0, "%s", err);
    cr_assert_eq(record_schema(db, err, sizeof err), 0, "%s", err);
    cr_assert_eq(nindex(db, "host_samples_run") + nindex(db, "vm_samples_run"), 2, "the schema has both");

    /* both tables empty: both indexes go while the recorder lives, and come back */
    record_t *r;
    cr_assert_eq(record_create(&r, db, 1, err, sizeof err), 0, "%s", err);
    cr_assert_eq(nindex(db, "host_samples_run") + nindex(db, "vm_samples_run"), 0);
    record_host_sample_t hs = {0, 0, 100, 50, 0, 0, "high", 0, 0};
    record_host_sample(r, &hs);
    cr_assert_eq(record_finish(r), 0, "%s", record_error(r) ? record_error(r) : "");
    cr_assert_eq(nindex(db, "host_samples_run") + nindex(db, "vm_samples_run"), 2, "record_finish builds them");
    record_destroy(r);

    /* host_samples now holds a row: its index stays during the next run, vm_samples' goes */
    unsigned mask;
    cr_assert_eq(record_defer_indexes(db, &mask, err, sizeof err), 0, "%s", err);
    cr_assert_eq(mask, 2u, "only the empty table's index is deferred (mask %u)", mask);
    cr_assert_eq(nindex(db, "host_samples_run"), 1);
    cr_assert_eq(nindex(db, "vm_samples_run"), 0);
    cr_assert_eq(record_schema(db, err, sizeof err), 0, "%s", err);
    cr_assert_eq(nindex(db, "vm_samples_run"), 1, "opening the database again repairs a missing index");

    /* a recorder destroyed without record_finish (a failed run) still builds them */
    cr_assert_eq(db_exec(db, "DELETE FROM host_samples", err, sizeof err), 0, "%s", err);
    cr_assert_eq(record_create(&r, db, 2, err, sizeof err), 0, "%s", err);
    cr_assert_eq(nindex(db, "host_samples_run"), 0);
    record_destroy(r);
    cr_assert_eq(nindex(db, "host_samples_run") + nindex(db, "vm_samples_run"), 2);
    db_close(db);
}

/* policy_vm_new_guest: the one test esx-share, mom and squeezed use to forget a guest. */
Test(model, a_new_guest_is_a_first_sight_a_stop_or_a_reboot)
{
    sim_time_t seen = -1;
    cr_assert(policy_vm_new_guest(1, 0, &seen), "running at the first tick: new");
    cr_assert_eq(seen, 0);
    cr_assert_not(policy_vm_new_guest(1, 0, &seen), "the same boot again: not new");
    cr_assert(policy_vm_new_guest(0, -1, &seen), "stopped: new (state to drop)");
    cr_assert_eq(seen, -1);
    cr_assert(policy_vm_new_guest(0, -1, &seen), "still stopped: still nothing to keep");
    cr_assert(policy_vm_new_guest(1, 600000000000, &seen), "booted again: new");
    cr_assert_eq(seen, 600000000000);
    cr_assert(policy_vm_new_guest(1, 900000000000, &seen), "rebooted without a stop seen: new");
    cr_assert_not(policy_vm_new_guest(1, 900000000000, &seen));
}
