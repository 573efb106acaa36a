/* report_html: the text side of a report folder: index.html (self-contained, pictures by
 * relative path) and summary.md for one run, and the same plus comparison.csv for several. */
#include "report.h"

#include "io_file.h"
#include "rt_stats.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef QNN_VERSION
#define QNN_VERSION "dev"
#endif

/* ---- a growing string; the first allocation failure sticks and is reported once ------ */

typedef struct {
    char *s;
    size_t len, cap;
    int failed;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n) {
    if (b->failed) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = 0;
}

static void sb_str(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void sb_printf(sbuf *b, const char *fmt, ...) {
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    sb_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void sb_html(sbuf *b, const char *s) {
    for (; s && *s; s++) switch (*s) {
        case '&': sb_str(b, "&amp;"); break;
        case '<': sb_str(b, "&lt;"); break;
        case '>': sb_str(b, "&gt;"); break;
        case '"': sb_str(b, "&quot;"); break;
        case '\'': sb_str(b, "&#39;"); break;
        default: sb_put(b, s, 1);
        }
}

/* A relative path as a URL: bytes outside the unreserved set and '/' are percent-encoded,
 * so a picture called "loss (seed 1).png" still loads and nothing breaks out of an HTML
 * attribute or a Markdown link. */
static void sb_url(sbuf *b, const char *prefix, const char *path) {
    static const char hex[] = "0123456789ABCDEF";
    for (int part = 0; part < 2; part++) {
        const char *s = part ? path : prefix;
        for (; s && *s; s++) {
            unsigned char c = (unsigned char)*s;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                strchr("-._~/", c)) {
                sb_put(b, s, 1);
            } else {
                char e[3] = {'%', hex[c >> 4], hex[c & 15]};
                sb_put(b, e, 3);
            }
        }
        if (!part && prefix && *prefix && prefix[strlen(prefix) - 1] != '/') sb_str(b, "/");
    }
}

/* Text inside a Markdown table cell: pipes escaped, line breaks folded into spaces. */
static void sb_md_cell(sbuf *b, const char *s) {
    for (; s && *s; s++) {
        if (*s == '|') sb_str(b, "\\|");
        else if (*s == '\n' || *s == '\r') sb_str(b, " ");
        else sb_put(b, s, 1);
    }
}

/* A fenced block longer than any run of backticks inside, so the settings cannot end it. */
static void sb_md_fence(sbuf *b, const char *text) {
    int run = 0, longest = 0;
    for (const char *s = text; *s; s++) {
        run = *s == '`' ? run + 1 : 0;
        if (run > longest) longest = run;
    }
    int n = longest >= 3 ? longest + 1 : 3;
    for (int i = 0; i < n; i++) sb_str(b, "`");
    sb_str(b, "text\n");
    sb_str(b, text);
    if (*text && text[strlen(text) - 1] != '\n') sb_str(b, "\n");
    for (int i = 0; i < n; i++) sb_str(b, "`");
    sb_str(b, "\n");
}

static int write_buf(const char *dir, const char *name, sbuf *b, char *err, size_t errlen) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *path = malloc(n);
    int rc = -1;
    if (!path || b->failed) io_errf(err, errlen, "%s/%s: out of memory", dir, name);
    else {
        snprintf(path, n, "%s/%s", dir, name);
        rc = io_write_file_atomic(path, b->s ? b->s : "", b->len, err, errlen);
    }
    free(path);
    return rc;
}

/* ---- numbers ------------------------------------------------------------------------- */

typedef enum { F_SCI, F_DB, F_REL, F_SEC, F_INT, F_PCT, F_FIX } num_style;

static const char *fmt_num(char *buf, size_t n, double v, num_style st) {
    if (isnan(v)) return "n/a";
    if (isinf(v)) return v > 0 ? "inf" : "-inf";
    switch (st) {
    case F_SCI: snprintf(buf, n, "%.3e", v); break;
    case F_FIX: snprintf(buf, n, "%.10g", v); break; /* energies: compared to many digits */
    case F_DB: snprintf(buf, n, "%.2f dB", v); break;
    case F_REL: snprintf(buf, n, "%.4g", v); break;
    case F_SEC: snprintf(buf, n, v < 10 ? "%.3g s" : "%.1f s", v); break;
    case F_INT: snprintf(buf, n, "%.0f", v); break;
    case F_PCT: snprintf(buf, n, "%.2f%%", 100 * v); break;
    }
    return buf;
}

static double ival(long v) { return v < 0 ? NAN : (double)v; }

/* ---- one run ------------------------------------------------------------------------- */

typedef struct {
    char label[96];
    char value[64];
    const char *text; /* when set, shown instead of value */
} row;

#define MAX_ROWS 24

/* The summary table of one run; rows whose value is unknown are left out. */
static int summary_rows(const report_summary *s, row *r) {
    int n = 0;
#define TEXT(l, t) if (t) { snprintf(r[n].label, sizeof r[n].label, "%s", l); r[n++].text = t; }
#define NUM(l, v, st) if (!isnan(v)) { snprintf(r[n].label, sizeof r[n].label, "%s", l); \
        fmt_num(r[n].value, sizeof r[n].value, v, st); r[n++].text = NULL; }
    TEXT("Model", s->model);
    TEXT("Data", s->data);
    NUM("Trainable parameters", ival(s->n_params), F_INT);
    NUM("Epochs", ival(s->epochs), F_INT);
    NUM("Seed", ival(s->seed), F_INT);
    NUM("Final loss", s->final_loss, F_SCI);
    /* With held-out points the evaluation figures are in the train | test table instead. */
    if (s->n_train < 0) {
        NUM("Evaluation loss", s->eval_loss, F_SCI);
        NUM("MSE", s->mse, F_SCI);
        NUM("PSNR", s->psnr, F_DB);
        NUM("Accuracy", s->accuracy, F_PCT);
    }
    /* The band edges go into the labels: a number without its cutoff cannot be compared. */
    int cut = !isnan(s->cutoff_fraction);
    char lab[96];
    snprintf(lab, sizeof lab, "Low-frequency relative error");
    if (cut)
        snprintf(lab, sizeof lab, "Low-frequency relative error (rho < %g)", s->cutoff_fraction);
    NUM(lab, s->low_rel_err, F_REL);
    snprintf(lab, sizeof lab, "High-frequency relative error");
    if (cut)
        snprintf(lab, sizeof lab, "High-frequency relative error (rho >= %g)",
                 s->cutoff_fraction);
    NUM(lab, s->high_rel_err, F_REL);
    NUM("Final energy", s->energy, F_FIX);
    if (!isnan(s->exact_energy)) {
        NUM(s->exact_label ? s->exact_label : "Exact optimum", s->exact_energy, F_FIX);
        NUM("Absolute error", fabs(s->energy - s->exact_energy), F_SCI);
        if (s->exact_energy != 0)
            NUM("Relative error", fabs(s->energy - s->exact_energy) / fabs(s->exact_energy), F_SCI);
    }
    NUM("Time per epoch", s->seconds_per_epoch, F_SEC);
    NUM("Total time", s->seconds_total, F_SEC);
#undef TEXT
#undef NUM
    return n;
}

static const char *STYLE =
    "<style>\n"
    "body{font-family:system-ui,sans-serif;max-width:1040px;margin:2em auto;padding:0 1em;"
    "color:#222;line-height:1.45}\n"
    "table{border-collapse:collapse;margin:1em 0}\n"
    "th,td{border:1px solid #ccc;padding:4px 10px;text-align:left}\n"
    "th{background:#f3f3f3}\n"
    "td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
    "tr.best td{background:#eef7ee;font-weight:bold}\n"
    "pre{background:#f6f6f6;padding:.8em;overflow-x:auto}\n"
    "figure{margin:1.5em 0}\n"
    "img{max-width:100%;height:auto;border:1px solid #ddd}\n"
    "figcaption{color:#555;font-size:.92em}\n"
    "footer,.note{color:#777;font-size:.85em}\n"
    "</style>\n";

static void html_head(sbuf *b, const char *title) {
    sb_str(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
    sb_html(b, title);
    sb_str(b, "</title>\n");
    sb_str(b, STYLE);
    sb_str(b, "</head>\n<body>\n<h1>");
    sb_html(b, title);
    sb_str(b, "</h1>\n");
}

static void html_foot(sbuf *b) {
    sb_str(b, "<footer>Written by qnn " QNN_VERSION
              ". Spectral errors: ||F(output) - F(target)|| over the band / ||F(target)||, rho = "
              "frequency as a fraction of Nyquist (docs/reports.md)."
              "</footer>\n</body>\n</html>\n");
}

static void html_figure(sbuf *b, const char *prefix, const report_figure *f) {
    sb_str(b, "<figure><img src=\"");
    sb_url(b, prefix, f->path);
    sb_str(b, "\" alt=\"");
    sb_html(b, f->caption ? f->caption : f->path);
    sb_str(b, "\">");
    if (f->caption) {
        sb_str(b, "<figcaption>");
        sb_html(b, f->caption);
        sb_str(b, "</figcaption>");
    }
    sb_str(b, "</figure>\n");
}

static void md_figure(sbuf *b, const char *prefix, const report_figure *f) {
    sb_str(b, "![");
    sb_md_cell(b, f->caption ? f->caption : f->path);
    sb_str(b, "](");
    sb_url(b, prefix, f->path);
    sb_str(b, ")\n\n");
    if (f->caption) {
        sb_str(b, "*");
        sb_md_cell(b, f->caption);
        sb_str(b, "*\n\n");
    }
}

static int check_figures(const report_figure *f, int n, const char *dir, char *err,
                         size_t errlen) {
    if (n < 0 || n > REPORT_MAX_FIGURES || (n > 0 && !f)) {
        io_errf(err, errlen, "%s: %d figures (at most %d)", dir, n, REPORT_MAX_FIGURES);
        return -1;
    }
    for (int i = 0; i < n; i++)
        if (!f[i].path || !*f[i].path) {
            io_errf(err, errlen, "%s: figure %d has no file name", dir, i + 1);
            return -1;
        }
    return 0;
}

void report_summary_init(report_summary *s) {
    memset(s, 0, sizeof *s);
    s->n_params = -1;
    s->epochs = -1;
    s->seed = -1;
    s->final_loss = s->mse = s->psnr = NAN;
    s->eval_loss = s->accuracy = NAN;
    s->n_train = s->n_test = -1;
    s->train_loss = s->train_mse = s->train_psnr = s->train_accuracy = NAN;
    s->low_rel_err = s->high_rel_err = s->cutoff_fraction = NAN;
    s->seconds_per_epoch = s->seconds_total = NAN;
    s->energy = s->exact_energy = NAN;
}

int report_summary_add_figure(report_summary *s, const char *path, const char *caption) {
    if (!path || s->n_figures < 0 || s->n_figures >= REPORT_MAX_FIGURES) return -1;
    s->figures[s->n_figures].path = path;
    s->figures[s->n_figures++].caption = caption;
    return 0;
}

/* Held-out evaluation: a row per figure, the training points beside the test points. */
static void train_test_tables(const report_summary *s, sbuf *h, sbuf *m) {
    if (s->n_train < 0) return;
    static const char *const labels[] = {"Loss", "MSE", "PSNR", "Accuracy"};
    static const num_style st[] = {F_SCI, F_SCI, F_DB, F_PCT};
    double tr[] = {s->train_loss, s->train_mse, s->train_psnr, s->train_accuracy};
    double te[] = {s->eval_loss, s->mse, s->psnr, s->accuracy};
    char head[2][64], a[64], b[64];
    snprintf(head[0], sizeof head[0], "Train (%ld points)", s->n_train);
    snprintf(head[1], sizeof head[1], "Test (%ld points)", s->n_test);
    sb_str(h, "<h2>Train and test</h2>\n<table>\n<tr><th></th><th>");
    sb_html(h, head[0]);
    sb_str(h, "</th><th>");
    sb_html(h, head[1]);
    sb_str(h, "</th></tr>\n");
    sb_str(m, "\n## Train and test\n\n| | ");
    sb_md_cell(m, head[0]);
    sb_str(m, " | ");
    sb_md_cell(m, head[1]);
    sb_str(m, " |\n|---|---|---|\n");
    for (int i = 0; i < 4; i++) {
        if (isnan(tr[i]) && isnan(te[i])) continue;
        fmt_num(a, sizeof a, tr[i], st[i]);
        fmt_num(b, sizeof b, te[i], st[i]);
        sb_str(h, "<tr><th>");
        sb_html(h, labels[i]);
        sb_str(h, "</th><td class=\"num\">");
        sb_html(h, isnan(tr[i]) ? "n/a" : a);
        sb_str(h, "</td><td class=\"num\">");
        sb_html(h, isnan(te[i]) ? "n/a" : b);
        sb_str(h, "</td></tr>\n");
        sb_str(m, "| ");
        sb_md_cell(m, labels[i]);
        sb_str(m, " | ");
        sb_md_cell(m, isnan(tr[i]) ? "n/a" : a);
        sb_str(m, " | ");
        sb_md_cell(m, isnan(te[i]) ? "n/a" : b);
        sb_str(m, " |\n");
    }
    sb_str(h, "</table>\n");
}

/* Classification: the confusion matrix as a table, then precision and recall per class
 * (precision: of the points predicted as c, the share that are c; recall: of the points of
 * class c, the share predicted as c; n/a where nothing was predicted as c, or there is no c). */
static void class_tables(const report_summary *s, sbuf *h, sbuf *m) {
    int k = s->n_classes;
    if (k < 2 || !s->confusion || k > REPORT_MAX_CLASSES) return;
    const long *c = s->confusion;
    char buf[64];
    sb_str(h, "<h2>Confusion matrix</h2>\n<p class=\"note\">Rows: true class; columns: predicted "
              "class.</p>\n<table>\n<tr><th></th>");
    sb_str(m, "\n## Confusion matrix\n\nRows: true class; columns: predicted class.\n\n| |");
    for (int p = 0; p < k; p++) {
        snprintf(buf, sizeof buf, "%d", p);
        sb_str(h, "<th>");
        sb_str(h, buf);
        sb_str(h, "</th>");
        sb_str(m, " ");
        sb_str(m, buf);
        sb_str(m, " |");
    }
    sb_str(h, "</tr>\n");
    sb_str(m, "\n|---|");
    for (int p = 0; p < k; p++) sb_str(m, "---|");
    sb_str(m, "\n");
    for (int t = 0; t < k; t++) {
        snprintf(buf, sizeof buf, "%d", t);
        sb_str(h, "<tr><th>");
        sb_str(h, buf);
        sb_str(h, "</th>");
        sb_str(m, "| ");
        sb_str(m, buf);
        sb_str(m, " |");
        for (int p = 0; p < k; p++) {
            snprintf(buf, sizeof buf, "%ld", c[t * k + p]);
            sb_str(h, t == p ? "<td class=\"num\"><b>" : "<td class=\"num\">");
            sb_str(h, buf);
            sb_str(h, t == p ? "</b></td>" : "</td>");
            sb_str(m, " ");
            sb_str(m, buf);
            sb_str(m, " |");
        }
        sb_str(h, "</tr>\n");
        sb_str(m, "\n");
    }
    sb_str(h, "</table>\n<h2>Precision and recall per class</h2>\n<table>\n<tr><th>Class</th>"
              "<th>Points</th><th>Predicted</th><th>Precision</th><th>Recall</th></tr>\n");
    sb_str(m, "\n## Precision and recall per class\n\n| Class | Points | Predicted | Precision | Recall |\n"
              "|---|---|---|---|---|\n");
    for (int j = 0; j < k; j++) {
        long points = 0, predicted = 0;
        for (int i = 0; i < k; i++) points += c[j * k + i], predicted += c[i * k + j];
        double prec = predicted ? (double)c[j * k + j] / (double)predicted : NAN;
        double rec = points ? (double)c[j * k + j] / (double)points : NAN;
        char cells[5][64];
        snprintf(cells[0], 64, "%d", j);
        snprintf(cells[1], 64, "%ld", points);
        snprintf(cells[2], 64, "%ld", predicted);
        fmt_num(cells[3], 64, prec, F_PCT);
        fmt_num(cells[4], 64, rec, F_PCT);
        sb_str(h, "<tr>");
        sb_str(m, "|");
        for (int i = 0; i < 5; i++) {
            sb_str(h, i ? "<td class=\"num\">" : "<td>");
            sb_str(h, cells[i]);
            sb_str(h, "</td>");
            sb_str(m, " ");
            sb_str(m, cells[i]);
            sb_str(m, " |");
        }
        sb_str(h, "</tr>\n");
        sb_str(m, "\n");
    }
    sb_str(h, "</table>\n");
}

int report_write_index(const char *dir, const report_summary *s, char *err, size_t errlen) {
    if (!dir || !*dir || !s) {
        io_errf(err, errlen, "%s: report needs a folder and a summary", dir ? dir : "");
        return -1;
    }
    if (check_figures(s->figures, s->n_figures, dir, err, errlen)) return -1;
    if (io_mkdir_p(dir, err, errlen)) return -1;
    row r[MAX_ROWS];
    int nr = summary_rows(s, r);
    const char *title = s->name ? s->name : "qnn run";
    sbuf h = {0}, m = {0};

    html_head(&h, title);
    sb_str(&h, "<table>\n");
    for (int i = 0; i < nr; i++) {
        sb_str(&h, "<tr><th>");
        sb_html(&h, r[i].label);
        sb_str(&h, r[i].text ? "</th><td>" : "</th><td class=\"num\">");
        sb_html(&h, r[i].text ? r[i].text : r[i].value);
        sb_str(&h, "</td></tr>\n");
    }
    sb_str(&h, "</table>\n");
    sbuf tables = {0};
    train_test_tables(s, &h, &tables);
    class_tables(s, &h, &tables);
    if (s->settings && *s->settings) {
        sb_str(&h, "<h2>Settings</h2>\n<pre>");
        sb_html(&h, s->settings);
        sb_str(&h, "</pre>\n");
    }
    if (s->n_figures) sb_str(&h, "<h2>Figures</h2>\n");
    for (int i = 0; i < s->n_figures; i++) html_figure(&h, NULL, &s->figures[i]);
    html_foot(&h);

    sb_str(&m, "# ");
    sb_md_cell(&m, title);
    sb_str(&m, "\n\n| | |\n|---|---|\n");
    for (int i = 0; i < nr; i++) {
        sb_str(&m, "| ");
        sb_md_cell(&m, r[i].label);
        sb_str(&m, " | ");
        sb_md_cell(&m, r[i].text ? r[i].text : r[i].value);
        sb_str(&m, " |\n");
    }
    if (tables.failed) m.failed = 1;
    if (tables.s) sb_str(&m, tables.s);
    free(tables.s);
    if (s->settings && *s->settings) {
        sb_str(&m, "\n## Settings\n\n");
        sb_md_fence(&m, s->settings);
    }
    if (s->n_figures) sb_str(&m, "\n## Figures\n\n");
    for (int i = 0; i < s->n_figures; i++) md_figure(&m, NULL, &s->figures[i]);
    sb_str(&m, "\nWritten by qnn " QNN_VERSION ".\n");

    int rc = write_buf(dir, "summary.md", &m, err, errlen);
    /* index.html last: a folder with an index is a complete report. */
    if (rc == 0) rc = write_buf(dir, "index.html", &h, err, errlen);
    free(h.s);
    free(m.s);
    return rc;
}

/* ---- several runs -------------------------------------------------------------------- */

/* Columns of the comparison table, shared by HTML, Markdown and CSV. */
/* Accuracy is last, so that the columns of older comparison.csv files keep their places. */
#define NCOLS 11
enum { COL_MSE = 4, COL_ACCURACY = 10 };
static const char *const col_names[NCOLS] = {
    "Params", "Epochs", "Seed", "Final loss", "MSE", "PSNR", "Low-freq rel. err",
    "High-freq rel. err", "s / epoch", "Total time", "Accuracy"};
static const char *const csv_names[NCOLS] = {
    "n_params", "epochs", "seed", "final_loss", "mse", "psnr_db", "low_rel_err",
    "high_rel_err", "seconds_per_epoch", "seconds_total", "accuracy"};
static const num_style col_style[NCOLS] = {F_INT, F_INT, F_INT, F_SCI, F_SCI, F_DB,
                                           F_REL, F_REL, F_SEC, F_SEC, F_PCT};

static void run_values(const report_summary *s, double v[NCOLS]) {
    double x[NCOLS] = {ival(s->n_params), ival(s->epochs), ival(s->seed), s->final_loss, s->mse,
                       s->psnr, s->low_rel_err, s->high_rel_err, s->seconds_per_epoch,
                       s->seconds_total, s->accuracy};
    memcpy(v, x, sizeof x);
}

static void csv_text(sbuf *b, const char *s) {
    sb_str(b, "\"");
    for (; s && *s; s++) sb_str(b, *s == '"' ? "\"\"" : *s == '\n' ? " " : (char[2]){*s, 0});
    sb_str(b, "\"");
}

static const char *run_name(const report_summary *s, int i, char *buf, size_t n) {
    if (s->name) return s->name;
    snprintf(buf, n, "run %d", i + 1);
    return buf;
}

/* Same model text and parameter count: the runs of one model (e.g. several seeds). */
static int same_model(const report_summary *a, const report_summary *b) {
    const char *x = a->model ? a->model : "", *y = b->model ? b->model : "";
    return strcmp(x, y) == 0 && a->n_params == b->n_params;
}

typedef struct {
    int first, runs, counted;
    double mean, sd, lo, hi;
} group;

/* Groups runs by model, in order of first appearance; returns the number of groups. */
static int group_runs(const report_summary *runs, int n, group *g) {
    int ng = 0;
    for (int i = 0; i < n; i++) {
        int k = 0;
        while (k < ng && !same_model(&runs[g[k].first], &runs[i])) k++;
        if (k == ng) g[ng++] = (group){.first = i, .lo = INFINITY, .hi = -INFINITY};
        g[k].runs++;
        double v = runs[i].mse;
        if (!isfinite(v)) continue;
        /* Welford's update: stable for MSEs that differ only in the last digits. */
        g[k].counted++;
        double d = v - g[k].mean;
        g[k].mean += d / g[k].counted;
        g[k].sd += d * (v - g[k].mean);
        g[k].lo = fmin(g[k].lo, v);
        g[k].hi = fmax(g[k].hi, v);
    }
    for (int k = 0; k < ng; k++) {
        if (g[k].counted == 0) g[k].mean = g[k].lo = g[k].hi = NAN;
        g[k].sd = g[k].counted > 1 ? sqrt(g[k].sd / (g[k].counted - 1)) : NAN;
    }
    return ng;
}

/* The metric of run s that the paired table compares, or NAN. */
static double paired_metric(const report_summary *s, int accuracy) {
    return accuracy ? s->accuracy : s->mse;
}

/* Paired over seeds: each model against the first, the runs of equal seed paired (the first
 * run of that seed in each group), so that "A beats B" is written only where an exact test
 * says so (rt_paired_reading's wording, the same as qnnc sweep's). Models without two pairs
 * get no row: one pair is no test. */
static void write_paired(sbuf *h, sbuf *m, const report_summary *runs, int n_runs,
                         const group *g, int ng, int accuracy) {
    if (ng < 2) return;
    const report_summary *ref = &runs[g[0].first];
    const char *other = ref->model ? ref->model : "";
    int header = 0;
    for (int k = 1; k < ng; k++) {
        const report_summary *self_run = &runs[g[k].first];
        double d[RT_STATS_MAX_PAIRS];
        int n = 0;
        for (int i = 0; i < n_runs && n < RT_STATS_MAX_PAIRS; i++) {
            if (!same_model(&runs[i], self_run) || runs[i].seed < 0) continue;
            int first_of_seed = 1; /* a seed repeated within the group pairs once */
            for (int j = 0; j < i && first_of_seed; j++)
                first_of_seed = !(same_model(&runs[j], self_run) && runs[j].seed == runs[i].seed);
            if (!first_of_seed) continue;
            int partner = -1;
            for (int j = 0; j < n_runs && partner < 0; j++)
                if (same_model(&runs[j], ref) && runs[j].seed == runs[i].seed) partner = j;
            if (partner < 0) continue;
            double x = paired_metric(&runs[i], accuracy), y = paired_metric(&runs[partner], accuracy);
            if (isfinite(x) && isfinite(y)) d[n++] = accuracy ? x - y : y - x;
        }
        if (n < 2) continue;
        rt_paired_test t;
        char err[160], reading[512];
        if (rt_paired_tests(d, n, &t, err, sizeof err)) continue;
        const char *self = self_run->model ? self_run->model : "";
        rt_paired_reading(&t, self, other, reading, sizeof reading);
        if (!header) {
            const char *what = accuracy ? "accuracy (higher is better)" : "MSE (lower is better)";
            sb_printf(h, "<h2>Paired over seeds</h2>\n<p class=\"note\">Each model against the first "
                         "(%s), runs of the same seed paired, %s. Exact two-sided Wilcoxon "
                         "signed-rank and sign tests; zero differences dropped, ties get their mean "
                         "rank.</p>\n<table>\n<tr><th>Model</th><th>Pairs</th><th>Better in</th>"
                         "<th>Wilcoxon p</th><th>Sign p</th><th>Reading</th></tr>\n",
                      other, what);
            sb_str(m, "\n## Paired over seeds\n\nEach model against the first (");
            sb_md_cell(m, other);
            sb_printf(m, "), runs of the same seed paired, %s. Exact two-sided Wilcoxon signed-rank "
                         "and sign tests; zero differences dropped, ties get their mean rank.\n\n"
                         "| Model | Pairs | Better in | Wilcoxon p | Sign p | Reading |\n"
                         "|---|---:|---:|---:|---:|---|\n",
                      what);
            header = 1;
        }
        sb_str(h, "<tr><td>");
        sb_html(h, self);
        sb_printf(h, "</td><td class=\"num\">%d</td><td class=\"num\">%d of %d</td>"
                     "<td class=\"num\">%.4g</td><td class=\"num\">%.4g</td><td>",
                  n, t.n_positive, n, t.p_wilcoxon, t.p_sign);
        sb_html(h, reading);
        sb_str(h, "</td></tr>\n");
        sb_str(m, "| ");
        sb_md_cell(m, self);
        sb_printf(m, " | %d | %d of %d | %.4g | %.4g | ", n, t.n_positive, n, t.p_wilcoxon, t.p_sign);
        sb_md_cell(m, reading);
        sb_str(m, " |\n");
    }
    if (header) sb_str(h, "</table>\n");
}

int report_write_comparison(const char *dir, const char *title, const report_summary *runs,
                            int n_runs, const report_figure *figures, int n_figures,
                            char *err, size_t errlen) {
    if (!dir || !*dir || !runs || n_runs < 1) {
        io_errf(err, errlen, "%s: a comparison needs a folder and at least one run",
                dir ? dir : "");
        return -1;
    }
    if (check_figures(figures, n_figures, dir, err, errlen)) return -1;
    for (int i = 0; i < n_runs; i++)
        if (check_figures(runs[i].figures, runs[i].n_figures, dir, err, errlen)) return -1;
    if (io_mkdir_p(dir, err, errlen)) return -1;
    group *g = malloc((size_t)n_runs * sizeof *g);
    if (!g) {
        io_errf(err, errlen, "%s: out of memory", dir);
        return -1;
    }
    int ng = group_runs(runs, n_runs, g), repeated = 0, best = -1;
    for (int k = 0; k < ng; k++) repeated |= g[k].runs > 1;
    for (int i = 0; i < n_runs; i++)
        if (isfinite(runs[i].mse) && (best < 0 || runs[i].mse < runs[best].mse)) best = i;
    /* Without any MSE (classifiers) the best run is the most accurate one. */
    int best_col = COL_MSE;
    for (int i = 0; best_col == COL_MSE && i < n_runs && best < 0; i++)
        if (!isnan(runs[i].accuracy)) best_col = COL_ACCURACY;
    for (int i = 0; best_col == COL_ACCURACY && i < n_runs; i++)
        if (!isnan(runs[i].accuracy) && (best < 0 || runs[i].accuracy > runs[best].accuracy)) best = i;
    if (!title) title = "qnn comparison";
    sbuf h = {0}, m = {0}, c = {0};
    char buf[64], name[32];

    /* Per-run table. */
    html_head(&h, title);
    sb_str(&h, "<table>\n<tr><th>Run</th><th>Model</th>");
    sb_str(&m, "# ");
    sb_md_cell(&m, title);
    sb_str(&m, "\n\n| Run | Model |");
    sb_str(&c, "name,model,data");
    for (int j = 0; j < NCOLS; j++) {
        sb_printf(&h, "<th>%s</th>", col_names[j]);
        sb_printf(&m, " %s |", col_names[j]);
        sb_printf(&c, ",%s", csv_names[j]);
    }
    sb_str(&h, "</tr>\n");
    sb_str(&m, "\n|---|---|");
    for (int j = 0; j < NCOLS; j++) sb_str(&m, "---:|");
    sb_str(&m, "\n");
    sb_str(&c, "\n");
    for (int i = 0; i < n_runs; i++) {
        const report_summary *s = &runs[i];
        const char *rn = run_name(s, i, name, sizeof name);
        double v[NCOLS];
        run_values(s, v);
        sb_str(&h, i == best ? "<tr class=\"best\"><td>" : "<tr><td>");
        if (s->link) {
            sb_str(&h, "<a href=\"");
            sb_url(&h, s->link, "index.html");
            sb_str(&h, "\">");
        }
        sb_html(&h, rn);
        sb_str(&h, s->link ? "</a></td><td>" : "</td><td>");
        sb_html(&h, s->model ? s->model : "");
        sb_str(&h, "</td>");
        sb_str(&m, "| ");
        sb_md_cell(&m, rn);
        sb_str(&m, " | ");
        sb_md_cell(&m, s->model ? s->model : "");
        sb_str(&m, " |");
        csv_text(&c, rn);
        sb_str(&c, ",");
        csv_text(&c, s->model);
        sb_str(&c, ",");
        csv_text(&c, s->data);
        for (int j = 0; j < NCOLS; j++) {
            const char *t = fmt_num(buf, sizeof buf, v[j], col_style[j]);
            sb_printf(&h, "<td class=\"num\">%s</td>", t);
            /* The best MSE stands out in Markdown too, where rows cannot be coloured. */
            sb_printf(&m, j == best_col && i == best ? " **%s** |" : " %s |", t);
            if (isfinite(v[j])) sb_printf(&c, ",%.17g", v[j]);
            else sb_str(&c, isnan(v[j]) ? "," : v[j] > 0 ? ",inf" : ",-inf");
        }
        sb_str(&h, "</tr>\n");
        sb_str(&m, "\n");
        sb_str(&c, "\n");
    }
    sb_str(&h, "</table>\n");
    const char *what = best_col == COL_MSE ? "the lowest MSE" : "the highest accuracy";
    if (best >= 0) sb_printf(&h, "<p class=\"note\">Highlighted: %s.</p>\n", what);
    if (best >= 0) sb_printf(&m, "\nBold: %s.\n", what);

    /* Spread over repeated runs: a ranking is only as good as its seeds. */
    if (repeated) {
        static const char *gh[] = {"Model", "Params", "Runs", "MSE mean", "MSE sd", "MSE min",
                                   "MSE max"};
        sb_str(&h, "<h2>Runs of the same model</h2>\n<table>\n<tr>");
        sb_str(&m, "\n## Runs of the same model\n\n|");
        for (int j = 0; j < 7; j++) {
            sb_printf(&h, "<th>%s</th>", gh[j]);
            sb_printf(&m, " %s |", gh[j]);
        }
        sb_str(&h, "</tr>\n");
        sb_str(&m, "\n|---|---:|---:|---:|---:|---:|---:|\n");
        for (int k = 0; k < ng; k++) {
            const report_summary *s = &runs[g[k].first];
            double v[6] = {ival(s->n_params), g[k].runs, g[k].mean, g[k].sd, g[k].lo, g[k].hi};
            sb_str(&h, "<tr><td>");
            sb_html(&h, s->model ? s->model : "");
            sb_str(&h, "</td>");
            sb_str(&m, "| ");
            sb_md_cell(&m, s->model ? s->model : "");
            sb_str(&m, " |");
            for (int j = 0; j < 6; j++) {
                const char *t = fmt_num(buf, sizeof buf, v[j], j < 2 ? F_INT : F_SCI);
                sb_printf(&h, "<td class=\"num\">%s</td>", t);
                sb_printf(&m, " %s |", t);
            }
            sb_str(&h, "</tr>\n");
            sb_str(&m, "\n");
        }
        sb_str(&h, "</table>\n");
        write_paired(&h, &m, runs, n_runs, g, ng, best_col == COL_ACCURACY);
    }

    if (n_figures) {
        sb_str(&h, "<h2>Figures</h2>\n");
        sb_str(&m, "\n## Figures\n\n");
    }
    for (int i = 0; i < n_figures; i++) {
        html_figure(&h, NULL, &figures[i]);
        md_figure(&m, NULL, &figures[i]);
    }
    /* Each run's own pictures, folded away so the table stays the first thing seen. */
    for (int i = 0; i < n_runs; i++) {
        const report_summary *s = &runs[i];
        if (!s->n_figures) continue;
        const char *rn = run_name(s, i, name, sizeof name);
        sb_str(&h, "<details><summary>");
        sb_html(&h, rn);
        sb_str(&h, "</summary>\n");
        sb_str(&m, "\n### ");
        sb_md_cell(&m, rn);
        sb_str(&m, "\n\n");
        for (int k = 0; k < s->n_figures; k++) {
            html_figure(&h, s->link, &s->figures[k]);
            md_figure(&m, s->link, &s->figures[k]);
        }
        sb_str(&h, "</details>\n");
    }
    html_foot(&h);
    sb_str(&m, "\nWritten by qnn " QNN_VERSION ".\n");

    int rc = write_buf(dir, "comparison.csv", &c, err, errlen);
    if (rc == 0) rc = write_buf(dir, "summary.md", &m, err, errlen);
    if (rc == 0) rc = write_buf(dir, "index.html", &h, err, errlen);
    free(h.s);
    free(m.s);
    free(c.s);
    free(g);
    return rc;
}
