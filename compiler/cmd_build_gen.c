/* qnnc build, the generated C: every field of each rt_experiment (rt_spec.h) as a static
 * initialiser, its layer and tensor specs, the declarations of the circuits compiled into the
 * object file, and either a main that hands everything to rt_main (runtime/rt_main.h), or, for
 * libraries, NAME_create (runtime/qnn_embed.h), or, for shared libraries, the table and
 * qnn_lib_open of runtime/qnn_shared.h. Numbers are written so that they read back as
 * the same doubles: the binary must train exactly as `qnnc run` does. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cg.h"
#include "cmd_build.h"
#include "rt_schema.h"

/* A C string literal: printable ASCII as is, the rest as three-digit octal escapes (which
 * cannot swallow a following digit); NULL (a text not known) as "". */
static void c_string(FILE *f, const char *s) {
    if (!s) s = "";
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p >= 0x20 && *p < 0x7f && *p != '?') fputc(*p, f); /* '?': no trigraphs */
        else fprintf(f, "\\%03o", *p);
    }
    fputc('"', f);
}

/* A long string (a report's circuit drawing) as one literal per line of it, so that the
 * generated C stays readable and no line is megabytes long. */
static void c_string_lines(FILE *f, const char *s, const char *indent) {
    size_t n = strlen(s);
    if (n == 0) {
        fputs("\"\"", f);
        return;
    }
    for (size_t i = 0; i < n;) {
        size_t k = strcspn(s + i, "\n");
        k += s[i + k] == '\n';
        char *line = malloc(k + 1);
        if (!line) { /* out of memory: the drawing is a figure, not the model */
            fputs("NULL", f);
            return;
        }
        memcpy(line, s + i, k);
        line[k] = '\0';
        if (i) fprintf(f, "\n%s", indent);
        c_string(f, line);
        free(line);
        i += k;
    }
}

/* The shortest decimal that reads back as v (a double initialiser). */
static void c_real(FILE *f, double v) {
    if (isnan(v)) {
        fputs("NAN", f);
        return;
    }
    if (isinf(v)) {
        fputs(v < 0 ? "-INFINITY" : "INFINITY", f);
        return;
    }
    char buf[40];
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, sizeof buf, "%.*g", p, v);
        if (strtod(buf, NULL) == v) break;
    }
    fputs(buf, f);
}

static const char *name_of(const char *const *names, int n, int v) {
    return v >= 0 && v < n ? names[v] : names[0];
}

static const char *const LAYER_KINDS[] = {"RT_LAYER_LINEAR", "RT_LAYER_BATCHNORM", "RT_LAYER_RELU",
                                          "RT_LAYER_TANH",   "RT_LAYER_SIGMOID",   "RT_LAYER_SINE",
                                          "RT_LAYER_SCALE",  "RT_LAYER_RFF",       "RT_LAYER_QUANTUM",
                                          "RT_LAYER_SOFTMAX", "RT_LAYER_LOG_SOFTMAX", "RT_LAYER_PARALLEL",
                                          "RT_LAYER_RESIDUAL", "RT_LAYER_SPLIT"};
static const char *const LINEAR_INITS[] = {"RT_LINEAR_INIT_DEFAULT", "RT_LINEAR_INIT_SIREN_FIRST",
                                           "RT_LINEAR_INIT_SIREN"};
static const char *const PARAM_INITS[] = {"RT_PARAM_INIT_UNIFORM", "RT_PARAM_INIT_NORMAL",
                                          "RT_PARAM_INIT_CONST"};
static const char *const DATA_KINDS[] = {"RT_DATA_IMAGE", "RT_DATA_SOUND", "RT_DATA_CSV", "RT_DATA_NONE"};
static const char *const OBJECTIVES[] = {"RT_OBJECTIVE_NONE", "RT_OBJECTIVE_MINIMIZE", "RT_OBJECTIVE_MAXIMIZE"};
static const char *const EXACT_MODES[] = {"RT_EXACT_AUTO", "RT_EXACT_OFF"};
static const char *const LOSSES[] = {"RT_LOSS_MSE", "RT_LOSS_L1", "RT_LOSS_CROSS_ENTROPY", "RT_LOSS_BCE",
                                     "RT_LOSS_HUBER"};
static const char *const OPTIMIZERS[] = {"RT_OPT_ADAM", "RT_OPT_SGD"};
static const char *const SCHEDULES[] = {"RT_SCHED_CONSTANT", "RT_SCHED_COSINE", "RT_SCHED_LINEAR"};
#define NAME(table, v) name_of(table, (int)(sizeof table / sizeof *table), (int)(v))

static void data_spec(FILE *f, const rt_data_spec *d, const char *indent) {
    fprintf(f, "{\n%s    .kind = %s,\n%s    .path = ", indent, NAME(DATA_KINDS, d->kind), indent);
    c_string(f, d->path);
    fprintf(f, ",\n%s    .size = %d, .from_size = %d, .channels = %d, .lo = ", indent, d->size,
            d->from_size, d->channels);
    c_real(f, d->lo);
    fputs(", .hi = ", f);
    c_real(f, d->hi);
    fprintf(f, ",\n%s    .start = %ldL, .stop = %ldL, .stride = %ldL, .normalize = %d, .channel = %d,\n",
            indent, d->start, d->stop, d->stride, d->normalize, d->channel);
    fprintf(f, "%s    .n_inputs = %d, .n_outputs = %d, .header = %d,\n%s}", indent, d->n_inputs,
            d->n_outputs, d->header, indent);
}

static void tensors(FILE *f, int e, int l, const rt_layer_spec *s) {
    fprintf(f, "static rt_tensor_spec tensors_%d_%d[] = {\n", e, l);
    for (int t = 0; t < s->n_tensors; t++) {
        const rt_tensor_spec *ts = &s->tensors[t];
        fputs("    {.name = ", f);
        c_string(f, ts->name);
        fprintf(f, ", .rank = %d, .shape = {", ts->rank);
        for (int r = 0; r < ts->rank && r < 8; r++) fprintf(f, "%s%d", r ? ", " : "", ts->shape[r]);
        fprintf(f, "}, .offset = %d, .size = %d,\n     .init = %s, .a = ", ts->offset, ts->size,
                NAME(PARAM_INITS, ts->init));
        c_real(f, ts->a);
        fputs(", .b = ", f);
        c_real(f, ts->b);
        fputs("},\n", f);
    }
    fputs("};\n", f);
}

static void layers(FILE *f, int e, const rt_experiment *x) {
    for (int l = 0; l < x->n_layers; l++)
        if (x->layers[l].n_tensors > 0) tensors(f, e, l, &x->layers[l]);
    fprintf(f, "static rt_layer_spec layers_%d[] = {\n", e);
    for (int l = 0; l < x->n_layers; l++) {
        const rt_layer_spec *s = &x->layers[l];
        fprintf(f, "    {.kind = %s, .in = %d, .out = %d, .bias = %d, .init = %s,\n     .omega0 = ",
                NAME(LAYER_KINDS, s->kind), s->in, s->out, s->bias, NAME(LINEAR_INITS, s->init));
        c_real(f, s->omega0);
        fputs(", .momentum = ", f);
        c_real(f, s->momentum);
        fputs(", .eps = ", f);
        c_real(f, s->eps);
        fputs(", .rff_scale = ", f);
        c_real(f, s->rff_scale);
        fprintf(f, ",\n     .circuit = %d, .n_tensors = %d, .tensors = ", s->circuit, s->n_tensors);
        if (s->n_tensors > 0) fprintf(f, "tensors_%d_%d", e, l);
        else fputs("NULL", f);
        fprintf(f, ", .n_params = %d, .n_uniform = %d,\n     .n_branches = %d, .parent = %d, .branch = %d,"
                "\n     .circuit_svg = ", s->n_params, s->n_uniform, s->n_branches, s->parent, s->branch);
        if (s->circuit_svg) c_string_lines(f, s->circuit_svg, "         ");
        else fputs("NULL", f);
        fputs("},\n", f);
    }
    if (x->n_layers == 0) fputs("    {0},\n", f);
    fputs("};\n", f);
}

/* The objective's Hamiltonian (rt_spec.h), for the exact energy a native run reports. */
static void hamiltonian(FILE *f, int e, const rt_experiment *x) {
    if (x->ham_n_terms < 1) return;
    fprintf(f, "static const rt_pauli_term hamiltonian_%d[] = {\n", e);
    for (int k = 0; k < x->ham_n_terms; k++) {
        fputs("    {", f);
        c_real(f, x->ham_terms[k].coef);
        fprintf(f, ", 0x%xu, 0x%xu},\n", (unsigned)x->ham_terms[k].x_mask, (unsigned)x->ham_terms[k].z_mask);
    }
    fputs("};\n", f);
}

/* The fields rt_schema.h's tables name, walked there rather than listed here: every integer
 * setting's field (epochs, batch, seed, ...) and every double a constructor argument fills
 * (lr, betas, eps, momentum, weight_decay, min_lr, huber's delta), each once. */
static void schema_fields(FILE *f, const rt_experiment *x) {
    fputs("    /* from rt_schema.h's tables */\n   ", f);
    for (int k = 0; k < RT_N_SETTINGS; k++) {
        const rt_setting *st = &rt_settings_schema[k];
        if (!st->field_name) continue;
        long long n;
        if (st->field_size == sizeof(uint64_t)) {
            uint64_t u;
            memcpy(&u, (const char *)x + st->field, sizeof u);
            fprintf(f, " .%s = %lluULL,", st->field_name, (unsigned long long)u);
            continue;
        }
        int i;
        memcpy(&i, (const char *)x + st->field, sizeof i);
        n = i;
        fprintf(f, " .%s = %lld,", st->field_name, n);
    }
    fputs("\n   ", f);
    size_t done[32];
    int n_done = 0;
    for (int c = 0; c < rt_n_constructors; c++)
        for (int i = 0; i < rt_constructors[c].n_args; i++) {
            const rt_arg *a = &rt_constructors[c].args[i];
            size_t fields[2] = {a->field, a->field2};
            const char *names[2] = {a->field_name, a->field2_name};
            for (int j = 0; j < 2; j++) {
                int seen = !fields[j];
                for (int d = 0; d < n_done && !seen; d++) seen = done[d] == fields[j];
                if (seen || n_done == 32) continue;
                done[n_done++] = fields[j];
                double v;
                memcpy(&v, (const char *)x + fields[j] - 1, sizeof v);
                fprintf(f, " .%s = ", names[j]);
                c_real(f, v);
                fputc(',', f);
            }
        }
    fputc('\n', f);
}

static void experiment(FILE *f, int e, const build_experiment *be) {
    const rt_experiment *x = &be->x->exp;
    layers(f, e, x);
    hamiltonian(f, e, x);
    fprintf(f, "static const rt_experiment experiment_%d = {\n    .name = ", e);
    c_string(f, x->name);
    fputs(",\n    .source = ", f);
    c_string(f, x->source);
    fputs(",\n    .data = ", f);
    data_spec(f, &x->data, "    ");
    fprintf(f, ",\n    .in_dim = %d, .out_dim = %d,\n", x->in_dim, x->out_dim);
    fprintf(f, "    .loss = %s, .optimizer = %s, .schedule = %s, .bn_eval_running = %d,\n",
            NAME(LOSSES, x->loss), NAME(OPTIMIZERS, x->optimizer), NAME(SCHEDULES, x->schedule),
            x->bn_eval_running);
    schema_fields(f, x);
    fprintf(f, "    .eval_size = %d, .has_eval_target = %d,\n    .eval_target = ", x->eval_size,
            x->has_eval_target);
    data_spec(f, &x->eval_target, "    ");
    fprintf(f, ",\n    .metric_mse = %d, .metric_psnr = %d, .metric_accuracy = %d, .split = ", x->metric_mse,
            x->metric_psnr, x->metric_accuracy);
    c_real(f, x->split);
    fputs(",\n", f);
    const char *outs[] = {x->out_image, x->out_sound, x->out_csv, x->out_checkpoint, x->out_report};
    const char *fields[] = {"out_image", "out_sound", "out_csv", "out_checkpoint", "out_report"};
    for (int i = 0; i < 5; i++) {
        fprintf(f, "    .%s = ", fields[i]);
        c_string(f, outs[i]);
        fputs(",\n", f);
    }
    fprintf(f, "    .precision = %d,\n", be->precision);
    fprintf(f, "    .n_layers = %d, .layers = layers_%d, .n_circuits = %d,\n", x->n_layers, e,
            x->n_circuits);
    fprintf(f, "    .objective = %s, .objective_output = %d, .exact = %s, .simulation = %d,\n",
            NAME(OBJECTIVES, x->objective), x->objective_output, NAME(EXACT_MODES, x->exact),
            x->simulation); /* `trajectories` is a schema field, written with the others */
    fprintf(f, "    .ham_qubits = %d, .ham_n_terms = %d, .ham_terms = ", x->ham_qubits, x->ham_n_terms);
    if (x->ham_n_terms > 0) fprintf(f, "hamiltonian_%d,\n", e);
    else fputs("NULL,\n", f);
    /* what tells this run apart in its report (rt_spec.h): as `qnnc run` fills it in */
    char built[32], running[32], toolchain[sizeof x->toolchain];
    cg_llvm_version(built, sizeof built, running, sizeof running);
    snprintf(toolchain, sizeof toolchain, "qnnc %s, LLVM %s", QNN_VERSION, running);
    const char *texts[] = {x->model_call, x->overrides, be->gradient, toolchain};
    const char *names[] = {"model_call", "overrides", "gradient", "toolchain"};
    for (int i = 0; i < 4; i++) {
        fprintf(f, "    .%s = ", names[i]);
        c_string(f, texts[i]);
        fputs(",\n", f);
    }
    fputs("};\n", f);
}

/* The rest of an rt_compiled_circuit initialiser after its name: info, the two functions,
 * the shots plan and the kept-state pair. */
static void circuit_entry(FILE *f, const build_circuit *c) {
    fprintf(f, ", %s_info, %s_forward, %s_vjp, ", c->prefix, c->prefix, c->prefix);
    if (c->plan) fprintf(f, "&%s_shots, ", c->prefix);
    else fputs("NULL, ", f);
    if (c->kept) fprintf(f, "%s_forwardK, %s_vjpK},\n", c->prefix, c->prefix);
    else fputs("NULL, NULL},\n", f);
}

static void circuit_table(FILE *f, int e, const build_unit *u) {
    const build_experiment *be = &u->experiments[e];
    int n = be->x->exp.n_circuits;
    if (n == 0) return;
    fprintf(f, "static const rt_compiled_circuit circuits_%d[] = {\n", e);
    for (int k = 0; k < n; k++) {
        const build_circuit *c = &u->circuits[be->circuit[k]];
        fputs("    {", f);
        c_string(f, c->name);
        circuit_entry(f, c);
    }
    fputs("};\n", f);
}

static void int_array(FILE *f, const char *prefix, const char *what, const int *v, int n) {
    fprintf(f, "static const int %s_shots_%s[] = {", prefix, what);
    for (int i = 0; i < n; i++) fprintf(f, "%s%d", i ? ", " : "", v[i]);
    fputs(n ? "};\n" : "0};\n", f);
}

static void real_array(FILE *f, const char *prefix, const char *what, const double *v, int n) {
    fprintf(f, "static const double %s_shots_%s[] = {", prefix, what);
    for (int i = 0; i < n; i++) fprintf(f, "%s%.17g", i ? ", " : "", v[i]);
    fputs(n ? "};\n" : "0};\n", f);
}

/* The plan of a measurement circuit (shots = N, compiler/shots.h) as static data. */
static void shots_plan(FILE *f, const build_circuit *c) {
    const rt_shots_plan *p = c->plan;
    const char *x = c->prefix;
    int_array(f, x, "kind", p->kind, p->n_outputs);
    int_array(f, x, "first", p->first, p->n_outputs);
    int_array(f, x, "count", p->count, p->n_outputs);
    real_array(f, x, "offset", p->offset, p->n_outputs);
    real_array(f, x, "coef", p->coef, p->n_raw);
    int_array(f, x, "prob_first", p->prob_first, p->n_raw);
    int_array(f, x, "prob_size", p->prob_size, p->n_raw);
    fprintf(f, "static const rt_shots_plan %s_shots = {%d, %d, %s_shots_kind, %s_shots_first, "
               "%s_shots_count,\n    %s_shots_offset, %s_shots_coef, %s_shots_prob_first, "
               "%s_shots_prob_size};\n", x, p->n_outputs, p->n_raw, x, x, x, x, x, x, x);
}

/* Shared libraries: every circuit of the unit (qnn_lib_circuit_*) and every experiment's
 * model, handed to the runtime by the one entry point qnn_shared.h has callers start from. */
static void shared_table(FILE *f, const build_unit *u) {
    if (u->n_circuits > 0) {
        fputs("static const rt_compiled_circuit all_circuits[] = {\n", f);
        for (int i = 0; i < u->n_circuits; i++) {
            const build_circuit *c = &u->circuits[i];
            fputs("    {", f);
            c_string(f, c->name ? c->name : "circuit");
            circuit_entry(f, c);
        }
        fputs("};\n\n", f);
    }
    fputs("static const qnn_shared_desc library = {\n    QNN_ABI_VERSION,\n    ", f);
    c_string(f, u->built_with);
    fputs(",\n    ", f);
    c_string(f, u->source_abs);
    fprintf(f, ",\n    %d, %s,\n    %d, experiments,\n};\n\n", u->n_circuits,
            u->n_circuits > 0 ? "all_circuits" : "NULL", u->n_experiments);
    fputs("qnn_lib *qnn_lib_open(int abi, int threads, char *err, size_t errlen) {\n"
          "    return qnn_shared_open(&library, abi, threads, err, errlen);\n}\n", f);
}

int build_write_c(FILE *f, const build_unit *u) {
    const sema_experiment *x0 = u->experiments[0].x;
    fputs("/* Generated by qnnc build: do not edit (rebuild from the .qnn file instead).\n * ", f);
    fprintf(f, "Source %s; %s.\n", x0->exp.source, u->built_with);
    fputs(" * The experiment as plain data (runtime/rt_spec.h), the circuits compiled into the\n"
          " * accompanying object file (runtime/rt_main.h), and the entry point. */\n", f);
    fputs("#include <math.h>\n#include <stddef.h>\n#include <stdint.h>\n\n#include \"rt_main.h\"\n", f);
    if (u->lib_name) fputs("#include \"qnn_embed.h\"\n", f);
    if (u->shared) fputs("#include \"qnn_shared.h\"\n", f);
    fputs("\n/* The circuits (rt_circuit.h gives the contract of the two functions). */\n", f);
    for (int i = 0; i < u->n_circuits; i++) {
        const char *p = u->circuits[i].prefix;
        fprintf(f, "/* circuit %s */\n", u->circuits[i].name);
        fprintf(f, "void %s_forward(const void *params, const void *inputs, void *outputs, "
                   "int64_t n_samples,\n    void *work);\n", p);
        fprintf(f, "void %s_vjp(const void *params, const void *inputs, const void *grad_outputs, "
                   "void *grad_params,\n    void *grad_inputs, int64_t n_samples, void *work);\n", p);
        if (u->circuits[i].kept) {
            fprintf(f, "void %s_forwardK(const void *params, const void *inputs, void *outputs, "
                       "int64_t n_samples,\n    void *work, void *states);\n", p);
            fprintf(f, "void %s_vjpK(const void *params, const void *inputs, const void *grad_outputs, "
                       "void *grad_params,\n    void *grad_inputs, int64_t n_samples, void *work, "
                       "const void *states);\n", p);
        }
        fprintf(f, "extern const int64_t %s_info[8];\n", p);
        if (u->circuits[i].plan) shots_plan(f, &u->circuits[i]);
    }
    for (int e = 0; e < u->n_experiments; e++) {
        fprintf(f, "\n/* ---- experiment %s ---- */\n", u->experiments[e].x->exp.name);
        experiment(f, e, &u->experiments[e]);
        circuit_table(f, e, u);
    }
    fputs("\nstatic const rt_compiled_experiment experiments[] = {\n", f);
    for (int e = 0; e < u->n_experiments; e++)
        if (u->experiments[e].x->exp.n_circuits) fprintf(f, "    {&experiment_%d, circuits_%d},\n", e, e);
        else fprintf(f, "    {&experiment_%d, NULL},\n", e);
    fputs("};\n\n", f);
    if (u->shared) {
        shared_table(f, u);
    } else if (u->lib_name) {
        fprintf(f, "qnn_model *%s_create(int threads, char *err, size_t errlen) {\n"
                   "    return qnn_model_create(&experiments[0], threads, err, errlen);\n}\n",
                u->lib_name);
    } else {
        fputs("static const rt_main_info info = {\n    ", f);
        c_string(f, u->source_abs);
        fputs(",\n    ", f);
        c_string(f, u->built_with);
        fprintf(f, ",\n};\n\nint main(int argc, char **argv) {\n"
                   "    return rt_main(argc, argv, %d, experiments, &info);\n}\n",
                u->n_experiments);
    }
    return ferror(f) ? -1 : 0;
}

int build_write_header(FILE *f, const build_unit *u, const char *embed_h, char *err, size_t errlen) {
    FILE *in = fopen(embed_h, "r");
    if (!in) {
        snprintf(err, errlen, "cannot read %s (the embedding API): set QNN_RUNTIME_DIR to the "
                              "folder of the runtime's headers", embed_h);
        return -1;
    }
    const sema_experiment *sx = u->experiments[0].x;
    const rt_experiment *x = &sx->exp;
    char upper[128];
    size_t n = 0;
    for (const char *p = u->lib_name; *p && n + 1 < sizeof upper; p++)
        upper[n++] = (char)toupper((unsigned char)*p);
    upper[n] = '\0';
    fprintf(f, "/* %s.h: the model of experiment `%s` (%s) as a C library, generated by qnnc build\n"
               " * (%s). Link:  cc app.c %s.a -lpng -lz -lsndfile -lfftw3 -lcairo -llapacke -lpthread -lm\n"
               " *\n * The model maps %d coordinate%s to %d value%s and has %lld parameters; it was\n"
               " * trained with batchnorm_eval = %s. Create it with %s_create, load the weights\n"
               " * that `qnnc run` (or its native binary) wrote with qnn_model_load, evaluate it\n"
               " * with qnn_model_forward. The API (qnn_embed.h) follows. */\n",
            u->lib_name, x->name, x->source, u->built_with, u->lib_name, x->in_dim,
            x->in_dim == 1 ? "" : "s", x->out_dim, x->out_dim == 1 ? "" : "s", sx->model.n_params,
            x->bn_eval_running ? "running" : "batch", u->lib_name);
    fprintf(f, "#ifndef %s_H\n#define %s_H\n\n", upper, upper);
    char buf[4096];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, got, f);
    fclose(in);
    fprintf(f, "\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
               "#define %s_IN_DIM %d   /* coordinates per point */\n"
               "#define %s_OUT_DIM %d  /* values per point */\n\n"
               "/* A new model of this experiment (initial weights from its seed); threads as for\n"
               " * qnn_model_create. NULL with a message in err on failure. */\n"
               "qnn_model *%s_create(int threads, char *err, size_t errlen);\n\n"
               "#ifdef __cplusplus\n}\n#endif\n\n#endif\n",
            upper, x->in_dim, upper, x->out_dim, u->lib_name);
    if (ferror(f)) {
        snprintf(err, errlen, "writing the header failed");
        return -1;
    }
    return 0;
}
