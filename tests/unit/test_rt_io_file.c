/* Tests of io_file: atomic writes (and that a failed one leaves no temporary file), mkdir -p
 * and bounded whole-file reads. */
#include "testutil.h"

#include "io_file.h"

#include <dirent.h>
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
    /* The target is a non-empty folder: creating the temporary works, the rename fails. */
    const char *target = test_tmp_path("busy");
    assert_int_equal(io_mkdir_p(test_tmp_path("busy/inner"), err, sizeof err), 0);
    assert_int_equal(io_write_file_atomic(target, "data", 4, err, sizeof err), -1);
    assert_non_null(strstr(err, target));
    assert_non_null(strstr(err, "cannot replace"));
    assert_int_equal(count_names(test_tmpdir, ".tmp."), 0);
    struct stat st;
    assert_int_equal(stat(test_tmp_path("busy/inner"), &st), 0);
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
    assert_non_null(strstr(err, "not a regular file"));
    const char *big = test_tmp_path("big.txt");
    assert_int_equal(io_write_file_atomic(big, "0123456789", 10, err, sizeof err), 0);
    assert_int_equal(io_read_file(big, 9, &got, &len, err, sizeof err), -1);
    assert_non_null(strstr(err, "too large"));
    /* A NULL error buffer is allowed. */
    assert_int_equal(io_read_file(p, 100, &got, &len, NULL, 0), -1);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
