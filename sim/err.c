/*
 * sim/err.c -- the one error formatter.  See sim/err.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include "sim/err.h"

void sim_set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}
