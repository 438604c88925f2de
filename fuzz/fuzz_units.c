/*
 * fuzz/fuzz_units.c -- libFuzzer harness: the unit parser (sim/units.h).
 *
 * Input: one byte choosing the parser (size, duration, rate, fraction, number,
 * integer; taken mod 6), then the text.  Every parser is called on the text; where it
 * succeeds, the canonical form sim_units_format_* must parse back to the same value --
 * the promise of sim/units.h that the resolved parameters stored with a run rely on.
 * The text also goes through the [expect] value reader's order (number, size, duration,
 * fraction) implicitly, since those are the same functions.
 * Seeds: fuzz/corpus/units/.
 */
#include <math.h>
#include <stdint.h>
#include "fuzz/fuzz_common.h"
#include "sim/units.h"

static void fail_roundtrip(const char *what, const char *in, const char *canon)
{
    fprintf(stderr, "%s: '%s' formats as '%s', which does not parse back to the same value\n",
            what, in, canon);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned which = data[0] % 6;
    char *s = fuzz_strndup(data + 1, size - 1);
    char err[SIM_ERR_MAX], buf[64], err2[SIM_ERR_MAX];
    int64_t i64, j64;
    sim_time_t ns, ns2;
    double d, d2;

    /* every parser sees every input; the chosen one also checks the round trip */
    if (sim_units_parse_bytes(s, &i64, err, sizeof err) == 0 && which == 0) {
        sim_units_format_bytes(i64, buf, sizeof buf);
        if (sim_units_parse_bytes(buf, &j64, err2, sizeof err2) != 0 || j64 != i64)
            fail_roundtrip("size", s, buf);
    }
    if (sim_units_parse_duration(s, &ns, err, sizeof err) == 0 && which == 1) {
        sim_units_format_duration(ns, buf, sizeof buf);
        if (sim_units_parse_duration(buf, &ns2, err2, sizeof err2) != 0 || ns2 != ns)
            fail_roundtrip("duration", s, buf);
    }
    if (sim_units_parse_rate(s, &d, err, sizeof err) == 0) {
        if (!isfinite(d))
            fail_roundtrip("rate (not finite)", s, "");
        if (which == 2) {
            sim_units_format_rate(d, buf, sizeof buf);
            if (sim_units_parse_rate(buf, &d2, err2, sizeof err2) != 0 || d2 != d)
                fail_roundtrip("rate", s, buf);
        }
    }
    if (sim_units_parse_fraction(s, &d, err, sizeof err) == 0) {
        if (!isfinite(d))
            fail_roundtrip("fraction (not finite)", s, "");
        if (which == 3) {
            sim_units_format_fraction(d, buf, sizeof buf);
            if (sim_units_parse_fraction(buf, &d2, err2, sizeof err2) != 0 || d2 != d)
                fail_roundtrip("fraction", s, buf);
        }
    }
    if (sim_units_parse_number(s, &d, err, sizeof err) == 0) {
        if (!isfinite(d))
            fail_roundtrip("number (not finite)", s, "");
        if (which == 4) {
            sim_units_format_number(d, buf, sizeof buf);
            if (sim_units_parse_number(buf, &d2, err2, sizeof err2) != 0 || d2 != d)
                fail_roundtrip("number", s, buf);
        }
    }
    if (sim_units_parse_int(s, &i64, err, sizeof err) == 0 && which == 5) {
        snprintf(buf, sizeof buf, "%lld", (long long)i64);
        if (sim_units_parse_int(buf, &j64, err2, sizeof err2) != 0 || j64 != i64)
            fail_roundtrip("integer", s, buf);
    }
    free(s);
    return 0;
}
