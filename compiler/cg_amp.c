/* Code generator: amplitudes in the lanes (docs/codegen.md section 11).
 *
 * The main layout simulates W samples at once, one per lane. A call with fewer samples than
 * lanes wastes the rest: batch 1 moves and multiplies W states to get one. This file
 * rewrites the circuit for the other layout: one sample at a time, the state's 2^n
 * amplitudes spread over the lanes, so that vector k holds the amplitudes whose low
 * L = log2(W) index bits are the lane number. The kernels then see an (n - L)-qubit state
 * whose every "sample" (lane) is a slice of the one sample's state; the gates on those
 * n - L wires are the usual kernels unchanged (the angles are the one sample's, the same in
 * every lane), and the sums that make outputs and input gradients are sums over the lanes.
 *
 * A gate on a qubit that sits in a lane bit has no such kernel. Instead its qubit is first
 * exchanged with one that sits on a kernel wire: SWAP(p, lane wire) is an in-register
 * shuffle of the pairs of vectors that differ in wire p (cg_swap), one sweep. Which qubit
 * goes into the lanes is chosen as a register allocator chooses what to spill: the one
 * whose next use is furthest away (Belady's rule). The map from the circuit's qubits to the
 * places is known at compile time, so everything below is a rewrite of the op list:
 *  - an op on kernel wires only: copied, its wires (and its members' wires) renamed;
 *  - an op that needs a lane qubit: swaps first (partners outside the op's wires);
 *  - a SWAP gate: no op at all, the two qubits' places are exchanged in the map;
 *  - a diagonal (FUSED_DIAG) may touch every qubit, so no partner is outside it. Its
 *    members commute, so it is split: the members that touch no lane qubit first, then the
 *    swaps (partners among the qubits the rest do not touch), then the rest;
 *  - at the end the measured qubits are swapped out of the lanes, and the outputs' wires
 *    renamed.
 * The initial state |0...0> is the same under any map, so the first map puts into the
 * lanes the qubits used last. */
#include <stdlib.h>
#include <string.h>

#include "cg_internal.h"

typedef struct {
    const ir_circuit *c;
    ir_circuit *out;
    int n, nk;                 /* qubits; kernel wires (n - L) */
    int place[IR_MAX_QUBITS];  /* qubit -> wire (>= nk: lane bit n - 1 - wire) */
    int qubit[IR_MAX_QUBITS];  /* wire -> qubit */
    int *next;                 /* next[i * n + q]: first op >= i that uses q (n_ops: the
                                * outputs; n_ops + 1: never) */
} amp_map;

static int in_lanes(const amp_map *m, int q) { return m->place[q] >= m->nk; }

static uint32_t rename_mask(const amp_map *m, uint32_t mask) {
    uint32_t r = 0;
    for (int q = 0; q < m->n; q++)
        if (mask >> q & 1)
            r |= 1u << m->place[q];
    return r;
}

/* The qubits the outputs need on kernel wires: probabilities bin by them. Pauli factors on
 * a lane wire are a sign (Z) or a lane permutation (X, Y) per lane (cg_ops.c). */
static uint32_t outputs_mask(const ir_circuit *c) {
    uint32_t mask = 0;
    for (int o = 0; o < c->n_obs; o++)
        if (c->obs[o].kind == IR_OBS_PROB)
            for (int i = 0; i < c->obs[o].n_prob_wires; i++)
                mask |= 1u << c->obs[o].prob_wires[i];
    return mask;
}

/* The qubit to put into the lanes in exchange: on a kernel wire, not in `keep`, used
 * furthest from op i (ties: the lowest wire). -1 if every kernel wire is kept. */
static int victim(const amp_map *m, int i, uint32_t keep) {
    int best = -1, when = -1;
    for (int w = 0; w < m->nk; w++) {
        int q = m->qubit[w];
        if (keep >> q & 1)
            continue;
        int t = m->next[(size_t)i * (size_t)m->n + (size_t)q];
        if (t > when) {
            when = t;
            best = q;
        }
    }
    return best;
}

/* Qubit q (in the lanes) and qubit r (on a kernel wire) exchange places: one SWAP op. */
static void lane_swap(amp_map *m, int q, int r) {
    int wl = m->place[q], wk = m->place[r];
    int oi = ir_add_gate(m->out, IR_SWAP, wk, wl, -1, -1, -1);
    ir_set_loc(m->out, oi, 0, 0);
    m->place[q] = wk;
    m->place[r] = wl;
    m->qubit[wk] = q;
    m->qubit[wl] = r;
}

/* Every lane qubit of `need` onto a kernel wire, partners outside `keep` (which holds
 * need), choosing by uses from op `from` on. 0, or -1 when there is no partner. */
static int swap_out(amp_map *m, uint32_t need, uint32_t keep, int from) {
    for (int q = 0; q < m->n; q++) {
        if (!(need >> q & 1) || !in_lanes(m, q))
            continue;
        int r = victim(m, from, keep);
        if (r < 0)
            return -1;
        lane_swap(m, q, r);
    }
    return 0;
}

static ir_op renamed(const amp_map *m, const ir_op *op) {
    ir_op r = *op;
    for (int k = 0; k < 2; k++)
        if (r.wires[k] >= 0)
            r.wires[k] = m->place[r.wires[k]];
    if (r.gate == IR_MULTIRZ)
        r.mask = rename_mask(m, r.mask);
    return r;
}

/* Appends op with renamed wires; a fused op with members[0 .. nm) (renamed here). */
static void emit_op(amp_map *m, const ir_op *op, const ir_op *members, int nm) {
    ir_circuit *out = m->out;
    if (!ir_gate_is_fused(op->gate)) {
        ir_op r = renamed(m, op);
        int oi = ir_add_gate(out, r.gate, r.wires[0], r.wires[1], r.angle[0], r.angle[1],
                             r.angle[2]);
        out->ops[oi] = r;
        return;
    }
    ir_op *mem = malloc(sizeof *mem * (size_t)(nm > 0 ? nm : 1));
    if (!mem)
        abort(); /* the IR's own allocations abort too (ir.c xmalloc) */
    for (int j = 0; j < nm; j++)
        mem[j] = renamed(m, &members[j]);
    int oi = ir_add_fused(out, op->gate, mem, nm);
    free(mem);
    ir_op *o = &out->ops[oi];
    o->src_line = op->src_line;
    o->src_col = op->src_col;
    if (op->gate == IR_FUSED_2Q || op->gate == IR_FUSED_1Q) { /* its own wires, not the span */
        int a = m->place[op->wires[0]], b = op->wires[1] >= 0 ? m->place[op->wires[1]] : -1;
        o->wires[0] = b >= 0 && b < a ? b : a;
        o->wires[1] = b >= 0 && b < a ? a : b;
    }
}

/* A FUSED_DIAG that touches lane qubits. Its members commute, so they are applied in rounds:
 * every member that touches no lane qubit (one FUSED_DIAG), then swaps that bring the needed
 * qubits out of the lanes, and again. Partners going into the lanes are qubits that no
 * remaining member touches where there are such (then the next round applies the rest: two
 * parts, as for QIREN's layer), else one partner, the qubit the fewest remaining members
 * touch. -1 when the rounds do
 * not end (a member on more qubits than the kernel wires, such as a Z product over all). */
static int split_diag(amp_map *m, int i, const ir_op *op) {
    const ir_circuit *c = m->c;
    int nm = op->n_members;
    ir_op *pend = malloc(sizeof *pend * (size_t)nm), *now = malloc(sizeof *now * (size_t)nm);
    if (!pend || !now)
        abort();
    memcpy(pend, &c->members[op->first_member], sizeof *pend * (size_t)nm);
    int np = nm, rc = 0;
    for (int round = 0; np > 0; round++) {
        uint32_t lanes = 0, touched = 0, need;
        for (int q = 0; q < m->n; q++)
            if (in_lanes(m, q))
                lanes |= 1u << q;
        int nn = 0, kept = 0;
        for (int j = 0; j < np; j++) {
            uint32_t w = ir_op_wire_mask(c, &pend[j]);
            if (w & lanes) {
                pend[kept++] = pend[j];
                touched |= w;
            } else {
                now[nn++] = pend[j];
            }
        }
        np = kept;
        if (nn)
            emit_op(m, op, now, nn);
        if (np == 0)
            break;
        if (round > 2 * m->n) {
            rc = -1;
            break;
        }
        need = touched & lanes;
        int freed = 0; /* every needed lane qubit that has an untouched partner, at once */
        for (int q = 0; q < m->n; q++) {
            int r = need >> q & 1 ? victim(m, i + 1, touched) : -1;
            if (r >= 0) {
                lane_swap(m, q, r);
                freed++;
            }
        }
        if (freed)
            continue;
        int q = 0;
        while (!(need >> q & 1))
            q++;
        int r = -1;
        { /* every kernel qubit is in a remaining member: the least used */
            int best = -1;
            for (int w = 0; w < m->nk; w++) {
                int cand = m->qubit[w], cnt = 0;
                for (int j = 0; j < np; j++)
                    cnt += ir_op_wire_mask(c, &pend[j]) >> cand & 1;
                if (best < 0 || cnt < best) {
                    best = cnt;
                    r = cand;
                }
            }
        }
        lane_swap(m, q, r);
    }
    free(pend);
    free(now);
    return rc;
}

static int is_lane_swap(const ir_op *op, int nk) {
    return op->gate == IR_SWAP && op->n_members == 0 && (op->wires[0] >= nk || op->wires[1] >= nk);
}

/* Runs of lane swaps on distinct wires and distinct lane bits commute: each run (up to
 * CG_AMP_MAX_MERGED) becomes one SWAP op whose members are its swaps, one sweep. */
static void merge_swaps(ir_circuit *out, int nk) {
    int n = out->n_ops, k = 0;
    ir_op *ops = malloc(sizeof *ops * (size_t)(n > 0 ? n : 1));
    if (!ops)
        abort();
    memcpy(ops, out->ops, sizeof *ops * (size_t)n);
    out->n_ops = 0;
    for (int i = 0; i < n; i = k) {
        k = i + 1;
        if (!is_lane_swap(&ops[i], nk)) {
            int oi = ir_add_gate(out, ops[i].gate, -1, -1, -1, -1, -1);
            out->ops[oi] = ops[i];
            continue;
        }
        uint32_t used = (1u << ops[i].wires[0]) | (1u << ops[i].wires[1]);
        while (k < n && k - i < CG_AMP_MAX_MERGED && is_lane_swap(&ops[k], nk) &&
               !(used & ((1u << ops[k].wires[0]) | (1u << ops[k].wires[1])))) {
            used |= (1u << ops[k].wires[0]) | (1u << ops[k].wires[1]);
            k++;
        }
        if (k == i + 1) {
            int oi = ir_add_gate(out, IR_SWAP, -1, -1, -1, -1, -1);
            out->ops[oi] = ops[i];
            continue;
        }
        int oi = ir_add_fused(out, IR_SWAP, &ops[i], k - i); /* the swaps as members */
        out->ops[oi].wires[0] = ops[i].wires[0];
        out->ops[oi].wires[1] = ops[i].wires[1];
    }
    free(ops);
}

int cg_amp_wanted(const ir_circuit *c, const cg_options *o) {
    if (o->amp < 0 || o->lanes < 2 || o->shots || ir_has_channels(c))
        return 0;
    return o->amp > 0 || c->n_qubits >= CG_AMP_MIN_QUBITS;
}

int cg_amp_lane_bits(int W) {
    int L = 0;
    while ((1 << L) < W)
        L++;
    return L;
}

void cg_amp_plan(const ir_circuit *c, const cg_options *o, int *below, int64_t *sweeps,
                 int64_t *main_sweeps) {
    *below = 0;
    *sweeps = 0;
    *main_sweeps = cg_amp_sweeps(c);
    const char *why;
    ir_circuit *a = cg_amp_wanted(c, o) ? cg_amp_circuit(c, cg_amp_lane_bits(o->lanes), &why) : NULL;
    if (!a)
        return;
    *sweeps = cg_amp_sweeps(a);
    /* the entry points' test, B * sweeps < W * main_sweeps, as a bound on B */
    int64_t lim = ((int64_t)o->lanes * *main_sweeps + *sweeps - 1) / (*sweeps > 0 ? *sweeps : 1);
    *below = lim > 1 ? (int)lim : 0;
    ir_free(a);
}

int64_t cg_amp_sweeps(const ir_circuit *c) {
    int64_t s = 0;
    for (int i = 0; i < c->n_ops; i++)
        s += !cg_op_is_noop(&c->ops[i]);
    return s;
}

ir_circuit *cg_amp_circuit(const ir_circuit *c, int L, const char **why) {
    int n = c->n_qubits, nk = n - L;
    *why = NULL;
    if (L < 1 || nk < 1) {
        *why = "the register is no wider than the lanes";
        return NULL;
    }
    if (ir_has_channels(c)) {
        *why = "density matrices have a layout of their own";
        return NULL;
    }
    for (int o = 0; o < c->n_obs; o++)
        if (c->obs[o].kind == IR_OBS_VAR) {
            *why = "a variance is not a sum over the lanes";
            return NULL;
        }
    amp_map m;
    memset(&m, 0, sizeof m);
    m.c = c;
    m.n = n;
    m.nk = nk;
    m.next = malloc(sizeof *m.next * ((size_t)c->n_ops + 1) * (size_t)n);
    if (!m.next) {
        *why = "out of memory";
        return NULL;
    }
    uint32_t outs = outputs_mask(c);
    for (int q = 0; q < n; q++)
        m.next[(size_t)c->n_ops * (size_t)n + (size_t)q] = outs >> q & 1 ? c->n_ops : c->n_ops + 1;
    for (int i = c->n_ops - 1; i >= 0; i--) {
        const ir_op *op = &c->ops[i];
        uint32_t w = cg_op_is_noop(op) || op->gate == IR_SWAP ? 0 : ir_op_wire_mask(c, op);
        for (int q = 0; q < n; q++)
            m.next[(size_t)i * (size_t)n + (size_t)q] =
                w >> q & 1 ? i : m.next[(size_t)(i + 1) * (size_t)n + (size_t)q];
    }
    /* the first map: the L qubits used last go to the lanes, the others keep their order */
    uint32_t chosen = 0;
    for (int k = 0; k < L; k++) {
        int best = -1;
        for (int q = n - 1; q >= 0; q--)
            if (!(chosen >> q & 1) && (best < 0 || m.next[q] > m.next[best]))
                best = q;
        chosen |= 1u << best;
    }
    int wk = 0, wl = nk;
    for (int q = 0; q < n; q++)
        if (!(chosen >> q & 1))
            m.place[q] = wk++;
    for (int q = 0; q < n; q++)
        if (chosen >> q & 1)
            m.place[q] = wl++;
    for (int q = 0; q < n; q++)
        m.qubit[m.place[q]] = q;

    m.out = ir_clone(c);
    m.out->n_ops = 0;
    m.out->n_members = 0;
    for (int i = 0; i < c->n_ops && !*why; i++) {
        const ir_op *op = &c->ops[i];
        if (cg_op_is_noop(op))
            continue;
        if (op->gate == IR_SWAP) { /* a relabelling */
            int a = op->wires[0], b = op->wires[1], pa = m.place[a];
            m.place[a] = m.place[b];
            m.place[b] = pa;
            m.qubit[m.place[a]] = a;
            m.qubit[m.place[b]] = b;
            continue;
        }
        uint32_t w = ir_op_wire_mask(c, op);
        int lanes_used = 0;
        for (int q = 0; q < n; q++)
            lanes_used |= (w >> q & 1) && in_lanes(&m, q);
        if (lanes_used && op->gate == IR_FUSED_DIAG) {
            if (split_diag(&m, i, op))
                *why = "a diagonal couples every qubit that could leave the lanes";
            continue;
        }
        if (lanes_used && swap_out(&m, w, w, i + 1)) {
            *why = "an op needs more qubits than the kernels' wires";
            continue;
        }
        emit_op(&m, op, op->n_members ? &c->members[op->first_member] : NULL, op->n_members);
    }
    if (!*why && swap_out(&m, outs, outs, c->n_ops))
        *why = "the probabilities bin by more qubits than the kernels' wires";
    free(m.next);
    if (*why) {
        ir_free(m.out);
        return NULL;
    }
    ir_circuit *out = m.out;
    merge_swaps(out, nk);
    for (int t = 0; t < out->n_terms; t++) {
        out->terms[t].x_mask = rename_mask(&m, out->terms[t].x_mask);
        out->terms[t].z_mask = rename_mask(&m, out->terms[t].z_mask);
    }
    for (int o = 0; o < out->n_obs; o++)
        if (out->obs[o].kind == IR_OBS_PROB)
            for (int k = 0; k < out->obs[o].n_prob_wires; k++)
                out->obs[o].prob_wires[k] = m.place[out->obs[o].prob_wires[k]];
    return out;
}

val cg_lane_sum(cg *g, val v) {
    if (!v || !cg_isvec(v))
        return v ? cg_mul(g, v, cg_k(g, (double)g->W)) : NULL;
    unsigned id = LLVMLookupIntrinsicID("llvm.vector.reduce.fadd", 23);
    LLVMValueRef red = LLVMGetIntrinsicDeclaration(g->mod, id, &g->VT, 1);
    LLVMTypeRef rty = LLVMIntrinsicGetType(g->ctx, id, &g->VT, 1);
    LLVMValueRef args[2] = {cg_k(g, -0.0), v};
    return LLVMBuildCall2(g->b, rty, red, args, 2, "lanes");
}
