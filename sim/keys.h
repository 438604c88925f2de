/*
 * sim/keys.h -- declarative tables of scenario keys (sim_keys_*).
 *
 * One table per kind of section (docs/design.md "Conventions", rule 11).  Each row
 * names a key, its type and unit, where it is stored in a public parameter struct
 * (offsetof), its default (as scenario text, NULL = required), its range, and a help
 * line.  The same rows drive parsing, validation, `balloonsim keys` (--help and the key
 * reference in docs/scenarios.md) and the resolved parameters stored with each run.
 *
 * Storage by type (the field at `offset` must have this C type):
 *   SIM_KEY_INT       int64_t     plain integer             range in the same unit
 *   SIM_KEY_REAL      double      plain number              range in the same unit
 *   SIM_KEY_BYTES     int64_t     size, stored in bytes     range in bytes
 *   SIM_KEY_DURATION  int64_t     duration, stored in ns    range in ns
 *   SIM_KEY_RATE      double      size/s, stored in bytes/s range in bytes/s
 *   SIM_KEY_FRACTION  double      "20%" or 0.2, stored 0.2  range as a fraction
 *   SIM_KEY_BOOL      int         yes/no/true/false/on/off/1/0
 *   SIM_KEY_STRING    char[SIM_STR_MAX]
 *   SIM_KEY_CHOICE    char[SIM_STR_MAX], one of `choices` ("a|b|c")
 * A range with min > max means "no range check".
 */
#ifndef SIM_KEYS_H
#define SIM_KEYS_H

#include <math.h>
#include <stdio.h>
#include "sim/types.h"

typedef enum {
    SIM_KEY_INT, SIM_KEY_REAL, SIM_KEY_BYTES, SIM_KEY_DURATION, SIM_KEY_RATE,
    SIM_KEY_FRACTION, SIM_KEY_BOOL, SIM_KEY_STRING, SIM_KEY_CHOICE
} sim_key_type_t;

typedef struct sim_key {
    const char *name;        /* e.g. "memory", "workload.mean" */
    sim_key_type_t type;
    size_t offset;           /* offsetof(params struct, field) */
    const char *def;         /* default in scenario syntax; NULL means required */
    double min, max;         /* allowed range in stored units; min > max: unchecked */
    const char *choices;     /* for SIM_KEY_CHOICE: "a|b|c" */
    const char *help;        /* one line, names the unit */
} sim_key_t;

#define SIM_NO_RANGE 1.0, 0.0
/* An open side of a range: { ..., 0, SIM_KEY_UNBOUNDED, ... } means ">= 0". */
#define SIM_KEY_UNBOUNDED INFINITY

/* A table: rows plus a count.  Use SIM_KEY_TABLE(rows) to build one. */
typedef struct sim_key_table {
    const char *section;     /* section kind for messages/help, e.g. "vm", "policy esx-share" */
    const sim_key_t *keys;
    size_t count;
} sim_key_table_t;
#define SIM_KEY_TABLE(sec, rows) { (sec), (rows), sizeof(rows) / sizeof((rows)[0]) }

const sim_key_t *sim_keys_find(const sim_key_table_t *t, const char *name);

/* Parse `value` for key k and store it into params.  Returns 0 or SIM_EINPUT
 * with err like "'abc' is not a size" or "'-1GiB' is out of range: must be >= 0B".
 * params is untouched on error. */
int sim_keys_parse(const sim_key_t *k, void *params, const char *value, char *err, size_t errlen);

/* Store every default of the table into params.  Required keys (def == NULL)
 * are zeroed.  Returns 0, or SIM_EINTERNAL if a default does not parse (a bug). */
int sim_keys_defaults(const sim_key_table_t *t, void *params, char *err, size_t errlen);

/* Canonical text of the stored value of k in params (parses back to the same value). */
void sim_keys_format(const sim_key_t *k, const void *params, char *buf, size_t len);

/* Name of the unit of a key type for help text ("size", "duration", ...). */
const char *sim_keys_type_name(sim_key_type_t type);

/* The key among the given tables closest to `name` by edit distance (at most 3
 * edits, or a prefix/suffix relation), or NULL.  Used for "did you mean ...". */
const char *sim_keys_nearest(const sim_key_table_t *const *tables, size_t ntables,
                             const char *name);

/* Help: one line per key.  markdown != 0 prints a Markdown table. */
void sim_keys_print(FILE *out, const sim_key_table_t *t, int markdown);
/* The plain rows of sim_keys_print without its "[section]" heading (for a caller that
 * prints its own heading, such as `balloonsim keys`). */
void sim_keys_print_rows(FILE *out, const sim_key_table_t *t);

#endif
