/*
 * sim/db.h -- the SQLite results database (db_*): connection, schema version, runs.
 *
 * One database per run or per sweep.  This module owns the generic part of the
 * schema: `meta` (application, schema_version) and `runs` (one row per run with
 * scenario text, resolved parameters, seed, repetition, axes, version, status, wall
 * time, events, fingerprint) and `run_params` (one row per resolved key, so sweeps
 * can be plotted against any parameter).  The models add their tables through
 * db_exec (models/record.c); every table carries run_id.
 *
 * Durability and consistency (docs/database.md):
 *   - journal_mode=WAL, synchronous=NORMAL, busy_timeout 10 s (a database held by
 *     another writer waits, then fails with a clear message).
 *   - run_id is AUTOINCREMENT (schema version 2): a deleted run's id is never reused,
 *     and db_run_finish changes exactly its own 'running' row or fails.
 *   - a run is inserted with status 'running' in its own transaction before any
 *     sample; samples are written in batched transactions; db_run_finish sets
 *     'complete' | 'interrupted' | 'failed'.  A process killed at any moment leaves
 *     every committed batch and a run still marked 'running' (= incomplete): readers
 *     and `sweep` treat any status but 'complete' as not done.
 *   - a database written by a newer schema, or an SQLite file that is not ours, is
 *     refused with SIM_EINPUT.
 *
 * Run status state machine:
 *     (none) --db_run_begin--> running --db_run_finish--> complete | interrupted | failed
 *     running/interrupted/failed --db_run_delete (sweep resume)--> (none)
 */
#ifndef SIM_DB_H
#define SIM_DB_H

#include <sqlite3.h>
#include "sim/types.h"

/* 2: runs.run_id AUTOINCREMENT (ids of deleted runs never reused); db_open migrates a
 * version-1 file, which readers still accept as it is. */
#define DB_SCHEMA_VERSION 2
#define DB_SCHEMA_OLDEST_READ 1

typedef struct db db_t;

typedef struct db_run_info {
    const char *study_key;     /* identifies the study (hash of the scenario and overrides) */
    int64_t run_index;         /* run number within the study */
    int64_t point_index;
    int64_t repetition;
    uint64_t seed;
    const char *scenario_path;
    const char *scenario_text;
    const char *axes;          /* "tau=0.25" or "" */
    const char *policy;        /* policy name, for convenience in queries */
} db_run_info_t;

int db_open(const char *path, db_t **out, char *err, size_t errlen);
/* Open an existing balloonsim database for reading only: the same checks as db_open,
 * nothing written (no schema, no WAL switch), and readers never wait for a run that is
 * recording into it (WAL).  A file without tables is refused (SIM_EINPUT).  The
 * connection is read-write at the SQLite level only so that, when it is the last one, its
 * close removes the -wal and -shm files (no file left beside the input). */
int db_open_readonly(const char *path, db_t **out, char *err, size_t errlen);
void db_close(db_t *db);                                   /* accepts NULL */
/* Delete a database file and its -wal, -shm and -journal companions (missing ones are
 * fine). */
void db_remove_files(const char *path);
sqlite3 *db_handle(db_t *db);
const char *db_path(const db_t *db);

int db_exec(db_t *db, const char *sql, char *err, size_t errlen);
int db_prepare(db_t *db, const char *sql, sqlite3_stmt **out, char *err, size_t errlen);
/* Step a bound insert/update statement to completion and reset it. */
int db_step_done(db_t *db, sqlite3_stmt *st, char *err, size_t errlen);
int db_begin(db_t *db, char *err, size_t errlen);
int db_commit(db_t *db, char *err, size_t errlen);
int db_rollback(db_t *db);

int db_run_begin(db_t *db, const db_run_info_t *info, int64_t *out_run_id, char *err, size_t errlen);
int db_run_param(db_t *db, int64_t run_id, const char *section, const char *key,
                 const char *value, char *err, size_t errlen);
/* Mark a 'running' run finished.  SIM_EIO when no row changed: the run was deleted or
 * finished by another process meanwhile (the caller must not report it complete). */
int db_run_finish(db_t *db, int64_t run_id, const char *status, double wall_s, uint64_t events,
                  const char *fingerprint, const char *message, char *err, size_t errlen);
/* Status of (study_key, run_index): 1 and *status filled if a row exists, 0 if none. */
int db_run_lookup(db_t *db, const char *study_key, int64_t run_index, int64_t *run_id,
                  char *status, size_t statuslen, char *err, size_t errlen);
/* Delete an incomplete run and every row of it in the given tables. */
int db_run_delete(db_t *db, int64_t run_id, const char *const *tables, size_t ntables,
                  char *err, size_t errlen);

#endif
