/* Runtime error reporting: one thread-local message and an optional process-wide handler. */
#include "rt_error.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

/* Thread-local so that worker threads reporting at once cannot garble each other's text. */
static _Thread_local char last_msg[512];
static rt_error_fn handler;
static void *handler_user;
static atomic_uint oom_count; /* atomic: worker threads report too */

void rt_error_set_handler(rt_error_fn fn, void *user) {
    handler = fn;
    handler_user = user;
}

void rt_error(const char *fmt, ...) {
    rt_error_note_if_oom(fmt);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_msg, sizeof last_msg, fmt, ap);
    va_end(ap);
    if (handler)
        handler(last_msg, handler_user);
}

const char *rt_error_last(void) { return last_msg; }

void rt_error_note_oom(void) { atomic_fetch_add(&oom_count, 1u); }

unsigned rt_error_oom_count(void) { return atomic_load(&oom_count); }

/* The format, not the formatted text: a file named "out of memory.png" is not a lack of it. */
void rt_error_note_if_oom(const char *fmt) {
    if (fmt && strstr(fmt, "out of memory")) rt_error_note_oom();
}
