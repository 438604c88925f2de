/*
 * sim/units.c -- parsing and printing of human units (sim/units.h is the contract).
 *
 * Units.  Sizes are int64 bytes; durations int64 ns (sim_time_t); rates double bytes/s;
 * fractions and numbers double.  Accepted suffixes:
 *   size      B, KiB, MiB, GiB, TiB (powers of 1024), kB, MB, GB, TB (powers of 1000)
 *   duration  ns, us (or µs), ms, s, min, h, d (86400 s); a bare number is seconds
 *   rate      SIZE/s; a bare number is bytes/s
 *   fraction  N% (N/100), or a bare number
 * Units match ignoring case, except that a final 'B' must be upper case: a lower-case
 * 'b' means bits, which we do not use ("4Gb", "4gib" are errors; "4GB", "4GIB" are not).
 * White space may separate the number from its unit ("4 GiB").  Numbers are decimal with
 * an optional sign, fraction and exponent ("1.5", "-2", ".5", "1e-3"); no hex, nan, inf.
 *
 * Exactness (the reason this file does not just call strtod):
 *   - sizes and durations are computed exactly from the decimal digits: the integer part
 *     times the unit in 128-bit arithmetic, plus the fraction times the unit by long
 *     multiplication on the digits, rounded to the nearest byte/ns (halves away from zero).
 *     "1.5GiB" is exactly 1610612736; "0.1s" exactly 100000000 ns.
 *     The magnitude limit is that of int64 (-2^63 .. 2^63-1): beyond it, an error.
 *   - rates, numbers, fractions are correctly rounded doubles: the decimal digits, shifted
 *     by the decimal exponent of the unit (kB..TB, %), go through one strtod (glibc rounds
 *     correctly); binary units then scale by 2^10k, which is exact.  Results that
 *     overflow a double are errors; results that underflow become 0 or subnormal.
 *
 * Formatting (canonical text stored with runs): among the exact forms of the value in
 * every unit, the shortest string; on a tie, the one with fewer decimals, then the
 * larger binary unit (sizes: TiB GiB MiB KiB TB GB MB kB B; durations: d h min s ms us
 * ns).  0 is "0B", "0s", "0B/s".  Sizes and durations never use exponents; rates,
 * numbers and fractions use one only outside 1e-6 <= |v| < 1e21 ("1e-30"), and
 * fractions are always percentages ("100%", "0.25%").  Every output parses
 * back to the same value (tests/unit/test_units.c checks this on random values).
 * Known answers: 1610612736 -> "1.5GiB"; 5400 s -> "1.5h"; 0.2 -> "20%".
 *
 * Failure behaviour: SIM_EINPUT with "'<text>' is not a size: <why>" style messages in
 * err (the text echoed up to 80 characters); nothing is printed.  Format functions
 * cannot fail; they truncate to len like snprintf (buf of 32 bytes is always enough).
 */
#include "sim/units.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

__extension__ typedef unsigned __int128 u128;

#define DEC_MAX_DIGITS 400     /* significant digits accepted in one number */
#define EXP_SATURATE   100000  /* |exponent| beyond this behaves like infinity */
#define ECHO "'%.80s'"         /* how a bad value is quoted in messages */

/* ---------------------------------------------------------------- decimal numbers */

/* A decimal number: value = (neg ? -1 : 1) * 0.d[0]d[1]...d[n-1] * 10^point, with
 * d[0] != 0 and d[n-1] != 0 (n == 0 means zero, point then 0). */
typedef struct dec {
    int neg;
    int n;
    long point;
    char d[DEC_MAX_DIGITS];
} dec_t;

enum { SCAN_OK, SCAN_NONE, SCAN_LONG };

/* Scan a number at s; *end gets the first character after it. */
static int scan_dec(const char *s, const char **end, dec_t *x)
{
    const char *p = s;
    int seen = 0;
    memset(x, 0, offsetof(dec_t, d));
    if (*p == '+' || *p == '-')
        x->neg = (*p++ == '-');
    for (; isdigit((unsigned char)*p); p++) {
        seen = 1;
        if (x->n == 0 && *p == '0')
            continue;
        if (x->n == DEC_MAX_DIGITS)
            return SCAN_LONG;
        x->d[x->n++] = (char)(*p - '0');
        x->point++;
    }
    if (*p == '.') {
        p++;
        for (; isdigit((unsigned char)*p); p++) {
            seen = 1;
            if (x->n == 0 && *p == '0') {
                x->point--;
                continue;
            }
            if (x->n == DEC_MAX_DIGITS)
                return SCAN_LONG;
            x->d[x->n++] = (char)(*p - '0');
        }
    }
    if (!seen)
        return SCAN_NONE;
    if ((*p == 'e' || *p == 'E')
        && (isdigit((unsigned char)p[1])
            || ((p[1] == '+' || p[1] == '-') && isdigit((unsigned char)p[2])))) {
        p++;
        int eneg = 0;
        if (*p == '+' || *p == '-')
            eneg = (*p++ == '-');
        long e = 0;
        for (; isdigit((unsigned char)*p); p++)
            if (e < EXP_SATURATE)
                e = e * 10 + (*p - '0');
        x->point += eneg ? -e : e;
    }
    while (x->n > 0 && x->d[x->n - 1] == 0)
        x->n--;
    if (x->n == 0)
        x->point = 0;
    *end = p;
    return SCAN_OK;
}

/* Correctly rounded double of x * 10^shift10 (one strtod).  Returns inf on overflow. */
static double dec_to_double(const dec_t *x, long shift10)
{
    char buf[DEC_MAX_DIGITS + 40];
    size_t k = 0;
    if (x->neg)
        buf[k++] = '-';
    buf[k++] = '0';
    buf[k++] = '.';
    for (int i = 0; i < x->n; i++)
        buf[k++] = (char)('0' + x->d[i]);
    long e = x->n ? x->point + shift10 : 0;
    if (e > 2 * EXP_SATURATE)
        e = 2 * EXP_SATURATE;
    if (e < -2 * EXP_SATURATE)
        e = -2 * EXP_SATURATE;
    snprintf(buf + k, sizeof buf - k, "e%ld", e);
    return strtod(buf, NULL);
}

/* |x| * unit rounded to the nearest integer (halves up), exactly.
 * Returns 0, or -1 if it exceeds limit. */
static int dec_to_int(const dec_t *x, uint64_t unit, uint64_t limit, uint64_t *out)
{
    if (x->n == 0) {
        *out = 0;
        return 0;
    }
    long P = x->point;
    if (P > 20)                               /* >= 10^20 > 2^64 */
        return -1;
    u128 ip = 0;
    for (long i = 0; i < P; i++)
        ip = ip * 10 + (u128)(i < x->n ? x->d[i] : 0);
    u128 total = ip * unit;                   /* < 10^20 * 2^47: no overflow */
    if (x->n > P && P >= -30) {               /* below 10^-30 * unit < 0.5 */
        char f[DEC_MAX_DIGITS + 32];
        int len = 0;
        for (long z = P; z < 0; z++)
            f[len++] = 0;
        for (long i = P > 0 ? P : 0; i < x->n; i++)
            f[len++] = x->d[i];
        uint64_t carry = 0;                   /* long multiplication 0.f * unit */
        for (int j = len - 1; j >= 0; j--) {
            uint64_t t = (uint64_t)f[j] * unit + carry;
            f[j] = (char)(t % 10);
            carry = t / 10;
        }
        total += carry;
        if (f[0] >= 5)
            total += 1;
    }
    if (total > limit)
        return -1;
    *out = (uint64_t)total;
    return 0;
}

/* ---------------------------------------------------------------- unit tables */

typedef struct unit {
    const char *name;
    uint64_t mult;       /* value of one unit in bytes or ns */
    int e2, e10;         /* mult == 2^e2 * 10^e10, for the double path */
} unit_t;

/* In formatting preference order (ties go to the earlier row). */
static const unit_t size_units[] = {
    { "TiB", UINT64_C(1) << 40, 40, 0 }, { "GiB", UINT64_C(1) << 30, 30, 0 },
    { "MiB", UINT64_C(1) << 20, 20, 0 }, { "KiB", UINT64_C(1) << 10, 10, 0 },
    { "TB", UINT64_C(1000000000000), 0, 12 }, { "GB", UINT64_C(1000000000), 0, 9 },
    { "MB", UINT64_C(1000000), 0, 6 }, { "kB", UINT64_C(1000), 0, 3 },
    { "B", 1, 0, 0 },
};
#define N_SIZE_UNITS (sizeof size_units / sizeof size_units[0])
#define SIZE_UNIT_LIST "B, KiB, MiB, GiB, TiB, kB, MB, GB, TB"
#define SIZE_LIMIT_TEXT "+-2^63 bytes (8388608TiB)"

static const unit_t duration_units[] = {
    { "d", UINT64_C(86400000000000), 0, 0 }, { "h", UINT64_C(3600000000000), 0, 0 },
    { "min", UINT64_C(60000000000), 0, 0 }, { "s", UINT64_C(1000000000), 0, 0 },
    { "ms", UINT64_C(1000000), 0, 0 }, { "us", UINT64_C(1000), 0, 0 },
    { "ns", 1, 0, 0 },
};
#define N_DURATION_UNITS (sizeof duration_units / sizeof duration_units[0])
#define DURATION_UNIT_LIST "ns, us, ms, s, min, h, d"
#define DURATION_LIMIT_TEXT "+-2^63 ns (about 292 years)"

/* Unit names match ignoring case, but a final 'B' must stay upper case (b = bits). */
static int unit_matches(const char *name, const char *text, size_t len)
{
    if (strlen(name) != len || strncasecmp(name, text, len) != 0)
        return 0;
    return name[len - 1] != 'B' || text[len - 1] == 'B';
}

static const unit_t *find_unit(const unit_t *tab, size_t ntab, const char *text, size_t len)
{
    for (size_t i = 0; i < ntab; i++)
        if (unit_matches(tab[i].name, text, len))
            return &tab[i];
    return NULL;
}

/* ---------------------------------------------------------------- common parsing */

/* Trim s into [*b, *e); returns 0 if empty. */
static int trim(const char *s, const char **b, const char **e)
{
    while (isspace((unsigned char)*s))
        s++;
    const char *t = s + strlen(s);
    while (t > s && isspace((unsigned char)t[-1]))
        t--;
    *b = s;
    *e = t;
    return t > s;
}

/* Scan "NUMBER [space] SUFFIX" from s.  On success *suffix/[*suffix_len) is the trimmed
 * rest (possibly empty).  On failure writes "'s' is not a <what>: ...". */
static int scan_value(const char *s, const char *what, const char *example, dec_t *x,
                      const char **suffix, size_t *suffix_len, char *err, size_t errlen)
{
    const char *b, *e, *p;
    if (!s || !trim(s, &b, &e)) {
        snprintf(err, errlen, "empty value: expected a %s such as %s", what, example);
        return SIM_EINPUT;
    }
    switch (scan_dec(b, &p, x)) {
    case SCAN_NONE:
        snprintf(err, errlen, ECHO " is not a %s (expected e.g. %s)", s, what, example);
        return SIM_EINPUT;
    case SCAN_LONG:
        snprintf(err, errlen, ECHO " is not a %s: more than %d digits", s, what, DEC_MAX_DIGITS);
        return SIM_EINPUT;
    default:
        break;
    }
    while (p < e && isspace((unsigned char)*p))
        p++;
    *suffix = p;
    *suffix_len = (size_t)(e - p);
    return SIM_OK;
}

static int parse_scaled_int(const char *s, const char *what, const char *example,
                            const unit_t *tab, size_t ntab, const unit_t *bare,
                            const char *unit_list, const char *limit_text,
                            int64_t *out, char *err, size_t errlen)
{
    dec_t x;
    const char *suf;
    size_t slen;
    int rc = scan_value(s, what, example, &x, &suf, &slen, err, errlen);
    if (rc)
        return rc;
    const unit_t *u = slen ? find_unit(tab, ntab, suf, slen) : bare;
    if (!u) {
        snprintf(err, errlen, ECHO " is not a %s: unknown unit '%.*s' (use %s)", s, what,
                 (int)(slen > 40 ? 40 : slen), suf, unit_list);
        return SIM_EINPUT;
    }
    uint64_t limit = x.neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t mag;
    if (dec_to_int(&x, u->mult, limit, &mag) != 0) {
        snprintf(err, errlen, ECHO " is out of range: a %s must lie within %s", s, what, limit_text);
        return SIM_EINPUT;
    }
    *out = x.neg ? (int64_t)(0 - mag) : (int64_t)mag;
    return SIM_OK;
}

/* ---------------------------------------------------------------- parse */

int sim_units_parse_bytes(const char *s, int64_t *out_bytes, char *err, size_t errlen)
{
    return parse_scaled_int(s, "size", "4GiB", size_units, N_SIZE_UNITS,
                            &size_units[N_SIZE_UNITS - 1], SIZE_UNIT_LIST, SIZE_LIMIT_TEXT,
                            out_bytes, err, errlen);
}

int sim_units_parse_duration(const char *s, sim_time_t *out_ns, char *err, size_t errlen)
{
    /* "µs" (U+00B5 or U+03BC then 's') is folded to "us" before matching. */
    char tmp[SIM_STR_MAX];
    const char *use = s;
    if (s && strlen(s) < sizeof tmp) {
        const char *mu = strstr(s, "\xc2\xb5s");
        if (!mu)
            mu = strstr(s, "\xce\xbcs");
        if (mu) {
            size_t k = (size_t)(mu - s);
            memcpy(tmp, s, k);
            tmp[k] = 'u';
            snprintf(tmp + k + 1, sizeof tmp - k - 1, "%s", mu + 2);
            use = tmp;
        }
    }
    int rc = parse_scaled_int(use, "duration", "30s", duration_units, N_DURATION_UNITS,
                              &duration_units[3], DURATION_UNIT_LIST, DURATION_LIMIT_TEXT,
                              out_ns, err, errlen);
    if (rc && use != s && err) {  /* the reason is the folded text's; echo what the user wrote */
        char *at = strstr(err, use);
        if (at) {
            char msg[SIM_ERR_MAX];
            snprintf(msg, sizeof msg, "%.*s%s%s", (int)(at - err), err, s, at + strlen(use));
            snprintf(err, errlen, "%s", msg);
        }
    }
    return rc;
}

static int finite_or_error(double v, const char *s, const char *what, double *out,
                           char *err, size_t errlen)
{
    if (!isfinite(v)) {
        snprintf(err, errlen, ECHO " is out of range: too large for a %s", s, what);
        return SIM_EINPUT;
    }
    *out = v;
    return SIM_OK;
}

int sim_units_parse_rate(const char *s, double *out_bytes_per_s, char *err, size_t errlen)
{
    dec_t x;
    const char *suf;
    size_t slen;
    int rc = scan_value(s, "rate", "1GiB/s", &x, &suf, &slen, err, errlen);
    if (rc)
        return rc;
    const unit_t *u = &size_units[N_SIZE_UNITS - 1];
    if (slen) {
        if (slen < 2 || suf[slen - 2] != '/' || (suf[slen - 1] != 's' && suf[slen - 1] != 'S')) {
            snprintf(err, errlen, ECHO " is not a rate: expected a size per second such as "
                     "1GiB/s (the unit must end in /s)", s);
            return SIM_EINPUT;
        }
        size_t ulen = slen - 2;
        while (ulen > 0 && isspace((unsigned char)suf[ulen - 1]))
            ulen--;
        if (ulen) {
            u = find_unit(size_units, N_SIZE_UNITS, suf, ulen);
            if (!u) {
                snprintf(err, errlen, ECHO " is not a rate: unknown unit '%.*s' (use %s, then /s)",
                         s, (int)(ulen > 40 ? 40 : ulen), suf, SIZE_UNIT_LIST);
                return SIM_EINPUT;
            }
        }
    }
    double v = ldexp(dec_to_double(&x, u->e10), u->e2);
    return finite_or_error(v, s, "rate", out_bytes_per_s, err, errlen);
}

/* A plain real number, or (percent) one with an optional '%' suffix (scale 1/100). */
static int parse_real(const char *s, const char *what, const char *example, int percent, double *out, char *err,
                      size_t errlen)
{
    dec_t x;
    const char *suf;
    size_t slen;
    int rc = scan_value(s, what, example, &x, &suf, &slen, err, errlen);
    if (rc)
        return rc;
    if (slen && !(percent && slen == 1 && *suf == '%')) {
        snprintf(err, errlen, ECHO " is not a %s: unexpected '%.*s'%s%s%s", s, what, (int)(slen > 40 ? 40 : slen), suf,
                 percent ? " (use " : "", percent ? example : "", percent ? ")" : "");
        return SIM_EINPUT;
    }
    return finite_or_error(dec_to_double(&x, slen ? -2 : 0), s, what, out, err, errlen);
}

int sim_units_parse_fraction(const char *s, double *out, char *err, size_t errlen)
{
    return parse_real(s, "fraction", "20% or 0.2", 1, out, err, errlen);
}

int sim_units_parse_number(const char *s, double *out, char *err, size_t errlen)
{
    return parse_real(s, "number", "5000 or 1e-3", 0, out, err, errlen);
}

int sim_units_parse_int(const char *s, int64_t *out, char *err, size_t errlen)
{
    const char *b, *e;
    if (!s || !trim(s, &b, &e)) {
        snprintf(err, errlen, "empty value: expected an integer such as 24");
        return SIM_EINPUT;
    }
    const char *p = b;
    int neg = 0;
    if (*p == '+' || *p == '-')
        neg = (*p++ == '-');
    if (p == e) {
        snprintf(err, errlen, ECHO " is not an integer", s);
        return SIM_EINPUT;
    }
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t mag = 0;
    int overflow = 0;
    for (; p < e; p++) {
        if (!isdigit((unsigned char)*p)) {
            snprintf(err, errlen, ECHO " is not an integer (plain digits, e.g. 24)", s);
            return SIM_EINPUT;
        }
        unsigned dgt = (unsigned)(*p - '0');
        if (mag > (limit - dgt) / 10)
            overflow = 1;
        else
            mag = mag * 10 + dgt;
    }
    if (overflow) {
        snprintf(err, errlen, ECHO " is out of range for a 64-bit integer", s);
        return SIM_EINPUT;
    }
    *out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
    return SIM_OK;
}

/* ---------------------------------------------------------------- format */

static const uint64_t pow10_u64[20] = {
    UINT64_C(1), UINT64_C(10), UINT64_C(100), UINT64_C(1000), UINT64_C(10000),
    UINT64_C(100000), UINT64_C(1000000), UINT64_C(10000000), UINT64_C(100000000),
    UINT64_C(1000000000), UINT64_C(10000000000), UINT64_C(100000000000),
    UINT64_C(1000000000000), UINT64_C(10000000000000), UINT64_C(100000000000000),
    UINT64_C(1000000000000000), UINT64_C(10000000000000000), UINT64_C(100000000000000000),
    UINT64_C(1000000000000000000), UINT64_C(10000000000000000000),
};

/* Shortest exact text of v in one of the units of tab (see the header comment). */
static void format_scaled_int(int64_t v, const unit_t *tab, size_t ntab, char *buf, size_t len)
{
    uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    char best[64] = "";
    size_t best_len = SIZE_MAX;
    int best_f = 0;
    for (size_t u = 0; u < ntab; u++) {
        uint64_t U = tab[u].mult;
        int f = 0;
        while (f < 20 && ((u128)mag * pow10_u64[f]) % U != 0)
            f++;
        if (f == 20)
            continue;                   /* no exact decimal form in this unit */
        char cand[64];
        uint64_t ip = mag / U;
        if (f == 0) {
            snprintf(cand, sizeof cand, "%s%llu%s", v < 0 ? "-" : "",
                     (unsigned long long)ip, tab[u].name);
        } else {
            uint64_t fp = (uint64_t)(((u128)(mag % U) * pow10_u64[f]) / U);
            snprintf(cand, sizeof cand, "%s%llu.%0*llu%s", v < 0 ? "-" : "",
                     (unsigned long long)ip, f, (unsigned long long)fp, tab[u].name);
        }
        size_t cl = strlen(cand);
        if (cl < best_len || (cl == best_len && f < best_f)) {
            memcpy(best, cand, cl + 1);
            best_len = cl;
            best_f = f;
        }
    }
    snprintf(buf, len, "%s", best);
}

void sim_units_format_bytes(int64_t bytes, char *buf, size_t len)
{
    format_scaled_int(bytes, size_units, N_SIZE_UNITS, buf, len);
}

void sim_units_format_duration(sim_time_t ns, char *buf, size_t len)
{
    if (ns == 0)
        snprintf(buf, len, "0s");
    else
        format_scaled_int(ns, duration_units, N_DURATION_UNITS, buf, len);
}

/* Shortest decimal digits that read back as v (finite): x->d, x->n, x->point. */
static void shortest_digits(double v, dec_t *x)
{
    char tmp[64];
    memset(x, 0, offsetof(dec_t, d));
    x->neg = signbit(v) != 0;
    if (v == 0)
        return;
    for (int p = 1; p <= 17; p++) {
        snprintf(tmp, sizeof tmp, "%.*e", p - 1, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    /* tmp is "[-]d[.ddd]e[+-]XX" */
    const char *q = tmp + (tmp[0] == '-');
    for (; *q && *q != 'e'; q++)
        if (isdigit((unsigned char)*q))
            x->d[x->n++] = (char)(*q - '0');
    x->point = strtol(q + 1, NULL, 10) + 1;
    while (x->n > 0 && x->d[x->n - 1] == 0)
        x->n--;
}

/* Text of x * 10^shift10: plain decimal when 1e-6 <= |value| < 1e21, otherwise with
 * an exponent ("1e21", "2.5e-7"): the rule of ECMAScript's Number::toString, so that
 * "5000" and "0.001" stay readable. */
static void dec_text(const dec_t *x, long shift10, char *out, size_t len)
{
    char plain[DEC_MAX_DIGITS + 64], expo[64];
    size_t k = 0;
    if (x->neg)
        plain[k++] = '-';
    if (x->n == 0) {
        snprintf(out, len, "%s0", x->neg ? "-" : "");
        return;
    }
    long P = x->point + shift10;
    if (P > 21 || P < -5) {
        plain[0] = '\0';                   /* use the exponent form */
    } else {
        if (P <= 0) {
            plain[k++] = '0';
            plain[k++] = '.';
            for (long z = P; z < 0; z++)
                plain[k++] = '0';
            for (int i = 0; i < x->n; i++)
                plain[k++] = (char)('0' + x->d[i]);
        } else {
            for (long i = 0; i < P || i < x->n; i++) {
                if (i == P)
                    plain[k++] = '.';
                plain[k++] = (char)('0' + (i < x->n ? x->d[i] : 0));
            }
        }
        plain[k] = '\0';
    }
    k = 0;
    if (x->neg)
        expo[k++] = '-';
    expo[k++] = (char)('0' + x->d[0]);
    if (x->n > 1) {
        expo[k++] = '.';
        for (int i = 1; i < x->n; i++)
            expo[k++] = (char)('0' + x->d[i]);
    }
    snprintf(expo + k, sizeof expo - k, "e%ld", P - 1);
    if (plain[0])
        snprintf(out, len, "%s", plain);
    else
        snprintf(out, len, "%s", expo);
}

static void format_special(double v, char *buf, size_t len)
{
    snprintf(buf, len, "%s", isnan(v) ? "nan" : v < 0 ? "-inf" : "inf");
}

void sim_units_format_rate(double bytes_per_s, char *buf, size_t len)
{
    double v = bytes_per_s;
    if (!isfinite(v)) {
        format_special(v, buf, len);
        return;
    }
    char best[96] = "";
    size_t best_len = SIZE_MAX, best_decimals = SIZE_MAX;
    dec_t x;
    shortest_digits(v, &x);
    for (size_t u = 0; u < N_SIZE_UNITS; u++) {
        char num[80], cand[96];
        if (size_units[u].e2) {
            double y = ldexp(v, -size_units[u].e2);
            if (ldexp(y, size_units[u].e2) != v)
                continue;                 /* subnormal: not exact in this unit */
            dec_t xy;
            shortest_digits(y, &xy);
            dec_text(&xy, 0, num, sizeof num);
        } else {
            dec_text(&x, -size_units[u].e10, num, sizeof num);
        }
        snprintf(cand, sizeof cand, "%s%s/s", num, size_units[u].name);
        double back;
        char e[8];
        if (sim_units_parse_rate(cand, &back, e, sizeof e) != 0 || back != v)
            continue;
        size_t cl = strlen(cand);
        const char *dot = strchr(num, '.');
        size_t decimals = dot ? strspn(dot + 1, "0123456789") : 0;
        if (cl < best_len || (cl == best_len && decimals < best_decimals)) {
            memcpy(best, cand, cl + 1);     /* full ties: earlier (larger binary) unit */
            best_len = cl;
            best_decimals = decimals;
        }
    }
    snprintf(buf, len, "%s", best);
}

void sim_units_format_number(double v, char *buf, size_t len)
{
    if (!isfinite(v)) {
        format_special(v, buf, len);
        return;
    }
    dec_t x;
    shortest_digits(v, &x);
    dec_text(&x, 0, buf, len);
}

void sim_units_format_fraction(double v, char *buf, size_t len)
{
    if (!isfinite(v)) {
        format_special(v, buf, len);
        return;
    }
    dec_t x;
    char pct[80];
    shortest_digits(v, &x);
    dec_text(&x, 2, pct, sizeof pct);
    snprintf(buf, len, "%s%%", pct);
}

void sim_units_format_human(double bytes, char *buf, size_t len)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    size_t u = 0;
    while (bytes >= 1024.0 && u + 1 < sizeof units / sizeof units[0]) {
        bytes /= 1024.0;
        u++;
    }
    snprintf(buf, len, u == 0 ? "%.0f%s" : "%.2f%s", bytes, units[u]);
}

void sim_units_format_human_duration(double s, char *buf, size_t len)
{
    static const struct { const char *name; double s; } units[] = {{"d", 86400}, {"h", 3600}, {"min", 60}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (s >= units[i].s) {
            snprintf(buf, len, "%.3g %s", s / units[i].s, units[i].name);
            return;
        }
    snprintf(buf, len, "%.3g s", s);
}
