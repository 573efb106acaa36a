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

/* Running out of memory is the one failure with its own exit status (3, docs/language.md
 * §8.2). Every allocation failure in the runtime is reported with the words "out of memory"
 * in the format of rt_error or io_errf (io_file.h), which count it here; a driver compares
 * the count before and after a run to tell a lack of memory from other failures. */
void rt_error_note_oom(void);
unsigned rt_error_oom_count(void);
/* Counts fmt as an out-of-memory report when it says so (for the two formatters above). */
void rt_error_note_if_oom(const char *fmt);

#endif
