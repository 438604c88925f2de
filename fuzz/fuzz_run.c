/*
 * fuzz/fuzz_run.c -- libFuzzer harness: a whole run of a small scenario (models/dc.c and
 * everything below it: hosts, guests, balloon drivers, policies, the recorder).
 *
 * Input: the bytes of a scenario.  It is loaded as `balloonsim run` loads it (INI, study
 * expansion with repeat 1, run 0, scenario_load); scenarios larger than 4 hosts or 16
 * VMs are skipped (they cost time, not coverage).  The run goes into an in-memory
 * database with the page-conservation check after every event, and stops after about
 * 65,536 events (the first progress call).  Findings: crashes, sanitizer reports, and
 * SIM_EINTERNAL (a broken invariant, which the check reports).
 * Seeds: fuzz/corpus/run/ (the shipped scenarios with short durations).
 */
#include <signal.h>
#include <stdint.h>
#include "fuzz/fuzz_common.h"
#include "sim/db.h"
#include "sim/ini.h"
#include "sim/study.h"
#include "models/dc.h"
#include "models/record.h"
#include "models/scenario.h"

static void stop_after_first(void *ctx, double sim_s, double end_s, uint64_t events)
{
    (void)sim_s;
    (void)end_s;
    (void)events;
    *(volatile sig_atomic_t *)ctx = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[SIM_ERR_MAX];
    char *text = fuzz_strndup(data, size);
    sim_ini_t *ini = NULL, *r = NULL;
    sim_study_t *study = NULL;
    scenario_t *s = NULL;
    db_t *db = NULL;
    int rc = sim_ini_load_string("fuzz.ini", text, &ini, err, sizeof err);
    if (rc == 0)
        rc = sim_study_expand(ini, 1, &study, err, sizeof err);
    sim_study_run_info_t info;
    if (rc == 0)
        rc = sim_study_run(study, 0, &r, &info, err, sizeof err);
    if (rc == 0)
        rc = scenario_load(r, &s, err, sizeof err);
    FUZZ_NOT_INTERNAL(rc, err);
    if (rc == 0) {
        int64_t vms = 0;
        for (size_t g = 0; g < s->nvm_groups; g++)
            vms += s->vms[g].count == 0 ? 1000 : s->vms[g].count;   /* 0: one per trace file */
        if (s->host.count > 4 || vms > 16)
            rc = -1;
    }
    if (rc == 0) {
        if (db_open(":memory:", &db, err, sizeof err) != 0 || record_schema(db, err, sizeof err) != 0) {
            fprintf(stderr, "in-memory database: %s\n", err);
            abort();
        }
        volatile sig_atomic_t stop = 0;
        db_run_info_t ri = {"fuzz", 0, 0, 0, 42, "fuzz.ini", text, info.axes, s->policy->name};
        dc_options_t opt = {.seed = 42, .stop = &stop, .check = 1, .progress = stop_after_first,
                            .progress_ctx = (void *)&stop};
        dc_result_t res;
        rc = dc_run(s, db, &ri, &opt, &res, err, sizeof err);
        FUZZ_NOT_INTERNAL(rc, err);
        if (rc == SIM_EIO) {
            fprintf(stderr, "database error in a run: %s\n", err);
            abort();
        }
    }
    db_close(db);
    scenario_destroy(s);
    sim_ini_destroy(r);
    sim_study_destroy(study);
    sim_ini_destroy(ini);
    free(text);
    return 0;
}
