/*
 * tests/unit/test_claims.c -- Criterion suite "claims": the summary metrics of the
 * articles' four claims (models/dc.c observe_host, docs/models.md "The four claims as
 * metrics"): host utilisation and idle memory against the recorded samples, and the
 * waits for memory on hand-made traces under `static` (which never moves memory, so a VM
 * booted below its need stays short until its need falls, it stops or the run ends).
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <gsl/gsl_statistics_double.h>
#include "tests/unit/harness.h"

/* One 1 GiB host, static, kernel and file set 0 so that need = anonymous demand. */
static const char *constant_scn =
    "[simulation]\nduration = 5min\nsample_interval = 10s\noutput = vm\n"
    "[host]\nmemory = 1GiB\n"
    "[vm a]\ncount = 2\nmemory = 384MiB\nkernel = 0B\nworkload = constant\nworkload.mean = 128MiB\n"
    "workload.file_set = 0B\n"
    "[policy]\nname = static\n";

Test(claims, utilisation_and_idle_memory_follow_the_samples)
{
    db_t *db;
    char err[SIM_ERR_MAX];
    cr_assert_eq(harness_run(constant_scn, 1, &db, err), 0, "%s", err);
    /* resident / capacity, averaged over the host samples */
    double util = harness_q1(db, "SELECT avg(s.resident_bytes * 1.0 / h.capacity_bytes) FROM host_samples s"
                                 " JOIN hosts h USING(run_id, host_id)");
    cr_assert_float_eq(harness_metric(db, "host_utilisation_mean"), util, 1e-12);
    cr_assert_gt(util, 0.2, "two VMs of 128 MiB on 1 GiB: about 0.25 (%g)", util);
    /* idle = usable - need per VM and sample; the run's value sums the VMs */
    double idle = harness_q1(db, "SELECT sum(i) / count(DISTINCT time_ns) FROM (SELECT time_ns,"
                                 " max(0, usable_bytes - min(anon_demand_bytes, 384 * 1048576)) AS i"
                                 " FROM vm_samples)");
    cr_assert_float_eq(harness_metric(db, "idle_mean_bytes"), idle, 1.0);
    /* in steady state each VM holds 384 - 128 = 256 MiB beyond its need */
    cr_assert_float_eq(harness_q1(db, "SELECT value FROM vm_summary WHERE vm_id = 0 AND metric = 'idle_mean_bytes'"),
                       256 * MIB, 1.0);
    /* static never makes a VM wait: its memory is there from the boot */
    cr_assert_eq(harness_metric(db, "demand_rises"), 0);
    cr_assert_eq(harness_metric(db, "memory_wait_p95_s"), 0);
    db_close(db);
}

static void write_trace(const char *path, const char *rows)
{
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fprintf(f, "time_s,anon_mib\n%s", rows);
    fclose(f);
}

/* Three VMs booted at 512 MiB of 1 GiB under static (usable stays 512 MiB):
 *   up:   need 256 -> 768 MiB at 60 s, back to 256 MiB at 150 s: waits 90 s (need falls);
 *   stop: need 256 -> 768 MiB at 100 s, the VM stops at 200 s: 100 s (censored at stop);
 *   end:  need 256 -> 768 MiB at 30 s, never falls: 270 s (censored at the end, 300 s);
 *   flat: need 256 -> 500 MiB at 60 s: within its memory, no rise. */
Test(claims, waits_for_memory_by_hand)
{
    char up[] = "/tmp/balloonsim-claims-up-XXXXXX", stop[] = "/tmp/balloonsim-claims-stop-XXXXXX",
         end[] = "/tmp/balloonsim-claims-end-XXXXXX", flat[] = "/tmp/balloonsim-claims-flat-XXXXXX";
    char *paths[] = {up, stop, end, flat};
    for (size_t i = 0; i < 4; i++)
        close(mkstemp(paths[i]));
    write_trace(up, "0,256\n60,768\n150,256\n");
    write_trace(stop, "0,256\n100,768\n");
    write_trace(end, "0,256\n30,768\n");
    write_trace(flat, "0,256\n60,500\n");
    const char *vm = "memory = 1GiB\nstartup = 512MiB\nkernel = 0B\nworkload = trace\nworkload.loop = no\n"
                     "workload.file_set = 0B\n";
    char text[4096];
    snprintf(text, sizeof text,
             "[simulation]\nduration = 300s\nsample_interval = 10s\noutput = summary\n[host]\nmemory = 8GiB\n"
             "[vm up]\n%sworkload.file = %s\n[vm stop]\n%sworkload.file = %s\nstop = 200s\n"
             "[vm end]\n%sworkload.file = %s\n[vm flat]\n%sworkload.file = %s\n[policy]\nname = static\n",
             vm, up, vm, stop, vm, end, vm, flat);
    db_t *db;
    char err[SIM_ERR_MAX];
    int rc = harness_run(text, 1, &db, err);
    for (size_t i = 0; i < 4; i++)
        unlink(paths[i]);
    cr_assert_eq(rc, 0, "%s", err);
    double waits[] = {90, 100, 270};          /* sorted */
    cr_assert_eq(harness_metric(db, "demand_rises"), 3);
    cr_assert_float_eq(harness_metric(db, "memory_wait_p50_s"), gsl_stats_quantile_from_sorted_data(waits, 1, 3, 0.5),
                       1e-9);
    cr_assert_float_eq(harness_metric(db, "memory_wait_p95_s"),
                       gsl_stats_quantile_from_sorted_data(waits, 1, 3, 0.95), 1e-9);
    /* 0.95 x 2 = 1.9: 100 + 0.9 x (270 - 100) */
    cr_assert_float_eq(harness_metric(db, "memory_wait_p95_s"), 253, 1e-9);
    db_close(db);
}

/* The lists capacity --budget checks names against are what a run writes, no more, no less. */
Test(claims, the_metric_lists_are_what_a_run_writes)
{
    db_t *db;
    char err[SIM_ERR_MAX];
    cr_assert_eq(harness_run(constant_scn, 1, &db, err), 0, "%s", err);
    size_t nrun = 0, nvm = 0;
    for (; dc_run_metrics[nrun]; nrun++) {
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM run_summary WHERE metric = '%s'", dc_run_metrics[nrun]);
        cr_assert_eq(harness_q1(db, sql), 1, "run metric %s", dc_run_metrics[nrun]);
    }
    for (; dc_vm_metrics[nvm]; nvm++) {
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM vm_summary WHERE vm_id = 0 AND metric = '%s'",
                 dc_vm_metrics[nvm]);
        cr_assert_eq(harness_q1(db, sql), 1, "vm metric %s", dc_vm_metrics[nvm]);
    }
    cr_assert_eq(harness_q1(db, "SELECT count(DISTINCT metric) FROM run_summary"), (double)nrun);
    cr_assert_eq(harness_q1(db, "SELECT count(DISTINCT metric) FROM vm_summary"), (double)nvm);
    db_close(db);
}
