/*
 * sim/db.c -- SQLite connection, schema version and run bookkeeping.  See db.h.
 *
 * Choices for bad input and failures (issue 10; tests/bad/06x and tests/e2e/crash.sh):
 *   - a path that exists must be a regular file: a directory or a device (/dev/null) is
 *     refused with SIM_EINPUT before SQLite sees it (":memory:" stays allowed, for tests);
 *   - a full disk (SQLITE_FULL) and a database another process holds past the busy
 *     timeout (SQLITE_BUSY/LOCKED) are SIM_EIO with a hint saying what to do; the open
 *     transaction is rolled back by the caller, so the file stays consistent.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include "sim/db.h"
#include "sim/version.h"

struct db {
    sqlite3 *h;
    char *path;
};

#define DB_BUSY_TIMEOUT_MS 10000   /* how long a write waits for another writer (db.h) */

/* Whether a file size limit (RLIMIT_FSIZE, `ulimit -f`) is set: writes beyond it fail
 * with EFBIG, which SQLite reports as a plain I/O error (SQLITE_IOERR_WRITE) and does
 * not always keep in sqlite3_system_errno. */
static int fsize_limited(void)
{
    struct rlimit rl;
    return getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY;
}

/* Message "PATH: WHAT: SQLite's reason", with a hint for the two failures a user can
 * act on: a full disk and a database another process holds. */
static int fail(db_t *db, int rc, const char *what, char *err, size_t errlen)
{
    char hint[128] = "";
    rc &= 0xff;                 /* primary code of an extended one */
    int sys = db && db->h ? sqlite3_system_errno(db->h) : 0;
    if (rc == SQLITE_FULL)
        snprintf(hint, sizeof hint, " (free space on its file system, or write elsewhere with -o)");
    else if (rc == SQLITE_IOERR && (sys == EFBIG || (!sys && fsize_limited())))
        snprintf(hint, sizeof hint, " (a file size limit is set, ulimit -f: raise it or "
                 "write elsewhere with -o)");
    else if (rc == SQLITE_IOERR && sys)
        snprintf(hint, sizeof hint, " (%s)", strerror(sys));
    else if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        snprintf(hint, sizeof hint, " (another process is writing to it; gave up after %d s)",
                 DB_BUSY_TIMEOUT_MS / 1000);
    snprintf(err, errlen, "%s: %s: %s%s", db && db->path ? db->path : "database", what,
             db && db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc), hint);
    if (rc == SQLITE_FULL || rc == SQLITE_IOERR || rc == SQLITE_BUSY || rc == SQLITE_LOCKED ||
        rc == SQLITE_CANTOPEN || rc == SQLITE_READONLY)
        return SIM_EIO;
    if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT)
        return SIM_EINPUT;
    return SIM_EIO;
}

/* The columns of runs, shared by the schema and the version-1 migration. */
#define RUNS_COLUMNS \
    "(run_id INTEGER PRIMARY KEY AUTOINCREMENT," \
    " study_key TEXT NOT NULL, run_index INTEGER NOT NULL, point_index INTEGER NOT NULL," \
    " repetition INTEGER NOT NULL, seed INTEGER NOT NULL, policy TEXT, axes TEXT," \
    " scenario_path TEXT, scenario_text TEXT, version TEXT NOT NULL," \
    " status TEXT NOT NULL CHECK (status IN ('running','complete','interrupted','failed'))," \
    " message TEXT, started_utc TEXT NOT NULL, wall_time_s REAL, events INTEGER," \
    " fingerprint TEXT, UNIQUE(study_key, run_index))"

static const char *generic_schema =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS runs" RUNS_COLUMNS ";"
    "CREATE TABLE IF NOT EXISTS run_params("
    " run_id INTEGER NOT NULL REFERENCES runs(run_id), section TEXT NOT NULL,"
    " key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY(run_id, section, key));";

/* Open path (read-write, created if missing; or read-only) and check that it is ours:
 * an SQLite file with tables but no meta is someone else's, as is one whose meta names
 * another application or a newer schema. */
static int open_checked(const char *path, int readonly, db_t **out, char *err, size_t errlen)
{
    *out = NULL;
    db_t *db = calloc(1, sizeof *db);
    if (!db || !(db->path = strdup(path))) {
        free(db);
        snprintf(err, errlen, "%s: out of memory", path);
        return SIM_ENOMEM;
    }
    /* A path that exists must be a regular file: SQLite's own messages for a directory
     * or /dev/null ("unable to open database file", "disk I/O error") do not say why. */
    struct stat pst;
    if (strcmp(path, ":memory:") != 0 && stat(path, &pst) == 0 && !S_ISREG(pst.st_mode)) {
        snprintf(err, errlen, "%s: not a database file: it is %s", path,
                 S_ISDIR(pst.st_mode) ? "a directory" : S_ISCHR(pst.st_mode) ? "a character device" :
                 S_ISBLK(pst.st_mode) ? "a block device" : S_ISFIFO(pst.st_mode) ? "a pipe" : "not a regular file");
        db_close(db);
        return SIM_EINPUT;
    }
    /* A reader opens read-write too (never created, and it writes nothing): a connection
     * opened SQLITE_OPEN_READONLY cannot remove the -wal and -shm files it makes beside a
     * WAL database, so every plot or export (refused ones too) left two new files behind
     * (issue 15); read-write, the last connection to close removes them, as SQLite's
     * other connections do.  A file the OS does not let us write is opened read-only by
     * SQLite itself. */
    int rc = sqlite3_open_v2(path, &db->h, readonly ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                             NULL);
    if (rc != SQLITE_OK) {
        int r = fail(db, rc, "cannot open", err, errlen);
        db_close(db);
        return r;
    }
    sqlite3_busy_timeout(db->h, DB_BUSY_TIMEOUT_MS);
    /* Is this file ours?  An SQLite file with tables but no meta is someone else's. */
    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(db->h,
        "SELECT (SELECT count(*) FROM sqlite_master),"
        " (SELECT count(*) FROM sqlite_master WHERE type='table' AND name='meta')", -1, &st, NULL);
    if (rc != SQLITE_OK) {
        int r = fail(db, rc, "not a readable SQLite database", err, errlen);
        db_close(db);
        return r == SIM_EIO && rc == SQLITE_NOTADB ? SIM_EINPUT : r;
    }
    int64_t nobj = 0, nmeta = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        nobj = sqlite3_column_int64(st, 0);
        nmeta = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    if ((nobj > 0 || readonly) && nmeta == 0) {
        snprintf(err, errlen, "%s: not a balloonsim database (%s)", path,
                 nobj > 0 ? "it has tables but no 'meta' table" : "it has no tables");
        db_close(db);
        return SIM_EINPUT;
    }
    if (nmeta) {
        st = NULL;
        int64_t version = -1;
        char app[64] = "";
        if (sqlite3_prepare_v2(db->h, "SELECT key, value FROM meta", -1, &st, NULL) == SQLITE_OK) {
            while (sqlite3_step(st) == SQLITE_ROW) {
                const char *k = (const char *)sqlite3_column_text(st, 0);
                const char *v = (const char *)sqlite3_column_text(st, 1);
                if (k && v && !strcmp(k, "schema_version"))
                    version = atoll(v);
                if (k && v && !strcmp(k, "application"))
                    snprintf(app, sizeof app, "%s", v);
            }
        }
        sqlite3_finalize(st);
        if (strcmp(app, "balloonsim") != 0) {
            snprintf(err, errlen, "%s: not a balloonsim database (meta.application is '%s')", path, app);
            db_close(db);
            return SIM_EINPUT;
        }
        if (version > DB_SCHEMA_VERSION) {
            snprintf(err, errlen, "%s: written by a newer balloonsim (schema version %lld, this build reads %d)",
                     path, (long long)version, DB_SCHEMA_VERSION);
            db_close(db);
            return SIM_EINPUT;
        }
    }
    *out = db;
    return SIM_OK;
}

int db_open_readonly(const char *path, db_t **out, char *err, size_t errlen)
{
    return open_checked(path, 1, out, err, errlen);
}

/* Schema version 1 -> 2: runs.run_id becomes AUTOINCREMENT, so that the id of a deleted
 * run (sweep and run delete incomplete runs before redoing them) is never given to
 * another run: a process still holding the old id would otherwise finish or fill a
 * stranger's run.  The table is rebuilt with the same columns and rows in one
 * transaction (SQLite cannot add AUTOINCREMENT in place); copying the ids seeds
 * sqlite_sequence with the largest.  Nothing else changed, so a version-1 file is
 * still read as it is. */
static int migrate_v1(db_t *db, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int64_t version = 0, autoinc = 0;
    if (sqlite3_prepare_v2(db->h, "SELECT (SELECT value FROM meta WHERE key='schema_version'),"
                           " (SELECT count(*) FROM sqlite_master WHERE name='runs' AND sql LIKE '%AUTOINCREMENT%')",
                           -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        version = sqlite3_column_int64(st, 0);
        autoinc = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    if (version >= DB_SCHEMA_VERSION)
        return SIM_OK;
    int r = db_begin(db, err, errlen);
    if (r)
        return r;
    if (!autoinc)
        r = db_exec(db, "CREATE TABLE runs_v2" RUNS_COLUMNS "; INSERT INTO runs_v2 SELECT * FROM runs;"
                    " DROP TABLE runs; ALTER TABLE runs_v2 RENAME TO runs;", err, errlen);
    if (!r) {
        char sql[128];
        snprintf(sql, sizeof sql, "UPDATE meta SET value='%d' WHERE key='schema_version'", DB_SCHEMA_VERSION);
        r = db_exec(db, sql, err, errlen);
    }
    if (!r)
        r = db_commit(db, err, errlen);
    if (r)
        db_rollback(db);
    return r;
}

int db_open(const char *path, db_t **out, char *err, size_t errlen)
{
    db_t *db;
    int r = open_checked(path, 0, &db, err, errlen);
    if (r)
        return r;
    r = db_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", err, errlen);
    if (!r)
        r = db_exec(db, generic_schema, err, errlen);
    if (!r)
        r = migrate_v1(db, err, errlen);
    if (!r) {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "INSERT OR IGNORE INTO meta VALUES('application','balloonsim');"
                 "INSERT OR IGNORE INTO meta VALUES('schema_version','%d');", DB_SCHEMA_VERSION);
        r = db_exec(db, sql, err, errlen);
    }
    if (r) {
        db_close(db);
        return r;
    }
    *out = db;
    return SIM_OK;
}

void db_remove_files(const char *path)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    char p[4400];
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        if (snprintf(p, sizeof p, "%s%s", path, suffix[i]) < (int)sizeof p)
            unlink(p);                         /* never a shortened name: another file */
    }
}

void db_close(db_t *db)
{
    if (!db)
        return;
    if (db->h)
        sqlite3_close_v2(db->h);
    free(db->path);
    free(db);
}

sqlite3 *db_handle(db_t *db) { return db->h; }
const char *db_path(const db_t *db) { return db->path; }

int db_exec(db_t *db, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db->h, sql, NULL, NULL, &msg);
    sqlite3_free(msg);
    return rc == SQLITE_OK ? SIM_OK : fail(db, rc, "write failed", err, errlen);
}

int db_prepare(db_t *db, const char *sql, sqlite3_stmt **out, char *err, size_t errlen)
{
    int rc = sqlite3_prepare_v2(db->h, sql, -1, out, NULL);
    return rc == SQLITE_OK ? SIM_OK : fail(db, rc, "cannot prepare statement", err, errlen);
}

int db_step_done(db_t *db, sqlite3_stmt *st, char *err, size_t errlen)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW)
        return SIM_OK;
    return fail(db, rc, "write failed", err, errlen);
}

int db_begin(db_t *db, char *err, size_t errlen) { return db_exec(db, "BEGIN IMMEDIATE", err, errlen); }
int db_commit(db_t *db, char *err, size_t errlen) { return db_exec(db, "COMMIT", err, errlen); }
int db_rollback(db_t *db)
{
    if (sqlite3_get_autocommit(db->h))
        return SIM_OK;
    return sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK ? SIM_OK : SIM_EIO;
}

int db_run_begin(db_t *db, const db_run_info_t *info, int64_t *out_run_id, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    int r = db_prepare(db,
        "INSERT INTO runs(study_key, run_index, point_index, repetition, seed, policy, axes,"
        " scenario_path, scenario_text, version, status, started_utc)"
        " VALUES(?,?,?,?,?,?,?,?,?,?,'running',strftime('%Y-%m-%dT%H:%M:%SZ','now'))", &st, err, errlen);
    if (r)
        return r;
    sqlite3_bind_text(st, 1, info->study_key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, info->run_index);
    sqlite3_bind_int64(st, 3, info->point_index);
    sqlite3_bind_int64(st, 4, info->repetition);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)info->seed);
    sqlite3_bind_text(st, 6, info->policy, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, info->axes ? info->axes : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, info->scenario_path, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, info->scenario_text, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 10, sim_version(), -1, SQLITE_STATIC);   /* release+model digest */
    r = db_step_done(db, st, err, errlen);
    sqlite3_finalize(st);
    if (!r)
        *out_run_id = sqlite3_last_insert_rowid(db->h);
    return r;
}

int db_run_param(db_t *db, int64_t run_id, const char *section, const char *key,
                 const char *value, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    int r = db_prepare(db, "INSERT OR REPLACE INTO run_params VALUES(?,?,?,?)", &st, err, errlen);
    if (r)
        return r;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, section, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, value, -1, SQLITE_STATIC);
    r = db_step_done(db, st, err, errlen);
    sqlite3_finalize(st);
    return r;
}

int db_run_finish(db_t *db, int64_t run_id, const char *status, double wall_s, uint64_t events,
                  const char *fingerprint, const char *message, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    int r = db_prepare(db,
        "UPDATE runs SET status=?, wall_time_s=?, events=?, fingerprint=?, message=?"
        " WHERE run_id=? AND status='running'",
        &st, err, errlen);
    if (r)
        return r;
    sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 2, wall_s);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)events);
    if (fingerprint)
        sqlite3_bind_text(st, 4, fingerprint, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 4);
    if (message)
        sqlite3_bind_text(st, 5, message, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 5);
    sqlite3_bind_int64(st, 6, run_id);
    r = db_step_done(db, st, err, errlen);
    sqlite3_finalize(st);
    /* Exactly this run's row, still 'running', must have changed: otherwise another
     * process deleted or finished it meanwhile, and this run's rows are not to be trusted. */
    if (!r && sqlite3_changes(db->h) != 1) {
        snprintf(err, errlen, "%s: run %lld is no longer in the database as 'running' (another process "
                 "deleted or finished it while this one ran; one writer at a time)", db->path, (long long)run_id);
        r = SIM_EIO;
    }
    return r;
}

int db_run_lookup(db_t *db, const char *study_key, int64_t run_index, int64_t *run_id,
                  char *status, size_t statuslen, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    int r = db_prepare(db, "SELECT run_id, status FROM runs WHERE study_key=? AND run_index=?",
                       &st, err, errlen);
    if (r)
        return -r;
    sqlite3_bind_text(st, 1, study_key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, run_index);
    int found = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        found = 1;
        *run_id = sqlite3_column_int64(st, 0);
        snprintf(status, statuslen, "%s", (const char *)sqlite3_column_text(st, 1));
    }
    sqlite3_finalize(st);
    return found;
}

int db_run_delete(db_t *db, int64_t run_id, const char *const *tables, size_t ntables,
                  char *err, size_t errlen)
{
    char sql[256];
    for (size_t i = 0; i < ntables; i++) {
        snprintf(sql, sizeof sql, "DELETE FROM %s WHERE run_id=%lld", tables[i], (long long)run_id);
        int r = db_exec(db, sql, err, errlen);
        if (r)
            return r;
    }
    snprintf(sql, sizeof sql, "DELETE FROM run_params WHERE run_id=%lld; DELETE FROM runs WHERE run_id=%lld",
             (long long)run_id, (long long)run_id);
    return db_exec(db, sql, err, errlen);
}
