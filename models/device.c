/*
 * models/device.c -- storage presets and the M/M/1 response time (device.h).
 */
#include <math.h>
#include <string.h>
#include "models/device.h"

static const device_preset_t presets[] = {
    {"nvme", 45000, 1e6 * 4096.0, "Samsung 980 PRO 1 TB data sheet: 4 KiB random read 22,000 IOPS QD1, 1,000,000 IOPS QD32"},
    {"ssd", 77000, 98000.0 * 4096.0, "Samsung 870 EVO 1 TB data sheet: 4 KiB random read 13,000 IOPS QD1, 98,000 IOPS QD32"},
    {"hdd", 12400000, 4096.0 / 0.0124, "HGST Ultrastar 7K4000: 8.2 ms read seek + 4.17 ms rotational latency (7,200 rpm)"},
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
