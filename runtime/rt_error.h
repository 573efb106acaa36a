/* Runtime error reporting: public rt_ functions validate their arguments at the boundary and
 * report failures through this one hook; kernels (k_) below trust their inputs. */
#ifndef QNN_RT_ERROR_H
#define QNN_RT_ERROR_H

/* Called with every formatted message; `user` is the pointer given at registration. */
typedef void (*rt_error_fn)(const char *msg, void *user);

/* Installs a handler (NULL restores the default, which only records the message). Process-wide:
 * set it once before starting threads. */
void rt_error_set_handler(rt_error_fn fn, void *user);

/* Formats and records a message (per thread), then calls the handler. */
void rt_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* The calling thread's last message, or "" when none. */
const char *rt_error_last(void);

#endif
