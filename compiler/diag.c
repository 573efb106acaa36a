/* Diagnostics rendering: file:line:col: error: message, the source line, a caret. */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_SOURCES = 256 };

static struct {
    const char *path[MAX_SOURCES];
    const char *text[MAX_SOURCES];
    int n_sources;
    int errors;         /* every error, repeated ones included: what phases test */
    int shown;          /* errors printed */
    int max_errors;
    int capped;
    int suppress_notes; /* notes of an error past the cap are not shown either */
    FILE *out;
    unsigned long seen[4096];
    int n_seen;
} D = {.max_errors = 20};

static FILE *out(void) { return D.out ? D.out : stderr; }

int diag_add_source(const char *path, const char *text) {
    if (D.n_sources >= MAX_SOURCES - 1) return 0;
    D.n_sources++;
    D.path[D.n_sources] = path;
    D.text[D.n_sources] = text;
    return D.n_sources;
}

const char *diag_source_path(int file) {
    return (file > 0 && file <= D.n_sources) ? D.path[file] : "<unknown>";
}

static void show_line(src_loc loc) {
    if (loc.file <= 0 || loc.file > D.n_sources || !D.text[loc.file] || loc.line <= 0) return;
    const char *p = D.text[loc.file];
    for (int l = 1; l < loc.line && *p; p++)
        if (*p == '\n') l++;
    const char *end = strchr(p, '\n');
    int n = end ? (int)(end - p) : (int)strlen(p);
    /* Long lines are cut: the caret line is what matters. */
    int shown_n = n > 400 && loc.col < 300 ? 400 : n;
    fprintf(out(), "%5d | %.*s%s\n      | ", loc.line, shown_n, p, shown_n < n ? " ..." : "");
    char caret[512];
    int k = 0;
    /* Tabs in the prefix keep the caret aligned with the text above. */
    for (int i = 1; i < loc.col && i <= n && k < 400; i++) caret[k++] = p[i - 1] == '\t' ? '\t' : ' ';
    caret[k++] = '^';
    int len = loc.len;
    if (loc.col - 1 + len > n) len = n - (loc.col - 1);
    for (int i = 1; i < len && k < 500; i++) caret[k++] = '~';
    caret[k++] = '\n';
    fwrite(caret, 1, (size_t)k, out());
}

static void vreport(const char *kind, src_loc loc, const char *fmt, va_list ap) {
    if (loc.file > 0)
        fprintf(out(), "%s:%d:%d: %s: ", diag_source_path(loc.file), loc.line, loc.col, kind);
    else
        fprintf(out(), "qnnc: %s: ", kind);
    vfprintf(out(), fmt, ap);
    fputc('\n', out());
    show_line(loc);
}

/* Loops and templates can hit the same mistake many times (with other indices in the
 * message each time): report the first error at each place only. */
static int seen_before(src_loc loc, const char *fmt, va_list ap) {
    unsigned long h = 5381;
    if (loc.file <= 0) {
        char msg[512];
        vsnprintf(msg, sizeof msg, fmt, ap);
        for (const char *p = msg; *p; p++) h = h * 33 + (unsigned char)*p;
    }
    h = h * 31 + (unsigned long)loc.file;
    h = h * 31 + (unsigned long)loc.line;
    h = h * 31 + (unsigned long)loc.col;
    for (int i = 0; i < D.n_seen; i++)
        if (D.seen[i] == h) return 1;
    if (D.n_seen < (int)(sizeof D.seen / sizeof *D.seen)) D.seen[D.n_seen++] = h;
    return 0;
}

void diag_error(src_loc loc, const char *fmt, ...) {
    va_list probe;
    va_start(probe, fmt);
    int dup = seen_before(loc, fmt, probe);
    va_end(probe);
    D.errors++;
    if (dup) {
        D.suppress_notes = 1;
        return;
    }
    D.shown++;
    if (D.shown > D.max_errors) {
        D.suppress_notes = 1;
        if (!D.capped) fprintf(out(), "qnnc: too many errors (%d), stopping\n", D.max_errors);
        D.capped = 1;
        return;
    }
    D.suppress_notes = 0;
    va_list ap;
    va_start(ap, fmt);
    vreport("error", loc, fmt, ap);
    va_end(ap);
}

void diag_note(src_loc loc, const char *fmt, ...) {
    if (D.suppress_notes) return;
    va_list ap;
    va_start(ap, fmt);
    if (loc.file > 0) {
        vreport("note", loc, fmt, ap);
    } else {
        fputs("note: ", out());
        vfprintf(out(), fmt, ap);
        fputc('\n', out());
    }
    va_end(ap);
}

void diag_internal(const char *fmt, ...) {
    D.errors++;
    va_list ap;
    va_start(ap, fmt);
    fputs("qnnc: internal error: ", out());
    vfprintf(out(), fmt, ap);
    fputs("\n(this is a bug in qnnc, not in your program)\n", out());
    va_end(ap);
}

int diag_error_count(void) { return D.errors; }
int diag_shown_count(void) { return D.shown; }
int diag_too_many(void) { return D.capped; }
void diag_set_stream(FILE *f) { D.out = f; }
void diag_set_max_errors(int n) { D.max_errors = n; }

void diag_reset(void) {
    D.errors = 0;
    D.shown = 0;
    D.capped = 0;
    D.suppress_notes = 0;
    D.n_sources = 0;
    D.n_seen = 0;
}

static int edit_distance(const char *a, const char *b) {
    int la = (int)strlen(a), lb = (int)strlen(b);
    if (la > 64 || lb > 64) return 1000;
    int row[65];
    for (int j = 0; j <= lb; j++) row[j] = j;
    for (int i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = i;
        for (int j = 1; j <= lb; j++) {
            int up = row[j];
            int cost = (a[i - 1] == b[j - 1]) ? 0 : 1;
            int best = diag + cost;
            if (row[j] + 1 < best) best = row[j] + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *diag_suggest(const char *name, const char *const *candidates, int n) {
    const char *best = NULL;
    int best_d = 1000;
    int len = (int)strlen(name);
    /* Any one-letter name is one edit from any other: no hint for those. */
    if (len < 2) return NULL;
    int limit = len <= 3 ? 1 : len <= 6 ? 2 : 3;
    for (int i = 0; i < n; i++) {
        if (!candidates[i]) continue;
        int d = edit_distance(name, candidates[i]);
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    return best_d <= limit ? best : NULL;
}
