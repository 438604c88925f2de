/*
 * models/policies/esx.h -- the pure parts of the esx-share policy (esx_*), exposed for
 * known-answer and reference-model tests (tests/unit/test_policy_esx.c).
 *
 * Source: C. Waldspurger, "Memory Resource Management in VMware ESX Server", OSDI 2002,
 * sections 5.2 (idle memory tax), 5.3 (active memory sampling) -- docs/policies.md.
 *
 *   rho = S / (P (f + k (1 - f))),   k = 1 / (1 - tau)
 *
 * S shares, P pages allocated, f the active fraction of P, tau the idle memory tax.
 * Known answers: rho(1000, 1000, 1, 0.75) = 1;  rho(1000, 1000, 0, 0.75) = 0.25 (idle
 * pages cost k = 4 times as much);  tau = 0: rho = S / P (pure proportional share).
 *
 * Units: pages (any consistent unit works for rho), fractions 0..1.
 */
#ifndef MODELS_POLICIES_ESX_H
#define MODELS_POLICIES_ESX_H

#include <stddef.h>
#include <stdint.h>

/* Shares-per-page ratio of a VM.  pages <= 0 gives +infinity (a VM holding nothing is
 * never a revocation victim); shares <= 0 gives 0; active is clamped to [0, 1]; tau must
 * be < 1. */
double esx_rho(double shares, double pages, double active, double tau);

/* ------------------------------------------------------------------ active memory
 * Statistical sampling (paper 5.3): each period, n random pages are watched for a touch;
 * the period's sample is touched / n.  Three estimates are kept:
 *   slow     EWMA of period samples with gain g_slow,
 *   fast     EWMA of period samples with gain g_fast (g_fast >= g_slow),
 *   partial  the fast EWMA updated with the samples taken so far in the current period,
 * and the estimate is their maximum: it rises as fast as `partial`/`fast` and falls as
 * slowly as `slow`.  The first complete period initialises slow and fast to its sample;
 * before any sample the estimate is 1 (a VM we know nothing about is not taxed). */
typedef struct esx_active {
    double slow, fast, partial;
    int64_t period_touched, period_sampled;   /* samples of the current period so far */
    int have;                                  /* a complete period has been seen */
} esx_active_t;

void esx_active_init(esx_active_t *a);
/* Add `sampled` pages of which `touched` were active; end_of_period commits the period. */
void esx_active_add(esx_active_t *a, int64_t touched, int64_t sampled, int end_of_period,
                    double g_slow, double g_fast);
double esx_active_estimate(const esx_active_t *a);

/* ------------------------------------------------------------------ min-funding revocation
 * One VM as the allocator sees it. */
typedef struct esx_alloc_vm {
    double shares;
    double active;         /* sampled active fraction f, 0..1 */
    int64_t lo_pages;      /* never allocate less (reservation, balloon cap) */
    int64_t hi_pages;      /* never allocate more (its assigned memory) */
    double unit_cost;      /* set by esx_allocate: esx_cost(1.0, active, tau) */
    double slope;          /* set by esx_allocate: shares / unit_cost */
} esx_alloc_vm_t;

/* Taxed size of an allocation: pages x (f + k (1 - f)).  rho = shares / esx_cost(). */
double esx_cost(double pages, double active, double tau);

/* Allocate total_pages among n VMs by min-funding revocation: starting from every VM at
 * hi, memory is revoked from the VM with the lowest rho = S / (P (f + k (1 - f))) (P its
 * allocation so far, f its measured active fraction), rho is recomputed, and so on until
 * the total fits.  In the limit of small chunks this ends where every VM strictly between
 * lo and hi has the same rho and no VM at lo has a higher one; it is computed here
 * exactly by bisection on that common rho (the reference test checks it against the
 * literal chunk-by-chunk revocation, and the literal give-back from lo, highest rho first,
 * ends at the same point).  out[i] in [lo_i, hi_i].  If sum lo >= total every VM gets lo;
 * if sum hi <= total every VM gets hi.  Zero-share VMs are revoked first and refunded
 * last.  Returns the pages allocated (<= total_pages unless sum lo exceeds it). */
int64_t esx_allocate(esx_alloc_vm_t *vms, size_t n, int64_t total_pages, double tau, int64_t *out);

#endif
