/*
 * tests/unit/test_request.c -- Criterion suite "request": host memory requests
 * (models/request.h) under a policy without admission (static: the host waits for free
 * memory), their events, their summary metrics, deadline and hold; and bad [request]
 * sections.  squeezed's and hyperv-dm's answers are tested in their own suites and in
 * tests/regression/squeezed-{a..h}.ini.
 *
 * One 1 GiB host (32 MiB per-VM overhead, `hard` = 2% = 20.48 MiB) with one VM of 512 MiB
 * that touches 256 MiB: the host's free memory is 1024 - 32 - 256 = 736 MiB.
 */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <string.h>
#include "tests/unit/harness.h"


static const char *base =
    "[simulation]\nduration = 2min\nsample_interval = 10s\noutput = host\n"
    "[host]\nmemory = 1GiB\n"
    "[vm v]\nmemory = 512MiB\nkernel = 0B\nworkload = constant\nworkload.mean = 256MiB\nworkload.file_set = 0B\n%s\n"
    "[policy]\nname = static\n"
    "%s";

static db_t *run_req(const char *vm_keys, const char *requests)
{
    char text[4096], err[SIM_ERR_MAX];
    snprintf(text, sizeof text, base, vm_keys, requests);
    db_t *db;
    cr_assert_eq(harness_run(text, 1, &db, err), 0, "%s", err);
    return db;
}

Test(request, a_request_that_fits_is_granted_at_once_and_takes_its_memory)
{
    db_t *db = run_req("", "[request r]\nat = 30s\nsize = 512MiB\n");
    cr_assert_eq(harness_metric(db, "requests"), 1);
    cr_assert_eq(harness_metric(db, "requests_ok"), 1);
    cr_assert_eq(harness_metric(db, "requests_refused"), 0);
    cr_assert_eq(harness_metric(db, "request_wait_max_s"), 0);
    cr_assert_eq(harness_q1(db, "SELECT time_ns / 1e9 FROM events WHERE what = 'request_ok' AND vm_id = -1"), 30);
    cr_assert_eq(harness_q1(db, "SELECT value FROM events WHERE what = 'request' AND vm_id = -1"), 512 * MIB);
    /* the host's free memory drops by the 512 MiB granted, and stays down (hold = 0) */
    double before = harness_q1(db, "SELECT free_bytes FROM host_samples WHERE time_ns = 20e9");
    double after = harness_q1(db, "SELECT free_bytes FROM host_samples WHERE time_ns = 120e9");
    cr_assert_float_eq(before - after, 512 * MIB, 1, "free %g -> %g MiB", before / MIB, after / MIB);
    db_close(db);
}

Test(request, the_host_waits_for_free_memory_and_grants_when_a_vm_stops)
{
    /* 900 MiB do not fit beside the VM (736 MiB free); it stops at 50 s */
    db_t *db = run_req("stop = 50s", "[request r]\nat = 10s\nsize = 900MiB\ndeadline = 100s\n");
    cr_assert_eq(harness_metric(db, "requests_ok"), 1);
    cr_assert_float_eq(harness_metric(db, "request_wait_max_s"), 40, 1e-9, "granted when the VM stopped");
    cr_assert_float_eq(harness_metric(db, "request_wait_mean_s"), 40, 1e-9);
    db_close(db);
}

Test(request, a_request_still_pending_at_its_deadline_is_refused)
{
    db_t *db = run_req("", "[request r]\nat = 10s\nsize = 900MiB\ndeadline = 25s\n"
                           "[request s]\nat = 20s\nsize = 100MiB\n");
    cr_assert_eq(harness_metric(db, "requests"), 2);
    cr_assert_eq(harness_metric(db, "requests_deadline"), 1);
    cr_assert_eq(harness_metric(db, "requests_refused"), 1);
    cr_assert_eq(harness_q1(db, "SELECT time_ns / 1e9 FROM events WHERE what = 'request_deadline'"), 35);
    cr_assert_eq(harness_q1(db, "SELECT value FROM events WHERE what = 'request_deadline'"), 25, "seconds waited");
    cr_assert_eq(harness_q1(db, "SELECT vm_id FROM events WHERE what = 'request_deadline'"), -1, "[request r] is -1");
    /* s waited behind r (oldest first) and was granted once r was refused */
    cr_assert_eq(harness_q1(db, "SELECT vm_id FROM events WHERE what = 'request_ok'"), -2, "[request s] is -2");
    cr_assert_eq(harness_q1(db, "SELECT time_ns / 1e9 FROM events WHERE what = 'request_ok'"), 40,
                 "at the first check after 35 s: the sample at 40 s");
    cr_assert_eq(harness_metric(db, "requests_ok"), 1);
    db_close(db);
}

Test(request, a_held_request_gives_its_memory_back)
{
    db_t *db = run_req("", "[request r]\nat = 30s\nsize = 512MiB\nhold = 40s\n");
    double before = harness_q1(db, "SELECT free_bytes FROM host_samples WHERE time_ns = 20e9");
    double during = harness_q1(db, "SELECT free_bytes FROM host_samples WHERE time_ns = 60e9");
    double after = harness_q1(db, "SELECT free_bytes FROM host_samples WHERE time_ns = 80e9");
    cr_assert_float_eq(before - during, 512 * MIB, 1);
    cr_assert_float_eq(after, before, 1, "released at 70 s");
    db_close(db);
}

Test(request, starts_are_requests_only_under_policies_that_admit_them)
{
    db_t *db = run_req("", "");
    cr_assert_eq(harness_metric(db, "requests"), 0, "static: the VM boots at once");
    cr_assert_eq(harness_q1(db, "SELECT count(*) FROM events WHERE what = 'boot'"), 1);
    db_close(db);
    char err[SIM_ERR_MAX];
    cr_assert_eq(harness_run("[simulation]\nduration = 1min\n[host]\nmemory = 1GiB\n"
                             "[vm v]\nmemory = 512MiB\nworkload = constant\nworkload.mean = 256MiB\n"
                             "[balloon]\npreset = xen\n[policy]\nname = squeezed\n", 1, &db, err), 0, "%s", err);
    cr_assert_eq(harness_metric(db, "requests"), 1, "squeezed: the start is a request");
    cr_assert_eq(harness_metric(db, "requests_ok"), 1);
    cr_assert_eq(harness_q1(db, "SELECT value FROM events WHERE what = 'request' AND vm_id = 0"), 544 * MIB,
                 "startup + the 32 MiB per-VM overhead");
    db_close(db);
}

static void refused(const char *lines, const char *w1, const char *w2)
{
    char text[1024], err[SIM_ERR_MAX] = "";
    snprintf(text, sizeof text, "[host]\nmemory = 4GiB\n[vm a]\nmemory = 1GiB\n%s", lines);
    sim_ini_t *ini = NULL;
    scenario_t *s = NULL;
    cr_assert_eq(sim_ini_load_string("bad.ini", text, &ini, err, sizeof err), 0, "%s", err);
    cr_assert_eq(scenario_load(ini, &s, err, sizeof err), SIM_EINPUT, "accepted: %s", lines);
    cr_assert_not_null(strstr(err, w1), "message '%s' lacks '%s'", err, w1);
    cr_assert_not_null(strstr(err, w2), "message '%s' lacks '%s'", err, w2);
    sim_ini_destroy(ini);
}

Test(request, bad_request_sections_are_refused_with_their_key)
{
    refused("[request r]\nat = 1s\n", "[request r] size", "missing required key");
    refused("[request r]\nsize = 1GiB\nhost = 1\n", "[request r] host", "no host 1");
    refused("[request r]\nsize = 5GiB\n", "[request r] size", "never be granted");
    refused("[request r]\nsize = 1GiB\ndeadlin = 3s\n", "[request r] deadlin", "did you mean 'deadline'");
    refused("[request]\nsize = 1GiB\n", "[request]", "needs a name");
    refused("[request r]\nsize = 1GiB\nat = -3s\n", "[request r] at", "");
}
