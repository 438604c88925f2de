/*
 * tests/unit/test_policy_squeezed.c -- Criterion suite "policy_squeezed": XenServer's
 * squeezed (models/policies/squeezed.c, docs/policies.md).
 *
 * Each test runs a small scenario through the whole model (scenario_load + dc_run) into a
 * temporary SQLite database under /tmp and checks what the simulator recorded: VM
 * samples and summaries, the targets table (written by policy_set_target, in issue
 * order), balloon operations, and the policy's own log for the "stuck" declarations.
 */
#include <criterion/criterion.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>

#include "sim/ini.h"
#include "models/dc.h"
#include "models/record.h"
#include "models/scenario.h"
#include "tests/unit/harness.h"

/* ------------------------------------------------------------------ helpers */

/* harness_run_text, harness_done, harness_qnum, MIB: tests/unit/harness.h */


/* Fraction of its [dynamic-min, dynamic-max] range VM `vm` ends at; dynamic-min is the
 * VM's min, or 25% of its memory when min is 0 (the policy's default_min). */
static double final_fraction(sqlite3 *q, int vm)
{
    return harness_qnum(q, "SELECT (m.value - dmin) / (v.configured_bytes - dmin) FROM vm_summary m JOIN "
                   "(SELECT *, CASE WHEN min_bytes > 0 THEN min_bytes ELSE configured_bytes / 4 END AS dmin "
                   " FROM vms) v USING (vm_id) WHERE m.metric = 'usable_final_bytes' AND vm_id = %d", vm);
}

/* Three domains with different ranges on an 8 GiB host: 9 GiB of dynamic-max. */
static const char *three_domains =
    "[simulation]\nduration = 2min\nsample_interval = 10s\n"
    "[host]\nmemory = 8GiB\n"
    "[vm a]\nmemory = 4GiB\nmin = 1GiB\nworkload = constant\nworkload.mean = 256MiB\n"
    "[vm b]\nmemory = 3GiB\nworkload = constant\nworkload.mean = 256MiB\n"
    "[vm c]\nmemory = 2GiB\nmin = 1.5GiB\nworkload = constant\nworkload.mean = 512MiB\n"
    "[balloon]\npreset = xen\n"
    "[policy]\nname = squeezed\n";

/* Domain a can not free memory until 120 s (3.5 GiB of anonymous memory, no guest swap):
 * its balloon stops short of the target and squeezed declares it stuck.  At 120 s its
 * demand drops to 0.5 GiB and it can give memory back.  a starts 1 s after b: squeezed
 * frees room for it from b (a first, and b's start would be refused: a can not shrink). */
static const char *stuck_then_free =
    "[simulation]\nduration = 4min\nsample_interval = 10s\n"
    "[host]\nmemory = 6GiB\n"
    "[vm a]\nmemory = 4GiB\nmin = 1GiB\nswap = 0B\nstart = 1s\nworkload = step\nworkload.mean = 3.5GiB\n"
    "workload.amplitude = -3GiB\nworkload.step_at = 120s\nworkload.file_set = 64MiB\n"
    "[vm b]\nmemory = 4GiB\nmin = 1GiB\nworkload = constant\nworkload.mean = 256MiB\n"
    "[balloon]\npreset = xen\n"
    "[policy]\nname = squeezed\n";

/* ------------------------------------------------------------------ tests */

Test(policy_squeezed, every_domain_ends_at_the_same_fraction_of_its_range)
{
    sqlite3 *q = harness_run_text("sq-same", three_domains);
    double fa = final_fraction(q, 0), fb = final_fraction(q, 1), fc = final_fraction(q, 2);
    /* squeezed's gamma here: (8 GiB - 9 GiB - 3 x 32 MiB + 5.75 GiB - 3 x 2 x 4 MiB - 9 MiB)
     * / 5.75 GiB, the 2 x 4 MiB per domain being its inaccuracy compensation */
    double gamma = (8192.0 - 9216 - 96 + 5888 - 24 - 9) / 5888;
    cr_assert(fa > 0.05 && fa < 0.95, "a at %.3f: the host must squeeze but not empty", fa);
    /* within the driver's rounding (2 MiB) and the hit tolerance (4 MiB) of each range */
    cr_assert_lt(fabs(fa - fb), 0.005, "a %.4f b %.4f", fa, fb);
    cr_assert_lt(fabs(fa - fc), 0.01, "a %.4f c %.4f", fa, fc);
    cr_assert_lt(fabs(fa - gamma), 0.005, "a %.4f, gamma %.4f", fa, gamma);
    /* the allocations fit the host: sum of actual + overhead <= capacity - 9 MiB */
    double held = harness_qnum(q, "SELECT sum(value) FROM vm_summary WHERE metric = 'usable_final_bytes'");
    cr_assert_leq(held + 3 * 32 * MIB, 8192 * MIB - 9 * MIB + 3 * 2 * MIB, "%.0f MiB held", held / MIB);
    cr_assert_eq(harness_qnum(q, "SELECT value FROM run_summary WHERE metric = 'host_swap_out_bytes'"), 0);
    harness_done(q);
}

Test(policy_squeezed, a_stuck_domain_is_excluded)
{
    sqlite3 *q = harness_run_text("sq-stuck", stuck_then_free);
    /* a is declared stuck, b never */
    cr_assert_gt(harness_qnum(q, "SELECT count(*) FROM policy_log WHERE what = 'stuck' AND vm_id = 0"), 0);
    cr_assert_eq(harness_qnum(q, "SELECT count(*) FROM policy_log WHERE what = 'stuck' AND vm_id = 1"), 0);
    /* While a is stuck its actual is fixed, and b alone makes room: b ends far lower in
     * its range than a (with a included both would sit at the same fraction). */
    const char *frac_at = "SELECT (s.usable_bytes - v.min_bytes) * 1.0 / (v.configured_bytes - v.min_bytes) "
                          "FROM vm_samples s JOIN vms v USING (vm_id) WHERE vm_id = %d AND time_ns = 110e9";
    double fa = harness_qnum(q, frac_at, 0), fb = harness_qnum(q, frac_at, 1);
    cr_assert_gt(fa - fb, 0.2, "at 110 s a %.3f b %.3f", fa, fb);
    /* and the host was not overcommitted meanwhile */
    double b = harness_qnum(q, "SELECT usable_bytes FROM vm_samples WHERE vm_id = 1 AND time_ns = 110e9");
    double a = harness_qnum(q, "SELECT usable_bytes FROM vm_samples WHERE vm_id = 0 AND time_ns = 110e9");
    cr_assert_leq(a + b + 2 * 32 * MIB, 6144 * MIB, "a %.0f + b %.0f MiB", a / MIB, b / MIB);
    /* Once a can free memory again (120 s) it is included again: both end level. */
    cr_assert_lt(fabs(final_fraction(q, 0) - final_fraction(q, 1)), 0.005);
    harness_done(q);
}

Test(policy_squeezed, a_refusing_driver_gets_no_new_targets)
{
    char text[2048];
    snprintf(text, sizeof text, "%s", three_domains);
    char *at = strstr(text, "preset = xen\n");
    cr_assert_not_null(at);
    snprintf(at, sizeof text - (size_t)(at - text), "preset = xen\nrefuse_probability = 1\n[policy]\nname = squeezed\n");
    sqlite3 *q = harness_run_text("sq-refuse", text);
    /* a and b start; c's start needs room that only their refusing balloons could make:
     * both are declared stuck, c's start is refused (domains_refused) and c never runs;
     * after the first declaration no target asks a domain to shrink (balancing gives the
     * room c did not get back: targets at the domains' maxima, where they are) */
    double first_stuck = harness_qnum(q, "SELECT min(time_ns) FROM policy_log WHERE what = 'stuck'");
    cr_assert_eq(harness_qnum(q, "SELECT count(DISTINCT vm_id) FROM policy_log WHERE what = 'stuck'"), 2);
    cr_assert_eq(harness_qnum(q, "SELECT count(*) FROM events WHERE what = 'request_domains_refused' AND vm_id = 2"), 1);
    cr_assert_eq(harness_qnum(q, "SELECT count(*) FROM events WHERE what = 'boot' AND vm_id = 2"), 0);
    cr_assert_gt(harness_qnum(q, "SELECT count(*) FROM targets"), 0);
    cr_assert_eq(harness_qnum(q, "SELECT count(*) FROM targets t JOIN vms v USING (run_id, vm_id) WHERE t.time_ns >= %.0f "
                         "AND t.usable_target_bytes < v.configured_bytes", first_stuck), 0);
    cr_assert_eq(harness_qnum(q, "SELECT max(balloon_bytes) FROM vm_samples"), 0, "a refusing balloon moved");
    harness_done(q);
}

Test(policy_squeezed, freeing_targets_are_issued_before_taking_ones)
{
    sqlite3 *q = harness_run_text("sq-phases", stuck_then_free);
    /* After 120 s a must free memory and b may take it.  b's raise must come only once a's
     * balloon has given the memory back: after a's inflation that started after 120 s. */
    double a_freed = harness_qnum(q, "SELECT min(finished_ns) FROM balloon_ops WHERE vm_id = 0 AND kind = 'inflate' "
                             "AND issued_ns >= 120e9 AND outcome = 'ok'");
    double b_raise = harness_qnum(q, "SELECT min(time_ns) FROM targets WHERE vm_id = 1 AND time_ns >= 120e9");
    double b_before = harness_qnum(q, "SELECT usable_target_bytes FROM targets WHERE vm_id = 1 AND time_ns < 120e9 "
                              "ORDER BY rowid DESC LIMIT 1");
    double b_after = harness_qnum(q, "SELECT usable_target_bytes FROM targets WHERE vm_id = 1 AND time_ns >= 120e9 "
                             "ORDER BY rowid LIMIT 1");
    cr_assert(!isnan(a_freed) && !isnan(b_raise), "a freed at %g, b raised at %g", a_freed, b_raise);
    cr_assert_gt(b_after, b_before + 256 * MIB, "b's target went from %.0f to %.0f MiB", b_before / MIB, b_after / MIB);
    cr_assert_geq(b_raise, a_freed, "b raised at %.3f s before a freed at %.3f s", b_raise / 1e9, a_freed / 1e9);
    /* a's start (at 1 s) waited until b's balloon had freed the room: granted after it */
    double granted = harness_qnum(q, "SELECT time_ns FROM events WHERE what = 'request_ok' AND vm_id = 0");
    double b_done = harness_qnum(q, "SELECT min(finished_ns) FROM balloon_ops WHERE vm_id = 1 AND kind = 'inflate'");
    cr_assert(granted > 1e9 && granted >= b_done, "a started at %g s, b freed at %g s", granted / 1e9, b_done / 1e9);
    /* Within any one step, no taking target precedes a freeing one (rowid = issue order). */
    double bad = harness_qnum(q,
        "SELECT count(*) FROM targets up JOIN targets dn ON up.time_ns = dn.time_ns AND up.rowid < dn.rowid "
        "JOIN vm_samples su ON su.vm_id = up.vm_id AND su.time_ns = (SELECT max(time_ns) FROM vm_samples "
        "  WHERE vm_id = up.vm_id AND time_ns <= up.time_ns) "
        "JOIN vm_samples sd ON sd.vm_id = dn.vm_id AND sd.time_ns = (SELECT max(time_ns) FROM vm_samples "
        "  WHERE vm_id = dn.vm_id AND time_ns <= dn.time_ns) "
        "WHERE up.usable_target_bytes > su.usable_bytes AND dn.usable_target_bytes < sd.usable_bytes");
    cr_assert_eq(bad, 0);
    harness_done(q);
}

Test(policy_squeezed, bad_keys_are_refused)
{
    harness_policy_refused("squeezed", "poll = 3s\n", "multiple of poll", "policy");
}

/* A restarted domain is a new guest: squeezed forgets the target it wrote to the old one
 * and squeezes the new one like its peer (it boots at its full size; without forgetting,
 * the old target equals the new want and nothing is written). */
Test(policy_squeezed, a_restarted_domain_is_squeezed_again)
{
    sqlite3 *q = harness_run_text("sq-restart",
                          "[simulation]\nduration = 20min\nsample_interval = 30s\n[host]\nmemory = 8GiB\n"
                          "[vm a]\nmemory = 4GiB\nworkload = constant\nworkload.mean = 1GiB\n"
                          "[vm b]\nmemory = 4GiB\nworkload = constant\nworkload.mean = 1GiB\nrestart = 10min\n"
                          "[policy]\nname = squeezed\n");
    double a = harness_qnum(q, "SELECT m.value FROM vm_summary m JOIN vms v USING (run_id, vm_id) WHERE v.grp = 'a'"
                       " AND m.metric = 'usable_final_bytes'");
    double b = harness_qnum(q, "SELECT m.value FROM vm_summary m JOIN vms v USING (run_id, vm_id) WHERE v.grp = 'b'"
                       " AND m.metric = 'usable_final_bytes'");
    cr_assert_eq(harness_qnum(q, "SELECT count(*) FROM events WHERE what = 'restart'"), 1);
    cr_assert_lt(b, 4096 * MIB, "the restarted domain kept its boot size: %g MiB", b / MIB);
    cr_assert_lt(fabs(a - b), 1 * MIB, "equal domains end equal: a %g MiB, b %g MiB", a / MIB, b / MIB);
    harness_done(q);
}

/* ------------------------------------------------------------------ options */

/* squeezed's scenario FILE (tests/regression/) with its line `from` replaced by `to`. */
static sqlite3 *run_scenario_with(const char *name, const char *file, const char *from, const char *to)
{
    static char text[16384];
    FILE *f = fopen(file, "r");
    cr_assert_not_null(f, "%s", file);
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    char *at = strstr(text, from);
    cr_assert_not_null(at, "%s has no line '%s'", file, from);
    char rest[16384];
    snprintf(rest, sizeof rest, "%s", at + strlen(from));
    snprintf(at, sizeof text - (size_t)(at - text), "%s%s", to, rest);
    return harness_run_text(name, text);
}

#define OVH "domain_overhead = 0B\n"    /* a line of every scenario's [policy] */
#define SQ_A "tests/regression/squeezed-a.ini"
#define SQ_B "tests/regression/squeezed-b.ini"
#define SQ_C "tests/regression/squeezed-c.ini"

static double request_end_s(sqlite3 *q, const char *what)
{
    return harness_qnum(q, "SELECT time_ns / 1e9 FROM events WHERE vm_id = -1 AND what = '%s'", what);
}

/* Each option changes the outcome or timing of one of squeezed's scenarios as squeeze.ml
 * says it should (the defaults are in tests/regression/squeezed-{a..h}.ini). */
Test(policy_squeezed, options_stuck_after_poll_and_reserve)
{
    /* b: drivers stuck for 3 s and 1.5 s at a time are never declared stuck after 5 s, but
     * are after 1 s: then the request fails, blaming them */
    sqlite3 *q = run_scenario_with("sq-b-stuck1", SQ_B, OVH, OVH "stuck_after = 1s\n");
    cr_assert(!isnan(request_end_s(q, "request_domains_refused")), "b with stuck_after = 1 s must fail");
    cr_assert_gt(harness_qnum(q, "SELECT count(*) FROM policy_log WHERE what = 'stuck'"), 0);
    harness_done(q);
    /* c: cannot free, found at the first step after the domains reach their dynamic-mins
     * (5 s of ballooning from the step at 1 s): at 6 s with the 1 s poll, 5.5 s with 0.5 s */
    q = run_scenario_with("sq-c-poll", SQ_C, OVH, OVH);
    cr_assert_float_eq(request_end_s(q, "request_cannot_free"), 6.0, 1e-9);
    harness_done(q);
    q = run_scenario_with("sq-c-poll-half", SQ_C, OVH, OVH "poll = 500ms\n");
    cr_assert_float_eq(request_end_s(q, "request_cannot_free"), 5.5, 1e-9);
    harness_done(q);
    /* a: a reserve of 100 KiB is kept on top of the 1000 KiB asked: the request still
     * succeeds, and the domains end 100 KiB lower than without it */
    q = run_scenario_with("sq-a-res0", SQ_A, OVH, OVH);
    double held0 = harness_qnum(q, "SELECT sum(value) FROM vm_summary WHERE metric = 'usable_final_bytes'");
    cr_assert(!isnan(request_end_s(q, "request_ok")));
    harness_done(q);
    q = run_scenario_with("sq-a-res100", SQ_A, "reserve = 0B\n", "reserve = 100KiB\n");
    double held100 = harness_qnum(q, "SELECT sum(value) FROM vm_summary WHERE metric = 'usable_final_bytes'");
    cr_assert(!isnan(request_end_s(q, "request_ok")));
    cr_assert_leq(held100, held0 - 96 * 1024, "domains hold %g KiB with the reserve, %g KiB without",
                  held100 / 1024, held0 / 1024);
    harness_done(q);
}
