/*
 * sim/keys.c -- declarative key tables: parse, defaults, format, suggest, print.
 * See keys.h for the storage type of each key type.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim/keys.h"
#include "sim/units.h"

#define FIELD(p, k, T) ((T *)(void *)((char *)(p) + (k)->offset))
#define CFIELD(p, k, T) ((const T *)(const void *)((const char *)(p) + (k)->offset))

const sim_key_t *sim_keys_find(const sim_key_table_t *t, const char *name)
{
    for (size_t i = 0; i < t->count; i++)
        if (!strcmp(t->keys[i].name, name))
            return &t->keys[i];
    return NULL;
}

const char *sim_keys_type_name(sim_key_type_t type)
{
    switch (type) {
    case SIM_KEY_INT: return "integer";
    case SIM_KEY_REAL: return "number";
    case SIM_KEY_BYTES: return "size";
    case SIM_KEY_DURATION: return "duration";
    case SIM_KEY_RATE: return "rate";
    case SIM_KEY_FRACTION: return "fraction";
    case SIM_KEY_BOOL: return "bool";
    case SIM_KEY_STRING: return "string";
    case SIM_KEY_CHOICE: return "choice";
    }
    return "?";
}

static void format_bound(const sim_key_t *k, double v, char *buf, size_t len)
{
    switch (k->type) {
    case SIM_KEY_BYTES: sim_units_format_bytes((int64_t)v, buf, len); break;
    case SIM_KEY_DURATION: sim_units_format_duration((sim_time_t)v, buf, len); break;
    case SIM_KEY_RATE: sim_units_format_rate(v, buf, len); break;
    case SIM_KEY_FRACTION: snprintf(buf, len, "%.15g%%", v * 100); break;
    default: snprintf(buf, len, "%.15g", v); break;
    }
}

static int range_check(const sim_key_t *k, double v, const char *value, char *err, size_t errlen)
{
    if (k->min > k->max)
        return SIM_OK;
    char b[48];
    if (v < k->min) {
        format_bound(k, k->min, b, sizeof b);
        snprintf(err, errlen, "'%s' is out of range: must be >= %s", value, b);
        return SIM_EINPUT;
    }
    if (v > k->max) {
        format_bound(k, k->max, b, sizeof b);
        snprintf(err, errlen, "'%s' is out of range: must be <= %s", value, b);
        return SIM_EINPUT;
    }
    return SIM_OK;
}

int sim_keys_parse(const sim_key_t *k, void *params, const char *value, char *err, size_t errlen)
{
    int rc = SIM_OK;
    switch (k->type) {
    case SIM_KEY_INT: {
        int64_t v;
        if (!(rc = sim_units_parse_int(value, &v, err, errlen)) && !(rc = range_check(k, (double)v, value, err, errlen)))
            *FIELD(params, k, int64_t) = v;
        break;
    }
    case SIM_KEY_REAL: {
        double v;
        if (!(rc = sim_units_parse_number(value, &v, err, errlen)) && !(rc = range_check(k, v, value, err, errlen)))
            *FIELD(params, k, double) = v;
        break;
    }
    case SIM_KEY_BYTES: {
        int64_t v;
        if (!(rc = sim_units_parse_bytes(value, &v, err, errlen)) && !(rc = range_check(k, (double)v, value, err, errlen)))
            *FIELD(params, k, int64_t) = v;
        break;
    }
    case SIM_KEY_DURATION: {
        sim_time_t v;
        if (!(rc = sim_units_parse_duration(value, &v, err, errlen)) && !(rc = range_check(k, (double)v, value, err, errlen)))
            *FIELD(params, k, int64_t) = v;
        break;
    }
    case SIM_KEY_RATE: {
        double v;
        if (!(rc = sim_units_parse_rate(value, &v, err, errlen)) && !(rc = range_check(k, v, value, err, errlen)))
            *FIELD(params, k, double) = v;
        break;
    }
    case SIM_KEY_FRACTION: {
        double v;
        if (!(rc = sim_units_parse_fraction(value, &v, err, errlen)) && !(rc = range_check(k, v, value, err, errlen)))
            *FIELD(params, k, double) = v;
        break;
    }
    case SIM_KEY_BOOL: {
        static const char *yes[] = {"yes", "true", "on", "1"}, *no[] = {"no", "false", "off", "0"};
        for (int i = 0; i < 4; i++) {
            if (!strcmp(value, yes[i])) {
                *FIELD(params, k, int) = 1;
                return SIM_OK;
            }
            if (!strcmp(value, no[i])) {
                *FIELD(params, k, int) = 0;
                return SIM_OK;
            }
        }
        snprintf(err, errlen, "'%s' is not a bool (yes/no, true/false, on/off, 1/0)", value);
        return SIM_EINPUT;
    }
    case SIM_KEY_STRING:
    case SIM_KEY_CHOICE: {
        size_t n = strlen(value);
        if (n >= SIM_STR_MAX) {
            snprintf(err, errlen, "value is too long (at most %d bytes)", SIM_STR_MAX - 1);
            return SIM_EINPUT;
        }
        if (k->type == SIM_KEY_CHOICE) {
            const char *c = k->choices;
            int found = 0;
            while (c && *c && !found) {
                size_t len = strcspn(c, "|");
                found = len == n && !strncmp(c, value, n);
                c += len + (c[len] == '|');
            }
            if (!found) {
                snprintf(err, errlen, "'%s' is not one of %s", value, k->choices);
                return SIM_EINPUT;
            }
        }
        memcpy(FIELD(params, k, char), value, n + 1);
        break;
    }
    }
    return rc;
}

int sim_keys_defaults(const sim_key_table_t *t, void *params, char *err, size_t errlen)
{
    for (size_t i = 0; i < t->count; i++) {
        const sim_key_t *k = &t->keys[i];
        if (!k->def) {
            switch (k->type) {
            case SIM_KEY_INT: case SIM_KEY_BYTES: case SIM_KEY_DURATION: *FIELD(params, k, int64_t) = 0; break;
            case SIM_KEY_REAL: case SIM_KEY_RATE: case SIM_KEY_FRACTION: *FIELD(params, k, double) = 0; break;
            case SIM_KEY_BOOL: *FIELD(params, k, int) = 0; break;
            default: FIELD(params, k, char)[0] = 0; break;
            }
            continue;
        }
        char msg[SIM_ERR_MAX];
        if (sim_keys_parse(k, params, k->def, msg, sizeof msg)) {
            snprintf(err, errlen, "internal: default of [%s] %s: %s", t->section, k->name, msg);
            return SIM_EINTERNAL;
        }
    }
    return SIM_OK;
}

void sim_keys_format(const sim_key_t *k, const void *params, char *buf, size_t len)
{
    switch (k->type) {
    case SIM_KEY_INT: snprintf(buf, len, "%lld", (long long)*CFIELD(params, k, int64_t)); break;
    case SIM_KEY_REAL: snprintf(buf, len, "%.17g", *CFIELD(params, k, double)); break;
    case SIM_KEY_BYTES: sim_units_format_bytes(*CFIELD(params, k, int64_t), buf, len); break;
    case SIM_KEY_DURATION: sim_units_format_duration(*CFIELD(params, k, int64_t), buf, len); break;
    case SIM_KEY_RATE: sim_units_format_rate(*CFIELD(params, k, double), buf, len); break;
    case SIM_KEY_FRACTION: snprintf(buf, len, "%.17g", *CFIELD(params, k, double)); break;
    case SIM_KEY_BOOL: snprintf(buf, len, "%s", *CFIELD(params, k, int) ? "yes" : "no"); break;
    default: snprintf(buf, len, "%s", CFIELD(params, k, char)); break;
    }
}

static size_t levenshtein(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return 99;
    size_t d[65][65];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            size_t c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < c)
                c = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < c)
                c = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < c)
                c = d[i - 2][j - 2] + 1;   /* transposition */
            d[i][j] = c;
        }
    return d[la][lb];
}

const char *sim_keys_nearest(const sim_key_table_t *const *tables, size_t ntables, const char *name)
{
    const char *best = NULL;
    size_t best_d = 99;
    size_t limit = strlen(name) <= 4 ? 1 : strlen(name) <= 8 ? 2 : 3;
    for (size_t t = 0; t < ntables; t++)
        for (size_t i = 0; i < tables[t]->count; i++) {
            const char *k = tables[t]->keys[i].name;
            size_t d = levenshtein(name, k);
            if (d < best_d) {
                best_d = d;
                best = k;
            }
        }
    return best_d <= limit ? best : NULL;
}

static void range_text(const sim_key_t *k, char *buf, size_t len)
{
    if (k->type == SIM_KEY_CHOICE) {
        snprintf(buf, len, "%s", k->choices);
        return;
    }
    if (k->min > k->max) {
        snprintf(buf, len, "-");
        return;
    }
    char a[48], b[48];
    format_bound(k, k->min, a, sizeof a);
    format_bound(k, k->max, b, sizeof b);
    snprintf(buf, len, "%s .. %s", a, b);
}

void sim_keys_print(FILE *out, const sim_key_table_t *t, int markdown)
{
    char range[SIM_STR_MAX];
    if (markdown) {
        fprintf(out, "| key | type | default | range | meaning |\n|---|---|---|---|---|\n");
        for (size_t i = 0; i < t->count; i++) {
            const sim_key_t *k = &t->keys[i];
            range_text(k, range, sizeof range);
            for (char *c = range; *c; c++)
                if (*c == '|')
                    *c = '/';
            fprintf(out, "| `%s` | %s | %s | %s | %s |\n", k->name, sim_keys_type_name(k->type),
                    k->def ? (k->def[0] ? k->def : "\"\"") : "required", range, k->help);
        }
        return;
    }
    for (size_t i = 0; i < t->count; i++) {
        const sim_key_t *k = &t->keys[i];
        range_text(k, range, sizeof range);
        fprintf(out, "  %-22s %-9s default %-10s %s [%s]\n", k->name, sim_keys_type_name(k->type),
                k->def ? (k->def[0] ? k->def : "\"\"") : "required", k->help, range);
    }
}
