/* io_file: atomic writes (temporary file + fsync + rename), mkdir -p and bounded reads, on
 * which every io_ writer and reader is built. */
#include "io_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "rt_error.h"

void io_errf(char *err, size_t errlen, const char *fmt, ...) {
    rt_error_note_if_oom(fmt);
    if (!err || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}
static char *dup_str(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* Distinguishes temporary names made by threads of one process; O_EXCL does the rest. */
static atomic_uint tmp_counter;

int io_check_output_target(const char *path, char *err, size_t errlen) {
    if (!path || !*path) {
        io_errf(err, errlen, "(no file name): cannot write an unnamed file");
        return -1;
    }
    if (path[strlen(path) - 1] == '/') {
        io_errf(err, errlen, "%s: is a folder name, not a file name", path);
        return -1;
    }
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT) return 0; /* a new file */
        io_errf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        return -1;
    }
    if (S_ISREG(st.st_mode)) return 0;
    const char *what = S_ISDIR(st.st_mode)   ? "a folder"
                       : S_ISLNK(st.st_mode) ? "a symbolic link"
                       : S_ISFIFO(st.st_mode) ? "a FIFO"
                       : S_ISSOCK(st.st_mode) ? "a socket"
                       : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
                                                                      : "not a regular file";
    io_errf(err, errlen, "%s: exists and is %s; outputs only replace regular files", path, what);
    return -1;
}

/* Longest base name kept in a temporary name: with ".", ".tmp.", a pid and a counter it stays
 * under NAME_MAX (255) however long the target's own name is. */
enum { TMP_BASE_MAX = 200 };

int io_atomic_open(io_atomic *a, const char *path, char *err, size_t errlen) {
    memset(a, 0, sizeof *a);
    a->fd = -1;
    if (io_check_output_target(path, err, errlen) != 0) return -1;
    size_t n = strlen(path);
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    const char *base = path + dirlen;
    size_t cap = n + 64;
    a->path = dup_str(path);
    a->tmp = malloc(cap);
    if (!a->path || !a->tmp) {
        io_errf(err, errlen, "%s: out of memory", path);
        io_atomic_abort(a);
        return -1;
    }
    for (int attempt = 0; attempt < 100; attempt++) {
        unsigned k = atomic_fetch_add(&tmp_counter, 1u);
        snprintf(a->tmp, cap, "%.*s.%.*s.tmp.%ld.%u", (int)dirlen, path, (int)TMP_BASE_MAX, base,
                 (long)getpid(), k);
        /* 0666 so that the file gets the permissions of an ordinary new file (less umask). */
        a->fd = open(a->tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
        if (a->fd >= 0 || errno != EEXIST) break;
    }
    if (a->fd < 0) {
        io_errf(err, errlen, "%s: cannot create a temporary file beside it: %s", path,
                strerror(errno));
        free(a->tmp);
        a->tmp = NULL; /* nothing was created: abort must not unlink */
        io_atomic_abort(a);
        return -1;
    }
    a->fp = fdopen(a->fd, "wb");
    if (!a->fp) {
        io_errf(err, errlen, "%s: cannot open a stream: %s", path, strerror(errno));
        io_atomic_abort(a);
        return -1;
    }
    return 0;
}

static void release(io_atomic *a) {
    free(a->path);
    free(a->tmp);
    a->path = a->tmp = NULL;
    a->fp = NULL;
    a->fd = -1;
}

void io_atomic_abort(io_atomic *a) {
    if (!a) return;
    if (a->fp) fclose(a->fp);
    else if (a->fd >= 0) close(a->fd);
    if (a->tmp) unlink(a->tmp);
    release(a);
}

/* fsyncs the folder holding path so that the rename itself survives a crash; folders that
 * cannot be opened or synced (some file systems) are not an error: the data is safe. */
static void sync_parent(const char *path) {
    const char *slash = strrchr(path, '/');
    char *dir = NULL;
    if (slash) {
        size_t n = slash == path ? 1 : (size_t)(slash - path);
        dir = malloc(n + 1);
        if (!dir) return;
        memcpy(dir, path, n);
        dir[n] = 0;
    }
    int fd = open(dir ? dir : ".", O_RDONLY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

int io_atomic_commit(io_atomic *a, char *err, size_t errlen) {
    if (!a->tmp) {
        io_errf(err, errlen, "%s: write was already finished or abandoned",
                a->path ? a->path : "(unknown)");
        release(a);
        return -1;
    }
    const char *what = NULL;
    int e = 0;
    if (a->fp && fflush(a->fp) != 0) what = "cannot write", e = errno;
    else if (a->fp && ferror(a->fp)) what = "cannot write", e = EIO;
    else if (fsync(a->fd) != 0) what = "cannot sync", e = errno;
    int rc = a->fp ? fclose(a->fp) : close(a->fd);
    a->fp = NULL;
    a->fd = -1;
    if (!what && rc != 0) what = "cannot close", e = errno;
    if (!what && rename(a->tmp, a->path) != 0) what = "cannot replace", e = errno;
    if (what) {
        io_errf(err, errlen, "%s: %s: %s", a->path, what, strerror(e));
        unlink(a->tmp);
        release(a);
        return -1;
    }
    sync_parent(a->path);
    release(a);
    return 0;
}

int io_write_file_atomic(const char *path, const void *data, size_t len, char *err,
                         size_t errlen) {
    io_atomic a;
    if (io_atomic_open(&a, path, err, errlen) != 0) return -1;
    if (len > 0 && fwrite(data, 1, len, a.fp) != len) {
        io_errf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        io_atomic_abort(&a);
        return -1;
    }
    return io_atomic_commit(&a, err, errlen);
}

int io_mkdir_p(const char *path, char *err, size_t errlen) {
    if (!path || !*path) {
        io_errf(err, errlen, "(no folder name): cannot create an unnamed folder");
        return -1;
    }
    char *p = dup_str(path);
    if (!p) {
        io_errf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    /* Create each prefix ending before a '/', then the whole path. */
    for (char *s = p + 1;; s++) {
        int last = *s == 0;
        if (*s != '/' && !last) continue;
        char saved = *s;
        *s = 0;
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            io_errf(err, errlen, "%s: cannot create folder %s: %s", path, p, strerror(errno));
            free(p);
            return -1;
        }
        struct stat st;
        if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
            io_errf(err, errlen, "%s: %s exists and is not a folder", path, p);
            free(p);
            return -1;
        }
        *s = saved;
        if (last) break;
        while (s[1] == '/') s++; /* "a//b" */
        if (s[1] == 0) break;    /* trailing slash */
    }
    free(p);
    return 0;
}

int io_mkdir_parent(const char *path, char *err, size_t errlen) {
    const char *slash = path ? strrchr(path, '/') : NULL;
    if (!slash || slash == path) return 0;
    size_t n = (size_t)(slash - path);
    char *dir = malloc(n + 1);
    if (!dir) {
        io_errf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    memcpy(dir, path, n);
    dir[n] = 0;
    int rc = io_mkdir_p(dir, err, errlen);
    free(dir);
    return rc;
}

int io_check_writable_folder(const char *dir, char *err, size_t errlen) {
    if (io_mkdir_p(dir, err, errlen)) return -1;
    char *probe = malloc(strlen(dir) + 64);
    if (!probe) {
        io_errf(err, errlen, "%s: out of memory", dir);
        return -1;
    }
    int fd = -1;
    for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
        snprintf(probe, strlen(dir) + 64, "%s/.qnn-probe.%ld.%u", dir, (long)getpid(),
                 atomic_fetch_add(&tmp_counter, 1u));
        fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) {
        io_errf(err, errlen, "%s: cannot write into this folder: %s", dir, strerror(errno));
        free(probe);
        return -1;
    }
    close(fd);
    unlink(probe);
    free(probe);
    return 0;
}

char *io_path_join(const char *dir, const char *name) {
    if (name[0] == '/' || !dir || !dir[0]) return dup_str(name);
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", name);
    return p;
}

FILE *io_fopen_input(const char *path, char *err, size_t errlen) {
    if (!path || !*path) {
        io_errf(err, errlen, "(no file name): cannot read an unnamed file");
        return NULL;
    }
    /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        io_errf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        io_errf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        io_errf(err, errlen, "%s: %s", path,
                S_ISDIR(st.st_mode) ? "is a folder, not a file" : "not a regular file");
        close(fd);
        return NULL;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        io_errf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        close(fd);
    }
    return f;
}

int io_read_file(const char *path, size_t max_bytes, unsigned char **data, size_t *len,
                 char *err, size_t errlen) {
    *data = NULL;
    *len = 0;
    FILE *f = io_fopen_input(path, err, errlen);
    if (!f) return -1;
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        io_errf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        fclose(f);
        return -1;
    }
    if ((uintmax_t)st.st_size > (uintmax_t)max_bytes) {
        io_errf(err, errlen, "%s: file is too large (%jd bytes, at most %zu)", path,
                (intmax_t)st.st_size, max_bytes);
        fclose(f);
        return -1;
    }
    size_t n = (size_t)st.st_size;
    unsigned char *buf = malloc(n + 1);
    if (!buf) {
        io_errf(err, errlen, "%s: out of memory for %zu bytes", path, n);
        fclose(f);
        return -1;
    }
    size_t got = fread(buf, 1, n, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || got != n) {
        io_errf(err, errlen, "%s: read error (got %zu of %zu bytes)", path, got, n);
        free(buf);
        return -1;
    }
    buf[n] = 0;
    *data = buf;
    *len = n;
    return 0;
}
