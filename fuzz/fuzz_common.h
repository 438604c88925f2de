/*
 * fuzz/fuzz_common.h -- helpers shared by the libFuzzer harnesses (fuzz/fuzz_*.c).
 *
 * The harnesses drive the library exactly as the command line does, from bytes the
 * fuzzer chooses.  The loaders take file names, so an input is handed over as an
 * anonymous in-memory file (memfd_create) named by "/proc/self/fd/N": no disk I/O, no
 * clean-up, and the bytes (NULs included) reach the loader unchanged.
 *
 * Rule of every harness: any return code is fine except SIM_EINTERNAL (a bug the library
 * caught itself); crashes, sanitizer reports, leaks and timeouts are what libFuzzer finds.
 * Build and run: `make fuzz` (FUZZ_SECONDS per harness; see the Makefile).
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* A memfd holding data[0..size); its path in path (>= 32 bytes).  Returns the fd to
 * close, or -1 (then the input is skipped). */
static inline int fuzz_memfile(const uint8_t *data, size_t size, char *path, size_t pathlen)
{
    int fd = memfd_create("fuzz", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t off = 0;
    while (off < size) {
        ssize_t w = write(fd, data + off, size - off);
        if (w <= 0) {
            close(fd);
            return -1;
        }
        off += (size_t)w;
    }
    snprintf(path, pathlen, "/proc/self/fd/%d", fd);
    return fd;
}

/* A NUL-terminated copy of data[0..size) (the caller frees it). */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* A bug the library reported about itself is a finding too. */
#define FUZZ_NOT_INTERNAL(rc, err) do { \
        if ((rc) == SIM_EINTERNAL) { fprintf(stderr, "internal error: %s\n", (err)); abort(); } \
    } while (0)

#endif
