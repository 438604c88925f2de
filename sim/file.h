/*
 * sim/file.h -- input and output files, safely (issue 15).
 *
 *   - sim_open_regular: open an input (scenario, trace) for reading only if it is a
 *     regular file; a FIFO is refused without waiting for a writer, a device without
 *     reading it.
 *   - sim_same_file: whether two paths name one file (same st_dev and st_ino: another
 *     name, a hard link or a symlink), so that a command never writes over its input;
 *     sim_in_dir: whether a path lies directly in a directory (an input directory).
 *   - sim_rewrite_file: replace the text of an existing file (check --update-fingerprints)
 *     as an editor would: the file a symlink names is edited, its mode kept.
 */
#ifndef SIM_FILE_H
#define SIM_FILE_H

#include <stdio.h>
#include <stddef.h>

/* fopen(path, "r") of a regular file, or NULL with "PATH: WHY" in err.  what names the
 * file's role in the message ("a trace", "a scenario"). */
FILE *sim_open_regular(const char *path, const char *what, char *err, size_t errlen);
/* 1 when a and b exist and are the same file, 0 otherwise (a missing file is no one's). */
int sim_same_file(const char *a, const char *b);
/* 1 when path's parent directory exists and is the directory dir (same st_dev and st_ino),
 * 0 otherwise. */
int sim_in_dir(const char *path, const char *dir);
/* Replace the contents of the existing regular file path with data[0..n).  A symlink is
 * followed: its target is edited and the link stays.  The target keeps its mode (and its
 * owner and group when permitted).  The new text goes to a temporary file in the target's
 * directory, flushed, then renamed over the target, so that a crash leaves the old text or
 * the new one, never half; a target with other hard links is rewritten in place instead,
 * so that every name sees the edit.  0, or SIM_EIO with "PATH: WHY" in err (the temporary
 * file is removed). */
int sim_rewrite_file(const char *path, const char *data, size_t n, char *err, size_t errlen);

#endif
