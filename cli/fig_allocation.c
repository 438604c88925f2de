/*
 * cli/fig_allocation.c -- `balloonsim plot --figure allocation`: one run at one moment, a
 * stacked bar of where each VM's memory is.  Units: cli/cmd_plot.c (FIGURES).
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

int plot_fig_allocation(plot_t *p, int argc, char **argv)
{
    int64_t run;
    char policy[128];
    int rc;
    vm_row_t *vms = NULL;
    size_t nvms = 0;
    if ((rc = plot_pick_run(p, &run, policy, sizeof policy)) || (rc = plot_load_vms(p, run, &vms, &nvms)))
        return rc;
    free(vms);
    int64_t at_ns = p->o.has_at ? (int64_t)llround(p->o.at_s * 1e9) : INT64_MAX;
    sqlite3_stmt *st;
    if ((rc = plot_prepare(p,
                      "SELECT v.name, v.configured_bytes, s.time_ns, s.assigned_bytes, s.balloon_bytes,"
                      " s.usable_bytes, s.anon_bytes, s.cache_bytes, s.free_bytes, s.host_swapped_bytes, v.vm_id"
                      " FROM vms v JOIN vm_samples s ON s.run_id = v.run_id AND s.vm_id = v.vm_id"
                      " WHERE v.run_id = ?1 AND (?2 IS NULL OR v.grp = ?2) AND s.time_ns ="
                      " (SELECT max(time_ns) FROM vm_samples s2 WHERE s2.run_id = v.run_id AND s2.vm_id = v.vm_id"
                      "  AND s2.time_ns <= ?3) ORDER BY v.vm_id", &st)))
        return rc;
    sqlite3_bind_int64(st, 1, run);
    if (p->o.group)
        sqlite3_bind_text(st, 2, p->o.group, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, at_ns);
    FILE *f = plot_open_data(p, NULL);
    if (!f) {
        sqlite3_finalize(st);
        return SIM_EIO;
    }
    fprintf(f, "# index name kernel_mib anon_mib cache_mib free_mib balloon_mib unassigned_mib host_swapped_mib"
               " configured_mib time_s vm_id   (run %lld)\n", (long long)run);
    strlist_t names = {0};
    double max_cfg = 0, t_s = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const double M = 1048576;
        double cfg = sqlite3_column_double(st, 1) / M, assigned = sqlite3_column_double(st, 3) / M;
        double balloon = sqlite3_column_double(st, 4) / M, usable = sqlite3_column_double(st, 5) / M;
        double anon = sqlite3_column_double(st, 6) / M, cache = sqlite3_column_double(st, 7) / M;
        double fr = sqlite3_column_double(st, 8) / M, hsw = sqlite3_column_double(st, 9) / M;
        double kernel = usable - anon - cache - fr, unassigned = cfg - assigned;
        double t = sqlite3_column_double(st, 2) / 1e9;
        size_t i = plot_strlist_add(&names, plot_col_text(st, 0));
        fprintf(f, "%zu ", i);
        plot_dat_name(f, names.v[i]);
        fprintf(f, " %.6g %.6g %.6g %.6g %.6g %.6g %.6g %.6g %.6g %lld\n", kernel > 0 ? kernel : 0, anon, cache, fr,
                balloon, unassigned > 0 ? unassigned : 0, hsw, cfg, t, (long long)sqlite3_column_int64(st, 10));
        max_cfg = cfg > max_cfg ? cfg : max_cfg;
        max_cfg = assigned > max_cfg ? assigned : max_cfg;   /* hot-add may pass the configured size */
        t_s = t > t_s ? t : t_s;
    }
    sqlite3_finalize(st);
    rc = plot_close_data(p, &f);
    if (!rc && names.n == 0) {
        int64_t any = plot_count_rows(p, "SELECT min(time_ns) FROM vm_samples WHERE run_id = ?", run);
        if (plot_count_rows(p, "SELECT count(*) FROM vm_samples WHERE run_id = ?", run) <= 0)
            rc = plot_no_samples(p, run, "VM ");
        else
            rc = plot_fail(p, "no VM samples at or before t = %g s in run %lld (the first is at %g s)", p->o.at_s,
                      (long long)run, (double)any / 1e9);
    }
    if (rc) {
        plot_strlist_free(&names);
        return rc;
    }
    const char *munit, *tunit;
    max_cfg = max_cfg > 0 ? max_cfg : 1;
    double mdiv = plot_mem_div(max_cfg, &munit), tdiv = plot_time_div(t_s, &tunit);
    plot_gp_header(p, argc, argv);
    FILE *g = p->gp;
    char line[512], rl[200];
    snprintf(line, sizeof line, "%s, policy %s, at t = %g s", plot_run_label(p, run, rl, sizeof rl), policy, t_s);
    plot_gp_comment(p, line);
    fprintf(g, "mdiv = %g    # MiB per %s\n", mdiv, munit);
    fputs("set style data histograms\nset style histogram rowstacked\nset boxwidth 0.75 relative\n"
          "set style fill solid 1.0 border lc rgb '#333333'\n", g);
    plot_gp_set(p, "ylabel", "memory (%s)", munit);
    plot_gp_set(p, "xlabel", "VM, at t = %.4g %s", t_s / tdiv, tunit);
    fprintf(g, "set yrange [0:%.6g/mdiv]\nset xrange [-0.6:%zu-0.4]\n", max_cfg * 1.02, names.n);
    plot_gp_category_tics(p, &names);
    fputs("set key outside top center horizontal maxrows 2 reverse Left samplen 1.5\nset grid noxtics\n", g);
    fputs("# components stack to the configured size: kernel + anon + cache + free = usable;"
          " + balloon = assigned; + unassigned = configured\n", g);
    plot_gp_user(p, PLOT_USER_ALL);
    fputs("plot ", g);
    plot_gp_file(p, p->data[p->ndata - 1]);
    fputs(" using ($3/mdiv) title 'kernel' lc rgb '#555555', \\\n"
          "     '' using ($4/mdiv) title 'anon' lc rgb '#0072B2', \\\n"
          "     '' using ($5/mdiv) title 'page cache' lc rgb '#9ecae1', \\\n"
          "     '' using ($6/mdiv) title 'free' lc rgb '#ffffff', \\\n"
          "     '' using ($7/mdiv) title 'balloon' lc rgb '#D55E00' fs pattern 2 border lc rgb '#333333', \\\n"
          "     '' using ($8/mdiv) title 'not assigned' lc rgb '#888888' fs pattern 4 border lc rgb '#333333'", g);
    plot_gp_hlines(p);
    fputc('\n', g);
    plot_strlist_free(&names);
    return SIM_OK;
}

