/*
 * sim/keys.c -- declarative tables of scenario keys: parse, range-check, defaults,
 * canonical format, "did you mean", and help text (sim/keys.h is the contract).
 *
 * Storage by type is listed in keys.h; values are parsed by sim/units.c, so a key's
 * stored unit is bytes, ns, bytes/s, or a plain fraction (0.2 for "20%").
 *
 * Ranges.  A row's [min, max] is in stored units.  min > max (SIM_NO_RANGE) disables
 * the check; an infinite bound (SIM_KEY_UNBOUNDED, or -SIM_KEY_UNBOUNDED) leaves that
 * side open.  INT, BYTES and DURATION values are compared in long double, which holds
 * every int64 exactly on x86-64.  A failed check names only the violated side, with
 * the bound in the key's own unit: "'-1GiB' is out of range: must be >= 0B",
 * "'150%' is out of range: must be <= 100%".  BOOL, STRING and CHOICE have no range.
 *
 * Text rules.  BOOL accepts yes/no, true/false, on/off, 1/0 (any case) and formats as
 * yes/no.  CHOICE accepts one of the '|'-separated choices, ignoring case, and stores
 * the table's spelling; otherwise the message lists the choices and, when one is
 * close, suggests it.  STRING and CHOICE values must fit SIM_STR_MAX - 1 bytes.
 * sim_keys_format writes the canonical text (sim_units_format_*; fractions as
 * percentages, "20%"), which sim_keys_parse reads back to the same stored value.
 *
 * Suggestions.  sim_keys_nearest uses the optimal-string-alignment distance
 * (Levenshtein with adjacent transpositions as one edit, so "memroy" is 1 edit from
 * "memory"), ignoring case.  A key is suggested when its distance is within a limit
 * scaled to the length of the typed name (1 edit up to 4 characters, 2 up to 8, else
 * 3); failing that, when one name is a prefix or suffix of the other and the shorter
 * has at least 3 characters ("inflate" -> "inflate_rate", "mean" -> "workload.mean").
 * Ties go to the first key in table order, so suggestions are deterministic.
 *
 * Failure behaviour: parse returns SIM_EINPUT with a message (the value echoed, no
 * file/section/key: the caller adds those); defaults return SIM_EINTERNAL if a table's
 * default does not parse or is out of its range (a bug in the table).  Nothing exits;
 * only sim_keys_print writes, to the FILE it is given.
 */
#include "sim/keys.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim/units.h"

#define FIELD(p, k, T)  ((T *)(void *)((char *)(p) + (k)->offset))
#define CFIELD(p, k, T) ((const T *)(const void *)((const char *)(p) + (k)->offset))
#define ECHO "'%.80s'"
#define NAME_MAX_EDIT 64          /* names longer than this get no edit distance */

/* ---------------------------------------------------------------- lookup and names */

const sim_key_t *sim_keys_find(const sim_key_table_t *t, const char *name)
{
    for (size_t i = 0; i < t->count; i++)
        if (strcmp(t->keys[i].name, name) == 0)
            return &t->keys[i];
    return NULL;
}

const char *sim_keys_type_name(sim_key_type_t type)
{
    switch (type) {
    case SIM_KEY_INT:      return "integer";
    case SIM_KEY_REAL:     return "number";
    case SIM_KEY_BYTES:    return "size";
    case SIM_KEY_DURATION: return "duration";
    case SIM_KEY_RATE:     return "rate";
    case SIM_KEY_FRACTION: return "fraction";
    case SIM_KEY_BOOL:     return "bool";
    case SIM_KEY_STRING:   return "string";
    case SIM_KEY_CHOICE:   return "choice";
    }
    return "unknown";
}

/* ---------------------------------------------------------------- ranges */

static int has_range(const sim_key_t *k)
{
    switch (k->type) {
    case SIM_KEY_BOOL: case SIM_KEY_STRING: case SIM_KEY_CHOICE:
        return 0;
    default:
        return !(k->min > k->max);
    }
}

/* A value of an integer-valued key (INT, BYTES, DURATION) and of a real-valued one
 * (REAL, RATE, FRACTION), in the key's unit. */
static void format_int_like(sim_key_type_t type, int64_t v, char *buf, size_t len)
{
    if (type == SIM_KEY_BYTES)
        sim_units_format_bytes(v, buf, len);
    else if (type == SIM_KEY_DURATION)
        sim_units_format_duration(v, buf, len);
    else
        snprintf(buf, len, "%lld", (long long)v);
}

static void format_real_like(sim_key_type_t type, double v, char *buf, size_t len)
{
    if (type == SIM_KEY_RATE)
        sim_units_format_rate(v, buf, len);
    else if (type == SIM_KEY_FRACTION)
        sim_units_format_fraction(v, buf, len);
    else
        sim_units_format_number(v, buf, len);
}

/* A bound in the key's unit: "0B", "1s", "100%", "4KiB/s", "1000". */
static void format_bound(const sim_key_t *k, double v, char *buf, size_t len)
{
    int int_like = k->type == SIM_KEY_INT || k->type == SIM_KEY_BYTES || k->type == SIM_KEY_DURATION;
    if (int_like && !(v > -9223372036854775808.0 && v < 9223372036854775808.0)) {
        sim_units_format_number(v, buf, len);      /* beyond int64: plain number */
        if (k->type != SIM_KEY_INT && isfinite(v))
            snprintf(buf + strlen(buf), len - strlen(buf), "%s", k->type == SIM_KEY_BYTES ? "B" : "ns");
        return;
    }
    if (int_like)
        format_int_like(k->type, (int64_t)llround(v), buf, len);
    else
        format_real_like(k->type, v, buf, len);
}

static int range_check(const sim_key_t *k, long double v, const char *value, char *err, size_t errlen)
{
    if (!has_range(k))
        return SIM_OK;
    char b[64];
    if (v < (long double)k->min) {
        format_bound(k, k->min, b, sizeof b);
        snprintf(err, errlen, ECHO " is out of range: must be >= %s", value, b);
        return SIM_EINPUT;
    }
    if (v > (long double)k->max) {
        format_bound(k, k->max, b, sizeof b);
        snprintf(err, errlen, ECHO " is out of range: must be <= %s", value, b);
        return SIM_EINPUT;
    }
    return SIM_OK;
}

/* ---------------------------------------------------------------- edit distance */

static int lower(int c)
{
    return tolower((unsigned char)c);
}

/* Optimal string alignment distance, ignoring case; SIZE_MAX if a name is too long.
 * Three rows of the dynamic-programming table: i-2, i-1 and i. */
static size_t osa_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > NAME_MAX_EDIT || lb > NAME_MAX_EDIT)
        return SIZE_MAX;
    size_t rows[3][NAME_MAX_EDIT + 1];
    size_t *r2 = rows[0], *r1 = rows[1], *r0 = rows[2];
    for (size_t j = 0; j <= lb; j++)
        r1[j] = j;
    for (size_t i = 1; i <= la; i++) {
        r0[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t c = r1[j - 1] + (lower(a[i - 1]) != lower(b[j - 1]));
            if (r1[j] + 1 < c)
                c = r1[j] + 1;
            if (r0[j - 1] + 1 < c)
                c = r0[j - 1] + 1;
            if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2])
                && lower(a[i - 2]) == lower(b[j - 1]) && r2[j - 2] + 1 < c)
                c = r2[j - 2] + 1;
            r0[j] = c;
        }
        size_t *t = r2;
        r2 = r1;
        r1 = r0;
        r0 = t;
    }
    return r1[lb];
}

static size_t edit_limit(const char *name)
{
    size_t n = strlen(name);
    return n <= 4 ? 1 : n <= 8 ? 2 : 3;
}

/* One name is a prefix or a suffix of the other, the shorter >= 3 characters. */
static int affix_related(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    const char *s = la <= lb ? a : b, *l = la <= lb ? b : a;
    size_t ls = la <= lb ? la : lb, ll = la <= lb ? lb : la;
    if (ls < 3)
        return 0;
    return strncasecmp(s, l, ls) == 0 || strcasecmp(s, l + ll - ls) == 0;
}

/* Best candidate among names (a '|'-list when `list` is set): see the header comment. */
typedef struct nearest {
    const char *best;      /* for a table: the key name; for a list: start of the item */
    size_t best_len;
    size_t best_d;
    const char *affix;
    size_t affix_len;
} nearest_t;

static void nearest_consider(nearest_t *nr, const char *typed, const char *cand, size_t cand_len)
{
    char tmp[NAME_MAX_EDIT + 2];
    if (cand_len > NAME_MAX_EDIT)
        return;
    memcpy(tmp, cand, cand_len);
    tmp[cand_len] = '\0';
    size_t d = osa_distance(typed, tmp);
    if (d <= edit_limit(typed) && d < nr->best_d) {
        nr->best = cand;
        nr->best_len = cand_len;
        nr->best_d = d;
    }
    if (!nr->affix && affix_related(typed, tmp)) {
        nr->affix = cand;
        nr->affix_len = cand_len;
    }
}

const char *sim_keys_nearest(const sim_key_table_t *const *tables, size_t ntables,
                             const char *name)
{
    nearest_t nr = { NULL, 0, SIZE_MAX, NULL, 0 };
    if (!name)
        return NULL;
    for (size_t t = 0; t < ntables; t++)
        for (size_t i = 0; tables[t] && i < tables[t]->count; i++) {
            const char *k = tables[t]->keys[i].name;
            nearest_consider(&nr, name, k, strlen(k));
        }
    return nr.best ? nr.best : nr.affix;
}

/* The choice nearest to value, copied into out; 0 if none is close. */
static int nearest_choice(const char *choices, const char *value, char *out, size_t len)
{
    nearest_t nr = { NULL, 0, SIZE_MAX, NULL, 0 };
    for (const char *c = choices; c && *c;) {
        size_t l = strcspn(c, "|");
        nearest_consider(&nr, value, c, l);
        c += l + (c[l] == '|');
    }
    const char *p = nr.best ? nr.best : nr.affix;
    size_t l = nr.best ? nr.best_len : nr.affix_len;
    if (!p)
        return 0;
    snprintf(out, len, "%.*s", (int)l, p);
    return 1;
}

/* "a, b, c" from "a|b|c". */
static void choice_list(const char *choices, char *out, size_t len)
{
    size_t k = 0;
    out[0] = '\0';
    for (const char *c = choices ? choices : ""; *c && k + 1 < len; c++) {
        if (*c == '|') {
            k += (size_t)snprintf(out + k, len - k, ", ");
            if (k >= len)
                break;
        } else {
            out[k++] = *c;
            out[k] = '\0';
        }
    }
}

/* ---------------------------------------------------------------- parse */

static int parse_bool(const char *value, int *out, char *err, size_t errlen)
{
    static const char *const yes[] = { "yes", "true", "on", "1" };
    static const char *const no[] = { "no", "false", "off", "0" };
    const char *b = value;
    while (isspace((unsigned char)*b))
        b++;
    size_t n = strlen(b);
    while (n > 0 && isspace((unsigned char)b[n - 1]))
        n--;
    for (int i = 0; i < 4; i++) {
        if (strlen(yes[i]) == n && strncasecmp(b, yes[i], n) == 0) {
            *out = 1;
            return SIM_OK;
        }
        if (strlen(no[i]) == n && strncasecmp(b, no[i], n) == 0) {
            *out = 0;
            return SIM_OK;
        }
    }
    snprintf(err, errlen, ECHO " is not a bool (use yes/no, true/false, on/off or 1/0)", value);
    return SIM_EINPUT;
}

static int parse_choice(const sim_key_t *k, const char *value, char *out, char *err, size_t errlen)
{
    size_t n = strlen(value);
    for (const char *c = k->choices ? k->choices : ""; *c;) {
        size_t l = strcspn(c, "|");
        if (l == n && strncasecmp(c, value, n) == 0) {
            memcpy(out, c, l);
            out[l] = '\0';
            return SIM_OK;
        }
        c += l + (c[l] == '|');
    }
    char list[SIM_ERR_MAX / 2], near[SIM_STR_MAX];
    choice_list(k->choices, list, sizeof list);
    if (nearest_choice(k->choices, value, near, sizeof near))
        snprintf(err, errlen, ECHO " is not a valid choice: use one of %s (did you mean '%s'?)",
                 value, list, near);
    else
        snprintf(err, errlen, ECHO " is not a valid choice: use one of %s", value, list);
    return SIM_EINPUT;
}

int sim_keys_parse(const sim_key_t *k, void *params, const char *value, char *err, size_t errlen)
{
    int rc;
    if (!value) {
        snprintf(err, errlen, "no value");
        return SIM_EINPUT;
    }
    switch (k->type) {
    case SIM_KEY_INT: case SIM_KEY_BYTES: case SIM_KEY_DURATION: {
        int64_t v;
        rc = k->type == SIM_KEY_INT ? sim_units_parse_int(value, &v, err, errlen)
           : k->type == SIM_KEY_BYTES ? sim_units_parse_bytes(value, &v, err, errlen)
           : sim_units_parse_duration(value, &v, err, errlen);
        if (rc == SIM_OK && (rc = range_check(k, (long double)v, value, err, errlen)) == SIM_OK)
            *FIELD(params, k, int64_t) = v;
        return rc;
    }
    case SIM_KEY_REAL: case SIM_KEY_RATE: case SIM_KEY_FRACTION: {
        double v;
        rc = k->type == SIM_KEY_REAL ? sim_units_parse_number(value, &v, err, errlen)
           : k->type == SIM_KEY_RATE ? sim_units_parse_rate(value, &v, err, errlen)
           : sim_units_parse_fraction(value, &v, err, errlen);
        if (rc == SIM_OK && (rc = range_check(k, (long double)v, value, err, errlen)) == SIM_OK)
            *FIELD(params, k, double) = v;
        return rc;
    }
    case SIM_KEY_BOOL: {
        int v;
        if ((rc = parse_bool(value, &v, err, errlen)) == SIM_OK)
            *FIELD(params, k, int) = v;
        return rc;
    }
    case SIM_KEY_STRING: case SIM_KEY_CHOICE: {
        size_t n = strlen(value);
        if (n >= SIM_STR_MAX) {
            snprintf(err, errlen, "'%.40s...' is too long (at most %d bytes)", value, SIM_STR_MAX - 1);
            return SIM_EINPUT;
        }
        if (k->type == SIM_KEY_CHOICE)
            return parse_choice(k, value, FIELD(params, k, char), err, errlen);
        memcpy(FIELD(params, k, char), value, n + 1);
        return SIM_OK;
    }
    }
    snprintf(err, errlen, "key '%s' has an unknown type %d", k->name, (int)k->type);
    return SIM_EINTERNAL;
}

int sim_keys_defaults(const sim_key_table_t *t, void *params, char *err, size_t errlen)
{
    for (size_t i = 0; i < t->count; i++) {
        const sim_key_t *k = &t->keys[i];
        if (!k->def) {
            switch (k->type) {
            case SIM_KEY_INT: case SIM_KEY_BYTES: case SIM_KEY_DURATION:
                *FIELD(params, k, int64_t) = 0;
                break;
            case SIM_KEY_REAL: case SIM_KEY_RATE: case SIM_KEY_FRACTION:
                *FIELD(params, k, double) = 0;
                break;
            case SIM_KEY_BOOL:
                *FIELD(params, k, int) = 0;
                break;
            case SIM_KEY_STRING: case SIM_KEY_CHOICE:
                FIELD(params, k, char)[0] = '\0';
                break;
            }
            continue;
        }
        char msg[SIM_ERR_MAX];
        if (sim_keys_parse(k, params, k->def, msg, sizeof msg) != SIM_OK) {
            snprintf(err, errlen, "internal error: the default of [%s] %s does not parse: %s",
                     t->section ? t->section : "?", k->name, msg);
            return SIM_EINTERNAL;
        }
    }
    return SIM_OK;
}

void sim_keys_format(const sim_key_t *k, const void *params, char *buf, size_t len)
{
    switch (k->type) {
    case SIM_KEY_INT: case SIM_KEY_BYTES: case SIM_KEY_DURATION:
        format_int_like(k->type, *CFIELD(params, k, int64_t), buf, len);
        return;
    case SIM_KEY_REAL: case SIM_KEY_RATE: case SIM_KEY_FRACTION:
        format_real_like(k->type, *CFIELD(params, k, double), buf, len);
        return;
    case SIM_KEY_BOOL:
        snprintf(buf, len, "%s", *CFIELD(params, k, int) ? "yes" : "no");
        return;
    case SIM_KEY_STRING: case SIM_KEY_CHOICE:
        snprintf(buf, len, "%s", CFIELD(params, k, char));
        return;
    }
    snprintf(buf, len, "?");
}

/* ---------------------------------------------------------------- help */

/* "[0B, 1TB]", ">= 1s", "<= 100%", "one of: a, b" or "-". */
static void range_text(const sim_key_t *k, char *buf, size_t len)
{
    if (k->type == SIM_KEY_CHOICE) {
        char list[SIM_ERR_MAX / 2];
        choice_list(k->choices, list, sizeof list);
        snprintf(buf, len, "one of: %s", list);
        return;
    }
    if (!has_range(k) || (isinf(k->min) && isinf(k->max))) {
        snprintf(buf, len, "-");
        return;
    }
    char a[64], b[64];
    format_bound(k, k->min, a, sizeof a);
    format_bound(k, k->max, b, sizeof b);
    if (isinf(k->max))
        snprintf(buf, len, ">= %s", a);
    else if (isinf(k->min))
        snprintf(buf, len, "<= %s", b);
    else
        snprintf(buf, len, "[%s, %s]", a, b);
}

static const char *default_text(const sim_key_t *k)
{
    return !k->def ? "(required)" : k->def[0] ? k->def : "\"\"";
}

/* Write s into a Markdown table cell: '|' escaped, newlines as spaces. */
static void md_cell(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else if (*s == '\n')
            fputc(' ', out);
        else
            fputc(*s, out);
    }
}

void sim_keys_print(FILE *out, const sim_key_table_t *t, int markdown)
{
    char range[SIM_ERR_MAX];
    if (markdown) {
        fputs("| key | type | default | range | help |\n", out);
        fputs("|---|---|---|---|---|\n", out);
        for (size_t i = 0; i < t->count; i++) {
            const sim_key_t *k = &t->keys[i];
            range_text(k, range, sizeof range);
            fputs("| `", out);
            md_cell(out, k->name);
            fprintf(out, "` | %s | ", sim_keys_type_name(k->type));
            if (k->def) {
                fputc('`', out);
                md_cell(out, default_text(k));
                fputc('`', out);
            } else {
                md_cell(out, default_text(k));
            }
            fputs(" | ", out);
            md_cell(out, range);
            fputs(" | ", out);
            md_cell(out, k->help ? k->help : "");
            fputs(" |\n", out);
        }
        return;
    }
    fprintf(out, "[%s]\n", t->section ? t->section : "");
    sim_keys_print_rows(out, t);
}

void sim_keys_print_rows(FILE *out, const sim_key_table_t *t)
{
    char range[SIM_ERR_MAX];
    for (size_t i = 0; i < t->count; i++) {
        const sim_key_t *k = &t->keys[i];
        range_text(k, range, sizeof range);
        fprintf(out, "  %-22s %-9s default %-12s range %-22s %s\n", k->name,
                sim_keys_type_name(k->type), default_text(k), range, k->help ? k->help : "");
    }
}
