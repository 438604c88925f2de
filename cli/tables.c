/*
 * cli/tables.c -- results as tables: run_axes (every axis typed, canonical units) and the
 * wide views v_run_axes, v_runs, v_points, v_vms, v_samples.  See cli/tables.h; the
 * definitions, units and rules are in docs/database.md ("Results as tables").
 *
 * Typing an axis value (the text of runs.axes, "mem=16GiB, policy.name=mom"):
 *   1. an unnamed axis "SECTION.KEY" of a key with a numeric type: the run's resolved
 *      value of that key (run_params, canonical text) parsed by the key's type:
 *      size -> bytes, duration -> ns, rate -> bytes/s, fraction -> 0..1, integer and
 *      number as they are, yes/no -> 1/0; a string or choice key -> text;
 *   2. otherwise (a named axis, "key#2"): the axis text itself, the first of plain
 *      number, size (needs a unit: "16GiB"), duration ("30s"), rate ("1GiB/s"),
 *      fraction ("20%") that parses, else text.  A bare number stays a plain number:
 *      write the unit in a named axis ("${t=30s, 1min}") to get ns.
 *   An axis is a numeric column when every run's value is numeric, else a text column.
 * overcommit = sum of vms.configured_bytes / sum of (hosts.capacity_bytes -
 *   hosts.reserve_bytes) of the run (NULL without hosts).
 * A column name that would repeat another (an axis called "seed", a metric called like an
 * axis) gets the prefix "axis." or "metric." (docs/database.md).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim/db.h"
#include "sim/keys.h"
#include "sim/units.h"
#include "models/balloon.h"
#include "models/policy.h"
#include "models/scenario.h"
#include "models/workload.h"
#include "cli/stats.h"
#include "cli/tables.h"

/* ------------------------------------------------------------------ a growing string */

typedef struct sbuf {
    char *s;
    size_t len, cap;
    int oom;
} sbuf_t;

static void sb_add(sbuf_t *b, const char *text)
{
    size_t n = strlen(text);
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->oom = 1;
            return;
        }
        b->s = s, b->cap = cap;
    }
    memcpy(b->s + b->len, text, n + 1);
    b->len += n;
}

/* text as an SQL identifier ("..." with " doubled) or string literal ('...'). */
static void sb_quoted(sbuf_t *b, const char *text, char q)
{
    char one[2] = {q, 0}, two[3] = {q, q, 0};
    sb_add(b, one);
    for (const char *p = text; *p; p++) {
        if (*p == q) {
            sb_add(b, two);
        } else {
            char c[2] = {*p, 0};
            sb_add(b, c);
        }
    }
    sb_add(b, one);
}

/* ------------------------------------------------------------------ names of columns */

typedef struct names {
    char **v;
    size_t n, cap;
} names_t;

static int names_has(const names_t *t, const char *s)
{
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->v[i], s))
            return 1;
    return 0;
}

static int names_push(names_t *t, const char *s)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 32;
        char **v = realloc(t->v, cap * sizeof *v);
        if (!v)
            return -1;
        t->v = v, t->cap = cap;
    }
    return (t->v[t->n] = strdup(s)) ? (int)t->n++ : -1;
}

static void names_free(names_t *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i]);
    free(t->v);
    memset(t, 0, sizeof *t);
}

/* The column name for `name`: itself, or prefix+name when taken; recorded in used. */
static int column_name(names_t *used, const char *prefix, const char *name, char *out, size_t len)
{
    if (names_has(used, name))
        snprintf(out, len, "%s%s", prefix, name);
    else
        snprintf(out, len, "%s", name);
    return names_push(used, out) < 0 ? -1 : 0;
}

/* ------------------------------------------------------------------ typing axis values */

typedef struct typed {
    int numeric;
    double value;
    const char *unit;
} typed_t;

/* The key (section, key) of a run whose policy is `policy`, or NULL. */
static const sim_key_t *find_key(const char *section, const char *key, const char *policy)
{
    const sim_key_table_t *tabs[2] = {NULL, NULL};
    if (!strcmp(section, "simulation"))
        tabs[0] = &scn_sim_key_table;
    else if (!strcmp(section, "host"))
        tabs[0] = &scn_host_key_table;
    else if (!strcmp(section, "balloon"))
        tabs[0] = &balloon_key_table;
    else if (!strcmp(section, "policy")) {
        const policy_type_t *p = policy ? policy_find(policy) : NULL;
        tabs[0] = p ? p->keys : NULL;
    } else if (!strncmp(section, "vm ", 3))
        tabs[0] = &scn_vm_key_table, tabs[1] = &workload_key_table;
    for (int i = 0; i < 2; i++) {
        const sim_key_t *k = tabs[i] ? sim_keys_find(tabs[i], key) : NULL;
        if (k)
            return k;
    }
    return NULL;
}

/* Parse text as the given key type into canonical units.  0 when it is not numeric. */
static int parse_as(sim_key_type_t type, const char *text, typed_t *t)
{
    char e[128];
    int64_t i;
    double d;
    switch (type) {
    case SIM_KEY_INT:
        if (sim_units_parse_int(text, &i, e, sizeof e))
            return 0;
        *t = (typed_t){1, (double)i, "number"};
        return 1;
    case SIM_KEY_REAL:
        if (sim_units_parse_number(text, &d, e, sizeof e))
            return 0;
        *t = (typed_t){1, d, "number"};
        return 1;
    case SIM_KEY_BYTES:
        if (sim_units_parse_bytes(text, &i, e, sizeof e))
            return 0;
        *t = (typed_t){1, (double)i, "bytes"};
        return 1;
    case SIM_KEY_DURATION: {
        sim_time_t ns;
        if (sim_units_parse_duration(text, &ns, e, sizeof e))
            return 0;
        *t = (typed_t){1, (double)ns, "ns"};
        return 1;
    }
    case SIM_KEY_RATE:
        if (sim_units_parse_rate(text, &d, e, sizeof e))
            return 0;
        *t = (typed_t){1, d, "bytes/s"};
        return 1;
    case SIM_KEY_FRACTION:
        if (sim_units_parse_fraction(text, &d, e, sizeof e))
            return 0;
        *t = (typed_t){1, d, "fraction"};
        return 1;
    case SIM_KEY_BOOL:
        if (!strcmp(text, "yes") || !strcmp(text, "true") || !strcmp(text, "on") || !strcmp(text, "1"))
            *t = (typed_t){1, 1, "number"};
        else if (!strcmp(text, "no") || !strcmp(text, "false") || !strcmp(text, "off") || !strcmp(text, "0"))
            *t = (typed_t){1, 0, "number"};
        else
            return 0;
        return 1;
    default:
        return 0;
    }
}

/* Rule 2: the axis text alone.  A size or duration needs its unit (a bare number is a
 * plain number: parse_number comes first). */
static int guess(const char *text, typed_t *t)
{
    static const sim_key_type_t order[] = {SIM_KEY_REAL, SIM_KEY_BYTES, SIM_KEY_DURATION, SIM_KEY_RATE,
                                           SIM_KEY_FRACTION};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (parse_as(order[i], text, t))
            return 1;
    return 0;
}

/* Rule 1 then rule 2 for one axis of one run. */
static int type_axis(sqlite3_stmt *param, int64_t run_id, const char *policy, const char *axis,
                     const char *text, typed_t *t)
{
    memset(t, 0, sizeof *t);
    sqlite3_bind_int64(param, 1, run_id);
    sqlite3_bind_text(param, 2, axis, -1, SQLITE_STATIC);
    int found = 0;
    if (sqlite3_step(param) == SQLITE_ROW) {
        const char *sec = (const char *)sqlite3_column_text(param, 0);
        const char *key = (const char *)sqlite3_column_text(param, 1);
        const char *val = (const char *)sqlite3_column_text(param, 2);
        const sim_key_t *k = sec && key ? find_key(sec, key, policy) : NULL;
        if (k && val) {
            found = 1;
            if (k->type == SIM_KEY_STRING || k->type == SIM_KEY_CHOICE || !parse_as(k->type, val, t))
                t->numeric = 0;
        }
    }
    sqlite3_reset(param);
    return found ? t->numeric : guess(text, t);
}

/* ------------------------------------------------------------------ run_axes */

static int fill_run_axes(db_t *db, const char *schema, char *err, size_t errlen)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "CREATE TABLE IF NOT EXISTS %s.run_axes(run_id INTEGER NOT NULL, axis TEXT NOT NULL, text TEXT,"
             " value, unit TEXT, PRIMARY KEY(run_id, axis)); DELETE FROM %s.run_axes;", schema, schema);
    int rc = db_exec(db, sql, err, errlen);
    if (rc)
        return rc;
    sqlite3_stmt *runs = NULL, *param = NULL, *ins = NULL;
    snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO %s.run_axes VALUES(?,?,?,?,?)", schema);
    if ((rc = db_prepare(db, "SELECT run_id, policy, axes FROM runs ORDER BY run_id", &runs, err, errlen)) ||
        (rc = db_prepare(db, "SELECT section, key, value FROM run_params WHERE run_id = ? AND section || '.' || key = ?",
                         &param, err, errlen)) ||
        (rc = db_prepare(db, sql, &ins, err, errlen)))
        goto out;
    while (!rc && sqlite3_step(runs) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(runs, 0);
        const char *policy = (const char *)sqlite3_column_text(runs, 1);
        const char *axes = (const char *)sqlite3_column_text(runs, 2);
        char buf[1024];
        snprintf(buf, sizeof buf, "%s", axes ? axes : "");
        /* "a=1, b=2": values hold no ',' (sim/study.c), names no '=' */
        for (char *save = NULL, *item = strtok_r(buf, ",", &save); item && !rc; item = strtok_r(NULL, ",", &save)) {
            while (*item == ' ')
                item++;
            char *eq = strchr(item, '=');
            size_t len = strlen(item);
            if (!eq || (len >= 3 && !strcmp(item + len - 3, "...")))
                continue;               /* empty, or truncated by the 512-byte axes text */
            *eq = 0;
            typed_t t;
            type_axis(param, id, policy, item, eq + 1, &t);
            sqlite3_bind_int64(ins, 1, id);
            sqlite3_bind_text(ins, 2, item, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(ins, 3, eq + 1, -1, SQLITE_TRANSIENT);
            if (t.numeric && t.value == (double)(int64_t)t.value && fabs(t.value) < 9e15) {
                sqlite3_bind_int64(ins, 4, (int64_t)t.value);      /* bytes, ns, counts: exact integers */
                sqlite3_bind_text(ins, 5, t.unit, -1, SQLITE_STATIC);
            } else if (t.numeric) {
                sqlite3_bind_double(ins, 4, t.value);
                sqlite3_bind_text(ins, 5, t.unit, -1, SQLITE_STATIC);
            } else {
                sqlite3_bind_null(ins, 4);
                sqlite3_bind_null(ins, 5);
            }
            rc = db_step_done(db, ins, err, errlen);
        }
    }
out:
    sqlite3_finalize(runs);
    sqlite3_finalize(param);
    sqlite3_finalize(ins);
    return rc;
}

/* ------------------------------------------------------------------ the views */

typedef struct axis_col {
    char *axis;       /* the axis name in run_axes */
    char *column;     /* its column name in the views */
    int numeric;
} axis_col_t;

typedef struct build {
    db_t *db;
    const char *schema;
    axis_col_t *axes;
    size_t naxes;
    names_t run_metrics, vm_metrics, sample_cols;
} build_t;

static void build_free(build_t *b)
{
    for (size_t i = 0; i < b->naxes; i++)
        free(b->axes[i].axis), free(b->axes[i].column);
    free(b->axes);
    names_free(&b->run_metrics);
    names_free(&b->vm_metrics);
    names_free(&b->sample_cols);
}

/* Collect the text of column 0 of every row of sql into t. */
static int collect(db_t *db, const char *sql, names_t *t, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    int rc = db_prepare(db, sql, &st, err, errlen);
    if (rc)
        return rc;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *s = (const char *)sqlite3_column_text(st, 0);
        if (s && names_push(t, s) < 0) {
            rc = SIM_ENOMEM;
            snprintf(err, errlen, "out of memory");
            break;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

/* The columns every view starts with, so that axis names cannot take them. */
static const char *const fixed_columns[] = {"study", "run", "point", "repetition", "seed", "policy", "status",
                                            "overcommit", "run_id", "vm_id", "vm", "grp", "host_id",
                                            "time_ns", "time_s", "metric", "n", "mean", "sd", "ci95"};

static int load_axes(build_t *b, names_t *used, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT axis, min(value IS NOT NULL) FROM %s.run_axes GROUP BY axis ORDER BY min(rowid)",
             b->schema);
    int rc = db_prepare(b->db, sql, &st, err, errlen);
    if (rc)
        return rc;
    size_t cap = 0;
    int oom = 0;
    while (!oom && sqlite3_step(st) == SQLITE_ROW) {
        if (b->naxes == cap) {
            cap = cap ? 2 * cap : 8;
            axis_col_t *a = realloc(b->axes, cap * sizeof *a);
            if (!a) {
                oom = 1;
                break;
            }
            b->axes = a;
        }
        axis_col_t *a = &b->axes[b->naxes];
        char col[600];
        a->axis = strdup((const char *)sqlite3_column_text(st, 0));
        a->numeric = sqlite3_column_int(st, 1);
        a->column = NULL;
        if (!a->axis || column_name(used, "axis.", a->axis, col, sizeof col) || !(a->column = strdup(col))) {
            free(a->axis), free(a->column);
            oom = 1;
            break;
        }
        b->naxes++;
    }
    sqlite3_finalize(st);
    if (oom) {
        snprintf(err, errlen, "out of memory");
        return SIM_ENOMEM;
    }
    return SIM_OK;
}

/* ", ax.\"col\"" for every axis, then overcommit. */
static void add_axis_columns(sbuf_t *q, const build_t *b)
{
    for (size_t i = 0; i < b->naxes; i++) {
        sb_add(q, ", ax.");
        sb_quoted(q, b->axes[i].column, '"');
    }
    sb_add(q, ", ax.overcommit");
}

/* ", max(CASE WHEN s.metric = 'm' THEN s.value END) AS \"m\"" for every metric; the
 * column names go through used (a metric named like an axis becomes "metric.m"). */
static int add_pivot(sbuf_t *q, const names_t *metrics, names_t *used)
{
    for (size_t i = 0; i < metrics->n; i++) {
        char col[600];
        if (column_name(used, "metric.", metrics->v[i], col, sizeof col))
            return -1;
        sb_add(q, ", max(CASE WHEN s.metric = ");
        sb_quoted(q, metrics->v[i], '\'');
        sb_add(q, " THEN s.value END) AS ");
        sb_quoted(q, col, '"');
    }
    return 0;
}

static int create_view(build_t *b, const char *name, sbuf_t *body, char *err, size_t errlen)
{
    sbuf_t q = {0};
    char head[256];
    if (!strcmp(b->schema, "temp"))
        snprintf(head, sizeof head, "DROP VIEW IF EXISTS temp.%s; CREATE TEMP VIEW %s AS ", name, name);
    else
        snprintf(head, sizeof head, "DROP VIEW IF EXISTS main.%s; CREATE VIEW main.%s AS ", name, name);
    sb_add(&q, head);
    sb_add(&q, body->s ? body->s : "");
    int rc;
    if (q.oom || body->oom) {
        snprintf(err, errlen, "out of memory");
        rc = SIM_ENOMEM;
    } else {
        rc = db_exec(b->db, q.s, err, errlen);
    }
    free(q.s);
    free(body->s);
    memset(body, 0, sizeof *body);
    return rc;
}

static int view_run_axes(build_t *b, char *err, size_t errlen)
{
    sbuf_t q = {0};
    sb_add(&q, "SELECT r.run_id AS run_id");
    for (size_t i = 0; i < b->naxes; i++) {
        sb_add(&q, ", max(CASE WHEN a.axis = ");
        sb_quoted(&q, b->axes[i].axis, '\'');
        sb_add(&q, b->axes[i].numeric ? " THEN a.value END) AS " : " THEN a.text END) AS ");
        sb_quoted(&q, b->axes[i].column, '"');
    }
    sb_add(&q, ", (SELECT sum(v.configured_bytes) FROM vms v WHERE v.run_id = r.run_id) * 1.0"
               " / (SELECT nullif(sum(h.capacity_bytes - h.reserve_bytes), 0) FROM hosts h WHERE h.run_id = r.run_id)"
               " AS overcommit FROM runs r LEFT JOIN run_axes a ON a.run_id = r.run_id GROUP BY r.run_id");
    return create_view(b, "v_run_axes", &q, err, errlen);
}

static int view_runs(build_t *b, names_t *used, char *err, size_t errlen)
{
    sbuf_t q = {0};
    sb_add(&q, "SELECT r.study_key AS study, r.run_index AS run, r.point_index AS point, r.repetition AS repetition,"
               " r.seed AS seed, r.policy AS policy, r.status AS status");
    add_axis_columns(&q, b);
    if (add_pivot(&q, &b->run_metrics, used))
        q.oom = 1;
    sb_add(&q, ", r.run_id AS run_id FROM runs r LEFT JOIN v_run_axes ax ON ax.run_id = r.run_id"
               " LEFT JOIN run_summary s ON s.run_id = r.run_id GROUP BY r.run_id ORDER BY r.study_key, r.run_index");
    return create_view(b, "v_runs", &q, err, errlen);
}

static int view_points(build_t *b, char *err, size_t errlen)
{
    sbuf_t q = {0};
    sb_add(&q, "SELECT p.study_key AS study, p.point_index AS point, p.policy AS policy");
    add_axis_columns(&q, b);
    sb_add(&q, ", p.metric AS metric, p.n AS n, p.mean AS mean, p.sd AS sd, p.ci95 AS ci95 FROM point_summary p"
               " LEFT JOIN v_run_axes ax ON ax.run_id = (SELECT r.run_id FROM runs r WHERE r.study_key = p.study_key"
               " AND r.point_index = p.point_index AND r.status = 'complete' ORDER BY r.run_index LIMIT 1)"
               " ORDER BY p.study_key, p.point_index, p.metric");
    return create_view(b, "v_points", &q, err, errlen);
}

static int view_vms(build_t *b, const names_t *base_used, char *err, size_t errlen)
{
    names_t used = {0};
    for (size_t i = 0; i < base_used->n; i++)
        if (names_push(&used, base_used->v[i]) < 0)
            break;
    static const char *const vm_cols[] = {"configured_bytes", "startup_bytes", "min_bytes", "shares", "weight"};
    for (size_t i = 0; i < sizeof vm_cols / sizeof vm_cols[0]; i++)
        names_push(&used, vm_cols[i]);
    sbuf_t q = {0};
    sb_add(&q, "SELECT r.study_key AS study, r.run_index AS run, r.point_index AS point, r.repetition AS repetition,"
               " r.seed AS seed, r.policy AS policy, r.status AS status");
    add_axis_columns(&q, b);
    sb_add(&q, ", v.vm_id AS vm_id, v.name AS vm, v.grp AS grp, v.host_id AS host_id, v.configured_bytes AS"
               " configured_bytes, v.startup_bytes AS startup_bytes, v.min_bytes AS min_bytes, v.shares AS shares,"
               " v.weight AS weight");
    if (add_pivot(&q, &b->vm_metrics, &used))
        q.oom = 1;
    sb_add(&q, ", r.run_id AS run_id FROM vms v JOIN runs r ON r.run_id = v.run_id LEFT JOIN v_run_axes ax ON"
               " ax.run_id = v.run_id LEFT JOIN vm_summary s ON s.run_id = v.run_id AND s.vm_id = v.vm_id"
               " GROUP BY v.run_id, v.vm_id ORDER BY r.study_key, r.run_index, v.vm_id");
    names_free(&used);
    return create_view(b, "v_vms", &q, err, errlen);
}

static int view_samples(build_t *b, char *err, size_t errlen)
{
    sbuf_t q = {0};
    sb_add(&q, "SELECT r.study_key AS study, r.run_index AS run, r.point_index AS point, r.repetition AS repetition,"
               " r.policy AS policy");
    add_axis_columns(&q, b);
    sb_add(&q, ", s.vm_id AS vm_id, v.name AS vm, v.grp AS grp, s.time_ns AS time_ns, s.time_ns / 1e9 AS time_s");
    for (size_t i = 0; i < b->sample_cols.n; i++) {
        const char *c = b->sample_cols.v[i];
        if (!strcmp(c, "run_id") || !strcmp(c, "vm_id") || !strcmp(c, "time_ns"))
            continue;
        sb_add(&q, ", s.");
        sb_quoted(&q, c, '"');
    }
    sb_add(&q, ", s.run_id AS run_id FROM vm_samples s JOIN runs r ON r.run_id = s.run_id JOIN vms v ON"
               " v.run_id = s.run_id AND v.vm_id = s.vm_id LEFT JOIN v_run_axes ax ON ax.run_id = s.run_id"
               " ORDER BY s.run_id, s.vm_id, s.time_ns");
    return create_view(b, "v_samples", &q, err, errlen);
}

static int has_tables(db_t *db)
{
    sqlite3_stmt *st;
    char e[64];
    if (db_prepare(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN"
                       " ('runs', 'run_params', 'vms', 'hosts', 'run_summary', 'vm_summary', 'vm_samples')",
                   &st, e, sizeof e))
        return 0;
    int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    return n == 7;
}

int tables_build(db_t *db, int temp, char *err, size_t errlen)
{
    if (!has_tables(db)) {
        snprintf(err, errlen, "%s: holds no runs (no run tables: write it with `balloonsim run` or `sweep`)",
                 db_path(db));
        return SIM_EINPUT;
    }
    build_t b = {db, temp ? "temp" : "main", NULL, 0, {0}, {0}, {0}};
    names_t used = {0};
    int rc = 0;
    for (size_t i = 0; i < sizeof fixed_columns / sizeof fixed_columns[0] && !rc; i++)
        if (names_push(&used, fixed_columns[i]) < 0)
            rc = SIM_ENOMEM;
    if (!rc && !temp)
        rc = db_begin(db, err, errlen);
    int began = !rc && !temp;
    if (!rc && !temp)
        rc = stats_schema(db, err, errlen);      /* v_points reads point_summary */
    if (!rc && temp) {
        sqlite3_stmt *st;
        if (!db_prepare(db, "SELECT 1 FROM sqlite_master WHERE name = 'point_summary'", &st, err, errlen)) {
            int have = sqlite3_step(st) == SQLITE_ROW;
            sqlite3_finalize(st);
            if (!have)
                rc = db_exec(db, "CREATE TEMP TABLE point_summary(study_key TEXT, point_index INTEGER, axes TEXT,"
                                 " policy TEXT, metric TEXT, n INTEGER, mean REAL, sd REAL, ci95 REAL)", err, errlen);
        }
    }
    if (!rc)
        rc = fill_run_axes(db, b.schema, err, errlen);
    if (!rc)
        rc = load_axes(&b, &used, err, errlen);
    if (!rc)
        rc = collect(db, "SELECT DISTINCT metric FROM run_summary ORDER BY metric", &b.run_metrics, err, errlen);
    if (!rc)
        rc = collect(db, "SELECT DISTINCT metric FROM vm_summary ORDER BY metric", &b.vm_metrics, err, errlen);
    if (!rc)
        rc = collect(db, "SELECT name FROM pragma_table_info('vm_samples') ORDER BY cid", &b.sample_cols, err, errlen);
    if (!rc)
        rc = view_run_axes(&b, err, errlen);
    if (!rc)
        rc = view_points(&b, err, errlen);
    if (!rc)
        rc = view_vms(&b, &used, err, errlen);
    if (!rc)
        rc = view_samples(&b, err, errlen);
    if (!rc)
        rc = view_runs(&b, &used, err, errlen);
    if (!rc && began)
        rc = db_commit(db, err, errlen);
    if (rc && began)
        db_rollback(db);
    build_free(&b);
    names_free(&used);
    return rc;
}

int tables_rebuild_all(db_t *db, char *err, size_t errlen)
{
    int rc = stats_point_summary(db, err, errlen);
    return rc ? rc : tables_build(db, 0, err, errlen);
}
