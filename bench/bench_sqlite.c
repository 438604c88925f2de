/*
 * bench/bench_sqlite.c -- the simulator's recording rate against the raw SQLite insert
 * rate of the same rows (issue 9: VM-level output at >= 70% of raw SQLite).
 *
 *   bench_sqlite FILE [--set K=V]... [--reps N]
 *
 * 1. SIMULATOR.  Run 0 of FILE (overrides applied; use output = vm) is run through the
 *    same code path as `balloonsim run FILE -o DB --quiet` (cli_load, cli_run_one) into a
 *    fresh database; its wall time covers loading the scenario, simulating, recording,
 *    committing and closing the database.  Rate = rows of the run / wall time (rows of
 *    every table of record_tables, plus its runs and run_params rows).
 * 2. RAW SQLITE.  The same rows are read back into memory, table by table in rowid order
 *    (typed values: no SQLite objects), and then inserted into a fresh database with
 *    nothing else to do: db_open (WAL, synchronous=NORMAL, as every balloonsim database),
 *    record_schema (the same tables and indexes), the recorder's page-cache size, the
 *    sample tables' indexes dropped and built after the rows as the recorder does
 *    (record_defer_indexes / record_build_indexes), one prepared INSERT per table,
 *    sqlite3_bind_* of every column, step and reset, all in one transaction, then commit
 *    and close -- the best an application can do with this schema through the C API.  Rate = rows / wall time from open to close.
 * 3. MARGINAL.  The same run at output = summary (no host or VM samples; the simulation,
 *    including the advance of every VM at sample times, is the same): the recording rate
 *    of the samples is (rows - rows at summary) / (wall - wall at summary), which does
 *    not depend on how much simulating a scenario does per row.
 * Each side is the best of --reps runs (default 3): the machine is shared, interference
 * only ever slows a run down.  Printed: rows, the three rates, the ratios simulator / raw
 * (whole run, and marginal), and the vm_samples share of the rows.  Asserts nothing; exit status 1 if a run fails, 2 on
 * bad usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>

#include "sim/engine.h"
#include "sim/db.h"
#include "cli/common.h"
#include "cli/cmd_run.h"
#include "cli/cmd_validate.h"
#include "models/record.h"


/* ---------------------------------------------------------------- simulator */

static int run_sim(const char *file, char **sets, size_t nsets, const char *db, double *wall_s)
{
    db_remove_files(db);
    char err[SIM_ERR_MAX];
    double t0 = sim_wall_s();
    int rc = cli_run_file(file, sets, nsets, 0, db, err, sizeof err);
    *wall_s = sim_wall_s() - t0;
    if (rc)
        fprintf(stderr, "bench_sqlite: %s: %s\n", file, err);
    return rc;
}

/* Rows of every table of the (only) run in db; -1 on error. */
static double count_rows(const char *db)
{
    sqlite3 *h;
    double n = 0;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(h);
        return -1;
    }
    const char *fixed[] = {"runs", "run_params"};
    for (size_t i = 0; i < 2 + record_ntables && n >= 0; i++) {
        char sql[128];
        sqlite3_stmt *st;
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", i < 2 ? fixed[i] : record_tables[i - 2]);
        if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
            n += (double)sqlite3_column_int64(st, 0);
        else
            n = -1;
        sqlite3_finalize(st);
    }
    sqlite3_close(h);
    return n;
}

/* ---------------------------------------------------------------- rows in memory */

typedef struct value {
    int type;                      /* SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_NULL */
    union { sqlite3_int64 i; double d; char *s; } u;
} value_t;

typedef struct table_rows {
    const char *name;
    int ncols;
    size_t nrows;
    value_t *v;                    /* nrows * ncols */
} table_rows_t;

static int load_table(sqlite3 *h, const char *name, table_rows_t *t)
{
    char sql[256];
    sqlite3_stmt *st;
    memset(t, 0, sizeof *t);
    t->name = name;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", name);
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return 1;
    }
    size_t n = (size_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    snprintf(sql, sizeof sql, "SELECT * FROM %s ORDER BY rowid", name);
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
        return 1;
    t->ncols = sqlite3_column_count(st);
    t->v = calloc(n ? n * (size_t)t->ncols : 1, sizeof *t->v);
    if (!t->v) {
        sqlite3_finalize(st);
        return 1;
    }
    while (t->nrows < n && sqlite3_step(st) == SQLITE_ROW) {
        value_t *row = &t->v[t->nrows * (size_t)t->ncols];
        for (int c = 0; c < t->ncols; c++) {
            row[c].type = sqlite3_column_type(st, c);
            if (row[c].type == SQLITE_INTEGER)
                row[c].u.i = sqlite3_column_int64(st, c);
            else if (row[c].type == SQLITE_FLOAT)
                row[c].u.d = sqlite3_column_double(st, c);
            else if (row[c].type == SQLITE_TEXT)
                row[c].u.s = strdup((const char *)sqlite3_column_text(st, c));
            else
                row[c].type = SQLITE_NULL;
        }
        t->nrows++;
    }
    sqlite3_finalize(st);
    return 0;
}

static void free_table(table_rows_t *t)
{
    for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
        if (t->v[i].type == SQLITE_TEXT)
            free(t->v[i].u.s);
    free(t->v);
}

/* ---------------------------------------------------------------- raw insert */

static int raw_insert(table_rows_t *tabs, size_t ntabs, const char *db, double *wall_s)
{
    db_remove_files(db);
    char err[SIM_ERR_MAX], sql[512];
    double t0 = sim_wall_s();
    db_t *d = NULL;
    int rc = db_open(db, &d, err, sizeof err);
    if (!rc)
        rc = record_schema(d, err, sizeof err);
    snprintf(sql, sizeof sql, "PRAGMA cache_size=-%d", RECORD_CACHE_KIB);
    if (!rc)
        rc = db_exec(d, sql, err, sizeof err);
    unsigned deferred;
    if (!rc)
        rc = record_defer_indexes(d, &deferred, err, sizeof err);
    if (!rc)
        rc = db_begin(d, err, sizeof err);
    for (size_t k = 0; k < ntabs && !rc; k++) {
        table_rows_t *t = &tabs[k];
        int n = snprintf(sql, sizeof sql, "INSERT INTO %s VALUES(", t->name);
        for (int c = 0; c < t->ncols; c++)
            n += snprintf(sql + n, sizeof sql - (size_t)n, c ? ",?" : "?");
        snprintf(sql + n, sizeof sql - (size_t)n, ")");
        sqlite3_stmt *st;
        if ((rc = db_prepare(d, sql, &st, err, sizeof err)))
            break;
        for (size_t r = 0; r < t->nrows && !rc; r++) {
            const value_t *row = &t->v[r * (size_t)t->ncols];
            for (int c = 0; c < t->ncols; c++) {
                if (row[c].type == SQLITE_INTEGER)
                    sqlite3_bind_int64(st, c + 1, row[c].u.i);
                else if (row[c].type == SQLITE_FLOAT)
                    sqlite3_bind_double(st, c + 1, row[c].u.d);
                else if (row[c].type == SQLITE_TEXT)
                    sqlite3_bind_text(st, c + 1, row[c].u.s, -1, SQLITE_STATIC);
                else
                    sqlite3_bind_null(st, c + 1);
            }
            rc = db_step_done(d, st, err, sizeof err);
        }
        sqlite3_finalize(st);
    }
    if (!rc)
        rc = db_commit(d, err, sizeof err);
    if (!rc)
        rc = record_build_indexes(d, err, sizeof err);
    db_close(d);
    *wall_s = sim_wall_s() - t0;
    if (rc)
        fprintf(stderr, "bench_sqlite: raw insert: %s\n", err);
    return rc;
}

/* ---------------------------------------------------------------- main */

int main(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: bench_sqlite FILE [--set K=V]... [--reps N]\n");
        return 2;
    }
    const char *file = argv[1];
    char **sets = calloc((size_t)argc + 1, sizeof *sets);
    size_t nsets = 0;
    int reps = 3;
    if (!sets)
        return 1;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--set") && i + 1 < argc)
            sets[nsets++] = argv[++i];
        else if (!strcmp(argv[i], "--reps")) {
            char *end = NULL;
            long n = i + 1 < argc ? strtol(argv[i + 1], &end, 10) : 0;
            if (!end || *end || end == argv[i + 1] || n < 1 || n > 1000) {
                fprintf(stderr, "bench_sqlite: --reps needs a whole number from 1 to 1000\n");
                free(sets);
                return 2;
            }
            reps = (int)n;
            i++;
        } else {
            fprintf(stderr, "bench_sqlite: unknown argument '%s'\n", argv[i]);
            free(sets);
            return 2;
        }
    }
    char verr[SIM_ERR_MAX];
    if (cli_validate_file(file, sets, nsets, verr, sizeof verr)) {
        fprintf(stderr, "bench_sqlite: %s\n", verr);
        free(sets);
        return 2;
    }
    char dir[] = "/tmp/bench_sqlite.XXXXXX";
    if (!mkdtemp(dir)) {
        perror("bench_sqlite: mkdtemp");
        free(sets);
        return 1;
    }
    char sim_db[4200], raw_db[4200];
    snprintf(sim_db, sizeof sim_db, "%s/sim.db", dir);
    snprintf(raw_db, sizeof raw_db, "%s/raw.db", dir);
    int rc = 0;
    double sim_best = 0, raw_best = 0, sum_best = 0, sum_rows = 0;
    sets[nsets] = "simulation.output=summary";      /* the last override wins */
    for (int k = 0; k < reps && !rc; k++) {
        double w;
        if (!(rc = run_sim(file, sets, nsets + 1, sim_db, &w)))
            sum_best = k == 0 || w < sum_best ? w : sum_best;
    }
    if (!rc && (sum_rows = count_rows(sim_db)) < 0)
        rc = 1;
    for (int k = 0; k < reps && !rc; k++) {
        double w;
        if (!(rc = run_sim(file, sets, nsets, sim_db, &w)))
            sim_best = k == 0 || w < sim_best ? w : sim_best;
    }
    /* The rows of the (only) run, in memory. */
    table_rows_t tabs[32];
    const char *names[32];
    size_t ntabs = 0;
    names[ntabs++] = "runs";
    names[ntabs++] = "run_params";
    for (size_t i = 0; i < record_ntables && ntabs < 32; i++)
        names[ntabs++] = record_tables[i];
    sqlite3 *h = NULL;
    size_t loaded = 0;
    double rows = 0, vm_rows = 0;
    if (!rc && sqlite3_open_v2(sim_db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "bench_sqlite: %s: %s\n", sim_db, sqlite3_errmsg(h));
        rc = 1;
    }
    for (; !rc && loaded < ntabs; loaded++) {
        if (load_table(h, names[loaded], &tabs[loaded])) {
            fprintf(stderr, "bench_sqlite: cannot read table %s: %s\n", names[loaded], sqlite3_errmsg(h));
            rc = 1;
            break;
        }
        rows += (double)tabs[loaded].nrows;
        if (!strcmp(names[loaded], "vm_samples"))
            vm_rows = (double)tabs[loaded].nrows;
    }
    sqlite3_close(h);
    /* runs and run_params are written by the run's bookkeeping, not by the recorder: the
     * raw side inserts them too (same rows), but they are a handful. */
    for (int k = 0; k < reps && !rc; k++) {
        double w;
        if (!(rc = raw_insert(tabs, ntabs, raw_db, &w)))
            raw_best = k == 0 || w < raw_best ? w : raw_best;
    }
    if (!rc) {
        printf("scenario %s", file);
        for (size_t i = 0; i < nsets; i++)
            printf(" --set %s", sets[i]);
        printf("\n  rows %.0f (vm_samples %.0f, %.1f%%), best of %d\n", rows, vm_rows,
               rows > 0 ? 100.0 * vm_rows / rows : 0, reps);
        printf("  simulator  %8.3f s  %10.0f rows/s  (whole run: load, simulate, record, close)\n", sim_best,
               rows / sim_best);
        printf("  raw SQLite %8.3f s  %10.0f rows/s  (same rows, same schema, one transaction)\n", raw_best,
               rows / raw_best);
        printf("  ratio simulator / raw SQLite: %.0f%%\n", 100.0 * raw_best / sim_best);
        double extra_rows = rows - sum_rows, extra_s = sim_best - sum_best;
        printf("  at output = summary: %.3f s, %.0f rows; marginal recording rate of the other %.0f rows: ",
               sum_best, sum_rows, extra_rows);
        if (extra_s > 0)
            printf("%.0f rows/s = %.0f%% of raw SQLite\n", extra_rows / extra_s,
                   100.0 * (extra_rows / extra_s) / (rows / raw_best));
        else
            printf("(no measurable extra time)\n");
    }
    for (size_t i = 0; i < loaded; i++)
        free_table(&tabs[i]);
    db_remove_files(sim_db);
    db_remove_files(raw_db);
    rmdir(dir);
    free(sets);
    return rc ? 1 : 0;
}
