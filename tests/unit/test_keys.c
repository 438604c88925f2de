/*
 * tests/unit/test_keys.c -- declarative key tables (sim/keys.c) on a small table that
 * uses every key type: defaults, parsing, range errors with bounds in the key's unit,
 * bools, choices, strings, canonical format round trips, "did you mean" suggestions,
 * and help output (plain and Markdown).
 */
#include <criterion/criterion.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/keys.h"

typedef struct tparams {
    int64_t count;
    double weight;
    int64_t memory_bytes;
    int64_t latency_ns;
    double inflate_bytes_per_s;
    double share;
    int enabled;
    char label[SIM_STR_MAX];
    char mode[SIM_STR_MAX];
    int64_t debt_bytes;
    int64_t mean_bytes;
    double anything;
} tparams_t;

#define OFF(f) offsetof(tparams_t, f)

static const sim_key_t rows[] = {
    { "count", SIM_KEY_INT, OFF(count), "4", 1, 100, NULL, "number of things" },
    { "weight", SIM_KEY_REAL, OFF(weight), "0.5", -1, 1, NULL, "a weight" },
    { "memory", SIM_KEY_BYTES, OFF(memory_bytes), "4GiB", 0, SIM_KEY_UNBOUNDED, NULL, "memory size" },
    { "latency", SIM_KEY_DURATION, OFF(latency_ns), "5ms", 1e6, 3.6e12, NULL, "request latency" },
    { "inflate_rate", SIM_KEY_RATE, OFF(inflate_bytes_per_s), "64MiB/s", 4096, 1e12, NULL, "inflate rate" },
    { "share", SIM_KEY_FRACTION, OFF(share), "20%", 0, 1, NULL, "share of the host" },
    { "enabled", SIM_KEY_BOOL, OFF(enabled), "yes", SIM_NO_RANGE, NULL, "on or off" },
    { "label", SIM_KEY_STRING, OFF(label), "", SIM_NO_RANGE, NULL, "a label | with a pipe" },
    { "mode", SIM_KEY_CHOICE, OFF(mode), "beta", SIM_NO_RANGE, "alpha|beta|gamma", "the mode" },
    { "debt", SIM_KEY_BYTES, OFF(debt_bytes), NULL, -SIM_KEY_UNBOUNDED, 0, NULL, "required, <= 0" },
    { "workload.mean", SIM_KEY_BYTES, OFF(mean_bytes), "1GiB", SIM_NO_RANGE, NULL, "mean demand" },
    { "anything", SIM_KEY_REAL, OFF(anything), "1e300", -SIM_KEY_UNBOUNDED, SIM_KEY_UNBOUNDED, NULL, "any" },
};
static const sim_key_table_t table = SIM_KEY_TABLE("test", rows);

static const sim_key_t rows2[] = {
    { "counts", SIM_KEY_INT, OFF(count), "1", SIM_NO_RANGE, NULL, "in a second table" },
    { "memory_limit", SIM_KEY_BYTES, OFF(memory_bytes), "1GiB", SIM_NO_RANGE, NULL, "limit" },
};
static const sim_key_table_t table2 = SIM_KEY_TABLE("other", rows2);

static char err[SIM_ERR_MAX];

static const sim_key_t *key(const char *name)
{
    const sim_key_t *k = sim_keys_find(&table, name);
    cr_assert_not_null(k, "no key %s", name);
    return k;
}

static void parse_ok(tparams_t *p, const char *name, const char *value)
{
    int rc = sim_keys_parse(key(name), p, value, err, sizeof err);
    cr_assert_eq(rc, 0, "%s = '%s': %s", name, value, err);
}

/* Parsing fails with SIM_EINPUT, the message contains `want`, and params are untouched. */
static void parse_fails(const char *name, const char *value, const char *want)
{
    tparams_t p, before;
    memset(&p, 0x3c, sizeof p);
    before = p;
    err[0] = '\0';
    int rc = sim_keys_parse(key(name), &p, value, err, sizeof err);
    cr_assert_eq(rc, SIM_EINPUT, "%s = '%s' should fail", name, value ? value : "NULL");
    cr_assert_not_null(strstr(err, want), "%s = '%s': message \"%s\", wanted \"%s\"", name,
                       value ? value : "NULL", err, want);
    cr_assert_eq(memcmp(&p, &before, sizeof p), 0, "params changed on error");
}

static tparams_t defaults(void)
{
    tparams_t p;
    memset(&p, 0xab, sizeof p);
    int rc = sim_keys_defaults(&table, &p, err, sizeof err);
    cr_assert_eq(rc, 0, "%s", err);
    return p;
}

/* ---------------------------------------------------------------- lookup, names */

Test(keys, find_and_type_names)
{
    cr_assert_eq(sim_keys_find(&table, "memory"), &rows[2]);
    cr_assert_null(sim_keys_find(&table, "Memory"));          /* keys are case-sensitive */
    cr_assert_null(sim_keys_find(&table, "nope"));
    cr_assert_str_eq(sim_keys_type_name(SIM_KEY_INT), "integer");
    cr_assert_str_eq(sim_keys_type_name(SIM_KEY_REAL), "number");
    cr_assert_str_eq(sim_keys_type_name(SIM_KEY_BYTES), "size");
    cr_assert_str_eq(sim_keys_type_name(SIM_KEY_DURATION), "duration");
    cr_assert_str_eq(sim_keys_type_name(SIM_KEY_RATE), "rate");
    cr_assert_str_eq(sim_keys_type_name(SIM_KEY_FRACTION), "fraction");
    cr_assert_str_eq(sim_keys_type_name(SIM_KEY_BOOL), "bool");
    cr_assert_str_eq(sim_keys_type_name(SIM_KEY_STRING), "string");
    cr_assert_str_eq(sim_keys_type_name(SIM_KEY_CHOICE), "choice");
    cr_assert_str_eq(sim_keys_type_name((sim_key_type_t)99), "unknown");
}

/* ---------------------------------------------------------------- defaults */

Test(keys, defaults_fill_every_field)
{
    tparams_t p = defaults();
    cr_assert_eq(p.count, 4);
    cr_assert_eq(p.weight, 0.5);
    cr_assert_eq(p.memory_bytes, 4 * SIM_GIB);
    cr_assert_eq(p.latency_ns, 5 * SIM_NS_PER_MS);
    cr_assert_eq(p.inflate_bytes_per_s, 64.0 * SIM_MIB);
    cr_assert_eq(p.share, 0.2);
    cr_assert_eq(p.enabled, 1);
    cr_assert_str_eq(p.label, "");
    cr_assert_str_eq(p.mode, "beta");
    cr_assert_eq(p.debt_bytes, 0, "a required key is zeroed");
    cr_assert_eq(p.mean_bytes, SIM_GIB);
    cr_assert_eq(p.anything, 1e300);
}

Test(keys, required_keys_of_every_type_are_zeroed)
{
    static const sim_key_t req[] = {
        { "a", SIM_KEY_INT, OFF(count), NULL, SIM_NO_RANGE, NULL, "" },
        { "b", SIM_KEY_REAL, OFF(weight), NULL, SIM_NO_RANGE, NULL, "" },
        { "c", SIM_KEY_DURATION, OFF(latency_ns), NULL, SIM_NO_RANGE, NULL, "" },
        { "d", SIM_KEY_RATE, OFF(inflate_bytes_per_s), NULL, SIM_NO_RANGE, NULL, "" },
        { "e", SIM_KEY_FRACTION, OFF(share), NULL, SIM_NO_RANGE, NULL, "" },
        { "f", SIM_KEY_BOOL, OFF(enabled), NULL, SIM_NO_RANGE, NULL, "" },
        { "g", SIM_KEY_STRING, OFF(label), NULL, SIM_NO_RANGE, NULL, "" },
        { "h", SIM_KEY_CHOICE, OFF(mode), NULL, SIM_NO_RANGE, "x|y", "" },
    };
    static const sim_key_table_t t = SIM_KEY_TABLE("req", req);
    tparams_t p;
    memset(&p, 0xab, sizeof p);
    cr_assert_eq(sim_keys_defaults(&t, &p, err, sizeof err), 0);
    cr_assert_eq(p.count, 0);
    cr_assert_eq(p.weight, 0.0);
    cr_assert_eq(p.latency_ns, 0);
    cr_assert_eq(p.inflate_bytes_per_s, 0.0);
    cr_assert_eq(p.share, 0.0);
    cr_assert_eq(p.enabled, 0);
    cr_assert_str_eq(p.label, "");
    cr_assert_str_eq(p.mode, "");
}

Test(keys, a_bad_default_is_an_internal_error)
{
    static const sim_key_t bad[] = {
        { "ok", SIM_KEY_INT, OFF(count), "1", SIM_NO_RANGE, NULL, "" },
        { "size", SIM_KEY_BYTES, OFF(memory_bytes), "4XB", SIM_NO_RANGE, NULL, "" },
    };
    static const sim_key_table_t t = SIM_KEY_TABLE("bad", bad);
    tparams_t p;
    cr_assert_eq(sim_keys_defaults(&t, &p, err, sizeof err), SIM_EINTERNAL);
    cr_assert_not_null(strstr(err, "[bad] size"), "%s", err);
    cr_assert_not_null(strstr(err, "'4XB' is not a size"), "%s", err);

    static const sim_key_t out_of_range[] = {
        { "n", SIM_KEY_INT, OFF(count), "0", 1, 10, NULL, "" },
    };
    static const sim_key_table_t t2 = SIM_KEY_TABLE("range", out_of_range);
    cr_assert_eq(sim_keys_defaults(&t2, &p, err, sizeof err), SIM_EINTERNAL);
    cr_assert_not_null(strstr(err, "must be >= 1"), "%s", err);
}

/* ---------------------------------------------------------------- parsing */

Test(keys, parse_every_type)
{
    tparams_t p = defaults();
    parse_ok(&p, "count", "100");
    cr_assert_eq(p.count, 100);
    parse_ok(&p, "weight", "-0.25");
    cr_assert_eq(p.weight, -0.25);
    parse_ok(&p, "memory", "1.5GiB");
    cr_assert_eq(p.memory_bytes, 3 * SIM_GIB / 2);
    parse_ok(&p, "latency", "1h");
    cr_assert_eq(p.latency_ns, 3600 * SIM_NS_PER_S);
    parse_ok(&p, "inflate_rate", "1TB/s");
    cr_assert_eq(p.inflate_bytes_per_s, 1e12);
    parse_ok(&p, "share", "0.75");
    cr_assert_eq(p.share, 0.75);
    parse_ok(&p, "share", "100%");
    cr_assert_eq(p.share, 1.0);
    parse_ok(&p, "label", "web tier");
    cr_assert_str_eq(p.label, "web tier");
    parse_ok(&p, "mode", "gamma");
    cr_assert_str_eq(p.mode, "gamma");
    parse_ok(&p, "mode", "ALPHA");                             /* stored as spelled in the table */
    cr_assert_str_eq(p.mode, "alpha");
    parse_ok(&p, "debt", "-2GiB");
    cr_assert_eq(p.debt_bytes, -2 * SIM_GIB);
    parse_ok(&p, "anything", "-1e300");
    cr_assert_eq(p.anything, -1e300);
    parse_ok(&p, "workload.mean", "-5B");                      /* no range: negative is fine */
    cr_assert_eq(p.mean_bytes, -5);
}

Test(keys, bool_spellings)
{
    tparams_t p = defaults();
    const char *yes[] = { "yes", "true", "on", "1", "YES", "True", " On " };
    const char *no[] = { "no", "false", "off", "0", "NO", "False", "OFF" };
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        p.enabled = 0;
        parse_ok(&p, "enabled", yes[i]);
        cr_assert_eq(p.enabled, 1, "'%s'", yes[i]);
        parse_ok(&p, "enabled", no[i]);
        cr_assert_eq(p.enabled, 0, "'%s'", no[i]);
    }
    parse_fails("enabled", "maybe", "'maybe' is not a bool (use yes/no, true/false, on/off or 1/0)");
    parse_fails("enabled", "2", "is not a bool");
    parse_fails("enabled", "", "is not a bool");
    parse_fails("enabled", "yess", "is not a bool");
}

Test(keys, range_errors_name_the_bound_in_the_keys_unit)
{
    parse_fails("memory", "-1GiB", "'-1GiB' is out of range: must be >= 0B");
    parse_fails("latency", "2h", "'2h' is out of range: must be <= 1h");
    parse_fails("latency", "0.5ms", "'0.5ms' is out of range: must be >= 1ms");
    parse_fails("share", "150%", "'150%' is out of range: must be <= 100%");
    parse_fails("share", "-0.1", "'-0.1' is out of range: must be >= 0%");
    parse_fails("inflate_rate", "1KiB/s", "'1KiB/s' is out of range: must be >= 4KiB/s");
    parse_fails("inflate_rate", "2TB/s", "'2TB/s' is out of range: must be <= 1TB/s");
    parse_fails("count", "0", "'0' is out of range: must be >= 1");
    parse_fails("count", "101", "'101' is out of range: must be <= 100");
    parse_fails("weight", "2", "'2' is out of range: must be <= 1");
    parse_fails("weight", "-1.5", "'-1.5' is out of range: must be >= -1");
    parse_fails("debt", "1B", "'1B' is out of range: must be <= 0B");
    /* Bounds themselves are inside. */
    tparams_t p = defaults();
    parse_ok(&p, "latency", "1ms");
    parse_ok(&p, "latency", "3600s");
    parse_ok(&p, "count", "1");
    parse_ok(&p, "memory", "0");
    parse_ok(&p, "memory", "9223372036854775807B");            /* open upper side */
}

Test(keys, type_errors_pass_the_units_message)
{
    parse_fails("count", "4.5", "'4.5' is not an integer");
    parse_fails("count", "", "empty value");
    parse_fails("weight", "heavy", "'heavy' is not a number");
    parse_fails("memory", "lots", "'lots' is not a size");
    parse_fails("memory", "4XB", "unknown unit 'XB'");
    parse_fails("latency", "5y", "'5y' is not a duration");
    parse_fails("inflate_rate", "1GiB", "is not a rate");
    parse_fails("share", "20 percent", "is not a fraction");
    parse_fails("memory", NULL, "no value");
}

Test(keys, choices)
{
    parse_fails("mode", "betta",
                "'betta' is not a valid choice: use one of alpha, beta, gamma (did you mean 'beta'?)");
    parse_fails("mode", "zzzzzzzz", "'zzzzzzzz' is not a valid choice: use one of alpha, beta, gamma");
    err[0] = '\0';
    tparams_t p = defaults();
    cr_assert_eq(sim_keys_parse(key("mode"), &p, "zzzzzzzz", err, sizeof err), SIM_EINPUT);
    cr_assert_null(strstr(err, "did you mean"), "%s", err);
    parse_fails("mode", "", "is not a valid choice");
    parse_fails("mode", "alpha|beta", "is not a valid choice");
    parse_fails("mode", "gam", "did you mean 'gamma'");      /* a prefix */
}

Test(keys, strings_must_fit)
{
    char s[SIM_STR_MAX + 10];
    memset(s, 'x', sizeof s);
    s[SIM_STR_MAX - 1] = '\0';                                 /* 255 characters: fits */
    tparams_t p = defaults();
    parse_ok(&p, "label", s);
    cr_assert_eq(strlen(p.label), SIM_STR_MAX - 1);
    s[SIM_STR_MAX - 1] = 'x';
    s[SIM_STR_MAX] = '\0';                                     /* 256: does not */
    parse_fails("label", s, "is too long (at most 255 bytes)");
    parse_fails("mode", s, "is too long");
}

/* ---------------------------------------------------------------- format */

static void expect_format(const tparams_t *p, const char *name, const char *want)
{
    char buf[SIM_STR_MAX];
    sim_keys_format(key(name), p, buf, sizeof buf);
    cr_assert_str_eq(buf, want, "format of %s", name);
}

Test(keys, canonical_format)
{
    tparams_t p = defaults();
    expect_format(&p, "count", "4");
    expect_format(&p, "weight", "0.5");
    expect_format(&p, "memory", "4GiB");
    expect_format(&p, "latency", "5ms");
    expect_format(&p, "inflate_rate", "64MiB/s");
    expect_format(&p, "share", "20%");
    expect_format(&p, "enabled", "yes");
    expect_format(&p, "label", "");
    expect_format(&p, "mode", "beta");
    expect_format(&p, "debt", "0B");
    expect_format(&p, "anything", "1e300");
    parse_ok(&p, "enabled", "off");
    expect_format(&p, "enabled", "no");
    parse_ok(&p, "latency", "1800s");
    expect_format(&p, "latency", "0.5h");          /* shorter than 30min or 1800s */
    parse_ok(&p, "latency", "0.0015s");
    expect_format(&p, "latency", "1.5ms");
    parse_ok(&p, "share", "0.0025");
    expect_format(&p, "share", "0.25%");
}

Test(keys, format_parse_round_trip)
{
    static const struct { const char *key, *value; } cases[] = {
        { "count", "1" }, { "count", "99" }, { "weight", "0.1" }, { "weight", "-0.3333333333333333" },
        { "weight", "1e-300" }, { "memory", "1610612737" }, { "memory", "0.1KiB" },
        { "memory", "8388607TiB" }, { "latency", "1.234567891s" }, { "latency", "59min" },
        { "inflate_rate", "4096.5B/s" }, { "inflate_rate", "0.7TB/s" }, { "share", "33.3%" },
        { "share", "0.123456789" }, { "enabled", "on" }, { "enabled", "0" }, { "label", "a b c" },
        { "mode", "Gamma" }, { "debt", "-1B" }, { "workload.mean", "-3.5GiB" },
        { "anything", "-1.7976931348623157e308" }, { "anything", "5e-324" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const sim_key_t *k = key(cases[i].key);
        tparams_t a = defaults(), b = defaults();
        parse_ok(&a, cases[i].key, cases[i].value);
        char text[SIM_STR_MAX];
        sim_keys_format(k, &a, text, sizeof text);
        parse_ok(&b, cases[i].key, text);
        cr_assert_eq(memcmp(&a, &b, sizeof a), 0, "%s: '%s' -> '%s' does not read back",
                     cases[i].key, cases[i].value, text);
    }
}

/* ---------------------------------------------------------------- suggestions */

Test(keys, nearest_key)
{
    const sim_key_table_t *both[] = { &table, &table2 };
    const sim_key_table_t *one[] = { &table };
    cr_assert_str_eq(sim_keys_nearest(one, 1, "memroy"), "memory");      /* transposition */
    cr_assert_str_eq(sim_keys_nearest(one, 1, "Memory"), "memory");      /* case */
    cr_assert_str_eq(sim_keys_nearest(one, 1, "latncy"), "latency");
    cr_assert_str_eq(sim_keys_nearest(one, 1, "inflate_rte"), "inflate_rate");
    cr_assert_str_eq(sim_keys_nearest(one, 1, "inflate"), "inflate_rate"); /* prefix */
    cr_assert_str_eq(sim_keys_nearest(one, 1, "mean"), "workload.mean");  /* suffix */
    cr_assert_str_eq(sim_keys_nearest(one, 1, "workload.meen"), "workload.mean");
    cr_assert_str_eq(sim_keys_nearest(one, 1, "lable"), "label");
    cr_assert_null(sim_keys_nearest(one, 1, "xyzzy"));
    cr_assert_null(sim_keys_nearest(one, 1, "ab"));                       /* too short */
    cr_assert_null(sim_keys_nearest(one, 1, "cnt"));        /* 2 edits: too many for 3 letters */
    cr_assert_null(sim_keys_nearest(one, 1, "lat_ency_ms"));              /* 4 edits */
    cr_assert_null(sim_keys_nearest(one, 1, ""));
    cr_assert_null(sim_keys_nearest(one, 1, NULL));
    cr_assert_null(sim_keys_nearest(one, 0, "memory"));
    /* Across tables: the closest wins; on a tie, the first table. */
    cr_assert_str_eq(sim_keys_nearest(both, 2, "countss"), "counts");
    cr_assert_str_eq(sim_keys_nearest(both, 2, "memory_limt"), "memory_limit");
    cr_assert_str_eq(sim_keys_nearest(both, 2, "coun"), "count");
    /* Long names do not overflow anything. */
    char longname[300];
    memset(longname, 'm', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    cr_assert_null(sim_keys_nearest(both, 2, longname));
}

/* ---------------------------------------------------------------- help */

static char *print_to_string(const sim_key_table_t *t, int markdown)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cr_assert_not_null(f);
    sim_keys_print(f, t, markdown);
    fclose(f);
    return text;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

Test(keys, print_plain)
{
    char *text = print_to_string(&table, 0);
    cr_assert_eq(strncmp(text, "[test]\n", 7), 0, "%s", text);
    cr_assert_eq(count_lines(text), 1 + (int)table.count);
    const char *want[] = { "memory", "size", "4GiB", ">= 0B", "[1ms, 1h]", "[4KiB/s, 1TB/s]",
                           "[0%, 100%]", "[1, 100]", "[-1, 1]", "one of: alpha, beta, gamma",
                           "(required)", "<= 0B", "\"\"", "memory size", "request latency" };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_assert_not_null(strstr(text, want[i]), "plain help lacks '%s':\n%s", want[i], text);
    /* Unchecked ranges print as "-". */
    cr_assert_not_null(strstr(text, "range -"), "%s", text);
    free(text);
}

Test(keys, print_markdown)
{
    char *text = print_to_string(&table, 1);
    const char *header = "| key | type | default | range | help |\n|---|---|---|---|---|\n";
    cr_assert_eq(strncmp(text, header, strlen(header)), 0, "%s", text);
    cr_assert_eq(count_lines(text), 2 + (int)table.count);
    const char *want[] = {
        "| `memory` | size | `4GiB` | >= 0B | memory size |\n",
        "| `latency` | duration | `5ms` | [1ms, 1h] | request latency |\n",
        "| `mode` | choice | `beta` | one of: alpha, beta, gamma | the mode |\n",
        "| `debt` | size | (required) | <= 0B | required, <= 0 |\n",
        "| `label` | string | `\"\"` | - | a label \\| with a pipe |\n",
        "| `anything` | number | `1e300` | - | any |\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_assert_not_null(strstr(text, want[i]), "markdown lacks '%s':\n%s", want[i], text);
    free(text);
}

/* ---------------------------------------------------------------- odd tables */

Test(keys, bounds_beyond_int64_and_unknown_types)
{
    static const sim_key_t odd[] = {
        { "huge", SIM_KEY_BYTES, OFF(memory_bytes), "1TiB", 0, 1e30, NULL, "bound beyond int64" },
        { "long", SIM_KEY_DURATION, OFF(latency_ns), "1d", -1e30, 0.5e9, NULL, "half a second" },
        { "broken", (sim_key_type_t)99, OFF(count), NULL, SIM_NO_RANGE, NULL, "not a type" },
    };
    static const sim_key_table_t t = SIM_KEY_TABLE("odd", odd);
    char *text = print_to_string(&t, 1);
    cr_assert_not_null(strstr(text, "| `huge` | size | `1TiB` | [0B, 1e30B] |"), "%s", text);
    cr_assert_not_null(strstr(text, "| `long` | duration | `1d` | [-1e30ns, 0.5s] |"), "%s", text);
    cr_assert_not_null(strstr(text, "| `broken` | unknown | (required) | - |"), "%s", text);
    free(text);

    tparams_t p = defaults();
    cr_assert_eq(sim_keys_parse(&odd[0], &p, "8388607TiB", err, sizeof err), 0, "%s", err);
    cr_assert_eq(sim_keys_parse(&odd[1], &p, "1s", err, sizeof err), SIM_EINPUT);
    cr_assert_not_null(strstr(err, "'1s' is out of range: must be <= 0.5s"), "%s", err);
    cr_assert_eq(sim_keys_parse(&odd[2], &p, "1", err, sizeof err), SIM_EINTERNAL);
    cr_assert_not_null(strstr(err, "unknown type"), "%s", err);
    char buf[16];
    sim_keys_format(&odd[2], &p, buf, sizeof buf);
    cr_assert_str_eq(buf, "?");
}
