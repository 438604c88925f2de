/*
 * tests/unit/harness.h -- run a scenario given as text into a temporary database and
 * query it.  Shared by the model and policy-comparison suites.
 */
#ifndef TESTS_HARNESS_H
#define TESTS_HARNESS_H

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>
#include "sim/db.h"
#include "sim/ini.h"
#include "models/dc.h"
#include "models/record.h"
#include "models/scenario.h"

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
    dc_options_t opt = {seed, NULL, 1, NULL, NULL};
    dc_result_t res;
    rc = dc_run(s, db, &info, &opt, &res, err, SIM_ERR_MAX);
    scenario_destroy(s);
    sim_ini_destroy(ini);
    *dbp = db;
    unlink(path);
    char side[64];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    return rc;
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

/* ---- a second style: run into a named database file and query it with sqlite3 ---- */
#include <stdarg.h>
#include <sqlite3.h>

static char err[SIM_ERR_MAX];
static char path[256];

static inline void remove_db(void)
{
    char p[300];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}

/* Run `text` once into a fresh database /tmp/balloonsim-test-NAME-PID.db; return it open
 * (close it with done()). */
static inline sqlite3 *run_text(const char *name, const char *text)
{
    snprintf(path, sizeof path, "/tmp/balloonsim-test-%s-%d.db", name, (int)getpid());
    remove_db();
    sim_ini_t *ini = NULL;
    scenario_t *s = NULL;
    db_t *db = NULL;
    cr_assert_eq(sim_ini_load_string(name, text, &ini, err, sizeof err), 0, "%s", err);
    cr_assert_eq(scenario_load(ini, &s, err, sizeof err), 0, "%s", err);
    cr_assert_eq(db_open(path, &db, err, sizeof err), 0, "%s", err);
    cr_assert_eq(record_schema(db, err, sizeof err), 0, "%s", err);
    db_run_info_t info = {"test", 0, 0, 0, 1, name, text, "", s->policy->name};
    dc_options_t opt = {.seed = 1, .check = 1};
    dc_result_t res;
    int rc = dc_run(s, db, &info, &opt, &res, err, sizeof err);
    cr_assert_eq(rc, 0, "dc_run: %s", err);
    db_close(db);
    scenario_destroy(s);
    sim_ini_destroy(ini);
    sqlite3 *q = NULL;
    cr_assert_eq(sqlite3_open(path, &q), SQLITE_OK);
    return q;
}

static inline void done(sqlite3 *q)
{
    sqlite3_close(q);
    remove_db();
}

/* One number from a query (printf-style); NAN when the result is NULL or empty. */
static inline double qnum(sqlite3 *q, const char *fmt, ...)
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
