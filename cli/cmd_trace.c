/*
 * cli/cmd_trace.c -- `balloonsim trace generate` and `balloonsim trace check`
 * (cli_cmd_trace).  Usage and exit status in cli/cmd_trace.h.
 *
 * This is the edge of the program: it prints (stdout for results, stderr for the one error
 * message) and returns an exit status; it never calls exit().
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/trace.h"
#include "models/workload.h"
#include "cli/common.h"
#include "cli/cmd_trace.h"
#include "sim/keys.h"
#include "sim/rng.h"
#include "sim/study.h"
#include "sim/units.h"

static const char usage_text[] =
    "usage: balloonsim trace generate [--set workload.KEY=VALUE ...] [--duration 24h] [--step 300s]\n"
    "                                 [--seed N] [--vm I] [-o FILE.csv]\n"
    "       balloonsim trace check [--strict] [--scenario S.ini] FILE|DIR ...\n"
    "\n"
    "generate  write a workload's samples at t = 0, step, 2*step, ... < duration as a CSV trace\n"
    "          (columns time_s,anon_bytes,file_bytes,active_fraction,access_pages_per_s).\n"
    "          --set takes any workload key (`workload=diurnal`, `workload.mean=3GiB`; the\n"
    "          'workload.' prefix may be left out).  Defaults: --duration 24h --step 300s\n"
    "          --seed 1 --vm 0 (the VM index, for workload.phase); no -o or -o - is stdout.\n"
    "check     load CSV or Bitbrains GWA-T-12 traces (a directory: every usable *.csv) and\n"
    "          print rows, quirks handled, duration and min/mean/max memory.  Warns on stderr\n"
    "          (exit 0) when more than half of the rows are dropped, the span is under an\n"
    "          hour, usage exceeds provisioned memory, or (with --scenario S.ini) the\n"
    "          provisioned memory exceeds what a host of S.ini has for one VM.\n"
    "          --strict makes any warning exit 2.  `run` and `sweep` print the same warnings\n"
    "          once per trace file their VMs replay.\n"
    "exit status: 0 ok (warnings allowed), 2 bad usage or bad input (the message names\n"
    "file and line), or a warning under --strict.\n";

/* Exact seconds from ns: "300", "0.5", "-". */
static void format_seconds(sim_time_t ns, char *buf, size_t len)
{
    int64_t s = ns / SIM_NS_PER_S, frac = ns % SIM_NS_PER_S;
    if (frac == 0) {
        snprintf(buf, len, "%" PRId64, s);
    } else {
        char fr[16];
        size_t k;
        snprintf(fr, sizeof fr, "%09" PRId64, frac);
        for (k = strlen(fr); k > 0 && fr[k - 1] == '0'; k--)
            fr[k - 1] = '\0';
        snprintf(buf, len, "%" PRId64 ".%s", s, fr);
    }
}

static int set_key(workload_params_t *p, const char *kv)
{
    char name[SIM_STR_MAX + 16], err[SIM_ERR_MAX];
    const char *eq = strchr(kv, '=');
    const sim_key_t *k;
    if (!eq || eq == kv || (size_t)(eq - kv) >= SIM_STR_MAX) {
        fprintf(stderr, "balloonsim trace generate: --set %s: expected KEY=VALUE\n", kv);
        return 2;
    }
    snprintf(name, sizeof name, "%.*s", (int)(eq - kv), kv);
    k = sim_keys_find(&workload_key_table, name);
    if (!k && strncmp(name, "workload", 8) != 0) {
        char full[SIM_STR_MAX + 32];
        snprintf(full, sizeof full, "workload.%s", name);
        k = sim_keys_find(&workload_key_table, full);
    }
    if (!k) {
        const sim_key_table_t *tabs[1] = { &workload_key_table };
        const char *near = sim_keys_nearest(tabs, 1, name);
        fprintf(stderr, "balloonsim trace generate: --set: unknown key '%s'%s%s%s\n", name,
                near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
        return 2;
    }
    err[0] = '\0';
    if (sim_keys_parse(k, p, eq + 1, err, sizeof err)) {
        fprintf(stderr, "balloonsim trace generate: --set %s: %s\n", k->name, err);
        return 2;
    }
    return 0;
}

static int cmd_generate(int argc, char **argv)
{
    workload_params_t p;
    char err[SIM_ERR_MAX] = "";
    sim_time_t duration_ns = 24 * 3600 * SIM_NS_PER_S, step_ns = 300 * SIM_NS_PER_S, t;
    int64_t seed = 1, vm = 0;
    const char *outpath = NULL;
    workload_library_t *lib = NULL;
    workload_t *w = NULL;
    gsl_rng *rng = NULL;
    FILE *out = NULL;
    int rc = 2;
    size_t k;

    if (sim_keys_defaults(&workload_key_table, &p, err, sizeof err)) {
        fprintf(stderr, "balloonsim trace generate: internal error: %s\n", err);
        return 2;
    }
    static const struct option longopts[] = {
        {"set", required_argument, NULL, 's'},   {"duration", required_argument, NULL, 'd'},
        {"step", required_argument, NULL, 't'},  {"seed", required_argument, NULL, 'S'},
        {"vm", required_argument, NULL, 'v'},    {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0}};
    int c;
    char perr[SIM_ERR_MAX];
    optind = 0;
    while ((c = cli_getopt(argc, argv, "ho:", longopts, perr, sizeof perr)) != -1) {
        const char *v = optarg;
        err[0] = '\0';
        switch (c) {
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        case 's':
            if (set_key(&p, v))
                return 2;
            break;
        case 'd':
            if (sim_units_parse_duration(v, &duration_ns, err, sizeof err) || duration_ns <= 0) {
                fprintf(stderr, "balloonsim trace generate: --duration %s: %s\n", v, err[0] ? err : "must be > 0");
                return 2;
            }
            break;
        case 't':
            if (sim_units_parse_duration(v, &step_ns, err, sizeof err) || step_ns <= 0) {
                fprintf(stderr, "balloonsim trace generate: --step %s: %s\n", v, err[0] ? err : "must be > 0");
                return 2;
            }
            break;
        case 'S':
            if (sim_units_parse_int(v, &seed, err, sizeof err) || seed < 0) {
                fprintf(stderr, "balloonsim trace generate: --seed %s: %s\n", v, err[0] ? err : "must be >= 0");
                return 2;
            }
            break;
        case 'v':
            if (sim_units_parse_int(v, &vm, err, sizeof err) || vm < 0) {
                fprintf(stderr, "balloonsim trace generate: --vm %s: %s\n", v, err[0] ? err : "must be >= 0");
                return 2;
            }
            break;
        case 'o':
            outpath = v;
            break;
        case 1:
            fprintf(stderr, "balloonsim trace generate: unexpected argument '%s' (see --help)\n", v);
            return 2;
        default:
            fprintf(stderr, "balloonsim trace generate: %s (see --help)\n", perr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "balloonsim trace generate: unexpected argument '%s' (see --help)\n", argv[optind]);
        return 2;
    }
    if (duration_ns / step_ns > INT64_C(100000000)) {
        fprintf(stderr, "balloonsim trace generate: --duration / --step gives more than 10^8 rows\n");
        return 2;
    }
    if (workload_params_check(&p, err, sizeof err)) {
        fprintf(stderr, "balloonsim trace generate: %s\n", err);
        return 2;
    }
    /* the input trace (or Bitbrains directory) is never the output (issue 15) */
    if (outpath && strcmp(outpath, "-") && p.file[0] &&
        (!strcmp(p.type, "trace") || !strcmp(p.type, "bitbrains")) &&
        cli_check_output_vs(outpath, p.file, "trace", err, sizeof err)) {
        fprintf(stderr, "balloonsim trace generate: %s\n", err);
        return 2;
    }
    if (workload_library_create(&lib)) {
        fprintf(stderr, "balloonsim trace generate: out of memory\n");
        return 2;
    }
    rng = sim_rng_stream((uint64_t)seed, "trace generate");
    if (!rng) {
        fprintf(stderr, "balloonsim trace generate: out of memory\n");
        goto done;
    }
    if (workload_create(&w, &p, lib, vm, rng, err, sizeof err)) {
        fprintf(stderr, "balloonsim trace generate: %s\n", err);
        goto done;
    }
    if (!outpath || strcmp(outpath, "-") == 0) {
        out = stdout;
    } else if (!(out = fopen(outpath, "w"))) {
        fprintf(stderr, "balloonsim trace generate: %s: cannot write: %s\n", outpath, strerror(errno));
        goto done;
    }
    {
        char d[64], s[64];
        sim_units_format_duration(duration_ns, d, sizeof d);
        sim_units_format_duration(step_ns, s, sizeof s);
        fprintf(out, "# balloonsim trace generate --duration %s --step %s --seed %" PRId64 " --vm %" PRId64 "\n",
                d, s, seed, vm);
    }
    for (k = 0; k < workload_key_table.count; k++) {
        char buf[SIM_STR_MAX + 64];
        sim_keys_format(&workload_key_table.keys[k], &p, buf, sizeof buf);
        fprintf(out, "# %s = %s\n", workload_key_table.keys[k].name, buf);
    }
    fprintf(out, "time_s,anon_bytes,file_bytes,active_fraction,access_pages_per_s\n");
    for (t = 0; t < duration_ns; t += step_ns) {
        workload_sample_t smp;
        char ts[48];
        workload_at(w, t, &smp);
        format_seconds(t, ts, sizeof ts);
        fprintf(out, "%s,%" PRId64 ",%" PRId64 ",%.6g,%.10g\n", ts, sim_pages_to_bytes(smp.anon_pages),
                sim_pages_to_bytes(smp.file_pages), smp.active_fraction, smp.access_pages_per_s);
        if (step_ns > SIM_TIME_NEVER - t)
            break;
    }
    if (fflush(out) != 0 || ferror(out)) {
        fprintf(stderr, "balloonsim trace generate: %s: write error: %s\n", outpath ? outpath : "stdout",
                strerror(errno));
        goto done;
    }
    rc = 0;
done:
    if (out && out != stdout && fclose(out) != 0 && rc == 0) {
        fprintf(stderr, "balloonsim trace generate: %s: write error: %s\n", outpath, strerror(errno));
        rc = 2;
    }
    workload_destroy(w);
    if (rng)
        gsl_rng_free(rng);
    workload_library_destroy(lib);
    return rc;
}

static void print_trace(const workload_trace_t *tr)
{
    const workload_trace_stats_t *st = &tr->stats;
    char mn[32], me[32], mx[32], pv[32], dur[32], med[32], gap[32];
    int bb = tr->format == WORKLOAD_TRACE_BITBRAINS;

    printf("%s: %s\n", tr->path, bb ? (st->timestamps_ms ? "Bitbrains GWA-T-12, timestamps in ms (Q1)"
                                                           : "Bitbrains GWA-T-12, timestamps in s (Q1)")
                                       : "CSV trace");
    printf("  rows %" PRId64 ": %" PRId64 " kept", st->rows, st->kept_rows);
    if (bb)
        printf(", %" PRId64 " missing dropped (%" PRId64 " all-zero)", st->missing_rows, st->zero_rows);
    printf(", %" PRId64 " row(s) repeat a timestamp, %" PRId64 " valid duplicate(s) replaced (Q3); %zu points stored\n",
           st->repeated_timestamps, st->duplicate_rows, tr->n);
    if (tr->n == 0) {
        printf("  unusable: no valid memory row\n");
        return;
    }
    format_seconds(tr->duration_ns, dur, sizeof dur);
    format_seconds(st->median_interval_ns, med, sizeof med);
    format_seconds(st->max_interval_ns, gap, sizeof gap);
    printf("  duration %ss (%.2f h), median interval %ss, %" PRId64 " gaps > 1.5x median (longest %ss)\n",
           dur, sim_time_to_s(tr->duration_ns) / 3600.0, med, st->gaps, gap);
    sim_units_format_human((double)st->min_pages * SIM_PAGE_BYTES, mn, sizeof mn);
    sim_units_format_human(st->mean_pages * SIM_PAGE_BYTES, me, sizeof me);
    sim_units_format_human((double)st->max_pages * SIM_PAGE_BYTES, mx, sizeof mx);
    printf("  %s: min %s, mean %s, max %s", bb ? "memory usage (read as active memory)" : "anon", mn, me, mx);
    if (bb) {
        sim_units_format_human(tr->provisioned_kib * 1024.0, pv, sizeof pv);
        printf("; provisioned %s", pv);
    }
    printf("\n");
}

static void print_warning(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "balloonsim trace check: warning: %s\n", msg);
}

/* Describe one trace and print its warnings; adds their count to *nwarn. */
static void check_one(const workload_trace_t *tr, const workload_trace_limits_t *lim, int *nwarn)
{
    print_trace(tr);
    if (tr->n > 0)
        *nwarn += workload_trace_warnings(tr, lim, print_warning, NULL);
}

/* Load and describe each file or directory; 0, or 2 if one is unusable. */
static int check_files(char **files, int nfiles, const workload_trace_limits_t *lim, int *nwarn)
{
    int rc = 0;
    for (int i = 0; i < nfiles; i++) {
        char err[SIM_ERR_MAX] = "";
        workload_library_t *lib = NULL;
        if (workload_library_create(&lib)) {
            fprintf(stderr, "balloonsim trace check: out of memory\n");
            return 2;
        }
        if (workload_path_is_dir(files[i])) {
            int64_t n, j;
            if (workload_bitbrains_dir_count(lib, files[i], &n, err, sizeof err)) {
                fprintf(stderr, "balloonsim trace check: %s\n", err);
                rc = 2;
            } else {
                printf("%s: %" PRId64 " usable Bitbrains files\n", files[i], n);
                for (j = 0; j < n; j++) {
                    const workload_trace_t *tr;
                    if (workload_library_dir_trace(lib, files[i], j, &tr, err, sizeof err) == 0)
                        check_one(tr, lim, nwarn);
                }
            }
        } else {
            const workload_trace_t *tr;
            if (workload_library_trace(lib, files[i], &tr, err, sizeof err)) {
                fprintf(stderr, "balloonsim trace check: %s\n", err);
                rc = 2;
            } else {
                check_one(tr, lim, nwarn);
                if (tr->n == 0) {
                    fprintf(stderr, "balloonsim trace check: %s: no valid memory row (unusable)\n", tr->path);
                    rc = 2;
                }
            }
        }
        workload_library_destroy(lib);
    }
    return rc;
}

/* --scenario S.ini: the largest room a host of any of its points has for one VM. */
static int scenario_room(const char *path, int64_t *room)
{
    cli_opts_t o;
    sim_ini_t *ini = NULL;
    sim_study_t *study = NULL;
    int64_t seed;
    char err[SIM_ERR_MAX] = "";
    memset(&o, 0, sizeof o);
    int rc = cli_load(&o, path, &ini, &study, &seed, err, sizeof err);
    if (!rc)
        rc = cli_host_room(study, room, err, sizeof err);
    sim_study_destroy(study);
    sim_ini_destroy(ini);
    if (rc)
        fprintf(stderr, "balloonsim trace check: --scenario %s\n", err);
    return rc ? 2 : 0;
}

static int cmd_check(int argc, char **argv)
{
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'}, {"strict", no_argument, NULL, 's'},
                                             {"scenario", required_argument, NULL, 'S'}, {NULL, 0, NULL, 0}};
    int rc = 0, nfiles = 0, c, strict = 0, nwarn = 0;
    const char *scenario = NULL;
    workload_trace_limits_t lim = { 0, NULL };
    char **files = calloc((size_t)argc + 1, sizeof *files);
    char perr[SIM_ERR_MAX];
    if (!files) {
        fprintf(stderr, "balloonsim trace check: out of memory\n");
        return 2;
    }
    optind = 0;
    while ((c = cli_getopt(argc, argv, "h", longopts, perr, sizeof perr)) != -1) {
        if (c == 1) {
            files[nfiles++] = optarg;
            continue;
        }
        if (c == 's') {
            strict = 1;
            continue;
        }
        if (c == 'S') {
            scenario = optarg;
            continue;
        }
        if (c == 'h')
            fputs(usage_text, stdout);
        else
            fprintf(stderr, "balloonsim trace check: %s (see --help)\n", perr);
        free(files);
        return c == 'h' ? 0 : 2;
    }
    for (int i = optind; i < argc; i++)
        files[nfiles++] = argv[i];
    if (nfiles == 0) {
        free(files);
        fprintf(stderr, "balloonsim trace check: no file given\n%s", usage_text);
        return 2;
    }
    if (scenario) {
        if (scenario_room(scenario, &lim.host_room_bytes)) {
            free(files);
            return 2;
        }
        lim.host_from = scenario;
    }
    rc = check_files(files, nfiles, &lim, &nwarn);
    free(files);
    if (rc == 0 && strict && nwarn > 0) {
        fprintf(stderr, "balloonsim trace check: %d warning(s), an error under --strict\n", nwarn);
        rc = 2;
    }
    return rc;
}


int cli_cmd_trace(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_text, stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (strcmp(argv[1], "generate") == 0)
        return cmd_generate(argc - 1, argv + 1);
    if (strcmp(argv[1], "check") == 0)
        return cmd_check(argc - 1, argv + 1);
    fprintf(stderr, "balloonsim trace: unknown command '%s' (generate or check; see --help)\n", argv[1]);
    return 2;
}
