/*
 * fuzz/fuzz_trace.c -- libFuzzer harness: the trace loaders (CSV and Bitbrains GWA-T-12,
 * models/trace.c) and trace replay (models/workload.c).
 *
 * Input: one byte of replay options, then the bytes of a trace file:
 *   bit 0 interpolate = linear (else step)     bit 1 loop = yes
 *   bit 2 scale = 2.5 (else 1)                 bit 3 offset = -64MiB (else 0)
 *   bits 4-5 VM index 0..3 with phase = 7 min  bit 6 workload = bitbrains (else trace)
 *   bit 7 active_fraction = 0.3 (else 1)
 * Path followed: workload_trace_load, then the invariants T1..T4 of models/trace.h on
 * the loaded trace; then a workload replaying the same file (through the library, as a
 * run does), stepped through up to 2,000 change points with workload_next_change and
 * workload_at: times must strictly increase and samples must be non-negative with
 * 0 <= active_fraction <= 1; values within the bounds of their scenario keys; error
 * messages free of raw control bytes.
 * Seeds: fuzz/corpus/trace/ (the shipped traces, cut short, and Bitbrains rows).
 */
#include <math.h>
#include <stdint.h>
#include <gsl/gsl_rng.h>
#include "fuzz/fuzz_common.h"
#include "models/trace.h"
#include "models/workload.h"

#define PIB_PAGES (1125899906842624LL / SIM_PAGE_BYTES)

/* A message never holds a raw control byte (a trace field may hold ESC sequences). */
static void check_message(const char *err)
{
    for (const char *p = err; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            fprintf(stderr, "raw control byte 0x%02x in the message: %s\n", (unsigned char)*p, err);
            abort();
        }
}

static int same(const workload_trace_t *tr, size_t i, size_t j)
{
    return tr->mem_pages[i] == tr->mem_pages[j] &&
           (!tr->file_pages || tr->file_pages[i] == tr->file_pages[j]) &&
           (!tr->active_fraction || tr->active_fraction[i] == tr->active_fraction[j]) &&
           (!tr->access_pages_per_s || tr->access_pages_per_s[i] == tr->access_pages_per_s[j]);
}

static void check_trace(const workload_trace_t *tr)
{
    const char *bad = NULL;
    if (tr->n > 0 && tr->t_ns[0] != 0)
        bad = "T1: t[0] != 0";
    for (size_t i = 0; !bad && i + 1 < tr->n; i++)
        if (tr->t_ns[i] >= tr->t_ns[i + 1])
            bad = "T1: times not strictly increasing";
    for (size_t i = 0; !bad && i < tr->n; i++)
        if (tr->mem_pages[i] < 0 || (tr->file_pages && tr->file_pages[i] < 0) ||
            (tr->active_fraction && !(tr->active_fraction[i] >= 0 && tr->active_fraction[i] <= 1)) ||
            (tr->access_pages_per_s && !(tr->access_pages_per_s[i] >= 0)))
            bad = "T2: a value out of range";
    /* the bounds of the scenario keys the columns stand for (issue 15): memory at most
     * 1 PiB, an access rate at most 1e15 B/s */
    for (size_t i = 0; !bad && i < tr->n; i++)
        if (tr->mem_pages[i] > PIB_PAGES || (tr->file_pages && tr->file_pages[i] > PIB_PAGES) ||
            (tr->access_pages_per_s && !(tr->access_pages_per_s[i] <= 1e15 / SIM_PAGE_BYTES)))
            bad = "T2: a value beyond its scenario key's bound";
    if (!bad && tr->n == 1 && tr->cycle_ns != 0)
        bad = "T3: one point with a cycle";
    if (!bad && tr->n >= 2 && tr->cycle_ns <= tr->t_ns[tr->n - 1])
        bad = "T3: cycle not after the last point";
    for (size_t i = 1; !bad && i + 1 < tr->n; i++)
        if (same(tr, i, i - 1) && same(tr, i, i + 1))
            bad = "T4: an interior point equals both neighbours";
    if (!bad && tr->n > 0 && tr->duration_ns != tr->t_ns[tr->n - 1])
        bad = "duration != last time";
    if (bad) {
        fprintf(stderr, "trace invariant broken: %s (n = %zu)\n", bad, tr->n);
        abort();
    }
}

static void replay(const char *path, uint8_t opt)
{
    char err[SIM_ERR_MAX];
    workload_params_t p;
    if (sim_keys_defaults(&workload_key_table, &p, err, sizeof err) != 0)
        abort();
    snprintf(p.type, sizeof p.type, "%s", opt & 64 ? "bitbrains" : "trace");
    snprintf(p.file, sizeof p.file, "%s", path);
    snprintf(p.interpolate, sizeof p.interpolate, "%s", opt & 1 ? "linear" : "step");
    p.loop = (opt & 2) != 0;
    p.scale = opt & 4 ? 2.5 : 1.0;
    p.offset_bytes = opt & 8 ? -64 * SIM_MIB : 0;
    p.phase_ns = 7 * 60 * SIM_NS_PER_S;
    p.active_fraction = opt & 128 ? 0.3 : 1.0;
    int64_t vm_index = (opt >> 4) & 3;

    workload_library_t *lib = NULL;
    if (workload_library_create(&lib) != 0)
        abort();
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    workload_t *w = NULL;
    int rc = workload_create(&w, &p, lib, vm_index, rng, err, sizeof err);
    FUZZ_NOT_INTERNAL(rc, err);
    if (rc == 0) {
        sim_time_t t = 0;
        for (int k = 0; k < 2000 && t != SIM_TIME_NEVER; k++) {
            workload_sample_t s;
            workload_at(w, t, &s);
            if (s.anon_pages < 0 || s.file_pages < 0 || !(s.active_fraction >= 0 && s.active_fraction <= 1) ||
                !(s.access_pages_per_s >= 0)) {
                fprintf(stderr, "t=%lld: bad sample anon %lld file %lld af %g acc %g\n", (long long)t,
                        (long long)s.anon_pages, (long long)s.file_pages, s.active_fraction,
                        s.access_pages_per_s);
                abort();
            }
            sim_time_t next = workload_next_change(w, t);
            if (next <= t) {
                fprintf(stderr, "t=%lld: next change %lld is not later\n", (long long)t, (long long)next);
                abort();
            }
            t = next;
        }
    }
    workload_destroy(w);
    gsl_rng_free(rng);
    workload_library_destroy(lib);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char path[64], err[SIM_ERR_MAX];
    int fd = fuzz_memfile(data + 1, size - 1, path, sizeof path);
    if (fd < 0)
        return 0;
    workload_trace_t *tr = NULL;
    int rc = workload_trace_load(path, &tr, err, sizeof err);
    FUZZ_NOT_INTERNAL(rc, err);
    if (rc == 0) {
        check_trace(tr);
        workload_trace_destroy(tr);
        replay(path, data[0]);
    } else if (tr != NULL) {
        abort();                               /* *out must be NULL on failure */
    } else {
        check_message(err);
    }
    close(fd);
    return 0;
}
