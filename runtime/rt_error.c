/* Runtime error reporting: one thread-local message and an optional process-wide handler. */
#include "rt_error.h"

#include <stdarg.h>
#include <stdio.h>

/* Thread-local so that worker threads reporting at once cannot garble each other's text. */
static _Thread_local char last_msg[512];
static rt_error_fn handler;
static void *handler_user;

void rt_error_set_handler(rt_error_fn fn, void *user) {
    handler = fn;
    handler_user = user;
}

void rt_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_msg, sizeof last_msg, fmt, ap);
    va_end(ap);
    if (handler)
        handler(last_msg, handler_user);
}

const char *rt_error_last(void) { return last_msg; }
