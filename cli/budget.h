/*
 * cli/budget.h -- the budget of `balloonsim capacity` (cli/budget.c): clauses over run and
 * VM summary metrics joined with `and`, and how a probe meets them (docs/capacity.md).
 *
 *   budget  = clause { "and" clause }
 *   clause  = term op value
 *   term    = RUN_METRIC | agg "(" "vm." VM_METRIC ")"
 *   agg     = mean | min | max | sum | pNN      (NN = 1..99: a quantile over the VMs of a run,
 *                                                GSL gsl_stats_quantile_from_sorted_data)
 *   op      = <= | < | >= | > | ==
 *   value   = a number, or with a unit parsed by sim/units: a size for *_bytes metrics
 *             (1GiB), a duration for *_s metrics (seconds: 30s, 2min), a fraction (20%)
 * Metric names are those of dc_run_metrics and dc_vm_metrics (models/dc.h).  An unknown
 * metric or a malformed clause: SIM_EINPUT with a message that lists the metrics.
 *
 * Each clause is evaluated per repetition (one value per run), then over the repetitions
 * as a mean and the half-width of its 95% Student-t interval (cli/stats.c).  A probe meets
 * a clause only if the conservative end of the interval does: the upper end for <= and <,
 * the lower end for >= and >, both ends for == (budget_meets).
 */
#ifndef CLI_BUDGET_H
#define CLI_BUDGET_H

#include <stddef.h>

#define BUDGET_MAX_CLAUSES 16

typedef enum { BUDGET_LE, BUDGET_LT, BUDGET_GE, BUDGET_GT, BUDGET_EQ } budget_op_t;
typedef enum { BUDGET_RUN, BUDGET_MEAN, BUDGET_MIN, BUDGET_MAX, BUDGET_SUM, BUDGET_QUANTILE } budget_agg_t;

typedef struct budget_clause {
    char metric[64];            /* a run metric (agg BUDGET_RUN), else a VM metric */
    budget_agg_t agg;
    double q;                   /* BUDGET_QUANTILE: 0.01 .. 0.99 */
    budget_op_t op;
    double bound;               /* in the metric's canonical unit (bytes, s, number) */
    char text[128];             /* the clause as written, trimmed */
} budget_clause_t;

typedef struct budget {
    budget_clause_t c[BUDGET_MAX_CLAUSES];
    size_t n;
} budget_t;

/* Parse text into *b.  0, or SIM_EINPUT with a message naming the clause and listing the
 * metrics. */
int budget_parse(const char *text, budget_t *b, char *err, size_t errlen);
/* The value of a VM clause over one run's VM values v[0..n-1] (sorted ascending by the
 * caller); NAN when n == 0. */
double budget_aggregate(const budget_clause_t *c, const double *v, size_t n);
/* Whether the interval mean +- ci95 (ci95 NAN = one repetition: the mean itself) meets
 * the clause on its conservative side; *edge = the end that was compared. */
int budget_meets(const budget_clause_t *c, double mean, double ci95, double *edge);
/* "<=", "<", ... */
const char *budget_op_text(budget_op_t op);

#endif
