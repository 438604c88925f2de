/*
 * cli/cmd_merge.c -- `balloonsim merge OUT IN...`: copy the complete runs of shard
 * databases into one (rules in cli/cmd_sweep.c's header), and merge_one, with which a
 * sweep worker copies a run from its scratch database.  See cli/cmd_merge.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sim/db.h"
#include "sim/version.h"
#include "models/record.h"
#include "cli/common.h"
#include "cli/stats.h"
#include "cli/tables.h"
#include "cli/cmd_merge.h"

/* ------------------------------------------------------------------ merge */

static const char *merge_usage =
    "usage: balloonsim merge OUT IN... [--allow-mixed] [--quiet]\n"
    "  copies the complete runs of the IN databases (sweep shards) into OUT (created if missing);\n"
    "  runs already complete in OUT are skipped, so merging again changes nothing.\n"
    "  --allow-mixed  allow runs of different studies (scenario text or overrides) in OUT\n"
    "  runs of one study made by different builds (runs.version: another model digest) are\n"
    "  refused (exit 2) even with --allow-mixed\n"
    "  --quiet        no summary table\n"
    "exit status: 0 ok, 1 some input runs were not complete (not copied), 2 bad input\n";

typedef struct keyset {
    char **key;
    const char **file;                 /* where each key was first seen */
    size_t n;
} keyset_t;

static int keyset_add(keyset_t *ks, const char *key, const char *file)
{
    for (size_t i = 0; i < ks->n; i++)
        if (!strcmp(ks->key[i], key))
            return 0;
    char **k = realloc(ks->key, (ks->n + 1) * sizeof *k);
    if (!k)
        return SIM_ENOMEM;
    ks->key = k;
    const char **f = realloc(ks->file, (ks->n + 1) * sizeof *f);
    if (!f)
        return SIM_ENOMEM;
    ks->file = f;
    if (!(ks->key[ks->n] = strdup(key)))
        return SIM_ENOMEM;
    ks->file[ks->n++] = file;
    return 0;
}

static void keyset_free(keyset_t *ks)
{
    for (size_t i = 0; i < ks->n; i++)
        free(ks->key[i]);
    free(ks->key);
    free(ks->file);
}

/* Complete runs by (study, build): one row per study_key and runs.version of a file. */
typedef struct build_row {
    char *key, *version;
    const char *file;
    int64_t n;
} build_row_t;

typedef struct buildset {
    build_row_t *r;
    size_t n;
} buildset_t;

/* Add the (study_key, version, count) rows of the complete runs of h (file) to bs. */
static int buildset_add(buildset_t *bs, sqlite3 *h, const char *file, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(h, "SELECT study_key, version, count(*) FROM runs WHERE status='complete'"
                              " GROUP BY 1, 2 ORDER BY 1, 2", -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", file, sqlite3_errmsg(h));
        return SIM_EIO;
    }
    int rc = SIM_OK;
    while (!rc && sqlite3_step(st) == SQLITE_ROW) {
        build_row_t *r = realloc(bs->r, (bs->n + 1) * sizeof *r);
        if (!r) {
            rc = SIM_ENOMEM;
            break;
        }
        bs->r = r;
        r = &bs->r[bs->n];
        r->key = strdup((const char *)sqlite3_column_text(st, 0));
        r->version = strdup((const char *)sqlite3_column_text(st, 1));
        r->file = file;
        r->n = sqlite3_column_int64(st, 2);
        bs->n++;
        if (!r->key || !r->version)
            rc = SIM_ENOMEM;
    }
    sqlite3_finalize(st);
    if (rc)
        snprintf(err, errlen, "out of memory");
    return rc;
}

static void buildset_free(buildset_t *bs)
{
    for (size_t i = 0; i < bs->n; i++)
        free(bs->r[i].key), free(bs->r[i].version);
    free(bs->r);
    memset(bs, 0, sizeof *bs);
}

/* Builds do not mix (docs/database.md): SIM_EINPUT when the complete runs of one study in
 * the rows of bs (OUT's first) carry more than one runs.version. */
static int buildset_check(const buildset_t *bs, char *err, size_t errlen)
{
    for (size_t i = 0; i < bs->n; i++)
        for (size_t j = i + 1; j < bs->n; j++) {
            const build_row_t *a = &bs->r[i], *b = &bs->r[j];
            if (strcmp(a->key, b->key) || !strcmp(a->version, b->version))
                continue;
            snprintf(err, errlen, "runs of one study (study %s) made by different builds: %lld complete run%s in "
                     "%s by balloonsim %s, %lld in %s by balloonsim %s (this build: %s); results of different "
                     "model builds do not mix: merge into a new OUT only databases of one build, or redo the "
                     "older ones with this build (sweep --force)", a->key, (long long)a->n, a->n == 1 ? "" : "s",
                     a->file, a->version, (long long)b->n, b->file, b->version, sim_version());
            return SIM_EINPUT;
        }
    return SIM_OK;
}

/* The tables merge copies, in order, after runs. */
static size_t merge_tables(const char **out, size_t cap)
{
    size_t n = 0;
    out[n++] = "run_params";
    for (size_t i = 0; i < record_ntables && n < cap; i++)
        out[n++] = record_tables[i];
    return n;
}

/* Check one input database without writing to it; add the study keys of its complete
 * runs to ks. */
static int merge_check_input(const char *path, keyset_t *ks, buildset_t *bs, char *err, size_t errlen)
{
    struct stat stt;
    if (stat(path, &stt) != 0 || !S_ISREG(stt.st_mode)) {
        snprintf(err, errlen, "%s: no such database file", path);
        return SIM_EINPUT;
    }
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    int rc = SIM_EINPUT;
    if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: cannot open: %s", path, h ? sqlite3_errmsg(h) : "out of memory");
        goto out;
    }
    sqlite3_busy_timeout(h, 10000);
    int prc = sqlite3_prepare_v2(h, "SELECT (SELECT value FROM meta WHERE key='application'),"
                                    " (SELECT value FROM meta WHERE key='schema_version')", -1, &st, NULL);
    if (prc != SQLITE_OK) {
        if (sqlite3_errcode(h) == SQLITE_NOTADB)
            snprintf(err, errlen, "%s: not an SQLite database", path);
        else
            snprintf(err, errlen, "%s: not a balloonsim database (%s)", path, sqlite3_errmsg(h));
        goto out;
    }
    char app[64] = "", ver[32] = "";
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *a = (const char *)sqlite3_column_text(st, 0), *v = (const char *)sqlite3_column_text(st, 1);
        snprintf(app, sizeof app, "%s", a ? a : "");
        snprintf(ver, sizeof ver, "%s", v ? v : "");
    }
    sqlite3_finalize(st);
    st = NULL;
    if (strcmp(app, "balloonsim")) {
        snprintf(err, errlen, "%s: not a balloonsim database (meta.application is '%s')", path, app);
        goto out;
    }
    if (atoll(ver) < DB_SCHEMA_OLDEST_READ || atoll(ver) > DB_SCHEMA_VERSION) {   /* 1 and 2 share runs' columns */
        snprintf(err, errlen, "%s: schema version %s differs from this build's %d; merge needs equal versions",
                 path, ver[0] ? ver : "(none)", DB_SCHEMA_VERSION);
        goto out;
    }
    const char *tabs[32];
    size_t nt = merge_tables(tabs, 32);
    tabs[nt++] = "runs";
    for (size_t i = 0; i < nt; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT 1 FROM sqlite_master WHERE type='table' AND name='%s'", tabs[i]);
        int found = 0;
        if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
            found = 1;
        sqlite3_finalize(st);
        st = NULL;
        if (!found) {
            snprintf(err, errlen, "%s: balloonsim database without table '%s' (written by an unfinished build?)",
                     path, tabs[i]);
            goto out;
        }
    }
    if (sqlite3_prepare_v2(h, "SELECT DISTINCT study_key FROM runs WHERE status='complete'", -1, &st, NULL)) {
        snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(h));
        goto out;
    }
    rc = SIM_OK;
    while (!rc && sqlite3_step(st) == SQLITE_ROW)
        rc = keyset_add(ks, (const char *)sqlite3_column_text(st, 0), path);
    if (rc)
        snprintf(err, errlen, "out of memory");
    if (!rc)
        rc = buildset_add(bs, h, path, err, errlen);
out:
    sqlite3_finalize(st);
    sqlite3_close(h);
    return rc;
}

/* Column names of schema.table, comma-separated, with `skip` left out and each name
 * prefixed by `prefix` ("" or "t."); run_id replaced by `run_id_expr` when not NULL. */
static int column_list(sqlite3 *h, const char *schema, const char *table, const char *skip, const char *prefix,
                       const char *run_id_expr, char *buf, size_t len)
{
    char sql[160];
    snprintf(sql, sizeof sql, "PRAGMA %s.table_info(%s)", schema, table);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    size_t used = 0;
    int n = 0;
    buf[0] = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *c = (const char *)sqlite3_column_text(st, 1);
        if (!c || (skip && !strcmp(c, skip)))
            continue;
        int k;
        if (run_id_expr && !strcmp(c, "run_id"))
            k = snprintf(buf + used, len - used, "%s%s", n ? ", " : "", run_id_expr);
        else
            k = snprintf(buf + used, len - used, "%s%s\"%s\"", n ? ", " : "", prefix, c);
        if (k < 0 || (size_t)k >= len - used) {
            sqlite3_finalize(st);
            return -1;
        }
        used += (size_t)k;
        n++;
    }
    sqlite3_finalize(st);
    return n;
}

/* Copy the runs of `path` into db (attached as src, one transaction).  replace = 0
 * (merge): only complete runs, skipping those db holds complete.  replace = 1 (a sweep
 * worker's scratch database): every run whatever its status, replacing what db holds
 * for the same (study_key, run_index). */
int merge_one(db_t *db, const char *path, int replace, merge_count_t *mc, char *err, size_t errlen)
{
    sqlite3 *h = db_handle(db);
    sqlite3_stmt *st = NULL, *runs = NULL, *look = NULL, *ins = NULL, *map = NULL;
    int rc;
    if ((rc = db_prepare(db, "ATTACH DATABASE ? AS src", &st, err, errlen)))
        return rc;
    sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
    rc = db_step_done(db, st, err, errlen);
    sqlite3_finalize(st);
    st = NULL;
    if (rc)
        return rc;
    const char *tabs[32];
    size_t nt = merge_tables(tabs, 32);
    char cols_main[4096], cols_src[4096], sql[9000];
    /* Same columns on both sides (same schema version should guarantee it). */
    for (size_t i = 0; i <= nt; i++) {
        const char *t = i < nt ? tabs[i] : "runs";
        int a = column_list(h, "main", t, NULL, "", NULL, cols_main, sizeof cols_main);
        int b = column_list(h, "src", t, NULL, "", NULL, cols_src, sizeof cols_src);
        if (a <= 0 || b <= 0 || strcmp(cols_main, cols_src)) {
            snprintf(err, errlen, "%s: table %s has columns (%.300s), the output has (%.300s): refusing to merge",
                     path, t, cols_src, cols_main);
            rc = SIM_EINPUT;
            goto detach;
        }
    }
    if ((rc = db_exec(db, "CREATE TEMP TABLE IF NOT EXISTS merge_map(old_id INTEGER PRIMARY KEY,"
                          " new_id INTEGER NOT NULL); DELETE FROM temp.merge_map;", err, errlen)) ||
        (rc = db_begin(db, err, errlen)))
        goto detach;
    column_list(h, "main", "runs", "run_id", "", NULL, cols_main, sizeof cols_main);
    snprintf(sql, sizeof sql, "INSERT INTO main.runs(%s) SELECT %s FROM src.runs WHERE run_id=?", cols_main, cols_main);
    if ((rc = db_prepare(db, replace ? "SELECT run_id, study_key, run_index, fingerprint FROM src.runs"
                                       " ORDER BY study_key, run_index"
                                     : "SELECT run_id, study_key, run_index, fingerprint FROM src.runs"
                                       " WHERE status='complete' ORDER BY study_key, run_index", &runs, err, errlen)) ||
        (rc = db_prepare(db, "SELECT run_id, status, fingerprint FROM main.runs WHERE study_key=? AND run_index=?",
                         &look, err, errlen)) ||
        (rc = db_prepare(db, sql, &ins, err, errlen)) ||
        (rc = db_prepare(db, "INSERT INTO temp.merge_map VALUES(?,?)", &map, err, errlen)))
        goto rollback;
    int step;
    while ((step = sqlite3_step(runs)) == SQLITE_ROW) {
        int64_t old_id = sqlite3_column_int64(runs, 0);
        const char *fp = (const char *)sqlite3_column_text(runs, 3);
        sqlite3_bind_value(look, 1, sqlite3_column_value(runs, 1));
        sqlite3_bind_int64(look, 2, sqlite3_column_int64(runs, 2));
        int have = 0;
        int64_t out_id = 0;
        if (sqlite3_step(look) == SQLITE_ROW) {
            have = 1;
            out_id = sqlite3_column_int64(look, 0);
            const char *status = (const char *)sqlite3_column_text(look, 1);
            const char *ofp = (const char *)sqlite3_column_text(look, 2);
            if (!replace && status && !strcmp(status, "complete")) {
                have = 2;
                if (fp && ofp && strcmp(fp, ofp))
                    mc->differ++;
            }
        }
        sqlite3_reset(look);
        if (have == 2) {
            mc->present++;
            continue;
        }
        if (have == 1) {
            if ((rc = db_run_delete(db, out_id, (const char *const *)record_tables, record_ntables, err, errlen)))
                goto rollback;
            mc->replaced++;
        }
        sqlite3_bind_int64(ins, 1, old_id);
        if ((rc = db_step_done(db, ins, err, errlen)))
            goto rollback;
        sqlite3_bind_int64(map, 1, old_id);
        sqlite3_bind_int64(map, 2, sqlite3_last_insert_rowid(h));
        if ((rc = db_step_done(db, map, err, errlen)))
            goto rollback;
        mc->copied++;
    }
    if (step != SQLITE_DONE) {
        snprintf(err, errlen, "%s: reading runs: %s", path, sqlite3_errmsg(h));
        rc = SIM_EIO;
        goto rollback;
    }
    for (size_t i = 0; i < nt; i++) {
        column_list(h, "main", tabs[i], NULL, "", NULL, cols_main, sizeof cols_main);
        column_list(h, "src", tabs[i], NULL, "t.", "m.new_id", cols_src, sizeof cols_src);
        snprintf(sql, sizeof sql, "INSERT INTO main.%s(%s) SELECT %s FROM src.%s t JOIN temp.merge_map m"
                 " ON m.old_id = t.run_id ORDER BY t.rowid", tabs[i], cols_main, cols_src, tabs[i]);
        if ((rc = db_exec(db, sql, err, errlen)))
            goto rollback;
    }
    /* Runs of the input that are not complete, and that the output lacks complete. */
    if (!replace && (rc = db_prepare(db, "SELECT count(*) FROM src.runs s WHERE s.status != 'complete' AND NOT EXISTS"
                             " (SELECT 1 FROM main.runs r WHERE r.study_key = s.study_key AND"
                             " r.run_index = s.run_index AND r.status = 'complete')", &st, err, errlen)))
        goto rollback;
    if (st && sqlite3_step(st) == SQLITE_ROW)
        mc->incomplete += (size_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    rc = db_commit(db, err, errlen);
    if (rc)
        goto rollback;
    goto detach;
rollback:
    db_rollback(db);
detach:
    sqlite3_finalize(st);
    sqlite3_finalize(runs);
    sqlite3_finalize(look);
    sqlite3_finalize(ins);
    sqlite3_finalize(map);
    if (sqlite3_exec(h, "DETACH DATABASE src", NULL, NULL, NULL) != SQLITE_OK && !rc) {
        snprintf(err, errlen, "%s: cannot detach: %s", path, sqlite3_errmsg(h));
        rc = SIM_EIO;
    }
    return rc;
}

int cli_cmd_merge(int argc, char **argv)
{
    const char *out = NULL;
    const char **in = calloc((size_t)(argc > 0 ? argc : 1), sizeof *in);
    size_t nin = 0;
    int allow_mixed = 0, quiet = 0, status = 2;
    char err[SIM_ERR_MAX] = "";
    keyset_t ks;
    memset(&ks, 0, sizeof ks);
    buildset_t bs_in, bs;              /* the inputs' (study, build) rows; OUT's then theirs */
    memset(&bs_in, 0, sizeof bs_in);
    memset(&bs, 0, sizeof bs);
    db_t *db = NULL;
    if (!in) {
        fprintf(stderr, "balloonsim merge: out of memory\n");
        return 2;
    }
    static const struct option longopts[] = {{"allow-mixed", no_argument, NULL, 'm'},
                                             {"quiet", no_argument, NULL, 'q'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int c;
    optind = 0;
    while ((c = cli_getopt(argc, argv, "hq", longopts, err, sizeof err)) != -1) {
        if (c == 'h') {
            fputs(merge_usage, stdout);
            free(in);
            return 0;
        } else if (c == 'm')
            allow_mixed = 1;
        else if (c == 'q')
            quiet = 1;
        else if (c == 1 && !out)
            out = optarg;
        else if (c == 1)
            in[nin++] = optarg;
        else {
            fprintf(stderr, "balloonsim merge: %s\n%s", err, merge_usage);
            free(in);
            return 2;
        }
    }
    for (int i = optind; i < argc; i++) {              /* after "--" */
        if (!out)
            out = argv[i];
        else
            in[nin++] = argv[i];
    }
    if (!out || nin == 0) {
        fprintf(stderr, "balloonsim merge: expected OUT and at least one IN database\n%s", merge_usage);
        free(in);
        return 2;
    }
    int rc = SIM_OK;
    struct stat so;
    int out_exists = stat(out, &so) == 0;
    int *lock_fd = malloc((nin + 1) * sizeof *lock_fd);
    if (!lock_fd) {
        free(in);
        fprintf(stderr, "balloonsim merge: out of memory\n");
        return 2;
    }
    for (size_t i = 0; i <= nin; i++)
        lock_fd[i] = -1;
    for (size_t i = 0; i < nin && !rc; i++) {
        struct stat si;
        if (out_exists && stat(in[i], &si) == 0 && si.st_dev == so.st_dev && si.st_ino == so.st_ino) {
            snprintf(err, sizeof err, "%s: is the output database itself", in[i]);
            rc = SIM_EINPUT;
            break;
        }
        rc = merge_check_input(in[i], &ks, &bs_in, err, sizeof err);
    }
    if (rc)
        goto fail;
    /* The writer lock of OUT, and a reader's lock of every input, so that no run, sweep
     * or check writes them meanwhile; a refusal names the file that is held (issue 15). */
    volatile sig_atomic_t *stop = cli_install_signals(0);
    if ((rc = cli_mkdir_parents(out, err, sizeof err)) ||
        (rc = cli_lock_db(out, 1, "merge", stop, &lock_fd[0], err, sizeof err)))
        goto fail;
    for (size_t i = 0; i < nin && !rc; i++)
        rc = cli_lock_db(in[i], 0, "merge", stop, &lock_fd[1 + i], err, sizeof err);
    if (rc)
        goto fail;
    if ((rc = db_open(out, &db, err, sizeof err)) ||
        (rc = record_schema(db, err, sizeof err)) ||
        (rc = stats_schema(db, err, sizeof err)))
        goto fail;
    sqlite3_stmt *st = NULL;
    if ((rc = db_prepare(db, "SELECT value FROM meta WHERE key='schema_version'", &st, err, sizeof err)))
        goto fail;
    int64_t over = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    if (over != DB_SCHEMA_VERSION) {
        snprintf(err, sizeof err, "%s: schema version %lld differs from this build's %d; merge needs equal versions",
                 out, (long long)over, DB_SCHEMA_VERSION);
        rc = SIM_EINPUT;
        goto fail;
    }
    if ((rc = db_prepare(db, "SELECT DISTINCT study_key FROM runs WHERE status='complete'", &st, err, sizeof err)))
        goto fail;
    keyset_t outks;
    memset(&outks, 0, sizeof outks);
    while (!rc && sqlite3_step(st) == SQLITE_ROW)
        rc = keyset_add(&outks, (const char *)sqlite3_column_text(st, 0), out);
    sqlite3_finalize(st);
    for (size_t i = 0; i < ks.n && !rc; i++)
        rc = keyset_add(&outks, ks.key[i], ks.file[i]);
    if (!rc && outks.n > 1 && !allow_mixed) {
        snprintf(err, sizeof err, "runs of different studies: %s (in %s) and %s (in %s) -- a different scenario "
                 "or --set; merge them anyway with --allow-mixed", outks.key[0], outks.file[0], outks.key[1],
                 outks.file[1]);
        rc = SIM_EINPUT;
    }
    keyset_free(&outks);
    if (rc)
        goto fail;
    /* Builds do not mix: OUT's complete runs first, then the inputs', per study. */
    if ((rc = buildset_add(&bs, db_handle(db), out, err, sizeof err)))
        goto fail;
    for (size_t i = 0; i < bs_in.n && !rc; i++) {
        build_row_t *r = realloc(bs.r, (bs.n + 1) * sizeof *r);
        if (!r) {
            snprintf(err, sizeof err, "out of memory");
            rc = SIM_ENOMEM;
            break;
        }
        bs.r = r;
        bs.r[bs.n++] = bs_in.r[i];     /* moved: bs owns the strings now */
        bs_in.r[i].key = bs_in.r[i].version = NULL;
    }
    if (rc || (rc = buildset_check(&bs, err, sizeof err)))
        goto fail;
    merge_count_t mc;
    memset(&mc, 0, sizeof mc);
    for (size_t i = 0; i < nin && !rc; i++)
        rc = merge_one(db, in[i], 0, &mc, err, sizeof err);
    if (rc)
        goto fail;
    if ((rc = tables_rebuild_all(db, err, sizeof err)))
        goto fail;
    if (!quiet)
        stats_print_point_table(db, NULL, stdout);
    if (mc.differ)
        fprintf(stderr, "balloonsim merge: warning: %zu runs already in %s have a different fingerprint "
                "than in the input (kept %s's)\n", mc.differ, out, out);
    if (mc.incomplete)
        fprintf(stderr, "balloonsim merge: %zu runs of the inputs are not complete and were not copied "
                "(rerun their sweep to finish them, then merge again)\n", mc.incomplete);
    if (!quiet)
        printf("merge: %zu runs copied (%zu replaced incomplete ones), %zu already complete in %s, "
               "%zu incomplete left out\n", mc.copied, mc.replaced, mc.present, out, mc.incomplete);
    status = mc.incomplete ? 1 : 0;
    goto out;
fail:
    fprintf(stderr, "balloonsim merge: %s\n", err);
    status = rc ? cli_exit_status(rc, 0) : 2;
    if (!out_exists && lock_fd[0] >= 0) {   /* a refused merge leaves no new file behind */
        db_close(db);
        db = NULL;
        db_remove_files(out);
    }
out:
    db_close(db);
    for (size_t i = 0; i <= nin; i++)
        cli_unlock_db(lock_fd[i]);
    free(lock_fd);
    keyset_free(&ks);
    buildset_free(&bs_in);
    buildset_free(&bs);
    free(in);
    return status;
}
