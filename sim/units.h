/*
 * sim/units.h -- parsing and printing of human units (sim_units_*).
 *
 * Accepted forms (case of the unit matters only for B vs b, which we do not use):
 *   size      "4GiB", "512MiB", "64KiB", "4096", "4096B", "1.5GiB", "2TiB",
 *             "4GB" (= 4*10^9 B), "4MB", "4kB"; a bare number is bytes.
 *             Results are rounded to the nearest byte.
 *   duration  "30s", "5ms", "100us", "250ns", "2min", "24h", "7d", "1.5h";
 *             a bare number is seconds.
 *   rate      a size per second: "1GiB/s", "64MiB/s", "500MB/s"; a bare number is bytes/s.
 *   fraction  "20%" = 0.20, or a plain number "0.2".
 *   number    a plain decimal or exponent number ("5000", "1e-3").
 *   integer   a plain decimal integer ("24").
 * Units ignore case except for the final B (see sim/units.c); white space may separate
 * a number from its unit ("4 GiB").
 * Leading/trailing white space is ignored; anything else (empty strings, trailing
 * garbage, "nan", "inf", values that overflow int64) is an error.  Negative values
 * parse (a range check in the key table rejects them where they are wrong), so that
 * the message can say "must be >= 0" rather than "not a size".
 *
 * Every function returns 0 on success or SIM_EINPUT with a short message in err
 * (e.g. "'4XB' is not a size: unknown unit 'XB' (use B, KiB, MiB, GiB, TiB, kB, MB, GB, TB)").
 * The message does not name the file/section/key; the caller adds that context.
 */
#ifndef SIM_UNITS_H
#define SIM_UNITS_H

#include "sim/types.h"

int sim_units_parse_bytes(const char *s, int64_t *out_bytes, char *err, size_t errlen);
int sim_units_parse_duration(const char *s, sim_time_t *out_ns, char *err, size_t errlen);
int sim_units_parse_rate(const char *s, double *out_bytes_per_s, char *err, size_t errlen);
int sim_units_parse_fraction(const char *s, double *out, char *err, size_t errlen);
int sim_units_parse_number(const char *s, double *out, char *err, size_t errlen);
int sim_units_parse_int(const char *s, int64_t *out, char *err, size_t errlen);

/* Canonical text forms, used to store resolved parameters and in help text.
 * They produce the shortest exact form ("4GiB", "1.5GiB", "30s", "5ms", "20%")
 * and always parse back to the same value.  buf must hold at least 32 bytes. */
void sim_units_format_bytes(int64_t bytes, char *buf, size_t len);
void sim_units_format_duration(sim_time_t ns, char *buf, size_t len);
void sim_units_format_rate(double bytes_per_s, char *buf, size_t len);
/* A plain number, shortest text that reads back to v ("0.1", "5000", "1e-30"). */
void sim_units_format_number(double v, char *buf, size_t len);
/* A fraction as a percentage, shortest exact ("20%", "0.25%", "100%"). */
void sim_units_format_fraction(double v, char *buf, size_t len);
/* Bytes for people, not parsed back: "512B", "3.25GiB" (two decimals from KiB up to PiB). */
void sim_units_format_human(double bytes, char *buf, size_t len);
/* Seconds for people, not parsed back: "45 s", "17.5 min", "17.5 h", "3.2 d" (the largest
 * unit the value reaches, at most 3 significant digits). */
void sim_units_format_human_duration(double s, char *buf, size_t len);

#endif
