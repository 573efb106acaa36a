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
    int warnings;       /* warnings printed */
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

int diag_source_count(void) { return D.n_sources; }

const char *diag_source_text(int file) {
    return (file > 0 && file <= D.n_sources) ? D.text[file] : "";
}

/* Lines longer than this are shown as a window around the caret: one error on a
 * megabyte-long generated line must not echo the whole line. */
enum { LINE_SHOW_MAX = 240, WINDOW_BEFORE = 60, WINDOW_WIDTH = 160 };

static int is_utf8_continuation(char c) { return ((unsigned char)c & 0xC0) == 0x80; }

static void show_line(src_loc loc) {
    if (loc.file <= 0 || loc.file > D.n_sources || !D.text[loc.file] || loc.line <= 0) return;
    const char *p = D.text[loc.file];
    for (int l = 1; l < loc.line && *p; p++)
        if (*p == '\n') l++;
    const char *end = strchr(p, '\n');
    long n = end ? (long)(end - p) : (long)strlen(p);
    long col = loc.col > 0 ? loc.col : 1;
    /* The window [from, to) of the line that is printed; ... marks what is cut off. */
    long from = 0, to = n;
    if (n > LINE_SHOW_MAX) {
        from = col - 1 > WINDOW_BEFORE ? col - 1 - WINDOW_BEFORE : 0;
        if (from > n) from = n;
        to = from + WINDOW_WIDTH < n ? from + WINDOW_WIDTH : n;
        /* never split a UTF-8 character */
        while (from > 0 && from < n && is_utf8_continuation(p[from])) from--;
        while (to < n && to > from && is_utf8_continuation(p[to])) to--;
    }
    const char *cut_l = from > 0 ? "\xe2\x80\xa6" : "", *cut_r = to < n ? "\xe2\x80\xa6" : "";
    /* The gutter is as wide as the line number (at least 5), on both lines. */
    char num[24];
    int width = snprintf(num, sizeof num, "%d", loc.line);
    if (width < 5) width = 5;
    fprintf(out(), "%*s | %s%.*s%s\n%*s | ", width, num, cut_l, (int)(to - from), p + from, cut_r,
            width, "");
    char caret[WINDOW_WIDTH + LINE_SHOW_MAX + 8];
    int k = 0;
    if (from > 0) caret[k++] = ' '; /* under the one-column marker */
    /* Tabs in the prefix keep the caret aligned with the text above. */
    for (long i = from + 1; i < col && i <= to && k < LINE_SHOW_MAX + WINDOW_WIDTH; i++)
        caret[k++] = p[i - 1] == '\t' ? '\t' : ' ';
    caret[k++] = '^';
    long len = loc.len;
    if (col - 1 + len > to) len = to - (col - 1);
    for (long i = 1; i < len && k < (int)sizeof caret - 2; i++) caret[k++] = '~';
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

int diag_reported_at(src_loc loc) {
    if (loc.file <= 0) return 0;
    unsigned long h = 5381;
    h = h * 31 + (unsigned long)loc.file;
    h = h * 31 + (unsigned long)loc.line;
    h = h * 31 + (unsigned long)loc.col;
    for (int i = 0; i < D.n_seen; i++)
        if (D.seen[i] == h) return 1;
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

void diag_warning(src_loc loc, const char *fmt, ...) {
    /* Warnings have their own cap: a generated file must not print 100000 of them. */
    if (D.warnings >= D.max_errors) {
        if (D.warnings == D.max_errors)
            fprintf(out(), "qnnc: too many warnings (%d), not showing more\n", D.max_errors);
        D.warnings = D.max_errors + 1;
        D.suppress_notes = 1;
        return;
    }
    va_list probe;
    va_start(probe, fmt);
    /* Warnings share the place table with errors, shifted so that a warning does not hide
     * an error reported later at the same place. */
    src_loc key = loc;
    key.col = -1 - key.col;
    int dup = seen_before(key, fmt, probe);
    va_end(probe);
    if (dup || D.capped) {
        D.suppress_notes = 1;
        return;
    }
    D.warnings++;
    D.suppress_notes = 0;
    va_list ap;
    va_start(ap, fmt);
    vreport("warning", loc, fmt, ap);
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
int diag_warning_count(void) { return D.warnings > D.max_errors ? D.max_errors : D.warnings; }
int diag_too_many(void) { return D.capped; }
void diag_set_stream(FILE *f) { D.out = f; }
void diag_set_max_errors(int n) { D.max_errors = n; }

void diag_reset(void) {
    D.errors = 0;
    D.shown = 0;
    D.warnings = 0;
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

/* PennyLane's operation names (pennylane.ops) and what qnn calls them. Names that only differ
 * in case (RX, CNOT, Rot) are found by lower-casing. */
static const struct { const char *pl, *gate, *obs; } pennylane_names[] = {
    {"PauliX", "x", "X"}, {"PauliY", "y", "Y"}, {"PauliZ", "z", "Z"}, {"Identity", "i", "I"},
    {"Hadamard", "h", NULL}, {"PhaseShift", "phase", NULL}, {"ControlledPhaseShift", "cphase", NULL},
    {"IsingXX", "rxx", NULL}, {"IsingYY", "ryy", NULL}, {"IsingZZ", "rzz", NULL},
    {"MultiRZ", "multirz", NULL}, {"QubitUnitary", "unitary", NULL}, {"Hermitian", NULL, "hermitian"},
    {"Adjoint", "adj", NULL}, {"adjoint", "adj", NULL}, {"Controlled", "ctrl", NULL},
    {"CCNOT", "toffoli", NULL}, {"expval", NULL, "expval"}};

const char *diag_pennylane_name(const char *name, int observable) {
    if (strncmp(name, "qml.", 4) == 0) name += 4;
    for (size_t i = 0; i < sizeof pennylane_names / sizeof *pennylane_names; i++)
        if (strcmp(name, pennylane_names[i].pl) == 0)
            return observable ? pennylane_names[i].obs : pennylane_names[i].gate;
    if (observable) return NULL;
    /* RX, CNOT, Toffoli, CSWAP, U3, ... are qnn's gate names in lower case */
    static const char *const lower_names[] = {
        "i", "h", "x", "y", "z", "s", "t", "sx", "rx", "ry", "rz", "rot", "u3", "cnot", "cz",
        "cy", "swap", "crx", "cry", "crz", "toffoli", "ccz", "cswap", "iswap", "ecr", "ctrl"};
    char low[32];
    size_t k = 0;
    for (; name[k] && k < sizeof low - 1; k++)
        low[k] = (char)(name[k] >= 'A' && name[k] <= 'Z' ? name[k] + 32 : name[k]);
    if (name[k]) return NULL;
    low[k] = '\0';
    for (size_t i = 0; i < sizeof lower_names / sizeof *lower_names; i++)
        if (strcmp(low, lower_names[i]) == 0 && strcmp(name, lower_names[i]) != 0) return lower_names[i];
    return NULL;
}
