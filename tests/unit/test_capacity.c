/*
 * tests/unit/test_capacity.c -- Criterion suite "capacity": the budget parser and the
 * conservative test of a clause (cli/budget.h), and the galloping then bisecting search
 * (cli/cmd_capacity.h) against every threshold of ranges up to 300 values.
 */
#include <criterion/criterion.h>

#include <math.h>
#include <string.h>
#include <gsl/gsl_statistics_double.h>
#include "sim/types.h"
#include "cli/budget.h"
#include "cli/cmd_capacity.h"

static budget_t parse_ok(const char *text)
{
    budget_t b;
    char err[4096] = "";
    cr_assert_eq(budget_parse(text, &b, err, sizeof err), 0, "%s: %s", text, err);
    return b;
}

static void parse_bad(const char *text, const char *why)
{
    budget_t b;
    char err[4096] = "";
    cr_assert_eq(budget_parse(text, &b, err, sizeof err), SIM_EINPUT, "%s accepted", text);
    cr_assert(strstr(err, why), "%s: message lacks '%s': %s", text, why, err);
    cr_assert(strstr(err, "run metrics:") && strstr(err, "mean_slowdown") && strstr(err, "slowdown_mean"),
              "%s: the message lists the metrics: %s", text, err);
}

Test(capacity, the_issue_s_budgets_parse)
{
    budget_t b = parse_ok("mean_slowdown <= 1.10 and p95(vm.slowdown_mean) <= 1.25 and max(vm.slowdown_mean) <= 2 and "
                          "oom_kills == 0 and host_swap_out_bytes <= 1GiB");
    cr_assert_eq(b.n, 5);
    cr_assert_str_eq(b.c[0].metric, "mean_slowdown");
    cr_assert_eq(b.c[0].agg, BUDGET_RUN);
    cr_assert_eq(b.c[0].op, BUDGET_LE);
    cr_assert_float_eq(b.c[0].bound, 1.10, 1e-12);
    cr_assert_eq(b.c[1].agg, BUDGET_QUANTILE);
    cr_assert_float_eq(b.c[1].q, 0.95, 1e-12);
    cr_assert_str_eq(b.c[1].metric, "slowdown_mean");
    cr_assert_eq(b.c[2].agg, BUDGET_MAX);
    cr_assert_eq(b.c[3].op, BUDGET_EQ);
    cr_assert_float_eq(b.c[4].bound, 1073741824.0, 0.5, "1GiB in bytes (sim/units)");
    cr_assert_str_eq(b.c[4].text, "host_swap_out_bytes <= 1GiB");
}

Test(capacity, units_follow_the_metric)
{
    cr_assert_float_eq(parse_ok("memory_wait_p95_s < 2min").c[0].bound, 120, 1e-9, "a duration in s");
    cr_assert_float_eq(parse_ok("host_utilisation_mean >= 80%").c[0].bound, 0.8, 1e-12, "a fraction");
    cr_assert_float_eq(parse_ok("idle_mean_bytes>512MiB").c[0].bound, 512.0 * 1048576, 0.5, "no spaces");
    cr_assert_eq(parse_ok("idle_mean_bytes>512MiB").c[0].op, BUDGET_GT);
    cr_assert_eq(parse_ok("sum(vm.oom_kills) == 0").c[0].agg, BUDGET_SUM);
}

Test(capacity, bad_budgets_name_the_problem_and_list_the_metrics)
{
    parse_bad("mean_slowdwn <= 1.1", "unknown run metric 'mean_slowdwn'");
    parse_bad("slowdown_mean <= 1.1", "a VM metric");
    parse_bad("mean_slowdown 1.1", "no comparison");
    parse_bad("mean_slowdown <=", "expected METRIC <= VALUE");
    parse_bad("mean_slowdown <= fast", "is not a number");
    parse_bad("host_swap_out_bytes <= 5min", "or a size");
    parse_bad("p200(vm.slowdown_mean) <= 2", "unknown aggregate");
    parse_bad("max(slowdown_mean) <= 2", "is not vm.METRIC");
    parse_bad("max(vm.slowdown_mean <= 2", "closing parenthesis");
    parse_bad("mean_slowdown <= 1.1 and", "empty");
    parse_bad("", "empty");
}

Test(capacity, the_conservative_end_decides)
{
    budget_t b = parse_ok("mean_slowdown <= 1.10 and host_utilisation_mean >= 0.5 and oom_kills == 0");
    double edge;
    cr_assert(budget_meets(&b.c[0], 1.05, 0.04, &edge));
    cr_assert_float_eq(edge, 1.09, 1e-12, "the upper end");
    cr_assert_not(budget_meets(&b.c[0], 1.05, 0.06, &edge), "mean within, upper end beyond");
    cr_assert(budget_meets(&b.c[0], 1.10, NAN, &edge), "one repetition: the value itself");
    cr_assert_not(budget_meets(&b.c[1], 0.55, 0.06, &edge), "the lower end for >=");
    cr_assert_float_eq(edge, 0.49, 1e-12);
    cr_assert(budget_meets(&b.c[2], 0, 0, &edge));
    cr_assert_not(budget_meets(&b.c[2], 0, 0.5, &edge), "== needs both ends on the bound");
    cr_assert_not(budget_meets(&b.c[0], NAN, 0, &edge), "a missing metric never passes");
}

Test(capacity, aggregates_over_the_vms_of_a_run)
{
    double v[] = {1.0, 1.1, 1.2, 1.5, 3.0};     /* sorted */
    budget_t b = parse_ok("p95(vm.slowdown_mean) <= 2 and max(vm.slowdown_mean) <= 2 and min(vm.slowdown_mean) <= 2 "
                          "and mean(vm.slowdown_mean) <= 2 and sum(vm.slowdown_mean) <= 2");
    cr_assert_float_eq(budget_aggregate(&b.c[0], v, 5), gsl_stats_quantile_from_sorted_data(v, 1, 5, 0.95), 1e-12);
    cr_assert_float_eq(budget_aggregate(&b.c[0], v, 5), 1.5 + 0.8 * 1.5, 1e-12, "0.95 x 4 = 3.8");
    cr_assert_eq(budget_aggregate(&b.c[1], v, 5), 3.0);
    cr_assert_eq(budget_aggregate(&b.c[2], v, 5), 1.0);
    cr_assert_float_eq(budget_aggregate(&b.c[3], v, 5), 7.8 / 5, 1e-12);
    cr_assert_float_eq(budget_aggregate(&b.c[4], v, 5), 7.8, 1e-12);
    cr_assert(isnan(budget_aggregate(&b.c[1], v, 0)));
}

/* Every range length 1..300 and every answer (highest passing position t, -1 = none):
 * the search ends on the bracket (t, t + 1) and never probes more than
 * 2 floor(log2(t + 1)) + 2 times (cli/cmd_capacity.h). */
Test(capacity, the_search_finds_every_threshold_within_its_bound)
{
    for (size_t len = 1; len <= 300; len++)
        for (long t = -1; t < (long)len; t++) {
            capacity_search_t s;
            capacity_search_init(&s, len);
            unsigned char seen[300] = {0};
            long pos;
            while ((pos = capacity_search_next(&s)) >= 0) {
                cr_assert_lt((size_t)pos, len);
                cr_assert_not(seen[pos], "len %zu t %ld: position %ld probed twice", len, t, pos);
                seen[pos] = 1;
                capacity_search_update(&s, (size_t)pos, pos <= t);
            }
            cr_assert_eq(s.pass, t, "len %zu: pass %ld, want %ld", len, s.pass, t);
            cr_assert_eq(s.fail, t + 1 < (long)len ? t + 1 : (long)len, "len %zu t %ld: fail %ld", len, t, s.fail);
            size_t bound = t < 0 ? 1 : 2 * (size_t)floor(log2((double)t + 1)) + 2;
            cr_assert_leq(s.probes, bound, "len %zu t %ld: %zu probes > %zu", len, t, s.probes, bound);
            cr_assert_leq(s.probes, 2 * (size_t)ceil(log2((double)len)) + 2);
        }
}

Test(capacity, the_search_gallops_from_the_start)
{
    capacity_search_t s;
    capacity_search_init(&s, 100);
    long want[] = {0, 1, 3, 7, 15};
    for (size_t i = 0; i < 5; i++) {
        cr_assert_eq(capacity_search_next(&s), want[i]);
        capacity_search_update(&s, (size_t)want[i], 1);
    }
    cr_assert_eq(capacity_search_next(&s), 31);
    capacity_search_update(&s, 31, 0);
    cr_assert_eq(capacity_search_next(&s), 23, "then bisects (15, 31)");
}
