/*
 * sim/file.h -- input and output files, safely (issue 15).
 *
 *   - sim_open_regular: open an input (scenario, trace) for reading only if it is a
 *     regular file; a FIFO is refused without waiting for a writer, a device without
 *     reading it.
 *   - sim_same_file: whether two paths name one file (same st_dev and st_ino: another
 *     name, a hard link or a symlink), so that a command never writes over its input.
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

#endif
