/*
 * cli/budget.c -- parsing and evaluating a capacity budget.  Grammar, units and the
 * conservative side: cli/budget.h and docs/capacity.md.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_statistics_double.h>
#include "sim/types.h"
#include "sim/units.h"
#include "models/dc.h"
#include "cli/budget.h"

static const struct {
    const char *text;
    budget_op_t op;
} ops[] = {{"<=", BUDGET_LE}, {">=", BUDGET_GE}, {"==", BUDGET_EQ}, {"<", BUDGET_LT}, {">", BUDGET_GT}};

static const struct {
    const char *name;
    budget_agg_t agg;
} aggs[] = {{"mean", BUDGET_MEAN}, {"min", BUDGET_MIN}, {"max", BUDGET_MAX}, {"sum", BUDGET_SUM}};

const char *budget_op_text(budget_op_t op)
{
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (ops[i].op == op)
            return ops[i].text;
    return "?";
}

static int in_list(const char *const *list, const char *name)
{
    for (size_t i = 0; list[i]; i++)
        if (!strcmp(list[i], name))
            return 1;
    return 0;
}

/* Append "; run metrics: a, b, ...; VM metrics (as AGG(vm.NAME)...): ..." to err. */
static void list_metrics(char *err, size_t errlen)
{
    size_t n = strlen(err);
    n += (size_t)snprintf(err + n, n < errlen ? errlen - n : 0, "\n  run metrics:");
    for (size_t i = 0; dc_run_metrics[i] && n < errlen; i++)
        n += (size_t)snprintf(err + n, errlen - n, " %s", dc_run_metrics[i]);
    if (n < errlen)
        n += (size_t)snprintf(err + n, errlen - n,
                              "\n  VM metrics, as AGG(vm.NAME) with AGG one of mean, min, max, sum, p1..p99:");
    for (size_t i = 0; dc_vm_metrics[i] && n < errlen; i++)
        n += (size_t)snprintf(err + n, errlen - n, " %s", dc_vm_metrics[i]);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

/* The bound: a plain number, else a unit the metric's name allows. */
static int parse_bound(const char *metric, const char *v, double *out)
{
    char msg[SIM_ERR_MAX];
    if (sim_units_parse_number(v, out, msg, sizeof msg) == 0)
        return 0;
    if (ends_with(metric, "_bytes")) {
        int64_t b;
        if (sim_units_parse_bytes(v, &b, msg, sizeof msg) == 0) {
            *out = (double)b;
            return 0;
        }
    } else if (ends_with(metric, "_s")) {
        sim_time_t ns;
        if (sim_units_parse_duration(v, &ns, msg, sizeof msg) == 0) {
            *out = sim_time_to_s(ns);
            return 0;
        }
    } else if (sim_units_parse_fraction(v, out, msg, sizeof msg) == 0) {
        return 0;
    }
    return -1;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = 0;
    return s;
}

/* The term before the operator: "mean_slowdown" or "p95(vm.slowdown_mean)". */
static int parse_term(char *term, budget_clause_t *c, char *err, size_t errlen)
{
    char *open = strchr(term, '(');
    if (!open) {
        if (!in_list(dc_run_metrics, term)) {
            snprintf(err, errlen, "unknown run metric '%.60s'%s", term,
                     in_list(dc_vm_metrics, term) ? " (a VM metric: write e.g. max(vm.NAME) or p95(vm.NAME))" : "");
            return -1;
        }
        c->agg = BUDGET_RUN;
        snprintf(c->metric, sizeof c->metric, "%s", term);
        return 0;
    }
    *open = 0;
    char *agg = trim(term), *arg = open + 1, *close = strchr(arg, ')');
    if (!close || *trim(close + 1)) {
        snprintf(err, errlen, "expected AGG(vm.METRIC) with a closing parenthesis");
        return -1;
    }
    *close = 0;
    arg = trim(arg);
    c->agg = BUDGET_RUN;
    for (size_t i = 0; i < sizeof aggs / sizeof aggs[0]; i++)
        if (!strcmp(agg, aggs[i].name))
            c->agg = aggs[i].agg;
    int q;
    char extra;
    if (c->agg == BUDGET_RUN && sscanf(agg, "p%d%c", &q, &extra) == 1 && q >= 1 && q <= 99 && isdigit((unsigned char)agg[1])) {
        c->agg = BUDGET_QUANTILE;
        c->q = q / 100.0;
    }
    if (c->agg == BUDGET_RUN) {
        snprintf(err, errlen, "unknown aggregate '%.20s' (mean, min, max, sum, or p1 .. p99)", agg);
        return -1;
    }
    if (strncmp(arg, "vm.", 3) || !in_list(dc_vm_metrics, arg + 3)) {
        snprintf(err, errlen, "'%.60s' is not vm.METRIC with a VM metric", arg);
        return -1;
    }
    snprintf(c->metric, sizeof c->metric, "%s", arg + 3);
    return 0;
}

static int parse_clause(char *text, budget_clause_t *c, char *err, size_t errlen)
{
    snprintf(c->text, sizeof c->text, "%s", text);
    char *at = NULL;
    size_t which = 0;
    for (char *p = text; *p && !at; p++)
        for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
            if (!strncmp(p, ops[i].text, strlen(ops[i].text))) {
                at = p, which = i;
                break;
            }
    if (!at) {
        snprintf(err, errlen, "no comparison (<=, <, >=, >, ==)");
        return -1;
    }
    c->op = ops[which].op;
    *at = 0;
    char *term = trim(text), *value = trim(at + strlen(ops[which].text));
    if (!*term || !*value) {
        snprintf(err, errlen, "expected METRIC %s VALUE", ops[which].text);
        return -1;
    }
    if (parse_term(term, c, err, errlen))
        return -1;
    if (parse_bound(c->metric, value, &c->bound)) {
        snprintf(err, errlen, "'%.40s' is not a number%s", value,
                 ends_with(c->metric, "_bytes") ? " or a size (1GiB)"
                 : ends_with(c->metric, "_s")   ? " or a duration (30s)"
                                                : " or a fraction (20%)");
        return -1;
    }
    return 0;
}

int budget_parse(const char *text, budget_t *b, char *err, size_t errlen)
{
    memset(b, 0, sizeof *b);
    char buf[1024];
    if (strlen(text) >= sizeof buf) {
        snprintf(err, errlen, "--budget: longer than %zu bytes", sizeof buf - 1);
        return SIM_EINPUT;
    }
    snprintf(buf, sizeof buf, "%s", text);
    char *p = buf;
    for (;;) {
        /* the next " and " (a word of its own) ends the clause */
        char *end = NULL;
        for (char *q = p; *q; q++)
            if ((q == p || isspace((unsigned char)q[-1])) && !strncmp(q, "and", 3) &&
                (isspace((unsigned char)q[3]) || !q[3])) {
                end = q;
                break;
            }
        if (end)
            *end = 0;
        char *clause = trim(p), msg[SIM_ERR_MAX];
        if (b->n == BUDGET_MAX_CLAUSES) {
            snprintf(err, errlen, "--budget: more than %d clauses", BUDGET_MAX_CLAUSES);
            return SIM_EINPUT;
        }
        if (!*clause || parse_clause(clause, &b->c[b->n], msg, sizeof msg)) {
            snprintf(err, errlen, "--budget '%.200s': clause %zu '%.100s': %s", text, b->n + 1, clause,
                     *clause ? msg : "empty (expected METRIC OP VALUE, clauses joined with 'and')");
            list_metrics(err, errlen);
            return SIM_EINPUT;
        }
        b->n++;
        if (!end)
            break;
        p = end + 3;
    }
    return SIM_OK;
}

double budget_aggregate(const budget_clause_t *c, const double *v, size_t n)
{
    if (n == 0)
        return NAN;
    switch (c->agg) {
    case BUDGET_MIN: return v[0];
    case BUDGET_MAX: return v[n - 1];
    case BUDGET_MEAN: return gsl_stats_mean(v, 1, n);
    case BUDGET_SUM: {
        double s = 0;
        for (size_t i = 0; i < n; i++)
            s += v[i];
        return s;
    }
    case BUDGET_QUANTILE: return gsl_stats_quantile_from_sorted_data(v, 1, n, c->q);
    default: return NAN;
    }
}

int budget_meets(const budget_clause_t *c, double mean, double ci95, double *edge)
{
    double h = isfinite(ci95) ? ci95 : 0;
    double hi = mean + h, lo = mean - h;
    if (!isfinite(mean)) {
        *edge = mean;
        return 0;
    }
    switch (c->op) {
    case BUDGET_LE: *edge = hi; return hi <= c->bound;
    case BUDGET_LT: *edge = hi; return hi < c->bound;
    case BUDGET_GE: *edge = lo; return lo >= c->bound;
    case BUDGET_GT: *edge = lo; return lo > c->bound;
    case BUDGET_EQ: *edge = fabs(hi - c->bound) > fabs(lo - c->bound) ? hi : lo; return hi == c->bound && lo == c->bound;
    }
    return 0;
}
