/*
 * models/guest.c -- the guest operating system's memory.  The model, its invariants
 * and assumptions are in guest.h.
 */
#include <math.h>
#include <stdio.h>
#include "models/guest.h"


void guest_init(guest_t *g, int64_t usable_pages, int64_t kernel_pages, int64_t swap_max_pages,
                const cache_mrc_t *mrc)
{
    *g = (guest_t){0};
    g->usable_pages = usable_pages;
    g->kernel_pages = sim_min64(kernel_pages, usable_pages);
    g->touched_pages = g->kernel_pages;
    g->swap_max_pages = swap_max_pages;
    g->mrc = mrc;
}

static void note_cost(guest_t *g, int anon, int64_t pages);

/* Integer square root (the kernel's int_sqrt), for the watermark and inactive ratio. */
static uint64_t isqrt(uint64_t x)
{
    uint64_t r = (uint64_t)sqrt((double)x);
    while (r * r > x)
        r--;
    while ((r + 1) * (r + 1) <= x)
        r++;
    return r;
}

int64_t guest_linux_high_wmark_pages(int64_t managed_pages)
{
    if (managed_pages <= 0)
        return 0;
    /* init_per_zone_wmark_min: min_free_kbytes = int_sqrt(lowmem_kbytes * 16), clamped to
     * [128, 262144] (Linux >= 5.7); __setup_per_zone_wmarks: low = min + step, high =
     * min + 2 step, step = max(min / 4, managed * watermark_scale_factor / 10000), factor 10. */
    uint64_t kbytes = (uint64_t)managed_pages * (SIM_PAGE_BYTES / 1024);
    uint64_t min_kb = isqrt(kbytes * 16);
    if (min_kb < 128)
        min_kb = 128;
    if (min_kb > 262144)
        min_kb = 262144;
    int64_t min_pages = (int64_t)(min_kb / (SIM_PAGE_BYTES / 1024));
    int64_t step = sim_max64(min_pages / 4, managed_pages * 10 / 10000);
    return min_pages + 2 * step;
}

void guest_set_file_cache(guest_t *g, int tracking, double dirty_fraction, int64_t readahead_pages)
{
    g->file_tracking = tracking;
    g->dirty_fraction = dirty_fraction < 0 ? 0 : dirty_fraction > 1 ? 1 : dirty_fraction;
    g->readahead_pages = readahead_pages < 1 ? 1 : readahead_pages;
}

/* Hit ratio of the page cache: the stationary curve at cache / F, or, following the
 * file set, the share of the set ever read times the curve over the seen pages (pages of
 * a grown set are assumed to take random popularity ranks: they carry (F - seen) / F of
 * the references, every one a compulsory miss until read). */
static double file_hit_ratio(const guest_t *g)
{
    double f = (double)g->file_pages;
    if (f <= 0)
        return 1.0;
    if (!g->file_tracking)
        return g->mrc ? cache_mrc_hit_ratio(g->mrc, (double)g->cache_pages / f) : (double)g->cache_pages / f;
    double seen = (double)sim_min64(g->seen_pages, g->file_pages);
    if (seen <= 0)
        return 0.0;
    double x = fmin(1.0, (double)g->cache_pages / seen);
    return seen / f * (g->mrc ? cache_mrc_hit_ratio(g->mrc, x) : x);
}

/* Dirty cached pages evicted: written back (reclaim IO on the file side). */
static void write_back(guest_t *g, int64_t evicted, guest_delta_t *d)
{
    if (g->dirty_fraction <= 0 || evicted <= 0)
        return;
    int64_t w = llround(g->dirty_fraction * (double)evicted);
    d->writeback_pages += w;
    note_cost(g, 0, w);
}

void guest_set_anon_refs(guest_t *g, int hot_cold, double hot_share)
{
    g->hot_cold = hot_cold;
    g->hot_share = hot_share < 0 ? 0 : hot_share > 1 ? 1 : hot_share;
}

void guest_hot_cold(const guest_t *g, int64_t *hot, int64_t *hot_swapped, int64_t *cold, int64_t *cold_swapped)
{
    int64_t a = g->anon_demand_pages;
    *hot = (int64_t)ceil(g->active_fraction * (double)a);
    *hot = sim_max64(0, sim_min64(*hot, a));
    *cold = a - *hot;
    *cold_swapped = sim_min64(g->swapped_pages, *cold);        /* the coldest go to swap first */
    *hot_swapped = g->swapped_pages - *cold_swapped;
}

/* Probability that an anon reference finds its page in guest swap. */
static double anon_swapped_prob(const guest_t *g)
{
    double a = (double)g->anon_demand_pages;
    if (a <= 0)
        return 0;
    if (!g->hot_cold)
        return (double)g->swapped_pages / a;
    int64_t h, hs, c, cs;
    guest_hot_cold(g, &h, &hs, &c, &cs);
    if (h == 0 || c == 0)
        return (double)g->swapped_pages / a;             /* one class: uniform */
    return g->hot_share * (double)hs / (double)h + (1.0 - g->hot_share) * (double)cs / (double)c;
}

void guest_set_reclaim(guest_t *g, guest_reclaim_rule_t rule, int swappiness)
{
    g->reclaim = rule;
    g->swappiness = swappiness < 0 ? 0 : swappiness > GUEST_MAX_SWAPPINESS ? GUEST_MAX_SWAPPINESS : swappiness;
    g->high_wmark_pages = guest_linux_high_wmark_pages(g->usable_pages);
}

int64_t guest_free_pages(const guest_t *g)
{
    return g->usable_pages - g->kernel_pages - g->anon_pages - g->cache_pages - g->stale_pages;
}

int64_t guest_committed_pages(const guest_t *g) { return g->kernel_pages + g->anon_demand_pages; }

/* Pages in use that must be touched. */
static int64_t used_pages(const guest_t *g)
{
    return g->kernel_pages + g->anon_pages + g->cache_pages + g->stale_pages;
}

/* ------------------------------------------------------------ Linux reclaim balance */

/* lru_note_cost (mm/swap.c, Linux 6.6): add the cost of reclaim IO or of refaults to one
 * LRU type, then halve both when they exceed a quarter of the LRU pages (a floating
 * average that weighs recent events most). */
static void note_cost(guest_t *g, int anon, int64_t pages)
{
    if (pages <= 0)
        return;
    uint64_t cost = (uint64_t)pages * GUEST_SWAP_CLUSTER_MAX;
    if (anon)
        g->anon_cost += cost;
    else
        g->file_cost += cost;
    uint64_t lru = (uint64_t)sim_max64(0, g->anon_pages + g->cache_pages + g->stale_pages);
    if (g->anon_cost + g->file_cost > lru / 4) {
        g->anon_cost /= 2;
        g->file_cost /= 2;
    }
}

void guest_scan_balance(const guest_t *g, guest_scan_t *out)
{
    *out = (guest_scan_t){.mode = GUEST_SCAN_FRACT};
    /* no swap space left: file only (get_scan_count: !can_reclaim_anon_pages) */
    if (g->swapped_pages >= g->swap_max_pages || g->anon_pages <= 0) {
        out->mode = GUEST_SCAN_FILE;
        return;
    }
    /* swappiness 0: file only while there is file (Linux: SCAN_FILE for memcg at 0;
     * the global case still balances, but 0 is the documented "avoid swapping") */
    int64_t file = g->cache_pages + g->stale_pages;
    /* file_is_tiny (prepare_scan_count): file + free <= high watermark and inactive anon
     * (half of anon since Linux 5.9's 1:1 anon ratio) survives the priority shift */
    if (file + sim_max64(0, guest_free_pages(g)) <= g->high_wmark_pages && ((g->anon_pages / 2) >> GUEST_DEF_PRIORITY)) {
        out->mode = GUEST_SCAN_ANON;
        return;
    }
    /* cache_trim_mode: enough inactive file and no file refault since the last reclaim
     * (DEACTIVATE_FILE).  The inactive share is the kernel's balance target,
     * inactive_is_low: inactive * int_sqrt(10 * GiB) >= active. */
    uint64_t gib = (uint64_t)file >> 18;
    uint64_t ratio = gib ? isqrt(10 * gib) : 1;
    uint64_t inactive = (uint64_t)file / (1 + ratio);
    if ((inactive >> GUEST_DEF_PRIORITY) && g->file_refaults == g->file_refaults_seen) {
        out->mode = GUEST_SCAN_FILE;
        return;
    }
    /* SCAN_FRACT: pressure inversely proportional to cost; at least a third of it on each
     * type before swappiness */
    uint64_t total = g->anon_cost + g->file_cost;
    uint64_t anon_cost = total + g->anon_cost, file_cost = total + g->file_cost;
    total = anon_cost + file_cost;
    out->ap = (uint64_t)g->swappiness * (total + 1) / (anon_cost + 1);
    out->fp = (uint64_t)(GUEST_MAX_SWAPPINESS - g->swappiness) * (total + 1) / (file_cost + 1);
}

/* The share of a reclaim the rule takes from anonymous pages, before the limits of what
 * each list holds (guest_reclaim_split applies them). */
static double rule_anon_share(const guest_t *g)
{
    if (g->reclaim != GUEST_RECLAIM_LINUX)
        return 0.0;                                   /* cache-first */
    guest_scan_t s;
    guest_scan_balance(g, &s);
    if (s.mode == GUEST_SCAN_ANON)
        return 1.0;
    if (s.mode == GUEST_SCAN_FILE)
        return 0.0;
    /* SCAN_FRACT: scan = lru size * fraction / denominator per type; pages are reclaimed in
     * proportion to the pages scanned */
    double wa = (double)g->anon_pages * (double)s.ap, wf = (double)g->cache_pages * (double)s.fp;
    return wa + wf > 0 ? wa / (wa + wf) : 0.0;
}

static int64_t anon_reclaimable(const guest_t *g)
{
    return sim_min64(g->anon_pages, sim_max64(0, g->swap_max_pages - g->swapped_pages));
}

void guest_reclaim_split(const guest_t *g, int64_t need, int64_t *from_anon, int64_t *from_cache)
{
    *from_anon = *from_cache = 0;
    if (need <= 0)
        return;
    int64_t anon_avail = anon_reclaimable(g);
    int64_t a = sim_min64(llround((double)need * rule_anon_share(g)), anon_avail);
    int64_t c = sim_min64(need - a, g->cache_pages);
    a = sim_min64(need - c, anon_avail);              /* cache ran out: the rest from anon */
    *from_anon = a;
    *from_cache = c;
}

void guest_writes_per_read(const guest_t *g, double *per_swapin, double *per_miss)
{
    *per_swapin = *per_miss = 0;
    if (guest_free_pages(g) > 0 || g->stale_pages > 0)
        return;                                       /* reads take free (or stale) pages */
    /* one page of room: the rule's anon share is swapped out, the cache share evicted,
     * a dirty one written back; a list that is empty gives its share to the other */
    double a = rule_anon_share(g);
    if (anon_reclaimable(g) <= 0)
        a = 0;
    else if (g->cache_pages <= 0)
        a = 1;
    double per_page = a + (1.0 - a) * g->dirty_fraction;
    *per_swapin = per_page;
    if (g->cache_pages < g->file_pages)
        *per_miss = (double)(g->file_tracking ? g->readahead_pages : 1) * per_page;
}

/* Reclaim decisions read the refault counter: remember it (DEACTIVATE_FILE is set when
 * file refaults happened since the last reclaim). */
static void reclaim_seen(guest_t *g) { g->file_refaults_seen = g->file_refaults; }

/* Evict c cached pages: the kernel keeps shadow entries, so a later miss on them is a
 * refault (mm/workingset.c). */
static void evict_cache(guest_t *g, int64_t c)
{
    g->cache_pages -= c;
    g->shadow_pages = sim_min64(g->shadow_pages + c, sim_max64(0, g->file_pages - g->cache_pages));
}

/* After `used` grew, extend touched to cover it (new host backing). */
static void cover_touched(guest_t *g, guest_delta_t *d)
{
    int64_t used = used_pages(g);
    if (used > g->touched_pages) {
        d->newly_touched_pages += used - g->touched_pages;
        g->touched_pages = used;
    }
}

/* Make `want` pages available for anon by evicting cache; returns pages obtained
 * (free + evicted cache, at most want). */
static int64_t make_room(guest_t *g, int64_t want, guest_delta_t *d)
{
    int64_t free_pages = guest_free_pages(g);
    if (free_pages >= want)
        return want;
    if (g->reclaim == GUEST_RECLAIM_LINUX) {
        /* stale cache first, then the rule's cache share; its anon share is what the
         * caller then pushes to swap (growth) or displaces (a swap-in without room) */
        int64_t need = want - free_pages;
        int64_t st = sim_min64(need, g->stale_pages);
        g->stale_pages -= st;
        need -= st;
        int64_t a, c;
        guest_reclaim_split(g, need, &a, &c);
        reclaim_seen(g);
        evict_cache(g, c);
        write_back(g, c, d);
        return free_pages + st + c;
    }
    int64_t evict = sim_min64(g->cache_pages, want - free_pages);
    g->cache_pages -= evict;
    write_back(g, evict, d);
    return free_pages + evict;
}

void guest_set_demand(guest_t *g, const workload_sample_t *s, guest_delta_t *d)
{
    int64_t demand = sim_max64(0, s->anon_pages);
    g->file_pages = sim_max64(0, s->file_pages);
    g->seen_pages = sim_min64(g->seen_pages, g->file_pages);
    g->active_fraction = s->active_fraction;
    g->access_pages_per_s = s->access_pages_per_s;
    if (g->reclaim == GUEST_RECLAIM_LINUX) {
        /* cache beyond the file set stays cached (stale, reclaimed first); a file set
         * that grows back finds those pages again */
        if (g->cache_pages > g->file_pages) {
            g->stale_pages += g->cache_pages - g->file_pages;
            g->cache_pages = g->file_pages;
        } else if (g->stale_pages > 0) {
            int64_t back = sim_min64(g->stale_pages, g->file_pages - g->cache_pages);
            g->stale_pages -= back;
            g->cache_pages += back;
        }
        g->shadow_pages = sim_min64(g->shadow_pages, g->file_pages - g->cache_pages);
    } else if (g->cache_pages > g->file_pages) {
        g->cache_pages = g->file_pages;          /* cache-first: stale cache counts as free */
    }

    int64_t have = g->anon_pages + g->swapped_pages;
    if (demand < have) {
        /* Free anonymous pages, the swapped share in proportion (rounded down). */
        int64_t drop = have - demand;
        int64_t from_swap = have > 0 ? (int64_t)((double)drop * (double)g->swapped_pages / (double)have) : 0;
        from_swap = sim_min64(from_swap, g->swapped_pages);
        int64_t from_anon = drop - from_swap;
        if (from_anon > g->anon_pages) {
            from_swap += from_anon - g->anon_pages;
            from_anon = g->anon_pages;
        }
        g->anon_pages -= from_anon;
        g->swapped_pages -= from_swap;
    } else if (demand > have) {
        int64_t grow = demand - have;
        int64_t room = make_room(g, grow, d);
        g->anon_pages += room;
        int64_t rest = grow - room;
        if (rest > 0) {
            /* Out of free memory and cache: new pages push older anon pages to swap,
             * as LRU would; the net effect is `rest` more pages in swap. */
            int64_t swap_room = g->swap_max_pages - g->swapped_pages;
            int64_t to_swap = sim_min64(rest, sim_max64(0, swap_room));
            g->swapped_pages += to_swap;
            d->swap_out_pages += to_swap;
            note_cost(g, 1, to_swap);
            rest -= to_swap;
        }
        if (rest > 0) {
            if (!g->in_oom)
                d->oom_kills++;
            d->oom_dropped_pages += rest;
        }
        g->in_oom = rest > 0;
        demand -= rest;
    } else {
        g->in_oom = 0;
    }
    if (demand < have)
        g->in_oom = 0;
    g->anon_demand_pages = demand;
    cover_touched(g, d);
}

void guest_rates(const guest_t *g, guest_rates_t *r)
{
    double a = (double)g->anon_demand_pages, f = (double)g->file_pages;
    double total = a + f;
    *r = (guest_rates_t){0};
    r->hit_ratio = 1.0;
    if (total <= 0 || g->access_pages_per_s <= 0) {
        if (f > 0)
            r->hit_ratio = g->mrc || g->file_tracking ? file_hit_ratio(g) : 1.0;
        return;
    }
    double ra = g->access_pages_per_s * a / total;
    double rf = g->access_pages_per_s * f / total;
    if (f > 0)
        r->hit_ratio = file_hit_ratio(g);
    double swapped_frac = anon_swapped_prob(g);
    r->swapin_faults_per_s = ra * swapped_frac;
    r->cache_miss_per_s = rf * (1.0 - r->hit_ratio);
    r->resident_refs_per_s = ra * (1.0 - swapped_frac) + rf * r->hit_ratio;
}

void guest_advance(guest_t *g, const guest_rates_t *r, double dt_s, guest_delta_t *d)
{
    if (dt_s <= 0)
        return;
    /* Lazy swap-in: one page per fault, into free memory or over clean cache. */
    if (g->swapped_pages > 0 && r->swapin_faults_per_s > 0) {
        double faults = r->swapin_faults_per_s * dt_s + g->swapin_carry;
        int64_t whole = (int64_t)faults;
        g->swapin_carry = faults - (double)whole;
        int64_t want = sim_min64(g->swapped_pages, whole);
        int64_t got = make_room(g, want, d);
        g->swapped_pages -= got;
        g->anon_pages += got;
        d->swap_in_pages += got;
        d->swap_out_pages += want - got;   /* no room: the page displaces another (thrashing) */
        note_cost(g, 1, want);             /* every swap-in is an anon refault */
        note_cost(g, 1, want - got);       /* and a displacement is reclaim IO */
    }
    /* Cache refill: misses add pages while the cache is below the file set and free
     * memory remains (otherwise a miss replaces a cached page: size unchanged). */
    if (r->cache_miss_per_s > 0 && g->cache_pages < g->file_pages) {
        double exact = r->cache_miss_per_s * dt_s + g->fill_carry;
        int64_t misses = (int64_t)exact;
        g->fill_carry = exact - (double)misses;
        int64_t want = sim_min64(misses * (g->file_tracking ? g->readahead_pages : 1), g->file_pages - g->cache_pages);
        int64_t fill = sim_min64(want, sim_max64(0, guest_free_pages(g)));
        if (g->file_tracking && misses > 0) {
            /* of the misses, the compulsory share ((F - seen) / F of the references, out
             * of 1 - h) reads pages for the first time, readahead pages each */
            double f = (double)g->file_pages, miss_p = 1.0 - r->hit_ratio;
            double comp = miss_p > 0 ? fmin(1.0, ((f - (double)g->seen_pages) / f) / miss_p) : 0.0;
            int64_t first = llround((double)misses * comp) * g->readahead_pages;
            g->seen_pages = sim_min64(g->file_pages, g->seen_pages + first);
        }
        if (g->reclaim == GUEST_RECLAIM_LINUX && want > 0) {
            /* misses on pages evicted by reclaim are refaults (mm/workingset.c): they
             * raise the file cost and mark file pages as thrashing */
            int64_t gap = g->file_pages - g->cache_pages;
            int64_t refaults = gap > 0 ? sim_min64(g->shadow_pages, want * g->shadow_pages / gap) : 0;
            g->shadow_pages -= refaults;
            g->file_refaults += refaults;
            note_cost(g, 0, refaults);
            if (want > fill) {
                /* no free page for the fill: reclaim by the rule -- stale cache, then a
                 * cached page (replacement, no growth) or an anon page to swap */
                int64_t need = want - fill;
                int64_t st = sim_min64(need, g->stale_pages);
                g->stale_pages -= st;
                fill += st;
                int64_t a, c;
                guest_reclaim_split(g, need - st, &a, &c);
                reclaim_seen(g);
                g->anon_pages -= a;
                g->swapped_pages += a;
                d->swap_out_pages += a;
                note_cost(g, 1, a);
                fill += a;
                write_back(g, c, d);          /* a replaced page, if dirty, is written back */
            }
        } else if (want > fill) {
            write_back(g, want - fill, d);    /* cache-first: the misses replace cached pages */
        }
        g->cache_pages += fill;
        d->cache_fill_pages += fill;
        if (g->file_tracking)
            g->seen_pages = sim_max64(g->seen_pages, g->cache_pages);
    }
    cover_touched(g, d);
}

int64_t guest_reclaimable_cheap(const guest_t *g)
{
    return sim_max64(0, guest_free_pages(g)) + g->cache_pages + g->stale_pages;
}

int64_t guest_reclaimable_total(const guest_t *g)
{
    return guest_reclaimable_cheap(g) + sim_min64(g->anon_pages, sim_max64(0, g->swap_max_pages - g->swapped_pages));
}

void guest_reclaim(guest_t *g, int64_t pages, guest_delta_t *d)
{
    if (pages <= 0)
        return;
    int64_t free_pages = sim_max64(0, guest_free_pages(g));
    int64_t untouched = g->usable_pages - g->touched_pages;
    int64_t touched_free = g->touched_pages - used_pages(g);
    int64_t released = 0;
    /* 1. free pages; touched and untouched in proportion */
    int64_t take = sim_min64(pages, free_pages);
    if (take > 0) {
        int64_t rel = free_pages > 0 ? (int64_t)llround((double)take * (double)touched_free / (double)free_pages) : 0;
        rel = sim_min64(rel, touched_free);
        if (take - rel > untouched)
            rel = take - untouched;
        released += rel;
        pages -= take;
    }
    /* 2. stale cache beyond the file set (linux rule; none under cache-first) */
    int64_t from_stale = sim_min64(pages, g->stale_pages);
    g->stale_pages -= from_stale;
    released += from_stale;
    pages -= from_stale;
    /* 3. clean page cache (dropped, no I/O) and anonymous pages to guest swap: all of the
     * cache first (cache-first), or split by get_scan_count's balance (linux) */
    int64_t from_anon, from_cache;
    guest_reclaim_split(g, pages, &from_anon, &from_cache);
    if (g->reclaim == GUEST_RECLAIM_LINUX)
        reclaim_seen(g);
    evict_cache(g, from_cache);
    write_back(g, from_cache, d);
    released += from_cache;
    pages -= from_cache;
    from_anon = sim_min64(from_anon, pages);
    note_cost(g, 1, from_anon);
    g->anon_pages -= from_anon;
    g->swapped_pages += from_anon;
    d->swap_out_pages += from_anon;
    released += from_anon;
    pages -= from_anon;
    int64_t taken = take + from_stale + from_cache + from_anon;
    g->usable_pages -= taken;
    g->touched_pages -= released;
    d->released_touched_pages += released;
}

void guest_grow(guest_t *g, int64_t pages)
{
    if (pages > 0)
        g->usable_pages += pages;
}

void guest_settled_at(const guest_t *g, int64_t usable_pages, guest_t *out)
{
    *out = *g;
    int64_t room = sim_max64(0, usable_pages - g->kernel_pages);
    out->usable_pages = sim_max64(usable_pages, g->kernel_pages);
    out->anon_pages = sim_min64(g->anon_demand_pages, room);
    out->swapped_pages = g->anon_demand_pages - out->anon_pages;
    out->cache_pages = sim_min64(g->file_pages, room - out->anon_pages);
    out->touched_pages = sim_max64(out->touched_pages, used_pages(out));
    if (out->touched_pages > out->usable_pages)
        out->touched_pages = out->usable_pages;
    out->in_oom = 0;
    out->swapin_carry = out->fill_carry = 0;
}

int guest_check(const guest_t *g, char *err, size_t errlen)
{
    int64_t used = used_pages(g);
    if (g->kernel_pages < 0 || g->anon_pages < 0 || g->cache_pages < 0 || g->swapped_pages < 0 ||
        guest_free_pages(g) < 0 || used > g->touched_pages || g->touched_pages > g->usable_pages ||
        g->anon_pages + g->swapped_pages != g->anon_demand_pages || g->cache_pages > g->file_pages ||
        g->stale_pages < 0 || g->shadow_pages < 0 ||
        g->swapped_pages > g->swap_max_pages) {
        snprintf(err, errlen,
                 "guest invariant violated: usable=%lld touched=%lld kernel=%lld anon=%lld swapped=%lld "
                 "cache=%lld file=%lld demand=%lld",
                 (long long)g->usable_pages, (long long)g->touched_pages, (long long)g->kernel_pages,
                 (long long)g->anon_pages, (long long)g->swapped_pages, (long long)g->cache_pages,
                 (long long)g->file_pages, (long long)g->anon_demand_pages);
        return SIM_EINTERNAL;
    }
    return SIM_OK;
}
