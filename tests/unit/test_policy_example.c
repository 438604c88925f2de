/*
 * tests/unit/test_policy_example.c -- Criterion suite "policy_example": the README's
 * example policy, memory in proportion to committed memory (models/policies/example.c).
 *
 * Scenarios run through the whole model into a temporary SQLite database under /tmp;
 * the checks read what the simulator recorded.  Committed memory = kernel (64 MiB) +
 * anonymous demand.
 */
#include <criterion/criterion.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>

#include "sim/ini.h"
#include "models/dc.h"
#include "models/record.h"
#include "models/scenario.h"
#include "tests/unit/harness.h"

/* ------------------------------------------------------------------ helpers */

/* harness_run_text, harness_done, harness_qnum, MIB: tests/unit/harness.h */


/* Two VMs of 2.5 GiB committing 1088 MiB and 2112 MiB on a host of `host`. */
static const char *two_vms(char *buf, size_t len, const char *host)
{
    snprintf(buf, len,
             "[simulation]\nduration = 10min\nsample_interval = 30s\n"
             "[host]\nmemory = %s\n"
             "[vm small]\nmemory = 2.5GiB\nworkload = constant\nworkload.mean = 1GiB\nworkload.file_set = 64MiB\n"
             "[vm big]\nmemory = 2.5GiB\nworkload = constant\nworkload.mean = 2GiB\nworkload.file_set = 64MiB\n"
             "[balloon]\npreset = virtio\n"
             "[policy]\nname = example\n",
             host);
    return buf;
}

static double final_usable(sqlite3 *q, const char *grp)
{
    return harness_qnum(q, "SELECT value FROM vm_summary JOIN vms USING (vm_id) WHERE metric = 'usable_final_bytes' "
                   "AND grp = '%s'", grp);
}

Test(policy_example, a_roomy_host_gives_committed_plus_headroom)
{
    char text[1024];
    sqlite3 *q = harness_run_text("example-roomy", two_vms(text, sizeof text, "8GiB"));
    double small = final_usable(q, "small"), big = final_usable(q, "big");
    /* 1.2 x committed, rounded up to the virtio driver's 1 MiB grain */
    cr_assert(fabs(small - 1.2 * 1088 * MIB) <= 1 * MIB, "small %.1f MiB", small / MIB);
    cr_assert(fabs(big - 1.2 * 2112 * MIB) <= 1 * MIB, "big %.1f MiB", big / MIB);
    harness_done(q);
}

Test(policy_example, a_short_host_splits_memory_in_proportion_to_committed)
{
    char text[1024];
    sqlite3 *q = harness_run_text("example-short", two_vms(text, sizeof text, "3GiB"));
    double small = final_usable(q, "small"), big = final_usable(q, "big");
    double scale = harness_qnum(q, "SELECT value FROM policy_log WHERE what = 'scale' ORDER BY time_ns DESC LIMIT 1");
    cr_assert_lt(scale, 0.9, "the host should be short (scale %.3f)", scale);
    cr_assert_lt(big + small, 1.2 * (1088 + 2112) * MIB * 0.9);
    cr_assert_lt(fabs(big / small - 2112.0 / 1088.0), 0.03, "big/small = %.3f", big / small);
    harness_done(q);
}
