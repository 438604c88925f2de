/*
 * tests/unit/test_workload.c -- workloads: keys, CSV and Bitbrains replay, generators, CLI.
 *
 *   keys        defaults give a constant workload; cross-key checks
 *   replay      step/linear interpolation, loop, phase, scale/offset, units, duplicates,
 *               compaction -- against hand-computed values on small CSV files
 *   bitbrains   all 12 files of scenarios/traces/bitbrains load; the rule for
 *               each quirk (Q1..Q5, models/workload.h) checked on the file that has it
 *   generators  statistics over long runs with fixed seeds (mean, variance, period,
 *               autocorrelation, burst lengths, Pareto heights); determinism
 *   bad input   every error case names the file and line
 *   cli         trace generate / trace check, exit statuses
 * Tests run from the repository root.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <criterion/redirect.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "models/trace.h"
#include "models/workload.h"
#include "cli/cmd_trace.h"
#include "sim/rng.h"

#define BB_DIR "scenarios/traces/bitbrains"
#define S(x) ((sim_time_t)(x) * SIM_NS_PER_S)
#define GIB_PAGES (SIM_GIB / SIM_PAGE_BYTES)

/* ------------------------------------------------------------------------------------ */
/* helpers                                                                              */
/* ------------------------------------------------------------------------------------ */

static char tmpdir[64];

static void rm_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        char sub[512];
        while (d && (e = readdir(d)))
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
                snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
                rm_tree(sub);
            }
        if (d)
            closedir(d);
    }
    remove(path);
}

static void rm_tmpdir(void)
{
    if (tmpdir[0])
        rm_tree(tmpdir);
}

/* One scratch directory per test process, removed when the process exits. */
static void make_tmpdir(void)
{
    strcpy(tmpdir, "/tmp/bsim-wl-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    atexit(rm_tmpdir);
}

/* Write text to a new file in tmpdir; the returned path is static per slot. */
static const char *write_file(const char *name, const char *text)
{
    static char paths[8][256];
    static int slot;
    char *p = paths[slot++ % 8];
    FILE *f;
    if (!tmpdir[0])
        make_tmpdir();
    snprintf(p, 256, "%s/%s", tmpdir, name);
    f = fopen(p, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    return p;
}

static void defaults(workload_params_t *p)
{
    char err[SIM_ERR_MAX] = "";
    memset(p, 0, sizeof *p);
    cr_assert_eq(sim_keys_defaults(&workload_key_table, p, err, sizeof err), 0, "%s", err);
}

static void set(workload_params_t *p, const char *key, const char *value)
{
    char err[SIM_ERR_MAX] = "";
    const sim_key_t *k = sim_keys_find(&workload_key_table, key);
    cr_assert_not_null(k, "no key %s", key);
    cr_assert_eq(sim_keys_parse(k, p, value, err, sizeof err), 0, "%s=%s: %s", key, value, err);
}

static gsl_rng *rng_new(unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
    cr_assert_not_null(r);
    gsl_rng_set(r, seed);
    return r;
}

/* A workload from params; asserts success. */
typedef struct fixture {
    workload_library_t *lib;
    gsl_rng *rng;
    workload_t *w;
} fixture_t;

static void fx_open(fixture_t *fx, const workload_params_t *p, int64_t vm, unsigned long seed)
{
    char err[SIM_ERR_MAX] = "";
    if (!fx->lib)
        cr_assert_eq(workload_library_create(&fx->lib), 0);
    fx->rng = rng_new(seed);
    cr_assert_eq(workload_create(&fx->w, p, fx->lib, vm, fx->rng, err, sizeof err), 0, "%s", err);
}

static void fx_close(fixture_t *fx)
{
    workload_destroy(fx->w);
    gsl_rng_free(fx->rng);
    workload_library_destroy(fx->lib);
    memset(fx, 0, sizeof *fx);
}

static int64_t anon_at(workload_t *w, sim_time_t t)
{
    workload_sample_t s;
    workload_at(w, t, &s);
    return s.anon_pages;
}

/* Creating must fail with SIM_EINPUT and a message containing every given needle. */
static void expect_create_error(const workload_params_t *p, const char *n1, const char *n2)
{
    char err[SIM_ERR_MAX] = "";
    workload_library_t *lib;
    workload_t *w = (workload_t *)1;
    gsl_rng *r = rng_new(1);
    cr_assert_eq(workload_library_create(&lib), 0);
    cr_assert_eq(workload_create(&w, p, lib, 0, r, err, sizeof err), SIM_EINPUT, "no error for %s", p->file);
    cr_assert_null(w);
    cr_assert_not_null(strstr(err, n1), "'%s' not in '%s'", n1, err);
    if (n2)
        cr_assert_not_null(strstr(err, n2), "'%s' not in '%s'", n2, err);
    workload_library_destroy(lib);
    gsl_rng_free(r);
}

/* Loading `text` as a trace must fail naming the file and line `line` (0: no line). */
static void expect_load_error(const char *text, int line, const char *needle)
{
    char err[SIM_ERR_MAX] = "", where[300];
    workload_trace_t *tr = (workload_trace_t *)1;
    const char *path = write_file("bad.csv", text);
    cr_assert_eq(workload_trace_load(path, &tr, err, sizeof err), SIM_EINPUT, "loaded: %s", text);
    cr_assert_null(tr);
    if (line > 0)
        snprintf(where, sizeof where, "%s:%d:", path, line);
    else
        snprintf(where, sizeof where, "%s:", path);
    cr_assert_not_null(strstr(err, where), "'%s' not in '%s'", where, err);
    cr_assert_not_null(strstr(err, needle), "'%s' not in '%s'", needle, err);
    {   /* and the same through workload_create */
        workload_params_t p;
        defaults(&p);
        set(&p, "workload", "trace");
        set(&p, "workload.file", path);
        expect_create_error(&p, where, needle);
    }
}

/* ------------------------------------------------------------------------------------ */
/* keys                                                                                 */
/* ------------------------------------------------------------------------------------ */

Test(keys, defaults_are_a_constant_workload)
{
    workload_params_t p;
    fixture_t fx = { 0 };
    workload_sample_t s;
    size_t i;
    defaults(&p);
    cr_assert_str_eq(p.type, "constant");
    for (i = 0; i < workload_key_table.count; i++) {
        cr_assert(strncmp(workload_key_table.keys[i].name, "workload", 8) == 0);
        cr_assert_not_null(workload_key_table.keys[i].def, "%s has no default", workload_key_table.keys[i].name);
        cr_assert(strlen(workload_key_table.keys[i].help) > 10);
    }
    cr_assert_eq(workload_params_check(&p, NULL, 0), 0);
    fx_open(&fx, &p, 0, 1);
    workload_at(fx.w, 0, &s);
    cr_assert_eq(s.anon_pages, GIB_PAGES);
    cr_assert_eq(s.file_pages, 256 * SIM_MIB / SIM_PAGE_BYTES);
    cr_assert_float_eq(s.active_fraction, 0.5, 1e-12);
    cr_assert_float_eq(s.access_pages_per_s, 16384.0, 1e-9);
    cr_assert_eq(workload_next_change(fx.w, 0), SIM_TIME_NEVER);
    workload_at(fx.w, S(86400 * 365), &s);
    cr_assert_eq(s.anon_pages, GIB_PAGES);
    fx_close(&fx);
}

Test(keys, cross_checks)
{
    workload_params_t p;
    char err[SIM_ERR_MAX];
    defaults(&p);
    set(&p, "workload", "trace");
    cr_assert_eq(workload_params_check(&p, err, sizeof err), SIM_EINPUT);
    cr_assert_not_null(strstr(err, "workload.file"));
    expect_create_error(&p, "workload.file", NULL);
    defaults(&p);
    set(&p, "workload", "bitbrains");
    set(&p, "workload.file", BB_DIR);
    set(&p, "workload.active_fraction", "0");
    cr_assert_eq(workload_params_check(&p, err, sizeof err), SIM_EINPUT);
    cr_assert_not_null(strstr(err, "workload.active_fraction"));
    defaults(&p);
    set(&p, "workload", "diurnal");
    set(&p, "workload.period", "1h");
    set(&p, "workload.step", "31min");
    cr_assert_eq(workload_params_check(&p, err, sizeof err), SIM_EINPUT);
    cr_assert_not_null(strstr(err, "workload.step"));
    set(&p, "workload.step", "30min");
    cr_assert_eq(workload_params_check(&p, err, sizeof err), 0);
    strcpy(p.type, "nonsense");
    cr_assert_eq(workload_params_check(&p, err, sizeof err), SIM_EINPUT);
    cr_assert_not_null(strstr(err, "nonsense"));
}

/* ------------------------------------------------------------------------------------ */
/* CSV replay: hand-computed values                                                     */
/* ------------------------------------------------------------------------------------ */

/* Points (0 s, 100), (10 s, 200), (30 s, 50) pages, with file, active fraction and access
 * columns; cycle = 30 + (30 - 10) = 50 s.  Comments and blank lines in between. */
static const char *simple_csv(void)
{
    return write_file("simple.csv",
        "# a hand-made trace\n"
        "time_s,anon_pages,file_pages,active_fraction,access_pages_per_s\n"
        "\n"
        "0,100,10,0.5,1000\n"
        "10,200,20,0.25,2000\n"
        "# a comment between rows\n"
        "30,50,0,1,0\n");
}

static void trace_params(workload_params_t *p, const char *file, const char *interp, const char *loop)
{
    defaults(p);
    set(p, "workload", "trace");
    set(p, "workload.file", file);
    set(p, "workload.interpolate", interp);
    set(p, "workload.loop", loop);
}

Test(replay, step_no_loop)
{
    workload_params_t p;
    fixture_t fx = { 0 };
    workload_sample_t s;
    trace_params(&p, simple_csv(), "step", "no");
    fx_open(&fx, &p, 0, 1);
    cr_assert_eq(workload_next_change(fx.w, 0), S(10));
    workload_at(fx.w, 0, &s);
    cr_assert_eq(s.anon_pages, 100);
    cr_assert_eq(s.file_pages, 10);
    cr_assert_float_eq(s.active_fraction, 0.5, 1e-12);
    cr_assert_float_eq(s.access_pages_per_s, 1000, 1e-9);
    cr_assert_eq(anon_at(fx.w, S(5)), 100);
    cr_assert_eq(anon_at(fx.w, S(10) - 1), 100);
    cr_assert_eq(anon_at(fx.w, S(10)), 200);
    cr_assert_eq(workload_next_change(fx.w, S(10)), S(30));
    cr_assert_eq(workload_next_change(fx.w, S(17)), S(30));
    cr_assert_eq(anon_at(fx.w, S(29)), 200);
    cr_assert_eq(anon_at(fx.w, S(30)), 50);
    cr_assert_eq(workload_next_change(fx.w, S(30)), SIM_TIME_NEVER);
    workload_at(fx.w, S(1000000), &s);
    cr_assert_eq(s.anon_pages, 50);
    cr_assert_eq(s.file_pages, 0);
    cr_assert_float_eq(s.active_fraction, 1.0, 1e-12);
    fx_close(&fx);
}

Test(replay, linear_no_loop)
{
    workload_params_t p;
    fixture_t fx = { 0 };
    workload_sample_t s;
    trace_params(&p, simple_csv(), "linear", "no");
    fx_open(&fx, &p, 0, 1);
    workload_at(fx.w, S(5), &s);
    cr_assert_eq(s.anon_pages, 150);
    cr_assert_eq(s.file_pages, 15);
    cr_assert_float_eq(s.active_fraction, 0.375, 1e-12);
    cr_assert_float_eq(s.access_pages_per_s, 1500, 1e-9);
    cr_assert_eq(workload_next_change(fx.w, S(5)), S(10));
    cr_assert_eq(anon_at(fx.w, S(20)), 125);       /* 200 + (50 - 200) * 10/20 */
    cr_assert_eq(anon_at(fx.w, S(26)), 80);        /* 200 - 150 * 16/20 */
    cr_assert_eq(anon_at(fx.w, S(40)), 50);
    cr_assert_eq(workload_next_change(fx.w, S(40)), SIM_TIME_NEVER);
    fx_close(&fx);
}

Test(replay, loop_step_and_linear)
{
    workload_params_t p;
    fixture_t fx = { 0 };
    trace_params(&p, simple_csv(), "step", "yes");
    fx_open(&fx, &p, 0, 1);
    cr_assert_eq(anon_at(fx.w, S(45)), 50);         /* the last point holds one last interval */
    cr_assert_eq(workload_next_change(fx.w, S(45)), S(50));
    cr_assert_eq(anon_at(fx.w, S(50)), 100);        /* cycle 50 s */
    cr_assert_eq(anon_at(fx.w, S(62)), 200);
    cr_assert_eq(workload_next_change(fx.w, S(62)), S(80));
    cr_assert_eq(anon_at(fx.w, S(1000) + S(31)), 50);   /* 1031 mod 50 = 31 */
    fx_close(&fx);

    trace_params(&p, simple_csv(), "linear", "yes");
    fx_open(&fx, &p, 0, 1);
    cr_assert_eq(anon_at(fx.w, S(40)), 75);         /* ramp 50 -> 100 over [30, 50) */
    cr_assert_eq(anon_at(fx.w, S(55)), 150);
    cr_assert_eq(anon_at(fx.w, S(90)), 75);
    fx_close(&fx);
}

Test(replay, phase_shift_per_vm)
{
    workload_params_t p;
    fixture_t fx = { 0 };
    trace_params(&p, simple_csv(), "step", "no");
    set(&p, "workload.phase", "7s");
    fx_open(&fx, &p, 2, 1);                          /* shift 14 s */
    cr_assert_eq(anon_at(fx.w, 0), 200);
    cr_assert_eq(workload_next_change(fx.w, 0), S(16));
    cr_assert_eq(anon_at(fx.w, S(16)), 50);
    fx_close(&fx);

    set(&p, "workload.interpolate", "linear");
    fx_open(&fx, &p, 2, 1);
    cr_assert_eq(anon_at(fx.w, 0), 170);            /* 200 - 150 * 4/20 */
    fx_close(&fx);

    set(&p, "workload.interpolate", "step");
    set(&p, "workload.loop", "yes");
    fx_open(&fx, &p, 10, 1);                         /* shift 70 mod 50 = 20 s */
    cr_assert_eq(anon_at(fx.w, 0), 200);
    cr_assert_eq(anon_at(fx.w, S(10)), 50);
    cr_assert_eq(anon_at(fx.w, S(30)), 100);
    fx_close(&fx);

    set(&p, "workload.loop", "no");
    fx_open(&fx, &p, 1000000, 1);                    /* far past the end: holds the last */
    cr_assert_eq(anon_at(fx.w, 0), 50);
    cr_assert_eq(workload_next_change(fx.w, 0), SIM_TIME_NEVER);
    fx_close(&fx);
}

Test(replay, scale_offset_and_absent_columns)
{
    workload_params_t p;
    fixture_t fx = { 0 };
    workload_sample_t s;
    trace_params(&p, simple_csv(), "step", "no");
    set(&p, "workload.scale", "2");
    set(&p, "workload.offset", "40960");             /* 10 pages */
    fx_open(&fx, &p, 0, 1);
    workload_at(fx.w, 0, &s);
    cr_assert_eq(s.anon_pages, 210);
    cr_assert_eq(s.file_pages, 20);                  /* scale applies to the file column */
    fx_close(&fx);

    set(&p, "workload.scale", "1");
    set(&p, "workload.offset", "-1GiB");
    fx_open(&fx, &p, 0, 1);
    cr_assert_eq(anon_at(fx.w, 0), 0);               /* clamped at 0 */
    fx_close(&fx);

    set(&p, "workload.offset", "0");
    set(&p, "workload.max", "614400");               /* 150 pages */
    fx_open(&fx, &p, 0, 1);
    cr_assert_eq(anon_at(fx.w, S(10)), 150);
    fx_close(&fx);

    /* only time and anon: the rest from the keys; units in the column names */
    trace_params(&p, write_file("units.csv", "anon_mib , time_ms\n1,0\n2,1500\n"), "linear", "no");
    set(&p, "workload.file_set", "8MiB");
    set(&p, "workload.active_fraction", "20%");
    set(&p, "workload.access_rate", "4MiB/s");
    fx_open(&fx, &p, 0, 1);
    workload_at(fx.w, S(1) / 2 * 3 / 2, &s);        /* 0.75 s: halfway */
    cr_assert_eq(s.anon_pages, 384);
    cr_assert_eq(s.file_pages, 2048);
    cr_assert_float_eq(s.active_fraction, 0.2, 1e-12);
    cr_assert_float_eq(s.access_pages_per_s, 1024.0, 1e-9);
    cr_assert_eq(anon_at(fx.w, S(2)), 512);
    fx_close(&fx);
}

Test(replay, duplicates_last_wins_and_compaction)
{
    workload_trace_t *tr;
    char err[SIM_ERR_MAX];
    const char *path = write_file("dup.csv",
        "time_s,anon_pages\n0,5\n1,5\n2,5\n3,5\n3,6\n4,7\n5,7\n6,7\n7,7\n");
    cr_assert_eq(workload_trace_load(path, &tr, err, sizeof err), 0, "%s", err);
    cr_assert_eq(tr->stats.rows, 9);
    cr_assert_eq(tr->stats.duplicate_rows, 1);
    cr_assert_eq(tr->stats.repeated_timestamps, 1);
    cr_assert_eq(tr->stats.kept_rows, 8);
    /* kept: 0:5 1:5 2:5 3:6 4:7 5:7 6:7 7:7 -> stored 0:5 2:5 3:6 4:7 7:7 */
    cr_assert_eq(tr->n, 5);
    cr_assert_eq(tr->t_ns[1], S(2));
    cr_assert_eq(tr->mem_pages[2], 6);
    cr_assert_eq(tr->duration_ns, S(7));
    cr_assert_eq(tr->cycle_ns, S(8));                /* computed before compaction */
    workload_trace_destroy(tr);
    {
        workload_params_t p;
        fixture_t fx = { 0 };
        trace_params(&p, path, "linear", "no");
        fx_open(&fx, &p, 0, 1);
        cr_assert_eq(anon_at(fx.w, S(1)), 5);
        cr_assert_eq(anon_at(fx.w, S(3)), 6);
        cr_assert_eq(anon_at(fx.w, S(5)), 7);
        fx_close(&fx);
        trace_params(&p, path, "step", "no");
        fx_open(&fx, &p, 0, 1);
        cr_assert_eq(workload_next_change(fx.w, 0), S(3));   /* 2 s changes nothing */
        fx_close(&fx);
    }
}

/* RFC 4180 quoting, as R's write.csv writes it: quoted header fields, an unnamed first
 * column of row names (ignored), quoted numbers, a doubled quote, CRLF line ends, a
 * quoted field spanning two lines; a quote left open or text after a closing quote is an
 * error naming the line (issue 21). */
Test(replay, rfc4180_quoting_as_r_writes_it)
{
    workload_trace_t *tr;
    char err[SIM_ERR_MAX];
    const char *path = write_file("r.csv",
        "\"\",\"time_s\",\"anon_pages\"\r\n\"1\",0,5\r\n\"row \"\"2\"\"\",\"1\",6\r\n"
        "\"3\n(three)\",2, \"7\" \r\n");
    cr_assert_eq(workload_trace_load(path, &tr, err, sizeof err), 0, "%s", err);
    cr_assert_eq(tr->stats.rows, 3);
    cr_assert_eq(tr->n, 3);
    cr_assert_eq(tr->t_ns[1], S(1));
    cr_assert_eq(tr->mem_pages[0], 5);
    cr_assert_eq(tr->mem_pages[1], 6);
    cr_assert_eq(tr->mem_pages[2], 7);
    workload_trace_destroy(tr);
    expect_load_error("\"time_s\",\"anon_pages\ntime\n0,1\n", 1, "quoted field is not closed");
    expect_load_error("time_s,anon_pages\n0,\"1\"x\n", 2, "text follows its closing quote");
    expect_load_error("time_s,anon_pages\n0,\"1,2\"\n", 2, "'1,2' is not a number");
    expect_load_error("time_s,anon_pages\n0,1\n1,\"2\n", 3, "quoted field is not closed");
}

Test(replay, one_point_is_constant)
{
    workload_params_t p;
    fixture_t fx = { 0 };
    trace_params(&p, write_file("one.csv", "time_s,anon_pages\n1372629804,42\n"), "linear", "yes");
    fx_open(&fx, &p, 3, 1);
    cr_assert_eq(anon_at(fx.w, 0), 42);
    cr_assert_eq(anon_at(fx.w, S(99999)), 42);
    cr_assert_eq(workload_next_change(fx.w, S(99999)), SIM_TIME_NEVER);
    fx_close(&fx);
}

Test(replay, loaded_once_shared_by_vms)
{
    workload_params_t p;
    workload_library_t *lib;
    workload_t *w[50];
    gsl_rng *r = rng_new(1);
    const workload_trace_t *a, *b;
    char err[SIM_ERR_MAX];
    int i;
    trace_params(&p, simple_csv(), "step", "yes");
    set(&p, "workload.phase", "1s");
    cr_assert_eq(workload_library_create(&lib), 0);
    for (i = 0; i < 50; i++)
        cr_assert_eq(workload_create(&w[i], &p, lib, i, r, err, sizeof err), 0, "%s", err);
    cr_assert_eq(workload_library_trace(lib, p.file, &a, err, sizeof err), 0);
    cr_assert_eq(workload_library_trace(lib, p.file, &b, err, sizeof err), 0);
    cr_assert_eq(a, b);
    for (i = 0; i < 50; i++) {
        sim_time_t u = S(i) % S(50);
        int64_t want = u < S(10) ? 100 : u < S(30) ? 200 : 50;
        cr_assert_eq(anon_at(w[i], 0), want, "vm %d", i);
        workload_destroy(w[i]);
    }
    workload_library_destroy(lib);
    gsl_rng_free(r);
}

/* ------------------------------------------------------------------------------------ */
/* Bitbrains GWA-T-12                                                                   */
/* ------------------------------------------------------------------------------------ */

static const workload_trace_t *bb_trace(workload_library_t *lib, const char *name)
{
    char path[256], err[SIM_ERR_MAX] = "";
    const workload_trace_t *tr;
    snprintf(path, sizeof path, BB_DIR "/%s", name);
    cr_assert_eq(workload_library_trace(lib, path, &tr, err, sizeof err), 0, "%s", err);
    cr_assert_eq(tr->format, WORKLOAD_TRACE_BITBRAINS);
    return tr;
}

static void bb_params(workload_params_t *p, const char *file, const char *interp, const char *af)
{
    defaults(p);
    set(p, "workload", "bitbrains");
    set(p, "workload.file", file);
    set(p, "workload.interpolate", interp);
    set(p, "workload.active_fraction", af);
}

Test(bitbrains, directory_all_twelve_files)
{
    static const char *order[] = { "1.csv", "3.csv", "5.csv", "9.csv", "10.csv", "12.csv", "14.csv",
                                   "20.csv", "22.csv", "33.csv", "36.csv", "52.csv" };
    static const double prov_kib[] = { 8388608, 702948, 2097152, 4194304, 2097152, 2097152, 2097152,
                                       4194304, 16703488, 8388608, 16777216, 20637696 };
    workload_library_t *lib;
    char err[SIM_ERR_MAX] = "";
    int64_t n, i, bytes;
    cr_assert_eq(workload_library_create(&lib), 0);
    cr_assert_eq(workload_bitbrains_dir_count(lib, BB_DIR, &n, err, sizeof err), 0, "%s", err);
    cr_assert_eq(n, 12);
    for (i = 0; i < n; i++) {
        const char *f = workload_bitbrains_file(lib, BB_DIR, i, err, sizeof err);
        const char *base;
        cr_assert_not_null(f, "%s", err);
        base = strrchr(f, '/') + 1;
        cr_assert_str_eq(base, order[i]);
        cr_assert_eq(workload_bitbrains_provisioned_bytes(lib, BB_DIR, i, &bytes, err, sizeof err), 0);
        cr_assert_eq(bytes, (int64_t)(prov_kib[i] * 1024), "%s: %lld", base, (long long)bytes);
        cr_assert_gt(bb_trace(lib, order[i])->n, 100);
    }
    /* VM 13 of a group wraps to file 1 (index 13 mod 12) */
    cr_assert_eq(workload_bitbrains_provisioned_bytes(lib, BB_DIR, 13, &bytes, err, sizeof err), 0);
    cr_assert_eq(bytes, (int64_t)(prov_kib[1] * 1024));
    cr_assert_str_eq(strrchr(workload_bitbrains_file(lib, BB_DIR, 13, err, sizeof err), '/') + 1, "3.csv");
    cr_assert_eq(workload_bitbrains_provisioned_bytes(lib, BB_DIR, -1, &bytes, err, sizeof err), SIM_EINPUT);
    /* one file is a group of one */
    cr_assert_eq(workload_bitbrains_dir_count(lib, BB_DIR "/20.csv", &n, err, sizeof err), 0, "%s", err);
    cr_assert_eq(n, 1);
    cr_assert_eq(workload_bitbrains_provisioned_bytes(lib, BB_DIR "/20.csv", 5, &bytes, err, sizeof err), 0);
    cr_assert_eq(bytes, 4 * SIM_GIB);
    workload_library_destroy(lib);
}

/* Q1: seconds labelled ms -- the data are read as seconds; a file in real ms is detected. */
Test(bitbrains, q1_seconds_labelled_ms)
{
    workload_library_t *lib;
    const workload_trace_t *tr;
    char err[SIM_ERR_MAX];
    cr_assert_eq(workload_library_create(&lib), 0);
    tr = bb_trace(lib, "1.csv");
    cr_assert_eq(tr->stats.timestamps_ms, 0);
    cr_assert_eq(tr->duration_ns, S(1375221457 - 1372629804));    /* 30 days */
    cr_assert_eq(tr->stats.median_interval_ns, S(300));
    cr_assert_eq(workload_library_trace(lib, write_file("ms.csv",
        "Timestamp [ms];\tMemory capacity provisioned [KB];\tMemory usage [KB]\n"
        "1372629804000;\t1024;\t400\n1372630104000;\t1024;\t800\n"), &tr, err, sizeof err), 0, "%s", err);
    cr_assert_eq(tr->stats.timestamps_ms, 1);
    cr_assert_eq(tr->duration_ns, S(300));
    cr_assert_eq(tr->mem_pages[1], 200);
    workload_library_destroy(lib);
}

/* Q2: all-zero rows and zero-usage rows are missing samples: dropped; leading and trailing
 * ones trim the trace, interior ones are held over. */
Test(bitbrains, q2_zero_rows_missing)
{
    workload_library_t *lib;
    const workload_trace_t *tr;
    workload_params_t p;
    fixture_t fx = { 0 };
    cr_assert_eq(workload_library_create(&lib), 0);
    tr = bb_trace(lib, "14.csv");                      /* 8 leading all-zero rows */
    cr_assert_eq(tr->stats.rows, 428);
    cr_assert_eq(tr->stats.zero_rows, 8);
    cr_assert_eq(tr->stats.missing_rows, 8);
    cr_assert_eq(tr->stats.kept_rows, 420);
    cr_assert_eq(tr->duration_ns, S(1375221457 - 1375095746));
    cr_assert_eq(tr->mem_pages[0], 418119);           /* 1672476 KiB / 4 */
    tr = bb_trace(lib, "20.csv");                      /* 12,074 trailing all-zero rows */
    cr_assert_eq(tr->stats.rows, 16553);
    cr_assert_eq(tr->stats.zero_rows, 12074);
    cr_assert_eq(tr->stats.kept_rows, 4478);
    cr_assert_eq(tr->duration_ns, S(1373975737 - 1372629804));    /* ends at the last valid row */
    tr = bb_trace(lib, "52.csv");
    cr_assert_eq(tr->stats.zero_rows, 1268);
    cr_assert_eq(tr->stats.missing_rows, 2425);
    tr = bb_trace(lib, "36.csv");                      /* 185 zero-usage drop-outs */
    cr_assert_eq(tr->stats.zero_rows, 0);
    cr_assert_eq(tr->stats.missing_rows, 185);
    workload_library_destroy(lib);

    /* 36.csv line 38 (10,500 s after the first valid row) reads 0 KiB: line 37 holds */
    bb_params(&p, BB_DIR "/36.csv", "step", "1");
    fx_open(&fx, &p, 0, 1);
    cr_assert_eq(anon_at(fx.w, S(10200)), 41943);      /* 167772 KiB */
    cr_assert_eq(anon_at(fx.w, S(10500)), 41943);
    cr_assert_eq(anon_at(fx.w, S(10800)), 36351);      /* 145402.4 KiB */
    fx_close(&fx);
}

/* Q3: duplicate timestamps -- the last valid row wins. */
Test(bitbrains, q3_duplicates_last_wins)
{
    workload_library_t *lib;
    const workload_trace_t *tr;
    workload_params_t p;
    fixture_t fx = { 0 };
    cr_assert_eq(workload_library_create(&lib), 0);
    tr = bb_trace(lib, "20.csv");
    cr_assert_eq(tr->stats.repeated_timestamps, 4158);
    cr_assert_eq(tr->stats.duplicate_rows, 1);
    workload_library_destroy(lib);
    /* 1373975437 has 128623.7 then 671088 KiB: 671088 / 4 = 167772 pages */
    bb_params(&p, BB_DIR "/20.csv", "step", "1");
    set(&p, "workload.loop", "no");
    fx_open(&fx, &p, 0, 1);
    cr_assert_eq(anon_at(fx.w, S(1373975437 - 1372629804)), 167772);
    cr_assert_eq(anon_at(fx.w, S(40 * 86400)), 167772);    /* trimmed end holds (loop = no) */
    fx_close(&fx);
}

/* Q4: gaps -- hold (step) or a straight line (linear).  1.csv's longest gap: 110,414 s
 * from 1373979937 (1230327.7 KiB) to 1374090351 (1191180 KiB). */
Test(bitbrains, q4_gaps)
{
    workload_params_t p;
    fixture_t fx = { 0 };
    workload_library_t *lib;
    sim_time_t a = S(1373979937 - 1372629804), mid = a + S(110414 / 2);
    cr_assert_eq(workload_library_create(&lib), 0);
    cr_assert_eq(bb_trace(lib, "1.csv")->stats.max_interval_ns, S(110414));
    cr_assert_eq(bb_trace(lib, "1.csv")->stats.gaps, 46);       /* intervals > 450 s, awk-checked */
    workload_library_destroy(lib);
    bb_params(&p, BB_DIR "/1.csv", "step", "1");
    fx_open(&fx, &p, 0, 1);
    cr_assert_eq(anon_at(fx.w, mid), 307582);
    cr_assert_eq(workload_next_change(fx.w, mid), a + S(110414));
    fx_close(&fx);
    bb_params(&p, BB_DIR "/1.csv", "linear", "1");
    fx_open(&fx, &p, 0, 1);
    cr_assert_eq(anon_at(fx.w, mid), 302689);          /* (307582 + 297795) / 2, rounded */
    fx_close(&fx);
}

/* Q5: short traces loop (or hold the last value). */
Test(bitbrains, q5_short_trace_loops)
{
    workload_params_t p;
    fixture_t fx = { 0 }, fy = { 0 };
    workload_library_t *lib;
    const workload_trace_t *tr;
    sim_time_t c, t;
    int64_t last;
    cr_assert_eq(workload_library_create(&lib), 0);
    tr = bb_trace(lib, "14.csv");
    c = tr->cycle_ns;
    cr_assert_eq(c, tr->duration_ns + S(300));
    last = tr->mem_pages[tr->n - 1];
    workload_library_destroy(lib);
    bb_params(&p, BB_DIR "/14.csv", "linear", "1");
    fx_open(&fx, &p, 0, 1);
    fx_open(&fy, &p, 0, 1);
    for (t = 0; t < c; t += S(777)) {
        int64_t x = anon_at(fx.w, t);
        cr_assert_eq(anon_at(fy.w, t + 3 * c), x, "t=%lld", (long long)t);
    }
    fx_close(&fx);
    fx_close(&fy);
    set(&p, "workload.loop", "no");
    fx_open(&fx, &p, 0, 1);
    cr_assert_eq(anon_at(fx.w, 10 * c), last);
    fx_close(&fx);
}

/* mapping = legacy: usage = active memory, anon = min(usage / af, max(usage, provisioned)),
 * active = usage (the rule before issue 19, kept for comparison). */
Test(bitbrains, usage_is_active_memory)
{
    workload_params_t p;
    fixture_t fx = { 0 };
    workload_sample_t s;
    bb_params(&p, BB_DIR "/1.csv", "step", "50%");
    set(&p, "workload.mapping", "legacy");
    fx_open(&fx, &p, 0, 1);
    workload_at(fx.w, 0, &s);                          /* 1034592.8 KiB -> 258649 pages */
    cr_assert_eq(s.anon_pages, 2 * 258649);
    cr_assert_float_eq(s.active_fraction, 0.5, 1e-12);
    cr_assert_eq(s.file_pages, 256 * SIM_MIB / SIM_PAGE_BYTES);
    fx_close(&fx);
    /* 52.csv spikes to 19.4 GB against 19.7 GiB provisioned: capped at provisioned */
    bb_params(&p, BB_DIR "/52.csv", "step", "25%");
    set(&p, "workload.mapping", "legacy");
    fx_open(&fx, &p, 0, 1);
    workload_at(fx.w, 0, &s);                          /* 1.65675E7 KiB -> 4141875 pages */
    cr_assert_eq(s.anon_pages, 20637696 / 4);
    cr_assert_float_eq(s.active_fraction, 4141875.0 / (20637696 / 4), 1e-12);
    cr_assert_eq(s.capped_pages, 0);
    fx_close(&fx);
    /* the same instant under fit (no guest given: memory = provisioned, nothing reserved):
     * room = 5159424 - 65536 (min_cache 0 = the 256 MiB file set) = 5093888 pages */
    bb_params(&p, BB_DIR "/52.csv", "step", "25%");
    fx_open(&fx, &p, 0, 1);
    workload_at(fx.w, 0, &s);
    cr_assert_eq(s.anon_pages, 5093888);
    cr_assert_eq(s.capped_pages, 0);
    fx_close(&fx);
}

/* A hand-computed file for the two mappings: provisioned 1 GiB (262144 pages); usage
 * 100 MiB (25600 pages), 600000 KiB (150000 pages), then 2 GiB (524288 pages: above
 * provisioned, as in 47 of the 500 Rnd files).  Guest: memory 262144 pages, reserved
 * (kernel + watermark) 20000, min_cache 64 MiB = 16384: room = 225760 pages. */
#define HAND_BB "Timestamp [ms];\tMemory capacity provisioned [KB];\tMemory usage [KB]\n" \
                "1000;\t1048576;\t102400\n1300;\t1048576;\t600000\n1600;\t1048576;\t2097152\n"
Test(bitbrains, fit_mapping_hand_computed)
{
    workload_params_t p;
    fixture_t fx = { 0 };
    workload_sample_t s;
    const int64_t mem = 262144, reserved = 20000, cache = 16384, room = 225760;
    bb_params(&p, write_file("hand.csv", HAND_BB), "step", "50%");
    set(&p, "workload.loop", "no");
    set(&p, "workload.min_cache", "64MiB");
    fx_open(&fx, &p, 0, 1);
    workload_set_guest(fx.w, mem, reserved);
    workload_at(fx.w, S(0), &s);                       /* 2 x 25600 fits */
    cr_assert_eq(s.anon_pages, 51200);
    cr_assert_float_eq(s.active_fraction, 0.5, 1e-12);
    cr_assert_eq(s.capped_pages, 0);
    workload_at(fx.w, S(300), &s);                     /* 2 x 150000 > room: anon = room */
    cr_assert_eq(s.anon_pages, room);
    cr_assert_leq(reserved + s.anon_pages + cache, mem);
    cr_assert_float_eq(s.active_fraction, 150000.0 / room, 1e-12);
    cr_assert_eq(s.capped_pages, 0);                   /* usage itself fits: not a cap */
    workload_at(fx.w, S(600), &s);                     /* usage 2 GiB of 1 GiB: capped */
    cr_assert_eq(s.anon_pages, room);
    cr_assert_leq(reserved + s.anon_pages + cache, mem);
    cr_assert_float_eq(s.active_fraction, 1.0, 1e-12);
    cr_assert_eq(s.capped_pages, 524288 - room);
    fx_close(&fx);
    /* legacy: the same rows, kernel ignored, usage above provisioned left uncapped */
    set(&p, "workload.mapping", "legacy");
    fx_open(&fx, &p, 0, 1);
    workload_set_guest(fx.w, mem, reserved);           /* ignored by legacy */
    workload_at(fx.w, S(300), &s);
    cr_assert_eq(s.anon_pages, 262144);                /* min(300000, max(150000, 262144)) */
    workload_at(fx.w, S(600), &s);
    cr_assert_eq(s.anon_pages, 524288);                /* min(1048576, max(524288, 262144)) */
    cr_assert_eq(s.capped_pages, 0);
    fx_close(&fx);
    /* a guest too small for its reserve and cache: room 0, all usage capped */
    set(&p, "workload.mapping", "fit");
    fx_open(&fx, &p, 0, 1);
    workload_set_guest(fx.w, 30000, 20000);
    workload_at(fx.w, S(0), &s);
    cr_assert_eq(s.anon_pages, 0);
    cr_assert_eq(s.capped_pages, 25600);
    fx_close(&fx);
    /* the loader counts the row above provisioned */
    {
        workload_library_t *lib;
        const workload_trace_t *tr;
        char err[SIM_ERR_MAX] = "";
        cr_assert_eq(workload_library_create(&lib), 0);
        cr_assert_eq(workload_library_trace(lib, write_file("hand.csv", HAND_BB), &tr, err, sizeof err), 0, "%s", err);
        cr_assert_eq(tr->stats.over_provisioned_rows, 1);
        cr_assert_eq(tr->stats.max_pages, 524288);
        workload_library_destroy(lib);
    }
}

Test(bitbrains, spikes_kept_and_no_events_between_samples)
{
    workload_params_t p;
    fixture_t fx = { 0 };
    workload_library_t *lib;
    const workload_trace_t *tr;
    int64_t mx = 0, events = 0;
    sim_time_t t = 0;
    size_t npoints;
    cr_assert_eq(workload_library_create(&lib), 0);
    tr = bb_trace(lib, "36.csv");
    cr_assert_eq(tr->stats.max_pages, (int64_t)ceil(13667836.533333333 / 4));
    npoints = tr->n;
    workload_library_destroy(lib);
    bb_params(&p, BB_DIR "/36.csv", "step", "1");
    set(&p, "workload.loop", "no");
    fx_open(&fx, &p, 0, 1);
    while (t != SIM_TIME_NEVER) {
        int64_t v = anon_at(fx.w, t);
        sim_time_t nx = workload_next_change(fx.w, t);
        cr_assert_gt(nx, t);
        if (v > mx)
            mx = v;
        events++;
        t = nx;
    }
    cr_assert_eq(mx, (int64_t)ceil(13667836.533333333 / 4));
    cr_assert_leq(events, (int64_t)npoints);           /* one event per stored point at most */
    fx_close(&fx);
}

Test(bitbrains, group_vm_index_picks_file)
{
    workload_params_t p;
    fixture_t fx = { 0 };
    bb_params(&p, BB_DIR, "step", "1");
    fx_open(&fx, &p, 1, 1);                            /* file 1 = 3.csv: 92272.8 KiB */
    cr_assert_eq(anon_at(fx.w, 0), 23069);
    fx_close(&fx);
}

/* ------------------------------------------------------------------------------------ */
/* generators                                                                           */
/* ------------------------------------------------------------------------------------ */

Test(generators, step)
{
    workload_params_t p;
    fixture_t fx = { 0 };
    defaults(&p);
    set(&p, "workload", "step");
    set(&p, "workload.mean", "2GiB");
    set(&p, "workload.amplitude", "-1GiB");
    set(&p, "workload.step_at", "1h");
    fx_open(&fx, &p, 0, 1);
    cr_assert_eq(anon_at(fx.w, 0), 2 * GIB_PAGES);
    cr_assert_eq(workload_next_change(fx.w, 0), S(3600));
    cr_assert_eq(anon_at(fx.w, S(3600) - 1), 2 * GIB_PAGES);
    cr_assert_eq(anon_at(fx.w, S(3600)), GIB_PAGES);
    cr_assert_eq(workload_next_change(fx.w, S(3600)), SIM_TIME_NEVER);
    fx_close(&fx);
    set(&p, "workload.phase", "10min");
    fx_open(&fx, &p, 2, 1);                            /* sees the step at 40 min */
    cr_assert_eq(workload_next_change(fx.w, 0), S(2400));
    fx_close(&fx);
    fx_open(&fx, &p, 6, 1);                            /* already stepped */
    cr_assert_eq(anon_at(fx.w, 0), GIB_PAGES);
    fx_close(&fx);
}

Test(generators, diurnal_hand_values_without_noise)
{
    workload_params_t p;
    fixture_t fx = { 0 };
    defaults(&p);
    set(&p, "workload", "diurnal");
    set(&p, "workload.mean", "4GiB");
    set(&p, "workload.amplitude", "1GiB");
    set(&p, "workload.noise", "0");
    set(&p, "workload.step", "60s");
    fx_open(&fx, &p, 0, 1);
    cr_assert_eq(anon_at(fx.w, 0), 4 * GIB_PAGES);
    cr_assert_eq(workload_next_change(fx.w, 0), S(60));
    cr_assert_eq(anon_at(fx.w, S(6 * 3600)), 5 * GIB_PAGES);       /* peak at period / 4 */
    cr_assert_eq(anon_at(fx.w, S(6 * 3600 + 30)), 5 * GIB_PAGES);  /* held within a step */
    cr_assert_eq(anon_at(fx.w, S(18 * 3600)), 3 * GIB_PAGES);
    cr_assert_eq(anon_at(fx.w, S(30 * 3600)), 5 * GIB_PAGES);
    fx_close(&fx);
    set(&p, "workload.phase", "6h");                   /* VM 1 is a quarter period ahead */
    fx_open(&fx, &p, 1, 1);
    cr_assert_eq(anon_at(fx.w, 0), 5 * GIB_PAGES);
    fx_close(&fx);
}

Test(generators, diurnal_statistics)
{
    workload_params_t p;
    fixture_t fx = { 0 };
    const int n = 100 * 1440;                          /* 100 days of 1-minute steps */
    double *x = malloc(n * sizeof *x), mean = 0, var = 0, s = 0, c = 0, amp;
    int i, lag, best = 0;
    double bestr = -2;
    const double A = GIB_PAGES, sd = 64.0 * 256;
    defaults(&p);
    set(&p, "workload", "diurnal");
    set(&p, "workload.mean", "4GiB");
    set(&p, "workload.amplitude", "1GiB");
    set(&p, "workload.noise", "64MiB");
    fx_open(&fx, &p, 0, 42);
    for (i = 0; i < n; i++) {
        x[i] = (double)anon_at(fx.w, S(60) * i);
        mean += x[i];
    }
    mean /= n;
    for (i = 0; i < n; i++) {
        double ph = 6.283185307179586 * (i % 1440) / 1440.0;
        var += (x[i] - mean) * (x[i] - mean);
        s += (x[i] - mean) * sin(ph);
        c += (x[i] - mean) * cos(ph);
    }
    var /= n - 1;
    amp = 2 * sqrt(s * s + c * c) / n;
    cr_assert(fabs(mean - 4 * A) < 0.002 * 4 * A, "mean %g", mean);
    cr_assert(fabs(amp - A) < 0.01 * A, "amplitude %g", amp);
    cr_assert(fabs(var - (A * A / 2 + sd * sd)) < 0.02 * (A * A / 2 + sd * sd), "variance %g", var);
    cr_assert(fabs(atan2(c, s)) < 0.01, "phase %g", atan2(c, s));
    /* period: the autocorrelation peaks at 24 h (lag 1440) among lags 12 h .. 36 h */
    for (lag = 720; lag <= 2160; lag += 10) {
        double r = 0;
        for (i = 0; i + lag < n; i += 7)
            r += (x[i] - mean) * (x[i + lag] - mean);
        if (r > bestr) {
            bestr = r;
            best = lag;
        }
    }
    cr_assert_eq(best, 1440);
    free(x);
    fx_close(&fx);
}

Test(generators, ou_statistics)
{
    workload_params_t p;
    fixture_t fx = { 0 };
    const int n = 200000, lag = 10;                    /* tau / step = 10 */
    double *x = malloc(n * sizeof *x), mean = 0, var = 0, r = 0;
    const double mu = 2.0 * GIB_PAGES, sd = 256.0 * 256;
    int i;
    defaults(&p);
    set(&p, "workload", "ou");
    set(&p, "workload.mean", "2GiB");
    set(&p, "workload.noise", "256MiB");
    set(&p, "workload.tau", "10min");
    set(&p, "workload.step", "60s");
    fx_open(&fx, &p, 0, 7);
    for (i = 0; i < n; i++) {
        x[i] = (double)anon_at(fx.w, S(60) * i);
        mean += x[i];
    }
    mean /= n;
    for (i = 0; i < n; i++)
        var += (x[i] - mean) * (x[i] - mean);
    var /= n - 1;
    for (i = 0; i + lag < n; i++)
        r += (x[i] - mean) * (x[i + lag] - mean);
    r /= (n - lag) * var;
    /* standard error of the mean: sd sqrt(2 tau / T) = 0.01 sd */
    cr_assert(fabs(mean - mu) < 0.05 * sd, "mean %g", mean);
    cr_assert(fabs(var / (sd * sd) - 1) < 0.05, "variance ratio %g", var / (sd * sd));
    cr_assert(fabs(r - exp(-1.0)) < 0.03, "autocorrelation at tau %g", r);
    free(x);
    fx_close(&fx);
}

Test(generators, ou_clamped_at_zero_and_max)
{
    workload_params_t p;
    fixture_t fx = { 0 };
    int i;
    int64_t mx = 0, mn = INT64_MAX;
    defaults(&p);
    set(&p, "workload", "ou");
    set(&p, "workload.mean", "0");
    set(&p, "workload.noise", "1GiB");
    set(&p, "workload.max", "1GiB");
    fx_open(&fx, &p, 0, 3);
    for (i = 0; i < 10000; i++) {
        int64_t v = anon_at(fx.w, S(60) * i);
        if (v > mx) mx = v;
        if (v < mn) mn = v;
    }
    cr_assert_eq(mn, 0);
    cr_assert_eq(mx, GIB_PAGES);
    fx_close(&fx);
}

/* Walk the change points of a generator, measuring the time spent at each level. */
Test(generators, onoff_burst_lengths)
{
    workload_params_t p;
    fixture_t fx = { 0 };
    sim_time_t t = 0, horizon = S(86400) * 400;        /* ~14,400 on/off cycles */
    double on_sum = 0, off_sum = 0;
    int64_t n_on = 0, n_off = 0, base = GIB_PAGES;
    defaults(&p);
    set(&p, "workload", "onoff");
    set(&p, "workload.mean", "1GiB");
    set(&p, "workload.amplitude", "2GiB");
    set(&p, "workload.on_time", "10min");
    set(&p, "workload.off_time", "30min");
    fx_open(&fx, &p, 0, 11);
    anon_at(fx.w, 0);
    t = workload_next_change(fx.w, 0);                 /* skip the first, truncated period */
    while (t < horizon) {
        int64_t v = anon_at(fx.w, t);
        sim_time_t nx = workload_next_change(fx.w, t);
        cr_assert_gt(nx, t);
        cr_assert(v == base || v == 3 * base);
        if (v == 3 * base) {
            on_sum += sim_time_to_s(nx - t);
            n_on++;
        } else {
            off_sum += sim_time_to_s(nx - t);
            n_off++;
        }
        t = nx;
    }
    cr_assert(fabs(on_sum / n_on / 600 - 1) < 0.03, "mean on %g s", on_sum / n_on);
    cr_assert(fabs(off_sum / n_off / 1800 - 1) < 0.03, "mean off %g s", off_sum / n_off);
    cr_assert(fabs(on_sum / (on_sum + off_sum) - 0.25) < 0.01, "on fraction");
    cr_assert(llabs(n_on - n_off) <= 1);               /* strictly alternating */
    fx_close(&fx);
}

Test(generators, spikes_pareto_heights)
{
    workload_params_t p;
    fixture_t fx = { 0 };
    sim_time_t t = 0;
    double h_sum = 0, d_sum = 0, g_sum = 0;
    int64_t n_spike = 0, n_gap = 0, n_big = 0, base = GIB_PAGES, xm = 256 * 256;
    defaults(&p);
    set(&p, "workload", "spikes");
    set(&p, "workload.mean", "1GiB");
    set(&p, "workload.spike_interval", "1h");
    set(&p, "workload.spike_duration", "5min");
    set(&p, "workload.spike_size", "256MiB");
    set(&p, "workload.spike_alpha", "3");
    fx_open(&fx, &p, 0, 5);
    while (n_spike < 20000) {
        int64_t v = anon_at(fx.w, t);
        sim_time_t nx = workload_next_change(fx.w, t);
        cr_assert_gt(nx, t);
        if (v > base) {
            cr_assert_geq(v - base, xm);               /* Pareto minimum */
            h_sum += (double)(v - base);
            if (v - base > 2 * xm)
                n_big++;
            d_sum += sim_time_to_s(nx - t);
            n_spike++;
        } else {
            cr_assert_eq(v, base);
            g_sum += sim_time_to_s(nx - t);
            n_gap++;
        }
        t = nx;
    }
    cr_assert(fabs(h_sum / n_spike / (1.5 * xm) - 1) < 0.03, "mean height %g", h_sum / n_spike);
    cr_assert(fabs((double)n_big / n_spike - 0.125) < 0.01, "P(h > 2 x_m) %g", (double)n_big / n_spike);
    cr_assert(fabs(d_sum / n_spike / 300 - 1) < 0.03, "mean duration %g", d_sum / n_spike);
    cr_assert(fabs(g_sum / n_gap / 3600 - 1) < 0.03, "mean gap %g", g_sum / n_gap);
    fx_close(&fx);
}

/* Known answers: default keys, gsl_rng_taus2 seeded 2024; the first three (anon pages,
 * next change ns).  They pin the order of the draws: a change here changes every result. */
Test(generators, known_answers)
{
    static const struct { const char *type; int64_t v[3]; sim_time_t next[3]; } ka[] = {
        { "diurnal", { 246631, 256126, 276475 }, { S(60), S(120), S(180) } },
        { "ou", { 246631, 245302, 252519 }, { S(60), S(120), S(180) } },
        { "onoff", { 262144, 393216, 262144 }, { 297002466716, 1466632773476, 1942387555438 } },
        { "spikes", { 262144, 401338, 262144 }, { 1511381781941, 2096196935321, 3047706499244 } },
    };
    size_t k;
    int i;
    for (k = 0; k < sizeof ka / sizeof ka[0]; k++) {
        workload_params_t p;
        fixture_t fx = { 0 };
        sim_time_t t = 0;
        defaults(&p);
        set(&p, "workload", ka[k].type);
        fx_open(&fx, &p, 0, 2024);
        for (i = 0; i < 3; i++) {
            cr_assert_eq(anon_at(fx.w, t), ka[k].v[i], "%s value %d", ka[k].type, i);
            t = workload_next_change(fx.w, t);
            cr_assert_eq(t, ka[k].next[i], "%s change %d: %lld", ka[k].type, i, (long long)t);
        }
        fx_close(&fx);
    }
}

/* Same seed, same output -- also when sampled at other times; another seed differs. */
Test(generators, deterministic_for_a_seed)
{
    static const char *types[] = { "diurnal", "ou", "onoff", "spikes" };
    size_t k;
    for (k = 0; k < sizeof types / sizeof types[0]; k++) {
        workload_params_t p;
        fixture_t a = { 0 }, b = { 0 }, c = { 0 };
        int i, differ = 0;
        defaults(&p);
        set(&p, "workload", types[k]);
        set(&p, "workload.spike_interval", "10min");
        fx_open(&a, &p, 0, 99);
        fx_open(&b, &p, 0, 99);
        fx_open(&c, &p, 0, 100);
        for (i = 0; i < 5000; i++) {
            sim_time_t t = S(60) * i;
            int64_t va = anon_at(a.w, t);
            if (i % 7 == 0)                              /* b is read only every 7th step */
                cr_assert_eq(anon_at(b.w, t), va, "%s at step %d", types[k], i);
            if (anon_at(c.w, t) != va)
                differ++;
        }
        cr_assert_gt(differ, 0, "%s: seeds 99 and 100 gave the same output", types[k]);
        fx_close(&a);
        fx_close(&b);
        fx_close(&c);
    }
}

/* ------------------------------------------------------------------------------------ */
/* bad input                                                                            */
/* ------------------------------------------------------------------------------------ */

Test(bad_input, csv_cases)
{
    expect_load_error("time_s,anon_bytes\n0,100\n10,abc\n", 3, "'abc' is not a number");
    expect_load_error("time_s,anon_bytes\n0,100\nx,100\n", 3, "column time_s");
    expect_load_error("time_s,anon_bytes\n0,nan\n", 2, "not a number");
    expect_load_error("time_s,anon_bytes\n0,inf\n", 2, "not a number");
    expect_load_error("time_s,anon_bytes\n0,1\n# c\n10,1\n5,1\n", 5, "backwards");
    expect_load_error("time_s,anon_bytes\n0,1\n10,-4096\n", 3, "negative memory");
    expect_load_error("time_s,anon_bytes,file_bytes\n0,1,-1\n", 2, "negative memory");
    expect_load_error("time_s,anon_bytes,access_pages_per_s\n0,1,-1\n", 2, "negative rate");
    expect_load_error("time_s,anon_bytes,active_fraction\n0,1,1.5\n", 2, "outside 0..1");
    expect_load_error("time_s\n0\n", 1, "missing column 'anon_bytes'");
    expect_load_error("anon_bytes\n0\n", 1, "missing column 'time_s'");
    expect_load_error("time_s,anon_bytes,colour\n0,1,red\n", 1, "unknown column 'colour'");
    expect_load_error("time_s,anon_bytes,anon_mib\n0,1,1\n", 1, "repeats");
    expect_load_error("time_s,anon_bytes\n0,1\n10\n", 3, "1 fields, expected 2");
    expect_load_error("time_s,anon_bytes\n0,1\n10,1,2\n", 3, "3 fields, expected 2");
    expect_load_error("", 0, "empty file");
    expect_load_error("# only a comment\n\n", 0, "empty file");
    expect_load_error("time_s,anon_bytes\n# nothing\n", 0, "no data rows");
    expect_load_error("time_s,anon_bytes\n0,1e300\n", 2, "too large");
}

#define BB_HEAD "Timestamp [ms];\tCPU cores;\tMemory capacity provisioned [KB];\tMemory usage [KB]\n"
Test(bad_input, bitbrains_cases)
{
    expect_load_error(BB_HEAD "1372629804;\t1;\t1024;\t100\n1372630104;\t1;\t1024;\tlots\n", 3,
                      "Memory usage [KB]: 'lots' is not a number");
    expect_load_error(BB_HEAD "1372629804;\t1;\t1024;\t100\n1372620000;\t1;\t1024;\t100\n", 3, "backwards");
    expect_load_error(BB_HEAD "1372629804;\t1;\t1024;\t-100\n", 2, "negative memory");
    expect_load_error(BB_HEAD "1372629804;\t1;\t-1024;\t100\n", 2, "negative memory");
    expect_load_error("Timestamp [ms];\tCPU cores;\tMemory capacity provisioned [KB]\n1;\t1;\t1\n", 1,
                      "missing column 'Memory usage [KB]'");
    expect_load_error(BB_HEAD "1372629804;\t1;\t1024\n", 2, "3 fields, expected 4");
    expect_load_error(BB_HEAD, 0, "no data rows");
    /* a file of missing rows only: loads as unusable, is an error when named */
    {
        workload_params_t p;
        bb_params(&p, write_file("zero.csv", BB_HEAD "1372629804;\t0;\t0;\t0\n1372630104;\t0;\t0;\t0\n"),
                  "step", "1");
        expect_create_error(&p, "zero.csv", "no valid memory row");
    }
}

Test(bad_input, paths_and_directories)
{
    workload_params_t p;
    workload_library_t *lib;
    char err[SIM_ERR_MAX], dir[300];
    int64_t n;
    defaults(&p);
    set(&p, "workload", "trace");
    set(&p, "workload.file", "/nonexistent/trace.csv");
    expect_create_error(&p, "/nonexistent/trace.csv", "cannot open");
    set(&p, "workload.file", BB_DIR);
    expect_create_error(&p, BB_DIR, "workload = bitbrains");
    set(&p, "workload", "bitbrains");
    set(&p, "workload.file", simple_csv());
    expect_create_error(&p, "simple.csv", "not a Bitbrains file");

    cr_assert_eq(workload_library_create(&lib), 0);
    /* a directory with no usable file, and one holding a CSV trace */
    if (!tmpdir[0])
        make_tmpdir();
    snprintf(dir, sizeof dir, "%s/empty", tmpdir);
    cr_assert_eq(mkdir(dir, 0700), 0);
    cr_assert_eq(workload_bitbrains_dir_count(lib, dir, &n, err, sizeof err), SIM_EINPUT);
    cr_assert_not_null(strstr(err, "no usable Bitbrains file"), "%s", err);
    snprintf(dir, sizeof dir, "%s/mixed", tmpdir);
    cr_assert_eq(mkdir(dir, 0700), 0);
    {
        char f[400];
        FILE *fp;
        snprintf(f, sizeof f, "%s/1.csv", dir);
        fp = fopen(f, "w");
        fputs("time_s,anon_bytes\n0,1\n", fp);
        fclose(fp);
    }
    cr_assert_eq(workload_bitbrains_dir_count(lib, dir, &n, err, sizeof err), SIM_EINPUT);
    cr_assert_not_null(strstr(err, "not a Bitbrains file"), "%s", err);
    cr_assert_eq(workload_bitbrains_dir_count(lib, "/nonexistent", &n, err, sizeof err), SIM_EINPUT);
    cr_assert_not_null(strstr(err, "/nonexistent"), "%s", err);
    cr_assert_eq(workload_bitbrains_dir_count(lib, simple_csv(), &n, err, sizeof err), SIM_EINPUT);
    cr_assert_not_null(strstr(err, "not a Bitbrains file"), "%s", err);
    workload_library_destroy(lib);
}

/* ------------------------------------------------------------------------------------ */
/* the command line                                                                     */
/* ------------------------------------------------------------------------------------ */

static int run_cli(int argc, const char **argv)
{
    return cli_cmd_trace(argc, (char **)argv);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    long n;
    char *s;
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    s = calloc(1, n + 1);
    cr_assert_eq(fread(s, 1, n, f), (size_t)n);
    fclose(f);
    return s;
}

Test(cli, generate_then_replay, .init = cr_redirect_stderr)
{
    const char *out1 = write_file("gen1.csv", ""), *out2 = write_file("gen2.csv", "");
    const char *a1[] = { "trace", "generate", "--set", "workload=onoff", "--set", "mean=1GiB",
                         "--set", "workload.on_time=5min", "--duration", "2h", "--step", "300s",
                         "--seed", "7", "-o", out1 };
    const char *a2[] = { "trace", "generate", "--set", "workload=onoff", "--set", "mean=1GiB",
                         "--set", "workload.on_time=5min", "--duration", "2h", "--step", "300s",
                         "--seed", "7", "-o", out2 };
    char *s1, *s2;
    workload_params_t p, q;
    fixture_t fx = { 0 }, gx = { 0 };
    char err[SIM_ERR_MAX];
    int i;
    cr_assert_eq(run_cli(16, a1), 0);
    cr_assert_eq(run_cli(16, a2), 0);
    s1 = slurp(out1);
    s2 = slurp(out2);
    cr_assert_str_eq(s1, s2);                          /* same seed, identical bytes */
    free(s1);
    free(s2);
    /* replaying the file gives the generator's samples at the written times */
    trace_params(&p, out1, "step", "no");
    fx_open(&fx, &p, 0, 1);
    defaults(&q);
    set(&q, "workload", "onoff");
    set(&q, "workload.on_time", "5min");
    gx.rng = sim_rng_stream(7, "trace generate");
    cr_assert_eq(workload_library_create(&gx.lib), 0);
    cr_assert_eq(workload_create(&gx.w, &q, gx.lib, 0, gx.rng, err, sizeof err), 0, "%s", err);
    for (i = 0; i < 24; i++) {
        workload_sample_t a, b;
        workload_at(fx.w, S(300) * i, &a);
        workload_at(gx.w, S(300) * i, &b);
        cr_assert_eq(a.anon_pages, b.anon_pages, "row %d", i);
        cr_assert_eq(a.file_pages, b.file_pages);
        cr_assert_float_eq(a.active_fraction, b.active_fraction, 1e-6);
    }
    {
        char e2[SIM_ERR_MAX];
        const workload_trace_t *tr;
        cr_assert_eq(workload_library_trace(fx.lib, out1, &tr, e2, sizeof e2), 0);
        cr_assert_eq(tr->stats.rows, 24);
    }
    fx_close(&fx);
    fx_close(&gx);
}

Test(cli, bad_usage_exits_2, .init = cr_redirect_stderr)
{
    const char *bad = write_file("clibad.csv", "time_s,anon_bytes\n0,1\n10,abc\n");
    const char *a1[] = { "trace", "generate", "--set", "workload.nope=1" };
    const char *a2[] = { "trace", "generate", "--duration", "forever" };
    const char *a3[] = { "trace", "generate", "--frobnicate" };
    const char *a4[] = { "trace", "check", bad };
    const char *a5[] = { "trace", "bogus" };
    const char *a6[] = { "trace", "generate", "--set", "workload.mean=-1GiB" };
    const char *a7[] = { "trace", "generate", "--set", "workload=trace" };
    const char *a8[] = { "trace", "check" };
    const char *a9[] = { "trace", "generate", "--step" };
    cr_assert_eq(run_cli(4, a1), 2);
    cr_assert_eq(run_cli(4, a2), 2);
    cr_assert_eq(run_cli(3, a3), 2);
    cr_assert_eq(run_cli(3, a4), 2);
    cr_assert_eq(run_cli(2, a5), 2);
    cr_assert_eq(run_cli(4, a6), 2);
    cr_assert_eq(run_cli(4, a7), 2);
    cr_assert_eq(run_cli(2, a8), 2);
    cr_assert_eq(run_cli(3, a9), 2);
}

Test(cli, check_and_help, .init = cr_redirect_stdout)
{
    const char *a1[] = { "trace", "check", BB_DIR "/20.csv", BB_DIR };
    const char *a2[] = { "trace", "--help" };
    const char *a3[] = { "trace", "generate", "--help" };
    cr_assert_eq(run_cli(4, a1), 0);
    cr_assert_eq(run_cli(2, a2), 0);
    cr_assert_eq(run_cli(3, a3), 0);
    fflush(stdout);
}
