/*
 * sim/units.c -- parsing and printing of human units.  Forms and rules are in units.h.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim/units.h"

typedef struct unit { const char *name; double factor; } unit_t;

static const unit_t size_units[] = {
    {"B", 1}, {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0}, {"TiB", 1099511627776.0},
    {"kB", 1e3}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {NULL, 0}};
static const unit_t time_units[] = {
    {"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"min", 60e9}, {"h", 3600e9}, {"d", 86400e9}, {NULL, 0}};

/* Split s into a finite number and a unit suffix (trimmed).  0 or SIM_EINPUT. */
static int split(const char *s, double *num, char *unit, size_t unitlen, const char *what, char *err, size_t errlen)
{
    if (!s) {
        snprintf(err, errlen, "empty value: expected a %s", what);
        return SIM_EINPUT;
    }
    while (isspace((unsigned char)*s))
        s++;
    if (!*s) {
        snprintf(err, errlen, "empty value: expected a %s", what);
        return SIM_EINPUT;
    }
    /* reject nan/inf/hex that strtod would accept */
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (!isdigit((unsigned char)*p) && !(*p == '.' && isdigit((unsigned char)p[1]))) {
        snprintf(err, errlen, "'%s' is not a %s", s, what);
        return SIM_EINPUT;
    }
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        snprintf(err, errlen, "'%s' is not a %s", s, what);
        return SIM_EINPUT;
    }
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno == ERANGE || !isfinite(v)) {
        snprintf(err, errlen, "'%s' is out of range", s);
        return SIM_EINPUT;
    }
    while (isspace((unsigned char)*end))
        end++;
    size_t n = strlen(end);
    while (n && isspace((unsigned char)end[n - 1]))
        n--;
    if (n >= unitlen) {
        snprintf(err, errlen, "'%s' is not a %s: trailing text", s, what);
        return SIM_EINPUT;
    }
    memcpy(unit, end, n);
    unit[n] = 0;
    *num = v;
    return SIM_OK;
}

static int scaled(const char *s, const unit_t *units, const char *deflt, double *out, const char *what,
                  const char *list, char *err, size_t errlen)
{
    double v;
    char unit[16];
    int rc = split(s, &v, unit, sizeof unit, what, err, errlen);
    if (rc)
        return rc;
    const char *u = unit[0] ? unit : deflt;
    for (const unit_t *k = units; k->name; k++)
        if (!strcmp(k->name, u)) {
            *out = v * k->factor;
            return SIM_OK;
        }
    snprintf(err, errlen, "'%s' is not a %s: unknown unit '%s' (use %s)", s, what, unit, list);
    return SIM_EINPUT;
}

static int to_int64(double v, const char *s, int64_t *out, char *err, size_t errlen)
{
    if (!(v > -9.2e18 && v < 9.2e18)) {
        snprintf(err, errlen, "'%s' is out of range", s);
        return SIM_EINPUT;
    }
    *out = (int64_t)llround(v);
    return SIM_OK;
}

int sim_units_parse_bytes(const char *s, int64_t *out_bytes, char *err, size_t errlen)
{
    double v;
    int rc = scaled(s, size_units, "B", &v, "size", "B, KiB, MiB, GiB, TiB, kB, MB, GB, TB", err, errlen);
    return rc ? rc : to_int64(v, s, out_bytes, err, errlen);
}

int sim_units_parse_duration(const char *s, sim_time_t *out_ns, char *err, size_t errlen)
{
    double v;
    int rc = scaled(s, time_units, "s", &v, "duration", "ns, us, ms, s, min, h, d", err, errlen);
    return rc ? rc : to_int64(v, s, out_ns, err, errlen);
}

int sim_units_parse_rate(const char *s, double *out_bytes_per_s, char *err, size_t errlen)
{
    double v;
    char unit[16];
    int rc = split(s, &v, unit, sizeof unit, "rate", err, errlen);
    if (rc)
        return rc;
    size_t n = strlen(unit);
    if (n == 0) {
        *out_bytes_per_s = v;
        return SIM_OK;
    }
    if (n < 3 || strcmp(unit + n - 2, "/s")) {
        snprintf(err, errlen, "'%s' is not a rate: expected SIZE/s, e.g. 1GiB/s", s);
        return SIM_EINPUT;
    }
    unit[n - 2] = 0;
    for (const unit_t *k = size_units; k->name; k++)
        if (!strcmp(k->name, unit)) {
            *out_bytes_per_s = v * k->factor;
            return SIM_OK;
        }
    snprintf(err, errlen, "'%s' is not a rate: unknown unit '%s/s'", s, unit);
    return SIM_EINPUT;
}

int sim_units_parse_fraction(const char *s, double *out, char *err, size_t errlen)
{
    double v;
    char unit[16];
    int rc = split(s, &v, unit, sizeof unit, "fraction", err, errlen);
    if (rc)
        return rc;
    if (!strcmp(unit, "%"))
        v /= 100.0;
    else if (unit[0]) {
        snprintf(err, errlen, "'%s' is not a fraction: use 20%% or 0.2", s);
        return SIM_EINPUT;
    }
    *out = v;
    return SIM_OK;
}

int sim_units_parse_number(const char *s, double *out, char *err, size_t errlen)
{
    double v;
    char unit[16];
    int rc = split(s, &v, unit, sizeof unit, "number", err, errlen);
    if (rc)
        return rc;
    if (unit[0]) {
        snprintf(err, errlen, "'%s' is not a number", s);
        return SIM_EINPUT;
    }
    *out = v;
    return SIM_OK;
}

int sim_units_parse_int(const char *s, int64_t *out, char *err, size_t errlen)
{
    if (!s) {
        snprintf(err, errlen, "empty value: expected an integer");
        return SIM_EINPUT;
    }
    while (isspace((unsigned char)*s))
        s++;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    while (isspace((unsigned char)*end))
        end++;
    if (end == s || *end || !*s) {
        snprintf(err, errlen, "'%s' is not an integer", s);
        return SIM_EINPUT;
    }
    if (errno == ERANGE) {
        snprintf(err, errlen, "'%s' is out of range", s);
        return SIM_EINPUT;
    }
    *out = v;
    return SIM_OK;
}

static void format_scaled(double v, const unit_t *units, size_t nunits, char *buf, size_t len)
{
    /* largest binary/time unit that represents v exactly with <= 3 decimals */
    for (size_t i = nunits; i-- > 0;) {
        double q = v / units[i].factor;
        if (fabs(q) >= 1 && fabs(q * 1000 - llround(q * 1000)) < 1e-6) {
            snprintf(buf, len, "%.15g%s", q, units[i].name);
            return;
        }
    }
    snprintf(buf, len, "%.15g%s", v, units[0].name);
}

void sim_units_format_bytes(int64_t bytes, char *buf, size_t len)
{
    static const unit_t bin[] = {{"B", 1}, {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0},
                                 {"TiB", 1099511627776.0}};
    if (bytes == 0) {
        snprintf(buf, len, "0B");
        return;
    }
    for (size_t i = 5; i-- > 0;) {
        double q = (double)bytes / bin[i].factor;
        if (fabs(q) >= 1 && fabs(q * 1024 - llround(q * 1024)) < 1e-9 && (double)llround(q * 1024) * bin[i].factor / 1024 == (double)bytes) {
            snprintf(buf, len, "%.15g%s", q, bin[i].name);
            return;
        }
    }
    snprintf(buf, len, "%lldB", (long long)bytes);
}

void sim_units_format_duration(sim_time_t ns, char *buf, size_t len)
{
    if (ns == 0) {
        snprintf(buf, len, "0s");
        return;
    }
    format_scaled((double)ns, time_units, 7, buf, len);
}

void sim_units_format_rate(double bytes_per_s, char *buf, size_t len)
{
    char b[48];
    if (bytes_per_s == floor(bytes_per_s) && fabs(bytes_per_s) < 9e18) {
        sim_units_format_bytes((int64_t)bytes_per_s, b, sizeof b);
    } else {
        snprintf(b, sizeof b, "%.17gB", bytes_per_s);
    }
    snprintf(buf, len, "%s/s", b);
}
