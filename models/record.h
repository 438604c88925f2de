/*
 * models/record.h -- the model's tables in the results database (record_*).
 *
 * Tables (every one keyed by run_id; column names carry units; times are simulated
 * nanoseconds `*_ns` with views giving seconds):
 *   hosts(run_id, host_id, capacity_bytes, reserve_bytes)
 *   vms(run_id, vm_id, host_id, grp, idx, name, configured_bytes, startup_bytes, min_bytes,
 *       shares, weight)
 *   host_samples(run_id, host_id, time_ns, ...)  -- columns: record_host_sample_table
 *   vm_samples(run_id, vm_id, time_ns, ...)      -- columns: record_vm_sample_table
 *       (`balloonsim columns` lists both, with units; docs/database.md)
 *   balloon_ops(run_id, vm_id, op, kind, issued_ns, started_ns, finished_ns, asked_bytes,
 *       moved_bytes, outcome)
 *   targets(run_id, time_ns, vm_id, balloon_target_bytes, usable_target_bytes)
 *   policy_log(run_id, time_ns, host_id, vm_id, what, value)
 *   events(run_id, time_ns, vm_id, what, value)        -- boot, shutdown, oom, ...
 *   decisions(run_id, time_ns, host_id, vm_id, policy, rule, usable_target_bytes, inputs)
 *       -- one row per VM per policy tick (output.decisions; docs/database.md): inputs is
 *       a JSON object of what the policy saw, usable_target_bytes the usable memory it asked
 *       for or NULL
 *   vm_summary(run_id, vm_id, metric, value)           -- long format, one row per metric
 *   run_summary(run_id, metric, value)
 * Views: v_vm_samples / v_host_samples (time_s, *_mib), v_summary (runs joined with
 * run_summary and axes), v_balloon_ops (latency_s).
 * Writes are batched: a transaction is committed every BATCH_ROWS rows (record.c), and
 * dc.c commits at sample times at least 10 s of wall time apart and at the end of the
 * run, so SQLite rewrites its index pages rarely; a crash loses at most the open batch,
 * never consistency.  The sample tables' indexes are built at the end of a run that
 * starts on an empty table (record_finish; record.c says why).  On an error the
 * recorder remembers it (record_error) and ignores later writes; the run then stops and
 * is marked failed.  While a recorder exists its connection keeps a larger page cache
 * (RECORD_CACHE_KIB), restored by record_destroy.
 */
#ifndef MODELS_RECORD_H
#define MODELS_RECORD_H

#include <stddef.h>
#include "sim/db.h"

typedef struct record record_t;

/* Page cache of the connection while a run records: big enough that a batch's dirty index
 * pages stay in memory until the commit (SQLite's default is 2 MB).  KiB, negative as the
 * pragma wants it. */
#define RECORD_CACHE_KIB 65536

extern const char *const record_tables[];     /* every table with run rows, NULL-terminated */
extern const size_t record_ntables;

int record_schema(db_t *db, char *err, size_t errlen);
int record_create(record_t **out, db_t *db, int64_t run_id, char *err, size_t errlen);
void record_destroy(record_t *r);                    /* accepts NULL; rolls back an open batch */
/* Commit the open batch (call at sample times). */
int record_flush(record_t *r);
/* End of a run: commit the open batch and build the indexes record_create deferred (a
 * run into an empty sample table indexes it once, at the end: record.c).  SIM_EIO with
 * record_error set on failure; record_destroy without it still builds them, best effort. */
int record_finish(record_t *r);
/* Leave the indexes record_create deferred unbuilt: for a database that is only copied
 * out in rowid order and then deleted (a sweep worker's scratch database), where they
 * would be built for nothing. */
void record_keep_unindexed(record_t *r);
/* The sample tables' indexes: record_defer_indexes drops those of empty tables (bit i of
 * *mask per dropped index), record_build_indexes creates any that is missing (no-op when
 * all exist).  bench_sqlite's raw side loads its rows the same way. */
int record_defer_indexes(db_t *db, unsigned *mask, char *err, size_t errlen);
int record_build_indexes(db_t *db, char *err, size_t errlen);
const char *record_error(const record_t *r);         /* NULL if no error */
uint64_t record_rows(const record_t *r);
void record_set_fingerprint(record_t *r, uint64_t *fp);  /* where integer fields are hashed */

void record_host(record_t *r, int32_t host_id, int64_t capacity_pages, int64_t reserve_pages);
void record_vm(record_t *r, int32_t vm_id, int32_t host_id, const char *grp, int32_t idx, const char *name,
               int64_t configured_pages, int64_t startup_pages, int64_t min_pages, double shares, double weight);
void record_event(record_t *r, sim_time_t t, int32_t vm_id, const char *what, double value);
/* Decision rows (targets, policy_log, balloon_ops) are hashed into the fingerprint and
 * written only when `write` is set: the output level decides (models/dc.c).  Decision
 * rows left out still count in the fingerprint; samples count only when written, so
 * which samples a run writes does change it (docs/database.md, output levels). */
void record_target(record_t *r, sim_time_t t, int32_t vm_id, int64_t balloon_target_pages, int64_t usable_pages,
                   int write);
void record_policy(record_t *r, sim_time_t t, int32_t host_id, int32_t vm_id, const char *what, double value,
                   int write);
/* A decisions row (target_pages < 0: NULL).  Never hashed into the fingerprint: writing
 * the table or not leaves a run's results and fingerprint unchanged. */
void record_decision(record_t *r, sim_time_t t, int32_t host_id, int32_t vm_id, const char *policy,
                     const char *rule, int64_t target_pages, const char *inputs);
void record_op(record_t *r, int32_t vm_id, int64_t op, const char *kind, sim_time_t issued, sim_time_t started,
               sim_time_t finished, int64_t asked_pages, int64_t moved_pages, const char *outcome, int write);

typedef struct record_host_sample {
    int32_t host_id;
    sim_time_t t;
    int64_t free_pages, resident_pages, host_swapped_pages, balloon_pages;
    const char *state;
    double swap_out_pages_per_s, faults_per_s;
} record_host_sample_t;
void record_host_sample(record_t *r, const record_host_sample_t *s);

typedef struct record_vm_sample {
    int32_t vm_id;
    sim_time_t t;
    int64_t assigned, balloon, balloon_target, usable, anon_demand, anon, guest_swapped, cache, file_set,
        free, host_swapped;  /* pages */
    double hit_ratio, cache_miss_per_s, guest_swapin_per_s, host_fault_per_s, major_faults_per_s,
        stall_fraction, slowdown;
} record_vm_sample_t;
void record_vm_sample(record_t *r, const record_vm_sample_t *s);

/* THE SAMPLE COLUMNS ARE ONE TABLE each (record.c): a row names the column (its unit in
 * the suffix), says how its field of the sample struct is stored, and explains it.  The
 * CREATE TABLE, the INSERT and its bindings, and `balloonsim columns` (the listing in
 * docs/database.md) are generated from it.  Adding a column is one row here plus its
 * field in the struct, and DB_SCHEMA_VERSION + 1 (sim/db.h): merge refuses databases of
 * another version. */
typedef enum {
    RECORD_PAGES,       /* int64_t pages, stored as INTEGER bytes */
    RECORD_PAGES_RATE,  /* double pages/s, stored as REAL bytes/s */
    RECORD_REAL,        /* double, stored as REAL */
    RECORD_TEXT         /* const char *, stored as TEXT */
} record_kind_t;

typedef struct record_column {
    const char *name;
    record_kind_t kind;
    size_t offset;               /* of the field in the sample struct */
    const char *unit;            /* for people: "bytes", "1/s", "fraction" ... */
    const char *help;
} record_column_t;

typedef struct record_sample_table {
    const char *table;           /* "vm_samples" */
    const char *entity;          /* its key column after run_id: "vm_id"; then time_ns */
    const record_column_t *cols;
    size_t ncols;
} record_sample_table_t;

extern const record_sample_table_t record_host_sample_table, record_vm_sample_table;
void record_vm_summary(record_t *r, int32_t vm_id, const char *metric, double value);
void record_run_summary(record_t *r, const char *metric, double value);

#endif
