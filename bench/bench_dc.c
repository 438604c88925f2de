/*
 * bench/bench_dc.c -- whole-run benchmarks at datacenter scale (issue 9): the table of
 * the benchmark scenarios and the scaling table.
 *
 *   bench_dc table FILE... [--set K=V]...
 *       one run of each scenario file (run 0 of its study): wall and CPU time, events and
 *       events/s, VM-ticks and VM-ticks/s, peak RSS, database rows and rows/s, output size.
 *   bench_dc scale FILE N... [--set K=V]...
 *       FILE scaled to N VMs each (host count and every [vm] group count multiplied by
 *       N / the file's VM count, so VMs per host and the group mix stay as in FILE):
 *       the cost per VM-tick (CPU ns; wall ns beside it), the marginal cost per VM-tick
 *       (the run less the same run at half the duration, CPU: start-up costs such as the
 *       page-cache curves cancel), and memory per VM.  Runs of less than 5 s CPU are
 *       taken best of 3.
 *
 * Measurement.  Each run happens in a child process (fork), through the same code path
 * as `balloonsim run FILE -o DB --quiet` (cli_load, cli_run_one) into a fresh database in
 * a temporary directory, so one run's peak RSS is not another's.  The parent takes wall
 * time around the child, its CPU time and peak RSS from wait4(2) (ru_maxrss), and the
 * counts from the database the child wrote: events (runs.events), VM-ticks (run_summary
 * vm_ticks: VM advances over a positive interval), rows (every table of record_tables for
 * the run, plus its runs and run_params rows) and the size of the database file after the
 * child closed it (WAL checkpointed).  The child also reports SQLite's own peak heap
 * (sqlite3_memory_highwater: page cache, statements), so that
 *       model memory = peak RSS - SQLite peak heap
 * and the memory per VM of the scale table is the slope of model memory between the
 * smallest and the largest N (fixed costs -- binary, libraries, page-cache curves,
 * traces shared by all VMs -- cancel out).  CPU time rather than wall time is the cost
 * per VM-tick, because this machine is shared; both are printed.  Nothing is asserted:
 * the numbers are for the reader (README.md "Performance", scripts/bench.sh).
 * Every scenario is validated before anything runs (as `balloonsim validate`).
 * Exit status 0, 1 if a run failed, 2 on bad usage or a bad scenario (also one found
 * only at run time, such as a trace file that cannot be opened).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sqlite3.h>

#include "sim/engine.h"
#include "sim/ini.h"
#include "sim/study.h"
#include "cli/common.h"
#include "cli/cmd_run.h"
#include "cli/cmd_validate.h"
#include "models/scenario.h"
#include "models/record.h"

typedef struct result {
    double wall_s, cpu_s;
    long peak_rss_kib;
    long long sqlite_peak_bytes;
    double events, vm_ticks, rows;
    long long vms, hosts;
    long long db_bytes;
} result_t;

/* ---------------------------------------------------------------- one run */

/* The child: run 0 of FILE with the overrides into db; writes SQLite's peak heap to fd. */
static int child_run(const char *file, char **sets, size_t nsets, const char *db, int fd)
{
    char err[SIM_ERR_MAX];
    int rc = cli_run_file(file, sets, nsets, 0, db, err, sizeof err);
    if (rc) {
        fprintf(stderr, "bench_dc: %s: %s\n", file, err);
        return cli_exit_status(rc, 0);     /* 2 for bad input, a missing file among it */
    }
    long long hw = (long long)sqlite3_memory_highwater(0);
    if (write(fd, &hw, sizeof hw) != (ssize_t)sizeof hw)
        return 1;
    return 0;
}

static double query_double(sqlite3 *h, const char *sql)
{
    sqlite3_stmt *st;
    double v = -1;
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Counts of the (only) run in db. */
static int read_counts(const char *db, result_t *res)
{
    sqlite3 *h;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "bench_dc: %s: %s\n", db, sqlite3_errmsg(h));
        sqlite3_close(h);
        return 1;
    }
    res->events = query_double(h, "SELECT events FROM runs");
    res->vm_ticks = query_double(h, "SELECT value FROM run_summary WHERE metric = 'vm_ticks'");
    res->vms = (long long)query_double(h, "SELECT value FROM run_summary WHERE metric = 'vms'");
    res->hosts = (long long)query_double(h, "SELECT value FROM run_summary WHERE metric = 'hosts'");
    res->rows = query_double(h, "SELECT count(*) FROM runs") + query_double(h, "SELECT count(*) FROM run_params");
    for (size_t i = 0; i < record_ntables; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", record_tables[i]);
        res->rows += query_double(h, sql);
    }
    sqlite3_close(h);
    struct stat st;
    res->db_bytes = stat(db, &st) == 0 ? (long long)st.st_size : 0;
    char wal[4300];
    snprintf(wal, sizeof wal, "%s-wal", db);
    if (stat(wal, &st) == 0)
        res->db_bytes += (long long)st.st_size;
    return 0;
}

/* Run FILE with the overrides in a child, into a fresh database in dir. */
static int measure(const char *file, char **sets, size_t nsets, const char *dir, result_t *res)
{
    char db[4200];
    snprintf(db, sizeof db, "%s/bench.db", dir);
    db_remove_files(db);
    int fds[2];
    if (pipe(fds)) {
        perror("bench_dc: pipe");
        return 1;
    }
    fflush(NULL);
    double t0 = sim_wall_s();
    pid_t pid = fork();
    if (pid < 0) {
        perror("bench_dc: fork");
        return 1;
    }
    if (pid == 0) {
        close(fds[0]);
        _exit(child_run(file, sets, nsets, db, fds[1]));
    }
    close(fds[1]);
    int status;
    struct rusage ru;
    pid_t w;
    while ((w = wait4(pid, &status, 0, &ru)) < 0 && errno == EINTR)
        ;
    double t1 = sim_wall_s();
    long long hw = 0;
    ssize_t got = read(fds[0], &hw, sizeof hw);
    close(fds[0]);
    if (w >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 2)
        return 2;                      /* bad input found at run time (the child said what) */
    if (w < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || got != (ssize_t)sizeof hw) {
        fprintf(stderr, "bench_dc: %s: run failed\n", file);
        return 1;
    }
    memset(res, 0, sizeof *res);
    res->wall_s = t1 - t0;
    res->cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
                 (double)ru.ru_stime.tv_usec * 1e-6;
    res->peak_rss_kib = ru.ru_maxrss;
    res->sqlite_peak_bytes = hw;
    return read_counts(db, res);
}

/* ---------------------------------------------------------------- scaling */

/* Host and group counts of FILE (after the overrides). */
typedef struct shape {
    long long hosts;
    size_t ngroups;
    char names[64][SIM_STR_MAX];
    long long counts[64];
    long long vms;
    long long duration_ns;
} shape_t;

/* FILE with the --set overrides as `balloonsim validate` sees it: 0, or 2 with a message. */
static int validate(const char *file, char **sets, size_t nsets)
{
    char err[SIM_ERR_MAX];
    if (cli_validate_file(file, sets, nsets, err, sizeof err)) {
        fprintf(stderr, "bench_dc: %s\n", err);
        return 2;
    }
    return 0;
}

/* The host count and VM groups of FILE's first run, as the simulator reads them (a group
 * without a count key has its default count). */
static int read_shape(const char *file, char **sets, size_t nsets, shape_t *sh)
{
    cli_opts_t o;
    memset(&o, 0, sizeof o);
    o.sets = sets;
    o.nsets = nsets;
    sim_ini_t *ini, *run = NULL;
    sim_study_t *study;
    scenario_t *scn = NULL;
    sim_study_run_info_t info;
    int64_t seed;
    char err[SIM_ERR_MAX];
    int rc = cli_load(&o, file, &ini, &study, &seed, err, sizeof err);
    if (!rc) {
        rc = sim_study_run(study, 0, &run, &info, err, sizeof err);
        if (!rc)
            rc = scenario_load(run, &scn, err, sizeof err);
        sim_study_destroy(study);
        sim_ini_destroy(ini);
    }
    if (rc) {
        fprintf(stderr, "bench_dc: %s\n", err);
        sim_ini_destroy(run);
        return 2;
    }
    memset(sh, 0, sizeof *sh);
    if (scn->nvm_groups > sizeof sh->counts / sizeof sh->counts[0]) {
        fprintf(stderr, "bench_dc: %s: scale handles at most %zu [vm] groups, this has %zu\n", file,
                sizeof sh->counts / sizeof sh->counts[0], scn->nvm_groups);
        scenario_destroy(scn);
        sim_ini_destroy(run);
        return 2;
    }
    sh->hosts = scn->host.count;
    sh->duration_ns = scn->sim.duration_ns;
    for (size_t g = 0; g < scn->nvm_groups; g++) {
        snprintf(sh->names[g], SIM_STR_MAX, "%s", scn->vms[g].name);
        sh->counts[g] = scn->vms[g].count;
        sh->vms += sh->counts[g];
        sh->ngroups++;
    }
    scenario_destroy(scn);
    sim_ini_destroy(run);
    if (sh->vms <= 0 || sh->hosts <= 0) {
        fprintf(stderr, "bench_dc: %s: scale needs VMs and hosts (a Bitbrains group with count = 0 cannot be scaled)\n", file);
        return 2;
    }
    return 0;
}

/* Scale runs shorter than this (CPU s) are repeated, best of SCALE_REPS: at 1,000 VMs a
 * run takes 0.2 s and one run varied by 25 % from run to run. */
#define SCALE_SHORT_CPU_S 5.0
#define SCALE_REPS 3

/* Best (least CPU) of reps more runs, and of *res if have is set: interference on a
 * shared machine only ever slows a run down.  The counts are the same in every run (same
 * scenario, same seed). */
static int measure_best(const char *file, char **sets, size_t nsets, const char *dir, int reps, int have,
                        result_t *res)
{
    for (int i = 0; i < reps; i++) {
        result_t r;
        int rc = measure(file, sets, nsets, dir, &r);
        if (rc)
            return rc;
        if (!have++ || r.cpu_s < res->cpu_s)
            *res = r;
    }
    return 0;
}

static int cmd_scale(const char *file, long long *ns, size_t nn, char **sets, size_t nsets, const char *dir)
{
    shape_t sh;
    int rc = read_shape(file, sets, nsets, &sh);
    if (rc)
        return rc;
    printf("scaling: %s (%lld VMs per host)%s", file, sh.vms / sh.hosts, nsets ? ", with" : "");
    for (size_t i = 0; i < nsets; i++)
        printf(" %s", sets[i]);
    printf("\n%9s %7s %12s %9s %8s %11s %11s %11s %10s %10s %10s %9s\n", "VMs", "hosts", "VM-ticks", "wall s",
           "CPU s", "CPU ns/tick", "wall ns/tk", "marg ns/tk", "RSS MiB", "SQLite MiB", "model MiB", "B/VM");
    double first_model = 0, first_vms = 0, first_ns = 0, last_model = 0, last_vms = 0, last_ns = 0;
    double ns_min = 0, ns_max = 0, mg_min = 0, mg_max = 0;
    for (size_t k = 0; k < nn; k++) {
        double f = (double)ns[k] / (double)sh.vms;
        long long hosts = (long long)(f * (double)sh.hosts + 0.5);
        if (hosts < 1)
            hosts = 1;
        size_t n2 = nsets + 1 + sh.ngroups + 1;      /* + the half duration, used last */
        char **s2 = calloc(n2, sizeof *s2);
        char (*buf)[SIM_STR_MAX + 64] = calloc(2 + sh.ngroups, sizeof *buf);
        if (!s2 || !buf) {
            free(s2);
            free(buf);
            return 1;
        }
        memcpy(s2, sets, nsets * sizeof *s2);
        snprintf(buf[0], sizeof buf[0], "host.count=%lld", hosts);
        s2[nsets] = buf[0];
        for (size_t g = 0; g < sh.ngroups; g++) {
            snprintf(buf[1 + g], sizeof buf[0], "vm %s.count=%lld", sh.names[g],
                     (long long)(f * (double)sh.counts[g] + 0.5));
            s2[nsets + 1 + g] = buf[1 + g];
        }
        snprintf(buf[1 + sh.ngroups], sizeof buf[0], "simulation.duration=%lldns", sh.duration_ns / 2);
        s2[nsets + 1 + sh.ngroups] = buf[1 + sh.ngroups];
        result_t r, h;
        rc = measure_best(file, s2, n2 - 1, dir, 1, 0, &r);         /* the first run says how many */
        int reps = r.cpu_s < SCALE_SHORT_CPU_S ? SCALE_REPS : 1;
        if (!rc)
            rc = measure_best(file, s2, n2 - 1, dir, reps - 1, 1, &r);
        if (!rc)
            rc = measure_best(file, s2, n2, dir, reps, 0, &h);
        free(s2);
        free(buf);
        if (rc)
            return rc;
        double model = (double)r.peak_rss_kib * 1024.0 - (double)r.sqlite_peak_bytes;
        double cns = r.vm_ticks > 0 ? r.cpu_s * 1e9 / r.vm_ticks : 0;
        double wns = r.vm_ticks > 0 ? r.wall_s * 1e9 / r.vm_ticks : 0;
        double mns = r.vm_ticks > h.vm_ticks ? (r.cpu_s - h.cpu_s) * 1e9 / (r.vm_ticks - h.vm_ticks) : 0;
        printf("%9lld %7lld %12.0f %9.2f %8.2f %11.1f %11.1f %11.1f %10.1f %10.1f %10.1f %9.0f\n", r.vms, r.hosts,
               r.vm_ticks, r.wall_s, r.cpu_s, cns, wns, mns, (double)r.peak_rss_kib / 1024.0,
               (double)r.sqlite_peak_bytes / 1048576.0, model / 1048576.0, r.vms ? model / (double)r.vms : 0);
        fflush(stdout);
        if (k == 0) {
            first_model = model, first_vms = (double)r.vms, first_ns = cns;
            ns_min = ns_max = cns;
            mg_min = mg_max = mns;
        }
        last_model = model, last_vms = (double)r.vms, last_ns = cns;
        ns_min = cns < ns_min ? cns : ns_min;
        ns_max = cns > ns_max ? cns : ns_max;
        mg_min = mns < mg_min ? mns : mg_min;
        mg_max = mns > mg_max ? mns : mg_max;
    }
    if (nn >= 2 && last_vms > first_vms) {
        printf("cost per VM-tick (CPU): %.1f ns at %.0f VMs, %.1f ns at %.0f VMs: last/first %.2f, max/min %.2f\n",
               first_ns, first_vms, last_ns, last_vms, first_ns > 0 ? last_ns / first_ns : 0,
               ns_min > 0 ? ns_max / ns_min : 0);
        printf("marginal cost per VM-tick (CPU, full run less half run: start-up costs cancel): %.1f to %.1f ns, "
               "max/min %.2f\n", mg_min, mg_max, mg_min > 0 ? mg_max / mg_min : 0);
        printf("memory per VM (model: peak RSS - SQLite heap, slope %.0f -> %.0f VMs): %.0f bytes\n", first_vms,
               last_vms, (last_model - first_model) / (last_vms - first_vms));
    }
    return 0;
}

/* ---------------------------------------------------------------- table */

static int cmd_table(char **files, size_t nfiles, char **sets, size_t nsets, const char *dir)
{
    for (size_t i = 0; i < nfiles; i++)
        if (validate(files[i], sets, nsets))
            return 2;
    printf("%-16s %7s %6s %8s %8s %10s %10s %12s %10s %8s %10s %10s %9s\n", "scenario", "VMs", "hosts", "wall s",
           "CPU s", "events", "events/s", "VM-ticks/s", "VM-ticks", "RSS MiB", "rows", "rows/s", "out MiB");
    int bad = 0;                       /* the first failure's status: 2 bad input, 1 a run */
    for (size_t i = 0; i < nfiles; i++) {
        result_t r;
        int rc = measure(files[i], sets, nsets, dir, &r);
        if (rc) {
            bad = bad ? bad : rc;
            continue;
        }
        const char *base = strrchr(files[i], '/');
        base = base ? base + 1 : files[i];
        printf("%-16.*s %7lld %6lld %8.2f %8.2f %10.0f %10.0f %12.0f %10.0f %8.1f %10.0f %10.0f %9.1f\n",
               (int)strcspn(base, "."), base, r.vms, r.hosts, r.wall_s, r.cpu_s, r.events, r.events / r.wall_s,
               r.vm_ticks / r.wall_s, r.vm_ticks, (double)r.peak_rss_kib / 1024.0, r.rows, r.rows / r.wall_s,
               (double)r.db_bytes / 1048576.0);
        fflush(stdout);
    }
    return bad;
}

/* ---------------------------------------------------------------- main */

static int usage(void)
{
    fprintf(stderr, "usage: bench_dc table FILE... [--set K=V]...\n"
                    "       bench_dc scale FILE N... [--set K=V]...\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return usage();
    char **sets = calloc((size_t)argc, sizeof *sets), **args = calloc((size_t)argc, sizeof *args);
    size_t nsets = 0, nargs = 0;
    if (!sets || !args)
        return 1;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--set") && i + 1 < argc)
            sets[nsets++] = argv[++i];
        else if (argv[i][0] == '-')
            return usage();
        else
            args[nargs++] = argv[i];
    }
    char dir[] = "/tmp/bench_dc.XXXXXX";
    if (!mkdtemp(dir)) {
        perror("bench_dc: mkdtemp");
        return 1;
    }
    int rc;
    if (!strcmp(argv[1], "table") && nargs >= 1) {
        rc = cmd_table(args, nargs, sets, nsets, dir);
    } else if (!strcmp(argv[1], "scale") && nargs >= 2) {
        long long *ns = calloc(nargs, sizeof *ns);
        rc = ns ? 0 : 1;
        for (size_t i = 1; i < nargs && !rc; i++) {
            char *end;
            ns[i - 1] = strtoll(args[i], &end, 10);
            if (*end || end == args[i] || ns[i - 1] < 1) {
                fprintf(stderr, "bench_dc: scale: '%s' is not a VM count (a whole number >= 1)\n", args[i]);
                rc = 2;
            }
        }
        if (!rc)
            rc = cmd_scale(args[0], ns, nargs - 1, sets, nsets, dir);
        free(ns);
    } else {
        rc = usage();
    }
    char p[4300];
    snprintf(p, sizeof p, "%s/bench.db", dir);
    db_remove_files(p);
    rmdir(dir);
    free(sets);
    free(args);
    return rc;
}
