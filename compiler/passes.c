/* Circuit IR passes: gate fusion (between lowering and codegen) and its cost statistics.
 * The policy and the cost model are documented in passes.h and docs/semantics.md. */
#include "passes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- groups -------------------------------------------------------------------------- */

typedef enum {
    G_1Q,    /* single-qubit ops on one wire */
    G_DIAG,  /* diagonal ops on any wires */
    G_OTHER  /* one non-diagonal two-qubit op: never fused */
} group_kind;

typedef struct {
    group_kind kind;
    uint32_t mask;   /* wires touched */
    int *members;    /* indices into the flattened primitive op list, application order */
    int n, cap;
    int alive;       /* 0 once merged into another group */
} group;

typedef struct {
    const ir_op *prim; /* the input's primitive ops, fused ones expanded */
    int n_prim;
    group *g;
    int n_groups;
} fuser;

static void *fuse_alloc(void *old, size_t bytes) {
    void *p = realloc(old, bytes ? bytes : 1);
    if (!p) { /* same policy as ir.c: allocation failure ends the process */
        fputs("qnn: out of memory\n", stderr);
        exit(3);
    }
    return p;
}

static void group_push(group *g, int member) {
    if (g->n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 4;
        g->members = fuse_alloc(g->members, (size_t)g->cap * sizeof *g->members);
    }
    g->members[g->n++] = member;
}

static int new_group(fuser *f, group_kind kind) {
    group *g = &f->g[f->n_groups]; /* f->g has room for one group per primitive op */
    memset(g, 0, sizeof *g);
    g->kind = kind;
    g->alive = 1;
    return f->n_groups++;
}

static uint32_t prim_mask(const ir_op *op) {
    if (op->gate == IR_MULTIRZ)
        return op->mask;
    uint32_t m = 1u << op->wires[0];
    if (op->wires[1] >= 0)
        m |= 1u << op->wires[1];
    return m;
}

static int group_all_diagonal(const fuser *f, const group *g) {
    if (g->kind == G_DIAG)
        return 1;
    if (g->kind == G_OTHER)
        return 0;
    for (int k = 0; k < g->n; k++)
        if (!ir_gate_is_diagonal(f->prim[g->members[k]].gate))
            return 0;
    return 1;
}

/* Can an op on `mask` move back to group `to`? Only if every group after it that is still
 * alive is on disjoint wires. last[w] is the last group touching wire w. */
static int can_join(const int *last, uint32_t mask, int to) {
    for (int w = 0; w < IR_MAX_QUBITS; w++)
        if ((mask >> w & 1) && last[w] > to)
            return 0;
    return 1;
}

/* The wires of a primitive op on which it does not commute with every diagonal: none for a
 * diagonal op, the target of a controlled one (CNOT CY CRX CRY: a diagonal on the control
 * commutes with |0><0| (x) I + |1><1| (x) U), else all its wires. */
static uint32_t prim_blocks_diag(const ir_op *op) {
    if (ir_gate_is_diagonal(op->gate))
        return 0;
    switch (op->gate) {
    case IR_CNOT: case IR_CY: case IR_CRX: case IR_CRY: return 1u << op->wires[1];
    default: return prim_mask(op);
    }
}

/* last[w]: the last group touching wire w; lastb[w]: the last one that a diagonal on w may
 * not move back past (rule 8). Both only grow: a diagonal may join a group before last[w]. */
static void join(fuser *f, int *last, int *lastb, int gi, int member) {
    group *g = &f->g[gi];
    uint32_t m = prim_mask(&f->prim[member]), b = prim_blocks_diag(&f->prim[member]);
    group_push(g, member);
    g->mask |= m;
    for (int w = 0; w < IR_MAX_QUBITS; w++) {
        if ((m >> w & 1) && last[w] < gi)
            last[w] = gi;
        if ((b >> w & 1) && lastb[w] < gi)
            lastb[w] = gi;
    }
}

/* Rules 1-3 of passes.h: one streaming pass assigning every primitive op to a group. */
static void stream(fuser *f) {
    int last[IR_MAX_QUBITS], lastb[IR_MAX_QUBITS];
    int diag = -1; /* most recent G_DIAG group */
    for (int w = 0; w < IR_MAX_QUBITS; w++)
        last[w] = lastb[w] = -1;
    for (int i = 0; i < f->n_prim; i++) {
        const ir_op *op = &f->prim[i];
        uint32_t m = prim_mask(op);
        int is_diag = ir_gate_is_diagonal(op->gate);
        int gi;
        if (ir_gate_arity(op->gate) == 1) {
            int prev = last[op->wires[0]];
            if (prev >= 0 && f->g[prev].kind == G_1Q)
                gi = prev;
            else if (is_diag && diag >= 0 && can_join(lastb, m, diag))
                gi = diag;
            else
                gi = new_group(f, G_1Q);
        } else if (is_diag) {
            if (diag >= 0 && can_join(lastb, m, diag))
                gi = diag;
            else
                gi = diag = new_group(f, G_DIAG);
        } else {
            gi = new_group(f, G_OTHER);
        }
        join(f, last, lastb, gi, i);
    }
}

/* The split policy (passes.h, rule 6): every diagonal op goes to the most recent diagonal
 * group it can move back to, else opens one; only non-diagonal one-qubit ops form one-qubit
 * groups. Rot is split into RZ RY RZ before this, so runs of RY layers separated by
 * diagonals become real sweeps and one merged diagonal between each pair of layers. */
static void stream_split(fuser *f) {
    int last[IR_MAX_QUBITS], lastb[IR_MAX_QUBITS];
    for (int w = 0; w < IR_MAX_QUBITS; w++)
        last[w] = lastb[w] = -1;
    for (int i = 0; i < f->n_prim; i++) {
        const ir_op *op = &f->prim[i];
        uint32_t m = prim_mask(op);
        int gi = -1;
        if (ir_gate_is_diagonal(op->gate)) {
            /* as early as it may move: the first diagonal group after the last group on
             * its wires that it does not commute with (so RZ(phi) of every wire of a layer
             * meets before the RYs) */
            int lo = -1;
            for (int w = 0; w < IR_MAX_QUBITS; w++)
                if ((m >> w & 1) && lastb[w] > lo)
                    lo = lastb[w];
            for (int k = lo < 0 ? 0 : lo; k < f->n_groups && gi < 0; k++)
                if (f->g[k].kind == G_DIAG)
                    gi = k;
            if (gi < 0)
                gi = new_group(f, G_DIAG);
        } else if (ir_gate_arity(op->gate) == 1) {
            int prev = last[op->wires[0]];
            gi = prev >= 0 && f->g[prev].kind == G_1Q ? prev : new_group(f, G_1Q);
        } else {
            gi = new_group(f, G_OTHER);
        }
        join(f, last, lastb, gi, i);
    }
}

/* Rule 7: diagonal groups that cannot change the measured result are removed. One acting
 * only on wires no earlier op touched multiplies |0..0> on those wires by D[0], a global
 * phase. With diagonal observables only (no X or Y in any term), one acting on wires no
 * later op touches commutes to the readout and leaves every |amplitude|^2 unchanged. The
 * gradient of their angles is exactly 0, which the vjp then reports by adding nothing. */
static void drop_edges(fuser *f, const ir_circuit *c) {
    uint32_t touched = 0;
    for (int i = 0; i < f->n_groups; i++) {
        group *g = &f->g[i];
        if (!g->alive)
            continue;
        if (group_all_diagonal(f, g) && !(g->mask & touched))
            g->alive = 0;
        else
            touched |= g->mask;
    }
    for (int t = 0; t < c->n_terms; t++)
        if (c->terms[t].x_mask)
            return;
    uint32_t later = 0;
    for (int i = f->n_groups - 1; i >= 0; i--) {
        group *g = &f->g[i];
        if (!g->alive)
            continue;
        if (group_all_diagonal(f, g) && !(g->mask & later))
            g->alive = 0;
        else
            later |= g->mask;
    }
}

/* Moves all of src's members into dst (src dies). Diagonal ops commute, so the order of
 * the merged list is free; program order keeps printouts readable. */
static void merge_into(group *dst, group *src) {
    for (int k = 0; k < src->n; k++)
        group_push(dst, src->members[k]);
    dst->mask |= src->mask;
    dst->kind = G_DIAG;
    src->alive = 0;
    for (int a = 1; a < dst->n; a++) /* insertion sort: groups are small */
        for (int b = a; b > 0 && dst->members[b - 1] > dst->members[b]; b--) {
            int t = dst->members[b];
            dst->members[b] = dst->members[b - 1];
            dst->members[b - 1] = t;
        }
}

/* Does a diagonal on the wires of mask commute with every alive group strictly between lo
 * and hi? A group does when each member is on other wires, diagonal, or a controlled gate
 * whose target is not in mask (rule 8). */
static int commutes_between(const fuser *f, int lo, int hi, uint32_t mask) {
    for (int k = lo + 1; k < hi; k++) {
        const group *g = &f->g[k];
        if (!g->alive || !(g->mask & mask))
            continue;
        for (int j = 0; j < g->n; j++)
            if (prim_blocks_diag(&f->prim[g->members[j]]) & mask)
                return 0;
    }
    return 1;
}

/* Rule 4: merge each all-diagonal group with the previous one when one of them may move
 * (across groups on other wires, or that it commutes with: rule 8). */
static void merge_diagonals(fuser *f) {
    int prev = -1;
    for (int i = 0; i < f->n_groups; i++) {
        group *g = &f->g[i];
        if (!g->alive || !group_all_diagonal(f, g))
            continue;
        if (prev >= 0 && commutes_between(f, prev, i, g->mask)) {
            merge_into(&f->g[prev], g); /* g moves back to prev's place */
            continue;
        }
        if (prev >= 0 && commutes_between(f, prev, i, f->g[prev].mask))
            merge_into(g, &f->g[prev]); /* prev moves forward to g's place */
        prev = i;
    }
}

/* ---- rule 0: parity networks --------------------------------------------------------- *
 * A run of CNOTs and diagonal ops whose CNOTs multiply to the identity is diagonal: if, at
 * a point of the run, wire w holds the parity of the input bits in P[w] (CNOT(c, t) does
 * P[t] ^= P[c]), a diagonal there acts on those parities. So CNOT(i, j) RZ(t)(j) CNOT(i, j)
 * is exp(-i t/2 Z_i Z_j), a MULTIRZ on {i, j}; multirz's CNOT ladders and the CNOTs of the
 * Barenco decomposition of ccz (gates.c) are parity networks too. */

enum { WINDOW_SCAN = 4096 }; /* ops a window looks ahead: bounds the work per start */

typedef struct {
    ir_op *p;
    int n, cap;
} op_list;

static void op_push(op_list *l, const ir_op *op) {
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->p = fuse_alloc(l->p, (size_t)l->cap * sizeof *l->p);
    }
    l->p[l->n++] = *op;
}

/* k * a, folded into a constant, or into a's own constant factor or negation (gates.c
 * writes rzz's CRZ angle as t * -2, so its halves on parities are t and -t): shorter angle
 * expressions, and no chains of constant products in the generated gradient code. */
static int scaled(ir_circuit *c, int a, double k) {
    const ir_expr e = c->exprs[a]; /* a copy: adding nodes may move the array */
    if (e.kind == IR_EXPR_CONST)
        return ir_const(c, k * e.value);
    if (e.kind == IR_EXPR_MUL && c->exprs[e.b].kind == IR_EXPR_CONST) {
        k *= c->exprs[e.b].value;
        a = e.a;
    } else if (e.kind == IR_EXPR_MUL && c->exprs[e.a].kind == IR_EXPR_CONST) {
        k *= c->exprs[e.a].value;
        a = e.b;
    } else if (e.kind == IR_EXPR_NEG) {
        k = -k;
        a = e.a;
    }
    if (k == 1)
        return a;
    if (k == -1)
        return ir_unary(c, IR_EXPR_NEG, a);
    return ir_binary(c, IR_EXPR_MUL, a, ir_const(c, k));
}

static void push_mrz(op_list *l, const ir_op *src, uint32_t mask, int a) {
    ir_op m = ir_multirz(mask, a);
    m.src_line = src->src_line; /* the source op's location, like every fused member */
    m.src_col = src->src_col;
    op_push(l, &m);
}

/* Appends diagonal op d, applied where wire w holds the parity of the input bits in P[w],
 * as ops on the input bits. Exact up to a global phase (e^{i p a} = e^{i a/2} e^{-i a/2
 * (1 - 2p)}: PHASE(a) on a parity is MULTIRZ(a)), which no output sees: the circuit's
 * operators are applied to all of the state. Two parities p, q: p q = (p + q - (p ^ q)) / 2. */
static void put_on_parities(ir_circuit *out, op_list *l, const ir_op *d, const uint32_t *P) {
    static const double PI = 3.14159265358979323846;
    int w0 = d->wires[0], w1 = d->wires[1];
    int moved = 0;
    for (int w = 0; w < IR_MAX_QUBITS; w++)
        if ((prim_mask(d) >> w & 1) && P[w] != 1u << w)
            moved = 1;
    if (!moved) {
        op_push(l, d);
        return;
    }
    switch (d->gate) {
    case IR_I: return;
    case IR_Z: push_mrz(l, d, P[w0], ir_const(out, PI)); return;
    case IR_S: push_mrz(l, d, P[w0], ir_const(out, PI / 2)); return;
    case IR_T: push_mrz(l, d, P[w0], ir_const(out, PI / 4)); return;
    case IR_RZ: case IR_PHASE: push_mrz(l, d, P[w0], d->angle[0]); return;
    case IR_MULTIRZ: {
        uint32_t m = 0;
        for (int w = 0; w < IR_MAX_QUBITS; w++)
            if (d->mask >> w & 1)
                m ^= P[w];
        push_mrz(l, d, m, d->angle[0]);
        return;
    }
    case IR_CZ: case IR_CPHASE: { /* e^{i a p q}: a/2 on p and on q, -a/2 on p ^ q */
        int a = d->gate == IR_CZ ? ir_const(out, PI) : d->angle[0];
        int h = scaled(out, a, 0.5), mh = scaled(out, a, -0.5);
        push_mrz(l, d, P[w0], h);
        push_mrz(l, d, P[w1], h);
        push_mrz(l, d, P[w0] ^ P[w1], mh);
        return;
    }
    case IR_CRZ: /* p (-a/2 + a q) = a/2 q - a/2 (p ^ q), exactly */
        push_mrz(l, d, P[w1], scaled(out, d->angle[0], 0.5));
        push_mrz(l, d, P[w0] ^ P[w1], scaled(out, d->angle[0], -0.5));
        return;
    default: /* not diagonal: windows never hold one */
        op_push(l, d);
        return;
    }
}

/* Rewrites prim[0 .. n) into l: every window (a CNOT or diagonal op, then the CNOTs and
 * diagonals after it, past ops on other wires, up to the last point where its CNOTs
 * multiply to the identity) that holds a CNOT becomes the ops on other wires it passed
 * (they commute with the window's earlier ops, so they move before it) and then its
 * diagonals on parities; everything else is copied. New angle expressions go into out. */
static void parity_rewrite(ir_circuit *out, const ir_op *prim, int n, op_list *l) {
    unsigned char *in_win = fuse_alloc(NULL, (size_t)(n ? n : 1));
    for (int i = 0; i < n;) {
        const ir_op *op = &prim[i];
        if (op->gate != IR_CNOT && !ir_gate_is_diagonal(op->gate)) {
            op_push(l, &prim[i++]);
            continue;
        }
        uint32_t P[IR_MAX_QUBITS], wmask = 0;
        for (int w = 0; w < IR_MAX_QUBITS; w++)
            P[w] = 1u << w;
        int moved = 0, best = -1, cnots = 0, best_cnots = 0;
        for (int j = i; j < n && j < i + WINDOW_SCAN; j++) {
            const ir_op *q = &prim[j];
            uint32_t m = prim_mask(q);
            in_win[j] = q->gate == IR_CNOT || ir_gate_is_diagonal(q->gate);
            if (!in_win[j]) {
                if (m & wmask)
                    break; /* it acts between window ops on a window wire */
                continue;
            }
            wmask |= m;
            if (q->gate == IR_CNOT) {
                int c = q->wires[0], t = q->wires[1];
                moved -= P[t] != 1u << t;
                P[t] ^= P[c];
                moved += P[t] != 1u << t;
                cnots++;
            }
            if (!moved) {
                best = j;
                best_cnots = cnots;
            }
        }
        if (best_cnots == 0) { /* no CNOT to see through: the op stays */
            op_push(l, &prim[i++]);
            continue;
        }
        for (int j = i; j <= best; j++)
            if (!in_win[j])
                op_push(l, &prim[j]);
        for (int w = 0; w < IR_MAX_QUBITS; w++)
            P[w] = 1u << w;
        for (int j = i; j <= best; j++) {
            if (!in_win[j])
                continue;
            if (prim[j].gate == IR_CNOT)
                P[prim[j].wires[1]] ^= P[prim[j].wires[0]];
            else
                put_on_parities(out, l, &prim[j], P);
        }
        i = best + 1;
    }
    free(in_win);
}

/* ---- the pass ------------------------------------------------------------------------ */

/* Appends op to p[*k], as RZ(phi) RY(theta) RZ(omega) when split_rot and it is a Rot
 * (Rot = RZ(omega) RY(theta) RZ(phi), phi acting first: the same angles, hence the same
 * gradients). The pieces keep the Rot's source location. */
static void put(ir_op *p, int *k, const ir_op *op, int split_rot) {
    if (!split_rot || op->gate != IR_ROT) {
        p[(*k)++] = *op;
        return;
    }
    static const ir_gate piece[3] = {IR_RZ, IR_RY, IR_RZ};
    for (int j = 0; j < 3; j++) {
        ir_op q = *op;
        q.gate = piece[j];
        q.angle[0] = op->angle[j];
        q.angle[1] = q.angle[2] = -1;
        p[(*k)++] = q;
    }
}

/* The input's ops with fused ones replaced by their members, so the pass is idempotent. */
static ir_op *flatten(const ir_circuit *c, int split_rot, int *n_out) {
    int n = 0;
    for (int i = 0; i < c->n_ops; i++)
        n += 3 * (c->ops[i].n_members > 0 ? c->ops[i].n_members : 1);
    ir_op *p = fuse_alloc(NULL, (size_t)(n ? n : 1) * sizeof *p);
    int k = 0;
    for (int i = 0; i < c->n_ops; i++) {
        const ir_op *op = &c->ops[i];
        if (op->n_members == 0)
            put(p, &k, op, split_rot);
        for (int m = 0; m < op->n_members; m++)
            put(p, &k, &c->members[op->first_member + m], split_rot);
    }
    *n_out = k;
    return p;
}

/* One policy: the plain one (rules 1-5) or the split one (rule 6), with or without rule 0;
 * all apply rules 7 and 8. */
static ir_circuit *fuse_with(const ir_circuit *c, int split, int parities) {
    /* Same expressions, tensors and observables (rule 0 adds expressions); only the op
     * lists are rebuilt. */
    ir_circuit *out = ir_clone(c);
    out->n_ops = 0;
    out->n_members = 0;
    fuser f = {0};
    int n_flat;
    ir_op *flat = flatten(c, split, &n_flat);
    op_list rw = {0};
    if (parities) {
        parity_rewrite(out, flat, n_flat, &rw);
        free(flat);
    } else {
        rw.p = flat;
        rw.n = n_flat;
    }
    ir_op *prim = rw.p;
    f.prim = prim;
    f.n_prim = rw.n;
    f.g = fuse_alloc(NULL, (size_t)(f.n_prim ? f.n_prim : 1) * sizeof *f.g);
    if (split)
        stream_split(&f);
    else
        stream(&f);
    merge_diagonals(&f);
    drop_edges(&f, c);

    ir_op *buf = fuse_alloc(NULL, (size_t)(f.n_prim ? f.n_prim : 1) * sizeof *buf);
    for (int i = 0; i < f.n_groups; i++) {
        group *g = &f.g[i];
        /* a fused op of one member stays that primitive op, but MULTIRZ exists only as a
         * member (the code generator applies it as part of a phase table) */
        if (g->alive && g->n == 1 && prim[g->members[0]].gate != IR_MULTIRZ) {
            const ir_op *p = &prim[g->members[0]];
            int k = ir_add_gate(out, p->gate, p->wires[0], p->wires[1], p->angle[0],
                                p->angle[1], p->angle[2]);
            ir_set_loc(out, k, p->src_line, p->src_col);
        } else if (g->alive) {
            for (int m = 0; m < g->n; m++)
                buf[m] = prim[g->members[m]];
            ir_add_fused(out, group_all_diagonal(&f, g) ? IR_FUSED_DIAG : IR_FUSED_1Q, buf, g->n);
        }
        free(g->members);
    }
    free(buf);
    free(f.g);
    free(prim);
    return out;
}

/* Every policy, then the cost model decides per circuit (the cheapest vjp, which also
 * costs the forward; ties keep the earlier in the order plain, split, each without rule 0
 * then with it: the plain policy's ops are the source's). */
ir_circuit *pass_fuse(const ir_circuit *c) {
    pass_options o = {1, PASS_BLOCK_WIRES};
    return pass_fuse_with(c, &o);
}

ir_circuit *pass_fuse_with(const ir_circuit *c, const pass_options *o) {
    /* No gate may move across a channel (it does not commute with them), and the rules'
     * reasoning (rule 7's dropped phases) is about unitary evolution: a noisy circuit is
     * kept as it is. */
    if (ir_has_channels(c))
        return ir_clone(c);
    ir_circuit *best = NULL;
    double best_cost = 0;
    for (int k = 0; k < 4; k++) {
        ir_circuit *f = fuse_with(c, k & 1, k >> 1);
        /* rule 10 comes last and does not change the flop model, so it does not enter the
         * choice between the policies */
        if (o->pair_blocks) { /* rule 9: only the blocks that lower the cost */
            ir_circuit *p = pass_fuse_pairs(f);
            ir_free(f);
            f = p;
        }
        pass_cost pc;
        pass_cost_of(f, &pc);
        if (!best || pc.vjp_flops < best_cost) {
            ir_free(best);
            best = f;
            best_cost = pc.vjp_flops;
        } else {
            ir_free(f);
        }
    }
    if (o->wire_blocks > 0 && best && best->n_qubits >= PASS_BLOCK_MIN_QUBITS) {
        ir_circuit *b = pass_fuse_blocks(best, o->wire_blocks);
        ir_free(best);
        best = b;
    }
    return best;
}

/* ---- cost model (passes.h) ----------------------------------------------------------- */

static int popcount32(uint32_t v) {
    int n = 0;
    for (; v; v &= v - 1)
        n++;
    return n;
}

/* The cost of one FUSED_2Q of m members, a of them angles (passes.h): forward (the sweep
 * and, when it uses inputs, its matrix built per sample: a 4x4 product per member after the
 * first) and the gradient part of its vjp sweep (G's 16 entries, then per sample the 4x4
 * algebra of cg_fn.c's pair_grads: H_1 = G^dagger U M_1^dagger, one conjugation per later
 * member, one sparse contraction per angle). */
static double dense_forward(double dim, int m, int uses_input) {
    return 32 * dim + (uses_input ? 512.0 * (m - 1) : 0);
}

static double dense_grad(double dim, int m, int a) {
    return a ? 32 * dim + 768 + 512.0 * (m - 1) + 64.0 * a : 0;
}

/* Is the op's matrix real (RY, or a product of RYs)? Then a sweep is a real 2x2 on the
 * real and imaginary parts: 12 flops per pair, not 28; the code generator emits only that. */
static int op_is_real(const ir_circuit *c, const ir_op *op) {
    if (op->n_members == 0)
        return op->gate == IR_RY;
    if (op->gate != IR_FUSED_1Q)
        return 0;
    for (int k = 0; k < op->n_members; k++)
        if (c->members[op->first_member + k].gate != IR_RY)
            return 0;
    return 1;
}

/* Flops of applying op once to a state of dim amplitudes. */
static double op_apply_cost(const ir_circuit *c, const ir_op *op, double dim) {
    if (op->gate == IR_FUSED_BLOCK) { /* the members' own arithmetic, in one sweep */
        double s = 0;
        for (int k = 0; k < op->n_members; k++)
            s += op_apply_cost(c, &c->members[op->first_member + k], dim);
        return s;
    }
    if (op_is_real(c, op))
        return 6 * dim;
    switch (op->gate) {
    case IR_FUSED_2Q: return 32 * dim;
    case IR_FUSED_1Q: return 14 * dim;
    case IR_FUSED_DIAG: return 6 * dim;
    case IR_CNOT: case IR_SWAP: return 0;
    case IR_CRX: case IR_CRY: case IR_CY: return 7 * dim;
    default: return ir_gate_is_diagonal(op->gate) ? 6 * dim : 14 * dim;
    }
}

/* Per-sample cost of building the op's matrix or phase table (0 when it is input-free). A
 * FUSED_DIAG table of 2^k entries is built by doubling over its k wires (two complex
 * multiplies per entry in all) after one 2x2 product per one-qubit member; each two-qubit
 * member then multiplies a quarter of it, each MULTIRZ member all of it (cg_ops.c). */
static double op_build_cost(const ir_circuit *c, const ir_op *op) {
    if (!ir_op_uses_input(c, op) || op->n_members == 0 || op->gate == IR_FUSED_BLOCK)
        return 0; /* a block builds its members' 2x2s per lane group, as primitives do */
    if (op->gate == IR_FUSED_1Q)
        return 56.0 * (op->n_members - 1);
    if (op->gate == IR_FUSED_2Q)
        return dense_forward(0, op->n_members, 1);
    double size = (double)(1u << popcount32(ir_op_wire_mask(c, op)));
    double cost = 12 * size;
    for (int k = 0; k < op->n_members; k++) {
        ir_gate g = c->members[op->first_member + k].gate;
        cost += g == IR_MULTIRZ ? 6 * size : ir_gate_arity(g) == 2 ? 1.5 * size : 12;
    }
    return cost;
}

static int op_n_angles(const ir_circuit *c, const ir_op *op) {
    if (op->n_members == 0)
        return ir_gate_n_angles(op->gate);
    int n = 0;
    for (int k = 0; k < op->n_members; k++)
        n += ir_gate_n_angles(c->members[op->first_member + k].gate);
    return n;
}

/* Flops of the gradient accumulation in the op's backward sweep (cg_fn.c, cg_ops.c): a
 * one-qubit or controlled op accumulates G_rc = sum lambda_r conj(psi_c), 4 flops per real
 * component per pair, 4 components for a real (RY) op and 8 otherwise (8 / 16 dim); the
 * angles' gradients are then 2x2 algebra on G, no sweep. A diagonal op accumulates
 * t_k = 2 Re(i conj(lambda_k) psi_k) (4 flops) and one marginal sum per angle (1 flop). */
static double op_grad_cost(const ir_circuit *c, const ir_op *op, double dim) {
    if (op->gate == IR_FUSED_BLOCK) {
        double s = 0;
        for (int k = 0; k < op->n_members; k++)
            s += op_grad_cost(c, &c->members[op->first_member + k], dim);
        return s;
    }
    int na = op_n_angles(c, op);
    if (op->gate == IR_FUSED_2Q)
        return dense_grad(dim, op->n_members, na);
    if (na == 0)
        return 0;
    if (op->gate == IR_FUSED_DIAG || (op->n_members == 0 && ir_gate_is_diagonal(op->gate)))
        return (4.0 + na) * dim;
    return (op_is_real(c, op) ? 8 : 16) * dim;
}

static int cmp_masks(const void *pa, const void *pb) {
    const uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    return (a > b) - (a < b);
}

void pass_cost_of(const ir_circuit *c, pass_cost *out) {
    double dim = (double)((size_t)1 << c->n_qubits);
    memset(out, 0, sizeof *out);
    out->n_ops = c->n_ops;
    out->depth = ir_depth(c);
    ir_count_gates(c, out->counts);
    double ops = 0, meas = 0, lambda = 0, back = 0;
    for (int i = 0; i < c->n_ops; i++) {
        const ir_op *op = &c->ops[i];
        double a = op_apply_cost(c, op, dim), b = op_build_cost(c, op);
        out->n_primitive += op->n_members ? op->n_members : 1;
        ops += a + b;
        back += 2 * a + op_grad_cost(c, op, dim);
    }
    /* The code generator measures and weights each distinct Pauli product once, and bins
     * the probabilities of a `probs` group in one sweep. */
    uint64_t *m = malloc(sizeof *m * (size_t)(c->n_terms + 1));
    int n = 0;
    for (int o = 0; m && o < c->n_obs; o++) {
        const ir_observable *ob = &c->obs[o];
        if (ob->kind == IR_OBS_PROB) { /* binned: one sweep per group, not its terms */
            if (ob->index == 0) {
                meas += 4 * dim;
                lambda += dim;
            }
            continue;
        }
        for (int t = ob->first_term; t < ob->first_term + ob->n_terms; t++)
            m[n++] = (uint64_t)c->terms[t].x_mask << 32 | c->terms[t].z_mask;
        for (int t = ob->first_lin; ob->kind == IR_OBS_VAR && t < ob->first_lin + ob->n_lin; t++)
            m[n++] = (uint64_t)c->terms[t].x_mask << 32 | c->terms[t].z_mask;
    }
    if (m)
        qsort(m, (size_t)n, sizeof *m, cmp_masks);
    for (int t = 0; m && t < n; t++) {
        if (t > 0 && m[t] == m[t - 1])
            continue;
        meas += (m[t] >> 32 ? 8 : 4) * dim;
        lambda += 8 * dim;
    }
    free(m);
    out->forward_flops = ops + meas;
    out->vjp_flops = ops + lambda + back;
}

/* ---- two-qubit blocks (passes.h) ---------------------------------------------------- */

typedef struct {
    uint32_t mask;       /* its wires (one or two) */
    int n_ops, n_prims, n_angles, uses_input;
    double forward, vjp; /* its parts' cost, as pass_cost_of counts them */
    int *ops, cap;       /* its top-level ops, program order (n_ops of them) */
    int *seg;            /* once closed: per op, the first op (index into ops) of the dense
                          * segment it is part of, or -1 (left as it is) */
} pair_block;

static void block_account(const ir_circuit *c, int oi, double dim, pair_block *b) {
    const ir_op *op = &c->ops[oi];
    double a = op_apply_cost(c, op, dim), build = op_build_cost(c, op);
    if (b->n_ops == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 4;
        b->ops = fuse_alloc(b->ops, (size_t)b->cap * sizeof *b->ops);
    }
    b->ops[b->n_ops++] = oi;
    b->n_prims += op->n_members ? op->n_members : 1;
    b->n_angles += op_n_angles(c, op);
    b->uses_input |= ir_op_uses_input(c, op);
    b->forward += a + build;
    b->vjp += a + build + 2 * a + op_grad_cost(c, op, dim);
}

/* y's ops join x's (two one-wire runs meeting at a two-qubit op); program order kept. */
static void block_merge(pair_block *x, pair_block *y) {
    for (int k = 0; k < y->n_ops; k++) {
        if (x->n_ops == x->cap) {
            x->cap = x->cap ? 2 * x->cap : 4;
            x->ops = fuse_alloc(x->ops, (size_t)x->cap * sizeof *x->ops);
        }
        x->ops[x->n_ops++] = y->ops[k];
    }
    for (int i = 1; i < x->n_ops; i++) /* insertion sort: blocks are short */
        for (int j = i; j > 0 && x->ops[j - 1] > x->ops[j]; j--) {
            int t = x->ops[j];
            x->ops[j] = x->ops[j - 1];
            x->ops[j - 1] = t;
        }
    x->n_prims += y->n_prims;
    x->n_angles += y->n_angles;
    x->uses_input |= y->uses_input;
    x->forward += y->forward;
    x->vjp += y->vjp;
    y->n_ops = 0; /* merged: closes as nothing */
}

enum { DENSE_MAX_RUN = 64 }; /* ops of one segment: bounds the search to O(64 n) */

/* Closes block b: adds it to the totals when it holds two or more ops on two wires, and
 * chooses its dense segments, contiguous runs of its ops (program order) on both wires that
 * become one 4x4 each, by dynamic programming over the cheapest vjp: best[j] is the least
 * cost of its first j ops, each either as it is or in a dense segment ending there. A
 * segment is valid anywhere in the block: between two of its ops, every op on its wires is
 * in the block (scan_blocks), hence in the segment. So a constant run inside a block whose
 * other ops carry angles is fused without them. */
static void block_close(const ir_circuit *c, pair_block *b, double dim, pass_blocks *out) {
    int k = b->n_ops;
    if (k < 2 || popcount32(b->mask) != 2)
        return;
    out->n_blocks++;
    double *best = fuse_alloc(NULL, sizeof *best * (size_t)(k + 1));
    int *from = fuse_alloc(NULL, sizeof *from * (size_t)(k + 1));
    b->seg = fuse_alloc(NULL, sizeof *b->seg * (size_t)k);
    best[0] = 0;
    for (int j = 1; j <= k; j++) { /* ops [i, j) as one segment, or op j-1 alone */
        const ir_op *last = &c->ops[b->ops[j - 1]];
        double a = op_apply_cost(c, last, dim), build = op_build_cost(c, last);
        best[j] = best[j - 1] + a + build + 2 * a + op_grad_cost(c, last, dim);
        from[j] = j - 1;
        uint32_t mask = 0;
        int prims = 0, angles = 0, input = 0;
        for (int i = j - 1; i >= 0 && i >= j - DENSE_MAX_RUN; i--) {
            const ir_op *op = &c->ops[b->ops[i]];
            mask |= ir_op_wire_mask(c, op);
            prims += op->n_members ? op->n_members : 1;
            angles += op_n_angles(c, op);
            input |= ir_op_uses_input(c, op);
            if (i == j - 1 || popcount32(mask) != 2)
                continue;
            double fw = dense_forward(dim, prims, input);
            double v = best[i] + fw + 2 * 32 * dim + dense_grad(dim, prims, angles);
            if (v < best[j]) {
                best[j] = v;
                from[j] = i;
            }
        }
    }
    for (int j = k; j > 0; j = from[j]) {
        int i = from[j];
        for (int t = i; t < j; t++)
            b->seg[t] = j - i > 1 ? i : -1;
    }
    free(best);
    free(from);
}

/* One scan in program order. open[w] is the block that the last op on wire w belongs to
 * (-1: none open there). An op joins a block when the last op on each of its wires is in
 * that block and the block stays within two wires; a two-qubit op may also join two
 * one-wire blocks on its wires into one (nothing between them touches either wire). Any
 * other op closes the blocks on its wires and opens its own (if on one or two wires).
 * So every op between a block's first and last that is not in it is on other wires: the
 * block may be applied, as one op, where its last op is. Returns the blocks (*n_out). */
static pair_block *scan_blocks(const ir_circuit *c, pass_blocks *out, int *n_out) {
    double dim = (double)((size_t)1 << c->n_qubits);
    memset(out, 0, sizeof *out);
    pair_block *blk = fuse_alloc(NULL, (size_t)(c->n_ops ? c->n_ops : 1) * sizeof *blk);
    int n_blk = 0, open[IR_MAX_QUBITS];
    for (int w = 0; w < IR_MAX_QUBITS; w++)
        open[w] = -1;
    for (int i = 0; i < c->n_ops; i++) {
        const ir_op *op = &c->ops[i];
        uint32_t m = ir_op_wire_mask(c, op);
        int wa = -1, wb = -1; /* the op's lowest and highest wire */
        for (int w = 0; w < IR_MAX_QUBITS; w++)
            if (m >> w & 1) {
                if (wa < 0)
                    wa = w;
                wb = w;
            }
        int lo = wa >= 0 ? open[wa] : -1, hi = wb >= 0 ? open[wb] : -1;
        int into = -1;
        if (popcount32(m) == 1 && lo >= 0)
            into = lo;
        else if (popcount32(m) == 2 && lo >= 0 && lo == hi)
            into = lo;
        else if (popcount32(m) == 2 && lo != hi && (lo < 0 || popcount32(blk[lo].mask) == 1) &&
                 (hi < 0 || popcount32(blk[hi].mask) == 1) && (lo >= 0 || hi >= 0)) {
            /* one-wire runs on the op's wires (one or two) meet: nothing after them touches
             * their wires, so they move forward to the op */
            into = lo >= 0 ? lo : hi;
            if (lo >= 0 && hi >= 0)
                block_merge(&blk[lo], &blk[hi]);
            blk[into].mask |= m;
        }
        if (into < 0) {
            for (int w = 0; w < IR_MAX_QUBITS; w++)
                if ((m >> w & 1) && open[w] >= 0) {
                    int k = open[w];
                    for (int v = 0; v < IR_MAX_QUBITS; v++)
                        if (open[v] == k)
                            open[v] = -1;
                    block_close(c, &blk[k], dim, out);
                }
            if (popcount32(m) > 2 || m == 0)
                continue;
            into = n_blk++;
            memset(&blk[into], 0, sizeof blk[into]);
            blk[into].mask = m;
        }
        block_account(c, i, dim, &blk[into]);
        for (int w = 0; w < IR_MAX_QUBITS; w++)
            if (m >> w & 1)
                open[w] = into;
    }
    for (int w = 0; w < IR_MAX_QUBITS; w++)
        if (open[w] >= 0) {
            int k = open[w];
            for (int v = 0; v < IR_MAX_QUBITS; v++)
                if (open[v] == k)
                    open[v] = -1;
            block_close(c, &blk[k], dim, out);
        }
    *n_out = n_blk;
    return blk;
}

static void free_blocks(pair_block *blk, int n) {
    for (int i = 0; i < n; i++) {
        free(blk[i].ops);
        free(blk[i].seg);
    }
    free(blk);
}

void pass_pair_blocks(const ir_circuit *c, pass_blocks *out) {
    int n = 0;
    pair_block *blk = scan_blocks(c, out, &n);
    free_blocks(blk, n);
    /* the rest from the circuit rule 9 makes of it */
    ir_circuit *p = pass_fuse_pairs(c);
    pass_cost pc;
    pass_cost_of(p, &pc);
    out->n_paying = pc.counts[IR_FUSED_2Q];
    out->sweeps_saved = c->n_ops - p->n_ops;
    out->forward_flops = pc.forward_flops;
    out->vjp_flops = pc.vjp_flops;
    ir_free(p);
}

/* Copies op (primitive or fused, with its members) to the end of out's op list. */
static void copy_op(ir_circuit *out, const ir_circuit *c, const ir_op *op) {
    if (op->n_members == 0) {
        int k = ir_add_gate(out, op->gate, op->wires[0], op->wires[1], op->angle[0],
                            op->angle[1], op->angle[2]);
        out->ops[k].mask = op->mask;
        ir_set_loc(out, k, op->src_line, op->src_col);
        return;
    }
    ir_add_fused(out, op->gate, &c->members[op->first_member], op->n_members);
}

/* Appends member m to buf[*n], and when the last three are then the split policy's pieces
 * RZ(a) RY(b) RZ(d) of one Rot (one wire, the Rot's source location), makes them Rot(a, b,
 * d) again, exactly (Rot = RZ(d) RY(b) RZ(a)): in a dense block the pieces would cost three
 * member products and their gradient algebra (cg_fn.c) instead of one, for the same sweep. */
static void push_member(ir_op *buf, int *n, const ir_op *m) {
    buf[(*n)++] = *m;
    if (*n < 3)
        return;
    ir_op *z0 = &buf[*n - 3], *y = &buf[*n - 2], *z1 = &buf[*n - 1];
    if (z0->gate != IR_RZ || y->gate != IR_RY || z1->gate != IR_RZ ||
        y->wires[0] != z0->wires[0] || z1->wires[0] != z0->wires[0] ||
        y->src_line != z0->src_line || z1->src_line != z0->src_line ||
        y->src_col != z0->src_col || z1->src_col != z0->src_col || z0->src_line == 0)
        return;
    z0->gate = IR_ROT;
    z0->angle[1] = y->angle[0];
    z0->angle[2] = z1->angle[0];
    *n -= 2;
}

ir_circuit *pass_fuse_pairs(const ir_circuit *c) {
    pass_blocks pb;
    int n_blk;
    pair_block *blk = scan_blocks(c, &pb, &n_blk);
    ir_circuit *out = ir_clone(c);
    out->n_ops = 0;
    out->n_members = 0;
    /* seg_of[op]: its dense segment (block b, first op f: b * n_ops + f... as two arrays),
     * or -1; a segment is emitted at its last op */
    int n = c->n_ops ? c->n_ops : 1;
    int *seg_blk = fuse_alloc(NULL, sizeof *seg_blk * (size_t)n);
    int *seg_first = fuse_alloc(NULL, sizeof *seg_first * (size_t)n);
    int *seg_last = fuse_alloc(NULL, sizeof *seg_last * (size_t)n);
    for (int i = 0; i < c->n_ops; i++)
        seg_blk[i] = -1;
    int max_prims = 1, with_angles = 0;
    for (int b = 0; b < n_blk; b++)
        for (int t = 0; blk[b].seg && t < blk[b].n_ops; t++) {
            int f0 = blk[b].seg[t];
            if (f0 < 0 || f0 != t)
                continue;
            int e = t, prims = 0, angles = 0;
            while (e < blk[b].n_ops && blk[b].seg[e] == f0) {
                const ir_op *op = &c->ops[blk[b].ops[e]];
                prims += op->n_members ? op->n_members : 1;
                angles += op_n_angles(c, op);
                e++;
            }
            if (angles > 0 && ++with_angles > PASS_MAX_DENSE_GRADS)
                continue; /* compile time: see PASS_MAX_DENSE_GRADS */
            if (prims > max_prims)
                max_prims = prims;
            for (int u = t; u < e; u++) {
                int oi = blk[b].ops[u];
                seg_blk[oi] = b;
                seg_first[oi] = t;
                seg_last[oi] = blk[b].ops[e - 1];
            }
        }
    ir_op *buf = fuse_alloc(NULL, (size_t)max_prims * sizeof *buf);
    for (int i = 0; i < c->n_ops; i++) {
        int b = seg_blk[i];
        if (b < 0) {
            copy_op(out, c, &c->ops[i]);
            continue;
        }
        if (seg_last[i] != i)
            continue; /* moves forward to its segment's last op */
        int m = 0; /* the members of its ops, application order */
        for (int t = seg_first[i]; t < blk[b].n_ops && blk[b].seg[t] == seg_first[i]; t++) {
            const ir_op *op = &c->ops[blk[b].ops[t]];
            if (op->n_members == 0)
                push_member(buf, &m, op);
            for (int j = 0; j < op->n_members; j++)
                push_member(buf, &m, &c->members[op->first_member + j]);
        }
        ir_add_fused(out, IR_FUSED_2Q, buf, m);
    }
    free(seg_blk);
    free(seg_first);
    free(seg_last);
    free(buf);
    free_blocks(blk, n_blk);
    return out;
}

/* ---- rule 10: wire blocks (passes.h) -------------------------------------------------- */

/* The member an op contributes to a wire block, or NULL if it cannot be one: a primitive
 * one-qubit gate or controlled two-qubit primitive, or a FUSED_1Q of one member. A FUSED_1Q
 * of several members stays out: in a block each member is its own 2x2 product, so the
 * block would do more arithmetic than the fused 2x2 does (a Rot: three products for one). */
static const ir_op *block_member(const ir_circuit *c, const ir_op *op) {
    if (op->gate == IR_FUSED_1Q && op->n_members == 1)
        op = &c->members[op->first_member];
    if (op->n_members > 0 || op->gate == IR_I || op->gate == IR_SWAP)
        return NULL;
    if (ir_gate_arity(op->gate) == 1 && op->gate < IR_FUSED_1Q)
        return op;
    return op->gate >= IR_CNOT && op->gate <= IR_CPHASE ? op : NULL;
}

ir_circuit *pass_fuse_blocks(const ir_circuit *c, int max_wires) {
    if (max_wires > IR_BLOCK_MAX_WIRES)
        max_wires = IR_BLOCK_MAX_WIRES;
    ir_circuit *out = ir_clone(c);
    out->n_ops = 0;
    out->n_members = 0;
    int n = c->n_ops ? c->n_ops : 1, nb = 0, first = 0;
    ir_op *buf = fuse_alloc(NULL, sizeof *buf * (size_t)n);
    uint32_t mask = 0;
    /* the open block: ops [first, first + nb), all candidates, consecutive */
    for (int i = 0; i <= c->n_ops; i++) {
        const ir_op *m = i < c->n_ops ? block_member(c, &c->ops[i]) : NULL;
        uint32_t w = m ? ir_op_wire_mask(c, m) : 0;
        if (m && nb > 0 && nb < PASS_BLOCK_MAX_MEMBERS && popcount32(mask | w) <= max_wires) {
            buf[nb++] = *m;
            mask |= w;
            continue;
        }
        if (nb == 1) /* a block of one op is that op */
            copy_op(out, c, &c->ops[first]);
        else if (nb > 1)
            ir_add_fused(out, IR_FUSED_BLOCK, buf, nb);
        nb = 0;
        mask = 0;
        if (m && max_wires >= 1) {
            first = i;
            buf[nb++] = *m;
            mask = w;
        } else if (i < c->n_ops) {
            copy_op(out, c, &c->ops[i]);
        }
    }
    free(buf);
    return out;
}

void pass_stats(const ir_circuit *before, const ir_circuit *after, pass_report *r) {
    pass_cost_of(before, &r->before);
    pass_cost_of(after, &r->after);
}

static void print_counts(const int *counts, FILE *f) {
    const char *sep = "";
    for (int g = 0; g < IR_GATE_COUNT; g++)
        if (counts[g]) {
            fprintf(f, "%s%s %d", sep, ir_gate_name((ir_gate)g), counts[g]);
            sep = ", ";
        }
    fputc('\n', f);
}

void pass_report_print(const pass_report *r, void *file) {
    FILE *f = file;
    const pass_cost *b = &r->before, *a = &r->after;
    fprintf(f, "ops (state sweeps): %d -> %d (%d primitive gates)\n", b->n_ops, a->n_ops,
            a->n_primitive);
    fprintf(f, "depth: %d -> %d\n", b->depth, a->depth);
    fputs("gates before: ", f);
    print_counts(b->counts, f);
    fputs("gates after:  ", f);
    print_counts(a->counts, f);
    fprintf(f, "flops/sample forward: %.4g -> %.4g (x%.2f)\n", b->forward_flops,
            a->forward_flops, a->forward_flops > 0 ? b->forward_flops / a->forward_flops : 1.0);
    fprintf(f, "flops/sample vjp:     %.4g -> %.4g (x%.2f)\n", b->vjp_flops, a->vjp_flops,
            a->vjp_flops > 0 ? b->vjp_flops / a->vjp_flops : 1.0);
}
