/*
 * tests/unit/test_sweep.c -- Criterion suite "sweep": the --runs selection parser, the
 * per-point statistics (mean, sample sd, 95% CI half-width with Student's t) and the
 * point_summary table (cli/cmd_sweep.c, cli/stats.c).
 *
 * Known answers are computed by hand: for {1, 2, 3, 4} the mean is 2.5, the sample
 * variance (1.5^2 + 0.5^2 + 0.5^2 + 1.5^2) / 3 = 5/3, sd = 1.2909944, and with
 * t(0.975, 3) = 3.1824463 (printed t tables) the half-width is 3.1824463 * 1.2909944 / 2
 * = 2.0542603.  For two values {2, 4}: sd = sqrt(2), t(0.975, 1) = 12.7062047, so the
 * half-width is 12.7062047 * |4 - 2| / 2 = 12.7062047.
 */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sim/db.h"
#include "models/record.h"

#include "cli/common.h"
#include "cli/cmd_sweep.h"
#include "cli/stats.h"

static char err[SIM_ERR_MAX];

static void expect_selection(const char *spec, size_t nruns, const char *want)
{
    unsigned char sel[64] = {0};
    err[0] = 0;
    cr_assert_eq(sweep_parse_runs(spec, nruns, sel, err, sizeof err), 0, "'%s': %s", spec, err);
    for (size_t r = 0; r < nruns; r++)
        cr_expect_eq(sel[r], want[r] == '1', "'%s': run %zu selected=%d, expected %c", spec, r, sel[r], want[r]);
}

static void expect_refused(const char *spec, size_t nruns, const char *word)
{
    unsigned char sel[64] = {0};
    err[0] = 0;
    cr_assert_eq(sweep_parse_runs(spec, nruns, sel, err, sizeof err), SIM_EINPUT, "'%s' was accepted", spec);
    cr_expect_not_null(strstr(err, "--runs"), "message '%s' does not name --runs", err);
    if (word)
        cr_expect_not_null(strstr(err, word), "message '%s' lacks '%s'", err, word);
}

Test(sweep, runs_list_and_ranges)
{
    /*                                  0123456789012345678 */
    expect_selection("0-9,17", 20,     "11111111110000000100");
    expect_selection("17", 20,         "00000000000000000100");
    expect_selection("3 , 1-2", 6,     "011100");
    expect_selection("4-", 7,          "0000111");
    expect_selection("0-0,5-5", 6,     "100001");
    expect_selection("2-4,3-5", 8,     "00111100");     /* overlaps are a union */
    expect_selection("0-", 3,          "111");
}

Test(sweep, runs_refused)
{
    expect_refused("", 10, NULL);
    expect_refused("a", 10, "'a'");
    expect_refused("1,,2", 10, NULL);
    expect_refused("-3", 10, NULL);
    expect_refused("5-2", 10, "5-2");
    expect_refused("1-2-3", 10, "1-2-3");
    expect_refused("10", 10, "outside the study");
    expect_refused("8-12", 10, "run 12");
    expect_refused("0-9,99", 10, "run 99");
    expect_refused("3x", 10, "3x");
    expect_refused("99999999999999999999999", 10, NULL);
}

Test(sweep, stats_known_answers)
{
    double mean, sd, ci;
    const double a[] = {1, 2, 3, 4};
    cr_assert_eq(stats_summary(a, 4, &mean, &sd, &ci), 4);
    cr_expect_float_eq(mean, 2.5, 1e-12);
    cr_expect_float_eq(sd, 1.2909944487358056, 1e-9);
    cr_expect_float_eq(ci, 2.0542603, 1e-6);

    const double b[] = {4, 2};
    stats_summary(b, 2, &mean, &sd, &ci);
    cr_expect_float_eq(mean, 3, 1e-12);
    cr_expect_float_eq(sd, sqrt(2), 1e-12);
    cr_expect_float_eq(ci, 12.7062047, 1e-6);

    /* Large n: t(0.975, 99) = 1.9842169, so ci = 1.9842169 * sd / 10. */
    double c[100];
    for (int i = 0; i < 100; i++)
        c[i] = i % 2 ? 1.0 : -1.0;            /* mean 0, sample sd sqrt(100/99) */
    stats_summary(c, 100, &mean, &sd, &ci);
    cr_expect_float_eq(mean, 0, 1e-12);
    cr_expect_float_eq(sd, sqrt(100.0 / 99.0), 1e-12);
    cr_expect_float_eq(ci, 1.9842169 * sqrt(100.0 / 99.0) / 10, 1e-6);
}

Test(sweep, stats_degenerate)
{
    double mean, sd, ci;
    const double one[] = {7.5};
    cr_assert_eq(stats_summary(one, 1, &mean, &sd, &ci), 1);
    cr_expect_float_eq(mean, 7.5, 1e-12);
    cr_expect(isnan(sd), "sd of one value must be undefined, got %g", sd);
    cr_expect(isnan(ci), "ci of one value must be undefined, got %g", ci);

    const double same[] = {3, 3, 3};
    stats_summary(same, 3, &mean, &sd, &ci);
    cr_expect_eq(sd, 0.0, "identical values must have sd 0, got %g", sd);
    cr_expect_eq(ci, 0.0, "identical values must have ci 0, got %g", ci);

    cr_assert_eq(stats_summary(one, 0, &mean, &sd, &ci), 0);
    cr_expect(isnan(mean));
}

/* A run of study `key` at (point, rep) with status and one run_summary metric. */
static void add_run(db_t *db, const char *key, int64_t run_index, int64_t point, const char *status, double value)
{
    db_run_info_t ri = {key, run_index, point, run_index % 3, 1000 + (uint64_t)run_index, "t.ini", "[x]",
                        point ? "tau=0.5" : "tau=0", "static"};
    int64_t id;
    cr_assert_eq(db_run_begin(db, &ri, &id, err, sizeof err), 0, "%s", err);
    char sql[256];
    snprintf(sql, sizeof sql, "INSERT INTO run_summary VALUES(%lld, 'stall_s', %.17g)", (long long)id, value);
    cr_assert_eq(db_exec(db, sql, err, sizeof err), 0, "%s", err);
    cr_assert_eq(db_run_finish(db, id, status, 0.1, 10, NULL, NULL, err, sizeof err), 0, "%s", err);
}

Test(sweep, point_summary_table)
{
    char path[] = "/tmp/test_sweep_XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    unlink(path);
    db_t *db = NULL;
    cr_assert_eq(db_open(path, &db, err, sizeof err), 0, "%s", err);
    cr_assert_eq(record_schema(db, err, sizeof err), 0, "%s", err);
    /* study A: point 0 = {1, 2, 3, 4} over runs 0-3 (run 4 failed: not counted),
     *          point 1 = {10} (one repetition) */
    add_run(db, "A", 0, 0, "complete", 1);
    add_run(db, "A", 3, 0, "complete", 4);         /* out of order: order must not matter */
    add_run(db, "A", 1, 0, "complete", 2);
    add_run(db, "A", 2, 0, "complete", 3);
    add_run(db, "A", 4, 0, "failed", 1000);
    add_run(db, "A", 5, 0, "running", 1000);
    add_run(db, "A", 6, 1, "complete", 10);
    add_run(db, "B", 0, 0, "complete", 2);          /* another study: its own rows */
    add_run(db, "B", 1, 0, "complete", 4);
    cr_assert_eq(stats_point_summary(db, err, sizeof err), 0, "%s", err);
    /* Rebuilding is idempotent. */
    cr_assert_eq(stats_point_summary(db, err, sizeof err), 0, "%s", err);

    sqlite3_stmt *st;
    cr_assert_eq(db_prepare(db, "SELECT study_key, point_index, axes, policy, metric, n, mean, sd, ci95,"
                                " sd IS NULL FROM point_summary ORDER BY study_key, point_index", &st, err,
                            sizeof err), 0, "%s", err);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_expect_str_eq((const char *)sqlite3_column_text(st, 0), "A");
    cr_expect_eq(sqlite3_column_int64(st, 1), 0);
    cr_expect_str_eq((const char *)sqlite3_column_text(st, 2), "tau=0");
    cr_expect_str_eq((const char *)sqlite3_column_text(st, 3), "static");
    cr_expect_str_eq((const char *)sqlite3_column_text(st, 4), "stall_s");
    cr_expect_eq(sqlite3_column_int64(st, 5), 4, "failed/running runs must not count");
    cr_expect_float_eq(sqlite3_column_double(st, 6), 2.5, 1e-12);
    cr_expect_float_eq(sqlite3_column_double(st, 7), 1.2909944487358056, 1e-9);
    cr_expect_float_eq(sqlite3_column_double(st, 8), 2.0542603, 1e-6);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_expect_eq(sqlite3_column_int64(st, 1), 1);
    cr_expect_str_eq((const char *)sqlite3_column_text(st, 2), "tau=0.5");
    cr_expect_eq(sqlite3_column_int64(st, 5), 1);
    cr_expect_float_eq(sqlite3_column_double(st, 6), 10, 1e-12);
    cr_expect_eq(sqlite3_column_int64(st, 9), 1, "sd of one repetition is stored as NULL");
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_expect_str_eq((const char *)sqlite3_column_text(st, 0), "B");
    cr_expect_float_eq(sqlite3_column_double(st, 6), 3, 1e-12);
    cr_expect_float_eq(sqlite3_column_double(st, 8), 12.7062047, 1e-6);
    cr_expect_eq(sqlite3_step(st), SQLITE_DONE, "one row per (study, point, metric)");
    sqlite3_finalize(st);
    db_close(db);
    db_remove_files(path);
}
