/*
 * models/vm.c -- one VM (vm_*; models/vm.h): its name, its rates (a pure function of its
 * state: RATES ARE FRESH, models/host.c), booting and shutting it down on its host,
 * and the model's one way to the recorder for a VM (vm_record_*).
 * The model (conservation C1-C2, the slowdown formula) is documented in models/vm.h.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "sim/units.h"
#include "models/balloon.h"
#include "models/dc.h"
#include "models/host.h"
#include "models/record.h"
#include "models/vm.h"

void vm_name(const vm_t *v, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%d", v->gp->name, (int)v->index);
}

double vm_stall_ns(const vm_t *v, const guest_rates_t *r, double host_faults_per_s, double dt_s)
{
    double misses = r->cache_miss_per_s * dt_s;
    double swapins = r->swapin_faults_per_s * dt_s;
    double host_faults = host_faults_per_s * dt_s;
    return misses * (double)v->gp->disk_latency_ns + swapins * (double)v->gp->swap_latency_ns +
           host_faults * (double)v->host->swap_latency_ns;
}

/* Its guest disk queues (device.h D1).  Per second of progress the VM reads b_r = (misses
 * + swap-ins) * S and writes b_w = writes * S_w (device time); a queue of writes made at
 * once leaves the reads and these writes a share u' of the device.  With u = 1 - rho_disk:
 *   x = 1 / (1 + a + b_r / u),  u = u' - x (b_r + b_w)
 * so (1 + a) u^2 - (u'(1 + a) - 2 b_r - b_w) u - u' b_r = 0, whose one positive root
 * (in (0, u'): the left side is -u' b_r at 0 and u' (b_r + b_w) at u') is taken. */
double vm_progress(const vm_t *v, double t_host)
{
    double a = v->io_a0_s + v->io_m_host * t_host, br = v->io_b_s;
    double A = 1.0 + a;
    if (br <= 0)
        return 1.0 / A;
    double up = v->io_avail, B = up * A - 2.0 * br - v->io_bw_s;
    double u = (B + sqrt(B * B + 4.0 * A * up * br)) / (2.0 * A);
    return 1.0 / (A + br / u);
}

/* io = closed: demands per progress second from the open-loop rates, then progress and
 * the wall-clock rates; the host faults are capped so that the host's VMs never take
 * more than the swap device's bandwidth (writes included: one per fault while the host
 * churns at its swap threshold, and the share of a queue of swap-outs;
 * host_refresh_devices solves the shared device). */
static void vm_rates_closed(vm_t *v, double m_host)
{
    host_t *h = v->host;
    const scn_vm_t *gp = v->gp;
    double mu = gp->disk_bytes_per_s / (double)SIM_PAGE_BYTES, S = 1.0 / mu;
    double Sw = (double)SIM_PAGE_BYTES / gp->disk_write_bytes_per_s;
    double per_swapin = 0, per_miss = 0;
    if (h->io_writes)
        guest_writes_per_read(&v->g, &per_swapin, &per_miss);
    v->io_m_cache = v->rates.cache_miss_per_s;
    v->io_m_swapin = v->rates.swapin_faults_per_s;
    v->io_m_host = m_host;
    v->io_a0_s = v->io_m_cache * fmax(sim_time_to_s(gp->disk_latency_ns) - S, 0) +
                 v->io_m_swapin * fmax(sim_time_to_s(gp->swap_latency_ns) - S, 0);
    v->io_b_s = (v->io_m_cache + v->io_m_swapin) * S;
    v->io_bw_s = (v->io_m_cache * per_miss + v->io_m_swapin * per_swapin) * Sw;
    v->io_avail = 1.0 - device_queue_share(&v->disk_q);
    double x = vm_progress(v, h->swap_response_s);
    /* One VM alone never takes more than the device; the host's VMs together are kept
     * within it by host_refresh_devices, which a change of host-fault demand triggers
     * (devices_stale) before the event ends. */
    double cap = (1.0 - device_queue_share(&h->swap_q)) / host_seconds_per_fault(h);
    if (m_host * x > cap)
        x = cap / m_host;
    if (m_host != v->io_m_host_seen) {
        v->io_m_host_seen = m_host;
        h->devices_stale = 1;
    }
    v->progress = x;
    v->rates.cache_miss_per_s *= x;
    v->rates.swapin_faults_per_s *= x;
    v->rates.resident_refs_per_s *= x;
    h->swap_read_load += m_host * x - v->host_fault_per_s;
    v->host_fault_per_s = m_host * x;
}

/* The guest disk's write queue is empty: the reads get the whole device again. */
static void on_disk_queue_empty(void *ctx, int64_t arg, sim_time_t now)
{
    (void)arg;
    vm_t *v = ctx;
    v->disk_q.ev = NULL;
    if (!v->running)
        return;
    host_advance_vm(v, now);             /* integrated at the share held until now */
    v->disk_q.pages = 0;
    vm_refresh_rates(v);
    if (v->host->devices_stale)
        host_advance_all(v->host, now);
}

void vm_queue_writes(vm_t *v, double pages, sim_time_t now_ns)
{
    host_t *h = v->host;
    if (!h->io_writes || pages <= 0)
        return;
    device_queue_push(&v->disk_q, h->dc->engine, v->gp->disk_write_bytes_per_s / (double)SIM_PAGE_BYTES, pages,
                      now_ns, on_disk_queue_empty, v);
}

void vm_refresh_rates(vm_t *v)
{
    if (!v->running) {
        memset(&v->rates, 0, sizeof v->rates);
        v->host->swap_read_load -= v->host_fault_per_s;
        if (v->host_fault_per_s > 0)
            v->host->devices_stale = 1;
        v->host_fault_per_s = 0;
        v->io_m_host = v->io_m_host_seen = 0;
        v->progress = 1;
        return;
    }
    guest_rates(&v->g, &v->rates);
    if (v->host->io_closed) {
        double hs = v->g.touched_pages > 0 ? (double)v->host_swapped_pages / (double)v->g.touched_pages : 0;
        vm_rates_closed(v, v->rates.resident_refs_per_s * hs);
        return;
    }
    double hs_frac = v->g.touched_pages > 0 ? (double)v->host_swapped_pages / (double)v->g.touched_pages : 0;
    double rate = v->rates.resident_refs_per_s * hs_frac;
    if (rate > v->host->swap_pages_per_s)
        rate = v->host->swap_pages_per_s;
    v->host_fault_per_s = rate;
}

void vm_boot(vm_t *v, sim_time_t now_ns)
{
    host_t *h = v->host;
    if (v->running)
        return;
    host_advance_all(h, now_ns);
    v->running = 1;
    v->last_ns = now_ns;
    v->boot_ns = now_ns;
    v->target_dir = 0;
    v->report.at_ns = -1;
    v->report.avg10 = 0;
    v->report.avg10_ns = now_ns;
    v->report.avg10_stall_ns = v->c.stall_ns;
    v->assigned_pages = v->startup_pages;
    v->host_swapped_pages = 0;
    v->host_back_carry = 0;
    v->progress = 1;
    balloon_init(v, v->b.rng, v->b.refuse_rng);
    guest_init(&v->g, v->startup_pages, sim_bytes_to_pages(v->gp->kernel_bytes),
               sim_bytes_to_pages(v->gp->swap_bytes), h->dc->mrcs[v->group]);
    if (v->gp->balloon.boot_ballooned) {
        /* Xen: built at its static-max with the balloon holding what startup leaves out */
        v->assigned_pages = v->configured_pages;
        v->b.size_pages = v->b.target_pages = v->configured_pages - v->startup_pages;
    }
    guest_set_reclaim(&v->g, strcmp(v->gp->reclaim, "linux") ? GUEST_RECLAIM_CACHE_FIRST : GUEST_RECLAIM_LINUX,
                      (int)v->gp->swappiness);
    guest_set_anon_refs(&v->g, !strcmp(v->gp->anon_refs, "hot-cold"), v->gp->hot_share);
    guest_set_file_cache(&v->g, !strcmp(v->gp->file_cache, "tracking"), v->gp->dirty_fraction,
                         sim_bytes_to_pages(v->gp->readahead_bytes));
    if (v->mrc_own)
        v->g.mrc = v->mrc_own;
    h->free_pages -= h->overhead_pages + v->g.touched_pages;
    vm_record_event(v, now_ns, "boot", (double)v->assigned_pages);
    vm_refresh_rates(v);
    if (h->free_pages < h->hard_pages)
        host_advance_all(h, now_ns);
}

void vm_shutdown(vm_t *v, sim_time_t now_ns)
{
    host_t *h = v->host;
    if (!v->running)
        return;
    host_advance_all(h, now_ns);
    balloon_stop(v);
    h->free_pages += h->overhead_pages + vm_resident(v);
    if (v->disk_q.ev)
        sim_engine_cancel(h->dc->engine, v->disk_q.ev);
    v->c.disk_write_queue_ns += device_queue_busy_ns(&v->disk_q, now_ns);
    v->disk_q = (device_queue_t){0};
    v->host_swapped_pages = 0;
    v->g.touched_pages = 0;
    v->g.anon_pages = v->g.swapped_pages = v->g.cache_pages = v->g.stale_pages = 0;
    v->g.anon_demand_pages = 0;
    v->running = 0;
    vm_record_event(v, now_ns, "shutdown", 0);
    vm_refresh_rates(v);
}

void vm_record_event(const vm_t *v, sim_time_t t, const char *what, double value)
{
    record_event(v->host->dc->rec, t, v->id, what, value);
}

void vm_record_op(const vm_t *v, int64_t op, const char *kind, sim_time_t issued_ns, sim_time_t started_ns,
                  sim_time_t finished_ns, int64_t asked_pages, int64_t moved_pages, const char *outcome)
{
    record_op(v->host->dc->rec, v->id, op, kind, issued_ns, started_ns, finished_ns, asked_pages, moved_pages,
              outcome, v->record_series);
}

void vm_record_target(const vm_t *v, sim_time_t t, int64_t usable_pages)
{
    record_target(v->host->dc->rec, t, v->id, v->b.target_pages, usable_pages, v->record_series);
}
