/*
 * tests/unit/test_fuzz_regressions.c -- Criterion suite "fuzz_regressions": every crash,
 * hang or sanitizer report that the fuzzers (fuzz/fuzz_*.c, `make fuzz`) found, replayed
 * as a small input through the same library call, with the behaviour the fix chose, and
 * the hazards found around them.
 * (Findings that show at the command line are also cases in tests/bad/.)
 *
 *   trace span     fuzz_trace: a trace whose rows span close to 2^63 ns overflowed the
 *                  loop cycle t[n-1] + (t[n-1] - t[n-2]) (signed overflow, then a negative
 *                  modulus in replay).  Rule: a trace spans at most 4e18 ns (~126 years);
 *                  beyond, SIM_EINPUT naming file and line.  The largest allowed span
 *                  loads, and its cycle is after its last point (invariant T3).
 *   study values   found by review while writing fuzz_study (the fuzzer did not reach
 *                  it; a memory blow-up, not a crash): a scenario of many
 *                  "${0..999999}" lines built every value of every axis before the point
 *                  count overflowed (16 such axes: 6 s, 630 MB; a 16 MiB file: out of
 *                  memory).  Rule: at most 4 x SIM_STUDY_MAX_VALUES values over all axes,
 *                  else SIM_EINPUT naming the entry that crosses the limit; an axis of
 *                  SIM_STUDY_MAX_VALUES with a lock-step partner stays allowed.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/ini.h"
#include "sim/study.h"
#include "models/trace.h"
#include "models/workload.h"

static char err[SIM_ERR_MAX];

/* A temporary file with the given text; returns its path (static buffer). */
static const char *temp_file(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/test_fuzz_XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    size_t n = strlen(text);
    cr_assert_eq(write(fd, text, n), (ssize_t)n);
    close(fd);
    return path;
}

static int load(const char *text, workload_trace_t **tr)
{
    const char *path = temp_file(text);
    err[0] = '\0';
    int rc = workload_trace_load(path, tr, err, sizeof err);
    unlink(path);
    return rc;
}

Test(fuzz_regressions, csv_trace_span_near_int64_is_refused)
{
    workload_trace_t *tr = (workload_trace_t *)0x1;
    /* 0, 5e9 s, 9e9 s: the cycle would be 1.3e19 ns */
    int rc = load("time_s,anon_mib\n0,1\n5e9,2\n9e9,3\n", &tr);
    cr_assert_eq(rc, SIM_EINPUT, "rc %d: %s", rc, err);
    cr_assert_null(tr);
    cr_assert_not_null(strstr(err, ":3: time 5e9 is too far from the first row"), "%s", err);
}

Test(fuzz_regressions, bitbrains_span_near_int64_is_refused)
{
    workload_trace_t *tr = (workload_trace_t *)0x1;
    /* the fuzzer's input, reduced: ms timestamps 9e15 ms apart (9e18 ns) */
    int rc = load("Timestamp [ms];\tMemory capacity provisioned [KB];\tMemory usage [KB]\n"
                  "100000000000;\t4194304;\t1000\n"
                  "5000000100000000000;\t4194304;\t2000\n", &tr);
    cr_assert_eq(rc, SIM_EINPUT, "rc %d: %s", rc, err);
    cr_assert_null(tr);
    cr_assert_not_null(strstr(err, ":3: Timestamp 5000000100000000000 is too far"), "%s", err);
}

Test(fuzz_regressions, largest_span_loads_and_loops)
{
    workload_trace_t *tr = NULL;
    int rc = load("time_s,anon_mib\n0,1\n2e9,2\n4e9,3\n", &tr);   /* exactly 4e18 ns */
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(tr->n, 3);
    cr_assert_eq(tr->t_ns[2], INT64_C(4000000000000000000));
    cr_assert_eq(tr->cycle_ns, INT64_C(6000000000000000000), "cycle %lld", (long long)tr->cycle_ns);
    cr_assert_gt(tr->cycle_ns, tr->t_ns[tr->n - 1]);
    workload_trace_destroy(tr);
}

Test(fuzz_regressions, study_total_values_are_bounded)
{
    sim_ini_t *ini = NULL;
    int rc = sim_ini_load_string("s.ini", "[a]\nk1 = ${0..999999}\nk2 = ${0..999999}\n"
                                 "k3 = ${0..999999}\nk4 = ${0..999999}\nk5 = ${0..999999}\n",
                                 &ini, err, sizeof err);
    cr_assert_eq(rc, 0, "%s", err);
    sim_study_t *st = (sim_study_t *)0x1;
    rc = sim_study_expand(ini, 1, &st, err, sizeof err);
    cr_assert_eq(rc, SIM_EINPUT, "rc %d", rc);
    cr_assert_null(st);
    cr_assert_not_null(strstr(err, "s.ini:6: [a] k5"), "%s", err);
    cr_assert_not_null(strstr(err, "more than 4000000 values in all"), "%s", err);
    sim_ini_destroy(ini);
}

Test(fuzz_regressions, study_largest_axis_with_partner_is_allowed)
{
    sim_ini_t *ini = NULL;
    int rc = sim_ini_load_string("s.ini", "[a]\nk1 = ${n=1..1000000}\nk2 = ${0..999999 ! n}\n",
                                 &ini, err, sizeof err);
    cr_assert_eq(rc, 0, "%s", err);
    sim_study_t *st = NULL;
    rc = sim_study_expand(ini, 1, &st, err, sizeof err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(sim_study_points(st), 1000000);
    cr_assert_str_eq(sim_study_axis_value(st, 999999, 1), "999999");
    sim_study_destroy(st);
    sim_ini_destroy(ini);
}
