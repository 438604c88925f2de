/*
 * sim/ini.c -- the raw text layer of scenario files (sim_ini_*), on top of inih.
 *
 * What it does: turns scenario text into an ordered list of (section, key, value,
 * line) entries.  Nothing is typed here; sim/study.c expands ${...} in values and
 * the key tables (sim/keys.h) bind entries to parameter structs.
 *
 * How inih is used.  Debian's libinih (r55) is built with INI_HANDLER_LINENO 0,
 * INI_MAX_LINE 200, INI_ALLOW_NO_VALUE 0, INI_ALLOW_MULTILINE 1 and inline ';'
 * comments.  Its handler is not told the line, it splits over-long lines silently,
 * it truncates section names at 49 bytes, it treats an indented line as the
 * continuation of the previous value, and it accepts "key: value".  So we call
 * ini_parse_stream with our own reader (read_line) over the file text, which hands
 * inih exactly one line per call and classifies the line first:
 *
 *     line (after "\r\n", a UTF-8 BOM and leading white space are removed)
 *       |
 *       +-- too long, NUL byte, bad UTF-8 ----------> error at this line, inih gets ""
 *       +-- blank, or starts with ';' or '#' -------> comment, inih gets ""
 *       +-- starts with '[' ------------------------> section header, parsed here
 *       |                                              (inih gets "")
 *       +-- in [expect] and not an assignment ------> entry "#N" = line, added here
 *       |                                              (inih gets "")
 *       +-- otherwise: must be "key = value" -------> checked here, then inih gets the
 *                                                      line and calls on_entry
 *
 * Because the reader counts the lines it hands out and inih calls the handler
 * before it asks for the next line, reader.lineno is the line of every entry, and
 * inih's own error line (its return value) is the same count.  Leading white space
 * is removed before inih sees a line, so inih's multi-line values never happen.
 *
 * Rules (see also sim/ini.h):
 *   1. Lines end in "\n" or "\r\n"; a UTF-8 BOM at the start is skipped.  A line is at
 *      most SIM_INI_MAX_LINE (199) bytes, not counting the line end; inih's buffer
 *      (INI_MAX_LINE 200) holds 199 bytes and the terminating NUL.
 *   2. The file must be UTF-8 text: a NUL byte or an invalid UTF-8 sequence (overlong
 *      forms, surrogates, > U+10FFFF included) is an error naming line and byte
 *      column.  Non-ASCII text is fine in values and comments.  An empty file (or only
 *      comments) is valid and has zero entries.  Files larger than SIM_INI_MAX_FILE
 *      are refused (a scenario is a page of text; this stops /dev/zero and the like).
 *   3. Comments: a line starting with ';' or '#'; and ';' preceded by white space
 *      anywhere in a key/value line or after a section header.  There is no quoting:
 *      a value is the trimmed text after the first '='.
 *   4. Section headers "[kind]" or "[kind NAME]": white space inside is folded to one
 *      space; nothing but a comment may follow ']'; the name may not be empty nor
 *      contain any of  [ ; = $ { }  or control characters.  A section opened twice is
 *      an error naming both lines (it is almost always a copy-paste slip).
 *   5. Key/value lines use '=' only ("key: value" is refused, as is a ':' in a key,
 *      because inih would split there); the key may not be empty; a key before any
 *      section header is an error; a key given twice in one section is an error
 *      naming both lines.  Keys and section names are case-sensitive.
 *   6. In a section whose kind is "expect", a line is an expectation unless it is an
 *      assignment, i.e. unless its first '=' is a plain '=' (not part of <=, >=, ==,
 *      !=).  An expectation is stored as key "#N" (N = its line) with the whole line
 *      (trimmed, comment removed) as value: "host_swap_bytes <= 1GiB" stays one
 *      expectation, "tolerance = 5%" is an ordinary key.  Use "==" for equality.
 *   7. When a file has several errors, the one on the earliest line is reported.
 *
 * --set overrides (sim_ini_apply_override): "section.key=value" is split at the
 * first '='; the value is trimmed and taken literally (no comment stripping).  The
 * left side (white space folded) is split between section and key by the longest
 * section name present in the scenario that is followed by '.', so "vm web.count"
 * is (vm web, count), "vm web.workload.mean" is (vm web, workload.mean), and with a
 * section [vm eu.west] "vm eu.west.count" is (vm eu.west, count).  When no section
 * matches, the split is at the first '.': "policy.idle_tax" is (policy, idle_tax).
 * Override entries have line 0 and are appended after the file's entries, or replace
 * the value (and line) of the existing entry.
 *
 * Ownership: a sim_ini_t owns every string it points to; sim_ini_destroy frees them.
 * Complexity: loading is O(n log n) in the number of entries (duplicate keys are
 * found by sorting, sections opened twice by a hash set); lookups are linear (scenarios
 * hold tens of entries; models/scenario.c groups [vm] sections by sorting, not lookups).
 */
#include "sim/err.h"
#include "sim/ini.h"
#include "sim/file.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ini.h>   /* inih */

#define SIM_INI_MAX_FILE (16 * 1024 * 1024)   /* bytes */

/* ---------------------------------------------------------------- helpers */


static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d != NULL) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* A new string: s[0..n) trimmed, runs of white space folded to one ' '.  NULL when
 * out of memory. */
static char *fold_space(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d == NULL)
        return NULL;
    size_t o = 0;
    int pending = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_space(s[i])) {
            pending = (o > 0);
            continue;
        }
        if (pending)
            d[o++] = ' ';
        pending = 0;
        d[o++] = s[i];
    }
    d[o] = '\0';
    return d;
}

/* Length of s[0..n) without an inline comment (';' after white space, inih's rule)
 * and without trailing white space. */
static size_t strip_comment(const char *s, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (s[i] == ';' && is_space(s[i - 1])) {
            n = i;
            break;
        }
    while (n > 0 && is_space(s[n - 1]))
        n--;
    return n;
}

/* Offset of the first invalid UTF-8 sequence in s[0..n), or n when it is valid.
 * Rejects overlong forms, surrogates (U+D800..U+DFFF) and code points > U+10FFFF. */
static size_t utf8_invalid_at(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len;
        uint32_t cp, min;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1F;
            min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
            min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
            min = 0x10000;
        } else {
            return i;
        }
        if (len > n - i)
            return i;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += len;
    }
    return n;
}

/* Append an entry (copies the strings).  Returns 0 or SIM_ENOMEM. */
static int entry_push(sim_ini_t *ini, const char *section, const char *key,
                      const char *value, int line)
{
    if (ini->count == ini->cap) {
        size_t cap = ini->cap ? 2 * ini->cap : 16;
        sim_ini_entry_t *e = realloc(ini->entries, cap * sizeof(*e));
        if (e == NULL)
            return SIM_ENOMEM;
        ini->entries = e;
        ini->cap = cap;
    }
    sim_ini_entry_t *e = &ini->entries[ini->count];
    e->section = strdup(section);
    e->key = strdup(key);
    e->value = strdup(value);
    e->line = line;
    if (e->section == NULL || e->key == NULL || e->value == NULL) {
        free(e->section);
        free(e->key);
        free(e->value);
        return SIM_ENOMEM;
    }
    ini->count++;
    return 0;
}

/* ---------------------------------------------------------------- the reader */

typedef struct section_seen {
    char *name;
    int line;
} section_seen_t;

/* State shared by read_line (inih's reader) and on_entry (inih's handler). */
typedef struct reader {
    sim_ini_t *ini;
    const char *text;          /* the file text, len bytes (may hold NULs) */
    size_t len, pos;           /* pos: start of the next line */
    int lineno;                /* lines handed to inih so far = line being parsed */
    const char *section;       /* current section (folded; owned by `seen`), NULL before the first */
    int in_expect;             /* current section's kind is "expect" */
    section_seen_t *seen;      /* every section header, in order */
    size_t nseen, capseen;
    size_t *slot, nslot;       /* hash set over seen (index + 1; 0 = empty), nslot a power of 2 */
    int nomem;                 /* out of memory: stop adding, report SIM_ENOMEM */
    int err_line;              /* line of the first error found here, 0 = none */
    char msg[SIM_ERR_MAX];     /* its message */
} reader_t;

static void reader_error(reader_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reader_error(reader_t *r, const char *fmt, ...)
{
    if (r->err_line != 0)
        return;                 /* keep the first (earliest) one */
    r->err_line = r->lineno;
    int n = snprintf(r->msg, sizeof(r->msg), "%s:%d: ", r->ini->path, r->lineno);
    if (n < 0 || (size_t)n >= sizeof(r->msg))
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg + n, sizeof(r->msg) - (size_t)n, fmt, ap);
    va_end(ap);
}

/* The section headers seen so far are also kept in an open-addressing hash set (FNV-1a,
 * linear probing, at most half full), so that "opened twice" is found in constant time:
 * a linear scan made 20,000 [vm gN] sections take 44 s to load (issue 15). */
static size_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (size_t)h;
}

/* The index in r->seen of name, or SIZE_MAX. */
static size_t seen_find(const reader_t *r, const char *name)
{
    if (r->nslot == 0)
        return SIZE_MAX;
    for (size_t h = hash_name(name) & (r->nslot - 1); r->slot[h]; h = (h + 1) & (r->nslot - 1))
        if (strcmp(r->seen[r->slot[h] - 1].name, name) == 0)
            return r->slot[h] - 1;
    return SIZE_MAX;
}

/* Enter r->seen[i] into the set (growing it first when half full); -1 out of memory. */
static int seen_add(reader_t *r, size_t i)
{
    if (2 * (r->nseen + 1) > r->nslot) {
        size_t n = r->nslot ? 2 * r->nslot : 64;
        size_t *t = calloc(n, sizeof *t);
        if (t == NULL)
            return -1;
        free(r->slot);
        r->slot = t;
        r->nslot = n;
        for (size_t k = 0; k < r->nseen; k++)
            if (k != i) {
                size_t h = hash_name(r->seen[k].name) & (n - 1);
                while (t[h])
                    h = (h + 1) & (n - 1);
                t[h] = k + 1;
            }
    }
    size_t h = hash_name(r->seen[i].name) & (r->nslot - 1);
    while (r->slot[h])
        h = (h + 1) & (r->nslot - 1);
    r->slot[h] = i + 1;
    return 0;
}

/* A section header line s[0..n), s[0] == '['. */
static void parse_section(reader_t *r, const char *s, size_t n)
{
    const char *close = memchr(s, ']', n);
    if (close == NULL) {
        reader_error(r, "syntax error: section header '%.*s' has no closing ']'",
                     (int)(n > 60 ? 60 : n), s);
        return;
    }
    const char *rest = close + 1, *end = s + n;
    while (rest < end && is_space(*rest))
        rest++;
    if (rest < end && *rest != ';') {
        reader_error(r, "syntax error: unexpected text '%.*s' after section header",
                     (int)(end - rest > 40 ? 40 : end - rest), rest);
        return;
    }
    for (const char *p = s + 1; p < close; p++) {
        unsigned char c = (unsigned char)*p;
        if (strchr("[;=${}", c) != NULL || (c < 0x20 && !is_space((char)c)) || c == 0x7f) {
            reader_error(r, "syntax error: character '%c' is not allowed in a section name",
                         c >= 0x20 && c != 0x7f ? c : '?');
            return;
        }
    }
    char *name = fold_space(s + 1, (size_t)(close - s - 1));
    if (name == NULL) {
        r->nomem = 1;
        return;
    }
    if (name[0] == '\0') {
        free(name);
        reader_error(r, "syntax error: empty section name '[]'");
        return;
    }
    size_t twice = seen_find(r, name);
    if (twice != SIZE_MAX) {
        reader_error(r, "section [%s] is opened twice (first at line %d)", name,
                     r->seen[twice].line);
        free(name);
        return;
    }
    if (r->nseen == r->capseen) {
        size_t cap = r->capseen ? 2 * r->capseen : 8;
        section_seen_t *a = realloc(r->seen, cap * sizeof(*a));
        if (a == NULL) {
            free(name);
            r->nomem = 1;
            return;
        }
        r->seen = a;
        r->capseen = cap;
    }
    r->seen[r->nseen].name = name;
    r->seen[r->nseen].line = r->lineno;
    r->nseen++;
    if (seen_add(r, r->nseen - 1) != 0) {
        r->nomem = 1;
        return;
    }
    r->section = name;
    r->in_expect = strcmp(name, "expect") == 0 || strncmp(name, "expect ", 7) == 0;
}

/* In an [expect] section: is s[0..n) (comment stripped) an expectation rather than an
 * assignment?  It is unless its first '=' is plain (not in <=, >=, ==, !=). */
static int is_expectation(const char *s, size_t n)
{
    const char *eq = memchr(s, '=', n);
    if (eq == NULL)
        return 1;
    if (eq > s && strchr("<>!=", eq[-1]) != NULL)
        return 1;
    if (eq + 1 < s + n && eq[1] == '=')
        return 1;
    return 0;
}

/* inih's reader (fgets-like): one whole line per call, or NULL at the end. */
static char *read_line(char *buf, int num, void *stream)
{
    reader_t *r = stream;
    if (r->pos >= r->len)
        return NULL;
    const char *s = r->text + r->pos;
    const char *nl = memchr(s, '\n', r->len - r->pos);
    size_t n = nl ? (size_t)(nl - s) : r->len - r->pos;
    r->pos += n + (nl != NULL);
    r->lineno++;
    buf[0] = '\0';              /* what inih sees for lines handled here */
    if (n > 0 && s[n - 1] == '\r')
        n--;
    if (r->lineno == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
        s += 3;
        n -= 3;
    }
    if (r->nomem)
        return buf;

    if (n > SIM_INI_MAX_LINE || n + 1 > (size_t)num) {
        reader_error(r, "line too long (%zu bytes; the limit is %d): split it or shorten the value",
                     n, SIM_INI_MAX_LINE);
        return buf;
    }
    const char *nul = memchr(s, '\0', n);
    if (nul != NULL) {
        reader_error(r, "NUL byte at column %zu: a scenario file must be text",
                     (size_t)(nul - s) + 1);
        return buf;
    }
    size_t bad = utf8_invalid_at((const unsigned char *)s, n);
    if (bad < n) {
        reader_error(r, "invalid UTF-8 at column %zu: save the file as UTF-8", bad + 1);
        return buf;
    }

    while (n > 0 && is_space(*s)) {   /* no indented continuation lines for inih */
        s++;
        n--;
    }
    if (n == 0 || *s == ';' || *s == '#')
        return buf;
    if (*s == '[') {
        parse_section(r, s, n);
        return buf;
    }
    size_t m = strip_comment(s, n);
    if (r->section != NULL && r->in_expect && is_expectation(s, m)) {
        char key[32];
        snprintf(key, sizeof(key), "#%d", r->lineno);
        char *value = dup_n(s, m);
        if (value == NULL || entry_push(r->ini, r->section, key, value, r->lineno) != 0)
            r->nomem = 1;
        free(value);
        return buf;
    }
    const char *eq = memchr(s, '=', m), *colon = memchr(s, ':', m);
    if (eq == NULL && colon != NULL) {
        reader_error(r, "syntax error: use '=' between key and value, got '%.*s'",
                     (int)(m > 60 ? 60 : m), s);
        return buf;
    }
    if (eq == NULL) {
        reader_error(r, "syntax error: expected 'key = value', '[section]' or a comment, got '%.*s'",
                     (int)(m > 60 ? 60 : m), s);
        return buf;
    }
    if (colon != NULL && colon < eq) {
        size_t kn = (size_t)(eq - s);
        while (kn > 0 && is_space(s[kn - 1]))
            kn--;
        reader_error(r, "syntax error: ':' in key '%.*s' (use 'key = value')",
                     (int)(kn > 60 ? 60 : kn), s);
        return buf;
    }
    if (eq == s) {
        reader_error(r, "syntax error: empty key before '='");
        return buf;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    return buf;
}

/* inih's handler: one call per key = value line the reader passed on.  Returns 1, or
 * 0 for an error (inih then remembers this line as an error). */
static int on_entry(void *user, const char *section, const char *name, const char *value)
{
    reader_t *r = user;
    (void)section;              /* ours is not truncated at 49 bytes and is folded */
    if (r->nomem)
        return 0;
    if (r->section == NULL) {
        reader_error(r, "key '%s' is outside any section (add a [section] line above it)", name);
        return 0;
    }
    if (entry_push(r->ini, r->section, name, value, r->lineno) != 0) {
        r->nomem = 1;
        return 0;
    }
    return 1;
}

/* ---------------------------------------------------------------- duplicates */

static int cmp_entry(const void *a, const void *b)
{
    const sim_ini_entry_t *x = *(const sim_ini_entry_t *const *)a;
    const sim_ini_entry_t *y = *(const sim_ini_entry_t *const *)b;
    int c = strcmp(x->section, y->section);
    if (c == 0)
        c = strcmp(x->key, y->key);
    if (c == 0)
        c = (x->line > y->line) - (x->line < y->line);
    return c;
}

/* Find the duplicate key whose second occurrence has the smallest line.  Returns
 * that line (0 = none) with a message, or -1 when out of memory. */
static int find_duplicate(const sim_ini_t *ini, char *msg, size_t msglen)
{
    if (ini->count < 2)
        return 0;
    const sim_ini_entry_t **by = malloc(ini->count * sizeof(*by));
    if (by == NULL)
        return -1;
    for (size_t i = 0; i < ini->count; i++)
        by[i] = &ini->entries[i];
    qsort(by, ini->count, sizeof(*by), cmp_entry);
    const sim_ini_entry_t *best = NULL, *first = NULL;
    for (size_t i = 1; i < ini->count; i++) {
        const sim_ini_entry_t *a = by[i - 1], *b = by[i];
        if (strcmp(a->section, b->section) == 0 && strcmp(a->key, b->key) == 0 &&
            (best == NULL || b->line < best->line)) {
            best = b;
            first = a;
        }
    }
    free(by);
    if (best == NULL)
        return 0;
    snprintf(msg, msglen, "%s:%d: duplicate key '%s' in section [%s] (first set at line %d)",
             ini->path, best->line, best->key, best->section, first->line);
    return best->line;
}

/* ---------------------------------------------------------------- loading */

/* Parse text[0..len) (may hold NULs, which are reported) named `name`. */
static int load_text(const char *name, const char *text, size_t len, sim_ini_t **out,
                     char *err, size_t errlen)
{
    *out = NULL;
    sim_ini_t *ini = calloc(1, sizeof(*ini));
    if (ini == NULL)
        goto nomem;
    ini->path = strdup(name);
    ini->text = dup_n(text, len);
    if (ini->path == NULL || ini->text == NULL)
        goto nomem;

    reader_t r;
    memset(&r, 0, sizeof(r));
    r.ini = ini;
    r.text = text;
    r.len = len;
    int rc = ini_parse_stream(read_line, &r, on_entry, &r);
    for (size_t i = 0; i < r.nseen; i++)
        free(r.seen[i].name);
    free(r.seen);
    free(r.slot);
    if (r.nomem || rc == -2)
        goto nomem;

    char dup_msg[SIM_ERR_MAX];
    int dup_line = find_duplicate(ini, dup_msg, sizeof(dup_msg));
    if (dup_line < 0)
        goto nomem;

    /* Report the error on the earliest line.  inih's own errors (rc > 0) are lines
     * the reader let through that inih still refused; the reader checks those lines,
     * so this is a fallback with a generic message. */
    int line = 0;
    const char *msg = NULL;
    char inih_msg[SIM_ERR_MAX];
    if (r.err_line > 0) {
        line = r.err_line;
        msg = r.msg;
    }
    if (dup_line > 0 && (line == 0 || dup_line < line)) {
        line = dup_line;
        msg = dup_msg;
    }
    if (rc > 0 && (line == 0 || rc < line)) {
        snprintf(inih_msg, sizeof(inih_msg), "%s:%d: syntax error", ini->path, rc);
        line = rc;
        msg = inih_msg;
    }
    if (msg != NULL) {
        sim_set_err(err, errlen, "%s", msg);
        sim_ini_destroy(ini);
        return SIM_EINPUT;
    }
    *out = ini;
    return 0;

nomem:
    sim_ini_destroy(ini);
    sim_set_err(err, errlen, "%s: out of memory while reading the scenario", name);
    return SIM_ENOMEM;
}

int sim_ini_load_string(const char *name, const char *text, sim_ini_t **out, char *err, size_t errlen)
{
    assert(text != NULL && out != NULL);
    return load_text(name ? name : "<string>", text, strlen(text), out, err, errlen);
}

int sim_ini_load_file(const char *path, sim_ini_t **out, char *err, size_t errlen)
{
    assert(path != NULL && out != NULL);
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0) {
        sim_set_err(err, errlen, "cannot open scenario '%s': %s", path, strerror(errno));
        return SIM_EINPUT;
    }
    if (S_ISDIR(st.st_mode)) {
        sim_set_err(err, errlen, "cannot read scenario '%s': it is a directory", path);
        return SIM_EINPUT;
    }
    /* A regular file only: a FIFO is refused rather than waited on, a device rather than
     * read (tests/bad/073, 084). */
    char why[512];
    FILE *f = sim_open_regular(path, "a scenario", why, sizeof why);
    if (f == NULL) {
        sim_set_err(err, errlen, "cannot read scenario: %s", why);
        return SIM_EINPUT;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    if (buf == NULL) {
        fclose(f);
        sim_set_err(err, errlen, "%s: out of memory while reading the scenario", path);
        return SIM_ENOMEM;
    }
    for (;;) {
        if (len > SIM_INI_MAX_FILE) {
            free(buf);
            fclose(f);
            sim_set_err(err, errlen, "scenario '%s' is larger than %d MiB: is it really a scenario?",
                    path, SIM_INI_MAX_FILE / (1024 * 1024));
            return SIM_EINPUT;
        }
        if (len == cap) {
            char *b = realloc(buf, 2 * cap);
            if (b == NULL) {
                free(buf);
                fclose(f);
                sim_set_err(err, errlen, "%s: out of memory while reading the scenario", path);
                return SIM_ENOMEM;
            }
            buf = b;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        int e = errno;
        free(buf);
        fclose(f);
        sim_set_err(err, errlen, "cannot read scenario '%s': %s", path, strerror(e));
        return SIM_EIO;
    }
    fclose(f);
    int rc = load_text(path, buf, len, out, err, errlen);
    free(buf);
    return rc;
}

void sim_ini_destroy(sim_ini_t *ini)
{
    if (ini == NULL)
        return;
    for (size_t i = 0; i < ini->count; i++) {
        free(ini->entries[i].section);
        free(ini->entries[i].key);
        free(ini->entries[i].value);
    }
    free(ini->entries);
    free(ini->path);
    free(ini->text);
    free(ini);
}

sim_ini_t *sim_ini_clone(const sim_ini_t *ini)
{
    assert(ini != NULL);
    sim_ini_t *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->path = strdup(ini->path ? ini->path : "<string>");
    c->text = strdup(ini->text ? ini->text : "");
    if (c->path == NULL || c->text == NULL)
        goto fail;
    for (size_t i = 0; i < ini->count; i++) {
        const sim_ini_entry_t *e = &ini->entries[i];
        if (entry_push(c, e->section, e->key, e->value, e->line) != 0)
            goto fail;
    }
    return c;
fail:
    sim_ini_destroy(c);
    return NULL;
}

/* ---------------------------------------------------------------- access */

const sim_ini_entry_t *sim_ini_find(const sim_ini_t *ini, const char *section, const char *key)
{
    assert(ini != NULL && section != NULL && key != NULL);
    for (size_t i = 0; i < ini->count; i++)
        if (strcmp(ini->entries[i].section, section) == 0 && strcmp(ini->entries[i].key, key) == 0)
            return &ini->entries[i];
    return NULL;
}

const char *sim_ini_get(const sim_ini_t *ini, const char *section, const char *key)
{
    const sim_ini_entry_t *e = sim_ini_find(ini, section, key);
    return e ? e->value : NULL;
}

int sim_ini_set(sim_ini_t *ini, const char *section, const char *key, const char *value, int line)
{
    assert(ini != NULL && section != NULL && key != NULL && value != NULL);
    sim_ini_entry_t *e = (sim_ini_entry_t *)sim_ini_find(ini, section, key);
    if (e == NULL)
        return entry_push(ini, section, key, value, line);
    char *v = strdup(value);
    if (v == NULL)
        return SIM_ENOMEM;
    free(e->value);
    e->value = v;
    e->line = line;
    return 0;
}

static int has_control(const char *s)
{
    for (; *s; s++)
        if (((unsigned char)*s < 0x20 && !is_space(*s)) || *s == 0x7f)
            return 1;
    return 0;
}

int sim_ini_apply_override(sim_ini_t *ini, const char *assignment, char *err, size_t errlen)
{
    assert(ini != NULL && assignment != NULL);
    const char *eq = strchr(assignment, '=');
    if (eq == NULL) {
        sim_set_err(err, errlen, "--set '%s': expected section.key=value (no '=')", assignment);
        return SIM_EINPUT;
    }
    char *lhs = fold_space(assignment, (size_t)(eq - assignment));
    if (lhs == NULL)
        goto nomem;

    /* The longest section of the scenario that is followed by '.' and a key. */
    size_t best = 0;
    for (size_t i = 0; i < ini->count; i++) {
        size_t n = strlen(ini->entries[i].section);
        if (n > best && strncmp(lhs, ini->entries[i].section, n) == 0 && lhs[n] == '.' &&
            lhs[n + 1] != '\0')
            best = n;
    }
    if (best == 0) {
        const char *dot = strchr(lhs, '.');
        if (dot == NULL) {
            sim_set_err(err, errlen, "--set '%s': expected section.key=value (no '.' between section and key)",
                    assignment);
            free(lhs);
            return SIM_EINPUT;
        }
        best = (size_t)(dot - lhs);
    }
    lhs[best] = '\0';
    char *section = fold_space(lhs, best);     /* drops a space before the '.' */
    char *key = fold_space(lhs + best + 1, strlen(lhs + best + 1));
    const char *v = eq + 1;
    size_t vn = strlen(v);
    while (vn > 0 && is_space(v[vn - 1]))
        vn--;
    while (vn > 0 && is_space(*v)) {
        v++;
        vn--;
    }
    char *value = dup_n(v, vn);
    free(lhs);
    int rc = 0;
    if (section == NULL || key == NULL || value == NULL) {
        rc = SIM_ENOMEM;
    } else if (section[0] == '\0') {
        sim_set_err(err, errlen, "--set '%s': empty section name before '.'", assignment);
        rc = SIM_EINPUT;
    } else if (key[0] == '\0') {
        sim_set_err(err, errlen, "--set '%s': empty key after '.'", assignment);
        rc = SIM_EINPUT;
    } else if (section[strcspn(section, "[];=${}")] != '\0' || has_control(section)) {
        /* the same rule as a section header in a file (rule 4): `[vm a;b]` is refused */
        unsigned char c = (unsigned char)section[strcspn(section, "[];=${}")];
        sim_set_err(err, errlen, "--set '%s': character '%c' is not allowed in a section name", assignment,
                    c >= 0x20 && c != 0x7f ? c : '?');
        rc = SIM_EINPUT;
    } else {
        rc = sim_ini_set(ini, section, key, value, 0);
    }
    free(section);
    free(key);
    free(value);
    if (rc == SIM_ENOMEM)
        goto nomem;
    return rc;
nomem:
    sim_set_err(err, errlen, "--set '%s': out of memory", assignment);
    return SIM_ENOMEM;
}
