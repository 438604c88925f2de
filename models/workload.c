/*
 * models/workload.c -- workloads of VMs: the key table, the registry of workload types,
 * the synthetic generators and trace replay (workload_*).
 *
 * The types, their parameters and the trace rules are specified in models/workload.h.
 * Trace loading and the shared library are in models/trace.c.
 *
 * STATE.  A workload is about 300 bytes: its parameters in pages and ns, a pointer to a
 * shared trace and a cursor (replay), or the generator's current level and its pending
 * change time (generators).  Nothing is allocated after workload_create.
 *
 * GENERATORS as a state machine: every generator holds its level and `next_ns`, the time of
 * its next change (SIM_TIME_NEVER if none):
 *
 *        create: init() draws the initial state
 *           |
 *           v
 *     [level L, next_ns] --(workload_at(t), t >= next_ns)--> change(): new level, new next_ns
 *           ^                                                     |
 *           +-----------------------------------------------------+  (repeated until next_ns > t)
 *
 * change() is called at every change point in time order, whatever the times at which
 * workload_at is called, so the draws -- and the output -- depend only on the seed.
 *   step     init: L = mean (or mean + amplitude if step_at - shift <= 0); change: the step.
 *   diurnal  change at every k*step: L = mean + A sin(2 pi ((k step + shift) mod P) / P) + noise N.
 *   ou       change at every k*step: exact OU update (Gillespie 1996, eq. 1.3; see workload.h).
 *   onoff    change at the end of each exponential on/off period: flip.
 *   spikes   change at the start (Pareto height, exponential duration) and end of each spike.
 * Known answers (tests): stationary mean and variance of ou, on-fraction on/(on+off) of
 * onoff, Pareto mean alpha x_m / (alpha - 1) of spike heights, the diurnal period.
 */
#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "sim/err.h"
#include "models/trace.h"
#include "models/workload.h"

#define TWO_PI 6.283185307179586476925286766559
#define PIB (1125899906842624.0)            /* 1 PiB: upper bound of sizes */
#define DAYS_3650 (3650.0 * 86400e9)        /* upper bound of durations, in ns */

/* ------------------------------------------------------------------------------------ */
/* the key table                                                                        */
/* ------------------------------------------------------------------------------------ */

#define OFF(f) offsetof(workload_params_t, f)
static const sim_key_t workload_keys[] = {
    { "workload", SIM_KEY_CHOICE, OFF(type), "constant", SIM_NO_RANGE,
      "constant|step|diurnal|ou|onoff|spikes|trace|bitbrains",
      "workload type: a synthetic generator, a CSV trace, or Bitbrains GWA-T-12 files" },
    { "workload.mean", SIM_KEY_BYTES, OFF(mean_bytes), "1GiB", 0, PIB, NULL,
      "anonymous demand (size): the constant level; the level before the step; the centre of "
      "diurnal and ou; the off level of onoff; the level between spikes" },
    { "workload.amplitude", SIM_KEY_BYTES, OFF(amplitude_bytes), "512MiB", -PIB, PIB, NULL,
      "size: step height (negative = down); diurnal sinusoid amplitude; onoff on level above mean" },
    { "workload.period", SIM_KEY_DURATION, OFF(period_ns), "24h", 1e6, DAYS_3650, NULL,
      "duration: period of the diurnal sinusoid" },
    { "workload.noise", SIM_KEY_BYTES, OFF(noise_bytes), "64MiB", 0, PIB, NULL,
      "size: diurnal Gaussian noise standard deviation per step; ou stationary standard deviation" },
    { "workload.tau", SIM_KEY_DURATION, OFF(tau_ns), "10min", 1e6, DAYS_3650, NULL,
      "duration: ou correlation time 1/theta (autocorrelation 1/e at this lag)" },
    { "workload.step", SIM_KEY_DURATION, OFF(step_ns), "60s", 1e6, DAYS_3650, NULL,
      "duration: update interval of diurnal and ou (the value holds in between)" },
    { "workload.step_at", SIM_KEY_DURATION, OFF(step_at_ns), "1h", 0, DAYS_3650, NULL,
      "duration: time of the change of the step workload" },
    { "workload.on_time", SIM_KEY_DURATION, OFF(on_time_ns), "10min", 1e6, DAYS_3650, NULL,
      "duration: onoff mean length of an on period (exponential)" },
    { "workload.off_time", SIM_KEY_DURATION, OFF(off_time_ns), "30min", 1e6, DAYS_3650, NULL,
      "duration: onoff mean length of an off period (exponential)" },
    { "workload.spike_interval", SIM_KEY_DURATION, OFF(spike_interval_ns), "1h", 1e6, DAYS_3650, NULL,
      "duration: spikes mean gap from the end of a spike to the next (exponential)" },
    { "workload.spike_duration", SIM_KEY_DURATION, OFF(spike_duration_ns), "5min", 1e6, DAYS_3650, NULL,
      "duration: spikes mean spike length (exponential)" },
    { "workload.spike_size", SIM_KEY_BYTES, OFF(spike_size_bytes), "256MiB", 0, PIB, NULL,
      "size: spikes minimum height x_m of the Pareto law" },
    { "workload.spike_alpha", SIM_KEY_REAL, OFF(spike_alpha), "2.5", 1.01, 100, NULL,
      "number: spikes Pareto shape alpha (> 1; mean height alpha x_m / (alpha - 1))" },
    { "workload.max", SIM_KEY_BYTES, OFF(max_bytes), "0", 0, PIB, NULL,
      "size: cap on the anonymous demand of every type; 0 = no cap" },
    { "workload.file", SIM_KEY_STRING, OFF(file), "", SIM_NO_RANGE, NULL,
      "path: trace file (trace), Bitbrains directory or file (bitbrains)" },
    { "workload.interpolate", SIM_KEY_CHOICE, OFF(interpolate), "step", SIM_NO_RANGE, "step|linear",
      "trace interpolation: hold each point (step) or join points by straight lines (linear)" },
    { "workload.scale", SIM_KEY_REAL, OFF(scale), "1", 0, 1e6, NULL,
      "number: multiplier of trace memory columns (anon or Bitbrains usage, file)" },
    { "workload.offset", SIM_KEY_BYTES, OFF(offset_bytes), "0", -PIB, PIB, NULL,
      "size: added to trace anon demand (Bitbrains usage) after scale; may be negative" },
    { "workload.phase", SIM_KEY_DURATION, OFF(phase_ns), "0s", 0, DAYS_3650, NULL,
      "duration: per-VM time shift: VM i of the group sees its source at t + i * phase" },
    { "workload.loop", SIM_KEY_BOOL, OFF(loop), "yes", SIM_NO_RANGE, NULL,
      "bool: replay a trace cyclically (yes) or hold its last value (no)" },
    { "workload.file_set", SIM_KEY_BYTES, OFF(file_set_bytes), "256MiB", 0, PIB, NULL,
      "size: file working set wanted in page cache (unless a trace column gives it)" },
    { "workload.active_fraction", SIM_KEY_FRACTION, OFF(active_fraction), "50%", 0, 1, NULL,
      "fraction of used pages touched per sampling period (unless a trace column gives it)" },
    { "workload.access_rate", SIM_KEY_RATE, OFF(access_rate_bytes_per_s), "64MiB/s", 0, 1e15, NULL,
      "rate: references to the working set, size/s (/4 KiB = pages/s; unless a trace column gives it)" },
    { "workload.mapping", SIM_KEY_CHOICE, OFF(mapping), "fit", SIM_NO_RANGE, "fit|legacy",
      "Bitbrains usage -> demand: fit = kernel + watermark + demand + min_cache fit the VM's memory, usage "
      "above is capped and counted (usage_capped_s); legacy = min(usage / active_fraction, max(usage, "
      "provisioned)), the rule before issue 19 (docs/models.md)" },
    { "workload.min_cache", SIM_KEY_BYTES, OFF(min_cache_bytes), "0", 0, PIB, NULL,
      "size: page cache the fit mapping leaves beside the kernel, the watermark and the demand; "
      "0 = workload.file_set (Bitbrains; docs/models.md)" },
};
#undef OFF

const sim_key_table_t workload_key_table = SIM_KEY_TABLE("vm", workload_keys);

/* ------------------------------------------------------------------------------------ */
/* the workload and the registry of types                                               */
/* ------------------------------------------------------------------------------------ */

typedef struct workload_type workload_type_t;

struct workload {
    const workload_type_t *type;
    gsl_rng *rng;                     /* not owned */
    /* common, in pages */
    int64_t max_pages;                /* 0 = no cap */
    int64_t file_pages;
    double active_fraction;
    double access_pages_per_s;
    sim_time_t shift_ns;              /* vm_index * phase (mod cycle when looping) */
    sim_time_t last_t_ns;
    /* generators */
    double mean_pages, amplitude_pages, noise_pages;
    sim_time_t period_ns, step_ns, step_at_ns;
    double on_time_ns, off_time_ns, spike_interval_ns, spike_duration_ns;
    double spike_size_pages, spike_alpha;
    double ou_decay;                  /* e^(-step/tau) */
    double level_pages;               /* current level before clamping */
    sim_time_t next_ns;               /* pending change, SIM_TIME_NEVER if none */
    int on;                           /* onoff: on; spikes: in a spike */
    /* traces */
    const workload_trace_t *trace;    /* shared, owned by the library */
    size_t cursor;                    /* index of the point at or before the last read */
    int linear, loop;
    double scale;
    int64_t offset_pages;
    double bb_active_fraction;        /* Bitbrains: workload.active_fraction (> 0) */
    int bb_fit;                       /* Bitbrains: mapping = fit */
    int64_t bb_min_cache_pages;       /* fit: workload.min_cache */
    int64_t bb_memory_pages;          /* fit: the guest's memory (workload_set_guest) */
    int64_t bb_reserved_pages;        /* fit: kernel + watermark (workload_set_guest) */
};

struct workload_type {
    const char *name;
    /* draw the initial state (generators) or bind the trace (replay) */
    int (*init)(workload_t *w, const workload_params_t *p, workload_library_t *lib,
                int64_t vm_index, char *err, size_t errlen);
    /* generators: the change at w->next_ns (sets level and next_ns).  NULL for replay. */
    void (*change)(workload_t *w);
    /* replay: at and next_change.  NULL for generators. */
    void (*at)(workload_t *w, sim_time_t t_ns, workload_sample_t *out);
    sim_time_t (*next)(const workload_t *w, sim_time_t t_ns);
};

static double bytes_to_pages_d(int64_t bytes) { return (double)bytes / (double)SIM_PAGE_BYTES; }

/* t + d without overflow (SIM_TIME_NEVER beyond). */
static sim_time_t time_add(sim_time_t t, double d_ns)
{
    if (d_ns < 1.0)
        d_ns = 1.0;                   /* drawn events are at least 1 ns apart */
    if (d_ns >= (double)(SIM_TIME_NEVER - t))
        return SIM_TIME_NEVER;
    return t + (sim_time_t)llround(d_ns);
}

static int64_t clamp_pages(const workload_t *w, double pages)
{
    int64_t v;
    if (!(pages > 0))
        return 0;                     /* also NaN */
    if (pages > 4.0e15)
        pages = 4.0e15;
    v = llround(pages);
    if (w->max_pages > 0 && v > w->max_pages)
        v = w->max_pages;
    return v;
}

/* Rounded, >= 0, no cap (file sets: workload.max caps anonymous demand only). */
static int64_t nonneg_pages(double pages)
{
    if (!(pages > 0))
        return 0;
    return llround(pages > 4.0e15 ? 4.0e15 : pages);
}

/* ------------------------------------------------------------------------------------ */
/* generators                                                                           */
/* ------------------------------------------------------------------------------------ */

static int gen_constant_init(workload_t *w, const workload_params_t *p, workload_library_t *lib,
                             int64_t vm_index, char *err, size_t errlen)
{
    w->level_pages = w->mean_pages;
    w->next_ns = SIM_TIME_NEVER;
    return 0;
}

static void gen_never(workload_t *w) { w->next_ns = SIM_TIME_NEVER; }

static int gen_step_init(workload_t *w, const workload_params_t *p, workload_library_t *lib,
                         int64_t vm_index, char *err, size_t errlen)
{
    /* the VM sees the step at step_at - shift */
    if (w->step_at_ns <= w->shift_ns) {
        w->level_pages = w->mean_pages + w->amplitude_pages;
        w->next_ns = SIM_TIME_NEVER;
    } else {
        w->level_pages = w->mean_pages;
        w->next_ns = w->step_at_ns - w->shift_ns;
    }
    return 0;
}

static void gen_step_change(workload_t *w)
{
    w->level_pages = w->mean_pages + w->amplitude_pages;
    w->next_ns = SIM_TIME_NEVER;
}

static double diurnal_level(workload_t *w, sim_time_t t_ns)
{
    sim_time_t u = (t_ns % w->period_ns + w->shift_ns) % w->period_ns;   /* shift < period */
    double v = w->mean_pages + w->amplitude_pages * sin(TWO_PI * (double)u / (double)w->period_ns);
    if (w->noise_pages > 0)
        v += gsl_ran_gaussian(w->rng, w->noise_pages);
    return v;
}

static int gen_diurnal_init(workload_t *w, const workload_params_t *p, workload_library_t *lib,
                            int64_t vm_index, char *err, size_t errlen)
{
    w->level_pages = diurnal_level(w, 0);
    w->next_ns = w->step_ns;
    return 0;
}

static void gen_diurnal_change(workload_t *w)
{
    w->level_pages = diurnal_level(w, w->next_ns);
    w->next_ns = time_add(w->next_ns, (double)w->step_ns);
}

static int gen_ou_init(workload_t *w, const workload_params_t *p, workload_library_t *lib,
                       int64_t vm_index, char *err, size_t errlen)
{
    w->ou_decay = exp(-(double)p->step_ns / (double)p->tau_ns);
    w->level_pages = w->mean_pages;
    if (w->noise_pages > 0)          /* stationary start */
        w->level_pages += gsl_ran_gaussian(w->rng, w->noise_pages);
    w->next_ns = w->step_ns;
    return 0;
}

static void gen_ou_change(workload_t *w)
{
    double x = w->mean_pages + (w->level_pages - w->mean_pages) * w->ou_decay;
    if (w->noise_pages > 0)
        x += gsl_ran_gaussian(w->rng, w->noise_pages * sqrt(1.0 - w->ou_decay * w->ou_decay));
    w->level_pages = x;
    w->next_ns = time_add(w->next_ns, (double)w->step_ns);
}

static int gen_onoff_init(workload_t *w, const workload_params_t *p, workload_library_t *lib,
                          int64_t vm_index, char *err, size_t errlen)
{
    double p_on = w->on_time_ns / (w->on_time_ns + w->off_time_ns);
    w->on = gsl_rng_uniform(w->rng) < p_on;
    w->level_pages = w->mean_pages + (w->on ? w->amplitude_pages : 0);
    /* memoryless: the remaining time of the current period is exponential too */
    w->next_ns = time_add(0, gsl_ran_exponential(w->rng, w->on ? w->on_time_ns : w->off_time_ns));
    return 0;
}

static void gen_onoff_change(workload_t *w)
{
    w->on = !w->on;
    w->level_pages = w->mean_pages + (w->on ? w->amplitude_pages : 0);
    w->next_ns = time_add(w->next_ns, gsl_ran_exponential(w->rng, w->on ? w->on_time_ns : w->off_time_ns));
}

static int gen_spikes_init(workload_t *w, const workload_params_t *p, workload_library_t *lib,
                           int64_t vm_index, char *err, size_t errlen)
{
    w->on = 0;
    w->level_pages = w->mean_pages;
    w->next_ns = time_add(0, gsl_ran_exponential(w->rng, w->spike_interval_ns));
    return 0;
}

static void gen_spikes_change(workload_t *w)
{
    if (!w->on) {
        double h = w->spike_size_pages > 0 ? gsl_ran_pareto(w->rng, w->spike_alpha, w->spike_size_pages) : 0;
        w->on = 1;
        w->level_pages = w->mean_pages + h;
        w->next_ns = time_add(w->next_ns, gsl_ran_exponential(w->rng, w->spike_duration_ns));
    } else {
        w->on = 0;
        w->level_pages = w->mean_pages;
        w->next_ns = time_add(w->next_ns, gsl_ran_exponential(w->rng, w->spike_interval_ns));
    }
}

/* ------------------------------------------------------------------------------------ */
/* trace replay                                                                         */
/* ------------------------------------------------------------------------------------ */

static int replay_bind(workload_t *w, const workload_params_t *p, const workload_trace_t *tr,
                       int64_t vm_index, char *err, size_t errlen)
{
    sim_time_t shift;
    if (tr->n == 0) {
        sim_set_err(err, errlen, "%s: no valid memory row (every row is a missing sample)", tr->path);
        return SIM_EINPUT;
    }
    w->trace = tr;
    w->cursor = 0;
    w->linear = strcmp(p->interpolate, "linear") == 0;
    w->loop = p->loop && tr->n >= 2;
    w->scale = p->scale;
    w->offset_pages = llround((double)p->offset_bytes / (double)SIM_PAGE_BYTES);
    w->bb_active_fraction = p->active_fraction;
    w->bb_fit = strcmp(p->mapping, "legacy") != 0;
    w->bb_min_cache_pages = sim_bytes_to_pages(p->min_cache_bytes > 0 ? p->min_cache_bytes : p->file_set_bytes);
    w->bb_memory_pages = tr->provisioned_pages;
    w->bb_reserved_pages = 0;
    /* shift = vm_index * phase, reduced without overflow */
    if (p->phase_ns == 0 || vm_index == 0)
        shift = 0;
    else if (w->loop)
        shift = (sim_time_t)(((__int128)vm_index * p->phase_ns) % tr->cycle_ns);
    else if ((__int128)vm_index * p->phase_ns > tr->duration_ns)
        shift = tr->duration_ns;      /* beyond the end: holds the last point anyway */
    else
        shift = vm_index * p->phase_ns;
    w->shift_ns = shift;
    return 0;
}

static int replay_trace_init(workload_t *w, const workload_params_t *p, workload_library_t *lib,
                             int64_t vm_index, char *err, size_t errlen)
{
    const workload_trace_t *tr;
    int rc;
    if (workload_path_is_dir(p->file)) {
        sim_set_err(err, errlen, "workload.file: %s is a directory: use workload = bitbrains for a directory "
               "of Bitbrains files", p->file);
        return SIM_EINPUT;
    }
    if ((rc = workload_library_trace(lib, p->file, &tr, err, errlen)))
        return rc;
    return replay_bind(w, p, tr, vm_index, err, errlen);
}

static int replay_bitbrains_init(workload_t *w, const workload_params_t *p, workload_library_t *lib,
                                 int64_t vm_index, char *err, size_t errlen)
{
    const workload_trace_t *tr;
    int rc;
    if (workload_path_is_dir(p->file))
        rc = workload_library_dir_trace(lib, p->file, vm_index, &tr, err, errlen);
    else
        rc = workload_library_trace(lib, p->file, &tr, err, errlen);
    if (rc)
        return rc;
    if (tr->format != WORKLOAD_TRACE_BITBRAINS) {
        sim_set_err(err, errlen, "%s: not a Bitbrains file (use workload = trace for the CSV format)", tr->path);
        return SIM_EINPUT;
    }
    return replay_bind(w, p, tr, vm_index, err, errlen);
}

/* Trace time of simulated time t (loop or hold). */
static sim_time_t replay_u(const workload_t *w, sim_time_t t_ns)
{
    const workload_trace_t *tr = w->trace;
    sim_time_t u = t_ns + w->shift_ns;
    if (u < 0)
        u = 0;
    if (w->loop)
        return u % tr->cycle_ns;
    return u < tr->duration_ns ? u : tr->duration_ns;
}

/* Largest i with t[i] <= u, starting from hint. */
static size_t replay_find(const workload_trace_t *tr, size_t hint, sim_time_t u)
{
    size_t lo, hi, k;
    if (hint >= tr->n || tr->t_ns[hint] > u)
        hint = 0;
    for (k = 0; k < 8 && hint + 1 < tr->n && tr->t_ns[hint + 1] <= u; k++)
        hint++;                       /* the common case: a few points ahead */
    if (hint + 1 >= tr->n || tr->t_ns[hint + 1] > u)
        return hint;
    lo = hint + 1;                    /* t[lo] <= u */
    hi = tr->n;                       /* t[hi] > u (or the end) */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (tr->t_ns[mid] <= u)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Bitbrains usage u (active pages, after scale and offset) -> anon demand, active fraction
 * and the pages cut (workload.h "BITBRAINS", docs/models.md "Bitbrains mapping"). */
static void bitbrains_map(const workload_t *w, double u, workload_sample_t *out)
{
    double active = u, anon = ceil(u / w->bb_active_fraction), cap;
    if (w->bb_fit) {
        /* fit: kernel + watermark + anon + min_cache <= memory; usage beyond is cut */
        int64_t room = w->bb_memory_pages - w->bb_reserved_pages - w->bb_min_cache_pages;
        cap = room > 0 ? (double)room : 0;
        if (active > cap) {
            out->capped_pages = llround(active - cap);
            active = cap;
        }
    } else {
        /* legacy: anon = min(active / af, max(active, provisioned)) */
        const workload_trace_t *tr = w->trace;
        cap = active > (double)tr->provisioned_pages ? active : (double)tr->provisioned_pages;
    }
    if (anon > cap)
        anon = cap;
    out->anon_pages = clamp_pages(w, anon);
    out->active_fraction = out->anon_pages > 0 ? active / (double)out->anon_pages : w->bb_active_fraction;
    if (out->active_fraction > 1)
        out->active_fraction = 1;   /* only when workload.max caps anon below active */
}

static void replay_at(workload_t *w, sim_time_t t_ns, workload_sample_t *out)
{
    const workload_trace_t *tr = w->trace;
    sim_time_t u = replay_u(w, t_ns);
    size_t i = replay_find(tr, w->cursor, u), j;
    double f = 0, mem, file = 0, af, acc;

    w->cursor = i;
    w->last_t_ns = t_ns;
    j = i;
    if (w->linear) {
        if (i + 1 < tr->n) {
            j = i + 1;
            f = (double)(u - tr->t_ns[i]) / (double)(tr->t_ns[j] - tr->t_ns[i]);
        } else if (w->loop) {         /* ramp from the last point back to point 0 */
            j = 0;
            f = (double)(u - tr->t_ns[i]) / (double)(tr->cycle_ns - tr->t_ns[i]);
        }
    }
#define LERP(a) ((double)(a)[i] + f * ((double)(a)[j] - (double)(a)[i]))
    mem = LERP(tr->mem_pages);
    if (tr->file_pages)
        file = LERP(tr->file_pages);
    af = tr->active_fraction ? LERP(tr->active_fraction) : w->active_fraction;
    acc = tr->access_pages_per_s ? LERP(tr->access_pages_per_s) : w->access_pages_per_s;
#undef LERP
    mem = (double)llround(mem);        /* interpolated trace values are whole pages */
    out->capped_pages = 0;
    if (tr->format == WORKLOAD_TRACE_BITBRAINS) {
        bitbrains_map(w, (double)clamp_pages(w, mem * w->scale + (double)w->offset_pages), out);
    } else {
        out->anon_pages = clamp_pages(w, mem * w->scale + (double)w->offset_pages);
        out->active_fraction = af;
    }
    out->file_pages = tr->file_pages ? nonneg_pages(file * w->scale) : w->file_pages;
    out->access_pages_per_s = acc;
}

static int same_row(const workload_trace_t *tr, size_t i, size_t j)
{
    return tr->mem_pages[i] == tr->mem_pages[j] &&
           (!tr->file_pages || tr->file_pages[i] == tr->file_pages[j]) &&
           (!tr->active_fraction || tr->active_fraction[i] == tr->active_fraction[j]) &&
           (!tr->access_pages_per_s || tr->access_pages_per_s[i] == tr->access_pages_per_s[j]);
}

static sim_time_t replay_next(const workload_t *w, sim_time_t t_ns)
{
    const workload_trace_t *tr = w->trace;
    sim_time_t u = replay_u(w, t_ns), next_u;
    size_t i = replay_find(tr, w->cursor, u), j = i + 1;

    if (!w->linear)                    /* skip points that change nothing (at most one, T4) */
        while (j < tr->n && same_row(tr, j, i))
            j++;
    if (j < tr->n)
        next_u = tr->t_ns[j];
    else if (w->loop)
        next_u = tr->cycle_ns;         /* back to point 0 */
    else
        return SIM_TIME_NEVER;
    if (next_u - u >= SIM_TIME_NEVER - t_ns)
        return SIM_TIME_NEVER;
    return t_ns + (next_u - u);
}

/* ------------------------------------------------------------------------------------ */
/* registry                                                                             */
/* ------------------------------------------------------------------------------------ */

static const workload_type_t workload_types[] = {
    { "constant", gen_constant_init, gen_never, NULL, NULL },
    { "step", gen_step_init, gen_step_change, NULL, NULL },
    { "diurnal", gen_diurnal_init, gen_diurnal_change, NULL, NULL },
    { "ou", gen_ou_init, gen_ou_change, NULL, NULL },
    { "onoff", gen_onoff_init, gen_onoff_change, NULL, NULL },
    { "spikes", gen_spikes_init, gen_spikes_change, NULL, NULL },
    { "trace", replay_trace_init, NULL, replay_at, replay_next },
    { "bitbrains", replay_bitbrains_init, NULL, replay_at, replay_next },
};

static const workload_type_t *workload_type_find(const char *name)
{
    size_t i;
    for (i = 0; i < sizeof workload_types / sizeof workload_types[0]; i++)
        if (strcmp(workload_types[i].name, name) == 0)
            return &workload_types[i];
    return NULL;
}

/* ------------------------------------------------------------------------------------ */
/* public interface                                                                     */
/* ------------------------------------------------------------------------------------ */

int workload_params_check(const workload_params_t *p, char *err, size_t errlen)
{
    const workload_type_t *t = workload_type_find(p->type);
    if (!t) {
        sim_set_err(err, errlen, "workload: unknown type '%s' (constant|step|diurnal|ou|onoff|spikes|trace|bitbrains)",
               p->type);
        return SIM_EINPUT;
    }
    if (strcmp(p->mapping, "fit") != 0 && strcmp(p->mapping, "legacy") != 0) {
        sim_set_err(err, errlen, "workload.mapping: '%s' is not fit or legacy", p->mapping);
        return SIM_EINPUT;
    }
    if (strcmp(p->interpolate, "step") != 0 && strcmp(p->interpolate, "linear") != 0) {
        sim_set_err(err, errlen, "workload.interpolate: '%s' is not step or linear", p->interpolate);
        return SIM_EINPUT;
    }
    if ((strcmp(p->type, "trace") == 0 || strcmp(p->type, "bitbrains") == 0) && p->file[0] == '\0') {
        sim_set_err(err, errlen, "workload.file: required by workload = %s (the %s)", p->type,
               strcmp(p->type, "trace") == 0 ? "trace file" : "Bitbrains directory or file");
        return SIM_EINPUT;
    }
    if (strcmp(p->type, "bitbrains") == 0 && !(p->active_fraction > 0)) {
        sim_set_err(err, errlen, "workload.active_fraction: must be > 0 for workload = bitbrains "
               "(anon demand = usage / active_fraction)");
        return SIM_EINPUT;
    }
    if (strcmp(p->type, "diurnal") == 0 && p->step_ns > p->period_ns / 2) {
        sim_set_err(err, errlen, "workload.step: %.6gs is more than half of workload.period (%.6gs): "
               "the sinusoid would alias", sim_time_to_s(p->step_ns), sim_time_to_s(p->period_ns));
        return SIM_EINPUT;
    }
    if ((strcmp(p->type, "diurnal") == 0 || strcmp(p->type, "ou") == 0) && p->step_ns <= 0) {
        sim_set_err(err, errlen, "workload.step: must be > 0");
        return SIM_EINPUT;
    }
    if (strcmp(p->type, "spikes") == 0 && !(p->spike_alpha > 1)) {
        sim_set_err(err, errlen, "workload.spike_alpha: must be > 1 (the mean spike height is infinite otherwise)");
        return SIM_EINPUT;
    }
    if (p->scale < 0 || p->active_fraction < 0 || p->active_fraction > 1 || p->access_rate_bytes_per_s < 0) {
        sim_set_err(err, errlen, "workload.%s: out of range",
               p->scale < 0 ? "scale" : p->access_rate_bytes_per_s < 0 ? "access_rate" : "active_fraction");
        return SIM_EINPUT;
    }
    return 0;
}

int workload_create(workload_t **out, const workload_params_t *p, workload_library_t *lib,
                    int64_t vm_index, gsl_rng *rng, char *err, size_t errlen)
{
    workload_t *w;
    int rc;

    *out = NULL;
    if ((rc = workload_params_check(p, err, errlen)))
        return rc;
    if (vm_index < 0) {
        sim_set_err(err, errlen, "workload: negative VM index %lld", (long long)vm_index);
        return SIM_EINPUT;
    }
    w = calloc(1, sizeof *w);
    if (!w) {
        sim_set_err(err, errlen, "workload: out of memory");
        return SIM_ENOMEM;
    }
    w->type = workload_type_find(p->type);
    w->rng = rng;
    w->max_pages = p->max_bytes > 0 ? sim_bytes_to_pages(p->max_bytes) : 0;
    w->file_pages = sim_bytes_to_pages(p->file_set_bytes);
    w->active_fraction = p->active_fraction;
    w->access_pages_per_s = p->access_rate_bytes_per_s / (double)SIM_PAGE_BYTES;
    w->mean_pages = (double)sim_bytes_to_pages(p->mean_bytes);
    w->amplitude_pages = bytes_to_pages_d(p->amplitude_bytes);
    w->noise_pages = bytes_to_pages_d(p->noise_bytes);
    w->period_ns = p->period_ns;
    w->step_ns = p->step_ns;
    w->step_at_ns = p->step_at_ns;
    w->on_time_ns = (double)p->on_time_ns;
    w->off_time_ns = (double)p->off_time_ns;
    w->spike_interval_ns = (double)p->spike_interval_ns;
    w->spike_duration_ns = (double)p->spike_duration_ns;
    w->spike_size_pages = bytes_to_pages_d(p->spike_size_bytes);
    w->spike_alpha = p->spike_alpha;
    /* generators: the shift, reduced for the periodic diurnal */
    if (w->type->change && p->phase_ns > 0 && vm_index > 0) {
        __int128 s = (__int128)vm_index * p->phase_ns;
        if (strcmp(p->type, "diurnal") == 0)
            s %= p->period_ns;
        w->shift_ns = s > (__int128)(SIM_TIME_NEVER / 2) ? SIM_TIME_NEVER / 2 : (sim_time_t)s;
    }
    if ((rc = w->type->init(w, p, lib, vm_index, err, errlen))) {
        free(w);
        return rc;
    }
    *out = w;
    return 0;
}

void workload_set_guest(workload_t *w, int64_t memory_pages, int64_t reserved_pages)
{
    w->bb_memory_pages = memory_pages > 0 ? memory_pages : 0;
    w->bb_reserved_pages = reserved_pages > 0 ? reserved_pages : 0;
}

void workload_destroy(workload_t *w)
{
    free(w);
}

void workload_at(workload_t *w, sim_time_t t_ns, workload_sample_t *out)
{
    if (w->type->at) {
        w->type->at(w, t_ns, out);
        return;
    }
    assert(t_ns >= w->last_t_ns && "workload_at: time went backwards");
    w->last_t_ns = t_ns;
    while (w->next_ns <= t_ns)
        w->type->change(w);
    out->anon_pages = clamp_pages(w, w->level_pages);
    out->capped_pages = 0;
    out->file_pages = w->file_pages;
    out->active_fraction = w->active_fraction;
    out->access_pages_per_s = w->access_pages_per_s;
}

sim_time_t workload_next_change(const workload_t *w, sim_time_t t_ns)
{
    if (w->type->next)
        return w->type->next(w, t_ns);
    if (w->next_ns == SIM_TIME_NEVER)
        return SIM_TIME_NEVER;
    if (w->next_ns > t_ns)
        return w->next_ns;
    /* not brought up to date: periodic generators can say exactly when, others catch up */
    if (w->type->change == gen_diurnal_change || w->type->change == gen_ou_change)
        return (t_ns / w->step_ns + 1) * w->step_ns;
    return t_ns + 1;
}
