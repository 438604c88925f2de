/*
 * cli/cmd_sweep.c -- `balloonsim sweep` (a parameter study on N worker processes,
 * resumable, shardable); the rules of `balloonsim merge` (cli/cmd_merge.c) and the
 * per-sweep-point statistics table `point_summary` (cli/stats.c) are described here too
 * (docs/design.md "Studies: sweeps and merges", docs/database.md).
 *
 * sweep FILE [-j N] [-o DB] [--runs LIST] [--shard i/N] [--dry-run] [--force]
 *            [--seed N] [--set K=V]... [--quiet]
 *
 *   Run numbering, seeds and points come from sim/study.h (run = point * repeat + rep,
 *   seed = cli_run_seed: sim_rng_derive_seed(base seed, rep), or of run with seeds =
 *   per-run); a run's rows therefore depend on its
 *   number only, never on -j, --shard or the order in which workers take runs.
 *
 *   Selection: --runs "0-9,17,30-" (comma-separated items; "A", "A-B" inclusive,
 *   "A-" = A to the last run; every number must name a run of the study, else exit 2),
 *   then --shard i/N keeps the runs with run % N == i.  Both filters combine.
 *
 *   Workers (one process each, fork(); -j N, default all online CPUs, never more than
 *   the runs left to do).  The parent dispatches run numbers one at a time over a pipe
 *   per worker, in increasing order, to whichever worker is idle (dynamic balance: a
 *   shared queue); workers report each run on one shared result pipe (records below
 *   PIPE_BUF, so writes are atomic).  Each worker opens the database itself (SQLite WAL +
 *   busy_timeout serialise the writers).  With one worker, cli_run_one records straight
 *   into it.  With several, a worker records each run (cli_run_one) into its own scratch
 *   database DB.workerK.tmp and then copies the run -- whatever its status -- into DB in
 *   one short transaction: recording holds SQLite's single write lock for most of a run
 *   (a transaction stays open between samples), so workers recording into one database
 *   take turns (measured: -j 2 no faster than -j 1 on the default scenario), while the
 *   copy is a few percent of a run.  Scratch files are removed after each run, by the
 *   parent at the start of a sweep (left by a killed one), and never hold the only copy
 *   of a finished run.  The parent holds no SQLite connection while workers live.
 *
 *   State of one run, as the parent sees it:
 *       pending --dispatch--> running --result--> complete | failed | interrupted
 *       running --worker died (signal, crash)--> failed ("worker killed"; the run is
 *                          absent from DB, or left 'running' = incomplete with one worker)
 *   A worker that dies is replaced while runs remain (at most 2*N + runs replacements).
 *
 *   Resume (db.h): complete runs of the same study (cli_study_key: scenario text and
 *   overrides) are skipped before dispatch; runs left 'running', 'interrupted' or
 *   'failed' are deleted with all their rows and redone by cli_run_one.  --force redoes
 *   complete runs too.  Builds do not mix (cli_guard_builds, docs/database.md): when DB
 *   holds complete runs of the study made by another build (runs.version, which carries
 *   the model digest), the sweep exits 2 before running anything, naming their count and
 *   both versions; with --force they are deleted with all their rows and redone (refused
 *   too when some of them are outside --runs/--shard).  A SIGKILL of a worker or of the whole sweep at any moment leaves
 *   a run either absent from DB (its copy transaction never committed) or, with one
 *   worker, committed batches under a run not marked complete; the next sweep redoes it:
 *   no run is lost or duplicated.  Two guards make that hold for the whole sweep:
 *     - workers ask the kernel to SIGKILL them when the parent dies (Linux
 *       PR_SET_PDEATHSIG), so no orphan keeps writing into a run a rerun redoes;
 *     - the parent takes the writer lock of the database (flock(LOCK_EX) on the file,
 *       cli_lock_db, the same as run, check -o and merge), inherited by the workers; a
 *       second writer on the same database waits up to 10 s for it, then exits 2.
 *       (flock is independent of SQLite's fcntl locks on local file systems; SQLite's
 *       WAL needs a local file system anyway: on a cluster, give each shard a local or
 *       node-exclusive path and merge afterwards.)
 *
 *   Signals: SIGINT/SIGTERM in the parent are forwarded to every worker; a worker marks
 *   its run 'interrupted' (dc_run) and exits; the parent waits for them and exits 130
 *   (SIGINT) or 143 (SIGTERM) without touching point_summary.
 *
 *   Progress on stderr when it is a terminal and --quiet is off: runs done / selected,
 *   failed, running, elapsed, ETA (elapsed / runs done in this sweep * runs left).
 *   --dry-run prints the selected runs (run, point, repetition, seed and axes) and runs
 *   nothing; it does not open the database.  The seed is shown as the database stores it
 *   (runs.seed, v_runs.seed): the 64 bits as a signed INTEGER (docs/database.md).
 *
 *   Exit status: 0 every selected run is complete; 1 some run failed (its message is
 *   printed; the database holds it as 'failed' or incomplete); 2 bad usage, scenario or
 *   database; 130/143 interrupted.
 *
 * merge OUT IN... [--allow-mixed] [--quiet]
 *
 *   Copies every complete run of each IN into OUT (created if missing) with a new
 *   run_id: the runs row, run_params and the rows of every table in record_tables,
 *   one transaction per input.  Rules:
 *     - IN must be a balloonsim database of exactly this schema version (DB_SCHEMA_VERSION)
 *       with every table; OUT too if it exists.  Otherwise exit 2 before writing anything.
 *     - (study_key, run_index) stays unique: a run already complete in OUT is skipped
 *       (so merging twice changes nothing); one present but incomplete in OUT is replaced.
 *       When a skipped run's fingerprint differs from OUT's copy, a warning is printed
 *       (the same study and run should give the same fingerprint).
 *     - builds do not mix: when the complete runs of one study in OUT and the inputs carry
 *       more than one runs.version (builds with another model digest), merge refuses
 *       (exit 2) naming the files, counts and versions; --allow-mixed does not lift it.
 *     - studies do not mix by accident: when the complete runs of OUT and the inputs carry
 *       more than one study_key (different scenario text or overrides), merge refuses
 *       (exit 2) unless --allow-mixed is given.
 *     - runs of IN that are not complete are not copied; merge then exits 1 (after
 *       copying the rest) unless OUT already holds them complete.
 *     - IN may not be OUT itself.
 *
 * point_summary(study_key, point_index, axes, policy, metric, n, mean, sd, ci95):
 *   for every study and sweep point of the database and every run_summary metric, over
 *   the point's complete runs (its repetitions): n, the mean, the sample standard
 *   deviation (n - 1 in the denominator; NULL when n < 2) and the half-width of the 95%
 *   confidence interval of the mean, t(0.975, n - 1) * sd / sqrt(n) with Student's t from
 *   GSL (gsl_cdf_tdist_Pinv; NULL when n < 2).  Values enter in run_index order, so the
 *   table is bit-identical whatever -j, shards or merge order produced the runs.  The table
 *   is rebuilt whole (all studies) after a sweep and after a merge.  Axes and policy are
 *   those of the point's first run.  Known answer: {1, 2, 3, 4} -> mean 2.5,
 *   sd 1.290994, ci95 3.182446 * 1.290994 / 2 = 2.054260.
 *
 * point_diff(study_key, point_index, axes, policy, baseline, metric, n, mean, sd, ci95):
 *   the same statistics over the per-repetition differences run - baseline run, the
 *   baseline run being the run of the same repetition at the point whose axes equal this
 *   one's except policy.name = [simulation] baseline (default static); rebuilt with
 *   point_summary (cli/stats.c, docs/database.md).  The summary table shows its
 *   mean_slowdown row as slowdown_minus_baseline.
 *
 * The only mutable global is the signal flag (cli_install_signals, cli/common.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include "sim/engine.h"
#include "sim/db.h"
#include "sim/rng.h"
#include "sim/study.h"
#include "sim/units.h"
#include "models/dc.h"
#include "models/record.h"
#include "models/scenario.h"
#include "cli/common.h"
#include "cli/cmd_run.h"
#include "cli/cmd_merge.h"
#include "cli/cmd_sweep.h"
#include "cli/stats.h"
#include "cli/tables.h"


/* ------------------------------------------------------------------ selection */

static int parse_uint(const char **p, size_t *out)
{
    const char *s = *p;
    if (*s < '0' || *s > '9')
        return -1;
    size_t v = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (SIZE_MAX - 9) / 10)
            return -1;
        v = v * 10 + (size_t)(*s - '0');
    }
    *p = s;
    *out = v;
    return 0;
}

static void skip_space(const char **p)
{
    while (**p == ' ' || **p == '\t')
        (*p)++;
}

/* Parse a --runs list ("0-9,17,30-") against a study of nruns runs: set selected[r] = 1
 * for every run named (selected has nruns bytes, zeroed by the caller).  Returns 0, or
 * SIM_EINPUT with a message naming the item (empty list or item, not a number, A > B,
 * a run >= nruns). */
int sweep_parse_runs(const char *spec, size_t nruns, unsigned char *selected, char *err, size_t errlen)
{
    const char *p = spec;
    size_t items = 0;
    for (;;) {
        const char *item = p;
        size_t a, b;
        skip_space(&p);
        if (parse_uint(&p, &a)) {
            snprintf(err, errlen, "--runs %s: expected a run number or a range A-B at '%.*s'", spec,
                     (int)strcspn(item, ","), item);
            return SIM_EINPUT;
        }
        skip_space(&p);
        b = a;
        if (*p == '-') {
            p++;
            skip_space(&p);
            if (*p == ',' || *p == '\0')
                b = nruns ? nruns - 1 : 0;          /* "A-": to the last run */
            else if (parse_uint(&p, &b)) {
                snprintf(err, errlen, "--runs %s: expected a number after '-' in '%.*s'", spec,
                         (int)strcspn(item, ","), item);
                return SIM_EINPUT;
            }
            skip_space(&p);
        }
        if (*p != ',' && *p != '\0') {
            snprintf(err, errlen, "--runs %s: unexpected '%c' in '%.*s'", spec, *p, (int)strcspn(item, ","), item);
            return SIM_EINPUT;
        }
        if (a > b) {
            snprintf(err, errlen, "--runs %s: range %zu-%zu is empty (start after end)", spec, a, b);
            return SIM_EINPUT;
        }
        if (b >= nruns) {
            snprintf(err, errlen, "--runs %s: run %zu is outside the study (runs 0-%zu)", spec,
                     a >= nruns ? a : b, nruns ? nruns - 1 : 0);
            return SIM_EINPUT;
        }
        for (size_t r = a; r <= b; r++)
            selected[r] = 1;
        items++;
        if (*p == '\0')
            break;
        p++;                                        /* ',' */
    }
    return items ? SIM_OK : SIM_EINPUT;
}

/* ------------------------------------------------------------------ sweep: workers */

enum { RS_COMPLETE, RS_SKIPPED, RS_FAILED, RS_INTERRUPTED };

typedef struct result_msg {            /* one record on the result pipe (< PIPE_BUF) */
    int32_t worker;
    int32_t status;                    /* RS_* */
    uint64_t run;
    double wall_s;
    char msg[240];
} result_msg_t;

typedef struct worker {
    pid_t pid;                         /* 0 = slot free / reaped */
    int cmd_fd;                        /* write end of its command pipe; -1 = closed */
    int64_t run;                       /* the run it holds, -1 = idle */
} worker_t;

typedef struct sweep {
    const cli_opts_t *opts;
    const sim_ini_t *ini;
    const sim_study_t *study;
    int64_t base_seed;
    const char *db_path;
    size_t *pending;                   /* runs to do, increasing */
    size_t npending, next;             /* next = index of the next run to dispatch */
    worker_t *w;
    size_t nw;
    int res_rd, res_wr;                /* the shared result pipe */
    int lock_fd;
    volatile sig_atomic_t *stop;       /* cli_install_signals */
    size_t done, failed, interrupted, skipped;
} sweep_t;


/* A worker's scratch database: DB.workerN.tmp beside DB (and SQLite's -wal, -shm). */
static void scratch_name(const char *db_path, int id, char *buf, size_t len)
{
    snprintf(buf, len, "%s.worker%d.tmp", db_path, id);
}

static int write_full(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t k = write(fd, p, len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k, len -= (size_t)k;
    }
    return 0;
}

/* The body of a worker process: take run numbers from cmd_fd until EOF or a signal.
 * With several workers each run is recorded into the worker's scratch database, then
 * copied into the sweep's database in one transaction (merge_one, replace mode), whatever
 * its status: recording holds SQLite's single write lock for most of a run, so workers
 * writing into one database would take turns (measured: -j 2 no faster than -j 1).  A
 * lone worker records straight into the sweep's database. */
static int worker_main(const sweep_t *sw, int id, int cmd_fd)
{
    cli_opts_t o = *sw->opts;
    o.quiet = 1;                       /* the parent reports */
    o.scratch_db = sw->nw > 1;         /* records into DB.workerK.tmp: no sample indexes */
    char scratch[4200], open_err[SIM_ERR_MAX] = "";
    scratch_name(sw->db_path, id, scratch, sizeof scratch);
    db_t *db = NULL;
    int direct = sw->nw == 1;
    int open_rc = direct ? SIM_OK : db_open(sw->db_path, &db, open_err, sizeof open_err);
    int code = 0;
    for (;;) {
        if (*sw->stop) {
            code = cli_exit_status(SIM_EINTR, *sw->stop);
            break;
        }
        uint64_t run;
        ssize_t k = read(cmd_fd, &run, sizeof run);
        if (k < 0 && errno == EINTR)
            continue;
        if (k == 0)
            break;                     /* no more work */
        if (k != (ssize_t)sizeof run) {
            code = 3;
            break;
        }
        result_msg_t m;
        memset(&m, 0, sizeof m);
        m.worker = id;
        m.run = run;
        char err[SIM_ERR_MAX] = "";
        int skipped = 0, rc;
        double t0 = sim_wall_s();
        if (open_rc) {
            rc = open_rc;
            snprintf(err, sizeof err, "%s", open_err);
        } else if (direct) {
            rc = cli_run_one(&o, sw->ini, sw->study, sw->base_seed, (size_t)run, sw->db_path, sw->stop,
                             &skipped, err, sizeof err);
        } else {
            db_remove_files(scratch);
            rc = cli_run_one(&o, sw->ini, sw->study, sw->base_seed, (size_t)run, scratch, sw->stop,
                             &skipped, err, sizeof err);
            struct stat st;
            if (stat(scratch, &st) == 0) {
                merge_count_t mc;
                char cerr[SIM_ERR_MAX];
                memset(&mc, 0, sizeof mc);
                int crc = merge_one(db, scratch, 1, &mc, cerr, sizeof cerr);
                if (crc && (!rc || rc == SIM_EINTR)) {
                    rc = crc;
                    snprintf(err, sizeof err, "copying the run into the sweep database: %.900s", cerr);
                }
            }
            db_remove_files(scratch);
        }
        m.wall_s = sim_wall_s() - t0;
        m.status = rc == SIM_OK ? (skipped ? RS_SKIPPED : RS_COMPLETE) : rc == SIM_EINTR ? RS_INTERRUPTED : RS_FAILED;
        if (rc && rc != SIM_EINTR)
            snprintf(m.msg, sizeof m.msg, "%.239s", err);
        if (write_full(sw->res_wr, &m, sizeof m)) {
            code = 3;
            break;
        }
        if (rc == SIM_EINTR) {
            code = cli_exit_status(SIM_EINTR, *sw->stop);
            break;
        }
    }
    db_close(db);
    db_remove_files(scratch);
    return code;
}

/* Start worker slot i.  Returns 0 or -1 (fork/pipe failed; errno set). */
static int spawn_worker(sweep_t *sw, size_t i)
{
    int p[2];
    if (pipe(p))
        return -1;
    fflush(NULL);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]), close(p[1]);
        return -1;
    }
    if (pid == 0) {
#ifdef __linux__
        prctl(PR_SET_PDEATHSIG, SIGKILL);   /* never outlive the sweep (see the header) */
        if (getppid() != parent)
            _exit(137);
#else
        (void)parent;
#endif
        close(p[1]);
        close(sw->res_rd);
        for (size_t j = 0; j < sw->nw; j++)          /* else other workers never see EOF */
            if (sw->w[j].cmd_fd >= 0)
                close(sw->w[j].cmd_fd);
        _exit(worker_main(sw, (int)i, p[0]));
    }
    close(p[0]);
    sw->w[i].pid = pid;
    sw->w[i].cmd_fd = p[1];
    sw->w[i].run = -1;
    return 0;
}

static void close_cmd(worker_t *w)
{
    if (w->cmd_fd >= 0)
        close(w->cmd_fd);
    w->cmd_fd = -1;
}

/* Give worker i its next run, or close its pipe when none is left. */
static void dispatch(sweep_t *sw, size_t i, int stopping)
{
    worker_t *w = &sw->w[i];
    if (w->pid == 0 || w->cmd_fd < 0 || w->run >= 0)
        return;
    if (stopping || sw->next >= sw->npending) {
        close_cmd(w);
        return;
    }
    uint64_t run = sw->pending[sw->next];
    if (write_full(w->cmd_fd, &run, sizeof run)) {
        close_cmd(w);                  /* the worker died: waitpid will see it */
        return;
    }
    sw->next++;
    w->run = (int64_t)run;
}

static int progress_on(const sweep_t *sw) { return !sw->opts->quiet && isatty(2); }

static void clear_progress(const sweep_t *sw)
{
    if (progress_on(sw))
        fprintf(stderr, "\r%*s\r", 78, "");
}

static void fmt_duration(double s, char *buf, size_t len)
{
    if (!isfinite(s) || s < 0)
        snprintf(buf, len, "?");
    else if (s < 60)
        snprintf(buf, len, "%.0fs", s);
    else if (s < 3600)
        snprintf(buf, len, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
    else
        snprintf(buf, len, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
}

static void show_progress(const sweep_t *sw, size_t selected, double t0)
{
    if (!progress_on(sw))
        return;
    size_t running = 0;
    for (size_t i = 0; i < sw->nw; i++)
        running += sw->w[i].pid && sw->w[i].run >= 0;
    size_t finished = sw->done + sw->failed + sw->interrupted;
    double el = sim_wall_s() - t0;
    size_t left = sw->npending - finished;
    char e[32], eta[32];
    fmt_duration(el, e, sizeof e);
    if (finished)
        fmt_duration(el / (double)finished * (double)left, eta, sizeof eta);
    else
        snprintf(eta, sizeof eta, "?");
    fprintf(stderr, "\rsweep: %zu/%zu done, %zu failed, %zu running, %s elapsed, ETA %s   ",
            sw->done + sw->skipped, selected, sw->failed, running, e, eta);
}

static void handle_result(sweep_t *sw, const result_msg_t *m)
{
    if (m->worker < 0 || (size_t)m->worker >= sw->nw)
        return;
    worker_t *w = &sw->w[m->worker];
    if (w->run == (int64_t)m->run)
        w->run = -1;
    switch (m->status) {
    case RS_COMPLETE: sw->done++; break;
    case RS_SKIPPED: sw->skipped++; break;
    case RS_INTERRUPTED: sw->interrupted++; break;
    default:
        sw->failed++;
        clear_progress(sw);
        fprintf(stderr, "balloonsim sweep: run %llu failed: %s\n", (unsigned long long)m->run, m->msg);
    }
}

/* Read every result record available now (non-blocking). */
static void drain_results(sweep_t *sw)
{
    result_msg_t m;
    for (;;) {
        ssize_t k = read(sw->res_rd, &m, sizeof m);
        if (k == (ssize_t)sizeof m)
            handle_result(sw, &m);
        else if (k < 0 && errno == EINTR)
            continue;
        else
            break;
    }
}

/* Run the pending runs on up to `jobs` workers.  Returns the signal that stopped the
 * sweep, or 0. */
static int run_workers(sweep_t *sw, size_t jobs, size_t selected)
{
    int p[2];
    if (pipe(p)) {
        fprintf(stderr, "balloonsim sweep: pipe: %s\n", strerror(errno));
        return -1;
    }
    sw->res_rd = p[0], sw->res_wr = p[1];
    fcntl(sw->res_rd, F_SETFL, fcntl(sw->res_rd, F_GETFL) | O_NONBLOCK);
    sw->nw = jobs < sw->npending ? jobs : sw->npending;
    sw->w = calloc(sw->nw ? sw->nw : 1, sizeof *sw->w);
    if (!sw->w) {
        close(p[0]), close(p[1]);
        fprintf(stderr, "balloonsim sweep: out of memory\n");
        return -1;
    }
    for (size_t i = 0; i < sw->nw; i++)
        sw->w[i].cmd_fd = -1, sw->w[i].run = -1;
    size_t alive = 0, respawns = 0, max_respawns = 2 * sw->nw + sw->npending;
    int stopping = 0, failed_start = 0;
    for (size_t i = 0; i < sw->nw; i++) {
        if (spawn_worker(sw, i)) {
            fprintf(stderr, "balloonsim sweep: cannot start a worker: %s\n", strerror(errno));
            failed_start = 1;
            break;
        }
        alive++;
        dispatch(sw, i, 0);
    }
    if (failed_start && !alive) {
        close(p[0]), close(p[1]);
        return -1;
    }
    double t0 = sim_wall_s(), last_draw = 0;
    while (alive) {
        if (*sw->stop && !stopping) {
            stopping = *sw->stop;
            for (size_t i = 0; i < sw->nw; i++)
                if (sw->w[i].pid) {
                    kill(sw->w[i].pid, stopping);
                    close_cmd(&sw->w[i]);
                }
        }
        struct pollfd pfd = {sw->res_rd, POLLIN, 0};
        poll(&pfd, 1, 200);
        drain_results(sw);
        for (size_t i = 0; i < sw->nw; i++)
            dispatch(sw, i, stopping);
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            drain_results(sw);                       /* its last record came before its exit */
            for (size_t i = 0; i < sw->nw; i++) {
                worker_t *w = &sw->w[i];
                if (w->pid != pid)
                    continue;
                alive--;
                w->pid = 0;
                close_cmd(w);
                if (w->run >= 0) {
                    sw->failed++;
                    clear_progress(sw);
                    if (WIFSIGNALED(status))
                        fprintf(stderr, "balloonsim sweep: run %lld failed: worker %d killed by signal %d "
                                "(the run stays incomplete in %s; a rerun redoes it)\n",
                                (long long)w->run, (int)pid, WTERMSIG(status), sw->db_path);
                    else
                        fprintf(stderr, "balloonsim sweep: run %lld failed: worker %d exited with status %d\n",
                                (long long)w->run, (int)pid, WEXITSTATUS(status));
                    w->run = -1;
                }
                if (!stopping && sw->next < sw->npending && respawns < max_respawns) {
                    respawns++;
                    if (spawn_worker(sw, i) == 0) {
                        alive++;
                        dispatch(sw, i, 0);
                    }
                }
            }
        }
        if (pid < 0 && errno == ECHILD)
            break;
        double t = sim_wall_s();
        if (t - last_draw >= 0.2) {
            show_progress(sw, selected, t0);
            last_draw = t;
        }
    }
    drain_results(sw);
    clear_progress(sw);
    close(p[0]), close(p[1]);
    /* Runs never dispatched because workers could not start count as failed. */
    if (!stopping && sw->next < sw->npending) {
        fprintf(stderr, "balloonsim sweep: %zu runs were not started (workers could not be started)\n",
                sw->npending - sw->next);
        sw->failed += sw->npending - sw->next;
    }
    free(sw->w);
    sw->w = NULL;
    return stopping;
}

/* ------------------------------------------------------------------ sweep: command */

static const char *sweep_usage =
    "usage: balloonsim sweep FILE [-j N] [-o DB] [--runs LIST] [--shard i/N] [--dry-run] [--force]\n"
    "                        [--seed N] [--set section.key=value]... [--quiet]\n"
    "  -j N         worker processes (default: all online CPUs)\n"
    "  -o DB        database to write (default results/NAME.db); rerunning resumes it\n"
    "  --runs LIST  only these runs: 0-9,17,30- (A-B inclusive, A- to the last run)\n"
    "  --shard i/N  only the runs with run % N == i (for clusters; merge the shards after)\n"
    "  --dry-run    list the selected runs (run, point, repetition, seed, axes); run nothing\n"
    "  --max-db-size SIZE  refuse (exit 2) when the estimated database growth exceeds SIZE\n"
    "               (default 2GiB; 'none': no limit)\n"
    "  --force      redo runs the database already holds as complete; without it, complete runs of\n"
    "               this study made by another build (runs.version) are refused (exit 2)\n"
    "  --quiet      no progress and no summary table\n"
    "exit status: 0 all runs complete, 1 some run failed, 2 bad input, 130/143 interrupted\n";

/* The database bytes one run of each selected point adds (dc_estimate_db_bytes), in
 * est[point]; the points were checked by cli_check_points before. */
int sweep_estimate_points(const sim_study_t *study, const unsigned char *sel, size_t runs, double *est,
                          char *err, size_t errlen)
{
    size_t points = sim_study_points(study);
    size_t reps = points ? runs / points : 1;
    for (size_t pt = 0; pt < points; pt++) {
        int any = 0;
        for (size_t r = pt * reps; r < (pt + 1) * reps && r < runs; r++)
            any |= sel[r];
        if (!any)
            continue;
        sim_ini_t *ri = NULL;
        sim_study_run_info_t info;
        int rc = sim_study_run(study, pt * reps, &ri, &info, err, errlen);
        if (rc)
            return rc;
        scenario_t *s = NULL;
        rc = scenario_load(ri, &s, err, errlen);
        if (!rc)
            est[pt] = dc_estimate_db_bytes(s);
        scenario_destroy(s);
        sim_ini_destroy(ri);
        if (rc)
            return rc;
    }
    return SIM_OK;
}


/* Estimated bytes that the runs with todo[r] set add to the database; prints it (unless
 * quiet) and refuses above o->max_db_bytes (SIM_EINPUT).  est: per point. */
static int check_size(const cli_opts_t *o, const sim_study_t *study, const double *est, const unsigned char *todo,
                      size_t runs, const char *file, char *err, size_t errlen)
{
    size_t points = sim_study_points(study), reps = points ? runs / points : 1, n = 0;
    double bytes = 0;
    for (size_t r = 0; r < runs; r++)
        if (todo[r]) {
            bytes += est[r / reps];
            n++;
        }
    char h[32], lim[32];
    sim_units_format_human(bytes, h, sizeof h);
    if (!o->quiet)
        printf("# estimated database growth: at least %s for %zu run%s (samples at each run's output level "
               "and summaries; balloon operations and logs add to it)\n", h, n, n == 1 ? "" : "s");
    if (o->max_db_bytes > 0 && bytes > (double)o->max_db_bytes) {
        sim_units_format_human((double)o->max_db_bytes, lim, sizeof lim);
        snprintf(err, errlen, "%s: the study would write about %s to its database (%zu runs), more than the limit "
                 "of %s: record less ([simulation] output = summary or host, output.vms, a longer "
                 "sample_interval; see docs/scenarios.md), or raise the limit with --max-db-size SIZE (or none)",
                 file, h, n, lim);
        return SIM_EINPUT;
    }
    return SIM_OK;
}

static void dry_run(const cli_opts_t *o, const sim_ini_t *study_ini, const sim_study_t *study, int64_t base_seed,
                    const char *key, const unsigned char *sel, size_t runs)
{
    size_t n = 0;
    for (size_t r = 0; r < runs; r++)
        n += sel[r];
    size_t points = sim_study_points(study);
    printf("# study %s: %zu of %zu runs (%zu points x %zu repetitions)%s\n", key, n, runs, points,
           points ? runs / points : 0, o->force ? " --force" : "");
    printf("# workers: %d (-j; a sweep starts at most one per run left to do)\n", o->jobs);
    printf("# %-6s %6s %4s %20s  %s\n", "run", "point", "rep", "seed", "axes");
    for (size_t r = 0; r < runs; r++) {
        if (!sel[r])
            continue;
        sim_ini_t *ri = NULL;
        sim_study_run_info_t info;
        char err[SIM_ERR_MAX];
        if (sim_study_run(study, r, &ri, &info, err, sizeof err))
            continue;                  /* validated before: cannot happen */
        sim_ini_destroy(ri);
        printf("  %-6zu %6zu %4lld %20lld  %s\n", r, info.point, (long long)info.repetition,
               (long long)cli_run_seed(study_ini, base_seed, r, info.repetition),
               info.axes[0] ? info.axes : "-");
    }
}

/* Open (create) the database, add the tables, refuse (or with --force delete) complete
 * runs of the study made by another build (cli_guard_builds; sel NULL = the whole study),
 * list the complete runs of the study. */
static int prepare_db(const cli_opts_t *o, const char *path, const char *key, const unsigned char *sel, size_t runs,
                      unsigned char *complete, const char *who, char *err, size_t errlen)
{
    db_t *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc;
    if ((rc = db_open(path, &db, err, errlen)) || (rc = record_schema(db, err, errlen)) ||
        (rc = stats_schema(db, err, errlen)) ||
        (rc = cli_guard_builds(db, key, sel, runs, o->force, o->quiet, who, err, errlen)) ||
        (rc = db_prepare(db, "SELECT run_index FROM runs WHERE study_key=? AND status='complete'", &st, err, errlen)))
        goto out;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t r = sqlite3_column_int64(st, 0);
        if (r >= 0 && (uint64_t)r < runs)
            complete[r] = 1;
    }
out:
    sqlite3_finalize(st);
    db_close(db);
    return rc;
}

static int finish_db(const char *path, const char *key, int quiet, char *err, size_t errlen)
{
    db_t *db = NULL;
    int rc = db_open(path, &db, err, errlen);
    if (!rc)
        rc = tables_rebuild_all(db, err, errlen);
    if (!rc && !quiet)
        stats_print_point_table(db, key, stdout);
    db_close(db);
    return rc;
}

void sweep_remove_scratch(const char *dbp)
{
    /* Scratch databases left by a killed sweep (any -j up to the maximum). */
    for (int i = 0; i < CLI_MAX_JOBS; i++) {
        char scratch[4200];
        scratch_name(dbp, i, scratch, sizeof scratch);
        db_remove_files(scratch);
    }
}

int sweep_execute(const cli_opts_t *o, const sim_ini_t *ini, const sim_study_t *study, int64_t base_seed,
                  const char *dbp, const char *key, const unsigned char *sel, volatile sig_atomic_t *stop,
                  sweep_counts_t *counts, int *stopped, char *err, size_t errlen)
{
    size_t runs = sim_study_runs(study);
    sweep_t sw;
    memset(&sw, 0, sizeof sw);
    memset(counts, 0, sizeof *counts);
    *stopped = 0;
    sw.lock_fd = -1;
    unsigned char *complete = calloc(runs ? runs : 1, 1);
    sw.pending = calloc(runs ? runs : 1, sizeof *sw.pending);
    int rc = SIM_OK;
    if (!complete || !sw.pending) {
        snprintf(err, errlen, "out of memory (%zu runs)", runs);
        rc = SIM_ENOMEM;
        goto out;
    }
    if ((rc = prepare_db(o, dbp, key, NULL, runs, complete, "capacity", err, errlen)))
        goto out;
    size_t selected = 0;
    for (size_t r = 0; r < runs; r++) {
        if (!sel[r])
            continue;
        selected++;
        if (complete[r] && !o->force)
            sw.skipped++;
        else
            sw.pending[sw.npending++] = r;
    }
    sw.opts = o, sw.ini = ini, sw.study = study, sw.base_seed = base_seed, sw.db_path = dbp, sw.stop = stop;
    if (sw.npending) {
        int st = run_workers(&sw, (size_t)o->jobs, selected);
        if (st < 0) {
            snprintf(err, errlen, "cannot start worker processes");
            rc = SIM_EINTERNAL;
            goto out;
        }
        *stopped = st;
    }
    counts->selected = selected, counts->done = sw.done, counts->skipped = sw.skipped;
    counts->failed = sw.failed, counts->interrupted = sw.interrupted;
out:
    free(complete);
    free(sw.pending);
    return rc;
}

int cli_cmd_sweep(int argc, char **argv)
{
    cli_opts_t o;
    char err[SIM_ERR_MAX];
    int rc = cli_preamble(argc, argv, CLI_SWEEP, sweep_usage, 1, &o);
    if (rc >= 0)
        return rc;
    sim_ini_t *ini = NULL;
    sim_study_t *study = NULL;
    unsigned char *sel = NULL, *complete = NULL;
    double *est = NULL;                        /* database bytes per run, by point */
    sweep_t sw;
    memset(&sw, 0, sizeof sw);
    sw.lock_fd = -1;
    int64_t base_seed = 0;
    int status = 2;
    char dbp[4096], key[32];
    if ((rc = cli_load(&o, o.files[0], &ini, &study, &base_seed, err, sizeof err)))
        goto fail;
    size_t runs = sim_study_runs(study);
    sel = calloc(runs ? runs : 1, 1);
    complete = calloc(runs ? runs : 1, 1);
    sw.pending = calloc(runs ? runs : 1, sizeof *sw.pending);
    if (!sel || !complete || !sw.pending) {
        snprintf(err, sizeof err, "out of memory (%zu runs)", runs);
        goto fail;
    }
    if (o.runs) {
        if ((rc = sweep_parse_runs(o.runs, runs, sel, err, sizeof err)))
            goto fail;
    } else
        memset(sel, 1, runs);
    if (o.shard_n > 0)
        for (size_t r = 0; r < runs; r++)
            if (r % (size_t)o.shard_n != (size_t)o.shard_i)
                sel[r] = 0;
    if ((rc = cli_check_points_warn(study, sel, "sweep", err, sizeof err)))
        goto fail;
    est = calloc(sim_study_points(study) ? sim_study_points(study) : 1, sizeof *est);
    if (!est) {
        snprintf(err, sizeof err, "out of memory (%zu points)", sim_study_points(study));
        goto fail;
    }
    if ((rc = sweep_estimate_points(study, sel, runs, est, err, sizeof err)))
        goto fail;
    cli_study_key(ini, key, sizeof key);
    if (o.dry_run) {
        dry_run(&o, ini, study, base_seed, key, sel, runs);
        if (check_size(&o, study, est, sel, runs, o.files[0], err, sizeof err))
            printf("# a sweep would stop here: %s\n", err);
        status = 0;
        goto out;
    }
    if (o.db_path)
        snprintf(dbp, sizeof dbp, "%s", o.db_path);
    else
        cli_default_db(o.files[0], dbp, sizeof dbp);
    struct stat dbst;
    int fresh = stat(dbp, &dbst) != 0;        /* a new database: every selected run is to do */
    if (fresh && (rc = check_size(&o, study, est, sel, runs, o.files[0], err, sizeof err)))
        goto fail;
    if ((rc = cli_check_output(dbp, study, err, sizeof err)) ||
        (rc = cli_mkdir_parents(dbp, err, sizeof err)))   /* results/ may not exist yet */
        goto fail;
    sw.stop = cli_install_signals(1);
    /* The writer lock first (cli_lock_db): nothing is written before it is held. */
    if ((rc = cli_lock_db(dbp, 1, "sweep", sw.stop, &sw.lock_fd, err, sizeof err)))
        goto fail;
    sweep_remove_scratch(dbp);
    memset(complete, 0, runs);
    if ((rc = prepare_db(&o, dbp, key, sel, runs, complete, "sweep", err, sizeof err)))
        goto fail;
    size_t selected = 0, already = 0;
    for (size_t r = 0; r < runs; r++) {
        if (!sel[r])
            continue;
        selected++;
        if (complete[r] && !o.force)
            already++;
        else
            sw.pending[sw.npending++] = r;
    }
    if (!fresh) {                             /* only what is left to do */
        unsigned char *todo = calloc(runs ? runs : 1, 1);
        if (!todo) {
            snprintf(err, sizeof err, "out of memory (%zu runs)", runs);
            goto fail;
        }
        for (size_t i = 0; i < sw.npending; i++)
            todo[sw.pending[i]] = 1;
        rc = check_size(&o, study, est, todo, runs, o.files[0], err, sizeof err);
        free(todo);
        if (rc)
            goto fail;
    }
    sw.opts = &o, sw.ini = ini, sw.study = study, sw.base_seed = base_seed, sw.db_path = dbp;
    sw.skipped = already;
    int stopped = 0;
    if (sw.npending) {
        stopped = run_workers(&sw, (size_t)o.jobs, selected);
        if (stopped < 0) {
            snprintf(err, sizeof err, "cannot start worker processes");
            status = 3;
            goto fail_printed;
        }
    }
    if (stopped) {
        fprintf(stderr, "balloonsim sweep: interrupted; %zu runs complete, %zu marked 'interrupted' in %s "
                "(rerun the same command to resume)\n", sw.done + sw.skipped, sw.interrupted, dbp);
        status = cli_exit_status(SIM_EINTR, stopped);
        goto out;
    }
    if ((rc = finish_db(dbp, key, o.quiet, err, sizeof err)))
        goto fail;
    if (!o.quiet)
        printf("sweep: %zu runs selected: %zu run now, %zu already complete, %zu failed -> %s\n", selected,
               sw.done, sw.skipped, sw.failed, dbp);
    status = sw.failed || sw.interrupted ? 1 : 0;
    goto out;
fail:
    fprintf(stderr, "balloonsim sweep: %s\n", err);
    status = rc ? cli_exit_status(rc, sw.stop ? *sw.stop : 0) : 2;
fail_printed:
out:
    cli_unlock_db(sw.lock_fd);
    free(sw.pending);
    free(sel);
    free(complete);
    free(est);
    sim_study_destroy(study);
    sim_ini_destroy(ini);
    cli_opts_free(&o);
    return status;
}

