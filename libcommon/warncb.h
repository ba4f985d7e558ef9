/*
 * warncb.h - warnings of the library engines (merge, conflicts): one line,
 * formatted here and handed to the caller's callback; the library prints
 * nothing itself.
 */
#ifndef TM_WARNCB_H
#define TM_WARNCB_H

#include "tmerr.h"

/* Receives one warning line, without the program name. */
typedef void (*warncb_fn)(void *arg, const char *msg);

/* Format a warning (at most 1 KiB) and pass it to fn(arg, ...); nothing when fn is NULL. */
void warncb_printf(warncb_fn fn, void *arg, const char *fmt, ...) TM_PRINTF(3, 4);

#endif
