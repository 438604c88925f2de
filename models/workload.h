/*
 * models/workload.h -- what a VM's guest asks of memory over time (workload_*).
 *
 * A workload is a piecewise function of simulated time giving a workload_sample_t:
 *   anon_pages          anonymous demand the guest has committed (heap, stacks, tmpfs);
 *                       Hyper-V's "committed memory" is kernel reserve + this.
 *   file_pages          the file working set the guest would like to keep in page cache.
 *   active_fraction     fraction (0..1) of the guest's used pages (anon + file) touched in
 *                       an active-memory sampling period: what ESX's sampler estimates.
 *   access_pages_per_s  page references per second to the working set that can fault
 *                       when the referenced page is not resident (guest or host swapped,
 *                       or a page-cache miss).
 * Sources of samples: trace replay (CSV, Bitbrains GWA-T-12) and synthetic generators
 * (constant, step, diurnal, ou, onoff, spikes) drawn from the VM's own GSL stream.
 *
 * Cost model: a workload costs no events between change points.  The simulator calls
 * workload_next_change() to schedule its next update and workload_at() at that time
 * (and at any other event of the VM, with non-decreasing times).
 *
 * Traces are loaded once per file into a workload_library_t and shared by all VMs that
 * replay them (with per-VM scale, offset, phase and loop).
 *
 * ---------------------------------------------------------------------------------------
 * TYPES (key `workload`; every parameter is a `workload.KEY`, see workload_key_table)
 *   constant  anon = mean.
 *   step      anon = mean before step_at, mean + amplitude from step_at on (amplitude may be
 *             negative: a step down).  One change event.
 *   diurnal   anon(t_k) = mean + amplitude sin(2 pi (t_k + shift) / period) + noise N(0,1),
 *             recomputed at every t_k = k * step (held in between).  Peak at period/4.
 *   ou        Ornstein-Uhlenbeck random walk around mean, exact discretisation at every step
 *             (Gillespie 1996, Phys. Rev. E 54, 2084):
 *               x' = mean + (x - mean) e^(-step/tau) + noise sqrt(1 - e^(-2 step/tau)) N(0,1)
 *             `noise` is the STATIONARY standard deviation sigma / sqrt(2 theta), theta = 1/tau;
 *             x(0) is drawn from the stationary law N(mean, noise^2).  Autocorrelation at lag
 *             tau is 1/e.
 *   onoff     two-state Markov chain: anon = mean while off, mean + amplitude while on;
 *             on and off periods are exponential with means on_time and off_time; the first
 *             state is drawn from the stationary law (on with prob. on/(on+off)).
 *   spikes    anon = mean, plus spikes: gaps between spikes exponential (mean
 *             spike_interval, measured from the end of the previous spike: spikes never
 *             overlap), durations exponential (mean spike_duration), heights Pareto with
 *             shape spike_alpha and minimum spike_size (mean alpha x_m / (alpha - 1)).
 *   trace     replay of a CSV trace (format below) or of one Bitbrains file (detected).
 *   bitbrains replay of Bitbrains GWA-T-12 files: workload.file is a directory (VM i of the
 *             group replays the i-th usable file, i mod count) or one file.
 * Every type: demand is clamped to >= 0 and, when workload.max > 0, to <= max.  file_pages,
 * active_fraction and access_pages_per_s come from workload.file_set, .active_fraction and
 * .access_rate unless a CSV trace has those columns.  Drawn event times are whole ns, at
 * least 1 ns apart.  Phase: VM i is shifted by shift = i * workload.phase, i.e. it sees
 * the source at time t + shift (trace, step, diurnal; the stationary random types ignore it,
 * their streams differ per VM anyway).
 *
 * ---------------------------------------------------------------------------------------
 * CSV TRACE FORMAT (workload = trace)
 *   # comment lines (first non-blank character '#') and blank lines are skipped anywhere
 *   time_s,anon_bytes,file_bytes,active_fraction,access_pages_per_s
 *   0,1073741824,268435456,0.5,16384
 *   300,1207959552,268435456,0.45,20000
 * The first other line is the header; columns are separated by ',', in any order, each
 * name carrying its unit:
 *   time     (required)  time_ns | time_us | time_ms | time_s | time_min | time_h
 *   anon     (required)  anon_bytes | anon_kib | anon_mib | anon_gib | anon_pages
 *   file     (optional)  file_bytes | file_kib | file_mib | file_gib | file_pages
 *   active_fraction      (optional) 0..1
 *   access   (optional)  access_pages_per_s | access_bytes_per_s
 * Quoting follows RFC 4180 (as R's write.csv and pandas write it): any field may be in
 * double quotes, a quote inside doubled, a quoted field may span lines; lines may end in
 * CRLF.  A column whose header is empty (R's row names, `""`) is ignored.
 * Values are decimal numbers (exponents allowed).  Time is relative to the first row;
 * memory is rounded up to whole 4 KiB pages.  Errors (SIM_EINPUT, "FILE:LINE: ..."): an
 * empty file or no data row, an unknown, repeated or missing column, a row with the wrong
 * number of fields, a non-numeric or non-finite field, decreasing time, negative memory
 * or access rate, an active_fraction outside 0..1, a value beyond the bound of the
 * scenario key its column stands for (memory 1 PiB as workload.max, access 1e15 B/s as
 * workload.access_rate), a NUL byte, a file that is not regular (FIFO, device).  A UTF-8
 * BOM before the header is skipped; fields quoted in messages have control bytes escaped.
 *
 * BITBRAINS GWA-T-12 (one file per VM; detected by a header row starting "Timestamp")
 *   Fields are separated by ';' (and a tab).  Columns are found by header name:
 *   "Timestamp [ms]", "Memory capacity provisioned [KB]", "Memory usage [KB]" (KB = KiB).
 *   MEANING: "Memory usage" is taken to be ACTIVE memory (VMware's mem.active as collected
 *   by vCenter: far below provisioned, noisy).  The replay keeps what an active-memory
 *   sampler would see equal to the trace (docs/models.md "Bitbrains mapping"):
 *       u      = usage * scale + offset              (clamped >= 0)
 *   workload.mapping = fit (default, issue 19): kernel + demand + a minimal page cache fit
 *   the guest's memory M (the VM's `memory`, = provisioned unless given):
 *       room   = M - reserved - min_cache            (>= 0; reserved = kernel reserve +
 *                                                     the guest's Linux high watermark,
 *                                                     workload_set_guest; min_cache =
 *                                                     workload.min_cache, 0 = file_set)
 *       active = min(u, room)                        (capped_pages = u - active: counted)
 *       anon   = min(active / active_fraction, room)
 *   workload.mapping = legacy (before issue 19; the kernel is ignored, usage above
 *   provisioned is replayed uncapped):
 *       active = u
 *       anon   = min(active / active_fraction, max(active, provisioned))
 *   Both: sample active_fraction = active / anon (= workload.active_fraction unless capped),
 *   so active_fraction = 1 replays usage as the anonymous demand itself.
 *   Provisioned memory of a file = the largest non-zero "Memory capacity provisioned"
 *   (rows of a VM that is not running read 0).  Quirks, each with its rule:
 *   Q1 seconds labelled ms   timestamps are Unix SECONDS whatever the header says; only a
 *                            file whose first timestamp is >= 1e11 (no Unix-seconds value
 *                            before the year 5138) is read as milliseconds.
 *   Q2 all-zero rows         a row whose provisioned memory is 0 is a missing sample
 *                            (the VM was not running / not monitored); a row whose usage
 *                            alone is 0 is a missing sample too (a monitoring drop-out:
 *                            a running VM never has exactly 0 active KB).  Missing rows are
 *                            dropped: the previous value holds across them (step) or the
 *                            neighbours are joined (linear), as for any gap.  Leading and
 *                            trailing missing rows thus trim the trace: it starts at the
 *                            first and ends at the last valid row.
 *   Q3 duplicate timestamps  missing rows are dropped first; of several valid rows with
 *                            the same timestamp the LAST in the file wins (also in CSV).
 *   Q4 gaps                  no special case: an interval of any length is replayed with
 *                            the chosen interpolation (hold, or a straight line).
 *   Q5 short traces          workload.loop = yes replays the trace cyclically, no holds the
 *                            last value forever.
 *   A file with no valid row is "unusable": skipped in a directory, an error when named.
 *   Other columns are not read (a non-numeric CPU field is not an error).
 *
 * REPLAY (both formats).  Points t_0 = 0 < t_1 < ... < t_{n-1}.  At trace time u:
 *   step    value of the last point with t_i <= u;
 *   linear  straight line between the points around u;
 *   after t_{n-1}: loop = no holds point n-1; loop = yes wraps u modulo the cycle
 *   C = t_{n-1} + (t_{n-1} - t_{n-2}) (the last point holds for one more last interval, or
 *   in linear mode ramps back to point 0 over it).  A one-point trace is constant.
 *   scale multiplies the memory columns (anon or usage, and file); offset is added to
 *   anon (usage); both in pages after rounding.  Rows equal to both neighbours are not
 *   stored (the "compact form": it changes neither interpolation).
 */
#ifndef MODELS_WORKLOAD_H
#define MODELS_WORKLOAD_H

#include <gsl/gsl_rng.h>
#include "sim/types.h"
#include "sim/keys.h"

typedef struct workload_sample {
    int64_t anon_pages;
    int64_t file_pages;
    double active_fraction;
    double access_pages_per_s;
    int64_t capped_pages;    /* Bitbrains, mapping = fit: trace usage (active, after scale and
                              * offset) above what the mapping admits, cut off; else 0 */
} workload_sample_t;

/* The workload.* keys of a [vm NAME] section (filled through workload_key_table).
 * Public: the scenario layer embeds it.  Units are in the names. */
typedef struct workload_params {
    char type[SIM_STR_MAX];          /* workload: constant|step|diurnal|ou|onoff|spikes|trace|bitbrains */
    int64_t mean_bytes;              /* base level of every generator */
    int64_t amplitude_bytes;         /* step size, sinusoid amplitude, on-level above mean */
    sim_time_t period_ns;            /* diurnal period */
    int64_t noise_bytes;             /* diurnal noise sd per step; ou stationary sd */
    sim_time_t tau_ns;               /* ou correlation time 1/theta */
    sim_time_t step_ns;              /* update interval of diurnal and ou */
    sim_time_t step_at_ns;           /* time of the step of `step` */
    sim_time_t on_time_ns;           /* onoff: mean on period */
    sim_time_t off_time_ns;          /* onoff: mean off period */
    sim_time_t spike_interval_ns;    /* spikes: mean gap between spikes */
    sim_time_t spike_duration_ns;    /* spikes: mean spike duration */
    int64_t spike_size_bytes;        /* spikes: Pareto minimum height x_m */
    double spike_alpha;              /* spikes: Pareto shape (> 1) */
    int64_t max_bytes;               /* cap on anon demand, 0 = none */
    char file[SIM_STR_MAX];          /* trace file, or Bitbrains directory */
    char interpolate[SIM_STR_MAX];   /* step|linear */
    double scale;                    /* trace memory multiplier */
    int64_t offset_bytes;            /* added to trace anon (usage); may be negative */
    sim_time_t phase_ns;             /* per-VM shift: VM i sees time t + i * phase */
    int loop;                        /* replay traces cyclically */
    int64_t file_set_bytes;          /* file working set (unless a trace column gives it) */
    double active_fraction;          /* 0..1 (unless a trace column gives it) */
    double access_rate_bytes_per_s;  /* working-set references, as bytes/s (/4096 = pages/s) */
    char mapping[SIM_STR_MAX];       /* Bitbrains usage -> demand: fit|legacy */
    int64_t min_cache_bytes;         /* mapping = fit: page cache left beside kernel and demand
                                      * (0 = file_set_bytes) */
} workload_params_t;

typedef struct workload workload_t;                 /* one per VM, opaque */
typedef struct workload_library workload_library_t; /* shared traces, one per run */

/* The key table of the workload.* keys: "workload" and "workload.KEY". */
extern const sim_key_table_t workload_key_table;

/* Cross-key checks after parsing (e.g. trace and bitbrains need workload.file, bitbrains
 * needs active_fraction > 0, diurnal needs step <= period / 2).  Returns 0 or SIM_EINPUT
 * with "workload.KEY: message" in err.  Files are not opened here (workload_create does). */
int workload_params_check(const workload_params_t *p, char *err, size_t errlen);

/* The library of loaded traces (one per run, shared by all VMs).  create returns
 * SIM_ENOMEM on failure; destroy accepts NULL and frees every trace: it must outlive the
 * workloads created from it. */
int workload_library_create(workload_library_t **out);
void workload_library_destroy(workload_library_t *lib);

/* Create the workload of one VM.  vm_index is the VM's index within its group (phase
 * shift phase * vm_index; file vm_index mod count of a Bitbrains directory).  rng is owned
 * by the caller, outlives the workload, and is drawn from only by this workload (initial
 * state at create, then at change points in time order, so the output depends only on the
 * seed, never on when workload_at is called).  Traces are loaded through lib, once per
 * path.  Returns 0, SIM_EINPUT (bad parameters or trace file: "FILE:LINE: message"),
 * SIM_EIO, or SIM_ENOMEM; on failure *out is NULL and nothing leaks. */
int workload_create(workload_t **out, const workload_params_t *p, workload_library_t *lib,
                    int64_t vm_index, gsl_rng *rng, char *err, size_t errlen);
void workload_destroy(workload_t *w);                /* accepts NULL */

/* The guest a Bitbrains workload runs in, for mapping = fit: memory_pages the guest sees
 * (its configured memory) and reserved_pages it never gives to the workload (kernel
 * reserve + free-memory watermark).  Without this call (trace generate): memory =
 * provisioned, reserved = 0.  Other types ignore it. */
void workload_set_guest(workload_t *w, int64_t memory_pages, int64_t reserved_pages);

/* The sample at t_ns.  t_ns must not decrease across calls (asserted for generators). */
void workload_at(workload_t *w, sim_time_t t_ns, workload_sample_t *out);

/* Next time > t_ns at which the sample changes, SIM_TIME_NEVER if never.  For linear
 * interpolation: the next trace point (the value changes continuously in between; the
 * simulator re-reads at its other events).  Call after workload_at(w, t_ns): a random
 * generator whose pending change is already <= t_ns (workload_at not called since) returns
 * t_ns + 1 so that the caller catches up. */
sim_time_t workload_next_change(const workload_t *w, sim_time_t t_ns);

/* Bitbrains directories (VM groups).  Usable files are the regular files named *.csv
 * with at least one valid memory row, sorted by name numerically (1.csv, 3.csv, 10.csv;
 * names that are not numbers after all numbered ones, in strcmp order).  Loading errors of
 * any file are reported (SIM_EINPUT "FILE:LINE: ..."); a directory with no usable file, or
 * a file in it that is not in the Bitbrains format, is an error.  `dir` may also name one
 * Bitbrains file: a group of count 1.  provisioned_bytes of file `index` (0-based; taken
 * mod count, as workload_create does for VM indexes): the largest non-zero
 * "Memory capacity provisioned [KB]" x 1024 (KB = KiB).  scale is not applied. */
int workload_bitbrains_dir_count(workload_library_t *lib, const char *dir, int64_t *out_count,
                                 char *err, size_t errlen);
int workload_bitbrains_provisioned_bytes(workload_library_t *lib, const char *dir, int64_t index,
                                         int64_t *out_bytes, char *err, size_t errlen);

/* Name of the file VM vm_index of a Bitbrains directory replays (valid while lib lives),
 * or NULL with err set.  Useful for the run's metadata. */
const char *workload_bitbrains_file(workload_library_t *lib, const char *dir, int64_t vm_index,
                                    char *err, size_t errlen);

#endif
