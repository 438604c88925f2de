/*
 * cli/stats.h -- statistics over the repetitions of sweep points (stats_*; cli/stats.c):
 * the mean, standard deviation and 95% CI half-width of repetitions (GSL t quantile; sd
 * and ci are NAN when n < 2; returns n); rebuilding point_summary and point_diff (paired
 * differences to each point's baseline policy, docs/database.md) from the complete runs;
 * the short table of headline metrics per point printed after a sweep or a merge.
 */
#ifndef CLI_STATS_H
#define CLI_STATS_H

#include <stddef.h>
#include <stdio.h>
#include <sqlite3.h>
#include "sim/db.h"

/* Create the point_summary and point_diff tables if missing. */
int stats_schema(db_t *db, char *err, size_t errlen);

/* A run's axes without its policy axis: policy.name=..., or the named axis whose value is
 * the run's policy (${pol=static, mom}); out has room for strlen(axes) + 1. */
void stats_axes_without_policy(const char *axes, const char *policy, char *out);

/* Registers the SQL function axes_without_policy(axes, policy) on connection h. */
int stats_register_sql(sqlite3 *h);
size_t stats_summary(const double *x, size_t n, double *mean, double *sd, double *ci95);
/* Rebuild point_summary and point_diff (one transaction). */
int stats_point_summary(db_t *db, char *err, size_t errlen);
/* study_key NULL: every study in the database. */
void stats_print_point_table(db_t *db, const char *study_key, FILE *f);

#endif
