/*
 * tests/unit/test_memmodel.c -- the memory model of issue 23 against its references:
 * Linux's anon/file reclaim balance (get_scan_count, mm/vmscan.c) on cases computed by
 * hand from the kernel's rule, the guest watermark (mm/page_alloc.c), and whole runs
 * where the rule changes what the page cache keeps.  docs/models.md gives the equations.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "models/device.h"
#include "models/guest.h"
#include "tests/unit/harness.h"

/* A guest of `usable` pages, no kernel reserve, with anon and cache resident and free
 * pages left over; linux rule at the given swappiness. */
static void linux_guest(guest_t *g, int64_t usable, int64_t anon, int64_t cache, int swappiness)
{
    guest_init(g, usable, 0, usable, NULL);
    guest_set_reclaim(g, GUEST_RECLAIM_LINUX, swappiness);
    workload_sample_t s = {.anon_pages = anon, .file_pages = cache};
    guest_delta_t d = {0};
    guest_set_demand(g, &s, &d);
    g->cache_pages = cache;
    g->touched_pages = anon + cache;
}

/* The comment of mm/page_alloc.c lists min_free_kbytes by memory: 4096 MB -> 8192 kB;
 * low = min + step, high = min + 2 step, step = max(min / 4, 0.1% of memory). */
Test(memmodel, linux_high_watermark_by_hand)
{
    /* 4 GiB: min = 8192 kB = 2048 pages; step = max(512, 1048576 * 10 / 10000 = 1048) */
    cr_assert_eq(guest_linux_high_wmark_pages(1048576), 2048 + 2 * 1048);
    /* 1 GiB: min = sqrt(1048576 * 16) = 4096 kB = 1024 pages; step = max(256, 262) */
    cr_assert_eq(guest_linux_high_wmark_pages(262144), 1024 + 2 * 262);
    /* tiny: min_free_kbytes clamps at 128 kB = 32 pages; step = max(8, 0) */
    cr_assert_eq(guest_linux_high_wmark_pages(100), 32 + 2 * 8);
}

/* SCAN_FRACT with no cost recorded: ap = swappiness, fp = 200 - swappiness; reclaim
 * splits in proportion to anon * ap : file * fp. */
Test(memmodel, scan_fract_without_costs_by_hand)
{
    guest_t g;
    linux_guest(&g, 200000, 100000, 50000, 60);
    g.file_refaults = 1;                    /* a refault since the last reclaim: no cache trim */
    guest_scan_t s;
    guest_scan_balance(&g, &s);
    cr_assert_eq(s.mode, GUEST_SCAN_FRACT);
    cr_assert_eq(s.ap, 60);                 /* 60 * (0 + 1) / (0 + 1) */
    cr_assert_eq(s.fp, 140);                /* 140 * 1 / 1 */
    int64_t a, c;
    /* share of anon = 100000 * 60 / (100000 * 60 + 50000 * 140) = 6 / 13 */
    guest_reclaim_split(&g, 13000, &a, &c);
    cr_assert_eq(a, 6000);
    cr_assert_eq(c, 7000);
    /* swappiness 100: equal IO cost, anon : file = 100000 : 50000 */
    guest_set_reclaim(&g, GUEST_RECLAIM_LINUX, 100);
    guest_reclaim_split(&g, 3000, &a, &c);
    cr_assert_eq(a, 2000);
    cr_assert_eq(c, 1000);
}

/* SCAN_FRACT with file refaults recorded (file_cost 3200 = 100 refaulted pages * 32):
 *   total = 0 + 3200;  anon_cost = 3200 + 0 = 3200;  file_cost = 3200 + 3200 = 6400;
 *   total = 9600;  ap = 60 * 9601 / 3201 = 179;  fp = 140 * 9601 / 6401 = 209;
 *   anon share = 100000 * 179 / (100000 * 179 + 50000 * 209) = 0.631393...
 * so 10000 pages to reclaim split 6314 anon : 3686 file. */
Test(memmodel, scan_fract_with_file_refault_cost_by_hand)
{
    guest_t g;
    linux_guest(&g, 200000, 100000, 50000, 60);
    g.file_refaults = 1;
    g.file_cost = 3200;
    guest_scan_t s;
    guest_scan_balance(&g, &s);
    cr_assert_eq(s.mode, GUEST_SCAN_FRACT);
    cr_assert_eq(s.ap, 179);
    cr_assert_eq(s.fp, 209);
    int64_t a, c;
    guest_reclaim_split(&g, 10000, &a, &c);
    cr_assert_eq(a, 6314);
    cr_assert_eq(c, 3686);
    /* anon refaults instead (anon_cost 3200): ap = 60 * 9601 / 6401 = 89,
     * fp = 140 * 9601 / 3201 = 419: anon share = 8900000 / (8900000 + 20950000) */
    g.file_cost = 0;
    g.anon_cost = 3200;
    guest_scan_balance(&g, &s);
    cr_assert_eq(s.ap, 89);
    cr_assert_eq(s.fp, 419);
    guest_reclaim_split(&g, 10000, &a, &c);
    cr_assert_eq(a, 2982);                  /* 10000 * 8.9 / 29.85 = 2981.6 */
    cr_assert_eq(c, 7018);
}

/* The exclusive cases: enough inactive cache and no refault -> file only (cache_trim_mode);
 * file + free below the high watermark -> anon only (file_is_tiny); no swap room -> file. */
Test(memmodel, scan_exclusive_cases)
{
    guest_t g;
    int64_t a, c;
    guest_scan_t s;
    linux_guest(&g, 200000, 100000, 50000, 60);
    guest_scan_balance(&g, &s);             /* inactive = 50000 / (1 + 1) = 25000; >> 12 = 6 */
    cr_assert_eq(s.mode, GUEST_SCAN_FILE);
    guest_reclaim_split(&g, 1000, &a, &c);
    cr_assert_eq(a, 0);
    cr_assert_eq(c, 1000);
    /* a small cache: 8000 pages, inactive 4000 >> 12 = 0: no cache trim even without refaults */
    linux_guest(&g, 200000, 100000, 8000, 60);
    guest_scan_balance(&g, &s);
    cr_assert_eq(s.mode, GUEST_SCAN_FRACT);
    /* tiny file: cache 300 + free 1000 <= high watermark 1340 (200000 pages: min 894, step 223) */
    cr_assert_eq(guest_linux_high_wmark_pages(200000), 894 + 2 * 223);
    linux_guest(&g, 200000, 198700, 300, 60);
    guest_scan_balance(&g, &s);
    cr_assert_eq(s.mode, GUEST_SCAN_ANON);
    guest_reclaim_split(&g, 500, &a, &c);
    cr_assert_eq(a, 500);
    cr_assert_eq(c, 0);
    /* swap full: file only */
    linux_guest(&g, 200000, 100000, 50000, 60);
    g.file_refaults = 1;
    g.swap_max_pages = 0;
    guest_scan_balance(&g, &s);
    cr_assert_eq(s.mode, GUEST_SCAN_FILE);
}

/* Balloon reclaim under the rule moves both kinds, keeps the invariants, and leaves
 * cache behind where cache-first takes all of it. */
Test(memmodel, balloon_reclaim_keeps_cache_under_linux)
{
    guest_t g;
    char err[256];
    linux_guest(&g, 200000, 100000, 50000, 60);
    g.file_refaults = 1;
    guest_delta_t d = {0};
    int64_t free0 = guest_free_pages(&g);
    guest_reclaim(&g, free0 + 13000, &d);
    cr_assert_eq(guest_check(&g, err, sizeof err), 0, "%s", err);
    cr_assert_eq(g.swapped_pages, 6000);
    cr_assert_eq(g.cache_pages, 43000);
    cr_assert_eq(d.swap_out_pages, 6000);
    cr_assert_eq(g.shadow_pages, 7000, "evicted pages leave shadow entries");
    /* reclaim IO: 6000 pages written = 6000 * 32, halved while above lru / 4 */
    cr_assert(g.anon_cost > 0 && g.file_cost == 0);
    /* the same under cache-first: the cache goes first */
    guest_t h;
    guest_init(&h, 200000, 0, 200000, NULL);
    workload_sample_t s = {.anon_pages = 100000, .file_pages = 50000};
    memset(&d, 0, sizeof d);
    guest_set_demand(&h, &s, &d);
    h.cache_pages = 50000;
    h.touched_pages = 150000;
    memset(&d, 0, sizeof d);
    guest_reclaim(&h, free0 + 13000, &d);
    cr_assert_eq(h.cache_pages, 37000);
    cr_assert_eq(h.swapped_pages, 0);
}

/* Linux keeps the cache of a shrunken file set (stale, reclaimed first), where
 * cache-first counted it as free; a file set that grows back finds it again. */
Test(memmodel, stale_cache_is_not_free_under_linux)
{
    guest_t g;
    char err[256];
    linux_guest(&g, 200000, 100000, 50000, 60);
    int64_t free0 = guest_free_pages(&g);
    workload_sample_t s = {.anon_pages = 100000, .file_pages = 20000};
    guest_delta_t d = {0};
    guest_set_demand(&g, &s, &d);
    cr_assert_eq(g.cache_pages, 20000);
    cr_assert_eq(g.stale_pages, 30000);
    cr_assert_eq(guest_free_pages(&g), free0);
    cr_assert_eq(guest_check(&g, err, sizeof err), 0, "%s", err);
    guest_reclaim(&g, free0 + 10000, &d);   /* free, then stale */
    cr_assert_eq(g.stale_pages, 20000);
    cr_assert_eq(g.cache_pages, 20000);
    s.file_pages = 30000;
    guest_set_demand(&g, &s, &d);
    cr_assert_eq(g.cache_pages, 30000);
    cr_assert_eq(g.stale_pages, 10000);
    cr_assert_eq(guest_check(&g, err, sizeof err), 0, "%s", err);
}

/* The tight host: 10 GiB, four VMs of 2.5 GiB anon and a 512 MiB file set,
 * ballooned by esx-share.  Cache-first empties every cache; linux keeps some of it. */
static double tight_host_cache_mib(const char *rule)
{
    char text[2048], err[SIM_ERR_MAX];
    snprintf(text, sizeof text,
             "[simulation]\nduration = 10min\noutput = vm\n[host]\nmemory = 10GiB\n"
             "[vm a]\ncount = 4\nmemory = 4GiB\nreclaim = %s\nworkload = constant\n"
             "workload.mean = 2.5GiB\nworkload.file_set = 512MiB\n[policy]\nname = esx-share\n", rule);
    db_t *db;
    cr_assert_eq(harness_run(text, 42, &db, err), 0, "%s", err);
    double mib = harness_q1(db, "SELECT AVG(cache_bytes) / 1048576.0 FROM vm_samples WHERE time_ns = "
                                "(SELECT MAX(time_ns) FROM vm_samples)");
    db_close(db);
    return mib;
}

Test(memmodel, linux_rule_keeps_page_cache_on_a_tight_host, .timeout = 120)
{
    double cf = tight_host_cache_mib("cache-first"), lx = tight_host_cache_mib("linux");
    cr_assert(cf < 1.0, "cache-first kept %.1f MiB", cf);
    cr_assert(lx > 50.0, "linux kept only %.1f MiB", lx);
}

/* ------------------------------------------------------------------ devices */

/* device.h D1 against the M/M/1 sojourn time 1 / (mu - lambda) when the QD1 latency is
 * the service time (no internal parallelism), and the latency floor otherwise. */
Test(memmodel, device_response_is_mm1)
{
    double mu = 1000.0;                      /* pages/s: service time 1 ms */
    for (double rho = 0; rho < 0.99; rho += 0.07) {
        double lambda = rho * mu;
        cr_assert_float_eq(device_response_s(1e-3, mu, rho), 1.0 / (mu - lambda), 1e-12, "rho %g", rho);
    }
    /* an SSD: 77 us at QD1 but 98,000 IOPS; idle it answers in 77 us, at rho 0.5 the
     * queued part (1/98000 s) doubles */
    double s = 1.0 / 98000;
    cr_assert_float_eq(device_response_s(77e-6, 98000, 0), 77e-6, 1e-15);
    cr_assert_float_eq(device_response_s(77e-6, 98000, 0.5), 77e-6 - s + 2 * s, 1e-15);
    cr_assert(isfinite(device_response_s(1e-3, mu, 1.0)), "rho = 1 is clamped");
    const device_preset_t *p = device_preset_find("hdd");
    cr_assert_not_null(p);
    cr_assert_null(device_preset_find("custom"));
}

/* Eight VMs whose host swaps heavily under `static`.  Returns the host faults per second
 * and the mean slowdown. */
static void swap_storm(const char *io, const char *swap_latency, double *faults_per_s, double *slowdown)
{
    char text[2048], err[SIM_ERR_MAX];
    snprintf(text, sizeof text,
             "[simulation]\nduration = 5min\noutput = summary\n[host]\nmemory = 8GiB\nio = %s\n"
             "swap_latency = %s\nswap_bandwidth = 200MiB/s\n"
             "[vm a]\ncount = 8\nmemory = 2GiB\nworkload = constant\nworkload.mean = 1.5GiB\n"
             "workload.file_set = 64MiB\nworkload.access_rate = 256MiB/s\n[policy]\nname = static\n",
             io, swap_latency);
    db_t *db;
    cr_assert_eq(harness_run(text, 42, &db, err), 0, "%s", err);
    *faults_per_s = harness_metric(db, "host_faults") / 300.0;
    *slowdown = harness_metric(db, "mean_slowdown");
    db_close(db);
}

/* The old open loop serves more faults than the device can (the 249,850/s from a
 * 200 MiB/s device); the closed loop never exceeds the bandwidth, and its slowdown stays
 * what the bandwidth allows. */
Test(memmodel, no_throughput_above_device_bandwidth, .timeout = 120)
{
    double bw_pages = 200.0 * 1048576 / 4096, f_open, s_open, f_closed, s_closed;
    swap_storm("open", "1ms", &f_open, &s_open);
    swap_storm("closed", "1ms", &f_closed, &s_closed);
    cr_assert(f_open > bw_pages, "open loop: %.0f faults/s (expected above %.0f: the old model)", f_open, bw_pages);
    cr_assert(f_closed <= bw_pages * 1.0001, "closed loop: %.0f faults/s > bandwidth %.0f pages/s", f_closed,
              bw_pages);
    cr_assert(s_closed > 1.0 && s_closed < s_open, "slowdown closed %.2f, open %.2f", s_closed, s_open);
}

/* Closed loop: the fault volume falls as each fault's stall rises (the open loop kept it
 * constant whatever the latency). */
Test(memmodel, closed_loop_fault_volume_falls_as_stall_rises, .timeout = 120)
{
    double f[3], s[3], fo[2], so[2];
    const char *lat[] = {"100us", "1ms", "10ms"};
    for (int i = 0; i < 3; i++)
        swap_storm("closed", lat[i], &f[i], &s[i]);
    cr_assert(f[0] > f[1] && f[1] > f[2], "faults/s %.0f %.0f %.0f", f[0], f[1], f[2]);
    cr_assert(s[0] < s[1] && s[1] < s[2], "slowdowns %.3f %.3f %.3f", s[0], s[1], s[2]);
    swap_storm("open", "100us", &fo[0], &so[0]);
    swap_storm("open", "10ms", &fo[1], &so[1]);
    cr_assert(fabs(fo[0] - fo[1]) < 1e-6 * fo[0], "open loop: %.0f vs %.0f faults/s", fo[0], fo[1]);
}

/* ------------------------------------------------------------------ hot and cold pages */

/* Guest reclaim swaps the coldest pages: with a hot set of 20% taking 90% of the anon
 * references, 300 swapped pages of 1000 fault at 0.1 * 300 / 800 per anon reference,
 * where the uniform model (and the host's random choice) gives 300 / 1000. */
Test(memmodel, guest_swaps_cold_pages_first)
{
    guest_t g;
    guest_init(&g, 1000, 0, 1000, NULL);
    guest_set_anon_refs(&g, 1, 0.9);
    workload_sample_t s = {.anon_pages = 1000, .active_fraction = 0.2, .access_pages_per_s = 1000};
    guest_delta_t d = {0};
    guest_set_demand(&g, &s, &d);
    guest_reclaim(&g, 300, &d);
    cr_assert_eq(g.swapped_pages, 300);
    int64_t h, hs, c, cs;
    guest_hot_cold(&g, &h, &hs, &c, &cs);
    cr_assert_eq(h, 200);
    cr_assert_eq(hs, 0);
    cr_assert_eq(cs, 300);
    guest_rates_t r;
    guest_rates(&g, &r);
    cr_assert_float_eq(r.swapin_faults_per_s, 1000 * 0.1 * 300.0 / 800.0, 1e-9);
    guest_set_anon_refs(&g, 0, 0.9);
    guest_rates(&g, &r);
    cr_assert_float_eq(r.swapin_faults_per_s, 1000 * 300.0 / 1000.0, 1e-9);
    /* beyond the cold pages, hot ones go: 900 swapped = 800 cold + 100 hot */
    guest_set_anon_refs(&g, 1, 0.9);
    guest_reclaim(&g, 600, &d);
    guest_hot_cold(&g, &h, &hs, &c, &cs);
    cr_assert_eq(cs, 800);
    cr_assert_eq(hs, 100);
    guest_rates(&g, &r);
    cr_assert_float_eq(r.swapin_faults_per_s, 1000 * (0.1 + 0.9 * 100.0 / 200.0), 1e-9);
}

/* Ballooning against host swapping with hot and cold pages: the same squeeze paid by
 * the guest (it picks cold pages) costs fewer faults than by the host (random pages, hot
 * ones too: double paging).  Here the same VM is squeezed by the balloon (oracle) or left
 * to the host (static). */
static double squeeze_faults(const char *policy, const char *anon_refs)
{
    char text[2048], err[SIM_ERR_MAX];
    snprintf(text, sizeof text,
             "[simulation]\nduration = 10min\noutput = summary\n[host]\nmemory = 5GiB\n"
             "[vm a]\ncount = 2\nmemory = 3GiB\nanon_refs = %s\nworkload = constant\nworkload.mean = 2.5GiB\n"
             "workload.file_set = 16MiB\nworkload.active_fraction = 20%%\n[policy]\nname = %s\n",
             anon_refs, policy);
    db_t *db;
    cr_assert_eq(harness_run(text, 42, &db, err), 0, "%s", err);
    double f = harness_metric(db, "host_faults") + harness_metric(db, "guest_swap_in_bytes") / 4096.0;
    db_close(db);
    return f;
}

Test(memmodel, hot_cold_makes_ballooning_beat_host_swapping, .timeout = 120)
{
    double hc_balloon = squeeze_faults("oracle", "hot-cold"), hc_host = squeeze_faults("static", "hot-cold");
    double u_balloon = squeeze_faults("oracle", "uniform");
    cr_assert(hc_balloon < 0.5 * hc_host, "hot-cold: ballooned %.0f faults, host-swapped %.0f", hc_balloon, hc_host);
    cr_assert(hc_balloon < u_balloon, "the guest's choice of cold pages: %.0f vs uniform %.0f", hc_balloon,
              u_balloon);
}

/* ESX's sampler draws from the reference process: a VM at its working set with a 50%
 * hot set (90% of references) shows about half of its pages touched in 30 s; an idle VM
 * with a 5% hot set and a tenth of the rate shows few. */
static double sampled_active(double active_fraction, const char *rate)
{
    char text[2048], err[SIM_ERR_MAX];
    snprintf(text, sizeof text,
             "[simulation]\nduration = 5min\noutput = vm\n[host]\nmemory = 8GiB\n"
             "[vm a]\nmemory = 4GiB\nanon_refs = hot-cold\nworkload = constant\nworkload.mean = 3GiB\n"
             "workload.file_set = 256MiB\nworkload.active_fraction = %g\nworkload.access_rate = %s\n"
             "[policy]\nname = esx-share\nlog_estimates = yes\n", active_fraction, rate);
    db_t *db;
    cr_assert_eq(harness_run(text, 42, &db, err), 0, "%s", err);
    double f = harness_q1(db, "SELECT AVG(value) FROM policy_log WHERE what LIKE 'active%' AND time_ns > 60e9");
    db_close(db);
    return f;
}

Test(memmodel, esx_sampler_sees_the_reference_process, .timeout = 120)
{
    double busy = sampled_active(0.5, "64MiB/s"), idle = sampled_active(0.05, "4MiB/s");
    cr_assert(busy > 0.3 && busy < 0.8, "busy VM sampled active %.3f", busy);
    cr_assert(idle < 0.15, "idle VM sampled active %.3f", idle);
}

/* ------------------------------------------------------------------ vmware driver */

/* The old vmw_balloon inflates free pages at 16384 pages/s but pages the guest must
 * reclaim at its sleeping rate (2048 pages/s, halved on failure down to 512): the same
 * inflation takes longer once free pages are gone, and never runs faster than the fast
 * rate. */
static double inflate_rate_mib(const char *pressure)
{
    char text[2048], err[SIM_ERR_MAX];
    snprintf(text, sizeof text,
             "[simulation]\nduration = 10min\noutput = vm\n[host]\nmemory = 10GiB\n"
             "[vm a]\ncount = 4\nmemory = 4GiB\nworkload = constant\nworkload.mean = 2.5GiB\n"
             "workload.file_set = 1GiB\n[balloon]\npreset = vmware\npressure_rate = %s\n"
             "pressure_rate_min = %s\n[policy]\nname = esx-share\n", pressure, strcmp(pressure, "0B/s") ? "2MiB/s" : "0B/s");
    db_t *db;
    cr_assert_eq(harness_run(text, 42, &db, err), 0, "%s", err);
    double r = harness_q1(db, "SELECT SUM(moved_bytes) / 1048576.0 / (SUM(finished_ns - started_ns) / 1e9) "
                              "FROM balloon_ops WHERE kind = 'inflate' AND moved_bytes > 0");
    db_close(db);
    return r;
}

Test(memmodel, vmware_driver_slows_under_guest_pressure, .timeout = 120)
{
    double fast = inflate_rate_mib("0B/s"), slow = inflate_rate_mib("8MiB/s");
    cr_assert(slow < 0.8 * fast, "inflation %.1f MiB/s with the sleeping rate, %.1f without", slow, fast);
    cr_assert(fast <= 64.0 * 1.0001, "never above inflate_rate: %.1f MiB/s", fast);
}

/* ------------------------------------------------------------------ page cache follows the file set */

/* A file set that grows from 1000 to 8000 pages: the stationary model drops the hit ratio
 * straight to h(1000 / 8000) (the cached pages taken as the most popular of the new set);
 * tracking it, the 7000 pages never read carry 7/8 of the references and miss
 * (compulsory) until read, then the hit ratio climbs back as they are read. */
Test(memmodel, transition_misses_when_the_file_set_grows)
{
    cache_mrc_t *m;
    char err[256];
    cr_assert_eq(cache_mrc_create(&m, 0.8, 8000, err, sizeof err), 0, "%s", err);
    guest_t g, st;
    for (int k = 0; k < 2; k++) {
        guest_t *x = k ? &st : &g;
        guest_init(x, 100000, 0, 100000, m);
        guest_set_file_cache(x, k == 0, 0, 1);
        workload_sample_t s = {.anon_pages = 0, .file_pages = 1000, .access_pages_per_s = 1000};
        guest_delta_t d = {0};
        guest_set_demand(x, &s, &d);
        guest_rates_t r;
        for (int i = 0; i < 200; i++) {      /* warm up: most of the set read and cached */
            guest_rates(x, &r);
            guest_advance(x, &r, 0.1, &d);
        }
        cr_assert(x->cache_pages > 900, "warm-up cached %lld", (long long)x->cache_pages);
        x->cache_pages = x->touched_pages = 1000;   /* the Zipf tail's last pages, at once */
        x->seen_pages = k == 0 ? 1000 : 0;
        guest_rates(x, &r);
        cr_assert_float_eq(r.hit_ratio, 1.0, 1e-9, "a fully cached set never misses");
        s.file_pages = 8000;
        guest_set_demand(x, &s, &d);
    }
    guest_rates_t r, rs;
    guest_rates(&g, &r);
    guest_rates(&st, &rs);
    cr_assert_float_eq(r.hit_ratio, 1000.0 / 8000.0, 1e-9, "tracking: only the seen eighth hits");
    cr_assert_float_eq(rs.hit_ratio, cache_mrc_hit_ratio(m, 1000.0 / 8000.0), 1e-9);
    cr_assert(rs.hit_ratio > r.hit_ratio + 0.2, "stationary %.3f vs tracking %.3f", rs.hit_ratio, r.hit_ratio);
    /* the burst: misses read the new pages; the hit ratio climbs towards h(cache / F) */
    guest_delta_t d = {0};
    double h0 = r.hit_ratio;
    for (int i = 0; i < 100; i++) {
        guest_rates(&g, &r);
        guest_advance(&g, &r, 0.1, &d);
    }
    guest_rates(&g, &r);
    cr_assert(r.hit_ratio > h0 + 0.3, "after 10 s: %.3f (from %.3f)", r.hit_ratio, h0);
    cr_assert(g.seen_pages > 4000, "seen %lld", (long long)g.seen_pages);
    cr_assert(d.cache_fill_pages > 3000);
    cache_mrc_destroy(m);
}

/* Readahead: each miss reads readahead pages, so a cache dropped by the balloon refills
 * faster; dirty cached pages are written back when evicted. */
Test(memmodel, readahead_and_write_back)
{
    guest_t g;
    guest_init(&g, 100000, 0, 100000, NULL);
    guest_set_file_cache(&g, 1, 0.25, 32);
    workload_sample_t s = {.file_pages = 50000, .access_pages_per_s = 1000};
    guest_delta_t d = {0};
    guest_set_demand(&g, &s, &d);
    guest_rates_t r;
    guest_rates(&g, &r);
    guest_advance(&g, &r, 1.0, &d);           /* 1000 misses, 32 pages each */
    cr_assert_eq(g.cache_pages, 32000);
    cr_assert_eq(g.seen_pages, 32000);
    memset(&d, 0, sizeof d);
    guest_reclaim(&g, guest_free_pages(&g) + 8000, &d);
    cr_assert_eq(d.writeback_pages, 2000, "a quarter of 8000 evicted pages written back");
}

/* ------------------------------------------------------------------ writes (issue 23) */

/* vm_progress's closed form against the fixed point it solves: x = 1 / (1 + a + b_r / u),
 * u = u' - x (b_r + b_w), iterated by bisection on u. */
Test(memmodel, progress_with_writes_solves_its_fixed_point)
{
    static const struct { double a, br, bw, avail; } cases[] = {
        {0.0, 0.3, 0.0, 1.0}, {0.2, 0.3, 0.4, 1.0}, {1.0, 0.05, 0.5, 2.0 / 3}, {0.0, 2.0, 3.0, 2.0 / 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vm_t v = {0};
        v.io_a0_s = cases[i].a;
        v.io_b_s = cases[i].br;
        v.io_bw_s = cases[i].bw;
        v.io_avail = cases[i].avail;
        double lo = 1e-15, hi = cases[i].avail;     /* g(u) = u' - x(u)(b_r + b_w) - u falls */
        for (int it = 0; it < 200; it++) {
            double u = (lo + hi) / 2, x = 1 / (1 + cases[i].a + cases[i].br / u);
            if (cases[i].avail - x * (cases[i].br + cases[i].bw) - u > 0)
                lo = u;
            else
                hi = u;
        }
        double x = 1 / (1 + cases[i].a + cases[i].br / lo);
        cr_assert_float_eq(vm_progress(&v, 0), x, 1e-9, "case %zu: %.12f vs %.12f", i, vm_progress(&v, 0), x);
        /* the device is never over-used: reads and writes take at most the share left */
        cr_assert(x * (cases[i].br + cases[i].bw) < cases[i].avail + 1e-12, "case %zu", i);
    }
}

/* Writes per read while the guest has no free page: by the reclaim rule, the dirty share
 * and readahead; none while free pages remain. */
Test(memmodel, writes_per_read_follow_the_reclaim_rule)
{
    guest_t g;
    double ws, wm;
    /* linux, SCAN_FRACT of scan_fract_without_costs_by_hand: anon share 6/13; no free page */
    linux_guest(&g, 150000, 100000, 50000, 60);
    g.file_refaults = 1;
    g.file_pages = 60000;                        /* the cache is below the file set: misses fill */
    guest_set_file_cache(&g, 1, 0.25, 4);
    guest_writes_per_read(&g, &ws, &wm);
    double per_page = 6.0 / 13 + 7.0 / 13 * 0.25;
    cr_assert_float_eq(ws, per_page, 1e-12, "%.6f", ws);
    cr_assert_float_eq(wm, 4 * per_page, 1e-12, "%.6f", wm);
    /* a cache that holds its whole file set: misses fill nothing, so write nothing */
    g.file_pages = g.cache_pages;
    guest_writes_per_read(&g, &ws, &wm);
    cr_assert_eq(wm, 0);
    /* free pages left: reads take them, no write */
    linux_guest(&g, 200000, 100000, 50000, 60);
    guest_writes_per_read(&g, &ws, &wm);
    cr_assert(ws == 0 && wm == 0);
    /* cache-first: cache is evicted (written back if dirty); with no cache, a swap-in
     * displaces an anonymous page */
    guest_init(&g, 1000, 0, 1000, NULL);
    workload_sample_t s = {.anon_pages = 900, .file_pages = 200};
    guest_delta_t d = {0};
    guest_set_demand(&g, &s, &d);
    g.cache_pages = 100;
    g.touched_pages = 1000;
    guest_set_file_cache(&g, 0, 0.5, 1);
    guest_writes_per_read(&g, &ws, &wm);
    cr_assert_float_eq(ws, 0.5, 1e-12);
    g.cache_pages = 0;
    g.anon_pages = 900;
    g.usable_pages = 900;
    g.touched_pages = 900;
    guest_writes_per_read(&g, &ws, &wm);
    cr_assert_float_eq(ws, 1.0, 1e-12);
}

/* A write queue drains at a third of the write bandwidth (mq-deadline's writes_starved
 * = 2): 3000 pages at 300 pages/s take 30 s; half-way 1500 are left; 600 more then end
 * the queue 36 s after the start. */
Test(memmodel, write_queue_drains_at_its_share)
{
    device_queue_t q = {0};
    cr_assert_eq(device_queue_share(&q), 0);
    sim_time_t end = device_queue_add(&q, 300, 3000, 0);
    cr_assert_eq(end, 30 * SIM_NS_PER_S);
    cr_assert_float_eq(device_queue_share(&q), 1.0 / 3, 1e-15);
    cr_assert_float_eq(device_queue_left(&q, 300, 15 * SIM_NS_PER_S), 1500, 1e-6);
    end = device_queue_add(&q, 300, 600, 15 * SIM_NS_PER_S);
    cr_assert_eq(end, 36 * SIM_NS_PER_S);
    cr_assert_float_eq(device_queue_left(&q, 300, 40 * SIM_NS_PER_S), 0, 1e-12);
}

/* One VM thrashing in its own swap (1.5 GiB of anon in 1 GiB, references uniform): every
 * swap-in displaces a page.  With io_writes = load the guest disk's time, reads / mu +
 * writes / mu_w, stays within 1 and the VM is slower than when writes are free; with
 * writes free the disk would need more than all of its time. */
static void guest_thrash(const char *io_writes, double *slowdown, double *utilisation)
{
    char text[2048], err[SIM_ERR_MAX];
    snprintf(text, sizeof text,
             "[simulation]\nduration = 5min\noutput = summary\n[host]\nmemory = 8GiB\nio_writes = %s\n"
             "[vm a]\nmemory = 1GiB\nkernel = 64MiB\nstorage = custom\ndisk_latency = 100us\nswap_latency = 100us\n"
             "disk_bandwidth = 40MiB/s\ndisk_write_bandwidth = 20MiB/s\nanon_refs = uniform\nworkload = constant\n"
             "workload.mean = 1536MiB\nworkload.file_set = 16MiB\nworkload.access_rate = 1GiB/s\n"
             "[policy]\nname = static\n",
             io_writes);
    db_t *db;
    cr_assert_eq(harness_run(text, 42, &db, err), 0, "%s", err);
    *slowdown = harness_metric(db, "mean_slowdown");
    double reads = harness_metric(db, "guest_swap_in_bytes") / 4096 + harness_metric(db, "cache_misses");
    double writes = harness_metric(db, "guest_swap_out_bytes") / 4096;
    *utilisation = (reads / (40.0 * 256) + writes / (20.0 * 256)) / 300.0;
    db_close(db);
}

Test(memmodel, swap_out_writes_load_the_guest_disk, .timeout = 120)
{
    double s_load, u_load, s_free, u_free;
    guest_thrash("load", &s_load, &u_load);
    guest_thrash("free", &s_free, &u_free);
    cr_assert(s_load > 1.2 * s_free, "slowdown with writes %.3f, free %.3f", s_load, s_free);
    cr_assert(u_load <= 1.0, "reads and writes take %.3f of the disk's time", u_load);
    cr_assert(u_free > 1.2, "free writes: %.3f of the disk's time (expected above 1)", u_free);
}

/* Writes made at once occupy their device for pages / (write bandwidth / 3), computed by
 * hand; no reference is made (access rate 0), so no fault writes anything else.
 *   host: 1 GiB = 262,144 pages, hard = 2% = 5,242; two VMs boot with 64 MiB kernel +
 *   256 MiB anon (81,920 pages) and 32 MiB overhead (8,192) each: free 81,920.  At 1 min
 *   VM a's demand grows by 512 MiB (131,072 pages): free -49,152, so the host swaps
 *   5,242 + 49,152 = 54,394 pages at once; at 40 MiB/s (10,240 pages/s) the queue drains
 *   at 3,413.3 pages/s: 15.936 s.
 *   guest: the 992 MiB VM alone on a 2 GiB host, 64 MiB kernel, demand 512 MiB grows by
 *   1 GiB: 416 MiB free takes part of it, the other 608 MiB (155,648 pages) go to guest
 *   swap at once: 45.6 s. */
static void write_burst(const char *host_memory, const char *amplitude, int second_vm, double *swap_queue_s,
                        double *disk_queue_s)
{
    char text[2048], err[SIM_ERR_MAX];
    snprintf(text, sizeof text,
             "[simulation]\nduration = 10min\noutput = summary\n[host]\nmemory = %s\nstorage = custom\n"
             "swap_write_bandwidth = 40MiB/s\n"
             "[vm a]\nmemory = 992MiB\nkernel = 64MiB\nswap = 2GiB\nstorage = custom\ndisk_write_bandwidth = 40MiB/s\n"
             "workload = step\nworkload.mean = %s\nworkload.amplitude = %s\nworkload.step_at = 1min\n"
             "workload.file_set = 0B\nworkload.access_rate = 0B/s\n"
             "%s[policy]\nname = static\n",
             host_memory, second_vm ? "256MiB" : "512MiB", amplitude,
             second_vm ? "[vm b]\nmemory = 992MiB\nkernel = 64MiB\nworkload = constant\nworkload.mean = 256MiB\n"
                         "workload.file_set = 0B\nworkload.access_rate = 0B/s\n" : "");
    db_t *db;
    cr_assert_eq(harness_run(text, 42, &db, err), 0, "%s", err);
    *swap_queue_s = harness_metric(db, "swap_write_queue_s");
    *disk_queue_s = harness_metric(db, "disk_write_queue_s");
    db_close(db);
}

Test(memmodel, burst_writes_occupy_their_device)
{
    double swap_q, disk_q;
    write_burst("1GiB", "512MiB", 1, &swap_q, &disk_q);
    cr_assert_float_eq(swap_q, 54394.0 / (10240.0 / 3), 1e-6, "host swap queue %.6f s", swap_q);
    cr_assert_eq(disk_q, 0, "no guest swap-out: %.3f s", disk_q);
    write_burst("2GiB", "1GiB", 0, &swap_q, &disk_q);
    cr_assert_eq(swap_q, 0, "the host has room: %.3f s", swap_q);
    cr_assert_float_eq(disk_q, 155648.0 / (10240.0 / 3), 1e-6, "guest disk queue %.6f s", disk_q);
}
