/*
 * tests/unit/test_ini.c -- Criterion suite "ini": the raw scenario text layer (sim/ini.c).
 *
 * Every rule of sim/ini.c's top comment has a test here, and every error path is
 * triggered with the words of its message checked (file, line, section, key).
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/ini.h"

static char err[SIM_ERR_MAX];

static sim_ini_t *load_ok(const char *text)
{
    sim_ini_t *ini = NULL;
    err[0] = '\0';
    int rc = sim_ini_load_string("t.ini", text, &ini, err, sizeof(err));
    cr_assert_eq(rc, 0, "load failed: %s", err);
    cr_assert_not_null(ini);
    return ini;
}

/* Loading must fail with SIM_EINPUT and a message holding every given word. */
static void load_fails(const char *text, const char *w1, const char *w2, const char *w3)
{
    sim_ini_t *ini = (sim_ini_t *)0x1;
    err[0] = '\0';
    int rc = sim_ini_load_string("t.ini", text, &ini, err, sizeof(err));
    cr_assert_eq(rc, SIM_EINPUT, "expected SIM_EINPUT, got %d (%s)", rc, err);
    cr_assert_null(ini);
    const char *w[3] = { w1, w2, w3 };
    for (int i = 0; i < 3; i++)
        if (w[i] != NULL)
            cr_assert_not_null(strstr(err, w[i]), "message '%s' lacks '%s'", err, w[i]);
}

static void check_entry(const sim_ini_t *ini, size_t i, const char *section, const char *key,
                        const char *value, int line)
{
    cr_assert_lt(i, ini->count);
    const sim_ini_entry_t *e = &ini->entries[i];
    cr_assert_str_eq(e->section, section, "entry %zu section", i);
    cr_assert_str_eq(e->key, key, "entry %zu key", i);
    cr_assert_str_eq(e->value, value, "entry %zu value", i);
    cr_assert_eq(e->line, line, "entry %zu line %d, want %d", i, e->line, line);
}

/* A temporary file with the given bytes; returns its path (static buffer). */
static const char *temp_file(const char *bytes, size_t len)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/test_ini_XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, bytes, len), (ssize_t)len);
    close(fd);
    return path;
}

/* ---------------------------------------------------------------- parsing */

Test(ini, entries_keep_order_lines_and_sections)
{
    sim_ini_t *ini = load_ok(
        "; a scenario\n"                      /* 1 */
        "# also a comment\n"                  /* 2 */
        "[simulation]\n"                      /* 3 */
        "duration = 2h\n"                     /* 4 */
        "seed=42   ; inline comment\n"        /* 5 */
        "\n"                                  /* 6 */
        "[vm web]   ; a group\n"              /* 7 */
        "count = 24\n"                        /* 8 */
        "workload.mean = 3GiB\n"              /* 9 */
        "[policy]\n"                          /* 10 */
        "idle_tax = ${0, 0.25, 0.5}\n");      /* 11 */
    cr_assert_eq(ini->count, 5);
    check_entry(ini, 0, "simulation", "duration", "2h", 4);
    check_entry(ini, 1, "simulation", "seed", "42", 5);
    check_entry(ini, 2, "vm web", "count", "24", 8);
    check_entry(ini, 3, "vm web", "workload.mean", "3GiB", 9);
    check_entry(ini, 4, "policy", "idle_tax", "${0, 0.25, 0.5}", 11);
    cr_assert_str_eq(ini->path, "t.ini");
    cr_assert_not_null(strstr(ini->text, "[vm web]   ; a group"));
    sim_ini_destroy(ini);
}

Test(ini, comment_needs_space_before_semicolon)
{
    sim_ini_t *ini = load_ok("[a]\nx = p;q ; r\ny = #not a comment\nz =\n");
    check_entry(ini, 0, "a", "x", "p;q", 2);
    check_entry(ini, 1, "a", "y", "#not a comment", 3);
    check_entry(ini, 2, "a", "z", "", 4);
    sim_ini_destroy(ini);
}

Test(ini, section_white_space_is_folded)
{
    sim_ini_t *ini = load_ok("[  vm \t  web  ]\ncount = 1\n");
    check_entry(ini, 0, "vm web", "count", "1", 2);
    sim_ini_destroy(ini);
}

Test(ini, long_section_name_is_not_truncated)
{
    char text[256];
    char name[120];
    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    snprintf(text, sizeof(text), "[vm %s]\nk = v\n", name);
    sim_ini_t *ini = load_ok(text);
    cr_assert_eq(strlen(ini->entries[0].section), 3 + strlen(name));
    sim_ini_destroy(ini);
}

Test(ini, indented_lines_are_not_continuations)
{
    sim_ini_t *ini = load_ok("[a]\nx = 1\n    y = 2\n\tz = 3\n");
    cr_assert_eq(ini->count, 3);
    check_entry(ini, 1, "a", "y", "2", 3);
    check_entry(ini, 2, "a", "z", "3", 4);
    sim_ini_destroy(ini);
}

Test(ini, crlf_bom_and_no_final_newline)
{
    sim_ini_t *ini = load_ok("\xEF\xBB\xBF[a]\r\nx = 1\r\n\r\ny = 2");
    cr_assert_eq(ini->count, 2);
    check_entry(ini, 0, "a", "x", "1", 2);
    check_entry(ini, 1, "a", "y", "2", 4);
    sim_ini_destroy(ini);
}

Test(ini, empty_and_comment_only_files_have_no_entries)
{
    sim_ini_t *ini = load_ok("");
    cr_assert_eq(ini->count, 0);
    sim_ini_destroy(ini);
    ini = load_ok("; nothing\n\n# here\n[empty]\n");
    cr_assert_eq(ini->count, 0);
    sim_ini_destroy(ini);
}

Test(ini, utf8_text_is_fine)
{
    sim_ini_t *ini = load_ok("; d\xC3\xA9j\xC3\xA0 vu\n[vm caf\xC3\xA9]\nnote = \xE2\x82\xAC 5\n");
    check_entry(ini, 0, "vm caf\xC3\xA9", "note", "\xE2\x82\xAC 5", 3);
    sim_ini_destroy(ini);
}

Test(ini, same_key_in_two_sections_is_fine)
{
    sim_ini_t *ini = load_ok("[vm a]\ncount = 1\n[vm b]\ncount = 2\n");
    cr_assert_str_eq(sim_ini_get(ini, "vm a", "count"), "1");
    cr_assert_str_eq(sim_ini_get(ini, "vm b", "count"), "2");
    cr_assert_null(sim_ini_get(ini, "vm c", "count"));
    cr_assert_null(sim_ini_get(ini, "vm a", "Count"));   /* case-sensitive */
    sim_ini_destroy(ini);
}

/* ---------------------------------------------------------------- [expect] */

Test(ini, expect_lines_become_numbered_keys)
{
    sim_ini_t *ini = load_ok(
        "[host]\n"                              /* 1 */
        "count = 4\n"                           /* 2 */
        "[expect]                ; checks\n"    /* 3 */
        "host_swap_bytes < 1GiB  ; no swap\n"   /* 4 */
        "  oom_events <= 0\n"                   /* 5 */
        "policy == esx-share\n"                 /* 6 */
        "ratio != 0.5\n"                        /* 7 */
        "tolerance = 5%\n"                      /* 8 */
        "vm web:pressure >= 0.5\n"              /* 9 */
        "; a comment\n");                       /* 10 */
    cr_assert_eq(ini->count, 7);
    check_entry(ini, 1, "expect", "#4", "host_swap_bytes < 1GiB", 4);
    check_entry(ini, 2, "expect", "#5", "oom_events <= 0", 5);
    check_entry(ini, 3, "expect", "#6", "policy == esx-share", 6);
    check_entry(ini, 4, "expect", "#7", "ratio != 0.5", 7);
    check_entry(ini, 5, "expect", "tolerance", "5%", 8);
    check_entry(ini, 6, "expect", "#9", "vm web:pressure >= 0.5", 9);
    sim_ini_destroy(ini);
}

Test(ini, lines_without_equals_outside_expect_are_errors)
{
    load_fails("[host]\nhost_swap_bytes < 1GiB\n", "t.ini:2:", "syntax error", "host_swap_bytes < 1GiB");
}

/* ---------------------------------------------------------------- errors */

Test(ini, duplicate_key_names_both_lines)
{
    load_fails("[vm web]\ncount = 1\nmemory = 2GiB\n\ncount = 2\n",
               "t.ini:5:", "duplicate key 'count' in section [vm web]", "first set at line 2");
}

Test(ini, duplicate_key_in_expect_section)
{
    load_fails("[expect]\ntolerance = 1\na < 2\ntolerance = 3\n",
               "t.ini:4:", "duplicate key 'tolerance'", "line 2");
}

Test(ini, section_opened_twice)
{
    load_fails("[vm web]\na = 1\n[vm  web]\nb = 2\n", "t.ini:3:", "section [vm web] is opened twice",
               "first at line 1");
}

Test(ini, key_outside_any_section)
{
    load_fails("; header\nseed = 1\n[simulation]\n", "t.ini:2:", "key 'seed'", "outside any section");
}

Test(ini, syntax_errors_name_the_line)
{
    load_fails("[a]\nx = 1\njust words\n", "t.ini:3:", "syntax error", "expected 'key = value'");
    load_fails("[a]\n[vm web\n", "t.ini:2:", "no closing ']'", NULL);
    load_fails("[a] junk\n", "t.ini:1:", "unexpected text 'junk'", NULL);
    load_fails("[]\n", "t.ini:1:", "empty section name", NULL);
    load_fails("[a=b]\n", "t.ini:1:", "character '='", "section name");
    load_fails("[a]\nx: 1\n", "t.ini:2:", "use '=' between key and value", NULL);
    load_fails("[a]\nx:y = 1\n", "t.ini:2:", "':' in key 'x:y'", NULL);
    load_fails("[a]\n= 1\n", "t.ini:2:", "empty key", NULL);
}

Test(ini, earliest_error_is_reported)
{
    /* a duplicate on line 5 and a syntax error on line 3: line 3 wins */
    load_fails("[a]\nx = 1\noops\ny = 2\nx = 3\n", "t.ini:3:", "syntax error", NULL);
    /* a duplicate on line 3 before a syntax error on line 5 */
    load_fails("[a]\nx = 1\nx = 3\ny = 2\noops\n", "t.ini:3:", "duplicate key 'x'", NULL);
}

Test(ini, line_length_limit)
{
    char text[512];
    /* "[a]\n" then "k = vvvv..." of exactly SIM_INI_MAX_LINE bytes: accepted */
    int n = snprintf(text, sizeof(text), "[a]\nk = ");
    memset(text + n, 'v', SIM_INI_MAX_LINE - 4);
    text[n + SIM_INI_MAX_LINE - 4] = '\0';
    cr_assert_eq(strlen(text) - 4, (size_t)SIM_INI_MAX_LINE);
    sim_ini_t *ini = load_ok(text);
    cr_assert_eq(strlen(ini->entries[0].value), (size_t)SIM_INI_MAX_LINE - 4);
    sim_ini_destroy(ini);
    /* the same with CRLF: the line end does not count */
    strcat(text, "\r\n");
    ini = load_ok(text);
    sim_ini_destroy(ini);
    /* one byte more: refused, not split */
    text[strlen(text) - 2] = '\0';
    strcat(text, "v\nnext = 1\n");
    load_fails(text, "t.ini:2:", "line too long (200 bytes; the limit is 199)", NULL);
    /* a long comment is still a long line */
    memset(text, ';', 300);
    text[300] = '\0';
    load_fails(text, "t.ini:1:", "line too long", NULL);
}

Test(ini, invalid_utf8_is_refused)
{
    load_fails("[a]\nx = caf\xE9\n", "t.ini:2:", "invalid UTF-8 at column 8", NULL);
    load_fails("[a]\nx = \xC0\xAF\n", "t.ini:2:", "invalid UTF-8", NULL);          /* overlong '/' */
    load_fails("[a]\nx = \xED\xA0\x80\n", "t.ini:2:", "invalid UTF-8", NULL);      /* surrogate */
    load_fails("[a]\nx = \xF4\x90\x80\x80\n", "t.ini:2:", "invalid UTF-8", NULL);  /* > U+10FFFF */
    load_fails("; \xE2\x82\n", "t.ini:1:", "invalid UTF-8", NULL);                 /* truncated */
}

/* ---------------------------------------------------------------- files */

Test(ini, load_file_names_entries_with_the_path)
{
    const char *text = "[simulation]\nseed = 7\n";
    const char *path = temp_file(text, strlen(text));
    sim_ini_t *ini = NULL;
    cr_assert_eq(sim_ini_load_file(path, &ini, err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(ini->path, path);
    cr_assert_str_eq(ini->text, text);
    check_entry(ini, 0, "simulation", "seed", "7", 2);
    sim_ini_destroy(ini);
    unlink(path);
}

Test(ini, load_file_error_messages_name_the_file)
{
    const char *text = "[a]\nx = 1\nbad line\n";
    const char *path = temp_file(text, strlen(text));
    sim_ini_t *ini = NULL;
    cr_assert_eq(sim_ini_load_file(path, &ini, err, sizeof(err)), SIM_EINPUT);
    char want[128];
    snprintf(want, sizeof(want), "%s:3: syntax error", path);
    cr_assert_not_null(strstr(err, want), "%s", err);
    unlink(path);
}

Test(ini, missing_file)
{
    sim_ini_t *ini = (sim_ini_t *)0x1;
    cr_assert_eq(sim_ini_load_file("/nonexistent/x.ini", &ini, err, sizeof(err)), SIM_EINPUT);
    cr_assert_null(ini);
    cr_assert_not_null(strstr(err, "cannot open scenario '/nonexistent/x.ini'"), "%s", err);
    cr_assert_not_null(strstr(err, "No such file"), "%s", err);
}

Test(ini, directory_is_refused)
{
    sim_ini_t *ini = NULL;
    cr_assert_eq(sim_ini_load_file("/tmp", &ini, err, sizeof(err)), SIM_EINPUT);
    cr_assert_not_null(strstr(err, "is a directory"), "%s", err);
}

Test(ini, unreadable_file)
{
    const char *path = temp_file("[a]\n", 4);
    chmod(path, 0);
    sim_ini_t *ini = NULL;
    int rc = sim_ini_load_file(path, &ini, err, sizeof(err));
    if (geteuid() != 0) {     /* root reads anything */
        cr_assert_eq(rc, SIM_EINPUT);
        cr_assert_not_null(strstr(err, "Permission denied"), "%s", err);
    } else {
        sim_ini_destroy(ini);
    }
    unlink(path);
}

Test(ini, empty_file)
{
    const char *path = temp_file("", 0);
    sim_ini_t *ini = NULL;
    cr_assert_eq(sim_ini_load_file(path, &ini, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(ini->count, 0);
    cr_assert_str_eq(ini->text, "");
    sim_ini_destroy(ini);
    unlink(path);
}

Test(ini, huge_file_is_refused)
{
    const char *path = temp_file("", 0);
    cr_assert_eq(truncate(path, 17 * 1024 * 1024), 0);   /* sparse: no disk used */
    sim_ini_t *ini = NULL;
    cr_assert_eq(sim_ini_load_file(path, &ini, err, sizeof(err)), SIM_EINPUT);
    cr_assert_null(ini);
    cr_assert_not_null(strstr(err, "is larger than 16 MiB"), "%s", err);
    unlink(path);
}

Test(ini, nul_byte_in_file)
{
    const char text[] = "[a]\nx = 1\ny = a\0b\n";
    const char *path = temp_file(text, sizeof(text) - 1);
    sim_ini_t *ini = NULL;
    cr_assert_eq(sim_ini_load_file(path, &ini, err, sizeof(err)), SIM_EINPUT);
    cr_assert_not_null(strstr(err, ":3: NUL byte at column 6"), "%s", err);
    unlink(path);
}

/* ---------------------------------------------------------------- set, clone */

Test(ini, set_replaces_or_appends)
{
    sim_ini_t *ini = load_ok("[host]\ncount = 4\n");
    cr_assert_eq(sim_ini_set(ini, "host", "count", "8", 0), 0);
    cr_assert_eq(ini->count, 1);
    check_entry(ini, 0, "host", "count", "8", 0);
    cr_assert_eq(sim_ini_set(ini, "host", "memory", "64GiB", 0), 0);
    check_entry(ini, 1, "host", "memory", "64GiB", 0);
    cr_assert_eq(sim_ini_find(ini, "host", "memory"), &ini->entries[1]);
    sim_ini_destroy(ini);
}

Test(ini, clone_is_deep)
{
    sim_ini_t *ini = load_ok("[host]\ncount = 4\n");
    sim_ini_t *c = sim_ini_clone(ini);
    cr_assert_not_null(c);
    cr_assert_eq(sim_ini_set(c, "host", "count", "9", 0), 0);
    cr_assert_str_eq(sim_ini_get(ini, "host", "count"), "4");
    cr_assert_str_eq(sim_ini_get(c, "host", "count"), "9");
    cr_assert_str_eq(c->text, ini->text);
    cr_assert_str_eq(c->path, ini->path);
    sim_ini_destroy(ini);
    sim_ini_destroy(c);
    sim_ini_destroy(NULL);
}

/* ---------------------------------------------------------------- overrides */

Test(ini, override_section_with_space)
{
    sim_ini_t *ini = load_ok("[vm web]\ncount = 24\n");
    cr_assert_eq(sim_ini_apply_override(ini, "vm web.count=4", err, sizeof(err)), 0, "%s", err);
    check_entry(ini, 0, "vm web", "count", "4", 0);
    /* white space is folded and trimmed */
    cr_assert_eq(sim_ini_apply_override(ini, "  vm   web . count =  5 ", err, sizeof(err)), 0, "%s", err);
    check_entry(ini, 0, "vm web", "count", "5", 0);
    cr_assert_eq(ini->count, 1);
    sim_ini_destroy(ini);
}

Test(ini, override_dotted_key)
{
    sim_ini_t *ini = load_ok("[vm web]\nworkload.mean = 1GiB\n");
    cr_assert_eq(sim_ini_apply_override(ini, "vm web.workload.mean=3GiB", err, sizeof(err)), 0, "%s", err);
    check_entry(ini, 0, "vm web", "workload.mean", "3GiB", 0);
    cr_assert_eq(ini->count, 1);
    /* a section absent from the file: split at the first '.' */
    cr_assert_eq(sim_ini_apply_override(ini, "vm db.workload.mean=2GiB", err, sizeof(err)), 0, "%s", err);
    check_entry(ini, 1, "vm db", "workload.mean", "2GiB", 0);
    cr_assert_eq(sim_ini_apply_override(ini, "policy.idle_tax=0.5", err, sizeof(err)), 0, "%s", err);
    check_entry(ini, 2, "policy", "idle_tax", "0.5", 0);
    sim_ini_destroy(ini);
}

Test(ini, override_dotted_section_name_longest_match)
{
    sim_ini_t *ini = load_ok("[vm eu]\ncount = 1\n[vm eu.west]\ncount = 2\n");
    cr_assert_eq(sim_ini_apply_override(ini, "vm eu.west.count=7", err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(sim_ini_get(ini, "vm eu.west", "count"), "7");
    cr_assert_str_eq(sim_ini_get(ini, "vm eu", "count"), "1");
    cr_assert_eq(sim_ini_apply_override(ini, "vm eu.count=3", err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(sim_ini_get(ini, "vm eu", "count"), "3");
    cr_assert_eq(ini->count, 2);
    sim_ini_destroy(ini);
}

Test(ini, override_value_is_literal)
{
    sim_ini_t *ini = load_ok("[a]\n");
    cr_assert_eq(sim_ini_apply_override(ini, "a.x=p ; q=r", err, sizeof(err)), 0, "%s", err);
    check_entry(ini, 0, "a", "x", "p ; q=r", 0);
    cr_assert_eq(sim_ini_apply_override(ini, "a.y=", err, sizeof(err)), 0, "%s", err);
    check_entry(ini, 1, "a", "y", "", 0);
    sim_ini_destroy(ini);
}

Test(ini, override_errors)
{
    sim_ini_t *ini = load_ok("[a]\nx = 1\n");
    cr_assert_eq(sim_ini_apply_override(ini, "a.x", err, sizeof(err)), SIM_EINPUT);
    cr_assert_not_null(strstr(err, "--set 'a.x': expected section.key=value (no '=')"), "%s", err);
    cr_assert_eq(sim_ini_apply_override(ini, "seed=3", err, sizeof(err)), SIM_EINPUT);
    cr_assert_not_null(strstr(err, "no '.' between section and key"), "%s", err);
    cr_assert_eq(sim_ini_apply_override(ini, "a.=3", err, sizeof(err)), SIM_EINPUT);
    cr_assert_not_null(strstr(err, "empty key"), "%s", err);
    cr_assert_eq(sim_ini_apply_override(ini, ".x=3", err, sizeof(err)), SIM_EINPUT);
    cr_assert_not_null(strstr(err, "empty section"), "%s", err);
    cr_assert_eq(ini->count, 1);
    check_entry(ini, 0, "a", "x", "1", 2);
    sim_ini_destroy(ini);
}
