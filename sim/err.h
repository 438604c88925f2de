/*
 * sim/err.h -- the one error formatter (sim/err.c).  Every function that fails writes
 * one message into a caller-provided buffer (char *err, size_t errlen) and returns a
 * SIM_* code (sim/types.h); sim_set_err is how that message is written.
 */
#ifndef SIM_ERR_H
#define SIM_ERR_H

#include <stddef.h>

/* printf into err[errlen] (truncated, always terminated); does nothing when err is NULL
 * or errlen is 0. */
void sim_set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
