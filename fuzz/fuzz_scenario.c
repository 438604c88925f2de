/*
 * fuzz/fuzz_scenario.c -- libFuzzer harness: the scenario parser.
 *
 * Input: the bytes of a scenario file.  Path followed: sim_ini_load_file (the raw INI
 * layer: UTF-8, NULs, line limits, sections, [expect] lines), sim_study_expand with
 * repeat 1, the first and the last run of the study bound by scenario_load (every key
 * table, unit parser, range check and cross-key check), then scenario_foreach_param
 * (the canonical text of every resolved key) and a re-parse of that text: the resolved
 * parameters stored with a run must read back to the same values (sim/keys.h promises
 * that the canonical forms parse back exactly).
 * Seeds: fuzz/corpus/scenario/ (the shipped scenarios and the bad-input catalogue).
 */
#include <stdint.h>
#include "fuzz/fuzz_common.h"
#include "sim/ini.h"
#include "sim/study.h"
#include "models/scenario.h"

typedef struct collect {
    sim_ini_t *ini;      /* the resolved parameters as a scenario */
    int failed;
} collect_t;

static int collect_param(void *ctx, const char *section, const char *key, const char *value)
{
    collect_t *c = ctx;
    if (sim_ini_set(c->ini, section, key, value, 1) != 0)
        c->failed = 1;
    return 0;
}

/* Bind run `run`; when it binds, its resolved parameters must bind again to the same
 * resolved parameters (a fixed point of parse -> format). */
static void bind_run(const sim_study_t *study, size_t run)
{
    char err[SIM_ERR_MAX];
    sim_ini_t *r = NULL;
    sim_study_run_info_t info;
    if (sim_study_run(study, run, &r, &info, err, sizeof err) != 0)
        return;
    scenario_t *s = NULL;
    int rc = scenario_load(r, &s, err, sizeof err);
    FUZZ_NOT_INTERNAL(rc, err);
    if (rc == 0) {
        collect_t c1 = {NULL, 0}, c2 = {NULL, 0};
        if (sim_ini_load_string("<resolved>", "", &c1.ini, err, sizeof err) != 0)
            abort();
        scenario_foreach_param(s, collect_param, &c1);
        /* [expect] lines and the raw text are not parameters: keep them out. */
        scenario_t *s2 = NULL;
        int rc2 = c1.failed ? 0 : scenario_load(c1.ini, &s2, err, sizeof err);
        if (!c1.failed && rc2 != 0) {
            fprintf(stderr, "resolved parameters do not load back: %s\n", err);
            abort();
        }
        if (s2 != NULL) {
            if (sim_ini_load_string("<resolved2>", "", &c2.ini, err, sizeof err) != 0)
                abort();
            scenario_foreach_param(s2, collect_param, &c2);
            if (!c2.failed && c2.ini->count == c1.ini->count) {
                for (size_t i = 0; i < c1.ini->count; i++) {
                    const sim_ini_entry_t *e = &c1.ini->entries[i];
                    const char *v2 = sim_ini_get(c2.ini, e->section, e->key);
                    if (v2 == NULL || strcmp(v2, e->value) != 0) {
                        fprintf(stderr, "[%s] %s: '%s' reads back as '%s'\n", e->section, e->key,
                                e->value, v2 ? v2 : "(missing)");
                        abort();
                    }
                }
            } else if (!c2.failed) {
                fprintf(stderr, "resolved parameters: %zu then %zu\n", c1.ini->count, c2.ini->count);
                abort();
            }
            sim_ini_destroy(c2.ini);
        }
        scenario_destroy(s2);
        sim_ini_destroy(c1.ini);
    }
    scenario_destroy(s);
    sim_ini_destroy(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64], err[SIM_ERR_MAX];
    int fd = fuzz_memfile(data, size, path, sizeof path);
    if (fd < 0)
        return 0;
    sim_ini_t *ini = NULL;
    int rc = sim_ini_load_file(path, &ini, err, sizeof err);
    close(fd);
    FUZZ_NOT_INTERNAL(rc, err);
    if (rc != 0)
        return 0;
    sim_study_t *study = NULL;
    rc = sim_study_expand(ini, 1, &study, err, sizeof err);
    FUZZ_NOT_INTERNAL(rc, err);
    if (rc == 0) {
        bind_run(study, 0);
        if (sim_study_runs(study) > 1)
            bind_run(study, sim_study_runs(study) - 1);
    }
    sim_study_destroy(study);
    sim_ini_destroy(ini);
    return 0;
}
