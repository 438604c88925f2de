/*
 * models/device.c -- storage presets and the M/M/1 response time (device.h).
 */
#include <math.h>
#include <string.h>
#include "sim/engine.h"
#include "models/device.h"

static const device_preset_t presets[] = {
    {"nvme", 45000, 1e6 * 4096.0, 5000e6,
     "Samsung 980 PRO 1 TB data sheet: 4 KiB random read 22,000 IOPS QD1, 1,000,000 IOPS QD32; sequential write 5,000 MB/s"},
    {"ssd", 77000, 98000.0 * 4096.0, 530e6,
     "Samsung 870 EVO 1 TB data sheet: 4 KiB random read 13,000 IOPS QD1, 98,000 IOPS QD32; sequential write 530 MB/s"},
    {"hdd", 12400000, 4096.0 / 0.0124, 100.0 * 1048576,
     "HGST Ultrastar 7K4000: 8.2 ms read seek + 4.17 ms rotational latency (7,200 rpm); writes 100 MiB/s (assumption)"},
};

const device_preset_t *device_preset_find(const char *name)
{
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (!strcmp(presets[i].name, name))
            return &presets[i];
    return NULL;
}

double device_response_s(double latency_s, double pages_per_s, double rho)
{
    double s = pages_per_s > 0 ? 1.0 / pages_per_s : 0.0;
    if (!(rho >= 0))
        rho = 0;
    if (rho > 1 - 1e-12)
        rho = 1 - 1e-12;
    return fmax(latency_s - s, 0.0) + s / (1.0 - rho);
}

double device_queue_left(const device_queue_t *q, double write_pages_per_s, sim_time_t now_ns)
{
    if (q->pages <= 0)
        return 0;
    double drained = DEVICE_WRITE_SHARE * write_pages_per_s * sim_time_to_s(now_ns - q->since_ns);
    return fmax(0.0, q->pages - drained);
}

sim_time_t device_queue_add(device_queue_t *q, double write_pages_per_s, double pages, sim_time_t now_ns)
{
    q->pages = device_queue_left(q, write_pages_per_s, now_ns) + pages;
    q->since_ns = now_ns;
    double secs = q->pages / (DEVICE_WRITE_SHARE * write_pages_per_s);
    sim_time_t end = now_ns + (sim_time_t)ceil(secs * 1e9);
    q->busy_ns += (double)(end - (q->end_ns > now_ns ? q->end_ns : now_ns));
    q->end_ns = end;
    return end;
}

void device_queue_push(device_queue_t *q, sim_engine_t *e, double write_pages_per_s, double pages,
                       sim_time_t now_ns, sim_event_fn fn, void *ctx)
{
    sim_time_t end = device_queue_add(q, write_pages_per_s, pages, now_ns);
    if (q->ev)
        sim_engine_reschedule(e, q->ev, end);
    else
        q->ev = sim_engine_at(e, end, DEVICE_QUEUE_PRIO, fn, ctx, 0);
}

double device_queue_busy_ns(const device_queue_t *q, sim_time_t until_ns)
{
    return q->busy_ns - (q->end_ns > until_ns ? (double)(q->end_ns - until_ns) : 0.0);
}

double device_queue_share(const device_queue_t *q) { return q->pages > 0 ? DEVICE_WRITE_SHARE : 0.0; }
