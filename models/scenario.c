/*
 * models/scenario.c -- the declarative key tables of a scenario and their binding.
 * See scenario.h for sections and rules.  Defaults follow the sources in docs/models.md
 * and docs/policies.md where they have a fact (ESX thresholds 6/4/2/1 %, 32 MB per-VM
 * overhead) and are marked as assumptions in the help text otherwise.
 */
#include <fnmatch.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim/err.h"
#include "sim/units.h"
#include "models/device.h"
#include "models/scenario.h"

#define SO(f) offsetof(scn_sim_t, f)
static const sim_key_t sim_keys[] = {
    {"duration", SIM_KEY_DURATION, SO(duration_ns), "1h", 1, 3.2e17, NULL, "simulated time of a run (duration)"},
    {"seed", SIM_KEY_INT, SO(seed), "1", 0, 9.2e18, NULL,
     "base seed; each run derives its own from it and its repetition (or its run number: seeds)"},
    {"seeds", SIM_KEY_CHOICE, SO(seeds), "per-repetition", SIM_NO_RANGE, "per-repetition|per-run",
     "per-repetition: every run of a repetition replays the same world (common random numbers: "
     "workloads, trace phases, driver outages are the same whatever the policy or sweep point); "
     "per-run: each run its own seed (independent runs)"},
    {"repeat", SIM_KEY_INT, SO(repeat), "1", 1, 1e6, NULL, "repetitions of each sweep point, each with its own seed"},
    {"baseline", SIM_KEY_STRING, SO(baseline), "static", SIM_NO_RANGE, NULL,
     "policy the paired differences of a study are taken against (table point_diff)"},
    {"sample_interval", SIM_KEY_DURATION, SO(sample_interval_ns), "10s", 1e6, 3.2e17, NULL,
     "time between recorded samples (duration)"},
    {"output", SIM_KEY_CHOICE, SO(output), "vm", SIM_NO_RANGE, "summary|host|vm",
     "what is recorded: summary = run and VM summaries and VM events (boot, oom, ...); host = + host samples and the host-wide policy log; vm = + VM samples, balloon operations, targets and the per-VM policy log (of the output.vms VMs)"},
    {"output.vms", SIM_KEY_STRING, SO(output_vms), "*", SIM_NO_RANGE, NULL,
     "glob over VM names (GROUP/INDEX) whose samples, balloon operations, targets and policy log are recorded at output = vm"},
    {"output.decisions", SIM_KEY_CHOICE, SO(output_decisions), "no", SIM_NO_RANGE, "auto|yes|no",
     "write the decisions table: one row per VM per policy tick with the inputs the policy saw, the rule "
     "that fired and the target (auto = yes at output = vm; yes at any level; for the output.vms VMs; "
     "off by default: 16x the CPU and 70x the database of a run without it; docs/database.md)"},
    {"memory_model", SIM_KEY_CHOICE, SO(memory_model), "v2", SIM_NO_RANGE, "v2|legacy",
     "v2 = the memory model of issue 23 (Linux reclaim, closed loop, queued devices, ssd storage, hot/cold pages, "
     "a page cache that follows its file set, vmw_balloon's rate under pressure); legacy = the defaults before it "
     "(keys given in the file win; docs/models.md)"},
    {"check", SIM_KEY_BOOL, SO(check), "no", SIM_NO_RANGE, NULL,
     "check page conservation after every event (slow; the tests turn it on)"},
};
const sim_key_table_t scn_sim_key_table = SIM_KEY_TABLE("simulation", sim_keys);

#define HO(f) offsetof(scn_host_t, f)
static const sim_key_t host_keys[] = {
    {"count", SIM_KEY_INT, HO(count), "1", 1, 1e6, NULL, "number of identical hosts"},
    {"memory", SIM_KEY_BYTES, HO(memory_bytes), NULL, 16 * 1048576.0, 1e15, NULL, "physical memory of a host (size)"},
    {"reserve", SIM_KEY_BYTES, HO(reserve_bytes), "0B", 0, 1e15, NULL, "memory the hypervisor keeps for itself (size)"},
    {"vm_overhead", SIM_KEY_BYTES, HO(vm_overhead_bytes), "32MiB", 0, 1e12, NULL,
     "per running VM: frame buffer, page tables (size; ESX 2002: about 32 MB)"},
    {"swap_bandwidth", SIM_KEY_RATE, HO(swap_bytes_per_s), "200MiB/s", 4096, 1e12, NULL,
     "host swap device bandwidth (size/s; assumption: a SATA SSD)"},
    {"swap_latency", SIM_KEY_DURATION, HO(swap_latency_ns), "1ms", 0, 1e10, NULL,
     "cost of one host swap fault (duration; assumption)"},
    {"swap_write_bandwidth", SIM_KEY_RATE, HO(swap_write_bytes_per_s), "0B/s", 0, 1e12, NULL,
     "host swap device sequential write bandwidth, for swap-outs (size/s; 0 = swap_bandwidth; io = closed)"},
    {"storage", SIM_KEY_CHOICE, HO(storage), "ssd", SIM_NO_RANGE, DEVICE_PRESET_CHOICES,
     "host swap device preset: sets swap_latency, swap_bandwidth and swap_write_bandwidth unless given (nvme, "
     "ssd, hdd: datasheets, docs/models.md); custom = the keys as given"},
    {"io_writes", SIM_KEY_CHOICE, HO(io_writes), "load", SIM_NO_RANGE, "load|free",
     "io = closed: load = swap-outs and write-back use their device's bandwidth (queued when made at once); "
     "free = writes cost nothing (the model before; docs/models.md \"Devices\")"},
    {"io", SIM_KEY_CHOICE, HO(io), "closed", SIM_NO_RANGE, "open|closed",
     "open = references at a fixed rate and devices without queues (the old model); closed = references per unit "
     "of progress, and the host swap device (shared by the host's VMs) and each guest disk queue (M/M/1)"},
    {"high", SIM_KEY_FRACTION, HO(high), "6%", 0, 1, NULL, "free-memory state high above this (ESX 6%)"},
    {"soft", SIM_KEY_FRACTION, HO(soft), "4%", 0, 1, NULL, "soft state below this: balloon (ESX 4%)"},
    {"hard", SIM_KEY_FRACTION, HO(hard), "2%", 0, 1, NULL, "hard state below this: the host swaps (ESX 2%)"},
    {"low", SIM_KEY_FRACTION, HO(low), "1%", 0, 1, NULL, "low state below this: block VMs above target (ESX 1%)"},
    {"start_deadline", SIM_KEY_DURATION, HO(start_deadline_ns), "60s", 0, 3.2e17, NULL,
     "a VM start's memory request not granted by then is refused, under policies that admit starts "
     "(squeezed, hyperv-dm; duration, assumption)"},
};
const sim_key_table_t scn_host_key_table = SIM_KEY_TABLE("host", host_keys);

#define VO(f) offsetof(scn_vm_t, f)
static const sim_key_t vm_keys[] = {
    {"count", SIM_KEY_INT, VO(count), "1", 0, 1e7, NULL,
     "VMs in the group (bitbrains: 0 = one per trace file)"},
    {"memory", SIM_KEY_BYTES, VO(memory_bytes), "0B", 0, 1e15, NULL,
     "configured memory = maximum the guest sees (size; bitbrains: 0 = provisioned)"},
    {"startup", SIM_KEY_BYTES, VO(startup_bytes), "0B", 0, 1e15, NULL,
     "memory at boot, grows by hot-add to `memory` (size; 0 = memory; Hyper-V startup RAM)"},
    {"min", SIM_KEY_BYTES, VO(min_bytes), "0B", 0, 1e15, NULL,
     "floor a policy keeps (ESX reservation, Hyper-V minimum RAM, Xen dynamic-min; size)"},
    {"shares", SIM_KEY_REAL, VO(shares), "1000", 0, 1e9, NULL, "ESX memory shares (high:normal:low = 4:2:1)"},
    {"weight", SIM_KEY_REAL, VO(weight), "5000", 0, 10000, NULL, "Hyper-V memory weight (0..10000)"},
    {"buffer", SIM_KEY_FRACTION, VO(buffer), "20%", 0.05, 20, NULL, "Hyper-V memory buffer (5%..2000%)"},
    {"kernel", SIM_KEY_BYTES, VO(kernel_bytes), "64MiB", 0, 1e12, NULL, "guest kernel reserve, never reclaimed (size)"},
    {"swap", SIM_KEY_BYTES, VO(swap_bytes), "2GiB", 0, 1e15, NULL, "guest swap device size (size)"},
    {"swap_bandwidth", SIM_KEY_RATE, VO(swap_bytes_per_s), "100MiB/s", 4096, 1e12, NULL,
     "guest swap write bandwidth: limits inflation that must swap (size/s)"},
    {"disk_bandwidth", SIM_KEY_RATE, VO(disk_bytes_per_s), "100MiB/s", 4096, 1e12, NULL,
     "guest disk bandwidth for page-cache misses and swap-ins, 4 KiB random (size/s; io = closed)"},
    {"disk_write_bandwidth", SIM_KEY_RATE, VO(disk_write_bytes_per_s), "0B/s", 0, 1e12, NULL,
     "guest disk sequential write bandwidth, for swap-outs and write-back (size/s; 0 = disk_bandwidth; "
     "io = closed)"},
    {"storage", SIM_KEY_CHOICE, VO(storage), "ssd", SIM_NO_RANGE, DEVICE_PRESET_CHOICES,
     "guest disk preset: sets disk_latency, swap_latency, disk_bandwidth, disk_write_bandwidth and "
     "swap_bandwidth unless given (docs/models.md); custom = the keys as given"},
    {"disk_latency", SIM_KEY_DURATION, VO(disk_latency_ns), "1ms", 0, 1e10, NULL,
     "cost of one page-cache miss (duration; assumption)"},
    {"swap_latency", SIM_KEY_DURATION, VO(swap_latency_ns), "1ms", 0, 1e10, NULL,
     "cost of one guest swap-in (duration; assumption)"},
    {"zipf_alpha", SIM_KEY_REAL, VO(zipf_alpha), "0.8", 0, 3, NULL,
     "Zipf popularity of file pages, for the page-cache hit ratio (Che's approximation)"},
    {"reclaim", SIM_KEY_CHOICE, VO(reclaim), "linux", SIM_NO_RANGE, "cache-first|linux",
     "guest reclaim rule: cache-first = all page cache before any anonymous page (the old model); linux = "
     "get_scan_count's anon/file balance by swappiness and refault cost (mm/vmscan.c; docs/models.md)"},
    {"swappiness", SIM_KEY_INT, VO(swappiness), "60", 0, 200, NULL,
     "Linux vm_swappiness for reclaim = linux (default 60, mm/vmscan.c; 0..200)"},
    {"anon_refs", SIM_KEY_CHOICE, VO(anon_refs), "hot-cold", SIM_NO_RANGE, "uniform|hot-cold",
     "anonymous references: uniform over anon pages (the old model), or hot-cold = the hot set "
     "(workload.active_fraction of anon) takes hot_share of them and guest reclaim swaps cold pages first"},
    {"file_cache", SIM_KEY_CHOICE, VO(file_cache), "tracking", SIM_NO_RANGE, "stationary|tracking",
     "page cache: stationary = one hit-ratio curve per group at workload.file_set (the old model); tracking = "
     "a curve per VM rebuilt when its file set moves by 25%, compulsory misses on pages never read, readahead"},
    {"dirty_fraction", SIM_KEY_FRACTION, VO(dirty_fraction), "0%", 0, 1, NULL,
     "share of cached pages that are dirty: evicting them writes them back (reclaim IO; assumption)"},
    {"readahead", SIM_KEY_BYTES, VO(readahead_bytes), "4KiB", 4096, 1e9, NULL,
     "pages read per page-cache miss with file_cache = tracking (Linux read_ahead_kb default 128 KiB; size)"},
    {"hot_share", SIM_KEY_FRACTION, VO(hot_share), "90%", 0, 1, NULL,
     "share of anonymous references to the hot set (anon_refs = hot-cold; assumption, docs/models.md)"},
    {"start", SIM_KEY_DURATION, VO(start_ns), "0s", 0, 3.2e17, NULL, "boot time (duration from the run start)"},
    {"stop", SIM_KEY_DURATION, VO(stop_ns), "0s", 0, 3.2e17, NULL, "shutdown time; 0 = never (duration)"},
    {"restart", SIM_KEY_DURATION, VO(restart_ns), "0s", 0, 3.2e17, NULL,
     "reboot time (shutdown and boot at startup size); 0 = never (duration)"},
};
const sim_key_table_t scn_vm_key_table = SIM_KEY_TABLE("vm", vm_keys);

#define RO(f) offsetof(scn_request_t, f)
static const sim_key_t request_keys[] = {
    {"at", SIM_KEY_DURATION, RO(at_ns), "0s", 0, 3.2e17, NULL, "time the request is made (duration from the run start)"},
    {"size", SIM_KEY_BYTES, RO(size_bytes), NULL, 0, 1e15, NULL, "memory asked for (size; required)"},
    {"deadline", SIM_KEY_DURATION, RO(deadline_ns), "60s", 0, 3.2e17, NULL,
     "refused if not granted within this time (duration)"},
    {"hold", SIM_KEY_DURATION, RO(hold_ns), "0s", 0, 3.2e17, NULL,
     "a granted request keeps its memory this long; 0 = to the end of the run (duration)"},
    {"host", SIM_KEY_INT, RO(host), "0", 0, 1e6, NULL, "index of the host asked (0 .. [host] count - 1)"},
};
const sim_key_table_t scn_request_key_table = SIM_KEY_TABLE("request", request_keys);

static int failf(char *err, size_t errlen, const sim_ini_t *ini, int line, const char *section,
                 const char *key, const char *msg)
{
    if (line > 0)
        snprintf(err, errlen, "%s:%d: [%s] %s: %s", ini->path, line, section, key, msg);
    else if (key)
        snprintf(err, errlen, "%s: [%s] %s: %s", ini->path, section, key, msg);
    else
        snprintf(err, errlen, "%s: [%s]: %s", ini->path, section, msg);
    return SIM_EINPUT;
}

/* Bind one entry to the first table that knows the key; unknown -> suggestion. */
static int bind(const sim_ini_t *ini, const sim_ini_entry_t *e, const sim_key_table_t *const *tabs,
                void *const *targets, size_t n, char *err, size_t errlen)
{
    char msg[SIM_ERR_MAX];
    for (size_t i = 0; i < n; i++) {
        const sim_key_t *k = sim_keys_find(tabs[i], e->key);
        if (!k)
            continue;
        if (sim_keys_parse(k, targets[i], e->value, msg, sizeof msg))
            return failf(err, errlen, ini, e->line, e->section, e->key, msg);
        return SIM_OK;
    }
    const char *near = sim_keys_nearest(tabs, n, e->key);
    if (near)
        snprintf(msg, sizeof msg, "unknown key (did you mean '%s'?)", near);
    else
        snprintf(msg, sizeof msg, "unknown key (see `balloonsim keys`)");
    return failf(err, errlen, ini, e->line, e->section, e->key, msg);
}

/* The policies (in `balloonsim policies` order) that have key `key`, as "a, b" in buf;
 * returns how many. */
static size_t policies_owning_key(const char *key, char *buf, size_t len)
{
    size_t n = 0, used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < policy_count(); i++) {
        const policy_type_t *p = policy_at(i);
        if (p->keys && sim_keys_find(p->keys, key) && used < len) {
            int w = snprintf(buf + used, len - used, "%s%s", n ? ", " : "", p->name);
            used += w > 0 ? (size_t)w : 0;
            n++;
        }
    }
    return n;
}

static int section_kind(const char *sec, const char **name)
{
    static const char *kinds[] = {"simulation", "host", "vm", "balloon", "policy", "expect", "request"};
    size_t len = strcspn(sec, " ");
    *name = sec[len] ? sec + len + 1 : NULL;
    for (int i = 0; i < 7; i++)
        if (strlen(kinds[i]) == len && !strncmp(sec, kinds[i], len))
            return i;
    return -1;
}

enum { K_SIM, K_HOST, K_VM, K_BALLOON, K_POLICY, K_EXPECT, K_REQUEST };

static int apply_preset(scenario_t *s, const char *preset, char *err, size_t errlen)
{
    const char *text = balloon_preset(preset);
    char buf[1024], msg[SIM_ERR_MAX];
    snprintf(buf, sizeof buf, "%s", text ? text : "");
    for (char *tok = strtok(buf, ";"); tok; tok = strtok(NULL, ";")) {
        char *eq = strchr(tok, '=');
        if (!eq)
            continue;
        *eq = 0;
        const sim_key_t *k = sim_keys_find(&balloon_key_table, tok);
        if (!k || sim_keys_parse(k, &s->balloon, eq + 1, msg, sizeof msg)) {
            snprintf(err, errlen, "internal: preset %s: %s", preset, tok);
            return SIM_EINTERNAL;
        }
    }
    return SIM_OK;
}

/* Per-group driver keys: each group starts from [balloon] (preset and keys applied) and
 * its `balloon.KEY` entries override it.  A preset applies to every VM, so balloon.preset
 * is refused. */
static int bind_vm_balloon(scenario_t *s, const sim_ini_t *ini, char *err, size_t errlen)
{
    for (size_t g = 0; g < s->nvm_groups; g++)
        s->vms[g].balloon = s->balloon;
    for (size_t i = 0; i < ini->count; i++) {
        const sim_ini_entry_t *e = &ini->entries[i];
        const char *name;
        if (section_kind(e->section, &name) != K_VM || strncmp(e->key, "balloon.", 8))
            continue;
        size_t g = 0;
        while (g < s->nvm_groups && strcmp(s->vms[g].name, name))
            g++;
        if (g == s->nvm_groups)
            continue;                     /* not reached: pass 2 made every group */
        const char *key = e->key + 8;
        char msg[SIM_ERR_MAX];
        if (!strcmp(key, "preset"))
            return failf(err, errlen, ini, e->line, e->section, e->key,
                         "a preset applies to every VM: set it in [balloon], and override single keys here");
        const sim_key_t *k = sim_keys_find(&balloon_key_table, key);
        if (!k) {
            const sim_key_table_t *tabs[] = {&balloon_key_table};
            const char *near = sim_keys_nearest(tabs, 1, key);
            if (near)
                snprintf(msg, sizeof msg, "unknown key (did you mean 'balloon.%s'?)", near);
            else
                snprintf(msg, sizeof msg, "unknown key: balloon.KEY takes a [balloon] key (see `balloonsim keys`)");
            return failf(err, errlen, ini, e->line, e->section, e->key, msg);
        }
        if (sim_keys_parse(k, &s->vms[g].balloon, e->value, msg, sizeof msg))
            return failf(err, errlen, ini, e->line, e->section, e->key, msg);
    }
    return SIM_OK;
}

int64_t scenario_sampled_vms(const scenario_t *s)
{
    int64_t n = 0;
    for (size_t g = 0; g < s->nvm_groups; g++) {
        if (!strcmp(s->sim.output_vms, "*")) {
            n += s->vms[g].count;
            continue;
        }
        for (int64_t k = 0; k < s->vms[g].count; k++) {
            char name[SIM_STR_MAX + 32];
            snprintf(name, sizeof name, "%s/%lld", s->vms[g].name, (long long)k);
            n += fnmatch(s->sim.output_vms, name, 0) == 0;
        }
    }
    return n;
}

/* VM groups in O(n log n) (issue 15: a scan per entry made 20,000 [vm gN] sections take
 * 44 s): the [vm NAME] entries are sorted by (section, position), each run of one section
 * is a group, and the groups are numbered in order of first appearance.  Fills
 * group_of[i] for every [vm] entry i (SIZE_MAX for the others) and *ngroups. */
typedef struct vm_ent { const char *sec; size_t i; } vm_ent_t;
typedef struct vm_run { size_t first, start, len; } vm_run_t;

static int cmp_vm_ent(const void *a, const void *b)
{
    const vm_ent_t *x = a, *y = b;
    int c = strcmp(x->sec, y->sec);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

static int cmp_vm_run(const void *a, const void *b)
{
    const vm_run_t *x = a, *y = b;
    return (x->first > y->first) - (x->first < y->first);
}

static int vm_groups(const sim_ini_t *ini, size_t *group_of, size_t *ngroups)
{
    size_t n = 0, nr = 0;
    vm_ent_t *ent = malloc((ini->count ? ini->count : 1) * sizeof *ent);
    vm_run_t *run = malloc((ini->count ? ini->count : 1) * sizeof *run);
    if (!ent || !run) {
        free(ent);
        free(run);
        return SIM_ENOMEM;
    }
    for (size_t i = 0; i < ini->count; i++) {
        const char *name;
        group_of[i] = SIZE_MAX;
        if (section_kind(ini->entries[i].section, &name) == K_VM)
            ent[n++] = (vm_ent_t){ini->entries[i].section, i};
    }
    qsort(ent, n, sizeof *ent, cmp_vm_ent);
    for (size_t k = 0; k < n; k++) {
        if (k == 0 || strcmp(ent[k].sec, ent[k - 1].sec))
            run[nr++] = (vm_run_t){ent[k].i, k, 0};
        run[nr - 1].len++;
    }
    qsort(run, nr, sizeof *run, cmp_vm_run);
    for (size_t g = 0; g < nr; g++)
        for (size_t k = run[g].start; k < run[g].start + run[g].len; k++)
            group_of[ent[k].i] = g;
    *ngroups = nr;
    free(ent);
    free(run);
    return SIM_OK;
}

/* What pass 1 learns of a scenario before anything is bound. */
typedef struct scan {
    size_t ngroups, nexpect, nrequests;
    const char *policy_name;
    int policy_line, have_host;
    size_t *group_of;             /* VM group of each [vm] entry (vm_groups), SIZE_MAX else */
} scan_t;

/* Pass 1: sections, VM groups, the policy name and the balloon preset. */
static int scan_sections(const sim_ini_t *ini, scenario_t *s, scan_t *sc, char *err, size_t errlen)
{
    for (size_t i = 0; i < ini->count; i++) {
        const sim_ini_entry_t *e = &ini->entries[i];
        const char *name;
        int kind = section_kind(e->section, &name);
        if (kind < 0)
            return failf(err, errlen, ini, e->line, e->section, e->key,
                         "unknown section (sections: simulation, host, vm NAME, balloon, policy, expect, request NAME)");
        if ((kind == K_VM || kind == K_REQUEST) && !name)
            return failf(err, errlen, ini, e->line, e->section, e->key,
                         kind == K_VM ? "a [vm] section needs a name: [vm NAME]"
                                      : "a [request] section needs a name: [request NAME]");
        if (kind != K_VM && kind != K_REQUEST && name)
            return failf(err, errlen, ini, e->line, e->section, e->key,
                         "only [vm NAME] and [request NAME] sections take a name");
        if (kind == K_HOST)
            sc->have_host = 1;
        if (kind == K_EXPECT)
            sc->nexpect++;
        if (kind == K_POLICY && !strcmp(e->key, "name")) {
            sc->policy_name = e->value;
            sc->policy_line = e->line;
        }
        if (kind == K_BALLOON && !strcmp(e->key, "preset")) {
            const sim_key_t *k = sim_keys_find(&balloon_key_table, "preset");
            char msg[SIM_ERR_MAX];
            if (sim_keys_parse(k, &s->balloon, e->value, msg, sizeof msg))
                return failf(err, errlen, ini, e->line, e->section, e->key, msg);
        }
        if (kind == K_REQUEST) {        /* few: a linear search is enough */
            int seen = 0;
            for (size_t j = 0; j < i && !seen; j++)
                seen = !strcmp(ini->entries[j].section, e->section);
            if (!seen)
                sc->nrequests++;
        }
    }
    sc->group_of = malloc((ini->count ? ini->count : 1) * sizeof *sc->group_of);
    if (!sc->group_of || vm_groups(ini, sc->group_of, &sc->ngroups)) {
        sim_set_err(err, errlen, "out of memory");
        return SIM_ENOMEM;
    }
    if (!sc->have_host)
        return failf(err, errlen, ini, 0, "host", "memory", "missing: a scenario needs a [host] section with memory");
    return SIM_OK;
}

/* The policy named in [policy] (or static), its parameters at their defaults, and room for
 * the VM groups and expectations pass 1 counted. */
static int find_policy(const sim_ini_t *ini, scenario_t *s, const scan_t *sc, char *err, size_t errlen)
{
    s->policy = policy_find(sc->policy_name);
    if (!s->policy) {
        char msg[SIM_ERR_MAX];
        int n = snprintf(msg, sizeof msg, "unknown policy '%s' (policies:", sc->policy_name);
        for (size_t i = 0; i < policy_count() && n < (int)sizeof msg; i++)
            n += snprintf(msg + n, sizeof msg - n, " %s", policy_at(i)->name);
        snprintf(msg + n, n < (int)sizeof msg ? sizeof msg - n : 0, ")");
        return failf(err, errlen, ini, sc->policy_line, "policy", "name", msg);
    }
    s->policy_params = calloc(1, s->policy->params_size ? s->policy->params_size : 1);
    s->vms = calloc(sc->ngroups ? sc->ngroups : 1, sizeof *s->vms);
    s->expect = calloc(sc->nexpect ? sc->nexpect : 1, sizeof *s->expect);
    s->expect_lines = calloc(sc->nexpect ? sc->nexpect : 1, sizeof *s->expect_lines);
    s->requests = calloc(sc->nrequests ? sc->nrequests : 1, sizeof *s->requests);
    if (!s->policy_params || !s->vms || !s->expect || !s->expect_lines || !s->requests) {
        sim_set_err(err, errlen, "out of memory");
        return SIM_ENOMEM;
    }
    return s->policy->keys ? sim_keys_defaults(s->policy->keys, s->policy_params, err, errlen) : SIM_OK;
}

/* Pass 2: bind every entry to its key table. */
static int bind_entries(const sim_ini_t *ini, scenario_t *s, const size_t *group_of, char *err, size_t errlen)
{
    int rc;
    scn_vm_t vm_defaults;
    for (size_t i = 0; i < ini->count; i++) {
        const sim_ini_entry_t *e = &ini->entries[i];
        const char *name;
        int kind = section_kind(e->section, &name);
        const sim_key_table_t *tabs[2];
        void *targets[2];
        size_t n = 0;
        switch (kind) {
        case K_SIM:
            tabs[0] = &scn_sim_key_table, targets[0] = &s->sim, n = 1;
            break;
        case K_HOST:
            tabs[0] = &scn_host_key_table, targets[0] = &s->host, n = 1;
            break;
        case K_BALLOON:
            if (!strcmp(e->key, "preset"))
                continue;
            tabs[0] = &balloon_key_table, targets[0] = &s->balloon, n = 1;
            break;
        case K_POLICY:
            if (!strcmp(e->key, "name"))
                continue;
            if (!s->policy->keys || !sim_keys_find(s->policy->keys, e->key)) {
                char owners[512];
                size_t nown = policies_owning_key(e->key, owners, sizeof owners);
                if (nown) {
                    char msg[SIM_ERR_MAX];
                    snprintf(msg, sizeof msg, "unknown key for policy '%s': '%s' is a key of polic%s %s "
                             "(change policy.name, or remove the key)", s->policy->name, e->key,
                             nown == 1 ? "y" : "ies", owners);
                    return failf(err, errlen, ini, e->line, e->section, e->key, msg);
                }
            }
            if (!s->policy->keys)
                return failf(err, errlen, ini, e->line, e->section, e->key, "unknown key: this policy has no keys");
            tabs[0] = s->policy->keys, targets[0] = s->policy_params, n = 1;
            break;
        case K_EXPECT:
            if (e->key[0] != '#')
                return failf(err, errlen, ini, e->line, e->section, e->key,
                           "not an expectation: write `METRIC OP VALUE` with OP one of < <= > >= == !=");
            s->expect_lines[s->nexpect] = e->line;
            s->expect[s->nexpect++] = e->value;
            continue;
        case K_VM: {
            if (!strncmp(e->key, "balloon.", 8))
                continue;                 /* bound once [balloon] is (bind_vm_balloon) */
            size_t g = group_of[i];          /* numbered in order of first appearance */
            if (g == s->nvm_groups) {
                s->nvm_groups++;
                if (strlen(name) >= SIM_STR_MAX || strchr(name, '/') || strchr(name, '*'))
                    return failf(err, errlen, ini, e->line, e->section, e->key,
                                 "VM group names may not contain '/' or '*' and are at most 255 bytes");
                if (g == 0) {              /* the defaults are parsed once, then copied */
                    sim_keys_defaults(&scn_vm_key_table, &s->vms[0], err, errlen);
                    sim_keys_defaults(&workload_key_table, &s->vms[0].wl, err, errlen);
                    vm_defaults = s->vms[0];
                } else {
                    s->vms[g] = vm_defaults;
                }
                snprintf(s->vms[g].name, SIM_STR_MAX, "%s", name);
                s->vms[g].line = e->line;
            }
            tabs[0] = &scn_vm_key_table, targets[0] = &s->vms[g];
            tabs[1] = &workload_key_table, targets[1] = &s->vms[g].wl;
            n = 2;
            break;
        }
        case K_REQUEST: {
            size_t k = 0;
            while (k < s->nrequests && strcmp(s->requests[k].name, name))
                k++;
            if (k == s->nrequests) {
                s->nrequests++;
                snprintf(s->requests[k].name, SIM_STR_MAX, "%s", name);
                s->requests[k].line = e->line;
                sim_keys_defaults(&scn_request_key_table, &s->requests[k], err, errlen);
            }
            tabs[0] = &scn_request_key_table, targets[0] = &s->requests[k], n = 1;
            break;
        }
        default:
            continue;
        }
        if ((rc = bind(ini, e, tabs, targets, n, err, errlen)))
            return rc;
    }
    return SIM_OK;
}

/* memory_model = legacy: the defaults before issue 23 (docs/models.md), for the keys the
 * file does not give; before bind_vm_balloon, so that every group starts from them. */
static void apply_legacy_defaults(const sim_ini_t *ini, scenario_t *s)
{
    static const struct { const char *key; size_t off; const char *value; } old[] = {
        {"reclaim", offsetof(scn_vm_t, reclaim), "cache-first"},
        {"anon_refs", offsetof(scn_vm_t, anon_refs), "uniform"},
        {"file_cache", offsetof(scn_vm_t, file_cache), "stationary"},
        {"storage", offsetof(scn_vm_t, storage), "custom"},
    };
    if (strcmp(s->sim.memory_model, "legacy"))
        return;
    if (!sim_ini_find(ini, "host", "io"))
        snprintf(s->host.io, sizeof s->host.io, "open");
    if (!sim_ini_find(ini, "host", "io_writes"))
        snprintf(s->host.io_writes, sizeof s->host.io_writes, "free");
    if (!sim_ini_find(ini, "host", "storage"))
        snprintf(s->host.storage, sizeof s->host.storage, "custom");
    if (!sim_ini_find(ini, "balloon", "pressure_rate"))
        s->balloon.pressure_bytes_per_s = 0;
    if (!sim_ini_find(ini, "balloon", "pressure_rate_min"))
        s->balloon.pressure_min_bytes_per_s = 0;
    for (size_t g = 0; g < s->nvm_groups; g++) {
        char sec[SIM_STR_MAX + 8];
        snprintf(sec, sizeof sec, "vm %s", s->vms[g].name);
        for (size_t k = 0; k < sizeof old / sizeof old[0]; k++)
            if (!sim_ini_find(ini, sec, old[k].key))
                snprintf((char *)&s->vms[g] + old[k].off, SIM_STR_MAX, "%s", old[k].value);
    }
}

/* Storage presets (device.h): their latency and bandwidth for the device keys the file
 * does not give, on the host's swap device and on each VM group's disk and swap. */
static void apply_storage_presets(const sim_ini_t *ini, scenario_t *s)
{
    const device_preset_t *dev = device_preset_find(s->host.storage);
    if (dev) {
        if (!sim_ini_find(ini, "host", "swap_latency"))
            s->host.swap_latency_ns = dev->latency_ns;
        if (!sim_ini_find(ini, "host", "swap_bandwidth"))
            s->host.swap_bytes_per_s = dev->bytes_per_s;
        if (!sim_ini_find(ini, "host", "swap_write_bandwidth"))
            s->host.swap_write_bytes_per_s = dev->write_bytes_per_s;
    }
    if (s->host.swap_write_bytes_per_s <= 0)
        s->host.swap_write_bytes_per_s = s->host.swap_bytes_per_s;
    for (size_t g = 0; g < s->nvm_groups; g++) {
        scn_vm_t *v = &s->vms[g];
        char sec[SIM_STR_MAX + 8];
        snprintf(sec, sizeof sec, "vm %s", v->name);
        if ((dev = device_preset_find(v->storage))) {
            if (!sim_ini_find(ini, sec, "disk_latency"))
                v->disk_latency_ns = dev->latency_ns;
            if (!sim_ini_find(ini, sec, "swap_latency"))
                v->swap_latency_ns = dev->latency_ns;
            if (!sim_ini_find(ini, sec, "disk_bandwidth"))
                v->disk_bytes_per_s = dev->bytes_per_s;
            if (!sim_ini_find(ini, sec, "disk_write_bandwidth"))
                v->disk_write_bytes_per_s = dev->write_bytes_per_s;
            if (!sim_ini_find(ini, sec, "swap_bandwidth"))
                v->swap_bytes_per_s = dev->write_bytes_per_s;   /* swap-outs are writes */
        }
        if (v->disk_write_bytes_per_s <= 0)
            v->disk_write_bytes_per_s = v->disk_bytes_per_s;
    }
}

/* Required [host] keys and the cross-key checks of host, balloon and policy. */
static int check_host(const sim_ini_t *ini, const scenario_t *s, char *err, size_t errlen)
{
    char msg[SIM_ERR_MAX];
    const char *key;
    if (!sim_ini_find(ini, "host", "memory"))
        return failf(err, errlen, ini, 0, "host", "memory", "missing required key (e.g. memory = 64GiB)");
    if (s->host.high < s->host.soft || s->host.soft < s->host.hard || s->host.hard < s->host.low)
        return failf(err, errlen, ini, 0, "host", "high", "thresholds must satisfy high >= soft >= hard >= low");
    if (s->host.reserve_bytes >= s->host.memory_bytes)
        return failf(err, errlen, ini, 0, "host", "reserve", "the reserve must be smaller than the host memory");
    if (balloon_params_check(&s->balloon, &key, msg, sizeof msg)) {
        const sim_ini_entry_t *at = sim_ini_find(ini, "balloon", key);
        return failf(err, errlen, ini, at ? at->line : 0, "balloon", key, msg);
    }
    if (s->policy->check && s->policy->check(s->policy_params, msg, sizeof msg))
        return failf(err, errlen, ini, 0, "policy", s->policy->name, msg);
    if (s->nvm_groups == 0)
        return failf(err, errlen, ini, 0, "vm NAME", "count", "no VMs: add a [vm NAME] section");
    return SIM_OK;
}

/* The keys of one VM group v against each other and the host (host_usable: bytes a host
 * has for VMs); startup defaults to memory here. */
static int check_vm_group(const sim_ini_t *ini, scn_vm_t *v, int64_t host_usable, char *err, size_t errlen)
{
    char msg[SIM_ERR_MAX];
    char sec[SIM_STR_MAX + 8];
    const char *key;
    snprintf(sec, sizeof sec, "vm %s", v->name);
    int is_bb = !strcmp(v->wl.type, "bitbrains");
    if (!is_bb && v->memory_bytes <= 0)
        return failf(err, errlen, ini, v->line, sec, "memory", "missing required key (e.g. memory = 4GiB)");
    if (!is_bb && v->count < 1)
        return failf(err, errlen, ini, v->line, sec, "count", "must be >= 1");
    if (v->memory_bytes > host_usable) {
        char a[32], b[32];
        sim_units_format_bytes(v->memory_bytes, a, sizeof a);
        sim_units_format_bytes(host_usable, b, sizeof b);
        snprintf(msg, sizeof msg, "a VM of %s does not fit on a host with %s for VMs "
                 "(memory - reserve - vm_overhead)", a, b);
        return failf(err, errlen, ini, sim_ini_find(ini, sec, "memory") ? sim_ini_find(ini, sec, "memory")->line : v->line,
                   sec, "memory", msg);
    }
    if (v->startup_bytes == 0)
        v->startup_bytes = v->memory_bytes;
    if (v->memory_bytes && v->startup_bytes > v->memory_bytes)
        return failf(err, errlen, ini, v->line, sec, "startup", "must be <= memory");
    if (v->memory_bytes && v->min_bytes > v->memory_bytes)
        return failf(err, errlen, ini, v->line, sec, "min", "must be <= memory");
    if (v->memory_bytes && v->kernel_bytes >= v->memory_bytes)
        return failf(err, errlen, ini, v->line, sec, "kernel", "the kernel reserve must be smaller than memory");
    if (balloon_params_check(&v->balloon, &key, msg, sizeof msg)) {
        char full[SIM_STR_MAX];
        snprintf(full, sizeof full, "balloon.%s", key);
        const sim_ini_entry_t *at = sim_ini_find(ini, sec, full);
        return failf(err, errlen, ini, at ? at->line : v->line, sec, at ? full : "balloon", msg);
    }
    if (workload_params_check(&v->wl, msg, sizeof msg))
        return failf(err, errlen, ini, v->line, sec, "workload", msg);
    return SIM_OK;
}

/* Each [request NAME]: a size, on a host that exists, that a host could ever grant. */
static int check_requests(const sim_ini_t *ini, const scenario_t *s, char *err, size_t errlen)
{
    for (size_t k = 0; k < s->nrequests; k++) {
        const scn_request_t *q = &s->requests[k];
        char sec[SIM_STR_MAX + 16], msg[SIM_ERR_MAX];
        snprintf(sec, sizeof sec, "request %s", q->name);
        const sim_ini_entry_t *at = sim_ini_find(ini, sec, "host");
        if (!sim_ini_find(ini, sec, "size"))
            return failf(err, errlen, ini, q->line, sec, "size", "missing required key (e.g. size = 1GiB)");
        if (q->host >= s->host.count) {
            snprintf(msg, sizeof msg, "no host %lld: hosts are 0 .. %lld ([host] count)", (long long)q->host,
                     (long long)s->host.count - 1);
            return failf(err, errlen, ini, at ? at->line : q->line, sec, "host", msg);
        }
        if (q->size_bytes > s->host.memory_bytes - s->host.reserve_bytes) {
            at = sim_ini_find(ini, sec, "size");
            return failf(err, errlen, ini, at ? at->line : q->line, sec, "size",
                         "larger than a host's memory less its reserve: it could never be granted");
        }
    }
    return SIM_OK;
}

/* [simulation] against the rest: the baseline is a policy; output = vm with a pattern that
 * names no VM would record no VM sample (a typo). */
static int check_simulation(const sim_ini_t *ini, const scenario_t *s, char *err, size_t errlen)
{
    if (!policy_find(s->sim.baseline)) {
        char msg[SIM_ERR_MAX];
        const sim_ini_entry_t *e = sim_ini_find(ini, "simulation", "baseline");
        snprintf(msg, sizeof msg, "unknown policy '%s' (the baseline is a policy name, e.g. static)",
                 s->sim.baseline);
        return failf(err, errlen, ini, e ? e->line : 0, "simulation", "baseline", msg);
    }
    int counted = 1;
    for (size_t g = 0; g < s->nvm_groups; g++)
        counted &= s->vms[g].count > 0;
    if (counted && !strcmp(s->sim.output, "vm") && scenario_sampled_vms(s) == 0) {
        char msg[SIM_ERR_MAX];
        const sim_ini_entry_t *e = sim_ini_find(ini, "simulation", "output.vms");
        snprintf(msg, sizeof msg, "'%s' matches no VM at output = vm (VMs are named GROUP/INDEX, e.g. %s/0)",
                 s->sim.output_vms, s->vms[0].name);
        return failf(err, errlen, ini, e ? e->line : 0, "simulation", "output.vms", msg);
    }
    return SIM_OK;
}

int scenario_load(const sim_ini_t *ini, scenario_t **out, char *err, size_t errlen)
{
    *out = NULL;
    scenario_t *s = calloc(1, sizeof *s);
    if (!s) {
        sim_set_err(err, errlen, "out of memory");
        return SIM_ENOMEM;
    }
    snprintf(s->path, sizeof s->path, "%s", ini->path);
    s->ini = ini;
    sim_keys_defaults(&scn_sim_key_table, &s->sim, err, errlen);
    sim_keys_defaults(&scn_host_key_table, &s->host, err, errlen);
    sim_keys_defaults(&balloon_key_table, &s->balloon, err, errlen);
    scan_t sc = {0, 0, 0, "static", 0, 0, NULL};
    int rc;
    if ((rc = scan_sections(ini, s, &sc, err, errlen)) || (rc = apply_preset(s, s->balloon.preset, err, errlen)) ||
        (rc = find_policy(ini, s, &sc, err, errlen)) || (rc = bind_entries(ini, s, sc.group_of, err, errlen)))
        goto fail;
    apply_legacy_defaults(ini, s);
    if ((rc = bind_vm_balloon(s, ini, err, errlen)))
        goto fail;
    apply_storage_presets(ini, s);
    if ((rc = check_host(ini, s, err, errlen)))
        goto fail;
    int64_t host_usable = s->host.memory_bytes - s->host.reserve_bytes - s->host.vm_overhead_bytes;
    for (size_t g = 0; g < s->nvm_groups; g++)
        if ((rc = check_vm_group(ini, &s->vms[g], host_usable, err, errlen)))
            goto fail;
    if ((rc = check_simulation(ini, s, err, errlen)) || (rc = check_requests(ini, s, err, errlen)))
        goto fail;
    free(sc.group_of);
    *out = s;
    return SIM_OK;
fail:
    free(sc.group_of);
    scenario_destroy(s);
    return rc;
}

void scenario_destroy(scenario_t *s)
{
    if (!s)
        return;
    free(s->policy_params);
    free(s->vms);
    free(s->expect);
    free(s->expect_lines);
    free(s->requests);
    free(s);
}

/* Every key of table t with prefix before its name ("" for none). */
static int each_key(const sim_key_table_t *t, const char *section, const char *prefix, const void *params,
                    scenario_param_fn fn, void *ctx)
{
    char buf[SIM_STR_MAX + 64], name[128];
    for (size_t i = 0; i < t->count; i++) {
        if (*prefix && !strcmp(t->keys[i].name, "preset"))
            continue;
        sim_keys_format(&t->keys[i], params, buf, sizeof buf);
        snprintf(name, sizeof name, "%s%s", prefix, t->keys[i].name);
        int rc = fn(ctx, section, name, buf);
        if (rc)
            return rc;
    }
    return 0;
}

static int each_table(const sim_key_table_t *t, const char *section, const void *params,
                      scenario_param_fn fn, void *ctx)
{
    return each_key(t, section, "", params, fn, ctx);
}

int scenario_foreach_param(const scenario_t *s, scenario_param_fn fn, void *ctx)
{
    int rc;
    if ((rc = each_table(&scn_sim_key_table, "simulation", &s->sim, fn, ctx)) ||
        (rc = each_table(&scn_host_key_table, "host", &s->host, fn, ctx)) ||
        (rc = each_table(&balloon_key_table, "balloon", &s->balloon, fn, ctx)) ||
        (rc = fn(ctx, "policy", "name", s->policy->name)))
        return rc;
    if (s->policy->keys && (rc = each_table(s->policy->keys, "policy", s->policy_params, fn, ctx)))
        return rc;
    for (size_t g = 0; g < s->nvm_groups; g++) {
        char sec[SIM_STR_MAX + 8];
        snprintf(sec, sizeof sec, "vm %s", s->vms[g].name);
        if ((rc = each_table(&scn_vm_key_table, sec, &s->vms[g], fn, ctx)) ||
            (rc = each_table(&workload_key_table, sec, &s->vms[g].wl, fn, ctx)) ||
            (rc = each_key(&balloon_key_table, sec, "balloon.", &s->vms[g].balloon, fn, ctx)))
            return rc;
    }
    for (size_t k = 0; k < s->nrequests; k++) {
        char sec[SIM_STR_MAX + 16];
        snprintf(sec, sizeof sec, "request %s", s->requests[k].name);
        if ((rc = each_table(&scn_request_key_table, sec, &s->requests[k], fn, ctx)))
            return rc;
    }
    return 0;
}

void scenario_print_keys(FILE *out, int md)
{
    const struct { const char *title; const sim_key_table_t *keys; } sections[] = {
        {"[simulation]", &scn_sim_key_table},
        {"[host]", &scn_host_key_table},
        {"[vm NAME]", &scn_vm_key_table},
        {"[vm NAME] workload keys", &workload_key_table},
        {"[balloon]", &balloon_key_table},
        {"[request NAME]", &scn_request_key_table},
    };
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        fprintf(out, md ? "\n#### %s\n\n" : "\n%s\n", sections[i].title);
        if (md)
            sim_keys_print(out, sections[i].keys, md);
        else
            sim_keys_print_rows(out, sections[i].keys);      /* one heading per section (issue 21) */
    }
    for (size_t i = 0; i < policy_count(); i++) {
        const policy_type_t *p = policy_at(i);
        fprintf(out, md ? "\n#### [policy] name = %s\n\n%s\n\n" : "\n[policy] name = %s: %s\n", p->name, p->summary);
        if (p->keys && p->keys->count && md)
            sim_keys_print(out, p->keys, md);
        else if (p->keys && p->keys->count)
            sim_keys_print_rows(out, p->keys);
        else
            fprintf(out, md ? "(no keys)\n" : "  (no keys)\n");
    }
}
