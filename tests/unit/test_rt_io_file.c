/* Tests of io_file: atomic writes (and that a failed one leaves no temporary file), the output
 * policy (devices, FIFOs, links, folders refused), long names, inputs that never block,
 * writable-folder probes, mkdir -p and bounded whole-file reads. */
#include "testutil.h"

#include "io_file.h"
#include "rt_error.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

/* A fresh folder under /tmp for one test, removed (with what is in it) afterwards. */
/* Number of entries in folder dir whose name contains needle. */
static int count_names(const char *dir, const char *needle) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, needle)) n++;
    closedir(d);
    return n;
}

static void test_write_read_round_trip(void **state) {
    (void)state;
    char err[256];
    const char *p = test_tmp_path("a.bin");
    const char data[] = "hello\0world";
    assert_int_equal(io_write_file_atomic(p, data, sizeof data, err, sizeof err), 0);
    unsigned char *got;
    size_t len;
    assert_int_equal(io_read_file(p, 1 << 20, &got, &len, err, sizeof err), 0);
    assert_int_equal(len, sizeof data);
    assert_memory_equal(got, data, sizeof data);
    assert_int_equal(got[len], 0); /* NUL past the end, for text parsers */
    free(got);
    /* Overwriting replaces the whole file. */
    assert_int_equal(io_write_file_atomic(p, "xy", 2, err, sizeof err), 0);
    assert_int_equal(io_read_file(p, 1 << 20, &got, &len, err, sizeof err), 0);
    assert_int_equal(len, 2);
    assert_memory_equal(got, "xy", 2);
    free(got);
    /* An empty file is fine too. */
    assert_int_equal(io_write_file_atomic(p, NULL, 0, err, sizeof err), 0);
    assert_int_equal(io_read_file(p, 1 << 20, &got, &len, err, sizeof err), 0);
    assert_int_equal(len, 0);
    free(got);
    assert_int_equal(count_names(test_tmpdir, ".tmp."), 0);
}

static void test_permissions_follow_umask(void **state) {
    (void)state;
    char err[256];
    mode_t old = umask(022);
    const char *p = test_tmp_path("perm.txt");
    assert_int_equal(io_write_file_atomic(p, "x", 1, err, sizeof err), 0);
    umask(old);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
}

static void test_failed_rename_leaves_no_temporary(void **state) {
    (void)state;
    char err[256] = "";
    /* The temporary file disappears before the commit: the rename fails, and the target is
     * left as it was. */
    const char *target = test_tmp_path("gone.txt");
    io_atomic a;
    assert_int_equal(io_atomic_open(&a, target, err, sizeof err), 0);
    fputs("data", a.fp);
    assert_int_equal(unlink(a.tmp), 0);
    assert_int_equal(io_atomic_commit(&a, err, sizeof err), -1);
    assert_non_null(strstr(err, target));
    assert_non_null(strstr(err, "cannot replace"));
    assert_int_equal(count_names(test_tmpdir, ".tmp."), 0);
    struct stat st;
    assert_int_not_equal(stat(target, &st), 0);
}

static void test_missing_folder_is_reported(void **state) {
    (void)state;
    char err[256] = "";
    const char *p = test_tmp_path("no/such/folder/x.txt");
    assert_int_equal(io_write_file_atomic(p, "data", 4, err, sizeof err), -1);
    assert_non_null(strstr(err, p));
    assert_int_equal(count_names(test_tmpdir, ".tmp."), 0);
    /* A folder name is not a file name. */
    assert_int_equal(io_write_file_atomic(test_tmp_path("dir/"), "x", 1, err, sizeof err), -1);
    assert_int_equal(io_write_file_atomic("", "x", 1, err, sizeof err), -1);
}

static void test_abort_keeps_old_content(void **state) {
    (void)state;
    char err[256];
    const char *p = test_tmp_path("keep.txt");
    assert_int_equal(io_write_file_atomic(p, "old", 3, err, sizeof err), 0);
    io_atomic a;
    assert_int_equal(io_atomic_open(&a, p, err, sizeof err), 0);
    assert_int_equal(count_names(test_tmpdir, ".tmp."), 1);
    fputs("half-written new content", a.fp);
    io_atomic_abort(&a);
    io_atomic_abort(&a); /* harmless twice */
    assert_int_equal(count_names(test_tmpdir, ".tmp."), 0);
    /* Committing an abandoned write is an error, not a crash. */
    assert_int_equal(io_atomic_commit(&a, err, sizeof err), -1);
    unsigned char *got;
    size_t len;
    assert_int_equal(io_read_file(p, 100, &got, &len, err, sizeof err), 0);
    assert_int_equal(len, 3);
    assert_memory_equal(got, "old", 3);
    free(got);
}

static void test_atomic_through_descriptor(void **state) {
    (void)state;
    char err[256];
    const char *p = test_tmp_path("fd.txt");
    io_atomic a;
    assert_int_equal(io_atomic_open(&a, p, err, sizeof err), 0);
    assert_int_equal(write(a.fd, "abc", 3), 3);
    /* Until the commit the target does not exist. */
    struct stat st;
    assert_int_not_equal(stat(p, &st), 0);
    assert_int_equal(io_atomic_commit(&a, err, sizeof err), 0);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_size, 3);
}

static void test_mkdir_p(void **state) {
    (void)state;
    char err[256] = "";
    struct stat st;
    assert_int_equal(io_mkdir_p(test_tmp_path("a/b//c/"), err, sizeof err), 0);
    assert_int_equal(stat(test_tmp_path("a/b/c"), &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(io_mkdir_p(test_tmp_path("a/b/c"), err, sizeof err), 0); /* exists: fine */
    assert_int_equal(io_write_file_atomic(test_tmp_path("a/file"), "x", 1, err, sizeof err), 0);
    assert_int_equal(io_mkdir_p(test_tmp_path("a/file/d"), err, sizeof err), -1);
    assert_non_null(strstr(err, "not a folder"));
    assert_int_equal(io_mkdir_p("", err, sizeof err), -1);
    assert_int_equal(io_mkdir_parent(test_tmp_path("p/q/out.png"), err, sizeof err), 0);
    assert_int_equal(stat(test_tmp_path("p/q"), &st), 0);
    assert_int_equal(io_mkdir_parent("bare-name.png", err, sizeof err), 0);
}

static void test_read_errors(void **state) {
    (void)state;
    char err[256] = "";
    unsigned char *got;
    size_t len;
    const char *p = test_tmp_path("missing.txt");
    assert_int_equal(io_read_file(p, 100, &got, &len, err, sizeof err), -1);
    assert_non_null(strstr(err, p));
    assert_null(got);
    assert_int_equal(io_read_file(test_tmpdir, 100, &got, &len, err, sizeof err), -1);
    assert_non_null(strstr(err, "is a folder"));
    const char *big = test_tmp_path("big.txt");
    assert_int_equal(io_write_file_atomic(big, "0123456789", 10, err, sizeof err), 0);
    assert_int_equal(io_read_file(big, 9, &got, &len, err, sizeof err), -1);
    assert_non_null(strstr(err, "too large"));
    /* A NULL error buffer is allowed. */
    assert_int_equal(io_read_file(p, 100, &got, &len, NULL, 0), -1);
}

/* Reads the whole file p into buf (at most n - 1 bytes), NUL-terminated; its length. */
static long slurp(const char *p, char *buf, size_t n) {
    FILE *f = fopen(p, "rb");
    if (!f) return -1;
    size_t got = fread(buf, 1, n - 1, f);
    fclose(f);
    buf[got] = 0;
    return (long)got;
}

/* The output policy (io_check_output_target, applied by io_atomic_open): whatever is not a
 * new name or a regular file is refused with the reason, and left exactly as it was. */
static void test_output_policy_refuses_special_files(void **state) {
    (void)state;
    char err[512] = "", buf[64];
    struct stat st;
    /* A device: as root, a rename over /dev/null would replace it with a regular file. */
    assert_int_equal(io_write_file_atomic("/dev/null", "png", 3, err, sizeof err), -1);
    assert_non_null(strstr(err, "/dev/null"));
    assert_non_null(strstr(err, "a device"));
    assert_int_equal(stat("/dev/null", &st), 0);
    assert_true(S_ISCHR(st.st_mode));
    assert_int_equal(count_names("/dev", ".null.tmp."), 0);
    /* A FIFO. */
    const char *fifo = test_tmp_path("fifo");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(io_write_file_atomic(fifo, "x", 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "a FIFO"));
    assert_int_equal(lstat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    /* A symbolic link to a regular file: neither the link nor the file it names changes. */
    const char *file = test_tmp_path("real.txt"), *link = test_tmp_path("link.txt");
    assert_int_equal(io_write_file_atomic(file, "original", 8, err, sizeof err), 0);
    assert_int_equal(symlink(file, link), 0);
    assert_int_equal(io_write_file_atomic(link, "replaced", 8, err, sizeof err), -1);
    assert_non_null(strstr(err, "a symbolic link"));
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(slurp(file, buf, sizeof buf), 8);
    assert_string_equal(buf, "original");
    /* A dangling link too: writing would create whatever it points at. */
    const char *dangling = test_tmp_path("dangling");
    assert_int_equal(symlink(test_tmp_path("nowhere"), dangling), 0);
    assert_int_equal(io_write_file_atomic(dangling, "x", 1, err, sizeof err), -1);
    assert_int_not_equal(lstat(test_tmp_path("nowhere"), &st), 0);
    /* A folder, with or without a trailing slash. */
    const char *dir = test_tmp_path("folder");
    assert_int_equal(io_mkdir_p(dir, err, sizeof err), 0);
    assert_int_equal(io_check_output_target(dir, err, sizeof err), -1);
    assert_non_null(strstr(err, "a folder"));
    assert_int_equal(io_check_output_target(test_tmp_path("folder/"), err, sizeof err), -1);
    assert_int_equal(stat(dir, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    /* New names and regular files are fine; nothing was left behind. */
    assert_int_equal(io_check_output_target(test_tmp_path("new.png"), err, sizeof err), 0);
    assert_int_equal(io_check_output_target(file, err, sizeof err), 0);
    assert_int_equal(io_check_output_target("", err, sizeof err), -1);
    assert_int_equal(count_names(test_tmpdir, ".tmp."), 0);
}

/* Names up to NAME_MAX (255 bytes): the temporary name beside them stays under it. */
static void test_long_names_write(void **state) {
    (void)state;
    char err[512] = "";
    for (int len = 240; len <= 255; len += 5) {
        char name[256];
        memset(name, 'n', (size_t)len);
        memcpy(name + len - 4, ".png", 4);
        name[len] = 0;
        char *p = io_path_join(test_tmpdir, name);
        assert_non_null(p);
        assert_int_equal(io_write_file_atomic(p, "abc", 3, err, sizeof err), 0);
        struct stat st;
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_size, 3);
        /* And once more over the existing file. */
        assert_int_equal(io_write_file_atomic(p, "abcd", 4, err, sizeof err), 0);
        free(p);
    }
    assert_int_equal(count_names(test_tmpdir, ".tmp."), 0);
}

static void on_alarm(int sig) {
    (void)sig;
    static const char msg[] = "io_fopen_input blocked on a FIFO\n";
    (void)!write(2, msg, sizeof msg - 1);
    _exit(1);
}

/* Opening a FIFO for reading waits for a writer forever unless told not to: an input that is
 * a FIFO is refused at once. The alarm turns a hang into a failure. */
static void test_fifo_input_does_not_block(void **state) {
    (void)state;
    char err[512] = "";
    const char *fifo = test_tmp_path("in.fifo");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    signal(SIGALRM, on_alarm);
    alarm(5);
    FILE *f = io_fopen_input(fifo, err, sizeof err);
    assert_null(f);
    assert_non_null(strstr(err, fifo));
    assert_non_null(strstr(err, "not a regular file"));
    unsigned char *got;
    size_t len;
    assert_int_equal(io_read_file(fifo, 100, &got, &len, err, sizeof err), -1);
    /* A device is no input either (it would never end, or never start). */
    assert_null(io_fopen_input("/dev/zero", err, sizeof err));
    alarm(0);
    signal(SIGALRM, SIG_DFL);
}

/* A folder is probed for writing before a run starts: created when missing, refused when
 * files cannot be created in it. */
static void test_writable_folder(void **state) {
    (void)state;
    char err[512] = "";
    const char *dir = test_tmp_path("new/nested/out");
    assert_int_equal(io_check_writable_folder(dir, err, sizeof err), 0);
    struct stat st;
    assert_int_equal(stat(dir, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(count_names(dir, ".qnn-probe"), 0); /* the probe is gone */
    /* A file is no folder. */
    const char *file = test_tmp_path("plain");
    assert_int_equal(io_write_file_atomic(file, "x", 1, err, sizeof err), 0);
    assert_int_equal(io_check_writable_folder(file, err, sizeof err), -1);
    /* A read-only folder: chmod works unless we are root (who writes anyway); then a folder
     * of sysfs, which nobody can create files in. */
    const char *ro = test_tmp_path("readonly");
    assert_int_equal(io_mkdir_p(ro, err, sizeof err), 0);
    assert_int_equal(chmod(ro, 0555), 0);
    if (access(ro, W_OK) != 0) {
        assert_int_equal(io_check_writable_folder(ro, err, sizeof err), -1);
        assert_non_null(strstr(err, ro));
    } else if (stat("/sys/kernel", &st) == 0) {
        assert_int_equal(io_check_writable_folder("/sys/kernel", err, sizeof err), -1);
        assert_non_null(strstr(err, "/sys/kernel: cannot write into this folder"));
    }
    chmod(ro, 0755);
}

static void test_path_join(void **state) {
    (void)state;
    char *p = io_path_join("out/a", "fit.png");
    assert_string_equal(p, "out/a/fit.png");
    free(p);
    p = io_path_join("out/a/", "fit.png");
    assert_string_equal(p, "out/a/fit.png");
    free(p);
    p = io_path_join("out/a", "/abs/fit.png"); /* absolute names are used as they are */
    assert_string_equal(p, "/abs/fit.png");
    free(p);
    p = io_path_join("", "fit.png");
    assert_string_equal(p, "fit.png");
    free(p);
    /* No length limit of its own. */
    char *long_dir = malloc(5000);
    memset(long_dir, 'd', 4999);
    long_dir[4999] = 0;
    p = io_path_join(long_dir, "x");
    assert_int_equal(strlen(p), 5001);
    free(p);
    free(long_dir);
}

/* io_errf counts a lack of memory (the format says so) for the exit status 3. */
static void test_out_of_memory_is_counted(void **state) {
    (void)state;
    char err[128];
    unsigned before = rt_error_oom_count();
    io_errf(err, sizeof err, "%s: cannot write", "x");
    assert_int_equal(rt_error_oom_count(), before);
    io_errf(err, sizeof err, "%s: cannot write", "out of memory.png"); /* a name, not a fact */
    assert_int_equal(rt_error_oom_count(), before);
    io_errf(err, sizeof err, "%s: out of memory", "x");
    assert_int_equal(rt_error_oom_count(), before + 1);
    rt_error("layer %d: out of memory for %zu bytes", 3, (size_t)1 << 40);
    assert_int_equal(rt_error_oom_count(), before + 2);
    io_errf(NULL, 0, "out of memory"); /* counted even when nobody reads the message */
    assert_int_equal(rt_error_oom_count(), before + 3);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_write_read_round_trip, test_tmp_setup, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_permissions_follow_umask, test_tmp_setup, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_failed_rename_leaves_no_temporary, test_tmp_setup,
                                        test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_missing_folder_is_reported, test_tmp_setup, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_abort_keeps_old_content, test_tmp_setup, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_atomic_through_descriptor, test_tmp_setup, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_mkdir_p, test_tmp_setup, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_read_errors, test_tmp_setup, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_output_policy_refuses_special_files, test_tmp_setup,
                                        test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_long_names_write, test_tmp_setup, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_fifo_input_does_not_block, test_tmp_setup,
                                        test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_writable_folder, test_tmp_setup, test_tmp_teardown),
        cmocka_unit_test(test_path_join),
        cmocka_unit_test(test_out_of_memory_is_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
