/* Private to semantic analysis (sema.c, sema_layers.c, sema_exp.c): the checker's state. */
#ifndef QNN_SEMA_IMPL_H
#define QNN_SEMA_IMPL_H

#include "elab.h"
#include "noise.h"
#include "sema.h"

typedef struct sema {
    arena *ar;
    sema_options opt;
    elab_ctx cx;
    env globals;
    ast_list items;       /* every item of the file and its imports, in load order */
    int main_file;        /* diag file id of the file being checked */
    const char *source_path;
    const char *loaded[256];
    int n_loaded;
    const char *stack[64];      /* canonical paths of the files being loaded */
    const char *stack_shown[64]; /* the same as the user would write them */
    int n_stack;
    ir_circuit **owned;   /* every circuit lowered, freed together */
    int n_owned, cap_owned;
    sema_result *result;
    int set_files[256];   /* diag source of each --set option, registered once per file */
    /* Model `let`s that hide an earlier name, and whether any elaboration read them: the
     * ones never read are warned about once the file is checked (as lower.c does for
     * circuits). */
    struct sema_let { const ast_node *let; int used; } *hiding_lets;
    int n_hiding_lets, cap_hiding_lets;
    /* Circuits of quantum layers that state their own `noise = ...` (sema_layers.c): the
     * experiment's noise model leaves them as they are. */
    const ir_circuit **layer_noised;
    int n_layer_noised, cap_layer_noised;
} sema;

/* A model under construction: its layers and the width flowing out of the last one. */
typedef struct {
    sema_model *m;
    int width;            /* -1 until known; WIDTH_ANY after an error, so that it does not cascade */
    int cap;
    int parent, branch;   /* where added layers go: rt_layer_spec.parent / .branch */
} model_build;

enum { WIDTH_ANY = -2 };

ast_node *sema_find(sema *S, const char *name, ast_kind kind);
/* The closest name to `name` among items of `kind` and `extra` (for "did you mean"), or NULL. */
const char *sema_suggest(sema *S, const char *name, ast_kind kind, const char *const *extra, int n_extra);
ir_circuit *sema_keep_circuit(sema *S, ir_circuit *c);

/* Built-in layers (sema_layers.c): returns 1 if `s` names one (and handled it). */
int sema_builtin_layer(sema *S, model_build *M, env *e, ast_node *s);
/* Shared by sema_layers.c: adds a layer after checking/fixing the incoming width. */
rt_layer_spec *sema_add_layer(sema *S, model_build *M, rt_layer_type kind, src_loc loc);
int sema_check_width(sema *S, model_build *M, int in, src_loc loc, const char *layer);
int sema_need_width(sema *S, model_build *M, src_loc loc, const char *layer);

void sema_model_call(sema *S, model_build *M, ast_node *model, const ast_list *args, src_loc loc,
                     env *caller);
int sema_build_model(sema *S, ast_node *model, const ast_list *args, src_loc loc, env *caller,
                     sema_model *out);

/* A quantum layer's own noise model (sema_layers.c, language.md §6.16): *circuit_args are
 * the layer's arguments without `noise = ...`, and *noise that argument (NULL without one).
 * 0 after reporting (the circuit declares a formal `noise`, which the layer's would hide). */
int sema_layer_noise_arg(sema *S, const ast_node *circ, const ast_list *args, ast_list *circuit_args,
                         const ast_node **noise);
/* c with the layer's noise model `noise` (the argument above) applied, kept by sema and
 * recorded as carrying its layer's noise; NULL after reporting. */
ir_circuit *sema_layer_noise_apply(sema *S, env *e, const ast_node *noise, ir_circuit *c);
/* Whether c is a layer's circuit with its own noise model (even `noise = none`). */
int sema_has_layer_noise(const sema *S, const ir_circuit *c);

/* Experiments (sema_exp.c). */
/* noise = rule, [rules] or none (language.md §6.16) into m; 0 after reporting. */
int sema_noise_model(const value *v, noise_model *m);
int sema_experiment_check(sema *S, ast_node *exp, sema_experiment *out);

#endif
