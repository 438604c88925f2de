/*
 * models/record.c -- the model's tables, prepared inserts and batching.  See record.h;
 * the tables are described in docs/database.md.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "models/record.h"

const char *const record_tables[] = {"hosts", "vms", "host_samples", "vm_samples", "balloon_ops", "targets",
                                     "policy_log", "events", "vm_summary", "run_summary", "decisions", NULL};
const size_t record_ntables = sizeof record_tables / sizeof record_tables[0] - 1;

static const char *schema =
    "CREATE TABLE IF NOT EXISTS hosts(run_id INTEGER NOT NULL, host_id INTEGER NOT NULL,"
    " capacity_bytes INTEGER, reserve_bytes INTEGER, PRIMARY KEY(run_id, host_id));"
    "CREATE TABLE IF NOT EXISTS vms(run_id INTEGER NOT NULL, vm_id INTEGER NOT NULL, host_id INTEGER,"
    " grp TEXT, idx INTEGER, name TEXT, configured_bytes INTEGER, startup_bytes INTEGER, min_bytes INTEGER,"
    " shares REAL, weight REAL, PRIMARY KEY(run_id, vm_id));"
    "CREATE TABLE IF NOT EXISTS balloon_ops(run_id INTEGER NOT NULL, vm_id INTEGER NOT NULL, op INTEGER,"
    " kind TEXT, issued_ns INTEGER, started_ns INTEGER, finished_ns INTEGER, asked_bytes INTEGER,"
    " moved_bytes INTEGER, outcome TEXT);"
    "CREATE TABLE IF NOT EXISTS targets(run_id INTEGER NOT NULL, time_ns INTEGER, vm_id INTEGER,"
    " balloon_target_bytes INTEGER, usable_target_bytes INTEGER);"
    "CREATE TABLE IF NOT EXISTS policy_log(run_id INTEGER NOT NULL, time_ns INTEGER, host_id INTEGER,"
    " vm_id INTEGER, what TEXT, value REAL);"
    "CREATE TABLE IF NOT EXISTS decisions(run_id INTEGER NOT NULL, time_ns INTEGER, host_id INTEGER,"
    " vm_id INTEGER, policy TEXT, rule TEXT, usable_target_bytes INTEGER, inputs TEXT);"
    "CREATE TABLE IF NOT EXISTS events(run_id INTEGER NOT NULL, time_ns INTEGER, vm_id INTEGER, what TEXT,"
    " value REAL);"
    "CREATE TABLE IF NOT EXISTS vm_summary(run_id INTEGER NOT NULL, vm_id INTEGER NOT NULL, metric TEXT NOT NULL,"
    " value REAL, PRIMARY KEY(run_id, vm_id, metric));"
    "CREATE TABLE IF NOT EXISTS run_summary(run_id INTEGER NOT NULL, metric TEXT NOT NULL, value REAL,"
    " PRIMARY KEY(run_id, metric));"
    "CREATE VIEW IF NOT EXISTS v_vm_samples AS SELECT s.*, s.time_ns / 1e9 AS time_s,"
    " s.assigned_bytes / 1048576.0 AS assigned_mib, s.balloon_bytes / 1048576.0 AS balloon_mib,"
    " (s.anon_demand_bytes) / 1048576.0 AS demand_mib, s.cache_bytes / 1048576.0 AS cache_mib,"
    " s.usable_bytes / 1048576.0 AS usable_mib, v.name AS vm_name, v.grp AS grp"
    " FROM vm_samples s JOIN vms v USING(run_id, vm_id);"
    "CREATE VIEW IF NOT EXISTS v_host_samples AS SELECT *, time_ns / 1e9 AS time_s,"
    " free_bytes / 1048576.0 AS free_mib FROM host_samples;"
    "CREATE VIEW IF NOT EXISTS v_balloon_ops AS SELECT *, (finished_ns - issued_ns) / 1e9 AS latency_s,"
    " moved_bytes / 1048576.0 AS moved_mib FROM balloon_ops;"
    "CREATE VIEW IF NOT EXISTS v_summary AS SELECT r.run_id, r.study_key, r.point_index, r.repetition,"
    " r.seed, r.policy, r.axes, r.status, s.metric, s.value FROM runs r JOIN run_summary s USING(run_id);";

/* The sample columns (record.h: one row per column; the order is the table's). */
#define HS(f) offsetof(record_host_sample_t, f)
static const record_column_t host_sample_cols[] = {
    {"free_bytes", RECORD_PAGES, HS(free_pages), "bytes", "host memory not backing any VM, the reserve or overheads"},
    {"resident_bytes", RECORD_PAGES, HS(resident_pages), "bytes", "guest pages the host backs, over its running VMs"},
    {"host_swapped_bytes", RECORD_PAGES, HS(host_swapped_pages), "bytes", "guest pages the host has swapped out"},
    {"balloon_bytes", RECORD_PAGES, HS(balloon_pages), "bytes", "memory held by the balloons of its VMs"},
    {"state", RECORD_TEXT, HS(state), "", "ESX memory state of free memory: high, soft, hard or low"},
    {"swap_out_bytes_per_s", RECORD_PAGES_RATE, HS(swap_out_pages_per_s), "bytes/s",
     "host swap-out rate since the previous sample"},
    {"faults_per_s", RECORD_REAL, HS(faults_per_s), "1/s", "host swap faults since the previous sample"},
};
#undef HS
#define VS(f) offsetof(record_vm_sample_t, f)
static const record_column_t vm_sample_cols[] = {
    {"assigned_bytes", RECORD_PAGES, VS(assigned), "bytes", "guest-physical memory assigned (balloon + usable)"},
    {"balloon_bytes", RECORD_PAGES, VS(balloon), "bytes", "memory held by the balloon"},
    {"balloon_target_bytes", RECORD_PAGES, VS(balloon_target), "bytes", "the balloon size the policy asked for"},
    {"usable_bytes", RECORD_PAGES, VS(usable), "bytes", "memory the guest can use (assigned - balloon)"},
    {"anon_demand_bytes", RECORD_PAGES, VS(anon_demand), "bytes", "anonymous memory the workload wants"},
    {"anon_bytes", RECORD_PAGES, VS(anon), "bytes", "anonymous memory resident in the guest"},
    {"guest_swapped_bytes", RECORD_PAGES, VS(guest_swapped), "bytes", "anonymous memory in the guest's swap"},
    {"cache_bytes", RECORD_PAGES, VS(cache), "bytes", "page cache"},
    {"file_set_bytes", RECORD_PAGES, VS(file_set), "bytes", "the workload's file working set"},
    {"free_bytes", RECORD_PAGES, VS(free), "bytes", "free guest memory"},
    {"host_swapped_bytes", RECORD_PAGES, VS(host_swapped), "bytes", "guest pages the host has swapped out"},
    {"hit_ratio", RECORD_REAL, VS(hit_ratio), "fraction", "page-cache hit ratio"},
    {"cache_miss_per_s", RECORD_REAL, VS(cache_miss_per_s), "1/s", "page-cache misses (disk reads)"},
    {"guest_swapin_per_s", RECORD_REAL, VS(guest_swapin_per_s), "1/s", "guest swap-in faults"},
    {"host_fault_per_s", RECORD_REAL, VS(host_fault_per_s), "1/s", "faults on host-swapped pages"},
    {"major_faults_per_s", RECORD_REAL, VS(major_faults_per_s), "1/s", "the three above together"},
    {"stall_fraction", RECORD_REAL, VS(stall_fraction), "fraction", "stall / (interval + stall), as PSI some"},
    {"slowdown", RECORD_REAL, VS(slowdown), "factor >= 1", "1 + stall / interval"},
};
#undef VS
const record_sample_table_t record_host_sample_table = {
    "host_samples", "host_id", host_sample_cols, sizeof host_sample_cols / sizeof host_sample_cols[0]};
const record_sample_table_t record_vm_sample_table = {
    "vm_samples", "vm_id", vm_sample_cols, sizeof vm_sample_cols / sizeof vm_sample_cols[0]};

static const char *sql_type(record_kind_t k)
{
    return k == RECORD_PAGES ? "INTEGER" : k == RECORD_TEXT ? "TEXT" : "REAL";
}

/* "CREATE TABLE IF NOT EXISTS T(run_id INTEGER NOT NULL, E INTEGER NOT NULL, time_ns
 * INTEGER NOT NULL, col TYPE, ...)" (insert 0) or "INSERT INTO T VALUES(?,...)" (1). */
static int sample_sql(const record_sample_table_t *t, int insert, char *buf, size_t len)
{
    size_t n = insert ? (size_t)snprintf(buf, len, "INSERT INTO %s VALUES(?,?,?", t->table)
                      : (size_t)snprintf(buf, len, "CREATE TABLE IF NOT EXISTS %s(run_id INTEGER NOT NULL, "
                                         "%s INTEGER NOT NULL, time_ns INTEGER NOT NULL", t->table, t->entity);
    for (size_t i = 0; i < t->ncols && n < len; i++)
        n += insert ? (size_t)snprintf(buf + n, len - n, ",?")
                    : (size_t)snprintf(buf + n, len - n, ", %s %s", t->cols[i].name, sql_type(t->cols[i].kind));
    if (n < len)
        n += (size_t)snprintf(buf + n, len - n, ")");
    return n < len ? SIM_OK : SIM_EINTERNAL;
}

/* Bind the columns of sample s from parameter `first` on. */
static void bind_sample(sqlite3_stmt *st, int first, const record_sample_table_t *t, const void *s)
{
    for (size_t i = 0; i < t->ncols; i++) {
        const char *f = (const char *)s + t->cols[i].offset;
        int k = first + (int)i;
        switch (t->cols[i].kind) {
        case RECORD_PAGES: sqlite3_bind_int64(st, k, *(const int64_t *)(const void *)f * SIM_PAGE_BYTES); break;
        case RECORD_PAGES_RATE: sqlite3_bind_double(st, k, *(const double *)(const void *)f * SIM_PAGE_BYTES); break;
        case RECORD_REAL: sqlite3_bind_double(st, k, *(const double *)(const void *)f); break;
        case RECORD_TEXT: sqlite3_bind_text(st, k, *(const char *const *)(const void *)f, -1, SQLITE_STATIC); break;
        }
    }
}

static const record_sample_table_t *const sample_tables[] = {&record_host_sample_table, &record_vm_sample_table};
enum { SAMPLE_SQL_MAX = 4096 };

enum { ST_HOST, ST_VM, ST_EVENT, ST_TARGET, ST_POLICY, ST_OP, ST_HS, ST_VS, ST_VSUM, ST_RSUM, ST_DEC, ST_N };
static const char *sqls[ST_N] = {
    "INSERT INTO hosts VALUES(?,?,?,?)",
    "INSERT INTO vms VALUES(?,?,?,?,?,?,?,?,?,?,?)",
    "INSERT INTO events VALUES(?,?,?,?,?)",
    "INSERT INTO targets VALUES(?,?,?,?,?)",
    "INSERT INTO policy_log VALUES(?,?,?,?,?,?)",
    "INSERT INTO balloon_ops VALUES(?,?,?,?,?,?,?,?,?,?)",
    NULL,                       /* ST_HS, ST_VS: generated from the column tables */
    NULL,
    "INSERT OR REPLACE INTO vm_summary VALUES(?,?,?,?)",
    "INSERT OR REPLACE INTO run_summary VALUES(?,?,?)",
    "INSERT INTO decisions VALUES(?,?,?,?,?,?,?,?)",
};

/* Rows per transaction.  A commit writes every page the batch dirtied; the samples of one
 * time go to as many places of the (run, entity, time) indexes as there are entities, so
 * small batches rewrite the same index pages again and again (measured: committing every
 * sample time of a 200-VM run wrote 500 MB to the WAL for a 9 MB database).  dc.c also
 * commits at sample times, but at most once per 10 s of wall time. */
enum { BATCH_ROWS = 1 << 18 };

struct record {
    db_t *db;
    int64_t run_id;
    sqlite3_stmt *st[ST_N];
    int in_tx;
    uint64_t batch, rows;
    uint64_t *fp;
    int64_t cache_before;       /* the connection's cache_size pragma, restored at the end */
    unsigned deferred;          /* indexes dropped by record_create, built by record_finish */
    char err[SIM_ERR_MAX];
    int failed;
};

/* The sample tables' indexes (what plots and per-entity queries read by).  A run into an
 * empty sample table builds its index after the rows instead of during them
 * (record_create drops it, record_finish creates it): the samples of one time go to as
 * many places of a (run, entity, time) index as there are entities, while CREATE INDEX
 * sorts once.  dc-large, 24 h: 1.44 M host samples, 7 % of the run's wall time with the
 * index kept during the run (interleaved 6 h runs, bench_dc).  A table that already holds
 * rows (a second run into the same file, a sweep) keeps its index, so no run ever
 * re-sorts another's rows.  Every open (record_schema) re-creates a missing index, so a
 * process killed in mid-run leaves a database that the next run or sweep repairs; until
 * then queries are only slower. */
static const struct {
    const char *table, *index, *create;
} sample_indexes[] = {
    {"host_samples", "host_samples_run",
     "CREATE INDEX IF NOT EXISTS host_samples_run ON host_samples(run_id, host_id, time_ns)"},
    {"vm_samples", "vm_samples_run", "CREATE INDEX IF NOT EXISTS vm_samples_run ON vm_samples(run_id, vm_id, time_ns)"},
};
enum { NSAMPLE_INDEXES = sizeof sample_indexes / sizeof sample_indexes[0] };

int record_build_indexes(db_t *db, char *err, size_t errlen)
{
    for (size_t i = 0; i < NSAMPLE_INDEXES; i++) {
        int rc = db_exec(db, sample_indexes[i].create, err, errlen);
        if (rc)
            return rc;
    }
    return SIM_OK;
}

int record_schema(db_t *db, char *err, size_t errlen)
{
    char sql[SAMPLE_SQL_MAX];
    int rc = SIM_OK;
    for (size_t i = 0; i < sizeof sample_tables / sizeof sample_tables[0] && !rc; i++)
        if (!(rc = sample_sql(sample_tables[i], 0, sql, sizeof sql)))
            rc = db_exec(db, sql, err, errlen);
    if (!rc)
        rc = db_exec(db, schema, err, errlen);
    return rc ? rc : record_build_indexes(db, err, errlen);
}

/* Drop the index of every sample table that is empty, in one write transaction (a
 * concurrent writer cannot add rows between the check and the drop).  *mask gets a bit
 * per dropped index. */
int record_defer_indexes(db_t *db, unsigned *mask, char *err, size_t errlen)
{
    *mask = 0;
    int rc = db_begin(db, err, errlen);
    if (rc)
        return rc;
    for (size_t i = 0; i < NSAMPLE_INDEXES && !rc; i++) {
        char sql[128];
        sqlite3_stmt *st;
        snprintf(sql, sizeof sql, "SELECT 1 FROM %s LIMIT 1", sample_indexes[i].table);
        if ((rc = db_prepare(db, sql, &st, err, errlen)))
            break;
        int step = sqlite3_step(st);
        sqlite3_finalize(st);
        if (step == SQLITE_DONE) {
            snprintf(sql, sizeof sql, "DROP INDEX IF EXISTS %s", sample_indexes[i].index);
            if (!(rc = db_exec(db, sql, err, errlen)))
                *mask |= 1u << i;
        } else if (step != SQLITE_ROW) {
            snprintf(err, errlen, "%s", sqlite3_errmsg(db_handle(db)));
            rc = SIM_EIO;
        }
    }
    if (rc || (rc = db_commit(db, err, errlen))) {
        db_rollback(db);
        *mask = 0;
    }
    return rc;
}

int record_create(record_t **out, db_t *db, int64_t run_id, char *err, size_t errlen)
{
    *out = NULL;
    record_t *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return SIM_ENOMEM;
    }
    r->db = db;
    r->run_id = run_id;
    r->cache_before = -2000;                    /* SQLite's default, if it cannot be read */
    sqlite3_stmt *cs;
    if (sqlite3_prepare_v2(db_handle(db), "PRAGMA cache_size", -1, &cs, NULL) == SQLITE_OK) {
        if (sqlite3_step(cs) == SQLITE_ROW)
            r->cache_before = sqlite3_column_int64(cs, 0);
        sqlite3_finalize(cs);
    }
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA cache_size=-%d", RECORD_CACHE_KIB);
    int prc = db_exec(db, pragma, err, errlen);
    if (prc) {
        free(r);
        return prc;
    }
    int rc = record_defer_indexes(db, &r->deferred, err, errlen);
    for (int i = 0; i < ST_N && !rc; i++) {
        char sql[SAMPLE_SQL_MAX];
        const char *text = sqls[i];
        if (!text) {
            if ((rc = sample_sql(i == ST_HS ? &record_host_sample_table : &record_vm_sample_table, 1, sql,
                                 sizeof sql))) {
                snprintf(err, errlen, "sample table SQL longer than %d bytes", SAMPLE_SQL_MAX);
                break;
            }
            text = sql;
        }
        rc = db_prepare(db, text, &r->st[i], err, errlen);
    }
    if (rc) {
        record_destroy(r);
        return rc;
    }
    *out = r;
    return SIM_OK;
}

void record_destroy(record_t *r)
{
    if (!r)
        return;
    if (r->in_tx)
        db_rollback(r->db);
    for (int i = 0; i < ST_N; i++)
        sqlite3_finalize(r->st[i]);
    char pragma[64], err[SIM_ERR_MAX];
    if (r->deferred)                            /* a run that failed: best effort */
        record_build_indexes(r->db, err, sizeof err);
    snprintf(pragma, sizeof pragma, "PRAGMA cache_size=%lld", (long long)r->cache_before);
    db_exec(r->db, pragma, err, sizeof err);    /* best effort: only memory is at stake */
    free(r);
}

const char *record_error(const record_t *r) { return r->failed ? r->err : NULL; }
uint64_t record_rows(const record_t *r) { return r->rows; }
void record_set_fingerprint(record_t *r, uint64_t *fp) { r->fp = fp; }

int record_flush(record_t *r)
{
    if (r->failed)
        return SIM_EIO;
    if (r->in_tx) {
        if (db_commit(r->db, r->err, sizeof r->err)) {
            r->failed = 1;
            db_rollback(r->db);
            r->in_tx = 0;
            return SIM_EIO;
        }
        r->in_tx = 0;
    }
    r->batch = 0;
    return SIM_OK;
}

void record_keep_unindexed(record_t *r) { r->deferred = 0; }

int record_finish(record_t *r)
{
    if (record_flush(r))
        return SIM_EIO;
    unsigned deferred = r->deferred;
    r->deferred = 0;                            /* tried once: record_destroy does not retry */
    if (deferred && record_build_indexes(r->db, r->err, sizeof r->err)) {
        r->failed = 1;
        return SIM_EIO;
    }
    return SIM_OK;
}

static void hash(record_t *r, int64_t x)
{
    if (!r->fp)
        return;
    uint64_t h = *r->fp;
    for (int i = 0; i < 8; i++) {
        h ^= (uint64_t)(x >> (8 * i)) & 0xff;
        h *= 0x100000001b3ULL;
    }
    *r->fp = h;
}

static void hash_str(record_t *r, const char *s)
{
    while (s && *s)
        hash(r, *s++);
}

/* Begin a batch if needed; returns the statement or NULL when failed. */
static sqlite3_stmt *row(record_t *r, int which)
{
    if (r->failed)
        return NULL;
    if (!r->in_tx) {
        if (db_begin(r->db, r->err, sizeof r->err)) {
            r->failed = 1;
            return NULL;
        }
        r->in_tx = 1;
    }
    sqlite3_stmt *st = r->st[which];
    sqlite3_bind_int64(st, 1, r->run_id);
    return st;
}

static void done(record_t *r, sqlite3_stmt *st)
{
    if (db_step_done(r->db, st, r->err, sizeof r->err)) {
        r->failed = 1;
        return;
    }
    /* No sqlite3_clear_bindings: every insert binds all of its parameters (record_op binds
     * NULL explicitly), so stale values cannot leak into the next row. */
    r->rows++;
    if (++r->batch >= BATCH_ROWS)
        record_flush(r);
}

void record_host(record_t *r, int32_t host_id, int64_t capacity_pages, int64_t reserve_pages)
{
    sqlite3_stmt *st = row(r, ST_HOST);
    if (!st)
        return;
    sqlite3_bind_int(st, 2, host_id);
    sqlite3_bind_int64(st, 3, capacity_pages * SIM_PAGE_BYTES);
    sqlite3_bind_int64(st, 4, reserve_pages * SIM_PAGE_BYTES);
    done(r, st);
}

void record_vm(record_t *r, int32_t vm_id, int32_t host_id, const char *grp, int32_t idx, const char *name,
               int64_t configured_pages, int64_t startup_pages, int64_t min_pages, double shares, double weight)
{
    sqlite3_stmt *st = row(r, ST_VM);
    if (!st)
        return;
    sqlite3_bind_int(st, 2, vm_id);
    sqlite3_bind_int(st, 3, host_id);
    sqlite3_bind_text(st, 4, grp, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 5, idx);
    sqlite3_bind_text(st, 6, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 7, configured_pages * SIM_PAGE_BYTES);
    sqlite3_bind_int64(st, 8, startup_pages * SIM_PAGE_BYTES);
    sqlite3_bind_int64(st, 9, min_pages * SIM_PAGE_BYTES);
    sqlite3_bind_double(st, 10, shares);
    sqlite3_bind_double(st, 11, weight);
    done(r, st);
}

void record_event(record_t *r, sim_time_t t, int32_t vm_id, const char *what, double value)
{
    hash(r, t);
    hash(r, vm_id);
    hash_str(r, what);
    sqlite3_stmt *st = row(r, ST_EVENT);
    if (!st)
        return;
    sqlite3_bind_int64(st, 2, t);
    sqlite3_bind_int(st, 3, vm_id);
    sqlite3_bind_text(st, 4, what, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 5, value);
    done(r, st);
}

void record_target(record_t *r, sim_time_t t, int32_t vm_id, int64_t balloon_target_pages, int64_t usable_pages,
                   int write)
{
    hash(r, t);
    hash(r, vm_id);
    hash(r, balloon_target_pages);
    if (!write)
        return;
    sqlite3_stmt *st = row(r, ST_TARGET);
    if (!st)
        return;
    sqlite3_bind_int64(st, 2, t);
    sqlite3_bind_int(st, 3, vm_id);
    sqlite3_bind_int64(st, 4, balloon_target_pages * SIM_PAGE_BYTES);
    sqlite3_bind_int64(st, 5, usable_pages * SIM_PAGE_BYTES);
    done(r, st);
}

void record_policy(record_t *r, sim_time_t t, int32_t host_id, int32_t vm_id, const char *what, double value,
                   int write)
{
    hash(r, t);
    hash_str(r, what);
    if (!write)
        return;
    sqlite3_stmt *st = row(r, ST_POLICY);
    if (!st)
        return;
    sqlite3_bind_int64(st, 2, t);
    sqlite3_bind_int(st, 3, host_id);
    sqlite3_bind_int(st, 4, vm_id);
    sqlite3_bind_text(st, 5, what, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 6, value);
    done(r, st);
}

void record_decision(record_t *r, sim_time_t t, int32_t host_id, int32_t vm_id, const char *policy,
                     const char *rule, int64_t target_pages, const char *inputs)
{
    /* Not hashed: the fingerprint of a run does not depend on whether it writes this table. */
    sqlite3_stmt *st = row(r, ST_DEC);
    if (!st)
        return;
    sqlite3_bind_int64(st, 2, t);
    sqlite3_bind_int(st, 3, host_id);
    sqlite3_bind_int(st, 4, vm_id);
    sqlite3_bind_text(st, 5, policy, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, rule, -1, SQLITE_TRANSIENT);
    if (target_pages >= 0)
        sqlite3_bind_int64(st, 7, target_pages * SIM_PAGE_BYTES);
    else
        sqlite3_bind_null(st, 7);
    sqlite3_bind_text(st, 8, inputs, -1, SQLITE_TRANSIENT);
    done(r, st);
}

void record_op(record_t *r, int32_t vm_id, int64_t op, const char *kind, sim_time_t issued, sim_time_t started,
               sim_time_t finished, int64_t asked_pages, int64_t moved_pages, const char *outcome, int write)
{
    hash(r, vm_id);
    hash(r, issued);
    hash(r, finished);
    hash(r, moved_pages);
    hash_str(r, outcome);
    if (!write)
        return;
    sqlite3_stmt *st = row(r, ST_OP);
    if (!st)
        return;
    sqlite3_bind_int(st, 2, vm_id);
    sqlite3_bind_int64(st, 3, op);
    sqlite3_bind_text(st, 4, kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, issued);
    if (started >= 0)
        sqlite3_bind_int64(st, 6, started);
    else
        sqlite3_bind_null(st, 6);
    sqlite3_bind_int64(st, 7, finished);
    sqlite3_bind_int64(st, 8, asked_pages * SIM_PAGE_BYTES);
    sqlite3_bind_int64(st, 9, moved_pages * SIM_PAGE_BYTES);
    sqlite3_bind_text(st, 10, outcome, -1, SQLITE_STATIC);
    done(r, st);
}

void record_host_sample(record_t *r, const record_host_sample_t *s)
{
    hash(r, s->t);
    hash(r, s->free_pages);
    hash(r, s->host_swapped_pages);
    sqlite3_stmt *st = row(r, ST_HS);
    if (!st)
        return;
    sqlite3_bind_int(st, 2, s->host_id);
    sqlite3_bind_int64(st, 3, s->t);
    bind_sample(st, 4, &record_host_sample_table, s);
    done(r, st);
}

void record_vm_sample(record_t *r, const record_vm_sample_t *s)
{
    hash(r, s->vm_id);
    hash(r, s->balloon);
    hash(r, s->usable);
    sqlite3_stmt *st = row(r, ST_VS);
    if (!st)
        return;
    sqlite3_bind_int(st, 2, s->vm_id);
    sqlite3_bind_int64(st, 3, s->t);
    bind_sample(st, 4, &record_vm_sample_table, s);
    done(r, st);
}

void record_vm_summary(record_t *r, int32_t vm_id, const char *metric, double value)
{
    sqlite3_stmt *st = row(r, ST_VSUM);
    if (!st)
        return;
    sqlite3_bind_int(st, 2, vm_id);
    sqlite3_bind_text(st, 3, metric, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 4, value);
    done(r, st);
}

void record_run_summary(record_t *r, const char *metric, double value)
{
    sqlite3_stmt *st = row(r, ST_RSUM);
    if (!st)
        return;
    sqlite3_bind_text(st, 2, metric, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 3, value);
    done(r, st);
}
