/*
 * models/policies/hyperv.h -- the pure part of the hyperv-dm policy (hyperv_*): how the
 * memory available to VMs is divided, exposed for tests (tests/unit/test_policy_hyperv.c).
 *
 * Source: Microsoft Hyper-V Dynamic Memory documentation (Set-VMMemory, the Dynamic
 * Memory overview) -- docs/policies.md.  Per VM: committed memory C, buffer b (0.2 = 20 %),
 * weight w (0..10000), bounds lo (minimum RAM, guest floor) and hi (maximum RAM).
 *
 *   want_i = clamp(C_i (1 + b_i), lo_i, hi_i)      need_i = clamp(C_i, lo_i, hi_i)
 *
 * RULE UNDER SHORTAGE (an assumption: Microsoft says only that higher weight gets memory
 * first and that the buffer is sacrificed first):
 *   phase 0  ample       sum want <= avail: every VM gets want.
 *   phase 1  buffer      sum need <= avail < sum want: every VM keeps its need, and the
 *                        buffers are cut by weighted pressure equalisation:
 *                        T_i = need_i + min(want_i - need_i, lambda (w_i + 1) need_i),
 *                        lambda chosen so sum T = avail.  Equal weights get equal pressure
 *                        C/T; a higher weight keeps a larger buffer (lower pressure).
 *   phase 2  committed   sum lo <= avail < sum need: memory above the minimum goes to the
 *                        highest weight first (strict priority); VMs of equal weight share
 *                        what is left in proportion to need_i - lo_i (equal pressure).
 *   phase 3  minimum     avail < sum lo: every VM gets lo (the host swaps the rest).
 * (w + 1 so that a weight-0 VM still gets a share of what nobody else can use.)
 * Units: pages.
 */
#ifndef MODELS_POLICIES_HYPERV_H
#define MODELS_POLICIES_HYPERV_H

#include <stddef.h>
#include <stdint.h>

typedef struct hyperv_alloc_vm {
    double committed_pages;
    double buffer;              /* fraction: 0.2 = 20 % */
    double weight;              /* 0..10000 */
    int64_t lo_pages, hi_pages;
} hyperv_alloc_vm_t;

enum { HYPERV_AMPLE = 0, HYPERV_SHORT_BUFFER = 1, HYPERV_SHORT_COMMITTED = 2, HYPERV_SHORT_MINIMUM = 3 };

/* Divide avail_pages among n VMs by the rule above; out[i] in [lo_i, hi_i].  Returns the
 * phase (HYPERV_*). */
int hyperv_allocate(const hyperv_alloc_vm_t *vms, size_t n, int64_t avail_pages, int64_t *out);

#endif
