/*
 * cli/fig_cdf.c -- `balloonsim plot --figure cdf`: the distribution of a metric over VMs or
 * runs, one curve per policy.  Units: cli/cmd_plot.c (FIGURES).
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

int plot_fig_cdf(plot_t *p, int argc, char **argv)
{
    strlist_t vm_metrics = {0}, run_metrics = {0};
    series_set_t set = {0};
    sqlite3_stmt *st = NULL;
    int rc;
    if ((rc = plot_metric_list(p, "vm_summary", &vm_metrics)) || (rc = plot_metric_list(p, "run_summary", &run_metrics)))
        goto out;
    if (!p->o.metric) {                 /* list what there is (issue 21) */
        char a[4096], b[2048];
        plot_strlist_join(&vm_metrics, a, sizeof a);
        plot_strlist_join(&run_metrics, b, sizeof b);
        rc = plot_fail(p, "figure cdf needs --metric NAME: over VMs (vm_summary): %s; over runs (run_summary): %s",
                       vm_metrics.n ? a : "none", run_metrics.n ? b : "none");
        goto out;
    }
    int over_vms;
    if (p->o.over) {
        if (strcmp(p->o.over, "vms") && strcmp(p->o.over, "runs")) {
            rc = plot_fail(p, "--over must be vms or runs, not '%s'", p->o.over);
            goto out;
        }
        over_vms = !strcmp(p->o.over, "vms");
        if (plot_strlist_find(over_vms ? &vm_metrics : &run_metrics, p->o.metric) < 0) {
            rc = plot_unknown_metric(p, p->o.metric, over_vms ? "vm_summary" : "run_summary",
                                over_vms ? &vm_metrics : &run_metrics);
            goto out;
        }
    } else if (plot_strlist_find(&vm_metrics, p->o.metric) >= 0) {
        over_vms = 1;
    } else if (plot_strlist_find(&run_metrics, p->o.metric) >= 0) {
        over_vms = 0;
    } else {
        char a[4096], b[2048];
        plot_strlist_join(&vm_metrics, a, sizeof a);
        plot_strlist_join(&run_metrics, b, sizeof b);
        rc = plot_fail(p, "unknown metric '%s' (vm_summary metrics: %s; run_summary metrics: %s)", p->o.metric,
                  vm_metrics.n ? a : "none", run_metrics.n ? b : "none");
        goto out;
    }
    if (!over_vms && p->o.group) {
        rc = plot_fail(p, "--group applies to --over vms only");
        goto out;
    }
    rc = plot_prepare(p, over_vms
        ? "SELECT r.policy, s.value FROM vm_summary s JOIN runs r ON r.run_id = s.run_id"
          " JOIN vms v ON v.run_id = s.run_id AND v.vm_id = s.vm_id WHERE s.metric = ?1"
          " AND (r.status = 'complete' OR r.run_id = ?2) AND (?2 IS NULL OR r.run_id = ?2)"
          " AND (?2 IS NOT NULL OR r.run_id IN " PLOT_SELECTED ") AND (?5 IS NULL OR v.grp = ?5)"
          " ORDER BY r.run_id, s.vm_id"
        : "SELECT r.policy, s.value FROM run_summary s JOIN runs r ON r.run_id = s.run_id WHERE s.metric = ?1"
          " AND (r.status = 'complete' OR r.run_id = ?2) AND (?2 IS NULL OR r.run_id = ?2)"
          " AND (?2 IS NOT NULL OR r.run_id IN " PLOT_SELECTED ") ORDER BY r.run_id", &st);
    if (rc)
        goto out;
    sqlite3_bind_text(st, 1, p->o.metric, -1, SQLITE_STATIC);
    if (p->o.has_run)
        sqlite3_bind_int64(st, 2, p->o.run_id);
    if (over_vms && p->o.group)
        sqlite3_bind_text(st, 5, p->o.group, -1, SQLITE_STATIC);
    char xlabel[300];
    size_t total = 0;
    double big = 0, scale;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (sqlite3_column_type(st, 1) == SQLITE_NULL)
            continue;
        double v = sqlite3_column_double(st, 1);
        plot_series_add(&set, plot_col_text(st, 0), v);
        big = fabs(v) > big ? fabs(v) : big;
        total++;
    }
    plot_metric_display(p->o.metric, big, &scale, xlabel, sizeof xlabel);
    for (size_t k = 0; k < set.n; k++)
        for (size_t i = 0; i < set.s[k].n; i++)
            set.s[k].v[i] *= scale;
    sqlite3_finalize(st);
    st = NULL;
    if (!total) {
        if (p->o.has_run) {
            int64_t dummy;
            char pol[128];
            if ((rc = plot_pick_run(p, &dummy, pol, sizeof pol)))
                goto out;
        }
        rc = plot_fail(p, "no values of %s over %s in the selected runs%s%s", p->o.metric, over_vms ? "VMs" : "runs",
                  p->o.group ? " of group " : "", p->o.group ? p->o.group : "");
        goto out;
    }
    char header[512];
    snprintf(header, sizeof header, "# value fraction   (%s over %s; value in %s; one block per policy)", p->o.metric,
             over_vms ? "VMs" : "runs", strchr(xlabel, '(') ? strchr(xlabel, '(') : "");
    double xmin, xmax;
    if ((rc = plot_write_cdf(p, &set, header, &xmin, &xmax)))
        goto out;
    plot_gp_header(p, argc, argv);
    plot_gp_set(p, "xlabel", "%s", xlabel);
    plot_gp_set(p, "ylabel", "fraction of %s", over_vms ? "VMs" : "runs");
    plot_gp_logscale(p);
    plot_gp_cdf_plot(p, &set, xmin, xmax);
    rc = SIM_OK;
out:
    if (st)
        sqlite3_finalize(st);
    plot_strlist_free(&vm_metrics);
    plot_strlist_free(&run_metrics);
    plot_series_free(&set);
    return rc;
}

