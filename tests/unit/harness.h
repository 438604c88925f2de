/*
 * tests/unit/harness.h -- run a scenario given as text into a temporary database and
 * query it.  Shared by the model and policy suites: one API, every name harness_*.
 */
#ifndef TESTS_HARNESS_H
#define TESTS_HARNESS_H

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "sim/db.h"
#include "sim/ini.h"
#include "models/dc.h"
#include "models/record.h"
#include "models/scenario.h"

/* Bytes in a MiB, as a double (the suites compare sizes in MiB). */
#define MIB (1024.0 * 1024.0)

/* Run scenario text once (conservation check on); returns dc_run's code and leaves the
 * database open in *dbp (its file is already unlinked; the caller closes it). */
static inline int harness_run(const char *text, uint64_t seed, db_t **dbp, char *err)
{
    sim_ini_t *ini;
    scenario_t *s;
    int rc = sim_ini_load_string("test.ini", text, &ini, err, SIM_ERR_MAX);
    cr_assert_eq(rc, 0, "%s", err);
    rc = scenario_load(ini, &s, err, SIM_ERR_MAX);
    cr_assert_eq(rc, 0, "%s", err);
    char path[] = "/tmp/balloonsim-test-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    unlink(path);
    db_t *db;
    cr_assert_eq(db_open(path, &db, err, SIM_ERR_MAX), 0, "%s", err);
    cr_assert_eq(record_schema(db, err, SIM_ERR_MAX), 0, "%s", err);
    db_run_info_t info = {"test", 0, 0, 0, seed, "test.ini", text, "", s->policy->name};
    dc_options_t opt = {.seed = seed, .check = 1};
    dc_result_t res;
    rc = dc_run(s, db, &info, &opt, &res, err, SIM_ERR_MAX);
    scenario_destroy(s);
    sim_ini_destroy(ini);
    *dbp = db;
    db_remove_files(path);
    return rc;
}

/* The [policy] section `name = policy` plus `lines` must be refused at load (SIM_EINPUT)
 * with a message that contains w1 and w2 (the key, and why). */
static inline void harness_policy_refused(const char *policy, const char *lines, const char *w1, const char *w2)
{
    char text[1024], err[SIM_ERR_MAX] = "";
    snprintf(text, sizeof text, "[host]\nmemory = 4GiB\n[vm a]\nmemory = 1GiB\n[policy]\nname = %s\n%s", policy,
             lines);
    sim_ini_t *ini = NULL;
    scenario_t *s = NULL;
    cr_assert_eq(sim_ini_load_string("bad.ini", text, &ini, err, sizeof err), 0, "%s", err);
    cr_assert_eq(scenario_load(ini, &s, err, sizeof err), SIM_EINPUT, "accepted: %s", lines);
    cr_assert_null(s);
    cr_assert_not_null(strstr(err, w1), "message '%s' lacks '%s'", err, w1);
    cr_assert_not_null(strstr(err, w2), "message '%s' lacks '%s'", err, w2);
    sim_ini_destroy(ini);
}

static inline double harness_q1(db_t *db, const char *sql)
{
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL), SQLITE_OK, "%s", sql);
    double v = NAN;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    return v;
}

static inline double harness_metric(db_t *db, const char *name)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT value FROM run_summary WHERE metric='%s'", name);
    return harness_q1(db, sql);
}

/* ---- a second style: run into a database file, then query the file with sqlite3 ---- */
#include <stdarg.h>
#include <sqlite3.h>

static char harness_path[256];          /* the database of harness_run_text() */

static inline void harness_remove_db(const char *p) { db_remove_files(p); }

/* Run `text` once with `seed` (conservation check on) into a fresh database
 * /tmp/balloonsim-test-PID-TAG.db, whose name is written to out, and close it. */
static inline void harness_run_file(const char *tag, const char *text, uint64_t seed, char *out, size_t len)
{
    char e[SIM_ERR_MAX] = "";
    snprintf(out, len, "/tmp/balloonsim-test-%ld-%s.db", (long)getpid(), tag);
    harness_remove_db(out);
    sim_ini_t *ini = NULL;
    scenario_t *s = NULL;
    db_t *db = NULL;
    cr_assert_eq(sim_ini_load_string(tag, text, &ini, e, sizeof e), 0, "%s", e);
    cr_assert_eq(scenario_load(ini, &s, e, sizeof e), 0, "%s", e);
    cr_assert_eq(db_open(out, &db, e, sizeof e), 0, "%s", e);
    cr_assert_eq(record_schema(db, e, sizeof e), 0, "%s", e);
    db_run_info_t info = {"test", 0, 0, 0, seed, tag, text, "", s->policy->name};
    dc_options_t opt = {.seed = seed, .check = 1};
    dc_result_t res;
    int rc = dc_run(s, db, &info, &opt, &res, e, sizeof e);
    cr_assert_eq(rc, 0, "dc_run: %s", e);
    db_close(db);
    scenario_destroy(s);
    sim_ini_destroy(ini);
}

/* First column of the first row of `sql` in the database file p (NAN when no row). */
static inline double harness_q1_file(const char *p, const char *sql)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    cr_assert_eq(sqlite3_open_v2(p, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(h));
    double v = NAN;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

/* Mean of a vm_summary metric over the VMs of group grp in database file p. */
static inline double harness_vm_metric(const char *p, const char *grp, const char *metric)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT avg(s.value) FROM vm_summary s JOIN vms v USING (run_id, vm_id) "
             "WHERE v.grp = '%s' AND s.metric = '%s'", grp, metric);
    double v = harness_q1_file(p, sql);
    cr_assert(!isnan(v), "no %s for group %s", metric, grp);
    return v;
}

/* Run `text` with seed 1 and return its database open (close it with harness_done()). */
static inline sqlite3 *harness_run_text(const char *name, const char *text)
{
    harness_run_file(name, text, 1, harness_path, sizeof harness_path);
    sqlite3 *q = NULL;
    cr_assert_eq(sqlite3_open(harness_path, &q), SQLITE_OK);
    return q;
}

static inline void harness_done(sqlite3 *q)
{
    sqlite3_close(q);
    harness_remove_db(harness_path);
}

/* One number from a query (printf-style); NAN when the result is NULL or empty. */
static inline double harness_qnum(sqlite3 *q, const char *fmt, ...)
{
    char sql[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    sqlite3_stmt *st = NULL;
    cr_assert_eq(sqlite3_prepare_v2(q, sql, -1, &st, NULL), SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(q));
    double v = NAN;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    return v;
}

#endif
