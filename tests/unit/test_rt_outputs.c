/* Tests of the output policy of a run (run_outputs_check, run_output.h) and of the batch that
 * applies it before training and turns a lack of memory into exit status 3 (run_batch.c):
 * names, `..`, links out of the folder, the run's inputs, duplicates, long paths. */
#include "testutil.h"

#include <sys/resource.h>
#include <sys/wait.h>

#include "io_file.h"
#include "qnn_runtime.h"
#include "rt_error.h"
#include "run_output.h"

/* A classical experiment (one linear layer, no circuit) on a 16-point CSV in the test's
 * folder: enough for rt_batch_run to train for real. */
static rt_layer_spec linear_layer = {.kind = RT_LAYER_LINEAR, .in = 1, .out = 1, .bias = 1};

static rt_experiment small_exp(void) {
    rt_experiment x;
    memset(&x, 0, sizeof x);
    snprintf(x.name, sizeof x.name, "tiny");
    snprintf(x.source, sizeof x.source, "%s", test_tmp_path("tiny.qnn"));
    x.data.kind = RT_DATA_CSV;
    snprintf(x.data.path, sizeof x.data.path, "%s", test_tmp_path("tiny.csv"));
    x.data.n_inputs = x.data.n_outputs = 1;
    x.data.header = 1;
    x.data.hi = 1, x.data.lo = -1;
    x.in_dim = x.out_dim = 1;
    x.optimizer = RT_OPT_ADAM;
    x.lr = 0.01, x.beta1 = 0.9, x.beta2 = 0.999, x.eps = 1e-8;
    x.epochs = 2;
    x.seed = 1;
    x.log_every = 1;
    x.precision = 64;
    x.threads = 1;
    x.metric_mse = x.metric_psnr = 1;
    snprintf(x.out_csv, sizeof x.out_csv, "fit.csv");
    x.n_layers = 1;
    x.layers = &linear_layer;
    return x;
}

static int setup(void **state) {
    if (test_tmp_setup(state)) return -1;
    char err[256], csv[1024] = "t,y\n";
    for (int i = 0; i < 16; i++)
        snprintf(csv + strlen(csv), sizeof csv - strlen(csv), "%g,%g\n", i / 8.0 - 1, i / 16.0);
    if (io_write_file_atomic(test_tmp_path("tiny.csv"), csv, strlen(csv), err, sizeof err)) return -1;
    return io_write_file_atomic(test_tmp_path("tiny.qnn"), "// source\n", 10, err, sizeof err);
}

/* run_outputs_check of x into folder `out` (under the test folder) must fail with `want` in
 * the message. */
static void refused(const rt_experiment *x, const rt_run_options *o, const char *out,
                    const char *want) {
    char err[4096] = "";
    const char *dir = test_tmp_path(out);
    if (run_outputs_check(x, o, dir, err, sizeof err) != -1) fail_msg("accepted; wanted `%s`", want);
    if (!strstr(err, want)) fail_msg("message `%s` lacks `%s`", err, want);
}

static void accepted(const rt_experiment *x, const rt_run_options *o, const char *out) {
    char err[4096] = "";
    if (run_outputs_check(x, o, test_tmp_path(out), err, sizeof err)) fail_msg("refused: %s", err);
}

static int count_probe_files_in(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strstr(e->d_name, ".qnn-probe") || strstr(e->d_name, ".tmp.")) n++;
    if (d) closedir(d);
    return n;
}

static void test_plain_outputs_are_accepted(void **state) {
    (void)state;
    rt_experiment x = small_exp();
    rt_run_options o = {0};
    snprintf(x.out_checkpoint, sizeof x.out_checkpoint, "model.safetensors");
    snprintf(x.out_report, sizeof x.out_report, "report");
    accepted(&x, &o, "out");
    struct stat st;
    assert_int_equal(stat(test_tmp_path("out"), &st), 0); /* created, and probed */
    assert_int_equal(count_probe_files_in(test_tmp_path("out")), 0);
    /* Sub-folders, "./", an absolute path elsewhere and the report as the folder itself. */
    snprintf(x.out_csv, sizeof x.out_csv, "./sub/deeper/fit.csv");
    snprintf(x.out_checkpoint, sizeof x.out_checkpoint, "%s", test_tmp_path("elsewhere/m.st"));
    snprintf(x.out_report, sizeof x.out_report, ".");
    accepted(&x, &o, "out");
    /* A folder of outputs that is a symbolic link: the user's choice, followed. */
    assert_int_equal(symlink(test_tmp_path("out"), test_tmp_path("out-link")), 0);
    accepted(&x, &o, "out-link");
}

static void test_dotdot_and_links_out_are_refused(void **state) {
    (void)state;
    rt_experiment x = small_exp();
    rt_run_options o = {0};
    snprintf(x.out_csv, sizeof x.out_csv, "../escape.csv");
    refused(&x, &o, "out", "`..` component");
    snprintf(x.out_csv, sizeof x.out_csv, "sub/../../escape.csv");
    refused(&x, &o, "out", "`..` component");
    snprintf(x.out_csv, sizeof x.out_csv, "fit.csv");
    snprintf(x.out_report, sizeof x.out_report, "..");
    refused(&x, &o, "out", "`..` component");
    struct stat st;
    assert_int_not_equal(stat(test_tmp_path("escape.csv"), &st), 0);
    /* A link inside the folder that leads out of it. */
    x.out_report[0] = 0;
    assert_int_equal(io_mkdir_p(test_tmp_path("out"), NULL, 0), 0);
    assert_int_equal(symlink(test_tmpdir, test_tmp_path("out/up")), 0);
    snprintf(x.out_csv, sizeof x.out_csv, "up/escape.csv");
    refused(&x, &o, "out", "outside the output folder");
    snprintf(x.out_report, sizeof x.out_report, "up");
    x.out_csv[0] = 0;
    refused(&x, &o, "out", "outside the output folder");
    /* ".." inside an absolute path is the user's explicit choice. */
    x.out_report[0] = 0;
    snprintf(x.out_csv, sizeof x.out_csv, "%s/out/../abs.csv", test_tmpdir);
    accepted(&x, &o, "out");
}

static void test_special_targets_are_refused_before_training(void **state) {
    (void)state;
    rt_experiment x = small_exp();
    rt_run_options o = {0};
    snprintf(x.out_csv, sizeof x.out_csv, "/dev/zero");
    refused(&x, &o, "out", "/dev/zero: exists and is a device");
    assert_int_equal(io_mkdir_p(test_tmp_path("out/folder"), NULL, 0), 0);
    snprintf(x.out_csv, sizeof x.out_csv, "folder");
    refused(&x, &o, "out", "is a folder");
    assert_int_equal(mkfifo(test_tmp_path("out/fifo.csv"), 0600), 0);
    snprintf(x.out_csv, sizeof x.out_csv, "fifo.csv");
    refused(&x, &o, "out", "is a FIFO");
    assert_int_equal(symlink(test_tmp_path("tiny.csv"), test_tmp_path("out/link.csv")), 0);
    snprintf(x.out_csv, sizeof x.out_csv, "link.csv");
    refused(&x, &o, "out", "is a symbolic link");
    /* The metrics log goes through the same policy. */
    snprintf(x.out_csv, sizeof x.out_csv, "fit.csv");
    assert_int_equal(mkfifo(test_tmp_path("out/metrics.jsonl"), 0600), 0);
    refused(&x, &o, "out", "metrics.jsonl: exists and is a FIFO");
    /* ... but an evaluation writes no metrics log. */
    o.eval_only = 1;
    accepted(&x, &o, "out");
    /* The report folder must be a folder. */
    o.eval_only = 0;
    assert_int_equal(io_mkdir_p(test_tmp_path("out2"), NULL, 0), 0);
    assert_int_equal(io_write_file_atomic(test_tmp_path("out2/rep"), "x", 1, NULL, 0), 0);
    snprintf(x.out_report, sizeof x.out_report, "rep");
    refused(&x, &o, "out2", "exists and is not a folder");
}

static void test_inputs_are_never_replaced(void **state) {
    (void)state;
    rt_experiment x = small_exp();
    rt_run_options o = {0};
    /* The source, relative to the folder or absolute. */
    snprintf(x.out_csv, sizeof x.out_csv, "tiny.qnn");
    refused(&x, &o, "", "would replace the experiment's source file");
    snprintf(x.out_csv, sizeof x.out_csv, "%s", test_tmp_path("tiny.qnn"));
    refused(&x, &o, "out", "would replace the experiment's source file");
    /* The data, found by the data search (a bare name next to the source). */
    snprintf(x.data.path, sizeof x.data.path, "tiny.csv");
    snprintf(x.out_csv, sizeof x.out_csv, "%s", test_tmp_path("tiny.csv"));
    refused(&x, &o, "out", "would replace the experiment's data file");
    /* A hard link to the data is the data. */
    assert_int_equal(link(test_tmp_path("tiny.csv"), test_tmp_path("hard.csv")), 0);
    snprintf(x.out_csv, sizeof x.out_csv, "%s", test_tmp_path("hard.csv"));
    refused(&x, &o, "out", "would replace the experiment's data file");
    /* The checkpoint resumed from, the one evaluated, an evaluation target. */
    snprintf(x.out_csv, sizeof x.out_csv, "fit.csv");
    assert_int_equal(io_mkdir_p(test_tmp_path("out"), NULL, 0), 0);
    assert_int_equal(io_write_file_atomic(test_tmp_path("out/model.st"), "x", 1, NULL, 0), 0);
    snprintf(x.out_checkpoint, sizeof x.out_checkpoint, "model.st");
    o.resume = test_tmp_path("out/model.st");
    accepted(&x, &o, "out"); /* the run's own checkpoint supersedes the one it resumed */
    snprintf(x.out_csv, sizeof x.out_csv, "model.st");
    snprintf(x.out_checkpoint, sizeof x.out_checkpoint, "other.st");
    refused(&x, &o, "out", "would replace the checkpoint it resumes from");
    snprintf(x.out_csv, sizeof x.out_csv, "fit.csv");
    snprintf(x.out_checkpoint, sizeof x.out_checkpoint, "model.st");
    o.resume = NULL;
    o.eval_only = 1;
    o.checkpoint = test_tmp_path("out/model.st");
    accepted(&x, &o, "out"); /* an evaluation writes no checkpoint */
    snprintf(x.out_csv, sizeof x.out_csv, "model.st");
    refused(&x, &o, "out", "would replace the checkpoint being evaluated");
    snprintf(x.out_csv, sizeof x.out_csv, "target.csv");
    assert_int_equal(io_write_file_atomic(test_tmp_path("out/target.csv"), "x", 1, NULL, 0), 0);
    o.target = test_tmp_path("out/target.csv");
    refused(&x, &o, "out", "would replace the evaluation target");
}

static void test_names_are_checked(void **state) {
    (void)state;
    rt_experiment x = small_exp();
    rt_run_options o = {0};
    snprintf(x.out_csv, sizeof x.out_csv, "fit\n.csv");
    refused(&x, &o, "out", "control character (byte 0x0a");
    snprintf(x.out_csv, sizeof x.out_csv, "fit\033[31m.csv");
    refused(&x, &o, "out", "control character (byte 0x1b");
    snprintf(x.out_csv, sizeof x.out_csv, "fit.csv");
    snprintf(x.out_report, sizeof x.out_report, "rep\x7f");
    refused(&x, &o, "out", "control character (byte 0x7f");
    x.out_report[0] = 0;
    refused(&x, &o, "out\tx", "output folder: the name has a control character");
    char err[256];
    assert_int_equal(run_outputs_check(&x, &o, "", err, sizeof err), -1);
    /* Two outputs, one file; a file where a folder is needed. */
    snprintf(x.out_checkpoint, sizeof x.out_checkpoint, "./fit.csv");
    refused(&x, &o, "out", "the csv output and the checkpoint output are the same file");
    snprintf(x.out_checkpoint, sizeof x.out_checkpoint, "%s", test_tmp_path("out/fit.csv"));
    refused(&x, &o, "out", "are the same file");
    x.out_checkpoint[0] = 0;
    snprintf(x.out_csv, sizeof x.out_csv, "metrics.jsonl");
    refused(&x, &o, "out", "the csv output and the metrics log are the same file");
    snprintf(x.out_csv, sizeof x.out_csv, "report");
    snprintf(x.out_report, sizeof x.out_report, "report");
    refused(&x, &o, "out", "the csv output and the report folder are the same file");
    snprintf(x.out_csv, sizeof x.out_csv, "report/index.html");
    refused(&x, &o, "out", "the csv output and the report file are the same file");
    snprintf(x.out_csv, sizeof x.out_csv, "a");
    snprintf(x.out_checkpoint, sizeof x.out_checkpoint, "a/model.st");
    refused(&x, &o, "out", "the csv output is a file where the checkpoint output needs a folder");
}

/* Paths up to the limit work; over it they are refused with the limit named (never cut). */
static void test_long_paths(void **state) {
    (void)state;
    rt_experiment x = small_exp();
    rt_run_options o = {0};
    /* A nested folder of 2000 bytes (components of 200): accepted and created in full. */
    char *dir = malloc(8192);
    snprintf(dir, 8192, "%s", test_tmpdir);
    while (strlen(dir) < 2000) {
        size_t n = strlen(dir);
        dir[n] = '/';
        memset(dir + n + 1, 'd', 199);
        dir[n + 200] = 0;
    }
    char err[8192] = "";
    assert_int_equal(run_outputs_check(&x, &o, dir, err, sizeof err), 0);
    struct stat st;
    assert_int_equal(stat(dir, &st), 0);
    /* An output name of 255 bytes in it. */
    memset(x.out_csv, 'n', 255);
    x.out_csv[255] = 0;
    assert_int_equal(run_outputs_check(&x, &o, dir, err, sizeof err), 0);
    x.out_csv[255] = 'n';
    x.out_csv[256] = 0;
    assert_int_equal(run_outputs_check(&x, &o, dir, err, sizeof err), -1);
    assert_non_null(strstr(err, "longer than 255 bytes (NAME_MAX)"));
    /* Folder over the limit. */
    snprintf(x.out_csv, sizeof x.out_csv, "fit.csv");
    while (strlen(dir) <= RUN_OUT_PATH_MAX) strcat(dir, "/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee");
    assert_int_equal(run_outputs_check(&x, &o, dir, err, sizeof err), -1);
    assert_non_null(strstr(err, "at most 4063 are supported"));
    /* Folder within, folder + name over. */
    dir[RUN_OUT_PATH_MAX - 20] = 0;
    if (dir[strlen(dir) - 1] == '/') dir[strlen(dir) - 1] = 0;
    memset(x.out_csv, 'n', 200);
    x.out_csv[200] = 0;
    assert_int_equal(run_outputs_check(&x, &o, dir, err, sizeof err), -1);
    assert_non_null(strstr(err, "the path of the csv output has"));
    free(dir);
}

/* rt_batch_run applies the policy before training: a refused output costs no epoch and leaves
 * no metrics log; a good run writes its outputs; statuses are 0, 1 and 3. */
static void test_batch_refuses_before_training(void **state) {
    (void)state;
    rt_experiment x = small_exp();
    rt_run_options o = {0};
    o.quiet = 1;
    snprintf(x.out_csv, sizeof x.out_csv, "/dev/zero");
    rt_batch *b = rt_batch_create(1, test_tmp_path("run"), &o);
    assert_non_null(b);
    assert_int_equal(rt_batch_run(b, &x, NULL), -1);
    assert_int_equal(rt_batch_finish(b), RT_EXIT_FAILED);
    struct stat st;
    assert_int_not_equal(stat(test_tmp_path("run/metrics.jsonl"), &st), 0);
    assert_int_equal(stat("/dev/zero", &st), 0);
    assert_true(S_ISCHR(st.st_mode));
    /* The same experiment with a plain name trains and writes. */
    snprintf(x.out_csv, sizeof x.out_csv, "fit.csv");
    b = rt_batch_create(1, test_tmp_path("run"), &o);
    assert_int_equal(rt_batch_run(b, &x, NULL), 0);
    assert_int_equal(rt_batch_finish(b), 0);
    assert_int_equal(stat(test_tmp_path("run/fit.csv"), &st), 0);
    assert_int_equal(stat(test_tmp_path("run/metrics.jsonl"), &st), 0);
    assert_int_equal(count_probe_files_in(test_tmp_path("run")), 0);
    /* Several experiments: one named like the comparison folder is refused. */
    rt_experiment y = small_exp();
    snprintf(y.name, sizeof y.name, "comparison");
    b = rt_batch_create(2, test_tmp_path("many"), &o);
    assert_int_equal(rt_batch_run(b, &x, NULL), 0);
    assert_int_equal(rt_batch_run(b, &y, NULL), -1);
    assert_int_equal(rt_batch_finish(b), RT_EXIT_FAILED);
    /* The same absolute output in two experiments (one --set outputs=[...] for all): the
     * second would replace the first's file, and is refused before it trains. */
    snprintf(x.out_csv, sizeof x.out_csv, "%s", test_tmp_path("shared.csv"));
    snprintf(y.name, sizeof y.name, "second");
    snprintf(y.out_csv, sizeof y.out_csv, "%s", test_tmp_path("./shared.csv"));
    b = rt_batch_create(2, test_tmp_path("many2"), &o);
    assert_int_equal(rt_batch_run(b, &x, NULL), 0);
    assert_int_equal(rt_batch_run(b, &y, NULL), -1);
    assert_int_equal(rt_batch_finish(b), RT_EXIT_FAILED);
    assert_int_not_equal(stat(test_tmp_path("many2/second/metrics.jsonl"), &st), 0);
}

static void test_outputs_clash(void **state) {
    (void)state;
    rt_experiment x = small_exp(), y = small_exp();
    char err[1024] = "";
    snprintf(y.name, sizeof y.name, "first");
    assert_int_equal(run_outputs_clash(&x, &y, err, sizeof err), 0); /* relative: own folders */
    snprintf(x.out_csv, sizeof x.out_csv, "/tmp/q/fit.csv");
    snprintf(y.out_report, sizeof y.out_report, "/tmp/q");
    assert_int_equal(run_outputs_clash(&x, &y, err, sizeof err), 0); /* not a report file */
    snprintf(x.out_csv, sizeof x.out_csv, "/tmp/q/index.html");
    assert_int_equal(run_outputs_clash(&x, &y, err, sizeof err), -1);
    assert_non_null(strstr(err, "experiment `first`"));
    snprintf(x.out_csv, sizeof x.out_csv, "fit.csv");
    snprintf(x.out_report, sizeof x.out_report, "/tmp//q/");
    assert_int_equal(run_outputs_clash(&x, &y, err, sizeof err), -1);
    assert_non_null(strstr(err, "the report folder would replace"));
}

/* A run that fails for lack of memory makes the batch's status 3 (docs/language.md §8.2).
 * In a child process whose address space is capped a little above what it uses, the loss log
 * of 10 million epochs (2 x 80 MB) cannot be allocated. */
static void test_out_of_memory_exits_3(void **state) {
    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    skip(); /* the sanitizer's shadow memory does not fit under a small address-space cap */
#endif
    const char *pre = getenv("LD_PRELOAD");
    if (pre && strstr(pre, "valgrind")) skip();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        rt_experiment x = small_exp();
        x.epochs = 10000000;
        rt_run_options o = {0};
        o.quiet = 1;
        long pages = 0;
        FILE *f = fopen("/proc/self/statm", "r");
        if (!f || fscanf(f, "%ld", &pages) != 1) _exit(99);
        fclose(f);
        struct rlimit rl;
        rl.rlim_cur = rl.rlim_max = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + (48u << 20);
        if (setrlimit(RLIMIT_AS, &rl)) _exit(98);
        rt_batch *b = rt_batch_create(1, test_tmp_path("oom"), &o);
        if (!b) _exit(97);
        rt_batch_run(b, &x, NULL);
        _exit(rt_batch_finish(b));
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), RT_EXIT_OUT_OF_MEMORY);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_plain_outputs_are_accepted, setup, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_dotdot_and_links_out_are_refused, setup, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_special_targets_are_refused_before_training, setup,
                                        test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_inputs_are_never_replaced, setup, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_names_are_checked, setup, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_long_paths, setup, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_batch_refuses_before_training, setup, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_out_of_memory_exits_3, setup, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_outputs_clash, setup, test_tmp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
