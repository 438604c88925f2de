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

int64_t guest_free_pages(const guest_t *g)
{
    return g->usable_pages - g->kernel_pages - g->anon_pages - g->cache_pages;
}

int64_t guest_committed_pages(const guest_t *g) { return g->kernel_pages + g->anon_demand_pages; }

/* Pages in use that must be touched. */
static int64_t used_pages(const guest_t *g) { return g->kernel_pages + g->anon_pages + g->cache_pages; }

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
static int64_t make_room(guest_t *g, int64_t want)
{
    int64_t free_pages = guest_free_pages(g);
    if (free_pages >= want)
        return want;
    int64_t evict = sim_min64(g->cache_pages, want - free_pages);
    g->cache_pages -= evict;
    return free_pages + evict;
}

void guest_set_demand(guest_t *g, const workload_sample_t *s, guest_delta_t *d)
{
    int64_t demand = sim_max64(0, s->anon_pages);
    g->file_pages = sim_max64(0, s->file_pages);
    g->active_fraction = s->active_fraction;
    g->access_pages_per_s = s->access_pages_per_s;
    if (g->cache_pages > g->file_pages)
        g->cache_pages = g->file_pages;          /* stale cache counts as free */

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
        int64_t room = make_room(g, grow);
        g->anon_pages += room;
        int64_t rest = grow - room;
        if (rest > 0) {
            /* Out of free memory and cache: new pages push older anon pages to swap,
             * as LRU would; the net effect is `rest` more pages in swap. */
            int64_t swap_room = g->swap_max_pages - g->swapped_pages;
            int64_t to_swap = sim_min64(rest, sim_max64(0, swap_room));
            g->swapped_pages += to_swap;
            d->swap_out_pages += to_swap;
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
            r->hit_ratio = g->mrc ? cache_mrc_hit_ratio(g->mrc, (double)g->cache_pages / f) : 1.0;
        return;
    }
    double ra = g->access_pages_per_s * a / total;
    double rf = g->access_pages_per_s * f / total;
    if (f > 0)
        r->hit_ratio = g->mrc ? cache_mrc_hit_ratio(g->mrc, (double)g->cache_pages / f)
                              : (double)g->cache_pages / f;
    double swapped_frac = a > 0 ? (double)g->swapped_pages / a : 0.0;
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
        int64_t got = make_room(g, want);
        g->swapped_pages -= got;
        g->anon_pages += got;
        d->swap_in_pages += got;
        d->swap_out_pages += want - got;   /* no room: the page displaces another (thrashing) */
    }
    /* Cache refill: misses add pages while the cache is below the file set and free
     * memory remains (otherwise a miss replaces a cached page: size unchanged). */
    if (r->cache_miss_per_s > 0 && g->cache_pages < g->file_pages) {
        double exact = r->cache_miss_per_s * dt_s + g->fill_carry;
        int64_t misses = (int64_t)exact;
        g->fill_carry = exact - (double)misses;
        int64_t fill = sim_min64(sim_min64(misses, g->file_pages - g->cache_pages), sim_max64(0, guest_free_pages(g)));
        g->cache_pages += fill;
        d->cache_fill_pages += fill;
    }
    cover_touched(g, d);
}

int64_t guest_reclaimable_cheap(const guest_t *g) { return sim_max64(0, guest_free_pages(g)) + g->cache_pages; }

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
    /* 2. clean page cache (dropped, no I/O) */
    int64_t from_cache = sim_min64(pages, g->cache_pages);
    g->cache_pages -= from_cache;
    released += from_cache;
    pages -= from_cache;
    /* 3. anonymous pages to guest swap */
    int64_t from_anon = sim_min64(pages, sim_min64(g->anon_pages, sim_max64(0, g->swap_max_pages - g->swapped_pages)));
    g->anon_pages -= from_anon;
    g->swapped_pages += from_anon;
    d->swap_out_pages += from_anon;
    released += from_anon;
    pages -= from_anon;
    int64_t taken = take + from_cache + from_anon;
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
