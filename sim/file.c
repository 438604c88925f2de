/*
 * sim/file.c -- input and output files, safely.  See file.h.
 *
 * An input is opened with O_NONBLOCK so that open(2) of a FIFO returns at once instead
 * of waiting for a writer; fstat then refuses anything that is not a regular file, and
 * O_NONBLOCK is cleared before reading (it has no effect on regular files anyway).
 *
 * sim_rewrite_file writes NAME's new text to ".NAME.XXXXXX" beside the file a symlink
 * names (mkstemp: never an existing file), copies the mode (fchmod) and, when permitted,
 * the owner (fchown), fsyncs and renames it over that file: rename(2) is atomic, so a
 * crash leaves either text.  rename would give other hard links the old text, so a file
 * with st_nlink > 1 is rewritten through its own descriptor instead (write, ftruncate,
 * fsync): every name sees the edit, at the price of atomicity.
 */
#include "sim/file.h"
#include "sim/types.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *kind(mode_t m)
{
    return S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO" :
           S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device" :
           S_ISSOCK(m) ? "a socket" : "a special file";
}

FILE *sim_open_regular(const char *path, const char *what, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file (%s): %s must be a file", path,
                 kind(st.st_mode), what);
        close(fd);
        return NULL;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        close(fd);
    }
    return f;
}

int sim_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int sim_in_dir(const char *path, const char *dir)
{
    char *copy = strdup(path);
    if (!copy)
        return 0;
    int in = sim_same_file(dirname(copy), dir);
    free(copy);
    return in;
}

/* write(2) all of data[0..n) to fd: 0, or -1 with errno. */
static int write_all(int fd, const char *data, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, data, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        data += w;
        n -= (size_t)w;
    }
    return 0;
}

/* A target with other hard links: rewrite it through its own descriptor. */
static int rewrite_in_place(const char *real, const char *data, size_t n, char *err, size_t errlen)
{
    int fd = open(real, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write_all(fd, data, n) || ftruncate(fd, (off_t)n) || fsync(fd)) {
        snprintf(err, errlen, "%s: cannot write: %s", real, strerror(errno));
        if (fd >= 0)
            close(fd);
        return SIM_EIO;
    }
    if (close(fd)) {
        snprintf(err, errlen, "%s: cannot write: %s", real, strerror(errno));
        return SIM_EIO;
    }
    return SIM_OK;
}

/* Write data to a temporary file beside real with st's mode and owner, then rename it over real. */
static int rewrite_by_rename(const char *real, const struct stat *st, const char *data, size_t n, char *err,
                             size_t errlen)
{
    char *dcopy = strdup(real), *bcopy = strdup(real), *tmp = NULL;
    int rc = SIM_EIO, fd = -1;
    size_t len = strlen(real) + 16;
    if (!dcopy || !bcopy || !(tmp = malloc(len))) {
        snprintf(err, errlen, "%s: out of memory", real);
        goto out;
    }
    snprintf(tmp, len, "%s/.%s.XXXXXX", dirname(dcopy), basename(bcopy));
    if ((fd = mkstemp(tmp)) < 0) {
        snprintf(err, errlen, "%s: cannot create a temporary file beside it: %s", real, strerror(errno));
        tmp[0] = '\0';
        goto out;
    }
    if (fchown(fd, st->st_uid, st->st_gid) != 0)
        (void)fchown(fd, (uid_t)-1, st->st_gid);       /* not permitted: keep at least the group if we can */
    if (fchmod(fd, st->st_mode & 07777) || write_all(fd, data, n) || fsync(fd)) {
        snprintf(err, errlen, "%s: cannot write: %s", tmp, strerror(errno));
        goto out;
    }
    int c = close(fd);
    fd = -1;
    if (c || rename(tmp, real)) {
        snprintf(err, errlen, "%s: cannot replace: %s", real, strerror(errno));
        goto out;
    }
    tmp[0] = '\0';
    rc = SIM_OK;
out:
    if (fd >= 0)
        close(fd);
    if (tmp && tmp[0])
        unlink(tmp);
    free(tmp);
    free(dcopy);
    free(bcopy);
    return rc;
}

int sim_rewrite_file(const char *path, const char *data, size_t n, char *err, size_t errlen)
{
    char *real = realpath(path, NULL);
    struct stat st;
    int rc = SIM_EIO;
    if (!real) {
        snprintf(err, errlen, "%s: cannot resolve: %s", path, strerror(errno));
        return SIM_EIO;
    }
    if (stat(real, &st) != 0)
        snprintf(err, errlen, "%s: cannot read: %s", real, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        snprintf(err, errlen, "%s: not a regular file (%s)", real, kind(st.st_mode));
    else if (st.st_nlink > 1)
        rc = rewrite_in_place(real, data, n, err, errlen);
    else
        rc = rewrite_by_rename(real, &st, data, n, err, errlen);
    free(real);
    return rc;
}
