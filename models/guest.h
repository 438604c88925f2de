/*
 * models/guest.h -- the guest operating system's memory (guest_*).
 *
 * MODEL (docs/models.md "Guest")
 * The guest sees `usable` pages: its assigned memory less the balloon.  They split into
 *
 *     usable = kernel + anon + cache + free                              (G1)
 *
 *   kernel  the kernel reserve (fixed per VM class);
 *   anon    resident anonymous pages; the rest of the anonymous demand, `swapped`,
 *           sits in the guest's swap device: anon + swapped = demand - oom_dropped;
 *   cache   page cache holding part of the file working set (cache <= file set);
 *   free    the rest.
 * Of the usable pages, `touched` have been written at least once and are therefore
 * backed by the host (resident or host-swapped); the others cost the host nothing:
 *
 *     kernel + anon + cache <= touched <= usable                          (G2)
 *
 * Dynamics (hybrid time, docs/design.md "Engine"): demand changes are applied at once at the event
 * that brings them; between events the guest's rates are constant and integrated:
 *   - growing anon demand takes free pages (touched-free first, then untouched), then
 *     evicts clean page cache, then pushes anon pages to guest swap; beyond swap the
 *     guest is out of memory: an OOM event, and the excess demand is dropped (the OOM
 *     killer's victim), never a crash;
 *   - a shrinking anon demand frees pages (the swapped share first in proportion);
 *     they stay touched: the host cannot know they are free -- ballooning's raison d'etre;
 *   - reclaim by the balloon (guest_reclaim) takes free pages, then splits the rest
 *     between clean page cache and anonymous pages by the guest's reclaim rule:
 *       cache-first  all of the page cache before any anonymous page (docs/models.md "Guest"; the
 *                    model before issue 23, kept for comparison);
 *       linux        Linux's get_scan_count balance (mm/vmscan.c, Linux 6.6): cache beyond
 *                    the file set (stale, cold) first; then file only when swap is full
 *                    or while there is enough inactive cache and no file refault since
 *                    the last reclaim (cache_trim_mode); anon only when file + free pages
 *                    are below the high watermark (file_is_tiny); otherwise in proportion
 *                    to LRU size x swappiness / (refault + reclaim-IO cost) (SCAN_FRACT).
 *                    The same rule makes room for anonymous growth, swap-ins and, when
 *                    free memory is gone, page-cache fills.  docs/models.md "Reclaim".
 *   - faults: the workload makes R page references per second to its working set
 *     (anon demand A plus file set F), split in proportion A : F.  A reference to a
 *     swapped anon page is a swap-in fault (rate R_a * swapped / A); a file reference
 *     misses the cache with probability 1 - h(cache / F), h from Che's approximation
 *     (models/cache.h).  Swapped pages come back lazily, one per swap-in fault, and a
 *     miss adds the page to the cache while it is below the file set, taking free pages.
 *     Page moves are whole pages; the fraction of a fault left at the end of an interval
 *     is carried to the next one, so moves do not depend on how often events happen.
 *     A swap-in fault in a guest with neither free memory nor cache to make room still
 *     happens (and stalls): it swaps another anonymous page out (thrashing).
 *
 * UNITS pages of 4 KiB, rates in pages/s, times in ns.
 * ASSUMPTIONS (documented choices): references are uniform over anon pages (or hot/cold,
 * guest_set_anon_refs) and Zipf over file pages; the balloon takes touched and untouched free pages in proportion.  Under
 * cache-first, stale cache beyond a shrunken file set is counted as free (the old model);
 * under linux it stays cached (stale_pages) until reclaim takes it, first.
 */
#ifndef MODELS_GUEST_H
#define MODELS_GUEST_H

#include "sim/types.h"
#include "models/cache.h"
#include "models/workload.h"

typedef enum { GUEST_RECLAIM_CACHE_FIRST, GUEST_RECLAIM_LINUX } guest_reclaim_rule_t;

/* get_scan_count's outcome (mm/vmscan.c enum scan_balance, less SCAN_EQUAL: the model
 * has no reclaim priority, and SCAN_EQUAL is its priority-0 case). */
typedef enum { GUEST_SCAN_FRACT, GUEST_SCAN_FILE, GUEST_SCAN_ANON } guest_scan_mode_t;
typedef struct guest_scan {
    guest_scan_mode_t mode;
    uint64_t ap, fp;                 /* SCAN_FRACT pressure fractions (kernel's ap, fp) */
} guest_scan_t;

#define GUEST_SWAP_CLUSTER_MAX 32    /* include/linux/swap.h: cost of one page of reclaim IO */
#define GUEST_DEF_PRIORITY     12    /* mm/vmscan.c DEF_PRIORITY */
#define GUEST_MAX_SWAPPINESS   200   /* include/linux/swap.h MAX_SWAPPINESS (Linux 6.7) */

typedef struct guest {
    /* configuration */
    int64_t kernel_pages;
    int64_t swap_max_pages;
    const cache_mrc_t *mrc;          /* shared, not owned */
    guest_reclaim_rule_t reclaim;    /* guest_set_reclaim; cache-first after guest_init */
    int swappiness;                  /* vm_swappiness, 0..200 (Linux default 60) */
    int64_t high_wmark_pages;        /* the guest's high watermark (guest_linux_high_wmark_pages) */
    int file_tracking;               /* page cache: 0 stationary (old), 1 follows the file set */
    double dirty_fraction;           /* share of cached pages dirty (write-back on eviction) */
    int64_t readahead_pages;         /* pages read per miss (file_tracking) */
    int hot_cold;                    /* anon references: 0 uniform (old), 1 hot set + cold rest */
    double hot_share;                /* share of anon references to the hot set (hot_cold) */
    /* state (pages) */
    int64_t usable_pages;
    int64_t touched_pages;
    int64_t anon_pages;
    int64_t swapped_pages;
    int64_t cache_pages;
    int64_t stale_pages;             /* linux: cached pages beyond a shrunken file set */
    int64_t seen_pages;              /* file_tracking: file-set pages read at least once */
    /* Linux reclaim balance (mm/swap.c lru_note_cost, mm/workingset.c) */
    int64_t shadow_pages;            /* file pages evicted by reclaim, not yet refaulted */
    uint64_t anon_cost, file_cost;   /* lruvec->anon_cost, ->file_cost */
    int64_t file_refaults;           /* workingset file refaults, cumulative */
    int64_t file_refaults_seen;      /* ... at the last reclaim (DEACTIVATE_FILE) */
    /* demand (from the workload) */
    int64_t anon_demand_pages;
    int64_t file_pages;
    double active_fraction;
    double access_pages_per_s;
    int in_oom;                      /* demand does not fit in memory + swap */
    /* Fractions of a fault carried to the next interval, so that integer page moves
     * follow the rates exactly however often the VM is advanced (0 <= carry < 1). */
    double swapin_carry;
    double fill_carry;
} guest_t;

/* What one change of the guest did, for the host and the metrics. */
typedef struct guest_delta {
    int64_t newly_touched_pages;     /* the host must back these now */
    int64_t released_touched_pages;  /* touched pages given back to the host (balloon) */
    int64_t swap_out_pages;          /* anon pages written to guest swap */
    int64_t swap_in_pages;           /* anon pages read back from guest swap */
    int64_t cache_fill_pages;        /* pages read into the page cache (misses) */
    int64_t writeback_pages;         /* dirty cached pages written back when evicted */
    int64_t oom_kills;               /* OOM episodes started */
    int64_t oom_dropped_pages;       /* anon demand dropped by OOM kills */
} guest_delta_t;

typedef struct guest_rates {
    double swapin_faults_per_s;      /* references to guest-swapped pages */
    double cache_miss_per_s;         /* file references missing the page cache */
    double resident_refs_per_s;      /* references hitting guest-resident pages */
    double hit_ratio;                /* page cache hit ratio, 0..1 */
} guest_rates_t;

/* Boot: usable pages, kernel reserve touched. */
void guest_init(guest_t *g, int64_t usable_pages, int64_t kernel_pages, int64_t swap_max_pages,
                const cache_mrc_t *mrc);
/* Hot and cold anonymous pages (guest_init leaves uniform references): the hot set,
 * active_fraction x anon demand pages, takes hot_share of the anon references; the guest's
 * reclaim (LRU-like) swaps cold pages first, so swapped pages are the coldest. */
void guest_set_anon_refs(guest_t *g, int hot_cold, double hot_share);
/* Hot and cold pages: of the anon demand, the hot set and how many of each are swapped. */
void guest_hot_cold(const guest_t *g, int64_t *hot, int64_t *hot_swapped, int64_t *cold, int64_t *cold_swapped);
/* The page cache follows the file set (guest_init leaves the stationary cache): a
 * reference to a file page never read misses (compulsory), the hit ratio is
 * (seen / F) h(cache / seen); each miss reads readahead_pages pages; a dirty_fraction
 * of the evicted cache is written back. */
void guest_set_file_cache(guest_t *g, int tracking, double dirty_fraction, int64_t readahead_pages);
/* Choose the reclaim rule (guest_init leaves cache-first); swappiness 0..200. */
void guest_set_reclaim(guest_t *g, guest_reclaim_rule_t rule, int swappiness);
/* Linux's high watermark for a guest of managed_pages (mm/page_alloc.c,
 * init_per_zone_wmark_min and __setup_per_zone_wmarks, watermark_scale_factor 10). */
int64_t guest_linux_high_wmark_pages(int64_t managed_pages);
/* The scan balance get_scan_count would choose now (linux rule). */
void guest_scan_balance(const guest_t *g, guest_scan_t *out);
/* Of `need` pages to reclaim beyond free and stale pages, how many come from anon
 * (to swap) and from the page cache, by the rule; a + c <= need. */
void guest_reclaim_split(const guest_t *g, int64_t need, int64_t *from_anon, int64_t *from_cache);
/* Writes per read while the guest has no free page (io = closed: the guest disk's write
 * load): a swap-in makes room by the rule (an anon page to swap, or a cache page evicted
 * and written back if dirty), and a miss that fills the cache likewise for each page it
 * reads; 0 while free or stale pages remain.  Pages written per swap-in and per miss. */
void guest_writes_per_read(const guest_t *g, double *per_swapin, double *per_miss);
int64_t guest_free_pages(const guest_t *g);
int64_t guest_committed_pages(const guest_t *g);   /* kernel + anon demand (Hyper-V "committed") */
/* Apply a new workload sample at once. */
void guest_set_demand(guest_t *g, const workload_sample_t *s, guest_delta_t *d);
void guest_rates(const guest_t *g, guest_rates_t *r);
/* Integrate dt_s seconds at the given rates (lazy swap-in, cache refill). */
void guest_advance(guest_t *g, const guest_rates_t *r, double dt_s, guest_delta_t *d);
/* Pages the guest could give the balloon right now without swapping (free + cache),
 * and in all (free + cache + anon that fits in swap). */
int64_t guest_reclaimable_cheap(const guest_t *g);
int64_t guest_reclaimable_total(const guest_t *g);
/* The balloon takes `pages` (<= guest_reclaimable_total): usable shrinks. */
void guest_reclaim(guest_t *g, int64_t pages, guest_delta_t *d);
/* The balloon gives back or hot-add adds `pages`: usable grows (untouched). */
void guest_grow(guest_t *g, int64_t pages);
/* The guest as it would settle with `usable_pages` (the oracle's cost curve, issue 17):
 * a copy of g, same demand, file set and access rate, whose memory is filled in the
 * model's own order -- kernel, then anonymous demand (what does not fit is in guest swap;
 * swap is not capped here, so that a size below the OOM line still costs more the lower
 * it is), then page cache up to the file set.  guest_rates() of the result gives the
 * fault rates at that size once the transients (lazy swap-in, cache refill) are over. */
void guest_settled_at(const guest_t *g, int64_t usable_pages, guest_t *out);
/* Check G1/G2; returns 0 or SIM_EINTERNAL with a message. */
int guest_check(const guest_t *g, char *err, size_t errlen);

#endif
