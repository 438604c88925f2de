/*
 * sim/study.c -- parameter studies: ${...} axes in scenario values expanded into runs.
 *
 * Follows OMNeT++'s parameter studies (OMNeT++ Simulation Manual, section 10.4
 * "Parameter Studies": ${...} iteration variables, named variables, "!" parallel
 * iteration), restricted to what sim/study.h documents.  The grammar inside ${ }:
 *
 *     placeholder := "${" body "}"
 *     body        := IDENT                          a reference to a named axis
 *                  | [IDENT "="] items ["!" IDENT]  an axis, optionally named, optionally
 *                                                   locked to the named axis after '!'
 *     items       := item ("," item)*
 *     item        := NUMBER ".." NUMBER ["step" NUMBER]      a range (inclusive)
 *                  | any text without , ! } or ${            a literal value (trimmed)
 *     NUMBER      := [+-] digits ["." digits] [(e|E) [+-] digits] [UNIT]   UNIT = [A-Za-z%/]*
 *
 * Rules chosen (a researcher's expectations, OMNeT++ where it has one):
 *   1. An item is a range when it starts like a number (sign, digit, or '.' and a
 *      digit) and contains ".."; such an item must then be a well-formed range, so a
 *      typo is not silently a text value.  "../traces/a.csv" is text.  Ranges and
 *      literals mix in one list: ${1..3, 10} is 1, 2, 3, 10 (as in OMNeT++).
 *   2. Range values are from + i*step for i = 0, 1, ... (computed from the integer
 *      index, never accumulated), while from + i*step <= to + 1e-9*|step| (so
 *      ${0.1..0.5 step 0.1} ends at 0.5), printed with "%.15g" followed by the unit
 *      exactly as written: ${1GiB..4GiB step 1GiB} is 1GiB, 2GiB, 3GiB, 4GiB.  All
 *      numbers of a range carry the same unit or none (no conversion: write
 *      ${512MiB..4096MiB step 512MiB}, not ${512MiB..4GiB step 512MiB}).  step
 *      defaults to 1; step 0 is an error, and so is a step whose sign does not lead
 *      from `from` to `to` (${10..1} needs "step -1").  At most SIM_STUDY_MAX_VALUES
 *      values per range and per axis, and 4 x SIM_STUDY_MAX_VALUES over all axes.
 *   3. A body that is exactly an identifier is a reference (so a one-value literal
 *      axis of a bare word is written ${x=word}).  References and '!' targets may
 *      appear before or after the definition in the file: all definitions are
 *      collected first.  A reference to an undefined name is an error (so a shell
 *      style "${HOME}" in a path is reported, not passed on).  A name defined twice
 *      is an error naming both places.  There is no escape for a literal "${".
 *   4. Axes are numbered in order of appearance (entries in file order, then left to
 *      right in a value).  An unnamed axis is named "section.key" after its entry; a
 *      second unnamed axis in the same value is "section.key#2", and so on.
 *   5. Lock-step axes (joined through '!', transitively) form one dimension and must
 *      have the same number of values.  Dimensions are ordered by their first axis;
 *      the first dimension varies slowest, repetition fastest:
 *          run = point * repeat + rep,   point = sum_d index_d * stride_d,
 *          stride_d = product of the lengths of the dimensions after d.
 *      Without axes a study has one point.
 *   6. Errors name file:line, [section] and key of the entry (or "--set" for line 0)
 *      and the ${...} text.
 *
 * Known answer: "a = ${x=1..3}\nb = ${p, q}\n" with repeat 2 has 12 runs; run 7 is
 * point 3 (x index 1, b index 1): a = 2, b = q, repetition 1.
 *
 * Ownership: a study keeps its own copy of the scenario; run scenarios are fresh
 * copies owned by the caller.  Memory is O(total axis values + template size).
 */
#include "sim/err.h"
#include "sim/study.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NO_AXIS ((size_t)-1)

typedef struct axis {
    char *name;          /* "tau", or "section.key" for an unnamed axis */
    int named;
    char **values;       /* count values, as text */
    size_t count, cap;
    char *lock;          /* name after '!', or NULL */
    size_t entry;        /* index of the defining entry */
    char *text;          /* the "${...}" text, for messages */
    size_t parent;       /* union-find over lock-step links */
    size_t dim;          /* the dimension it moves with */
} axis_t;

/* A piece of a value: literal text, or the current value of an axis. */
typedef struct part {
    char *literal;       /* NULL for an axis */
    size_t axis;
    char *ref;           /* while expanding: name of a reference, resolved later */
    char *text;          /* "${name}" of a reference, for messages */
} part_t;

/* The value of an entry that holds at least one ${...}. */
typedef struct templ {
    size_t entry;
    part_t *parts;
    size_t nparts, cap;
} templ_t;

struct sim_study {
    sim_ini_t *ini;      /* our copy of the scenario, ${...} unexpanded */
    int64_t repeat;
    axis_t *axes;
    size_t naxes, capaxes;
    templ_t *templs;
    size_t ntempls, captempls;
    size_t ndims;
    size_t *dim_len;     /* values per dimension, slowest first */
    size_t *dim_stride;  /* points per index step of the dimension */
    size_t points, runs;
    size_t total_values; /* over all axes, bounded by MAX_TOTAL_VALUES */
};

/* At most this many values over all axes of a study (rule 2).  Without it a 16 MiB
 * scenario of "${0..999999}" lines made millions of strings per line before the point
 * count could overflow (found while writing fuzz/fuzz_study; 16 such axes took 6 s and
 * 630 MB): four times the largest axis leaves room for an axis of SIM_STUDY_MAX_VALUES
 * and its lock-step partners. */
#define MAX_TOTAL_VALUES (4 * (size_t)SIM_STUDY_MAX_VALUES)

/* ---------------------------------------------------------------- helpers */

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Trim s[0..*n) in place: returns the new start, updates *n. */
static const char *trim(const char *s, size_t *n)
{
    while (*n > 0 && is_space(*s)) {
        s++;
        (*n)--;
    }
    while (*n > 0 && is_space(s[*n - 1]))
        (*n)--;
    return s;
}

/* Length of the identifier at the start of s[0..n) (0 if none). */
static size_t ident_len(const char *s, size_t n)
{
    if (n == 0 || !is_alpha(s[0]))
        return 0;
    size_t i = 1;
    while (i < n && (is_alpha(s[i]) || is_digit(s[i])))
        i++;
    return i;
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d != NULL) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* "file:12" or "--set" for an entry, into buf. */
static void where(const sim_study_t *s, size_t entry, char *buf, size_t len)
{
    const sim_ini_entry_t *e = &s->ini->entries[entry];
    if (e->line > 0)
        snprintf(buf, len, "%s:%d", s->ini->path, e->line);
    else
        snprintf(buf, len, "--set");
}

/* An input error at entry `entry`: "file:12: [policy] idle_tax: <message>". */
static int entry_error(const sim_study_t *s, size_t entry, char *err, size_t errlen,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int entry_error(const sim_study_t *s, size_t entry, char *err, size_t errlen,
                       const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return SIM_EINPUT;
    const sim_ini_entry_t *e = &s->ini->entries[entry];
    char loc[300];
    where(s, entry, loc, sizeof(loc));
    int n = snprintf(err, errlen, "%s: [%s] %s: ", loc, e->section, e->key);
    if (n >= 0 && (size_t)n < errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return SIM_EINPUT;
}

static int nomem(char *err, size_t errlen)
{
    sim_set_err(err, errlen, "out of memory while expanding the parameter study");
    return SIM_ENOMEM;
}

/* ---------------------------------------------------------------- building */

static int axis_push_value(axis_t *a, char *v)   /* takes v */
{
    if (v == NULL)
        return SIM_ENOMEM;
    if (a->count == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 8;
        char **p = realloc(a->values, cap * sizeof(*p));
        if (p == NULL) {
            free(v);
            return SIM_ENOMEM;
        }
        a->values = p;
        a->cap = cap;
    }
    a->values[a->count++] = v;
    return 0;
}

static part_t *templ_add(templ_t *t)
{
    if (t->nparts == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 4;
        part_t *p = realloc(t->parts, cap * sizeof(*p));
        if (p == NULL)
            return NULL;
        t->parts = p;
        t->cap = cap;
    }
    part_t *p = &t->parts[t->nparts++];
    memset(p, 0, sizeof(*p));
    p->axis = NO_AXIS;
    return p;
}

static axis_t *study_add_axis(sim_study_t *s)
{
    if (s->naxes == s->capaxes) {
        size_t cap = s->capaxes ? 2 * s->capaxes : 8;
        axis_t *a = realloc(s->axes, cap * sizeof(*a));
        if (a == NULL)
            return NULL;
        s->axes = a;
        s->capaxes = cap;
    }
    axis_t *a = &s->axes[s->naxes++];
    memset(a, 0, sizeof(*a));
    a->parent = s->naxes - 1;
    a->dim = NO_AXIS;
    return a;
}

/* Does item s[0..n) start like a number? */
static int starts_numeric(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    if (i < n && is_digit(s[i]))
        return 1;
    return i + 1 < n && s[i] == '.' && is_digit(s[i + 1]);
}

/* Parse a NUMBER[UNIT] token s[0..n).  Returns 0, or -1 when it is not one. */
static int parse_number(const char *s, size_t n, double *v, const char **unit, size_t *unitlen)
{
    size_t i = 0, digits = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    while (i < n && is_digit(s[i])) {
        i++;
        digits++;
    }
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && is_digit(s[i])) {
            i++;
            digits++;
        }
    }
    if (digits == 0)
        return -1;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {   /* no unit starts with e */
        size_t j = i + 1;
        if (j < n && (s[j] == '+' || s[j] == '-'))
            j++;
        if (j >= n || !is_digit(s[j]))
            return -1;
        while (j < n && is_digit(s[j]))
            j++;
        i = j;
    }
    char num[64];
    if (i >= sizeof(num))
        return -1;
    memcpy(num, s, i);
    num[i] = '\0';
    *v = strtod(num, NULL);
    if (!isfinite(*v))
        return -1;
    *unit = s + i;
    *unitlen = n - i;
    for (size_t k = i; k < n; k++)
        if (!is_alpha(s[k]) && s[k] != '%' && s[k] != '/')
            return -1;
    return 0;
}

/* Expand the range item s[0..n) ("FROM..TO [step STEP]") into axis a. */
static int expand_range(sim_study_t *s, size_t entry, axis_t *a, const char *item, size_t n,
                        char *err, size_t errlen)
{
    const char *dd = NULL;
    for (size_t i = 0; i + 1 < n; i++)
        if (item[i] == '.' && item[i + 1] == '.') {
            dd = item + i;
            break;
        }
    assert(dd != NULL);
    /* tokens: FROM, then TO [step STEP] split at white space */
    const char *tok[4];
    size_t toklen[4], ntok = 0;
    size_t fn = (size_t)(dd - item);
    tok[0] = trim(item, &fn);
    toklen[0] = fn;
    ntok = 1;
    const char *p = dd + 2, *end = item + n;
    while (p < end) {
        while (p < end && is_space(*p))
            p++;
        if (p == end)
            break;
        const char *q = p;
        while (q < end && !is_space(*q))
            q++;
        if (ntok == 4) {
            ntok++;
            break;
        }
        tok[ntok] = p;
        toklen[ntok++] = (size_t)(q - p);
        p = q;
    }
    int well_formed = (ntok == 2) ||
                      (ntok == 4 && toklen[2] == 4 && memcmp(tok[2], "step", 4) == 0);
    double v[3] = { 0, 0, 1 };
    const char *unit[3] = { "", "", NULL };
    size_t unitlen[3] = { 0, 0, 0 };
    for (size_t k = 0; well_formed && k < ntok; k++) {
        if (k == 2)
            continue;
        size_t slot = k == 3 ? 2 : k;
        if (parse_number(tok[k], toklen[k], &v[slot], &unit[slot], &unitlen[slot]) != 0)
            well_formed = 0;
    }
    if (!well_formed)
        return entry_error(s, entry, err, errlen,
                           "malformed range '%.*s' in %s: expected FROM..TO or FROM..TO step STEP",
                           (int)n, item, a->text);
    if (unitlen[0] != unitlen[1] || memcmp(unit[0], unit[1], unitlen[0]) != 0 ||
        (unit[2] != NULL && (unitlen[2] != unitlen[0] || memcmp(unit[2], unit[0], unitlen[0]) != 0)))
        return entry_error(s, entry, err, errlen,
                           "the numbers of range '%.*s' in %s must carry the same unit "
                           "(or none): there is no conversion", (int)n, item, a->text);
    double from = v[0], to = v[1], step = v[2];
    if (step == 0)
        return entry_error(s, entry, err, errlen, "step must not be 0 in range '%.*s' in %s",
                           (int)n, item, a->text);
    double diff = to - from;
    if (diff != 0 && (diff > 0) != (step > 0))
        return entry_error(s, entry, err, errlen,
                           "step has the wrong sign in range '%.*s' in %s: it never reaches %.*s%s",
                           (int)n, item, a->text, (int)toklen[1], tok[1],
                           step > 0 && diff < 0 ? " (use a negative step to count down)" : "");
    double q = diff / step;         /* >= 0 */
    if (!(q < (double)SIM_STUDY_MAX_VALUES))
        return entry_error(s, entry, err, errlen,
                           "range '%.*s' in %s has more than %d points", (int)n, item, a->text,
                           SIM_STUDY_MAX_VALUES);
    size_t k = (size_t)floor(q);
    double tol = 1e-9 * fabs(step);
    if (step > 0 ? from + (double)(k + 1) * step <= to + tol
                 : from + (double)(k + 1) * step >= to - tol)
        k++;
    size_t count = k + 1;
    if (count > SIM_STUDY_MAX_VALUES || a->count + count > SIM_STUDY_MAX_VALUES)
        return entry_error(s, entry, err, errlen, "range '%.*s' in %s has more than %d points",
                           (int)n, item, a->text, SIM_STUDY_MAX_VALUES);
    if (s->total_values + count > MAX_TOTAL_VALUES)
        return entry_error(s, entry, err, errlen, "range '%.*s' in %s makes the study's axes "
                           "hold more than %zu values in all", (int)n, item, a->text, MAX_TOTAL_VALUES);
    s->total_values += count;
    for (size_t i = 0; i < count; i++) {
        double x = from + (double)i * step;
        if (x == 0)
            x = 0;                  /* no "-0" */
        char buf[96];
        snprintf(buf, sizeof(buf), "%.15g%.*s", x, (int)unitlen[0], unit[0]);
        if (axis_push_value(a, strdup(buf)) != 0)
            return nomem(err, errlen);
    }
    return 0;
}

/* One placeholder: open points at "${", close at its '}'.  Adds a part to t. */
static int parse_placeholder(sim_study_t *s, size_t entry, templ_t *t, const char *open,
                             const char *close, unsigned *unnamed, char *err, size_t errlen)
{
    char *text = dup_n(open, (size_t)(close - open) + 1);
    if (text == NULL)
        return nomem(err, errlen);
    size_t bn = (size_t)(close - open) - 2;
    const char *b = trim(open + 2, &bn);
    if (bn == 0) {
        entry_error(s, entry, err, errlen, "empty list in %s", text);
        free(text);
        return SIM_EINPUT;
    }
    part_t *part = templ_add(t);
    if (part == NULL) {
        free(text);
        return nomem(err, errlen);
    }
    if (ident_len(b, bn) == bn) {                   /* ${name}: a reference */
        part->ref = dup_n(b, bn);
        part->text = text;
        return part->ref ? 0 : nomem(err, errlen);
    }

    axis_t *a = study_add_axis(s);
    if (a == NULL) {
        free(text);
        return nomem(err, errlen);
    }
    a->entry = entry;
    a->text = text;
    part->axis = s->naxes - 1;

    /* [IDENT "="] */
    size_t il = ident_len(b, bn), j = il;
    while (j < bn && is_space(b[j]))
        j++;
    const char *spec = b;
    size_t sn = bn;
    if (il > 0 && j < bn && b[j] == '=' && (j + 1 == bn || b[j + 1] != '=')) {
        a->named = 1;
        a->name = dup_n(b, il);
        spec = b + j + 1;
        sn = bn - j - 1;
    } else if (b[0] == '=') {
        return entry_error(s, entry, err, errlen, "missing axis name before '=' in %s", text);
    } else {
        const sim_ini_entry_t *e = &s->ini->entries[entry];
        char name[600];
        (*unnamed)++;
        if (*unnamed == 1)
            snprintf(name, sizeof(name), "%s.%s", e->section, e->key);
        else
            snprintf(name, sizeof(name), "%s.%s#%u", e->section, e->key, *unnamed);
        a->name = strdup(name);
    }
    if (a->name == NULL)
        return nomem(err, errlen);

    /* ["!" IDENT] */
    const char *bang = NULL;
    for (size_t i = 0; i < sn; i++)
        if (spec[i] == '!')
            bang = spec + i;
    if (bang != NULL) {
        size_t ln = (size_t)(spec + sn - bang - 1);
        const char *l = trim(bang + 1, &ln);
        if (ln == 0 || ident_len(l, ln) != ln)
            return entry_error(s, entry, err, errlen,
                               "expected the name of an axis after '!' in %s", text);
        a->lock = dup_n(l, ln);
        if (a->lock == NULL)
            return nomem(err, errlen);
        sn = (size_t)(bang - spec);
    }
    spec = trim(spec, &sn);
    if (sn == 0)
        return entry_error(s, entry, err, errlen, "empty list in %s", text);

    /* items */
    const char *p = spec, *end = spec + sn;
    for (;;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *ie = comma ? comma : end;
        size_t in = (size_t)(ie - p);
        const char *item = trim(p, &in);
        if (in == 0)
            return entry_error(s, entry, err, errlen, "empty item in %s", text);
        int is_range = 0;
        if (starts_numeric(item, in))
            for (size_t i = 0; i + 1 < in; i++)
                if (item[i] == '.' && item[i + 1] == '.')
                    is_range = 1;
        if (is_range) {
            int rc = expand_range(s, entry, a, item, in, err, errlen);
            if (rc != 0)
                return rc;
        } else {
            if (a->count + 1 > SIM_STUDY_MAX_VALUES)
                return entry_error(s, entry, err, errlen, "axis %s has more than %d values",
                                   text, SIM_STUDY_MAX_VALUES);
            if (s->total_values + 1 > MAX_TOTAL_VALUES)
                return entry_error(s, entry, err, errlen, "axis %s makes the study's axes hold "
                                   "more than %zu values in all", text, MAX_TOTAL_VALUES);
            s->total_values++;
            if (axis_push_value(a, dup_n(item, in)) != 0)
                return nomem(err, errlen);
        }
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    return 0;
}

/* Split the value of entry `entry` into a template if it holds a ${...}. */
static int parse_entry(sim_study_t *s, size_t entry, char *err, size_t errlen)
{
    const char *v = s->ini->entries[entry].value;
    if (strstr(v, "${") == NULL)
        return 0;
    if (s->ntempls == s->captempls) {
        size_t cap = s->captempls ? 2 * s->captempls : 8;
        templ_t *tt = realloc(s->templs, cap * sizeof(*tt));
        if (tt == NULL)
            return nomem(err, errlen);
        s->templs = tt;
        s->captempls = cap;
    }
    templ_t *t = &s->templs[s->ntempls++];
    memset(t, 0, sizeof(*t));
    t->entry = entry;
    unsigned unnamed = 0;
    const char *p = v, *open;
    while ((open = strstr(p, "${")) != NULL) {
        if (open > p) {
            part_t *lit = templ_add(t);
            if (lit == NULL || (lit->literal = dup_n(p, (size_t)(open - p))) == NULL)
                return nomem(err, errlen);
        }
        const char *close = NULL;
        for (const char *q = open + 2; *q != '\0'; q++) {
            if (q[0] == '$' && q[1] == '{')
                return entry_error(s, entry, err, errlen,
                                   "nested ${ inside ${...} in '%s' (a ${...} cannot hold another)", v);
            if (*q == '}') {
                close = q;
                break;
            }
        }
        if (close == NULL)
            return entry_error(s, entry, err, errlen,
                               "unbalanced ${...}: no closing '}' in '%s'", v);
        int rc = parse_placeholder(s, entry, t, open, close, &unnamed, err, errlen);
        if (rc != 0)
            return rc;
        p = close + 1;
    }
    if (*p != '\0') {
        part_t *lit = templ_add(t);
        if (lit == NULL || (lit->literal = strdup(p)) == NULL)
            return nomem(err, errlen);
    }
    return 0;
}

static size_t find_named(const sim_study_t *s, const char *name)
{
    for (size_t i = 0; i < s->naxes; i++)
        if (s->axes[i].named && strcmp(s->axes[i].name, name) == 0)
            return i;
    return NO_AXIS;
}

static size_t uf_find(sim_study_t *s, size_t a)
{
    while (s->axes[a].parent != a) {
        s->axes[a].parent = s->axes[s->axes[a].parent].parent;
        a = s->axes[a].parent;
    }
    return a;
}

/* Resolve references and lock-step links, build dimensions and strides. */
static int resolve(sim_study_t *s, char *err, size_t errlen)
{
    for (size_t i = 0; i < s->naxes; i++) {
        if (!s->axes[i].named)
            continue;
        size_t first = find_named(s, s->axes[i].name);
        if (first != i) {
            char loc[300];
            where(s, s->axes[first].entry, loc, sizeof(loc));
            return entry_error(s, s->axes[i].entry, err, errlen,
                               "axis '%s' is defined twice (first in %s at %s)",
                               s->axes[i].name, s->axes[first].text, loc);
        }
    }
    for (size_t i = 0; i < s->ntempls; i++)
        for (size_t k = 0; k < s->templs[i].nparts; k++) {
            part_t *p = &s->templs[i].parts[k];
            if (p->ref == NULL)
                continue;
            p->axis = find_named(s, p->ref);
            if (p->axis == NO_AXIS)
                return entry_error(s, s->templs[i].entry, err, errlen,
                                   "unknown reference %s: no axis is named '%s' "
                                   "(define it with ${%s=...})", p->text, p->ref, p->ref);
        }
    for (size_t i = 0; i < s->naxes; i++) {
        axis_t *a = &s->axes[i];
        if (a->lock == NULL)
            continue;
        size_t t = find_named(s, a->lock);
        if (t == NO_AXIS)
            return entry_error(s, a->entry, err, errlen,
                               "unknown reference '!%s' in %s: no axis is named '%s'",
                               a->lock, a->text, a->lock);
        if (s->axes[t].count != a->count)
            return entry_error(s, a->entry, err, errlen,
                               "lock-step axes differ in length: '%s' has %zu values, '%s' has %zu",
                               a->name, a->count, s->axes[t].name, s->axes[t].count);
        size_t ra = uf_find(s, i), rt = uf_find(s, t);
        if (ra != rt)
            s->axes[ra > rt ? ra : rt].parent = ra > rt ? rt : ra;   /* root = earliest axis */
    }
    /* Dimensions in order of their first axis. */
    s->dim_len = malloc((s->naxes ? s->naxes : 1) * sizeof(size_t));
    s->dim_stride = malloc((s->naxes ? s->naxes : 1) * sizeof(size_t));
    if (s->dim_len == NULL || s->dim_stride == NULL)
        return nomem(err, errlen);
    for (size_t i = 0; i < s->naxes; i++) {
        size_t r = uf_find(s, i);
        if (r == i) {
            s->axes[i].dim = s->ndims;
            s->dim_len[s->ndims++] = s->axes[i].count;
        } else {
            s->axes[i].dim = s->axes[r].dim;   /* r < i: assigned already */
        }
    }
    size_t points = 1;
    for (size_t d = s->ndims; d-- > 0;) {
        s->dim_stride[d] = points;
        if (points > SIZE_MAX / s->dim_len[d])
            return entry_error(s, s->axes[0].entry, err, errlen,
                               "the study has too many points to count");
        points *= s->dim_len[d];
    }
    s->points = points;
    if ((uint64_t)s->repeat > SIZE_MAX / points) {
        sim_set_err(err, errlen, "%s: the study has too many runs to count (%zu points x %lld repetitions)",
                s->ini->path, points, (long long)s->repeat);
        return SIM_EINPUT;
    }
    s->runs = points * (size_t)s->repeat;
    return 0;
}

/* ---------------------------------------------------------------- public */

int sim_study_expand(const sim_ini_t *ini, int64_t repeat, sim_study_t **out, char *err, size_t errlen)
{
    assert(ini != NULL && out != NULL);
    *out = NULL;
    if (repeat < 1) {
        sim_set_err(err, errlen, "%s: repeat must be >= 1 (got %lld)", ini->path, (long long)repeat);
        return SIM_EINPUT;
    }
    sim_study_t *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return nomem(err, errlen);
    s->repeat = repeat;
    s->ini = sim_ini_clone(ini);
    if (s->ini == NULL) {
        sim_study_destroy(s);
        return nomem(err, errlen);
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < s->ini->count; i++)
        rc = parse_entry(s, i, err, errlen);
    if (rc == 0)
        rc = resolve(s, err, errlen);
    if (rc != 0) {
        sim_study_destroy(s);
        return rc;
    }
    *out = s;
    return 0;
}

void sim_study_destroy(sim_study_t *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->naxes; i++) {
        axis_t *a = &s->axes[i];
        for (size_t k = 0; k < a->count; k++)
            free(a->values[k]);
        free(a->values);
        free(a->name);
        free(a->lock);
        free(a->text);
    }
    free(s->axes);
    for (size_t i = 0; i < s->ntempls; i++) {
        for (size_t k = 0; k < s->templs[i].nparts; k++) {
            free(s->templs[i].parts[k].literal);
            free(s->templs[i].parts[k].ref);
            free(s->templs[i].parts[k].text);
        }
        free(s->templs[i].parts);
    }
    free(s->templs);
    free(s->dim_len);
    free(s->dim_stride);
    sim_ini_destroy(s->ini);
    free(s);
}

size_t sim_study_runs(const sim_study_t *s) { return s->runs; }
size_t sim_study_points(const sim_study_t *s) { return s->points; }
size_t sim_study_axes(const sim_study_t *s) { return s->naxes; }

const char *sim_study_axis_name(const sim_study_t *s, size_t axis)
{
    return axis < s->naxes ? s->axes[axis].name : NULL;
}

size_t sim_study_axis_length(const sim_study_t *s, size_t axis)
{
    return axis < s->naxes ? s->axes[axis].count : 0;
}

const char *sim_study_axis_value(const sim_study_t *s, size_t run, size_t axis)
{
    if (axis >= s->naxes || run >= s->runs)
        return NULL;
    const axis_t *a = &s->axes[axis];
    size_t point = run / (size_t)s->repeat;
    size_t idx = (point / s->dim_stride[a->dim]) % s->dim_len[a->dim];
    return a->values[idx];
}

int sim_study_run(const sim_study_t *s, size_t run, sim_ini_t **out, sim_study_run_info_t *info,
                  char *err, size_t errlen)
{
    assert(s != NULL && out != NULL);
    *out = NULL;
    if (run >= s->runs) {
        sim_set_err(err, errlen, "%s: run %zu does not exist: the study has %zu runs (0..%zu)",
                s->ini->path, run, s->runs, s->runs - 1);
        return SIM_EINPUT;
    }
    sim_ini_t *c = sim_ini_clone(s->ini);
    if (c == NULL)
        return nomem(err, errlen);
    for (size_t i = 0; i < s->ntempls; i++) {
        const templ_t *t = &s->templs[i];
        size_t len = 0;
        for (size_t k = 0; k < t->nparts; k++) {
            const part_t *p = &t->parts[k];
            len += strlen(p->literal ? p->literal : sim_study_axis_value(s, run, p->axis));
        }
        char *v = malloc(len + 1), *o = v;
        if (v == NULL) {
            sim_ini_destroy(c);
            return nomem(err, errlen);
        }
        for (size_t k = 0; k < t->nparts; k++) {
            const part_t *p = &t->parts[k];
            const char *x = p->literal ? p->literal : sim_study_axis_value(s, run, p->axis);
            size_t n = strlen(x);
            memcpy(o, x, n);
            o += n;
        }
        *o = '\0';
        free(c->entries[t->entry].value);
        c->entries[t->entry].value = v;
    }
    if (info != NULL) {
        info->run = run;
        info->point = run / (size_t)s->repeat;
        info->repetition = (int64_t)(run % (size_t)s->repeat);
        info->axes[0] = '\0';
        size_t used = 0, cap = sizeof(info->axes);
        for (size_t i = 0; i < s->naxes; i++) {
            int n = snprintf(info->axes + used, cap - used, "%s%s=%s", i ? ", " : "",
                             s->axes[i].name, sim_study_axis_value(s, run, i));
            if (n < 0 || (size_t)n >= cap - used) {
                memcpy(info->axes + cap - 4, "...", 4);   /* truncated */
                break;
            }
            used += (size_t)n;
        }
    }
    *out = c;
    return 0;
}
