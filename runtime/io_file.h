/* io_file: the runtime's file plumbing shared by every io_ module: atomic writes (a run that
 * is interrupted never leaves a half-written file behind), mkdir -p, bounded whole-file reads
 * and the error-message convention "FILE: what is wrong". */
#ifndef QNN_IO_FILE_H
#define QNN_IO_FILE_H
#include <stddef.h>
#include <stdio.h>

/* Errors: every io_ function returns 0 (or a pointer) on success and -1 (or NULL) on failure,
 * after writing one line naming the file into the caller's err[errlen] (err may be NULL). */
#if defined(__GNUC__)
#define IO_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define IO_PRINTF(f, a)
#endif
void io_errf(char *err, size_t errlen, const char *fmt, ...) IO_PRINTF(3, 4);

/* An atomic write in progress: data goes to a temporary file in the target's folder
 * (".NAME.tmp.PID.N"), which io_atomic_commit flushes, fsyncs and renames over the target.
 * Write through fp (stdio) or fd (for libraries that take a descriptor), not both. */
typedef struct {
    FILE *fp;    /* stdio stream on the temporary file */
    int fd;      /* its descriptor */
    char *path;  /* the target */
    char *tmp;   /* the temporary file */
} io_atomic;

/* The output policy, applied by io_atomic_open to every file the runtime writes (and by
 * `qnnc build` to its outputs): the target may be a new name or an existing regular file.
 * An existing folder, device, FIFO, socket or symbolic link is refused with the reason, so
 * that an output never replaces /dev/zero or whatever a link points at. */
int io_check_output_target(const char *path, char *err, size_t errlen);

/* Creates the temporary file for path (the folder must exist), after the policy above. */
int io_atomic_open(io_atomic *a, const char *path, char *err, size_t errlen);
/* Flushes, fsyncs and renames onto the target; on any failure removes the temporary file.
 * Either way *a is released. */
int io_atomic_commit(io_atomic *a, char *err, size_t errlen);
/* Closes and removes the temporary file; the target is untouched. Safe on a released *a. */
void io_atomic_abort(io_atomic *a);

/* Writes len bytes to path atomically. */
int io_write_file_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen);

/* Creates path and any missing parent folders (mode 0777 less the umask); an existing
 * folder is fine, an existing non-folder is an error. */
int io_mkdir_p(const char *path, char *err, size_t errlen);

/* Creates the folder that will hold the file path (nothing to do for a bare name). */
int io_mkdir_parent(const char *path, char *err, size_t errlen);

/* Creates folder dir (and its parents) and checks that files can be created in it by
 * creating and removing a probe file, so that a read-only folder is refused before a run
 * spends its time training rather than at its first write. */
int io_check_writable_folder(const char *dir, char *err, size_t errlen);

/* dir/name in a new string (free()); name itself when it is absolute or dir is empty.
 * NULL only when memory runs out. */
char *io_path_join(const char *dir, const char *name);

/* Opens path for reading only if it is a regular file: a FIFO or device is refused at once
 * (without blocking), a folder with "is a folder". Every reader of user files uses this. */
FILE *io_fopen_input(const char *path, char *err, size_t errlen);

/* Reads the whole regular file path into a new buffer (NUL-terminated one byte past *len,
 * for text parsers); refuses files larger than max_bytes. Free *data with free(). */
int io_read_file(const char *path, size_t max_bytes, unsigned char **data, size_t *len,
                 char *err, size_t errlen);
#endif
