/*
 * cli/stats.c -- statistics over the repetitions of a sweep point: the mean, sample
 * standard deviation and 95% confidence half-width (GSL), the point_summary table
 * rebuilt from the complete runs, the paired differences to a baseline policy (point_diff,
 * docs/database.md), and the short table printed after a sweep or merge.
 * See cli/stats.h; the definition of point_summary is in cli/cmd_sweep.c's header.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>
#include "sim/db.h"
#include "models/record.h"
#include "cli/stats.h"

/* ------------------------------------------------------------------ statistics */

/* Mean, sample standard deviation and 95% confidence half-width of x[0..n).  sd and
 * ci95 are NAN when n < 2, everything NAN when n == 0.  Returns n. */
size_t stats_summary(const double *x, size_t n, double *mean, double *sd, double *ci95)
{
    *mean = *sd = *ci95 = NAN;
    if (n == 0)
        return 0;
    *mean = gsl_stats_mean(x, 1, n);
    if (n < 2)
        return n;
    *sd = gsl_stats_sd_m(x, 1, n, *mean);
    *ci95 = gsl_cdf_tdist_Pinv(0.975, (double)(n - 1)) * *sd / sqrt((double)n);
    return n;
}

static const char *point_summary_schema =
    "CREATE TABLE IF NOT EXISTS point_summary(study_key TEXT NOT NULL, point_index INTEGER NOT NULL,"
    " axes TEXT, policy TEXT, metric TEXT NOT NULL, n INTEGER NOT NULL, mean REAL, sd REAL, ci95 REAL,"
    " PRIMARY KEY(study_key, point_index, metric));";

static const char *point_diff_schema =
    "CREATE TABLE IF NOT EXISTS point_diff(study_key TEXT NOT NULL, point_index INTEGER NOT NULL,"
    " axes TEXT, policy TEXT, baseline TEXT, metric TEXT NOT NULL, n INTEGER NOT NULL, mean REAL, sd REAL,"
    " ci95 REAL, PRIMARY KEY(study_key, point_index, metric));";

int stats_schema(db_t *db, char *err, size_t errlen)
{
    int rc = db_exec(db, point_summary_schema, err, errlen);
    return rc ? rc : db_exec(db, point_diff_schema, err, errlen);
}

typedef struct group {
    char *study_key, *axes, *policy, *metric;
    char *baseline;                  /* point_diff only */
    int64_t point;
    double *x;
    size_t n, cap;
} group_t;

static void group_clear(group_t *g)
{
    free(g->study_key), free(g->axes), free(g->policy), free(g->metric), free(g->baseline);
    g->study_key = g->axes = g->policy = g->metric = g->baseline = NULL;
    g->n = 0;
}

static char *dup_col(sqlite3_stmt *st, int col)
{
    const char *s = (const char *)sqlite3_column_text(st, col);
    return strdup(s ? s : "");
}

static int group_flush(db_t *db, sqlite3_stmt *ins, group_t *g, char *err, size_t errlen)
{
    if (!g->study_key)
        return SIM_OK;
    double mean, sd, ci;
    stats_summary(g->x, g->n, &mean, &sd, &ci);
    sqlite3_bind_text(ins, 1, g->study_key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(ins, 2, g->point);
    sqlite3_bind_text(ins, 3, g->axes, -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 4, g->policy, -1, SQLITE_STATIC);
    int c = 5;
    if (g->baseline)
        sqlite3_bind_text(ins, c++, g->baseline, -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, c++, g->metric, -1, SQLITE_STATIC);
    sqlite3_bind_int64(ins, c++, (sqlite3_int64)g->n);
    double v[3] = {mean, sd, ci};
    for (int i = 0; i < 3; i++) {
        if (isfinite(v[i]))
            sqlite3_bind_double(ins, c + i, v[i]);
        else
            sqlite3_bind_null(ins, c + i);
    }
    int rc = db_step_done(db, ins, err, errlen);
    group_clear(g);
    return rc;
}

/* Fold the rows of sel -- (study_key, point_index, axes, policy, metric, value[,
 * baseline]), ordered by study, point, metric -- into one row of ins per group.  sel
 * has the baseline column when with_baseline. */
static int fold_groups(db_t *db, sqlite3_stmt *sel, sqlite3_stmt *ins, int with_baseline, char *err, size_t errlen)
{
    group_t g;
    memset(&g, 0, sizeof g);
    int rc = SIM_OK, step;
    while ((step = sqlite3_step(sel)) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(sel, 0);
        const char *metric = (const char *)sqlite3_column_text(sel, 4);
        int64_t point = sqlite3_column_int64(sel, 1);
        if (!key || !metric)
            continue;
        if (g.study_key && (strcmp(g.study_key, key) || g.point != point || strcmp(g.metric, metric)))
            if ((rc = group_flush(db, ins, &g, err, errlen)))
                goto out;
        if (!g.study_key) {
            g.study_key = strdup(key);
            g.metric = strdup(metric);
            g.axes = dup_col(sel, 2);
            g.policy = dup_col(sel, 3);
            g.baseline = with_baseline ? dup_col(sel, 6) : NULL;
            g.point = point;
            if (!g.study_key || !g.metric || !g.axes || !g.policy || (with_baseline && !g.baseline)) {
                rc = SIM_ENOMEM;
                snprintf(err, errlen, "point_summary: out of memory");
                goto out;
            }
        }
        if (g.n == g.cap) {
            size_t cap = g.cap ? 2 * g.cap : 16;
            double *x = realloc(g.x, cap * sizeof *x);
            if (!x) {
                rc = SIM_ENOMEM;
                snprintf(err, errlen, "point_summary: out of memory");
                goto out;
            }
            g.x = x, g.cap = cap;
        }
        g.x[g.n++] = sqlite3_column_double(sel, 5);
    }
    if (step != SQLITE_DONE) {
        snprintf(err, errlen, "%s: reading run_summary: %s", db_path(db), sqlite3_errmsg(db_handle(db)));
        rc = SIM_EIO;
        goto out;
    }
    rc = group_flush(db, ins, &g, err, errlen);
out:
    group_clear(&g);
    free(g.x);
    return rc;
}

/* A run's axes without its policy axis ("a=1, policy.name=mom, b=2" -> "a=1, b=2"): the
 * runs a paired difference pairs share it.  The policy axis is policy.name=... or, when the
 * study names it (${pol=static, mom}), the one axis whose value is the run's policy.  out
 * has room for strlen(axes) + 1. */
void stats_axes_without_policy(const char *axes, const char *policy, char *out)
{
    size_t n = 0, plen = policy ? strlen(policy) : 0;
    const char *p = axes;
    while (*p) {
        const char *e = strstr(p, ", ");
        size_t len = e ? (size_t)(e - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        int is_policy = !strncmp(p, "policy.name=", 12) ||
                        (policy && eq && (size_t)(p + len - eq - 1) == plen && !memcmp(eq + 1, policy, plen));
        if (!is_policy) {
            if (n)
                out[n++] = ',', out[n++] = ' ';
            memcpy(out + n, p, len);
            n += len;
        }
        p += len + (e ? 2 : 0);
    }
    out[n] = 0;
}

/* SQL axes_without_policy(axes, policy): stats_axes_without_policy for queries that pair
 * runs (plot --paired), so that they pair exactly as point_diff does. */
static void sql_axes_without_policy(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *axes = (const char *)sqlite3_value_text(argv[0]);
    const char *policy = (const char *)sqlite3_value_text(argv[1]);
    char *out = malloc(strlen(axes ? axes : "") + 1);
    if (!out) {
        sqlite3_result_error_nomem(cx);
        return;
    }
    stats_axes_without_policy(axes ? axes : "", policy, out);
    sqlite3_result_text(cx, out, -1, free);
}

int stats_register_sql(sqlite3 *h)
{
    return sqlite3_create_function(h, "axes_without_policy", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                   sql_axes_without_policy, NULL, NULL) == SQLITE_OK ? SIM_OK : SIM_EIO;
}

/* Fill the temporary table diff_runs(run_id, study_key, point_index, axes, policy,
 * repetition, run_index, other, baseline) from the complete runs: other = axes without
 * the policy axis, baseline = the run's [simulation] baseline (run_params). */
static int fill_diff_runs(db_t *db, char *err, size_t errlen)
{
    sqlite3_stmt *sel = NULL, *ins = NULL;
    int rc = db_exec(db, "DROP TABLE IF EXISTS temp.diff_runs;"
                         "CREATE TEMP TABLE diff_runs(run_id INTEGER, study_key TEXT, point_index INTEGER, axes TEXT,"
                         " policy TEXT, repetition INTEGER, run_index INTEGER, other TEXT, baseline TEXT);", err, errlen);
    if (rc || (rc = db_prepare(db,
            "SELECT r.run_id, r.study_key, r.point_index, coalesce(r.axes, ''), r.policy, r.repetition, r.run_index,"
            " coalesce(p.value, 'static') FROM runs r LEFT JOIN run_params p ON p.run_id = r.run_id"
            " AND p.section = 'simulation' AND p.key = 'baseline' WHERE r.status = 'complete'", &sel, err, errlen)) ||
        (rc = db_prepare(db, "INSERT INTO diff_runs VALUES(?,?,?,?,?,?,?,?,?)", &ins, err, errlen)))
        goto out;
    int step;
    while ((step = sqlite3_step(sel)) == SQLITE_ROW) {
        const char *axes = (const char *)sqlite3_column_text(sel, 3);
        char *other = malloc(strlen(axes ? axes : "") + 1);
        if (!other) {
            rc = SIM_ENOMEM;
            snprintf(err, errlen, "point_diff: out of memory");
            goto out;
        }
        stats_axes_without_policy(axes ? axes : "", (const char *)sqlite3_column_text(sel, 4), other);
        for (int c = 0; c < 7; c++)
            sqlite3_bind_value(ins, c + 1, sqlite3_column_value(sel, c));
        sqlite3_bind_text(ins, 8, other, -1, SQLITE_TRANSIENT);
        sqlite3_bind_value(ins, 9, sqlite3_column_value(sel, 7));
        free(other);
        if ((rc = db_step_done(db, ins, err, errlen)))
            goto out;
    }
    if (step != SQLITE_DONE) {
        snprintf(err, errlen, "%s: reading runs: %s", db_path(db), sqlite3_errmsg(db_handle(db)));
        rc = SIM_EIO;
    }
out:
    sqlite3_finalize(sel);
    sqlite3_finalize(ins);
    return rc;
}

/* Rebuild point_diff (inside the caller's transaction): for each point and metric, the
 * per-repetition differences run - baseline run, the baseline run being the run of the
 * same study and repetition whose axes, the policy aside, are the same and whose policy
 * is the point's [simulation] baseline.  Points without such runs get no row. */
static int point_diff(db_t *db, char *err, size_t errlen)
{
    sqlite3_stmt *sel = NULL, *ins = NULL;
    int rc;
    if ((rc = db_exec(db, point_diff_schema, err, errlen)) ||
        (rc = db_exec(db, "DELETE FROM point_diff", err, errlen)) || (rc = fill_diff_runs(db, err, errlen)) ||
        (rc = db_prepare(db,
            "SELECT a.study_key, a.point_index, a.axes, a.policy, s.metric, s.value - sb.value, a.baseline"
            " FROM diff_runs a JOIN diff_runs b ON b.study_key = a.study_key AND b.other = a.other"
            " AND b.repetition = a.repetition AND b.policy = a.baseline"
            " JOIN run_summary s ON s.run_id = a.run_id JOIN run_summary sb ON sb.run_id = b.run_id"
            " AND sb.metric = s.metric ORDER BY a.study_key, a.point_index, s.metric, a.run_index", &sel, err, errlen)) ||
        (rc = db_prepare(db, "INSERT INTO point_diff VALUES(?,?,?,?,?,?,?,?,?,?)", &ins, err, errlen)))
        goto out;
    rc = fold_groups(db, sel, ins, 1, err, errlen);
out:
    sqlite3_finalize(sel);
    sqlite3_finalize(ins);
    if (!rc)
        rc = db_exec(db, "DROP TABLE IF EXISTS temp.diff_runs", err, errlen);
    return rc;
}

/* Rebuild point_summary and point_diff from the complete runs of every study in db, in
 * one transaction.  Returns 0 or SIM_EIO/SIM_ENOMEM with a message. */
int stats_point_summary(db_t *db, char *err, size_t errlen)
{
    int rc = stats_schema(db, err, errlen);
    if (rc)
        return rc;
    sqlite3_stmt *sel = NULL, *ins = NULL;
    if ((rc = db_begin(db, err, errlen)))
        return rc;
    if ((rc = db_exec(db, "DELETE FROM point_summary", err, errlen)) ||
        (rc = db_prepare(db,
            "SELECT r.study_key, r.point_index, r.axes, r.policy, s.metric, s.value"
            " FROM runs r JOIN run_summary s ON s.run_id = r.run_id WHERE r.status = 'complete'"
            " ORDER BY r.study_key, r.point_index, s.metric, r.run_index", &sel, err, errlen)) ||
        (rc = db_prepare(db, "INSERT INTO point_summary VALUES(?,?,?,?,?,?,?,?,?)", &ins, err, errlen)) ||
        (rc = fold_groups(db, sel, ins, 0, err, errlen)) || (rc = point_diff(db, err, errlen)))
        goto out;
    rc = db_commit(db, err, errlen);
out:
    sqlite3_finalize(sel);
    sqlite3_finalize(ins);
    if (rc)
        db_rollback(db);
    return rc;
}

/* The short table printed after a sweep or merge: a few headline metrics per point,
 * mean +- ci95 over the repetitions.  study_key NULL: every study in the database. */
void stats_print_point_table(db_t *db, const char *study_key, FILE *f)
{
    static const struct { const char *metric, *title; double scale; } cols[] = {
        {"host_swap_out_bytes", "host_swap_MiB", 1.0 / 1048576}, {"balloon_inflated_bytes", "inflated_MiB", 1.0 / 1048576},
        {"stall_s", "stall_s", 1}, {"mean_slowdown", "mean_slowdown", 1},
    };
    enum { NCOLS = sizeof cols / sizeof cols[0], MAX_POINTS = 40 };
    sqlite3_stmt *pts = NULL, *val = NULL, *dif = NULL;
    char err[SIM_ERR_MAX];
    if (db_prepare(db, "SELECT study_key, point_index, axes, policy, max(n) FROM point_summary"
                       " WHERE ?1 IS NULL OR study_key = ?1 GROUP BY study_key, point_index"
                       " ORDER BY study_key, point_index", &pts, err, sizeof err) ||
        db_prepare(db, "SELECT mean, ci95 FROM point_summary WHERE study_key=? AND point_index=? AND metric=?",
                   &val, err, sizeof err) ||
        db_prepare(db, "SELECT mean, ci95, n, baseline FROM point_diff WHERE study_key=? AND point_index=?"
                       " AND metric='mean_slowdown'", &dif, err, sizeof err)) {
        sqlite3_finalize(pts);
        sqlite3_finalize(val);
        return;
    }
    if (study_key)
        sqlite3_bind_text(pts, 1, study_key, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(pts, 1);
    size_t shown = 0, total = 0;
    char last_key[64] = "";
    while (sqlite3_step(pts) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(pts, 0);
        const char *axes = (const char *)sqlite3_column_text(pts, 2);
        const char *policy = (const char *)sqlite3_column_text(pts, 3);
        total++;
        if (shown >= MAX_POINTS)
            continue;
        if (strcmp(last_key, key ? key : "")) {
            snprintf(last_key, sizeof last_key, "%s", key ? key : "");
            fprintf(f, "study %s: mean +- 95%% CI half-width over repetitions (table point_summary); "
                       "paired difference of mean_slowdown to the baseline policy, same repetitions (table point_diff)\n",
                    last_key);
            fprintf(f, "%5s %4s", "point", "n");
            for (size_t c = 0; c < NCOLS; c++)
                fprintf(f, " %22s", cols[c].title);
            fprintf(f, " %30s", "slowdown_minus_baseline");
            fprintf(f, "  policy axes\n");
        }
        fprintf(f, "%5lld %4lld", (long long)sqlite3_column_int64(pts, 1), (long long)sqlite3_column_int64(pts, 4));
        for (size_t c = 0; c < NCOLS; c++) {
            char cell[64] = "-";
            sqlite3_bind_text(val, 1, key, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(val, 2, sqlite3_column_int64(pts, 1));
            sqlite3_bind_text(val, 3, cols[c].metric, -1, SQLITE_STATIC);
            if (sqlite3_step(val) == SQLITE_ROW && sqlite3_column_type(val, 0) != SQLITE_NULL) {
                double m = sqlite3_column_double(val, 0) * cols[c].scale;
                if (sqlite3_column_type(val, 1) != SQLITE_NULL)
                    snprintf(cell, sizeof cell, "%.4g +- %.3g", m, sqlite3_column_double(val, 1) * cols[c].scale);
                else
                    snprintf(cell, sizeof cell, "%.4g", m);
            }
            sqlite3_reset(val);
            fprintf(f, " %22s", cell);
        }
        char cell[96] = "-";
        sqlite3_bind_text(dif, 1, key, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(dif, 2, sqlite3_column_int64(pts, 1));
        if (sqlite3_step(dif) == SQLITE_ROW && sqlite3_column_type(dif, 0) != SQLITE_NULL) {
            const char *base = (const char *)sqlite3_column_text(dif, 3);
            if (sqlite3_column_type(dif, 1) != SQLITE_NULL)
                snprintf(cell, sizeof cell, "%+.4g +- %.3g (n %lld, %s)", sqlite3_column_double(dif, 0),
                         sqlite3_column_double(dif, 1), (long long)sqlite3_column_int64(dif, 2), base ? base : "");
            else
                snprintf(cell, sizeof cell, "%+.4g (n %lld, %s)", sqlite3_column_double(dif, 0),
                         (long long)sqlite3_column_int64(dif, 2), base ? base : "");
        }
        sqlite3_reset(dif);
        fprintf(f, " %30s", cell);
        fprintf(f, "  %s %s\n", policy ? policy : "", axes && axes[0] ? axes : "-");
        shown++;
    }
    if (total > shown)
        fprintf(f, "... %zu more points in table point_summary\n", total - shown);
    sqlite3_finalize(pts);
    sqlite3_finalize(val);
    sqlite3_finalize(dif);
}

