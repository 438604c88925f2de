/*
 * sim/ini.h -- the raw text layer of scenario files (sim_ini_*).
 *
 * A scenario is read with the inih library into an ordered list of
 * (section, key, value, line) entries, before any typing: study expansion
 * (sim/study.h) and --set overrides work on this layer, and the typed layer
 * (sim/keys.h, models/scenario.h) binds entries to parameter structs.
 *
 * Rules (the choices a researcher would expect, documented here):
 *   - section names are "kind" or "kind NAME" ("vm web"); white space is folded to
 *     one space.  Keys are case-sensitive.  Values are trimmed; `;` after white
 *     space starts a comment.
 *   - a key given twice in one section is an error (naming both lines);
 *     a key outside any section is an error.
 *   - lines in an [expect] section need no '=': "host_swap_bytes < 1GiB" is stored
 *     as key "#N" (N = its line) with the whole line as value.
 *   - lines longer than SIM_INI_MAX_LINE are an error (inih's buffer limit).
 *   - errors name the file and line: "default.ini:12: syntax error: ...".
 * The whole file text is kept (it is stored with every run).
 *
 * Choices made in sim/ini.c (its top comment has the full list):
 *   - the file must be UTF-8 text: a NUL byte or invalid UTF-8 is an error naming
 *     line and column; a UTF-8 BOM and CRLF line ends are accepted; an empty file is
 *     valid (zero entries).  Indented lines are ordinary lines (no continuations).
 *   - only '=' separates key and value ("key: value" is refused); a section opened
 *     twice is an error naming both lines; section names may not contain [ ; = $ { }.
 *   - in [expect], a line whose first '=' is part of <=, >=, ==, != (or that has no
 *     '=') is an expectation "#N"; a line with a plain '=' is an ordinary key.
 *   - sim_ini_apply_override: split at the first '='; the longest section of the
 *     scenario followed by '.' names the section ("vm web.workload.mean=3GiB" is
 *     section "vm web", key "workload.mean"); with no such section, the text before
 *     the first '.'.  The value is trimmed and taken literally (no ';' comments).
 */
#ifndef SIM_INI_H
#define SIM_INI_H

#include "sim/types.h"

#define SIM_INI_MAX_LINE 199

typedef struct sim_ini_entry {
    char *section;   /* "simulation", "vm web" */
    char *key;
    char *value;
    int line;        /* 1-based line in the file; 0 for --set overrides */
} sim_ini_entry_t;

typedef struct sim_ini {
    char *path;      /* file name used in messages ("<string>" for strings) */
    char *text;      /* the whole file text */
    sim_ini_entry_t *entries;
    size_t count, cap;
} sim_ini_t;

int sim_ini_load_file(const char *path, sim_ini_t **out, char *err, size_t errlen);
int sim_ini_load_string(const char *name, const char *text, sim_ini_t **out, char *err, size_t errlen);
void sim_ini_destroy(sim_ini_t *ini);                 /* accepts NULL */
sim_ini_t *sim_ini_clone(const sim_ini_t *ini);       /* deep copy; NULL when out of memory */

/* Replace the value of (section, key) or append it (line 0 = from --set).
 * Returns 0 or SIM_ENOMEM. */
int sim_ini_set(sim_ini_t *ini, const char *section, const char *key, const char *value, int line);
/* Apply "section.key=value" (the --set syntax; the section may contain a space,
 * e.g. "vm web.count=4").  Returns 0 or SIM_EINPUT with a message. */
int sim_ini_apply_override(sim_ini_t *ini, const char *assignment, char *err, size_t errlen);
/* Value of (section, key) or NULL; the entry itself with sim_ini_find. */
const char *sim_ini_get(const sim_ini_t *ini, const char *section, const char *key);
const sim_ini_entry_t *sim_ini_find(const sim_ini_t *ini, const char *section, const char *key);

#endif
