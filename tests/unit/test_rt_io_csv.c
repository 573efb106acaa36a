/* Tests of io_csv: exact round trips, header detection, the dialect's tolerances (CRLF,
 * blanks, comments, quotes) and FILE:LINE:COLUMN errors. */
#include "testutil.h"

#include "io_csv.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes text to test_tmpdir/name and returns the path. */
static const char *put(const char *name, const char *text) {
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", test_tmpdir, name);
    FILE *f = fopen(buf[k], "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return buf[k];
}

static void test_round_trip_is_exact(void **state) {
    (void)state;
    char err[256];
    const char *names[3] = {"x", "y", "value"};
    double d[6] = {0.1, -1.0 / 3.0, 1e-300, -0.0, 6.02214076e23, 4.9e-324};
    const char *p = put("t.csv", "");
    assert_int_equal(io_csv_write(p, names, d, 2, 3, err, sizeof err), 0);
    io_csv t;
    assert_int_equal(io_csv_read(p, IO_CSV_HEADER_AUTO, &t, err, sizeof err), 0);
    assert_int_equal(t.rows, 2);
    assert_int_equal(t.cols, 3);
    assert_non_null(t.names);
    assert_string_equal(t.names[2], "value");
    assert_memory_equal(t.data, d, sizeof d); /* bit for bit, -0 included */
    assert_int_equal(io_csv_find(&t, "y"), 1);
    assert_int_equal(io_csv_find(&t, "z"), -1);
    size_t idx[2] = {2, 0};
    double sel[4];
    assert_int_equal(io_csv_columns(&t, idx, 2, sel, err, sizeof err), 0);
    assert_true(sel[0] == d[2] && sel[1] == d[0] && sel[2] == d[5] && sel[3] == d[3]);
    idx[0] = 3;
    assert_int_equal(io_csv_columns(&t, idx, 2, sel, err, sizeof err), -1);
    io_csv_free(&t);
    /* Without a header. */
    assert_int_equal(io_csv_write(p, NULL, d, 3, 2, err, sizeof err), 0);
    assert_int_equal(io_csv_read(p, IO_CSV_HEADER_AUTO, &t, err, sizeof err), 0);
    assert_null(t.names);
    assert_int_equal(t.rows, 3);
    assert_memory_equal(t.data, d, sizeof d);
    assert_int_equal(io_csv_find(&t, "x"), -1);
    io_csv_free(&t);
}

static void test_dialect(void **state) {
    (void)state;
    char err[256];
    io_csv t;
    const char *p = put("d.csv", "# coordinates then value\r\n\"t\", \"amp\"\r\n\r\n -1 , 0.5\r\n"
                                 "  \n# comment\n1e0,\"-2.5\"\n0x10,-0");
    assert_int_equal(io_csv_read(p, IO_CSV_HEADER_AUTO, &t, err, sizeof err), 0);
    assert_int_equal(t.rows, 3);
    assert_string_equal(t.names[0], "t");
    assert_string_equal(t.names[1], "amp");
    assert_true(t.data[0] == -1.0 && t.data[1] == 0.5 && t.data[2] == 1.0 && t.data[3] == -2.5);
    assert_true(t.data[4] == 16.0 && t.data[5] == 0.0 && signbit(t.data[5]));
    io_csv_free(&t);
    /* A numeric first row is data unless the caller says it is a header. */
    p = put("n.csv", "1,2\n3,4\n");
    assert_int_equal(io_csv_read(p, IO_CSV_HEADER_YES, &t, err, sizeof err), 0);
    assert_int_equal(t.rows, 1);
    assert_string_equal(t.names[1], "2");
    io_csv_free(&t);
    assert_int_equal(io_csv_read(p, IO_CSV_HEADER_AUTO, &t, err, sizeof err), 0);
    assert_int_equal(t.rows, 2);
    io_csv_free(&t);
    p = put("one.csv", "42");
    assert_int_equal(io_csv_read(p, IO_CSV_HEADER_NO, &t, err, sizeof err), 0);
    assert_int_equal(t.rows, 1);
    assert_int_equal(t.cols, 1);
    io_csv_free(&t);
}

static void expect_error(const char *text, io_csv_header h, const char *msg_tail) {
    char err[256] = "";
    io_csv t;
    const char *p = put("e.csv", text);
    assert_int_equal(io_csv_read(p, h, &t, err, sizeof err), -1);
    assert_null(t.data);
    size_t n = strlen(p);
    if (strncmp(err, p, n) != 0 || strcmp(err + n, msg_tail) != 0)
        fail_msg("got '%s', want '%s%s'", err, p, msg_tail);
}

static void test_errors_name_line_and_column(void **state) {
    (void)state;
    expect_error("x,y\n1,2\n3, abc\n", IO_CSV_HEADER_AUTO, ":3:4: expected a number, got 'abc'");
    expect_error("x,y\n1,2\n3,4,5\n", IO_CSV_HEADER_AUTO, ":3: expected 2 fields, got 3");
    expect_error("1,2\n3\n", IO_CSV_HEADER_AUTO, ":2: expected 2 fields, got 1");
    expect_error("1,,2\n", IO_CSV_HEADER_NO, ":1:3: empty field, expected a number");
    expect_error("x,y\n", IO_CSV_HEADER_NO, ":1:1: expected a number, got 'x'");
    expect_error("\"x,y\n1,2\n", IO_CSV_HEADER_AUTO, ":1:1: malformed quoted field");
    expect_error("a,\"b\"c\"\n", IO_CSV_HEADER_AUTO, ":1:3: malformed quoted field");
    expect_error("x,y\n", IO_CSV_HEADER_AUTO, ": no data rows");
    expect_error("", IO_CSV_HEADER_AUTO, ": no data rows");
    expect_error("# only a comment\n\n", IO_CSV_HEADER_AUTO, ": no data rows");
    expect_error("1,2\n1e999,3\n", IO_CSV_HEADER_AUTO, ":2:1: expected a number, got '1e999'");
    expect_error("1\n2.5.3\n", IO_CSV_HEADER_AUTO, ":2:1: expected a number, got '2.5.3'");
    char err[256] = "";
    io_csv t;
    char missing[600];
    snprintf(missing, sizeof missing, "%s/none.csv", test_tmpdir);
    assert_int_equal(io_csv_read(missing, IO_CSV_HEADER_AUTO, &t, err, sizeof err), -1);
    assert_non_null(strstr(err, missing));
    /* A long bad field is shown shortened. */
    char text[200];
    memset(text, 'z', 100);
    text[100] = 0;
    expect_error(text, IO_CSV_HEADER_NO,
                 ":1:1: expected a number, got 'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz...'");
}

/* D12: NaN or infinity in the data is refused at load with the file, line, column and row,
 * instead of surfacing as a "diverged" loss blamed on the learning rate. */
static void test_non_finite_values_refused(void **state) {
    (void)state;
    expect_error("t,v\n0,1\n1,nan\n", IO_CSV_HEADER_AUTO,
                 ":3:3: NaN is not a finite number (row 2 of the data)");
    expect_error("0,1\n-inf,2\n", IO_CSV_HEADER_NO,
                 ":2:1: infinity is not a finite number (row 2 of the data)");
    expect_error("0,\"Infinity\"\n", IO_CSV_HEADER_NO,
                 ":1:3: infinity is not a finite number (row 1 of the data)");
    expect_error("0,NAN(123)\n", IO_CSV_HEADER_NO,
                 ":1:3: NaN is not a finite number (row 1 of the data)");
    /* a terminal escape or a lone carriage return in a field is not echoed raw */
    expect_error("1,\x1b[31mred\n", IO_CSV_HEADER_NO, ":1:3: expected a number, got '?[31mred'");
    expect_error("1,2\r3\n", IO_CSV_HEADER_NO, ":1:3: expected a number, got '2?3'");
}

/* Files spreadsheets and scripts write: a byte-order mark, ragged rows, a header alone. */
static void test_bom_ragged_and_empty(void **state) {
    (void)state;
    char err[256] = "";
    io_csv t;
    const char *p = put("bom.csv", "\xEF\xBB\xBFx,y\n1,2\n");
    assert_int_equal(io_csv_read(p, IO_CSV_HEADER_AUTO, &t, err, sizeof err), 0);
    assert_string_equal(t.names[0], "x");
    assert_int_equal(t.rows, 1);
    io_csv_free(&t);
    p = put("bomnum.csv", "\xEF\xBB\xBF" "1,2\n3,4\n");
    assert_int_equal(io_csv_read(p, IO_CSV_HEADER_NO, &t, err, sizeof err), 0);
    assert_int_equal(t.rows, 2);
    assert_true(t.data[0] == 1.0);
    io_csv_free(&t);
    expect_error("\xEF\xBB\xBF", IO_CSV_HEADER_AUTO, ": no data rows");
    expect_error("x,y\n1,2\n3\n4,5\n", IO_CSV_HEADER_AUTO, ":3: expected 2 fields, got 1");
    expect_error("x,y\n1,2,\n", IO_CSV_HEADER_AUTO, ":2: expected 2 fields, got 3");
    expect_error("x,y\r\n", IO_CSV_HEADER_YES, ": no data rows");
    /* A row of 70000 empty fields: refused by count, before the field list is built. */
    size_t wide = 70000;
    char *many = malloc(wide + 1);
    assert_non_null(many);
    memset(many, ',', wide);
    many[wide] = 0;
    expect_error(many, IO_CSV_HEADER_NO, ":1: more than 65536 fields in a row");
    free(many);
    /* A FIFO is refused at once instead of blocking the loader (D8). */
    char fifo[600];
    snprintf(fifo, sizeof fifo, "%s/pipe.csv", test_tmpdir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(io_csv_read(fifo, IO_CSV_HEADER_AUTO, &t, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a regular file"));
}

static void test_writer_errors(void **state) {
    (void)state;
    char err[256];
    double d[2] = {1, 2};
    const char *bad[2] = {"ok", "a,b"};
    char p[600];
    snprintf(p, sizeof p, "%s/w.csv", test_tmpdir);
    assert_int_equal(io_csv_write(p, bad, d, 1, 2, err, sizeof err), -1);
    assert_non_null(strstr(err, "column name 1"));
    assert_int_equal(io_csv_write(p, NULL, d, 1, 0, err, sizeof err), -1);
    snprintf(p, sizeof p, "%s/no/w.csv", test_tmpdir);
    assert_int_equal(io_csv_write(p, NULL, d, 1, 2, err, sizeof err), -1);
    assert_non_null(strstr(err, p));
    DIR *dir = opendir(test_tmpdir);
    struct dirent *e;
    while ((e = readdir(dir))) assert_null(strstr(e->d_name, ".tmp."));
    closedir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip_is_exact, test_tmp_setup, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_dialect, test_tmp_setup, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_errors_name_line_and_column, test_tmp_setup,
                                        test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_non_finite_values_refused, test_tmp_setup,
                                        test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_bom_ragged_and_empty, test_tmp_setup, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_writer_errors, test_tmp_setup, test_tmp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
