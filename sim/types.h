/*
 * sim/types.h -- basic types and unit constants shared by the engine and the models.
 *
 * Units (docs/design.md "Units and numbers"):
 *   - simulated time is sim_time_t, int64_t nanoseconds since the start of a run;
 *     never double seconds in state.  INT64_MAX ns is about 292 years, so
 *     overflow is impossible for any sane scenario; SIM_TIME_NEVER marks "no time".
 *   - memory in state is int64_t pages of SIM_PAGE_BYTES (4 KiB); bytes appear
 *     only at the edges (scenario files, database columns named *_bytes).
 *
 * Error convention (docs/design.md "Conventions", rule 8): functions return int, 0 on success and
 * SIM_EINPUT / SIM_ENOMEM / SIM_EIO / SIM_EINTERNAL on failure, with a message
 * written into a caller-provided buffer (char *err, size_t errlen).
 * The exit status of the binary maps SIM_EINPUT to 2.
 */
#ifndef SIM_TYPES_H
#define SIM_TYPES_H

#include <stdint.h>
#include <stddef.h>

typedef int64_t sim_time_t;

#define SIM_NS_PER_US   INT64_C(1000)
#define SIM_NS_PER_MS   INT64_C(1000000)
#define SIM_NS_PER_S    INT64_C(1000000000)
#define SIM_TIME_NEVER  INT64_MAX

#define SIM_PAGE_BYTES  INT64_C(4096)
#define SIM_KIB         INT64_C(1024)
#define SIM_MIB         (INT64_C(1024) * 1024)
#define SIM_GIB         (INT64_C(1024) * 1024 * 1024)

/* Error codes.  0 is success. */
enum {
    SIM_OK = 0,
    SIM_EINPUT = 2,     /* bad input: scenario, trace, command line (exit status 2) */
    SIM_ENOMEM = 3,     /* out of memory */
    SIM_EIO = 4,        /* database or file system failure */
    SIM_EINTR = 5,      /* interrupted by a signal */
    SIM_EINTERNAL = 6   /* a bug */
};

#define SIM_ERR_MAX 1024   /* size of error buffers */
#define SIM_STR_MAX 256    /* size of string-valued scenario keys */

static inline int64_t sim_min64(int64_t a, int64_t b) { return a < b ? a : b; }
static inline int64_t sim_max64(int64_t a, int64_t b) { return a > b ? a : b; }

static inline double sim_time_to_s(sim_time_t t_ns) { return (double)t_ns / 1e9; }
static inline int64_t sim_bytes_to_pages(int64_t bytes)
{
    return (bytes + SIM_PAGE_BYTES - 1) / SIM_PAGE_BYTES;   /* round up: never lose a partial page */
}
static inline int64_t sim_pages_to_bytes(int64_t pages) { return pages * SIM_PAGE_BYTES; }

#endif
