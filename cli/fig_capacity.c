/*
 * cli/fig_capacity.c -- `balloonsim plot --figure capacity`: per policy, the largest
 * overcommit (Σ configured VM memory / Σ (host capacity - reserve)) whose runs met the
 * budget of a `balloonsim capacity` search, as a bar, with the passing/failing bracket as
 * the error bar (from the passing to the failing value's overcommit).  Reads the table
 * capacity (docs/capacity.md, docs/database.md); --study KEY picks one search when the
 * database holds several, --policy one policy.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim/db.h"
#include "cli/plot.h"

/* The study to draw: --study, else the only one in the table. */
static int pick_study(plot_t *p, char *key, size_t len)
{
    sqlite3_stmt *st;
    int rc = plot_prepare(p, "SELECT DISTINCT study_key FROM capacity ORDER BY study_key", &st);
    if (rc)
        return plot_fail(p, "%s holds no capacity table: write one with `balloonsim capacity`", p->o.db_path);
    size_t n = 0;
    char all[512] = "";
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *k = plot_col_text(st, 0);
        if (!p->o.study || !strcmp(p->o.study, k)) {
            snprintf(key, len, "%s", k);
            n++;
        }
        snprintf(all + strlen(all), sizeof all - strlen(all), " %s", k);
    }
    sqlite3_finalize(st);
    if (n == 1)
        return SIM_OK;
    if (n == 0)
        return plot_fail(p, "no capacity search%s%s in %s (studies:%s)", p->o.study ? " with study " : "",
                         p->o.study ? p->o.study : "", p->o.db_path, all[0] ? all : " none");
    return plot_fail(p, "%s holds %zu capacity searches: pick one with --study KEY (studies:%s)", p->o.db_path, n, all);
}

int plot_fig_capacity(plot_t *p, int argc, char **argv)
{
    char key[64];
    int rc = pick_study(p, key, sizeof key);
    sqlite3_stmt *st;
    if (rc || (rc = plot_prepare(p, "SELECT policy, outcome, pass_overcommit, fail_overcommit, pass_text, fail_text,"
                                    " axis, budget FROM capacity WHERE study_key = ?1 AND (?2 IS NULL OR policy = ?2)"
                                    " ORDER BY rowid", &st)))
        return rc;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (p->o.policy)
        sqlite3_bind_text(st, 2, p->o.policy, -1, SQLITE_STATIC);
    FILE *f = plot_open_data(p, NULL);
    if (!f) {
        sqlite3_finalize(st);
        return SIM_EIO;
    }
    fprintf(f, "# index policy pass_overcommit fail_overcommit outcome_code pass_value fail_value   (study %s;"
               " outcome 0 bracketed, 1 top of range passes, 2 no passing value; NaN = none)\n", key);
    strlist_t names = {0};
    double ymax = 0;
    char axis[256] = "", budget[512] = "";
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *outcome = plot_col_text(st, 1);
        int code = !strcmp(outcome, "top of range passes") ? 1 : !strcmp(outcome, "no passing value") ? 2 : 0;
        double pass = sqlite3_column_type(st, 2) == SQLITE_NULL ? 0 : sqlite3_column_double(st, 2);
        double fail = sqlite3_column_type(st, 3) == SQLITE_NULL ? pass : sqlite3_column_double(st, 3);
        size_t i = plot_strlist_add(&names, plot_col_text(st, 0));
        fprintf(f, "%zu ", i);
        plot_dat_name(f, names.v[i]);
        fprintf(f, " %.6g %.6g %d ", pass, fail, code);
        plot_dat_name(f, sqlite3_column_type(st, 4) == SQLITE_NULL ? "NaN" : plot_col_text(st, 4));
        fputc(' ', f);
        plot_dat_name(f, sqlite3_column_type(st, 5) == SQLITE_NULL ? "NaN" : plot_col_text(st, 5));
        fputc('\n', f);
        ymax = fmax(ymax, fmax(pass, fail));
        snprintf(axis, sizeof axis, "%s", plot_col_text(st, 6));
        snprintf(budget, sizeof budget, "%s", plot_col_text(st, 7));
    }
    sqlite3_finalize(st);
    rc = plot_close_data(p, &f);
    if (!rc && names.n == 0)
        rc = plot_fail(p, "no capacity rows for study %s%s%s", key, p->o.policy ? " and policy " : "",
                       p->o.policy ? p->o.policy : "");
    if (rc) {
        plot_strlist_free(&names);
        return rc;
    }
    plot_gp_header(p, argc, argv);
    FILE *g = p->gp;
    char line[1024];
    snprintf(line, sizeof line, "capacity study %s: %s at budget %s; bar = largest passing overcommit, error bar = "
             "up to the smallest failing one; a bar without a bracket: the top of the range passed; 0: none passed",
             key, axis, budget);
    plot_gp_comment(p, line);
    fputs("set style fill solid 0.6 border lc rgb '#333333'\nset boxwidth 0.6\nset grid ytics\nunset key\n", g);
    plot_gp_set(p, "ylabel", "sustainable overcommit");
    fprintf(g, "set yrange [0:%.6g]\nset xrange [-0.6:%zu-0.4]\n", ymax > 0 ? ymax * 1.15 : 1, names.n);
    plot_gp_category_tics(p, &names);
    fputs("plot ", g);
    plot_gp_file(p, p->data[p->ndata - 1]);
    fputs(" using 1:3 with boxes lc rgb '#0072B2', \\\n"
          "     '' using 1:3:3:4 with yerrorbars lc rgb '#333333' pt 0 lw 1.5\n", g);
    plot_strlist_free(&names);
    return SIM_OK;
}
