/*
 * tests/unit/test_study.c -- Criterion suite "study": ${...} parameter studies (sim/study.c).
 *
 * Expansions are checked against hand-listed expectations (run by run), and every
 * error path is triggered with the words of its message (file:line, [section] key).
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "sim/study.h"

static char err[SIM_ERR_MAX];

static sim_study_t *expand_ok(const char *text, int64_t repeat)
{
    sim_ini_t *ini = NULL;
    err[0] = '\0';
    cr_assert_eq(sim_ini_load_string("s.ini", text, &ini, err, sizeof(err)), 0, "%s", err);
    sim_study_t *s = NULL;
    int rc = sim_study_expand(ini, repeat, &s, err, sizeof(err));
    sim_ini_destroy(ini);       /* the study keeps its own copy */
    cr_assert_eq(rc, 0, "expand failed: %s", err);
    cr_assert_not_null(s);
    return s;
}

static void expand_fails(const char *text, const char *w1, const char *w2, const char *w3)
{
    sim_ini_t *ini = NULL;
    err[0] = '\0';
    cr_assert_eq(sim_ini_load_string("s.ini", text, &ini, err, sizeof(err)), 0, "%s", err);
    sim_study_t *s = (sim_study_t *)0x1;
    int rc = sim_study_expand(ini, 1, &s, err, sizeof(err));
    sim_ini_destroy(ini);
    cr_assert_eq(rc, SIM_EINPUT, "expected SIM_EINPUT, got %d (%s)", rc, err);
    cr_assert_null(s);
    const char *w[3] = { w1, w2, w3 };
    for (int i = 0; i < 3; i++)
        if (w[i] != NULL)
            cr_assert_not_null(strstr(err, w[i]), "message '%s' lacks '%s'", err, w[i]);
}

/* The value of (section, key) in run `run`; the run's info into *info. */
static char value_buf[512];
static const char *run_value(const sim_study_t *s, size_t run, const char *section, const char *key,
                             sim_study_run_info_t *info)
{
    sim_ini_t *r = NULL;
    sim_study_run_info_t tmp;
    cr_assert_eq(sim_study_run(s, run, &r, info ? info : &tmp, err, sizeof(err)), 0, "%s", err);
    const char *v = sim_ini_get(r, section, key);
    cr_assert_not_null(v, "no %s.%s in run %zu", section, key, run);
    snprintf(value_buf, sizeof(value_buf), "%s", v);
    sim_ini_destroy(r);
    return value_buf;
}

/* All values of one unnamed or named axis, in order, for a one-axis study. */
static void check_axis(const char *value, const char *const *want, size_t n)
{
    char text[256];
    snprintf(text, sizeof(text), "[p]\nv = %s\n", value);
    sim_study_t *s = expand_ok(text, 1);
    cr_assert_eq(sim_study_runs(s), n, "%s: %zu runs, want %zu", value, sim_study_runs(s), n);
    cr_assert_eq(sim_study_axis_length(s, 0), n);
    for (size_t i = 0; i < n; i++)
        cr_assert_str_eq(run_value(s, i, "p", "v", NULL), want[i], "%s run %zu", value, i);
    sim_study_destroy(s);
}
#define CHECK_AXIS(value, ...)                                                   \
    do {                                                                         \
        static const char *const w_[] = { __VA_ARGS__ };                         \
        check_axis(value, w_, sizeof(w_) / sizeof(w_[0]));                       \
    } while (0)

/* ---------------------------------------------------------------- numbering */

Test(study, no_axes_gives_one_point_and_repetitions)
{
    sim_study_t *s = expand_ok("[simulation]\nseed = 42\n", 3);
    cr_assert_eq(sim_study_points(s), 1);
    cr_assert_eq(sim_study_runs(s), 3);
    cr_assert_eq(sim_study_axes(s), 0);
    sim_study_run_info_t info;
    cr_assert_str_eq(run_value(s, 2, "simulation", "seed", &info), "42");
    cr_assert_eq(info.run, 2);
    cr_assert_eq(info.point, 0);
    cr_assert_eq(info.repetition, 2);
    cr_assert_str_eq(info.axes, "");
    sim_study_destroy(s);
}

/* The known answer of sim/study.c: first axis slowest, repetition innermost. */
Test(study, run_numbering_known_answer)
{
    sim_study_t *s = expand_ok("[a]\nx = ${x=1..3}\n[b]\ny = ${p, q}\n", 2);
    cr_assert_eq(sim_study_points(s), 6);
    cr_assert_eq(sim_study_runs(s), 12);
    cr_assert_eq(sim_study_axes(s), 2);
    cr_assert_str_eq(sim_study_axis_name(s, 0), "x");
    cr_assert_str_eq(sim_study_axis_name(s, 1), "b.y");
    cr_assert_null(sim_study_axis_name(s, 2));
    static const struct { const char *x, *y; size_t point; int64_t rep; } want[12] = {
        { "1", "p", 0, 0 }, { "1", "p", 0, 1 }, { "1", "q", 1, 0 }, { "1", "q", 1, 1 },
        { "2", "p", 2, 0 }, { "2", "p", 2, 1 }, { "2", "q", 3, 0 }, { "2", "q", 3, 1 },
        { "3", "p", 4, 0 }, { "3", "p", 4, 1 }, { "3", "q", 5, 0 }, { "3", "q", 5, 1 },
    };
    for (size_t run = 0; run < 12; run++) {
        sim_study_run_info_t info;
        cr_assert_str_eq(run_value(s, run, "a", "x", &info), want[run].x, "run %zu", run);
        cr_assert_str_eq(run_value(s, run, "b", "y", NULL), want[run].y, "run %zu", run);
        cr_assert_eq(info.run, run);
        cr_assert_eq(info.point, want[run].point, "run %zu", run);
        cr_assert_eq(info.repetition, want[run].rep, "run %zu", run);
        cr_assert_eq(run, info.point * 2 + (size_t)info.repetition);
        char axes[64];
        snprintf(axes, sizeof(axes), "x=%s, b.y=%s", want[run].x, want[run].y);
        cr_assert_str_eq(info.axes, axes);
        cr_assert_str_eq(sim_study_axis_value(s, run, 0), want[run].x);
        cr_assert_str_eq(sim_study_axis_value(s, run, 1), want[run].y);
    }
    cr_assert_null(sim_study_axis_value(s, 12, 0));
    sim_study_destroy(s);
}

Test(study, axes_in_file_order_of_entries)
{
    /* the axis in [vm web] comes first in the file, so it varies slowest */
    sim_study_t *s = expand_ok("[vm web]\ncount = ${4, 8}\n[policy]\nidle_tax = ${0, 0.5, 0.75}\n", 1);
    cr_assert_str_eq(sim_study_axis_name(s, 0), "vm web.count");
    cr_assert_str_eq(sim_study_axis_name(s, 1), "policy.idle_tax");
    static const char *const count[6] = { "4", "4", "4", "8", "8", "8" };
    static const char *const tax[6] = { "0", "0.5", "0.75", "0", "0.5", "0.75" };
    for (size_t run = 0; run < 6; run++) {
        sim_study_run_info_t info;
        cr_assert_str_eq(run_value(s, run, "vm web", "count", &info), count[run]);
        cr_assert_str_eq(run_value(s, run, "policy", "idle_tax", NULL), tax[run]);
        char axes[80];
        snprintf(axes, sizeof(axes), "vm web.count=%s, policy.idle_tax=%s", count[run], tax[run]);
        cr_assert_str_eq(info.axes, axes);
    }
    sim_study_destroy(s);
}

Test(study, run_scenario_is_a_copy)
{
    sim_study_t *s = expand_ok("[a]\nx = ${1, 2}\nz = plain\n", 1);
    sim_ini_t *r0 = NULL, *r1 = NULL;
    cr_assert_eq(sim_study_run(s, 0, &r0, NULL, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(sim_study_run(s, 1, &r1, NULL, err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(sim_ini_get(r0, "a", "x"), "1");
    cr_assert_str_eq(sim_ini_get(r1, "a", "x"), "2");
    cr_assert_str_eq(sim_ini_get(r1, "a", "z"), "plain");
    cr_assert_eq(r1->entries[0].line, 2);
    cr_assert_not_null(strstr(r1->text, "${1, 2}"));   /* the file text is kept as written */
    sim_ini_destroy(r0);
    sim_ini_destroy(r1);
    sim_study_destroy(s);
}

/* ---------------------------------------------------------------- lists and ranges */

Test(study, lists)
{
    CHECK_AXIS("${0, 0.25,0.5 ,  0.75}", "0", "0.25", "0.5", "0.75");
    CHECK_AXIS("${4GiB, 8GiB}", "4GiB", "8GiB");
    CHECK_AXIS("${esx-share}", "esx-share");
    CHECK_AXIS("${../traces/a.csv, ../traces/b.csv}", "../traces/a.csv", "../traces/b.csv");
    CHECK_AXIS("${x=word}", "word");
}

Test(study, ranges)
{
    CHECK_AXIS("${1..10 step 2}", "1", "3", "5", "7", "9");
    CHECK_AXIS("${1..4}", "1", "2", "3", "4");
    CHECK_AXIS("${ 1 .. 4 }", "1", "2", "3", "4");
    CHECK_AXIS("${5..5}", "5");
    CHECK_AXIS("${10..1 step -3}", "10", "7", "4", "1");
    CHECK_AXIS("${-1..1 step 0.5}", "-1", "-0.5", "0", "0.5", "1");
    CHECK_AXIS("${0..1e3 step 250}", "0", "250", "500", "750", "1000");
    CHECK_AXIS("${1..3, 10, 20..30 step 10}", "1", "2", "3", "10", "20", "30");
}

Test(study, ranges_do_not_drift)
{
    /* 0.1 + 2*0.1 is 0.30000000000000004 in binary; %.15g prints 0.3, and the end
     * point 0.5 is included although (0.5-0.1)/0.1 = 3.9999999999999996 */
    CHECK_AXIS("${0.1..0.5 step 0.1}", "0.1", "0.2", "0.3", "0.4", "0.5");
    CHECK_AXIS("${.5..1.5 step .5}", "0.5", "1", "1.5");
    CHECK_AXIS("${0..1 step 0.1}", "0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8",
               "0.9", "1");
    /* 1000 steps of 0.001: the last value is exactly the end, no accumulated error */
    sim_study_t *s = expand_ok("[p]\nv = ${0..1 step 0.001}\n", 1);
    cr_assert_eq(sim_study_runs(s), 1001);
    cr_assert_str_eq(sim_study_axis_value(s, 1000, 0), "1");
    cr_assert_str_eq(sim_study_axis_value(s, 333, 0), "0.333");
    sim_study_destroy(s);
}

Test(study, ranges_with_units)
{
    CHECK_AXIS("${1GiB..4GiB step 1GiB}", "1GiB", "2GiB", "3GiB", "4GiB");
    CHECK_AXIS("${512MiB..2048MiB step 512MiB}", "512MiB", "1024MiB", "1536MiB", "2048MiB");
    CHECK_AXIS("${5ms..20ms step 5ms}", "5ms", "10ms", "15ms", "20ms");
    CHECK_AXIS("${0.5GiB/s..1.5GiB/s step 0.5GiB/s}", "0.5GiB/s", "1GiB/s", "1.5GiB/s");
    CHECK_AXIS("${10%..30% step 10%}", "10%", "20%", "30%");
    CHECK_AXIS("${1s..3s}", "1s", "2s", "3s");
}

Test(study, text_around_axes)
{
    CHECK_AXIS("${4, 8}GiB", "4GiB", "8GiB");
    CHECK_AXIS("traces/vm-${1..2}.csv", "traces/vm-1.csv", "traces/vm-2.csv");
    /* two unnamed axes in one value: a product, the second named "#2" */
    sim_study_t *s = expand_ok("[p]\nv = ${a, b}-${1, 2}\n", 1);
    cr_assert_eq(sim_study_runs(s), 4);
    cr_assert_str_eq(sim_study_axis_name(s, 0), "p.v");
    cr_assert_str_eq(sim_study_axis_name(s, 1), "p.v#2");
    static const char *const want[4] = { "a-1", "a-2", "b-1", "b-2" };
    for (size_t run = 0; run < 4; run++)
        cr_assert_str_eq(run_value(s, run, "p", "v", NULL), want[run]);
    sim_study_destroy(s);
}

/* ---------------------------------------------------------------- names */

Test(study, named_axis_and_references)
{
    sim_study_t *s = expand_ok(
        "[vm web]\n"
        "memory = ${mem}GiB\n"                  /* reference before the definition */
        "[policy]\n"
        "idle_tax = ${tau=0, 0.75}\n"
        "[vm db]\n"
        "memory = ${mem=2, 4}GiB\n"
        "note = tau ${tau}, mem ${mem}\n", 1);
    cr_assert_eq(sim_study_axes(s), 2);
    cr_assert_str_eq(sim_study_axis_name(s, 0), "tau");
    cr_assert_str_eq(sim_study_axis_name(s, 1), "mem");
    cr_assert_eq(sim_study_runs(s), 4);
    static const char *const tau[4] = { "0", "0", "0.75", "0.75" };
    static const char *const mem[4] = { "2", "4", "2", "4" };
    for (size_t run = 0; run < 4; run++) {
        char want[64];
        snprintf(want, sizeof(want), "%sGiB", mem[run]);
        cr_assert_str_eq(run_value(s, run, "vm web", "memory", NULL), want);
        cr_assert_str_eq(run_value(s, run, "vm db", "memory", NULL), want);
        cr_assert_str_eq(run_value(s, run, "policy", "idle_tax", NULL), tau[run]);
        snprintf(want, sizeof(want), "tau %s, mem %s", tau[run], mem[run]);
        cr_assert_str_eq(run_value(s, run, "vm db", "note", NULL), want);
    }
    sim_study_destroy(s);
}

Test(study, lock_step)
{
    sim_study_t *s = expand_ok(
        "[policy]\n"
        "idle_tax = ${tau=0, 0.5, 0.75}\n"
        "[host]\n"
        "count = ${2, 4}\n"
        "[vm web]\n"
        "count = ${n=1..3 ! tau}\n", 1);
    /* two dimensions: {tau, n} (first at line 2), host.count */
    cr_assert_eq(sim_study_axes(s), 3);
    cr_assert_eq(sim_study_points(s), 6);
    static const char *const tau[6] = { "0", "0", "0.5", "0.5", "0.75", "0.75" };
    static const char *const n[6] = { "1", "1", "2", "2", "3", "3" };
    static const char *const hosts[6] = { "2", "4", "2", "4", "2", "4" };
    for (size_t run = 0; run < 6; run++) {
        sim_study_run_info_t info;
        cr_assert_str_eq(run_value(s, run, "policy", "idle_tax", &info), tau[run], "run %zu", run);
        cr_assert_str_eq(run_value(s, run, "vm web", "count", NULL), n[run], "run %zu", run);
        cr_assert_str_eq(run_value(s, run, "host", "count", NULL), hosts[run], "run %zu", run);
        char axes[96];
        snprintf(axes, sizeof(axes), "tau=%s, host.count=%s, n=%s", tau[run], hosts[run], n[run]);
        cr_assert_str_eq(info.axes, axes);
    }
    sim_study_destroy(s);
}

Test(study, lock_step_forward_and_chained)
{
    /* a locks to b defined later; c locks to a: one dimension of three axes */
    sim_study_t *s = expand_ok("[p]\na = ${a=1, 2 ! b}\nx = ${x, y}\nb = ${b=p, q}\nc = ${3, 4 ! a}\n", 1);
    cr_assert_eq(sim_study_points(s), 4);
    static const char *const a[4] = { "1", "1", "2", "2" };
    static const char *const x[4] = { "x", "y", "x", "y" };
    static const char *const b[4] = { "p", "p", "q", "q" };
    static const char *const c[4] = { "3", "3", "4", "4" };
    for (size_t run = 0; run < 4; run++) {
        cr_assert_str_eq(run_value(s, run, "p", "a", NULL), a[run]);
        cr_assert_str_eq(run_value(s, run, "p", "x", NULL), x[run]);
        cr_assert_str_eq(run_value(s, run, "p", "b", NULL), b[run]);
        cr_assert_str_eq(run_value(s, run, "p", "c", NULL), c[run]);
    }
    sim_study_destroy(s);
}

Test(study, expect_lines_and_overrides_expand)
{
    sim_ini_t *ini = NULL;
    cr_assert_eq(sim_ini_load_string("s.ini", "[policy]\nname = esx\n[expect]\nswap < ${1, 2}GiB\n",
                                     &ini, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(sim_ini_apply_override(ini, "policy.idle_tax=${0, 0.5}", err, sizeof(err)), 0);
    sim_study_t *s = NULL;
    cr_assert_eq(sim_study_expand(ini, 1, &s, err, sizeof(err)), 0, "%s", err);
    sim_ini_destroy(ini);
    cr_assert_str_eq(sim_study_axis_name(s, 0), "expect.#4");
    cr_assert_str_eq(sim_study_axis_name(s, 1), "policy.idle_tax");
    cr_assert_str_eq(run_value(s, 3, "expect", "#4", NULL), "swap < 2GiB");
    cr_assert_str_eq(run_value(s, 3, "policy", "idle_tax", NULL), "0.5");
    sim_study_destroy(s);
}

/* ---------------------------------------------------------------- errors */

Test(study, error_unbalanced)
{
    expand_fails("[a]\n\nx = ${1, 2\n", "s.ini:3: [a] x:", "unbalanced ${...}", "no closing '}'");
}

Test(study, error_nested)
{
    expand_fails("[a]\nx = ${1, ${y}}\n", "s.ini:2: [a] x:", "nested ${ inside ${...}", NULL);
}

Test(study, error_empty_item)
{
    expand_fails("[a]\nx = ${1,,2}\n", "s.ini:2: [a] x:", "empty item in ${1,,2}", NULL);
    expand_fails("[a]\nx = ${1, }\n", "s.ini:2:", "empty item", NULL);
    expand_fails("[a]\nx = ${t=,1}\n", "s.ini:2:", "empty item", NULL);
}

Test(study, error_empty_list)
{
    expand_fails("[a]\nx = ${}\n", "s.ini:2: [a] x:", "empty list in ${}", NULL);
    expand_fails("[a]\nx = ${  }\n", "s.ini:2:", "empty list", NULL);
    expand_fails("[a]\nx = ${t=}\n", "s.ini:2:", "empty list in ${t=}", NULL);
    expand_fails("[a]\nx = ${t= ! u}\nu = ${u=1}\n", "s.ini:2:", "empty list", NULL);
}

Test(study, error_step_zero)
{
    expand_fails("[a]\nx = ${1..5 step 0}\n", "s.ini:2: [a] x:", "step must not be 0", "'1..5 step 0'");
}

Test(study, error_step_wrong_sign)
{
    expand_fails("[a]\nx = ${1..5 step -1}\n", "s.ini:2: [a] x:", "step has the wrong sign", NULL);
    expand_fails("[a]\nx = ${5..1}\n", "s.ini:2:", "step has the wrong sign",
                 "use a negative step to count down");
}

Test(study, error_too_many_points)
{
    expand_fails("[a]\nx = ${0..1000000}\n", "s.ini:2: [a] x:", "has more than 1000000 points", NULL);
    expand_fails("[a]\nx = ${0..1 step 1e-300}\n", "s.ini:2:", "more than 1000000 points", NULL);
    /* exactly 10^6 is allowed */
    sim_study_t *s = expand_ok("[a]\nx = ${1..1000000}\n", 1);
    cr_assert_eq(sim_study_runs(s), 1000000);
    cr_assert_str_eq(sim_study_axis_value(s, 999999, 0), "1000000");
    sim_study_destroy(s);
}

Test(study, error_lock_step_length_mismatch)
{
    expand_fails("[a]\nt = ${tau=0, 0.5, 0.75}\n[b]\nn = ${n=1..4 ! tau}\n", "s.ini:4: [b] n:",
                 "lock-step axes differ in length", "'n' has 4 values, 'tau' has 3");
}

Test(study, error_unknown_reference)
{
    expand_fails("[a]\nx = ${tau}\n", "s.ini:2: [a] x:", "unknown reference ${tau}", "no axis is named 'tau'");
    expand_fails("[a]\nx = ${n=1..2 ! tau}\n", "s.ini:2:", "unknown reference '!tau'", NULL);
    expand_fails("[a]\nx = ${n=1..2 ! 3}\n", "s.ini:2:", "expected the name of an axis after '!'", NULL);
}

Test(study, error_defined_twice)
{
    expand_fails("[a]\nx = ${t=1, 2}\n[b]\ny = ${t=3, 4}\n", "s.ini:4: [b] y:",
                 "axis 't' is defined twice", "first in ${t=1, 2} at s.ini:2");
}

Test(study, error_malformed_range)
{
    expand_fails("[a]\nx = ${1..x}\n", "s.ini:2: [a] x:", "malformed range '1..x'", NULL);
    expand_fails("[a]\nx = ${1..5 by 2}\n", "s.ini:2:", "malformed range", NULL);
    expand_fails("[a]\nx = ${1..5 step}\n", "s.ini:2:", "malformed range", NULL);
    expand_fails("[a]\nx = ${1..5 step 1 2}\n", "s.ini:2:", "malformed range", NULL);
    expand_fails("[a]\nx = ${1 GiB..2 GiB}\n", "s.ini:2:", "malformed range", NULL);
    expand_fails("[a]\nx = ${=1, 2}\n", "s.ini:2:", "missing axis name before '='", NULL);
}

Test(study, error_range_units_differ)
{
    expand_fails("[a]\nx = ${1..4GiB}\n", "s.ini:2: [a] x:", "must carry the same unit", NULL);
    expand_fails("[a]\nx = ${512MiB..4GiB step 512MiB}\n", "s.ini:2:", "same unit", NULL);
    expand_fails("[a]\nx = ${1GiB..4GiB step 1}\n", "s.ini:2:", "same unit", NULL);
}

Test(study, error_override_location)
{
    sim_ini_t *ini = NULL;
    cr_assert_eq(sim_ini_load_string("s.ini", "[a]\n", &ini, err, sizeof(err)), 0);
    cr_assert_eq(sim_ini_apply_override(ini, "a.x=${1,,2}", err, sizeof(err)), 0);
    sim_study_t *s = NULL;
    cr_assert_eq(sim_study_expand(ini, 1, &s, err, sizeof(err)), SIM_EINPUT);
    cr_assert_not_null(strstr(err, "--set: [a] x: empty item"), "%s", err);
    sim_ini_destroy(ini);
}

Test(study, error_bad_repeat_and_run)
{
    sim_ini_t *ini = NULL;
    cr_assert_eq(sim_ini_load_string("s.ini", "[a]\nx = ${1, 2}\n", &ini, err, sizeof(err)), 0);
    sim_study_t *s = NULL;
    cr_assert_eq(sim_study_expand(ini, 0, &s, err, sizeof(err)), SIM_EINPUT);
    cr_assert_not_null(strstr(err, "repeat must be >= 1"), "%s", err);
    cr_assert_eq(sim_study_expand(ini, 2, &s, err, sizeof(err)), 0, "%s", err);
    sim_ini_t *r = (sim_ini_t *)0x1;
    cr_assert_eq(sim_study_run(s, 4, &r, NULL, err, sizeof(err)), SIM_EINPUT);
    cr_assert_null(r);
    cr_assert_not_null(strstr(err, "run 4 does not exist: the study has 4 runs"), "%s", err);
    sim_study_destroy(s);
    sim_study_destroy(NULL);
    sim_ini_destroy(ini);
}
