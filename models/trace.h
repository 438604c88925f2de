/*
 * models/trace.h -- loaded traces in compact form, and the library that shares them
 * (workload_trace_*, workload_library_*).  Internal to the workload module: the format
 * and the quirk rules are specified in models/workload.h.
 *
 * A trace holds its points once, as parallel arrays (16 bytes a point, plus 16 for each
 * optional CSV column present), whatever the number of VMs that replay it.
 *
 * INVARIANTS of a loaded trace with n > 0 points:
 *   (T1) t_ns[0] == 0 and t_ns[i] < t_ns[i+1]        (relative, strictly increasing)
 *   (T2) mem_pages[i] >= 0, file_pages[i] >= 0, 0 <= active_fraction[i] <= 1,
 *        access_pages_per_s[i] >= 0
 *   (T3) cycle_ns == 0 when n == 1, else cycle_ns > t_ns[n-1]
 *   (T4) no interior point equals both neighbours in every stored column (compaction)
 * A Bitbrains file whose rows are all missing loads with n == 0 ("unusable").
 */
#ifndef MODELS_TRACE_H
#define MODELS_TRACE_H

#include "sim/types.h"
#include "models/workload.h"

typedef enum { WORKLOAD_TRACE_CSV, WORKLOAD_TRACE_BITBRAINS } workload_trace_format_t;

/* What the loader saw, for `balloonsim trace check` and tests.  Counted before compaction. */
typedef struct workload_trace_stats {
    int64_t rows;              /* data rows read (header and comments excluded) */
    int64_t missing_rows;      /* Bitbrains rows dropped as missing samples (Q2) */
    int64_t zero_rows;         /*   of which provisioned memory was 0 too (all-zero rows) */
    int64_t repeated_timestamps; /* rows with the timestamp of the row before (any row) */
    int64_t duplicate_rows;    /* valid rows replaced by a later one at the same time (Q3) */
    int64_t kept_rows;         /* distinct timestamps kept */
    int timestamps_ms;         /* Bitbrains: timestamps read as milliseconds (Q1) */
    sim_time_t median_interval_ns;
    int64_t gaps;              /* intervals longer than 1.5 x the median (Q4) */
    sim_time_t max_interval_ns;
    int64_t min_pages, max_pages;   /* of mem_pages over kept rows */
    double mean_pages;              /* row mean of mem_pages over kept rows */
    int64_t over_provisioned_rows;  /* Bitbrains: kept rows whose usage exceeds provisioned_pages */
} workload_trace_stats_t;

typedef struct workload_trace {
    char *path;                      /* as given to the loader */
    workload_trace_format_t format;
    size_t n;                        /* stored points */
    sim_time_t *t_ns;
    int64_t *mem_pages;              /* CSV: anon demand; Bitbrains: memory usage (active) */
    int64_t *file_pages;             /* NULL when the CSV has no file column (and Bitbrains) */
    double *active_fraction;         /* NULL when absent */
    double *access_pages_per_s;      /* NULL when absent */
    sim_time_t duration_ns;          /* t_ns[n-1] */
    sim_time_t cycle_ns;             /* loop length (T3) */
    double provisioned_kib;          /* Bitbrains: largest non-zero provisioned; 0 for CSV */
    int64_t provisioned_pages;       /* the same, rounded up to pages */
    workload_trace_stats_t stats;
} workload_trace_t;

/* Load a trace file, detecting the format from its first line.  Returns 0, SIM_EINPUT
 * with "PATH:LINE: message" (or "PATH: message"), SIM_EIO when the file cannot be read,
 * SIM_ENOMEM.  On failure *out is NULL. */
int workload_trace_load(const char *path, workload_trace_t **out, char *err, size_t errlen);
void workload_trace_destroy(workload_trace_t *t);    /* accepts NULL */

/* The trace of `path` from the library, loading it on first use.  The trace belongs to
 * the library.  Errors as workload_trace_load; a directory is an error naming
 * workload = bitbrains. */
int workload_library_trace(workload_library_t *lib, const char *path,
                           const workload_trace_t **out, char *err, size_t errlen);

/* 1 if path is a directory, 0 if not (or it does not exist). */
int workload_path_is_dir(const char *path);

/* The usable trace number `index` of Bitbrains directory `dir` (index taken mod count).
 * Errors as workload_bitbrains_dir_count. */
int workload_library_dir_trace(workload_library_t *lib, const char *dir, int64_t index,
                               const workload_trace_t **out, char *err, size_t errlen);

/* WARNINGS (issue 19): a trace that loads but that a researcher should look at before
 * trusting a replay of it.  `balloonsim trace check` prints them (exit 0; --strict: 2),
 * `run` and `sweep` once per file replayed (docs/scenarios.md "Trace warnings"):
 *   dropped      more than WORKLOAD_TRACE_WARN_DROPPED of the data rows dropped (missing
 *                samples, duplicate timestamps): the rest is replayed as if complete;
 *   short        a span (first to last kept row) under WORKLOAD_TRACE_WARN_SPAN_NS: a
 *                looped replay repeats it many times a day;
 *   over         Bitbrains usage above the provisioned memory in some rows (capped by
 *                workload.mapping = fit, replayed as is by legacy);
 *   host         Bitbrains provisioned memory larger than a host has for one VM (memory -
 *                reserve - vm_overhead), when host_room_bytes > 0: a VM sized by the
 *                trace (memory = 0) cannot be placed. */
#define WORKLOAD_TRACE_WARN_DROPPED 0.5
#define WORKLOAD_TRACE_WARN_SPAN_NS (3600 * SIM_NS_PER_S)

typedef struct workload_trace_limits {
    int64_t host_room_bytes;        /* bytes a host has for one VM; 0 = no host known */
    const char *host_from;          /* where that room comes from (a scenario), for messages */
} workload_trace_limits_t;

/* Call emit(ctx, message) for every warning of tr (messages start with the trace's
 * path); returns how many. */
int workload_trace_warnings(const workload_trace_t *tr, const workload_trace_limits_t *lim,
                            void (*emit)(void *ctx, const char *msg), void *ctx);

#endif
