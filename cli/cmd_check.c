/*
 * cli/cmd_check.c -- `balloonsim check FILE...`: run scenarios and verify their [expect]
 * sections (the syntax and the fingerprints: cli/expect.h).
 *
 * Exit status: 0 every expectation holds; 1 one failed (each is listed with its actual
 * value); 2 bad input (unknown metric, malformed line, bad scenario).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sim/db.h"
#include "sim/ini.h"
#include "sim/study.h"
#include "cli/common.h"
#include "cli/cmd_run.h"
#include "cli/expect.h"
#include "cli/cmd_check.h"

static int check_file(const cli_opts_t *o, const char *file, volatile sig_atomic_t *stop, int *failed,
                      char *err, size_t errlen)
{
    int lock_fd = -1;
    sim_ini_t *ini;
    sim_study_t *study;
    int64_t seed;
    int rc = cli_load(o, file, &ini, &study, &seed, err, errlen);
    if (rc)
        return rc;
    /* Parse expectations first: a malformed line is bad input before any run. */
    size_t n = 0;
    for (size_t i = 0; i < ini->count; i++)
        n += !strcmp(ini->entries[i].section, "expect");
    expectation_t *ex = calloc(n ? n : 1, sizeof *ex);
    int *fp_lines = calloc(n ? n : 1, sizeof *fp_lines);
    size_t nfp = 0;
    char dbp[4096] = "";
    db_t *db = NULL;
    if (!ex || !fp_lines) {
        rc = SIM_ENOMEM;
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    n = 0;
    for (size_t i = 0; i < ini->count; i++) {
        const sim_ini_entry_t *e = &ini->entries[i];
        if (strcmp(e->section, "expect"))
            continue;
        char msg[SIM_ERR_MAX];
        if (e->key[0] != '#' || expect_parse_line(e->value, &ex[n], msg, sizeof msg)) {
            snprintf(err, errlen, "%.200s:%d: [expect] %.700s", file, e->line,
                     e->key[0] != '#' ? "expected METRIC OP VALUE (equality is ==)" : msg);
            rc = SIM_EINPUT;
            goto out;
        }
        ex[n].line = e->line;
        if (!strcmp(ex[n].metric, "fingerprint"))
            fp_lines[nfp++] = e->line;
        n++;
    }
    if ((rc = cli_check_points(study, NULL, err, errlen)))
        goto out;
    if (o->db_path) {
        /* -o: never an input, and the writer lock for the whole check (issue 15) */
        snprintf(dbp, sizeof dbp, "%s", o->db_path);
        if ((rc = cli_check_output(dbp, study, err, errlen)) || (rc = cli_mkdir_parents(dbp, err, errlen)) ||
            (rc = cli_lock_db(dbp, 1, "check", stop, &lock_fd, err, errlen)) ||
            (rc = cli_guard_builds_file(dbp, ini, o->force, 1, "check", err, errlen)))   /* builds do not mix */
            goto out;
    } else {
        snprintf(dbp, sizeof dbp, "%s/balloonsim-check-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        int fd = mkstemp(dbp);
        if (fd < 0) {
            snprintf(err, errlen, "cannot create a temporary database in %.900s", dbp);
            rc = SIM_EIO;
            goto out;
        }
        close(fd);
        unlink(dbp);
    }
    cli_opts_t ro = *o;
    ro.quiet = 1;
    ro.force = o->db_path ? o->force : 0;
    size_t runs = sim_study_runs(study);
    char first_fp[32] = "";
    for (size_t run = 0; run < runs; run++) {
        int skipped;
        if ((rc = cli_run_one(&ro, ini, study, seed, run, dbp, stop, &skipped, err, errlen)))
            goto out;
    }
    if ((rc = db_open(dbp, &db, err, errlen)))
        goto out;
    char key[32];
    cli_study_key(ini, key, sizeof key);
    for (size_t run = 0; run < runs; run++) {
        int64_t run_id;
        char status[32];
        if (db_run_lookup(db, key, (int64_t)run, &run_id, status, sizeof status, err, errlen) != 1) {
            rc = SIM_EINTERNAL;
            snprintf(err, errlen, "%.300s: run %zu missing from %.600s", file, run, dbp);
            goto out;
        }
        char fp[32] = "";
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db_handle(db), "SELECT fingerprint FROM runs WHERE run_id=?", -1, &st, NULL) ==
            SQLITE_OK) {
            sqlite3_bind_int64(st, 1, run_id);
            if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
                snprintf(fp, sizeof fp, "%s", (const char *)sqlite3_column_text(st, 0));
            sqlite3_finalize(st);
        }
        if (run == 0)
            snprintf(first_fp, sizeof first_fp, "%s", fp);
        for (size_t i = 0; i < n; i++) {
            expectation_t *e = &ex[i];
            int ok;
            char actual[128];
            if (!strcmp(e->metric, "fingerprint")) {
                if (o->update_fingerprints)
                    continue;
                ok = strcmp(e->op, "==") ? strcmp(fp, e->value_text) != 0 : strcmp(fp, e->value_text) == 0;
                snprintf(actual, sizeof actual, "%s", fp);
            } else {
                double v;
                if ((rc = expect_metric_value(db_handle(db), run_id, e->metric, &v, err + 0, errlen))) {
                    char tmp[SIM_ERR_MAX];
                    snprintf(tmp, sizeof tmp, "%.200s:%d: [expect] %.700s", file, e->line, err);
                    snprintf(err, errlen, "%s", tmp);
                    goto out;
                }
                ok = expect_compare(v, e->op, e->value);
                expect_format_actual(e, v, actual, sizeof actual);
            }
            if (!ok) {
                (*failed)++;
                printf("FAIL %s:%d: %s %s %s: actual %s (run %zu)\n", file, e->line, e->metric, e->op,
                       e->value_text, actual, run);
            } else if (!o->quiet) {
                printf("ok   %s:%d: %s %s %s: actual %s (run %zu)\n", file, e->line, e->metric, e->op,
                       e->value_text, actual, run);
            }
        }
    }
    if (o->update_fingerprints && nfp) {
        if ((rc = expect_update_fingerprints(file, fp_lines, nfp, first_fp, err, errlen)))
            goto out;
        printf("%s: fingerprint updated to %s\n", file, first_fp);
    }
out:
    db_close(db);
    cli_unlock_db(lock_fd);
    if (!o->db_path && dbp[0])
        db_remove_files(dbp);          /* also after SIGINT/SIGTERM: the run stops, we get here */
    free(ex);
    free(fp_lines);
    sim_study_destroy(study);
    sim_ini_destroy(ini);
    return rc;
}

static const char check_usage[] =
    "usage: balloonsim check FILE... [--quiet] [--update-fingerprints] [--set K=V]... [-o DB]\n"
    "  runs each scenario and checks its [expect] section; exit 1 listing every failed\n"
    "  expectation with its actual value, 0 when all hold, 2 on bad input\n";

int cli_cmd_check(int argc, char **argv)
{
    cli_opts_t o;
    char err[SIM_ERR_MAX];
    int rc = cli_preamble(argc, argv, CLI_CHECK, check_usage, 0, &o);
    if (rc >= 0)
        return rc;
    int failed = 0, status = 0;
    volatile sig_atomic_t *stop = cli_install_signals(0);
    for (size_t i = 0; i < o.nfiles && !*stop; i++) {
        int before = failed;
        rc = check_file(&o, o.files[i], stop, &failed, err, sizeof err);
        if (rc == SIM_EINTR || *stop) {
            fprintf(stderr, "balloonsim check: interrupted\n");
            status = cli_exit_status(SIM_EINTR, *stop);
            break;
        }
        if (rc) {
            fprintf(stderr, "balloonsim check: %s\n", err);
            status = 2;
        } else if (failed == before) {
            printf("%s: all expectations hold\n", o.files[i]);
        }
    }
    cli_opts_free(&o);
    if (status)
        return status;
    return failed ? 1 : 0;
}

