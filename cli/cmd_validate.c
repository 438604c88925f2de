/*
 * cli/cmd_validate.c -- `balloonsim validate FILE...`: parse and check scenarios (every
 * sweep point bound), run nothing.  See cli/cmd_validate.h.
 */
#include <stdio.h>
#include <string.h>
#include "sim/ini.h"
#include "sim/study.h"
#include "models/scenario.h"
#include "cli/common.h"
#include "cli/cmd_validate.h"

int cli_validate(const cli_opts_t *o, const char *file, size_t *runs, char *err, size_t errlen)
{
    sim_ini_t *ini;
    sim_study_t *study;
    int64_t seed;
    int rc = cli_load(o, file, &ini, &study, &seed, err, errlen);
    if (rc)
        return rc;
    *runs = sim_study_runs(study);
    /* Every sweep point bound, every trace loaded with the run's loader (issue 15). */
    rc = cli_check_points(study, NULL, err, errlen);
    sim_study_destroy(study);
    sim_ini_destroy(ini);
    return rc;
}

int cli_validate_file(const char *file, char **sets, size_t nsets, char *err, size_t errlen)
{
    cli_opts_t o;
    memset(&o, 0, sizeof o);
    o.sets = sets;
    o.nsets = nsets;
    size_t runs;
    return cli_validate(&o, file, &runs, err, errlen);
}

static const char validate_usage[] =
    "usage: balloonsim validate FILE... [--set section.key=value]... [--quiet]\n"
    "  parse each scenario and bind every sweep point; run nothing\n";

int cli_cmd_validate(int argc, char **argv)
{
    cli_opts_t o;
    char err[SIM_ERR_MAX];
    int rc = cli_preamble(argc, argv, CLI_VALIDATE, validate_usage, 0, &o);
    if (rc >= 0)
        return rc;
    int status = 0;
    for (size_t i = 0; i < o.nfiles; i++) {
        size_t runs = 0;
        rc = cli_validate(&o, o.files[i], &runs, err, sizeof err);
        if (rc) {
            fprintf(stderr, "balloonsim: %s\n", err);
            status = cli_exit_status(rc, 0);
        } else if (!o.quiet) {
            printf("%s: ok (%zu run%s)\n", o.files[i], runs, runs == 1 ? "" : "s");
        }
    }
    cli_opts_free(&o);
    return status;
}
