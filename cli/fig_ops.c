/*
 * cli/fig_ops.c -- `balloonsim plot --figure balloon-ops`: latency against size of balloon
 * operations (scatter), or their latency CDF.  Units: cli/cmd_plot.c (FIGURES).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include "sim/db.h"
#include "sim/units.h"
#include "models/record.h"
#include "cli/common.h"
#include "cli/stats.h"
#include "cli/plot.h"

int plot_fig_ops(plot_t *p, int argc, char **argv)
{
    const char *as = p->o.as ? p->o.as : "scatter";
    int scatter = !strcmp(as, "scatter");
    if (!scatter && strcmp(as, "cdf"))
        return plot_fail(p, "--as must be scatter or cdf, not '%s'", as);
    int rc;
    int64_t run = 0;
    char policy[128] = "";
    if (p->o.has_run && (rc = plot_pick_run(p, &run, policy, sizeof policy)))
        return rc;
    sqlite3_stmt *st;
    if ((rc = plot_prepare(p,
                      "SELECT r.policy, o.kind, o.moved_bytes, (o.finished_ns - o.issued_ns) / 1e9, o.asked_bytes,"
                      " o.issued_ns / 1e9, o.vm_id, o.outcome, o.run_id FROM balloon_ops o"
                      " JOIN runs r ON r.run_id = o.run_id JOIN vms v ON v.run_id = o.run_id AND v.vm_id = o.vm_id"
                      " WHERE o.finished_ns IS NOT NULL AND o.finished_ns >= o.issued_ns"
                      " AND (r.status = 'complete' OR r.run_id = ?1) AND (?1 IS NULL OR r.run_id = ?1)"
                      " AND (?1 IS NOT NULL OR r.run_id IN " PLOT_SELECTED ")"
                      " AND (?4 IS NULL OR v.grp = ?4) ORDER BY o.run_id, o.issued_ns, o.vm_id", &st)))
        return rc;
    if (p->o.has_run)
        sqlite3_bind_int64(st, 1, run);
    if (p->o.group)
        sqlite3_bind_text(st, 4, p->o.group, -1, SQLITE_STATIC);
    /* rows in memory first: the series key depends on whether several policies appear */
    typedef struct op_row {
        char policy[128], kind[32], outcome[32];
        double moved_mib, latency_s, asked_mib, issued_s;
        int64_t vm_id, run_id;
    } op_row_t;
    op_row_t *ops = NULL;
    size_t nops = 0, cap = 0;
    strlist_t policies = {0};
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (nops == cap) {
            cap = cap ? 2 * cap : 256;
            ops = plot_xrealloc(ops, cap * sizeof *ops);
        }
        op_row_t *o = &ops[nops++];
        snprintf(o->policy, sizeof o->policy, "%s", plot_col_text(st, 0));
        snprintf(o->kind, sizeof o->kind, "%s", plot_col_text(st, 1));
        o->moved_mib = sqlite3_column_double(st, 2) / 1048576;
        o->latency_s = sqlite3_column_double(st, 3);
        o->asked_mib = sqlite3_column_double(st, 4) / 1048576;
        o->issued_s = sqlite3_column_double(st, 5);
        o->vm_id = sqlite3_column_int64(st, 6);
        snprintf(o->outcome, sizeof o->outcome, "%s", plot_col_text(st, 7));
        o->run_id = sqlite3_column_int64(st, 8);
        plot_strlist_intern(&policies, o->policy);
    }
    sqlite3_finalize(st);
    if (!nops) {
        plot_strlist_free(&policies);
        free(ops);
        if (p->o.has_run) {
            char output[64] = "";
            plot_run_param(p, run, "simulation", "output", output, sizeof output);
            if (output[0] && strcmp(output, "vm"))
                return plot_fail(p, "no balloon operations for run %lld: it was run with output = %s (they are recorded at output = vm)",
                            (long long)run, output);
            return plot_fail(p, "no finished balloon operations in run %lld (policy %s%s)", (long long)run, policy,
                        !strcmp(policy, "static") ? " does not balloon" : "");
        }
        return plot_fail(p, "no finished balloon operations in the selected runs of %s", p->o.db_path);
    }
    series_set_t set = {0};
    FILE *f = NULL;
    char key[512];
    for (size_t i = 0; i < nops; i++) {
        snprintf(key, sizeof key, "%s%s%s", ops[i].kind, policies.n > 1 ? " / " : "",
                 policies.n > 1 ? ops[i].policy : "");
        plot_series_add(&set, key, scatter ? (double)i : ops[i].latency_s);
    }
    double xmin = INFINITY, xmax = -INFINITY, ymax = -INFINITY;
    if (scatter) {
        if (!(f = plot_open_data(p, NULL))) {
            rc = SIM_EIO;
            goto out;
        }
        fputs("# moved_mib latency_s asked_mib issued_s vm_id run_id outcome   (latency = finished - issued;"
              " one block per kind)\n", f);
        for (size_t k = 0; k < set.n; k++) {
            fprintf(f, "%s# block %zu: ", k ? "\n\n" : "", k);
            plot_dat_name(f, set.s[k].key);
            fputc('\n', f);
            for (size_t j = 0; j < set.s[k].n; j++) {
                const op_row_t *o = &ops[(size_t)set.s[k].v[j]];
                fprintf(f, "%.6g %.6g %.6g %.6g %lld %lld ", o->moved_mib, o->latency_s, o->asked_mib, o->issued_s,
                        (long long)o->vm_id, (long long)o->run_id);
                plot_dat_name(f, o->outcome);
                fputc('\n', f);
                xmin = o->moved_mib < xmin ? o->moved_mib : xmin;
                xmax = o->moved_mib > xmax ? o->moved_mib : xmax;
                ymax = o->latency_s > ymax ? o->latency_s : ymax;
            }
        }
        rc = plot_close_data(p, &f);
    } else {
        rc = plot_write_cdf(p, &set, "# latency_s fraction   (latency = finished - issued; one block per kind)", &xmin,
                       &xmax);
    }
    if (rc)
        goto out;
    plot_gp_header(p, argc, argv);
    FILE *g = p->gp;
    if (p->o.has_run) {
        char rl[200];
        snprintf(key, sizeof key, "%s, policy %s", plot_run_label(p, run, rl, sizeof rl), policy);
        plot_gp_comment(p, key);
    }
    plot_gp_logscale(p);
    if (scatter) {
        plot_gp_set(p, "xlabel", "memory moved (MiB)");
        plot_gp_set(p, "ylabel", "latency (s)");
        fputs("set key outside top center horizontal reverse Left\nset offsets 0, graph 0.02, graph 0.05, 0\n", g);
        if (!(p->o.log && strchr(p->o.log, 'x')))
            fputs(xmax > 0 ? "set xrange [0:*]\n" : "set xrange [0:1]\n", g);
        if (!(p->o.log && strchr(p->o.log, 'y')))
            fputs(ymax > 0 ? "set yrange [0:*]\n" : "set yrange [0:1]\n", g);
        if (set.n == 1)
            fputs("unset key\n", g);
        double ylo = INFINITY;
        for (size_t i = 0; i < nops; i++)
            ylo = ops[i].latency_s > 0 && ops[i].latency_s < ylo ? ops[i].latency_s : ylo;
        plot_gp_log_range(p, 'x', xmin, xmax);
        plot_gp_log_range(p, 'y', ylo, ymax);
        plot_gp_user(p, PLOT_USER_ALL);
        fputs("plot ", g);
        for (size_t k = 0; k < set.n; k++) {
            fprintf(g, "%s", k ? ", \\\n     " : "");
            plot_gp_file(p, p->data[p->ndata - 1]);
            fprintf(g, " index %zu using 1:2 with points ls %zu title ", k, k % 8 + 1);
            plot_gp_str(p, set.s[k].key);
        }
        plot_gp_hlines(p);
        fputc('\n', g);
    } else {
        plot_gp_set(p, "xlabel", "balloon operation latency (s)");
        plot_gp_set(p, "ylabel", "fraction of operations");
        plot_gp_cdf_plot(p, &set, xmin, xmax);
    }
    rc = SIM_OK;
out:
    if (f)
        fclose(f);
    plot_series_free(&set);
    plot_strlist_free(&policies);
    free(ops);
    return rc;
}

