/*
 * fuzz/fuzz_study.c -- libFuzzer harness: parameter-study expansion (sim/study.h) and
 * --set overrides (sim_ini_apply_override).
 *
 * Input: optional leading lines "--set section.key=value" (applied in order, as the
 * command line does), then the scenario text.  Repeat is read from [simulation] repeat
 * as cli/common.c reads it (an integer 1..1000000, else 1).  Path followed:
 * sim_ini_load_string, the overrides, sim_study_expand, then up to 9 runs (the first, the
 * last and 7 spread between) through sim_study_run, with the invariants of sim/study.h:
 *   - runs == points * repeat; run info: point = run / repeat, repetition = run % repeat;
 *   - every axis has a value at every run, and that value has at most
 *     SIM_STUDY_MAX_VALUES siblings;
 *   - the run scenario has the entries of the study's scenario, in the same order.
 * Seeds: fuzz/corpus/study/.
 */
#include <stdint.h>
#include "fuzz/fuzz_common.h"
#include "sim/ini.h"
#include "sim/study.h"
#include "sim/units.h"

static void check_run(const sim_ini_t *ini, const sim_study_t *st, size_t run, int64_t repeat)
{
    char err[SIM_ERR_MAX];
    sim_ini_t *r = NULL;
    sim_study_run_info_t info;
    int rc = sim_study_run(st, run, &r, &info, err, sizeof err);
    FUZZ_NOT_INTERNAL(rc, err);
    if (rc != 0)
        return;                                  /* out of memory */
    if (info.run != run || info.point != run / (size_t)repeat ||
        info.repetition != (int64_t)(run % (size_t)repeat) || r->count != ini->count) {
        fprintf(stderr, "run %zu: bad run info (point %zu, repetition %lld, %zu entries of %zu)\n",
                run, info.point, (long long)info.repetition, r->count, ini->count);
        abort();
    }
    for (size_t i = 0; i < r->count; i++)
        if (strcmp(r->entries[i].section, ini->entries[i].section) != 0 ||
            strcmp(r->entries[i].key, ini->entries[i].key) != 0) {
            fprintf(stderr, "run %zu: entry %zu is [%s] %s, expected [%s] %s\n", run, i,
                    r->entries[i].section, r->entries[i].key, ini->entries[i].section,
                    ini->entries[i].key);
            abort();
        }
    for (size_t a = 0; a < sim_study_axes(st); a++)
        if (sim_study_axis_value(st, run, a) == NULL || sim_study_axis_name(st, a) == NULL ||
            sim_study_axis_length(st, a) == 0 || sim_study_axis_length(st, a) > SIM_STUDY_MAX_VALUES) {
            fprintf(stderr, "run %zu: axis %zu has no value\n", run, a);
            abort();
        }
    sim_ini_destroy(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_strndup(data, size), *body = text;
    char err[SIM_ERR_MAX];
    /* leading --set lines */
    char *sets[8];
    size_t nsets = 0;
    while (nsets < 8 && strncmp(body, "--set ", 6) == 0) {
        char *nl = strchr(body, '\n');
        sets[nsets++] = body + 6;
        if (nl == NULL) {
            body += strlen(body);
            break;
        }
        *nl = '\0';
        body = nl + 1;
    }
    sim_ini_t *ini = NULL;
    int rc = sim_ini_load_string("fuzz.ini", body, &ini, err, sizeof err);
    FUZZ_NOT_INTERNAL(rc, err);
    for (size_t i = 0; rc == 0 && i < nsets; i++) {
        rc = sim_ini_apply_override(ini, sets[i], err, sizeof err);
        FUZZ_NOT_INTERNAL(rc, err);
        if (rc == 0) {
            /* the override is now visible: the last entry or a replaced one */
            const char *eq = strchr(sets[i], '=');
            if (eq == NULL)
                abort();                         /* accepted without '=' */
        }
    }
    if (rc == 0) {
        int64_t repeat = 1;
        const char *rv = sim_ini_get(ini, "simulation", "repeat");
        if (rv && (sim_units_parse_int(rv, &repeat, err, sizeof err) || repeat < 1 || repeat > 1000000))
            repeat = 1;
        sim_study_t *st = NULL;
        rc = sim_study_expand(ini, repeat, &st, err, sizeof err);
        FUZZ_NOT_INTERNAL(rc, err);
        if (rc == 0) {
            size_t runs = sim_study_runs(st);
            if (runs == 0 || runs != sim_study_points(st) * (size_t)repeat) {
                fprintf(stderr, "%zu runs for %zu points x %lld\n", runs, sim_study_points(st),
                        (long long)repeat);
                abort();
            }
            for (size_t k = 0; k < 9; k++) {
                size_t run = k == 8 ? runs - 1 : (size_t)((double)runs * (double)k / 8.0);
                if (run >= runs)
                    run = runs - 1;
                check_run(ini, st, run, repeat);
            }
            /* out of range runs are refused */
            sim_ini_t *r = NULL;
            if (sim_study_run(st, runs, &r, NULL, err, sizeof err) != SIM_EINPUT || r != NULL)
                abort();
        }
        sim_study_destroy(st);
    }
    sim_ini_destroy(ini);
    free(text);
    return 0;
}
