/*
 * cli/expect.h -- the [expect] section of a scenario (expect_*): the syntax of an
 * expectation line, metric look-ups in a results database, pinned fingerprints.  The
 * syntax is described in cli/expect.c's header.
 */
#ifndef CLI_EXPECT_H
#define CLI_EXPECT_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

typedef struct expectation {
    char metric[256];
    char op[3];
    char value_text[128];
    double value;
    int unit;              /* EXPECT_NUMBER, _BYTES, _SECONDS or _FRACTION: how VALUE was written */
    int line;
} expectation_t;

enum { EXPECT_NUMBER, EXPECT_BYTES, EXPECT_SECONDS, EXPECT_FRACTION };

/* Parse "METRIC OP VALUE" into *e.  0, or SIM_EINPUT with a message. */
int expect_parse_line(const char *line, expectation_t *e, char *err, size_t errlen);
/* An actual value v in the unit its expectation was written in ("1.46GiB", "17.5 min",
 * "12.5%", "0.25"), for people (issue 21). */
void expect_format_actual(const expectation_t *e, double v, char *buf, size_t len);
/* a OP b for OP in < <= > >= == != (1 true, 0 false). */
int expect_compare(double a, const char *op, double b);
/* The value of METRIC for run run_id.  0, or SIM_EINPUT (unknown metric, listed) / SIM_EIO. */
int expect_metric_value(sqlite3 *h, int64_t run_id, const char *metric, double *out, char *err, size_t errlen);
/* Rewrite the `fingerprint == X` lines lines[0..n) of file with fp.  0 or SIM_EIO. */
int expect_update_fingerprints(const char *file, const int *lines, size_t n, const char *fp, char *err,
                               size_t errlen);

#endif
