/*
 * models/sweep.h -- the parts of models/sweep.c (the sweep and merge commands) that plot
 * and tests/unit/test_sweep.c use: a --runs selection ("0-9,17,30-") into
 * selected[nruns]; the mean, standard deviation and 95% CI half-width of repetitions (GSL
 * t quantile; sd and ci are NAN when n < 2; returns n); rebuilding point_summary from the
 * complete runs.
 */
#ifndef MODELS_SWEEP_H
#define MODELS_SWEEP_H

#include <stddef.h>
#include "sim/db.h"

int sweep_parse_runs(const char *spec, size_t nruns, unsigned char *selected, char *err, size_t errlen);
size_t sweep_stats(const double *x, size_t n, double *mean, double *sd, double *ci95);
int sweep_point_summary(db_t *db, char *err, size_t errlen);

#endif
