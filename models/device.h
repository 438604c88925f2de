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
 * PRESETS (4 KiB random reads; sources in docs/models.md):
 *   nvme  L = 45 us (22,000 IOPS at QD1), mu = 1,000,000 IOPS (QD32):
 *         Samsung 980 PRO 1 TB data sheet (2020)
 *   ssd   L = 77 us (13,000 IOPS at QD1), mu = 98,000 IOPS (QD32):
 *         Samsung 870 EVO 1 TB data sheet (2021)
 *   hdd   L = 12.4 ms = 8.2 ms average read seek + 4.17 ms half a turn at 7,200 rpm,
 *         mu = 1 / L (no NCQ gain assumed): HGST Ultrastar 7K4000 specification, 4.4.1
 * UNITS  latency in ns, bandwidth in bytes/s at the edges, pages/s inside.
 */
#ifndef MODELS_DEVICE_H
#define MODELS_DEVICE_H

#include "sim/types.h"

typedef struct device_preset {
    const char *name;
    sim_time_t latency_ns;            /* QD1 4 KiB random read */
    double bytes_per_s;               /* 4 KiB random reads at high queue depth */
    const char *source;
} device_preset_t;

/* The preset of that name, or NULL ("custom" and unknown names). */
const device_preset_t *device_preset_find(const char *name);
/* "nvme|ssd|hdd|custom" for a key's choices. */
#define DEVICE_PRESET_CHOICES "custom|nvme|ssd|hdd"

/* (D1): response time in seconds at utilisation rho (clamped to [0, 1 - 1e-12]). */
double device_response_s(double latency_s, double pages_per_s, double rho);

#endif
