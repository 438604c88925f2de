/*
 * sim/study.h -- parameter studies: expansion of ${...} axes into runs (sim_study_*).
 *
 * Syntax (OMNeT++-style, issue 6), in any value of a scenario:
 *   ${0, 0.25, 0.5}            a list axis (items are trimmed text, may carry units: ${4GiB, 8GiB})
 *   ${1..10 step 2}            a numeric range, inclusive: 1,3,5,7,9 (step defaults to 1;
 *                              numbers may carry one unit suffix shared by from/to/step: ${1GiB..4GiB step 1GiB})
 *   ${tau=0, 0.25, 0.5}        a named axis; elsewhere "${tau}" substitutes its current value
 *   ${n=1..4 ! tau}            lock-step: axis n moves together with axis tau (same length required)
 * A value may hold text around the axis ("${x}GiB" -> "4GiB").  `repeat` (simulation
 * section) gives the number of repetitions per point.
 *
 * Numbering (deterministic): axes vary in order of first appearance in the file,
 * the first-declared axis slowest; repetition is innermost.  run = point * repeat + rep.
 * Each run's seed = sim_rng_derive_seed(base seed, run number), stored with the run.
 */
#ifndef SIM_STUDY_H
#define SIM_STUDY_H

#include "sim/ini.h"

typedef struct sim_study sim_study_t;

/* Expand ini.  repeat >= 1.  Returns 0, or SIM_EINPUT naming file, line, section and
 * key of a malformed ${...} (unbalanced braces, empty list, step <= 0 or of the wrong
 * sign, an unknown ${name}, lock-step axes of different lengths), or SIM_ENOMEM. */
int sim_study_expand(const sim_ini_t *ini, int64_t repeat, sim_study_t **out, char *err, size_t errlen);
void sim_study_destroy(sim_study_t *s);     /* accepts NULL */

size_t sim_study_runs(const sim_study_t *s);      /* points * repeat */
size_t sim_study_points(const sim_study_t *s);
size_t sim_study_axes(const sim_study_t *s);
const char *sim_study_axis_name(const sim_study_t *s, size_t axis);  /* "tau", or "policy.idle_tax" for unnamed */

typedef struct sim_study_run_info {
    size_t run;          /* 0-based run number */
    size_t point;        /* 0-based sweep point */
    int64_t repetition;  /* 0-based */
    char axes[512];      /* "tau=0.25, vm web.count=4" (empty when no axes) */
} sim_study_run_info_t;

/* The scenario of run `run` with every ${...} replaced.  The caller owns *out. */
int sim_study_run(const sim_study_t *s, size_t run, sim_ini_t **out, sim_study_run_info_t *info,
                  char *err, size_t errlen);
/* The value of axis `axis` at run `run` as text. */
const char *sim_study_axis_value(const sim_study_t *s, size_t run, size_t axis);

/* Added with sim/study.c (the rules it follows are in that file's top comment):
 *   - ranges and lists mix: ${1..3, 10}; an item that starts like a number and holds
 *     ".." must be a well-formed range; range values are from + i*step printed with
 *     "%.15g" and the unit as written; from/to/step carry the same unit or none;
 *   - references (${tau}, "! tau") may come before or after the definition;
 *     a bare identifier in ${ } is always a reference;
 *   - lock-step axes (joined by '!', transitively) form one dimension, ordered by
 *     its first axis.
 * At most SIM_STUDY_MAX_VALUES values per range and per axis. */
#define SIM_STUDY_MAX_VALUES 1000000
/* Number of values of axis `axis` (0 when out of range). */
size_t sim_study_axis_length(const sim_study_t *s, size_t axis);

#endif
