/*
 * models/device.h -- storage devices with queueing: the host swap device shared by the
 * VMs of a host, and each guest's disk (device_*).  docs/models.md "Devices".
 *
 * MODEL.  A device serves 4 KiB page reads and writes.  It has a QD1 latency L (one
 * request alone: what a datasheet calls random-read latency, or 1 / IOPS at QD1) and a
 * bandwidth mu (pages/s: 4 KiB random IOPS at high queue depth).  Its response time at
 * utilisation rho = (reads + writes) / mu is an M/M/1 queue on the bandwidth, plus the
 * part of the QD1 latency that is not service time:
 *
 *     S = 1 / mu,    T(rho) = max(L - S, 0) + S / (1 - rho),    0 <= rho < 1     (D1)
 *
 * so T(0) = max(L, S) and, when L = S (a disk without internal parallelism), T is the
 * M/M/1 sojourn time 1 / (mu - lambda).  Throughput never exceeds mu: rho < 1 is kept by
 * the closed loop (host.c) and a hard cap.
 *
 * WRITES.  Reclaim writes (swap-outs, dirty page-cache write-back) are clustered (Linux
 * allocates swap in clusters of SWAPFILE_CLUSTER = 256 slots; write-back goes by file), so
 * a written page costs 1 / mu_w of the device, mu_w its sequential write bandwidth.
 * Writes that go with the faults (a swap-in or a miss that must evict) add w / mu_w to the
 * utilisation in the closed loop (vm.c).  Writes made at once (the host swapping many pages,
 * a balloon inflation or a demand jump that swaps) are queued: the device serves the queue
 * with a share phi of its time while it lasts, so it drains at phi * mu_w pages/s and the
 * reads keep 1 - phi.  phi = 1 / (writes_starved + 1) = 1/3: Linux's deadline scheduler
 * prefers reads but dispatches a write batch after writes_starved = 2 read batches
 * (Documentation/block/deadline-iosched.rst).
 *
 * PRESETS (4 KiB random reads; sources in docs/models.md):
 *   nvme  L = 45 us (22,000 IOPS at QD1), mu = 1,000,000 IOPS (QD32):
 *         Samsung 980 PRO 1 TB data sheet (2020)
 *   ssd   L = 77 us (13,000 IOPS at QD1), mu = 98,000 IOPS (QD32):
 *         Samsung 870 EVO 1 TB data sheet (2021)
 *   hdd   L = 12.4 ms = 8.2 ms average read seek + 4.17 ms half a turn at 7,200 rpm,
 *         mu = 1 / L (no NCQ gain assumed): HGST Ultrastar 7K4000 specification, 4.4.1
 *   sequential writes mu_w: nvme 5,000 MB/s, ssd 530 MB/s (the same data sheets);
 *         hdd 100 MiB/s (an assumption: a 7,200 rpm drive's media rate, not checked)
 * UNITS  latency in ns, bandwidth in bytes/s at the edges, pages/s inside.
 */
#ifndef MODELS_DEVICE_H
#define MODELS_DEVICE_H

#include "sim/engine.h"
#include "sim/types.h"

typedef struct device_preset {
    const char *name;
    sim_time_t latency_ns;            /* QD1 4 KiB random read */
    double bytes_per_s;               /* 4 KiB random reads at high queue depth */
    double write_bytes_per_s;         /* sequential writes (clustered reclaim writes) */
    const char *source;
} device_preset_t;

/* The preset of that name, or NULL ("custom" and unknown names). */
const device_preset_t *device_preset_find(const char *name);
/* "nvme|ssd|hdd|custom" for a key's choices. */
#define DEVICE_PRESET_CHOICES "custom|nvme|ssd|hdd"

/* (D1): response time in seconds at utilisation rho (clamped to [0, 1 - 1e-12]). */
double device_response_s(double latency_s, double pages_per_s, double rho);

/* The share of a device's time its queued writes take while they last (phi, above). */
#define DEVICE_WRITE_SHARE (1.0 / 3.0)

/* A device's queue of writes made at once: `pages` left at since_ns, draining at
 * DEVICE_WRITE_SHARE * write_pages_per_s; ev is the event at which it empties (its
 * owner's; NULL when empty). */
typedef struct device_queue {
    double pages;
    sim_time_t since_ns;
    sim_time_t end_ns;                /* when it will be (or was last) empty */
    double busy_ns;                   /* time with writes queued, to end_ns */
    sim_event_t *ev;
} device_queue_t;

/* Pages still queued at now_ns (>= since_ns). */
double device_queue_left(const device_queue_t *q, double write_pages_per_s, sim_time_t now_ns);
/* Queue `pages` more at now_ns; returns the time the queue will be empty. */
sim_time_t device_queue_add(device_queue_t *q, double write_pages_per_s, double pages, sim_time_t now_ns);
/* Time (ns) the device had writes queued from the start up to until_ns. */
double device_queue_busy_ns(const device_queue_t *q, sim_time_t until_ns);
/* device_queue_add, and schedule (or move) q->ev to the queue's end: fn(ctx) then, at
 * DEVICE_QUEUE_PRIO (after workload changes and balloon steps at the same instant). */
#define DEVICE_QUEUE_PRIO 30
void device_queue_push(device_queue_t *q, sim_engine_t *e, double write_pages_per_s, double pages,
                       sim_time_t now_ns, sim_event_fn fn, void *ctx);
/* The share of the device's time the queue takes now: DEVICE_WRITE_SHARE or 0. */
double device_queue_share(const device_queue_t *q);

#endif
