/* What the compiler hands the runtime for one experiment: a flat list of layer specs (the
 * elaborated model) and every setting of the experiment, all defaults filled in. Plain data:
 * the JIT driver and the generated `main` of native binaries fill the same structs. */
#ifndef QNN_RT_SPEC_H
#define QNN_RT_SPEC_H

#include <stdint.h>

/* Room for a path in these structs: PATH_MAX of Linux, the NUL included. Whoever fills them
 * refuses a longer path with a message instead of cutting it (a cut path names another
 * file). */
#define RT_PATH_MAX 4096

typedef enum {
    RT_LAYER_LINEAR,
    RT_LAYER_BATCHNORM,
    RT_LAYER_RELU,
    RT_LAYER_TANH,
    RT_LAYER_SIGMOID,
    RT_LAYER_SINE,    /* sin(omega0 * x) */
    RT_LAYER_SCALE,   /* omega0 * x */
    RT_LAYER_RFF,     /* [cos(2 pi B x), sin(2 pi B x)], B ~ N(0, scale^2) fixed */
    RT_LAYER_QUANTUM, /* a compiled circuit: inputs = features, outputs = expectation values */
    /* appended, so that the values above (in generated code and checkpoints) stay put */
    RT_LAYER_SOFTMAX,     /* per sample: exp(x_k) / sum_j exp(x_j) */
    RT_LAYER_LOG_SOFTMAX, /* per sample: x_k - log sum_j exp(x_j) */
    /* composite layers (runtime/rt_group.h): their branches' layers follow them in the list */
    RT_LAYER_PARALLEL,    /* branches on the same input, outputs concatenated */
    RT_LAYER_RESIDUAL,    /* x + f(x) */
    RT_LAYER_SPLIT        /* n_branches copies on consecutive slices of the input */
} rt_layer_type;

/* The layer's name in .qnn files, reports and `qnnc info`; "?" for a value out of range. */
static inline const char *rt_layer_kind_name(rt_layer_type k) {
    static const char *const names[] = {"linear", "batchnorm", "relu", "tanh", "sigmoid", "sine",
                                        "scale", "rff", "quantum", "softmax", "log_softmax",
                                        "parallel", "residual", "split"};
    return (unsigned)k < sizeof names / sizeof *names ? names[k] : "?";
}

typedef enum { RT_LINEAR_INIT_DEFAULT, RT_LINEAR_INIT_SIREN_FIRST, RT_LINEAR_INIT_SIREN } rt_linear_init;

typedef enum { RT_PARAM_INIT_UNIFORM, RT_PARAM_INIT_NORMAL, RT_PARAM_INIT_CONST } rt_param_init;

/* A trainable tensor of a quantum layer: elements [offset, offset + size) of its parameters. */
typedef struct {
    char name[48];
    int rank, shape[8];
    int offset, size;
    rt_param_init init;
    double a, b; /* uniform [a, b); normal mean a, std b; constant a */
} rt_tensor_spec;

typedef struct {
    rt_layer_type kind;
    int in, out;
    int bias;              /* linear */
    rt_linear_init init;   /* linear */
    double omega0;         /* sine, scale, and the SIREN initialisation of linear */
    double momentum, eps;  /* batchnorm */
    double rff_scale;      /* rff */
    int circuit;           /* quantum: index into the experiment's compiled circuits */
    int n_tensors;         /* quantum: its parameter tensors */
    rt_tensor_spec *tensors;
    int n_params;          /* quantum: total circuit parameters */
    int n_uniform;         /* quantum: the circuit's last inputs that are uniform() draws,
                            * which the layer makes (circuit inputs = in + n_uniform) */
    /* quantum: the circuit's drawing as an SVG document, which the run's report folder shows
     * (the runtime has no IR to draw from); NULL: none. Layers of one circuit may share it. */
    const char *circuit_svg;
    /* The model as a tree, in pre-order: a composite layer (parallel, residual, split) has
     * n_branches branches; the layers of branch b of the composite at index g carry
     * parent = g + 1 and branch = b, those of the model's own sequence parent = 0 (so that a
     * zeroed spec is a plain layer). Each copy of a split is a branch of its own. */
    int n_branches;
    int parent, branch;
} rt_layer_spec;

/* RT_DATA_NONE: an objective experiment (`objective = minimize`, language.md section 6.14)
 * reads no data; appended so that the other values stay put in generated code. */
typedef enum { RT_DATA_IMAGE, RT_DATA_SOUND, RT_DATA_CSV, RT_DATA_NONE, RT_DATA_IMAGES } rt_data_kind;
/* RT_DATA_IMAGES: an image set (`images(path)`, rt_imageset.h) that a generative experiment
 * (language.md §6.17) learns to generate; found like other data (run_find_data). */

/* A generative experiment's networks and GAN settings (language.md §6.17; run_gan.h). The
 * features model is the experiment's model; the rest of run_gan_spec is fixed (§6.17). */
#define RT_GENERATIVE_MAX_HIDDEN 16
typedef struct {
    int on;                            /* `generator = ...` was given */
    int latent, style, mapping, rank;  /* rt_gen_config's z_dim, w_dim, mapping_layers, rank */
    double mapping_lr_mul;
    int n_hidden, hidden[RT_GENERATIVE_MAX_HIDDEN];
    int n_disc_hidden, disc_hidden[RT_GENERATIVE_MAX_HIDDEN], mbstd;
    double r1, ema, lr_g, lr_d, beta1, beta2, adam_eps;
    int r1_every, steps;
} rt_generative;
/* cross_entropy and bce are the classification losses (rt_task.h): their targets are classes,
 * their reports show accuracy instead of PSNR. */
typedef enum { RT_LOSS_MSE, RT_LOSS_L1, RT_LOSS_CROSS_ENTROPY, RT_LOSS_BCE, RT_LOSS_HUBER } rt_loss_kind;
typedef enum { RT_OPT_ADAM, RT_OPT_SGD } rt_optimizer_kind;
typedef enum { RT_SCHED_CONSTANT, RT_SCHED_COSINE, RT_SCHED_LINEAR } rt_schedule_kind;
/* An experiment without data trains the model's parameters to minimise (or maximise) one of
 * its outputs, e.g. a VQE energy <psi(w)| H |psi(w)>. */
enum { RT_SIM_STATEVECTOR, RT_SIM_DENSITY_MATRIX, RT_SIM_TRAJECTORIES };
typedef enum { RT_OBJECTIVE_NONE, RT_OBJECTIVE_MINIMIZE, RT_OBJECTIVE_MAXIMIZE } rt_objective_kind;
/* The exact optimum of an objective (the lowest or highest eigenvalue of its Hamiltonian,
 * runtime/rt_exact.h): computed when the Hamiltonian is known and small enough, or not. */
typedef enum { RT_EXACT_AUTO, RT_EXACT_OFF } rt_exact_mode;

/* One Pauli product of a Hamiltonian, as compiler/ir.h's ir_pauli_term: bit w of x_mask /
 * z_mask set means X / Z on wire w (both: Y), wire 0 the most significant bit of a basis
 * index. */
typedef struct {
    double coef;
    uint32_t x_mask, z_mask;
} rt_pauli_term;

typedef struct {
    rt_data_kind kind;
    char path[RT_PATH_MAX]; /* as written; the runtime searches for it (run_find_data) */
    /* image */
    int size;              /* shorter side after resize; then centre crop to size x size */
    int from_size;         /* 0, or prepared at from_size x from_size first, then resized to the
                              grid (a ground truth made from the low-resolution image) */
    int channels;          /* 1 = gray (luminance), 3 = RGB */
    double lo, hi;         /* values mapped from [0, 1] to [lo, hi] */
    /* sound */
    long start, stop, stride;
    int normalize;
    int channel;           /* -1 = mix-down */
    /* csv */
    int n_inputs, n_outputs;
    int header;
} rt_data_spec;

typedef struct {
    char name[128];
    char source[RT_PATH_MAX]; /* the .qnn file */
    rt_data_spec data;
    /* Coordinates in, model outputs out: the data's value columns, except for cross_entropy
     * with one class-index column, where out_dim is the number of classes (rt_task.h). */
    int in_dim, out_dim;

    rt_loss_kind loss;
    double huber_delta;    /* huber(delta): quadratic below delta, linear above (default 1) */
    rt_optimizer_kind optimizer;
    double lr, beta1, beta2, eps, momentum, weight_decay;
    rt_schedule_kind schedule;
    double lr_min;
    int epochs;
    int batch;             /* 0 = full batch */
    uint64_t seed;
    int bn_eval_running;   /* 0: evaluate with the batch's statistics (the reference), 1: running */

    int eval_size;         /* grid resolution of evaluation; 0 = the training grid */
    rt_data_spec eval_target;  /* ground truth on that grid (has_eval_target) */
    int has_eval_target;
    int metric_mse, metric_psnr, metric_accuracy;
    /* Held out: 0 = none; else the fraction of the data's rows trained on, the others (a
     * seeded choice) evaluated (CSV data only, rt_task.h). */
    double split;
    int eval_every;        /* evaluate train and test every N epochs too; 0 = at the end only */

    /* relative to the output folder, or absolute; "" = not written */
    char out_image[RT_PATH_MAX], out_sound[RT_PATH_MAX], out_csv[RT_PATH_MAX],
        out_checkpoint[RT_PATH_MAX], out_report[RT_PATH_MAX];
    int log_every;
    int precision;         /* 64 or 32: circuit simulation precision */
    int threads;           /* 0 = all cores */
    int shots;             /* 0 = exact expectations; N: every output estimated from N
                            * measurements (docs/semantics.md section 9) */

    int n_layers;
    rt_layer_spec *layers;
    int n_circuits;

    /* Objective experiments (data.kind RT_DATA_NONE, in_dim 0): the loss is +-output
     * objective_output of the model's single evaluation, loss/metrics/split are unused. */
    rt_objective_kind objective;
    int objective_output;
    rt_exact_mode exact;
    /* How the circuits are simulated (`simulation`, language.md §6.16): state vectors, or
     * density matrices (the default when a circuit has noise channels; the compiler binds
     * such circuits to its reference interpreter, so a native binary has none). */
    int simulation; /* RT_SIM_STATEVECTOR, RT_SIM_DENSITY_MATRIX or RT_SIM_TRAJECTORIES */
    /* RT_SIM_TRAJECTORIES: K, the state-vector runs averaged per sample (the compiler made
     * the channels draw-chosen gates, compiler/trajectory.h; rt_qlayer_set_trajectories);
     * 0 with the other methods. */
    int trajectories;
    /* The objective's Hamiltonian when the compiler knows it (the output is an `expval` of the
     * model's last layer, a quantum layer): ham_qubits wires, ham_n_terms products. 0 qubits:
     * unknown (a `var`, or classical layers after the circuit), so no exact energy. */
    int ham_qubits, ham_n_terms;
    const rt_pauli_term *ham_terms;

    /* What tells runs apart in reports (docs/reports.md 4.1), "" when unknown: the model as
     * called, its arguments' values ("qiren(hidden = 2)", sema_exp.c); the --set overrides in
     * order, space-separated (a native binary appends its own); the gradient method
     * ("adjoint", "shift": the `gradient` setting's word when the file or --set gives one,
     * sema_exp.c, then what the circuits were compiled with) and "qnnc V, LLVM V" of the
     * compiled circuits (commands.c for `qnnc run`, cmd_build_gen.c for native binaries). */
    char model_call[256];
    char overrides[1024];
    char gradient[16];
    char toolchain[64];
    rt_generative gen;
} rt_experiment;

#endif
