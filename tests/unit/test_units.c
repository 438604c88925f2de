/*
 * tests/unit/test_units.c -- human units (sim/units.c): every unit, fractions and
 * rounding, negative values, int64 limits, every error path, known canonical forms,
 * and format -> parse round trips on random values from a fixed-seed GSL generator.
 */
#include <criterion/criterion.h>
#include <float.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sim/units.h"

static char err[SIM_ERR_MAX];

/* ---------------------------------------------------------------- helpers */

static int64_t bytes_ok(const char *s)
{
    int64_t v = -12345;
    int rc = sim_units_parse_bytes(s, &v, err, sizeof err);
    cr_assert_eq(rc, 0, "'%s' should parse as a size: %s", s, err);
    return v;
}

static int64_t dur_ok(const char *s)
{
    int64_t v = -12345;
    int rc = sim_units_parse_duration(s, &v, err, sizeof err);
    cr_assert_eq(rc, 0, "'%s' should parse as a duration: %s", s, err);
    return v;
}

static double rate_ok(const char *s)
{
    double v = -12345;
    int rc = sim_units_parse_rate(s, &v, err, sizeof err);
    cr_assert_eq(rc, 0, "'%s' should parse as a rate: %s", s, err);
    return v;
}

static double frac_ok(const char *s)
{
    double v = -12345;
    int rc = sim_units_parse_fraction(s, &v, err, sizeof err);
    cr_assert_eq(rc, 0, "'%s' should parse as a fraction: %s", s, err);
    return v;
}

static double num_ok(const char *s)
{
    double v = -12345;
    int rc = sim_units_parse_number(s, &v, err, sizeof err);
    cr_assert_eq(rc, 0, "'%s' should parse as a number: %s", s, err);
    return v;
}

static int64_t int_ok(const char *s)
{
    int64_t v = -12345;
    int rc = sim_units_parse_int(s, &v, err, sizeof err);
    cr_assert_eq(rc, 0, "'%s' should parse as an integer: %s", s, err);
    return v;
}

static const char *show(const char *s)
{
    return s ? s : "NULL";
}

/* An error: SIM_EINPUT, the output untouched, and `want` in the message. */
#define EXPECT_FAIL(fn, type, s, want)                                                    \
    do {                                                                                  \
        type out_, before_;                                                               \
        memset(&out_, 0x77, sizeof out_);                                                 \
        before_ = out_;                                                                   \
        err[0] = '\0';                                                                    \
        int rc_ = fn((s), &out_, err, sizeof err);                                        \
        cr_assert_eq(rc_, SIM_EINPUT, #fn "(\"%s\") should fail, rc %d", show(s), rc_);  \
        cr_assert_eq(memcmp(&out_, &before_, sizeof out_), 0, "output written on error");\
        cr_assert_not_null(strstr(err, (want)), "message for '%s' is \"%s\", wanted \"%s\"", \
                           show(s), err, (want));                                         \
    } while (0)

#define BYTES_FAIL(s, want) EXPECT_FAIL(sim_units_parse_bytes, int64_t, s, want)
#define DUR_FAIL(s, want)   EXPECT_FAIL(sim_units_parse_duration, int64_t, s, want)
#define RATE_FAIL(s, want)  EXPECT_FAIL(sim_units_parse_rate, double, s, want)
#define FRAC_FAIL(s, want)  EXPECT_FAIL(sim_units_parse_fraction, double, s, want)
#define NUM_FAIL(s, want)   EXPECT_FAIL(sim_units_parse_number, double, s, want)
#define INT_FAIL(s, want)   EXPECT_FAIL(sim_units_parse_int, int64_t, s, want)

/* ---------------------------------------------------------------- sizes */

Test(units, bytes_every_unit)
{
    cr_assert_eq(bytes_ok("4096"), 4096);
    cr_assert_eq(bytes_ok("4096B"), 4096);
    cr_assert_eq(bytes_ok("64KiB"), 64 * SIM_KIB);
    cr_assert_eq(bytes_ok("512MiB"), 512 * SIM_MIB);
    cr_assert_eq(bytes_ok("4GiB"), 4 * SIM_GIB);
    cr_assert_eq(bytes_ok("2TiB"), 2 * 1024 * SIM_GIB);
    cr_assert_eq(bytes_ok("4kB"), 4000);
    cr_assert_eq(bytes_ok("4MB"), 4000000);
    cr_assert_eq(bytes_ok("4GB"), INT64_C(4000000000));
    cr_assert_eq(bytes_ok("3TB"), INT64_C(3000000000000));
}

Test(units, bytes_case_space_and_forms)
{
    cr_assert_eq(bytes_ok("4GIB"), 4 * SIM_GIB);        /* case ignored but for the B */
    cr_assert_eq(bytes_ok("4KB"), 4000);
    cr_assert_eq(bytes_ok("4KIB"), 4 * SIM_KIB);
    cr_assert_eq(bytes_ok("  4 GiB \t"), 4 * SIM_GIB);
    cr_assert_eq(bytes_ok("+4GiB"), 4 * SIM_GIB);
    cr_assert_eq(bytes_ok(".5KiB"), 512);
    cr_assert_eq(bytes_ok("5."), 5);
    cr_assert_eq(bytes_ok("1e3B"), 1000);
    cr_assert_eq(bytes_ok("1.5e3MiB"), 1500 * SIM_MIB);
    cr_assert_eq(bytes_ok("2E+1KiB"), 20 * SIM_KIB);
    cr_assert_eq(bytes_ok("0007"), 7);
    cr_assert_eq(bytes_ok("0"), 0);
    cr_assert_eq(bytes_ok("-0"), 0);
    cr_assert_eq(bytes_ok("0.000GiB"), 0);
}

Test(units, bytes_fractions_round_to_nearest)
{
    cr_assert_eq(bytes_ok("1.5GiB"), 3 * SIM_GIB / 2);
    cr_assert_eq(bytes_ok("0.25MiB"), SIM_MIB / 4);
    cr_assert_eq(bytes_ok("0.1KiB"), 102);                  /* 102.4 */
    cr_assert_eq(bytes_ok("0.3KiB"), 307);                  /* 307.2 */
    cr_assert_eq(bytes_ok("0.6KiB"), 614);                  /* 614.4 */
    cr_assert_eq(bytes_ok("0.5B"), 1);                      /* halves away from zero */
    cr_assert_eq(bytes_ok("1.5B"), 2);
    cr_assert_eq(bytes_ok("2.5B"), 3);
    cr_assert_eq(bytes_ok("0.4999999999999999999999999999B"), 0);   /* exact, no double */
    cr_assert_eq(bytes_ok("0.5000000000000000000000000001B"), 1);
    cr_assert_eq(bytes_ok("1.00000000000000000000000001TiB"), INT64_C(1) << 40);
    cr_assert_eq(bytes_ok("0.0000001B"), 0);
    cr_assert_eq(bytes_ok("1e-400GiB"), 0);
    cr_assert_eq(bytes_ok("0.001kB"), 1);
    cr_assert_eq(bytes_ok("1.0005kB"), 1001);               /* 1000.5 -> 1001 */
}

Test(units, bytes_negative)
{
    cr_assert_eq(bytes_ok("-1GiB"), -SIM_GIB);
    cr_assert_eq(bytes_ok("-0.5B"), -1);
    cr_assert_eq(bytes_ok("-1.5KiB"), -1536);
    cr_assert_eq(bytes_ok(" -4 kB"), -4000);
}

Test(units, bytes_int64_limits)
{
    cr_assert_eq(bytes_ok("9223372036854775807"), INT64_MAX);
    cr_assert_eq(bytes_ok("-9223372036854775808B"), INT64_MIN);
    cr_assert_eq(bytes_ok("8388607.999999999999TiB"), INT64_MAX);   /* 2^63 - 1.0995 */
    cr_assert_eq(bytes_ok("8388607.99999999999TiB"), INT64_MAX - 10); /* 2^63 - 10.995 */
    BYTES_FAIL("8388607.9999999999999TiB", "is out of range");     /* 2^63 - 0.11 */
    cr_assert_eq(bytes_ok("-8388608TiB"), INT64_MIN);
    BYTES_FAIL("9223372036854775808", "is out of range");
    BYTES_FAIL("-9223372036854775809", "is out of range");
    BYTES_FAIL("8388608TiB", "'8388608TiB' is out of range: a size must lie within");
    BYTES_FAIL("9223372036854775807.5B", "is out of range");
    BYTES_FAIL("1e19", "is out of range");
    BYTES_FAIL("1e30TB", "is out of range");
    BYTES_FAIL("1e999999999999999999KiB", "is out of range");
    BYTES_FAIL("100000000000000000000000000000000000000000", "is out of range");
}

Test(units, bytes_errors)
{
    BYTES_FAIL("", "empty value");
    BYTES_FAIL("   ", "empty value");
    BYTES_FAIL(NULL, "empty value");
    BYTES_FAIL("abc", "'abc' is not a size");
    BYTES_FAIL("GiB", "'GiB' is not a size");
    BYTES_FAIL("4XB", "'4XB' is not a size: unknown unit 'XB' (use B, KiB, MiB, GiB, TiB, kB, MB, GB, TB)");
    BYTES_FAIL("4gib", "unknown unit 'gib'");              /* lower-case b: bits */
    BYTES_FAIL("4Gb", "unknown unit 'Gb'");
    BYTES_FAIL("4EiB", "unknown unit 'EiB'");
    BYTES_FAIL("4GiB x", "unknown unit 'GiB x'");
    BYTES_FAIL("4GiB/s", "unknown unit");
    BYTES_FAIL("nan", "is not a size");
    BYTES_FAIL("inf", "is not a size");
    BYTES_FAIL("-inf", "is not a size");
    BYTES_FAIL("0x10", "unknown unit");
    BYTES_FAIL("1..5", "unknown unit");
    BYTES_FAIL("--1", "is not a size");
    BYTES_FAIL("+", "is not a size");
    BYTES_FAIL(".", "is not a size");
    BYTES_FAIL("e5", "is not a size");
    BYTES_FAIL("5e", "unknown unit 'e'");
    BYTES_FAIL("1 2", "unknown unit '2'");
    char many[500];
    memset(many, '7', 450);
    many[450] = '\0';
    BYTES_FAIL(many, "more than 400 digits");
    memset(many, '0', 450);                                /* leading zeros are free */
    many[448] = '4';
    many[449] = '2';
    cr_assert_eq(bytes_ok(many), 42);
}

/* ---------------------------------------------------------------- durations */

Test(units, duration_every_unit)
{
    cr_assert_eq(dur_ok("250ns"), 250);
    cr_assert_eq(dur_ok("100us"), 100 * SIM_NS_PER_US);
    cr_assert_eq(dur_ok("100\xc2\xb5s"), 100 * SIM_NS_PER_US);   /* micro sign */
    cr_assert_eq(dur_ok("100\xce\xbcs"), 100 * SIM_NS_PER_US);   /* Greek mu */
    cr_assert_eq(dur_ok("5ms"), 5 * SIM_NS_PER_MS);
    cr_assert_eq(dur_ok("30s"), 30 * SIM_NS_PER_S);
    cr_assert_eq(dur_ok("2min"), 120 * SIM_NS_PER_S);
    cr_assert_eq(dur_ok("24h"), 86400 * SIM_NS_PER_S);
    cr_assert_eq(dur_ok("7d"), 7 * 86400 * SIM_NS_PER_S);
    cr_assert_eq(dur_ok("30"), 30 * SIM_NS_PER_S);            /* bare number: seconds */
    cr_assert_eq(dur_ok("5MS"), 5 * SIM_NS_PER_MS);
    cr_assert_eq(dur_ok(" 2 min "), 120 * SIM_NS_PER_S);
}

Test(units, duration_fractions_and_negative)
{
    cr_assert_eq(dur_ok("1.5h"), 5400 * SIM_NS_PER_S);
    cr_assert_eq(dur_ok("0.1s"), 100 * SIM_NS_PER_MS);       /* exact, unlike 0.1 * 1e9 */
    cr_assert_eq(dur_ok("0.001"), SIM_NS_PER_MS);
    cr_assert_eq(dur_ok("2.5ns"), 3);
    cr_assert_eq(dur_ok("0.0000000015s"), 2);
    cr_assert_eq(dur_ok("1e-3s"), SIM_NS_PER_MS);
    cr_assert_eq(dur_ok("0.5min"), 30 * SIM_NS_PER_S);
    cr_assert_eq(dur_ok("0.333333333333s"), 333333333);
    cr_assert_eq(dur_ok("-5ms"), -5 * SIM_NS_PER_MS);
    cr_assert_eq(dur_ok("-2.5ns"), -3);
}

Test(units, duration_limits_and_errors)
{
    cr_assert_eq(dur_ok("106751d"), INT64_C(106751) * 86400 * SIM_NS_PER_S);
    cr_assert_eq(dur_ok("9223372036854775807ns"), INT64_MAX);
    cr_assert_eq(dur_ok("-9223372036854775808ns"), INT64_MIN);
    DUR_FAIL("106752d", "'106752d' is out of range: a duration must lie within");
    DUR_FAIL("9223372036854775808ns", "is out of range");
    DUR_FAIL("1e10", "is out of range");
    DUR_FAIL("", "empty value: expected a duration");
    DUR_FAIL("soon", "'soon' is not a duration");
    DUR_FAIL("5y", "'5y' is not a duration: unknown unit 'y' (use ns, us, ms, s, min, h, d)");
    DUR_FAIL("5m", "unknown unit 'm'");                     /* minutes are "min" */
    DUR_FAIL("5 sec", "unknown unit 'sec'");
    DUR_FAIL("5\xc2\xb5x", "'5\xc2\xb5x' is not a duration");
    /* a micro sign that is folded keeps the real reason, and echoes what was written */
    DUR_FAIL("1e400\xc2\xb5s", "'1e400\xc2\xb5s' is out of range");
    DUR_FAIL("nan", "is not a duration");
    DUR_FAIL("3s4ms", "unknown unit 's4ms'");
}

/* ---------------------------------------------------------------- rates */

Test(units, rate_every_unit)
{
    cr_assert_eq(rate_ok("1GiB/s"), 1073741824.0);
    cr_assert_eq(rate_ok("64MiB/s"), 64.0 * 1048576);
    cr_assert_eq(rate_ok("8KiB/s"), 8192.0);
    cr_assert_eq(rate_ok("1TiB/s"), 1099511627776.0);
    cr_assert_eq(rate_ok("500MB/s"), 5e8);
    cr_assert_eq(rate_ok("2kB/s"), 2000.0);
    cr_assert_eq(rate_ok("3GB/s"), 3e9);
    cr_assert_eq(rate_ok("1TB/s"), 1e12);
    cr_assert_eq(rate_ok("100B/s"), 100.0);
    cr_assert_eq(rate_ok("100/s"), 100.0);
    cr_assert_eq(rate_ok("100"), 100.0);                    /* bare: bytes/s */
    cr_assert_eq(rate_ok("1.5GiB/s"), 1.5 * 1073741824.0);
    cr_assert_eq(rate_ok("0.1B/s"), 0.1);                   /* correctly rounded */
    cr_assert_eq(rate_ok("0.3GB/s"), 3e8);
    cr_assert_eq(rate_ok("1.1kB/s"), 1100.0);
    cr_assert_eq(rate_ok("-2KiB/s"), -2048.0);
    cr_assert_eq(rate_ok(" 1 GiB/S "), 1073741824.0);
    cr_assert_eq(rate_ok("1GiB /s"), 1073741824.0);
}

Test(units, rate_errors)
{
    RATE_FAIL("", "empty value: expected a rate");
    RATE_FAIL("fast", "'fast' is not a rate");
    RATE_FAIL("1GiB", "'1GiB' is not a rate: expected a size per second");
    RATE_FAIL("1GiB/min", "the unit must end in /s");
    RATE_FAIL("1s", "the unit must end in /s");
    RATE_FAIL("1XB/s", "unknown unit 'XB'");
    RATE_FAIL("1Gb/s", "unknown unit 'Gb'");
    RATE_FAIL("1e400B/s", "'1e400B/s' is out of range: too large for a rate");
    RATE_FAIL("1e300TiB/s", "is out of range");
    RATE_FAIL("nan", "is not a rate");
    RATE_FAIL("inf/s", "is not a rate");
}

/* ---------------------------------------------------------------- fractions, numbers, ints */

Test(units, fractions)
{
    cr_assert_eq(frac_ok("20%"), 0.2);                      /* the same double as 0.2 */
    cr_assert_eq(frac_ok("0.2"), 0.2);
    cr_assert_eq(frac_ok("0.25%"), 0.0025);
    cr_assert_eq(frac_ok("100%"), 1.0);
    cr_assert_eq(frac_ok("150%"), 1.5);
    cr_assert_eq(frac_ok("-5%"), -0.05);
    cr_assert_eq(frac_ok("7%"), 0.07);
    cr_assert_eq(frac_ok("33.3%"), 0.333);
    cr_assert_eq(frac_ok(" 20 % "), 0.2);
    cr_assert_eq(frac_ok("1e-3"), 0.001);
    FRAC_FAIL("", "empty value: expected a fraction");
    FRAC_FAIL("x%", "'x%' is not a fraction");
    FRAC_FAIL("20%%", "unexpected '%%'");
    FRAC_FAIL("20 percent", "unexpected 'percent'");
    FRAC_FAIL("0.2GiB", "unexpected 'GiB'");
    FRAC_FAIL("1e400", "is out of range");
    FRAC_FAIL("nan", "is not a fraction");
}

Test(units, numbers)
{
    cr_assert_eq(num_ok("5000"), 5000.0);
    cr_assert_eq(num_ok("1e-3"), 1e-3);
    cr_assert_eq(num_ok("-2.5"), -2.5);
    cr_assert_eq(num_ok("0.1"), 0.1);
    cr_assert_eq(num_ok("+1E+2"), 100.0);
    cr_assert_eq(num_ok("1.7976931348623157e308"), 1.7976931348623157e308);
    cr_assert_eq(num_ok("1e-400"), 0.0);                    /* underflow rounds to 0 */
    cr_assert_eq(num_ok("4.9406564584124654e-324"), 4.9406564584124654e-324);
    NUM_FAIL("", "empty value: expected a number");
    NUM_FAIL("1e400", "'1e400' is out of range: too large for a number");
    NUM_FAIL("1.8e308", "is out of range");
    NUM_FAIL("nan", "'nan' is not a number");
    NUM_FAIL("inf", "'inf' is not a number");
    NUM_FAIL("Infinity", "is not a number");
    NUM_FAIL("5 apples", "'5 apples' is not a number: unexpected 'apples'");
    NUM_FAIL("5%", "unexpected '%'");
    NUM_FAIL("0x1p3", "unexpected 'x1p3'");
}

Test(units, integers)
{
    cr_assert_eq(int_ok("24"), 24);
    cr_assert_eq(int_ok("-24"), -24);
    cr_assert_eq(int_ok("+7"), 7);
    cr_assert_eq(int_ok(" 12 "), 12);
    cr_assert_eq(int_ok("0"), 0);
    cr_assert_eq(int_ok("9223372036854775807"), INT64_MAX);
    cr_assert_eq(int_ok("-9223372036854775808"), INT64_MIN);
    INT_FAIL("9223372036854775808", "'9223372036854775808' is out of range for a 64-bit integer");
    INT_FAIL("-9223372036854775809", "is out of range for a 64-bit integer");
    INT_FAIL("99999999999999999999999", "is out of range");
    INT_FAIL("", "empty value: expected an integer");
    INT_FAIL(NULL, "empty value");
    INT_FAIL("-", "'-' is not an integer");
    INT_FAIL("1.5", "'1.5' is not an integer");
    INT_FAIL("1e3", "is not an integer");
    INT_FAIL("12 3", "is not an integer");
    INT_FAIL("4GiB", "is not an integer");
    INT_FAIL("nan", "is not an integer");
}

/* ---------------------------------------------------------------- known canonical forms */

static void expect_fmt_bytes(int64_t v, const char *want)
{
    char buf[32];
    sim_units_format_bytes(v, buf, sizeof buf);
    cr_assert_str_eq(buf, want, "format_bytes(%lld)", (long long)v);
}

static void expect_fmt_dur(int64_t v, const char *want)
{
    char buf[32];
    sim_units_format_duration(v, buf, sizeof buf);
    cr_assert_str_eq(buf, want, "format_duration(%lld)", (long long)v);
}

static void expect_fmt_rate(double v, const char *want)
{
    char buf[32];
    sim_units_format_rate(v, buf, sizeof buf);
    cr_assert_str_eq(buf, want, "format_rate(%.17g)", v);
}

Test(units, format_known_answers)
{
    expect_fmt_bytes(0, "0B");
    expect_fmt_bytes(1, "1B");
    expect_fmt_bytes(-1, "-1B");
    expect_fmt_bytes(1023, "1023B");
    expect_fmt_bytes(4096, "4KiB");
    expect_fmt_bytes(1000, "1kB");
    expect_fmt_bytes(1536, "1536B");              /* shorter than 1.5KiB */
    expect_fmt_bytes(536870912, "512MiB");        /* ties with 0.5GiB: fewer decimals */
    expect_fmt_bytes(1610612736, "1.5GiB");
    expect_fmt_bytes(4 * SIM_GIB, "4GiB");
    expect_fmt_bytes(INT64_C(4000000000), "4GB");
    expect_fmt_bytes(INT64_C(1) << 41, "2TiB");
    expect_fmt_bytes(1610612737, "1610612737B");
    expect_fmt_bytes(INT64_MAX, "9223372036854775807B");
    expect_fmt_bytes(INT64_MIN, "-8388608TiB");

    expect_fmt_dur(0, "0s");
    expect_fmt_dur(1, "1ns");
    expect_fmt_dur(1500, "1.5us");
    expect_fmt_dur(5 * SIM_NS_PER_MS, "5ms");
    expect_fmt_dur(30 * SIM_NS_PER_S, "30s");
    expect_fmt_dur(90 * SIM_NS_PER_S, "90s");
    expect_fmt_dur(120 * SIM_NS_PER_S, "2min");   /* ties with 120s: the larger unit */
    expect_fmt_dur(5400 * SIM_NS_PER_S, "1.5h");
    expect_fmt_dur(86400 * SIM_NS_PER_S, "1d");
    expect_fmt_dur(36 * 3600 * SIM_NS_PER_S, "36h");
    expect_fmt_dur(-5 * SIM_NS_PER_MS, "-5ms");
    expect_fmt_dur(100 * SIM_NS_PER_MS, "0.1s");
    expect_fmt_dur(INT64_MAX, "9223372036854775807ns");

    expect_fmt_rate(0, "0B/s");
    expect_fmt_rate(1073741824.0, "1GiB/s");
    expect_fmt_rate(5e8, "500MB/s");
    expect_fmt_rate(0.1, "0.1B/s");
    expect_fmt_rate(-2048, "-2KiB/s");
    expect_fmt_rate(1e-30, "1e-30B/s");
    expect_fmt_rate(INFINITY, "inf");
    expect_fmt_rate(-INFINITY, "-inf");
    expect_fmt_rate(NAN, "nan");

    char buf[32];
    sim_units_format_fraction(0.2, buf, sizeof buf);
    cr_assert_str_eq(buf, "20%");
    sim_units_format_fraction(1, buf, sizeof buf);
    cr_assert_str_eq(buf, "100%");
    sim_units_format_fraction(0.0025, buf, sizeof buf);
    cr_assert_str_eq(buf, "0.25%");
    sim_units_format_fraction(0, buf, sizeof buf);
    cr_assert_str_eq(buf, "0%");
    sim_units_format_fraction(NAN, buf, sizeof buf);
    cr_assert_str_eq(buf, "nan");
    sim_units_format_number(0.1, buf, sizeof buf);
    cr_assert_str_eq(buf, "0.1");
    sim_units_format_number(5000, buf, sizeof buf);
    cr_assert_str_eq(buf, "5000");
    sim_units_format_number(1e21, buf, sizeof buf);
    cr_assert_str_eq(buf, "1e21");
    sim_units_format_number(1e-7, buf, sizeof buf);
    cr_assert_str_eq(buf, "1e-7");
    sim_units_format_number(0.000001, buf, sizeof buf);
    cr_assert_str_eq(buf, "0.000001");
    sim_units_format_number(-2.5, buf, sizeof buf);
    cr_assert_str_eq(buf, "-2.5");
    sim_units_format_number(INFINITY, buf, sizeof buf);
    cr_assert_str_eq(buf, "inf");
}

Test(units, format_truncates_like_snprintf)
{
    char buf[4];
    memset(buf, 'x', sizeof buf);
    sim_units_format_bytes(1610612736, buf, sizeof buf);
    cr_assert_str_eq(buf, "1.5");
    sim_units_format_duration(5400 * SIM_NS_PER_S, buf, 2);
    cr_assert_str_eq(buf, "1");
    sim_units_format_rate(1e12, buf, 1);
    cr_assert_str_eq(buf, "");
}

/* ---------------------------------------------------------------- round trips */

static size_t plain_len(int64_t v)
{
    char b[32];
    return (size_t)snprintf(b, sizeof b, "%lld", (long long)v) + 1;   /* + unit letter */
}

/* Values with structure: random integers, multiples of every unit, fractions of units. */
static int64_t random_int64(gsl_rng *g)
{
    static const int64_t units[] = { 1, 1000, 1024, 1000000, 1048576, 60000000000,
                                     3600000000000, 86400000000000, INT64_C(1) << 40 };
    uint64_t bits = ((uint64_t)gsl_rng_get(g) << 32) ^ gsl_rng_get(g);
    int64_t u = units[gsl_rng_uniform_int(g, sizeof units / sizeof units[0])];
    switch (gsl_rng_uniform_int(g, 5)) {
    case 0:
        return (int64_t)bits;                                   /* any int64 */
    case 1:
        return (int64_t)(bits >> gsl_rng_uniform_int(g, 63));  /* any magnitude */
    case 2:
        return (int64_t)gsl_rng_uniform_int(g, 100000) * u;     /* whole units */
    case 3:
        return (int64_t)gsl_rng_uniform_int(g, 100000) * u / 8; /* eighths of units */
    default:
        return -(int64_t)gsl_rng_uniform_int(g, 100000) * u / 10;  /* tenths, negative */
    }
}

Test(units, round_trip_bytes_and_durations)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_taus2);
    gsl_rng_set(g, 2024);
    char buf[32];
    for (int i = 0; i < 200000; i++) {
        int64_t v = random_int64(g), back;
        sim_units_format_bytes(v, buf, sizeof buf);
        cr_assert_eq(sim_units_parse_bytes(buf, &back, err, sizeof err), 0, "'%s': %s", buf, err);
        cr_assert_eq(back, v, "bytes %lld -> '%s' -> %lld", (long long)v, buf, (long long)back);
        cr_assert_leq(strlen(buf), plain_len(v), "'%s' is longer than plain bytes", buf);
        sim_units_format_duration(v, buf, sizeof buf);
        cr_assert_eq(sim_units_parse_duration(buf, &back, err, sizeof err), 0, "'%s': %s", buf, err);
        cr_assert_eq(back, v, "duration %lld -> '%s' -> %lld", (long long)v, buf, (long long)back);
        cr_assert_leq(strlen(buf), plain_len(v) + 1, "'%s' is longer than plain ns", buf);
    }
    gsl_rng_free(g);
}

Test(units, round_trip_rates_numbers_fractions)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_taus2);
    gsl_rng_set(g, 77);
    char buf[40];
    for (int i = 0; i < 100000; i++) {
        double v;
        switch (i % 4) {
        case 0:  v = ldexp(gsl_rng_uniform(g) - 0.5, (int)gsl_rng_uniform_int(g, 200) - 100); break;
        case 1:  v = (double)gsl_rng_uniform_int(g, 1000000) * 1e6; break;
        case 2:  v = (double)gsl_rng_uniform_int(g, 4096) * 1048576.0 / 16; break;
        default: v = (double)gsl_rng_uniform_int(g, 10000) / 100; break;
        }
        double back;
        sim_units_format_rate(v, buf, 32);
        cr_assert_eq(sim_units_parse_rate(buf, &back, err, sizeof err), 0, "'%s': %s", buf, err);
        cr_assert_eq(back, v, "rate %.17g -> '%s' -> %.17g", v, buf, back);
        sim_units_format_number(v, buf, 32);
        cr_assert_eq(sim_units_parse_number(buf, &back, err, sizeof err), 0, "'%s': %s", buf, err);
        cr_assert_eq(back, v, "number %.17g -> '%s' -> %.17g", v, buf, back);
        sim_units_format_fraction(v, buf, 32);
        cr_assert_eq(sim_units_parse_fraction(buf, &back, err, sizeof err), 0, "'%s': %s", buf, err);
        cr_assert_eq(back, v, "fraction %.17g -> '%s' -> %.17g", v, buf, back);
    }
    /* Extremes fit the documented 32-byte buffer and still round-trip. */
    const double extremes[] = { DBL_MAX, -DBL_MAX, DBL_MIN, 4.9406564584124654e-324,
                                -1.2345678901234567e-300, 9.2233720368547758e18 };
    for (size_t i = 0; i < sizeof extremes / sizeof extremes[0]; i++) {
        double v = extremes[i], back;
        char big[64];
        sim_units_format_rate(v, big, sizeof big);
        cr_assert_lt(strlen(big), 32, "'%s' does not fit 32 bytes", big);
        cr_assert_eq(sim_units_parse_rate(big, &back, err, sizeof err), 0, "'%s': %s", big, err);
        cr_assert_eq(back, v, "rate %.17g -> '%s'", v, big);
        sim_units_format_number(v, big, sizeof big);
        cr_assert_lt(strlen(big), 32, "'%s' does not fit 32 bytes", big);
        cr_assert_eq(sim_units_parse_number(big, &back, err, sizeof err), 0, "'%s': %s", big, err);
        cr_assert_eq(back, v);
    }
    gsl_rng_free(g);
}

/* The progress line's simulated time (issue 21): the largest unit reached, 3 digits. */
Test(units, human_duration)
{
    char b[32];
    const struct { double s; const char *want; } cases[] = {
        {0, "0 s"}, {45, "45 s"}, {90, "1.5 min"}, {63000, "17.5 h"}, {86400, "1 d"}, {3 * 86400 + 4 * 3600, "3.17 d"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sim_units_format_human_duration(cases[i].s, b, sizeof b);
        cr_assert_str_eq(b, cases[i].want);
    }
}
