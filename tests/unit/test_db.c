/*
 * tests/unit/test_db.c -- Criterion suite "db": run bookkeeping of sim/db.c (issue 15).
 *
 *   - run ids are never reused: a deleted run's id is not given to the next run
 *     (runs.run_id AUTOINCREMENT, schema version 2);
 *   - db_run_finish changes exactly its own 'running' row: finishing a run that another
 *     process deleted, or finished already, fails instead of reporting success;
 *   - a version-1 database (run_id without AUTOINCREMENT) is migrated by db_open with its
 *     rows and ids kept, and its ids are not reused afterwards.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/db.h"

static char err[SIM_ERR_MAX];

static void temp_path(char *path, size_t len)
{
    snprintf(path, len, "/tmp/test_db_XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    unlink(path);
}

static int64_t begin_run(db_t *db, int64_t index)
{
    db_run_info_t ri = {"study", index, 0, 0, 1, "s.ini", "[host]", "", "static"};
    int64_t id = -1;
    cr_assert_eq(db_run_begin(db, &ri, &id, err, sizeof err), 0, "%s", err);
    return id;
}

static int64_t query_int(db_t *db, const char *sql)
{
    sqlite3_stmt *st;
    cr_assert_eq(db_prepare(db, sql, &st, err, sizeof err), 0, "%s", err);
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return v;
}

Test(db, deleted_run_id_not_reused)
{
    char path[64];
    temp_path(path, sizeof path);
    db_t *db;
    cr_assert_eq(db_open(path, &db, err, sizeof err), 0, "%s", err);
    int64_t a = begin_run(db, 0), b = begin_run(db, 1);
    cr_assert_eq(db_run_delete(db, b, NULL, 0, err, sizeof err), 0, "%s", err);
    int64_t c = begin_run(db, 1);
    cr_expect_gt(c, b, "run id %lld of a deleted run was reused (got %lld)", (long long)b, (long long)c);
    cr_expect_gt(b, a);
    db_close(db);
    db_remove_files(path);
}

Test(db, finish_changes_exactly_its_own_row)
{
    char path[64];
    temp_path(path, sizeof path);
    db_t *db;
    cr_assert_eq(db_open(path, &db, err, sizeof err), 0, "%s", err);
    int64_t a = begin_run(db, 0);
    cr_assert_eq(db_run_finish(db, a, "complete", 1, 1, "0", NULL, err, sizeof err), 0, "%s", err);
    /* finished already: a second finish is refused */
    cr_expect_eq(db_run_finish(db, a, "complete", 1, 1, "0", NULL, err, sizeof err), SIM_EIO);
    cr_expect(strstr(err, "no longer in the database") != NULL, "%s", err);
    /* deleted by someone else meanwhile */
    int64_t b = begin_run(db, 1);
    cr_assert_eq(db_run_delete(db, b, NULL, 0, err, sizeof err), 0, "%s", err);
    cr_expect_eq(db_run_finish(db, b, "complete", 1, 1, "0", NULL, err, sizeof err), SIM_EIO);
    cr_expect_eq(query_int(db, "SELECT count(*) FROM runs WHERE status='complete'"), 1);
    db_close(db);
    db_remove_files(path);
}

Test(db, version_1_migrated)
{
    char path[64];
    temp_path(path, sizeof path);
    sqlite3 *h;
    cr_assert_eq(sqlite3_open(path, &h), SQLITE_OK);
    /* the version-1 schema as main wrote it before issue 15 */
    cr_assert_eq(sqlite3_exec(h,
        "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "INSERT INTO meta VALUES('application','balloonsim'),('schema_version','1');"
        "CREATE TABLE runs(run_id INTEGER PRIMARY KEY,"
        " study_key TEXT NOT NULL, run_index INTEGER NOT NULL, point_index INTEGER NOT NULL,"
        " repetition INTEGER NOT NULL, seed INTEGER NOT NULL, policy TEXT, axes TEXT,"
        " scenario_path TEXT, scenario_text TEXT, version TEXT NOT NULL,"
        " status TEXT NOT NULL CHECK (status IN ('running','complete','interrupted','failed')),"
        " message TEXT, started_utc TEXT NOT NULL, wall_time_s REAL, events INTEGER,"
        " fingerprint TEXT, UNIQUE(study_key, run_index));"
        "CREATE TABLE run_params(run_id INTEGER NOT NULL REFERENCES runs(run_id), section TEXT NOT NULL,"
        " key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY(run_id, section, key));"
        "INSERT INTO runs VALUES(7,'old',0,0,0,1,'static','','s.ini','x','0.1','complete',NULL,"
        " '2026-01-01T00:00:00Z',1.0,5,'abc');", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);

    db_t *db;
    cr_assert_eq(db_open(path, &db, err, sizeof err), 0, "%s", err);
    cr_expect_eq(query_int(db, "SELECT value FROM meta WHERE key='schema_version'"), DB_SCHEMA_VERSION);
    cr_expect_eq(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name='runs' AND sql LIKE '%AUTOINCREMENT%'"), 1);
    cr_expect_eq(query_int(db, "SELECT count(*) FROM runs WHERE run_id=7 AND fingerprint='abc'"), 1);
    sqlite3_stmt *st;
    cr_assert_eq(db_prepare(db, "PRAGMA integrity_check", &st, err, sizeof err), 0, "%s", err);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_expect_str_eq((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    int64_t a = begin_run(db, 0);
    cr_expect_gt(a, 7);
    cr_assert_eq(db_run_delete(db, a, NULL, 0, err, sizeof err), 0, "%s", err);
    cr_expect_gt(begin_run(db, 0), a);
    db_close(db);
    db_remove_files(path);
}
