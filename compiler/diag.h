/* Diagnostics: every phase reports through here. Locations are compact (file id, line,
 * column, length); the source line and caret are rendered only when a message is printed.
 * User errors and internal errors are kept apart; nothing in the compiler calls exit(). */
#ifndef QNN_DIAG_H
#define QNN_DIAG_H

#include <stdio.h>

typedef struct {
    int file; /* id from diag_add_source; 0 = no location */
    int line, col, len;
} src_loc;

/* Registers a source text (kept by reference: the caller keeps it alive) and returns its id. */
int diag_add_source(const char *path, const char *text);
const char *diag_source_path(int file);
/* The sources registered so far (ids 1 .. diag_source_count()) and their texts: what a
 * result was computed from (`qnnc sweep` hashes them). */
int diag_source_count(void);
const char *diag_source_text(int file);

void diag_error(src_loc loc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A warning: printed like an error (`file:line:col: warning:`, line and caret), counted
 * apart, never failing a phase. Repeats at one place are shown once. */
void diag_warning(src_loc loc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A hint attached to the previous error or warning ("did you mean `rz`?"). */
void diag_note(src_loc loc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A compiler bug or a failure of a library (LLVM): reported as such, counted as an error. */
void diag_internal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* True if an error at exactly this place was reported already: a caller about to report it
 * again (a mistake inside a template used a million times) can skip the costly parts, such as
 * a "did you mean" search; the repeat is then suppressed anyway. */
int diag_reported_at(src_loc loc);

/* Errors reported, repeats at one place included (what phases compare before/after). */
int diag_error_count(void);
/* Errors printed (each place once, up to the cap): what the summary line counts. */
int diag_shown_count(void);
/* Warnings printed (each place once, at most the error cap; then one line says so). */
int diag_warning_count(void);
/* True once the error cap is hit: phases should stop early. */
int diag_too_many(void);
void diag_set_stream(FILE *f);
void diag_set_max_errors(int n);
void diag_reset(void);

/* Closest candidate to `name` among `n` strings by edit distance, or NULL if none is close. */
const char *diag_suggest(const char *name, const char *const *candidates, int n);

/* The qnn spelling of a PennyLane name (`CNOT`, `PauliZ`, `IsingZZ`, `qml.RX`, ...): as an
 * observable (`Z`) when `observable`, else as a gate (`z`); NULL when there is none. */
const char *diag_pennylane_name(const char *name, int observable);

#endif
