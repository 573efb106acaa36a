/* Unit tests of the circuit drawings (compiler/draw.c): the column packing, an op kind that
 * the drawing does not know (a later fused or multi-qubit op) drawn as one box over its
 * wires, fused ops after pass_fuse, and the SVG of the same layout. */
#include "testutil.h"

#include "draw.h"
#include "ir.h"
#include "passes.h"

static char *text_of(const ir_circuit *c, int ascii, int width) {
    char *s = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&s, &n);
    assert_non_null(f);
    draw_options o = {ascii, width};
    draw_text(c, &o, f);
    assert_int_equal(fclose(f), 0);
    return s;
}

/* Gates on different wires share a column; one that spans wires waits for all of them, the
 * wires between included. */
static void test_packing(void **state) {
    (void)state;
    ir_circuit *c = ir_new("pack", 3, 0);
    ir_add_gate(c, IR_H, 0, -1, -1, -1, -1);
    ir_add_gate(c, IR_X, 2, -1, -1, -1, -1);
    ir_add_gate(c, IR_CNOT, 0, 2, -1, -1, -1); /* crosses q1: a column of its own */
    ir_add_gate(c, IR_Y, 1, -1, -1, -1, -1);
    ir_begin_observable(c);
    ir_add_term(c, 1, "ZII");
    char *s = text_of(c, 1, 0);
    assert_string_equal(s, "q0: --H-+*----|   <Z>\n"
                           "q1: ----|---Y-|\n"
                           "q2: --X-+X----|\n");
    free(s);
    ir_free(c);
}

/* An op kind past the ones draw.c knows: a box with its name on every wire it acts on. */
static void test_unknown_op(void **state) {
    (void)state;
    ir_circuit *c = ir_new("future", 3, 0);
    int op = ir_add_gate(c, IR_H, 0, -1, -1, -1, -1);
    ir_add_gate(c, IR_CZ, 0, 2, -1, -1, -1);
    c->ops[1].gate = IR_GATE_COUNT; /* what ir_gate_name calls "?" */
    (void)op;
    char *s = text_of(c, 0, 0);
    assert_non_null(strstr(s, "q0: ──H─╭?─\n"));
    assert_non_null(strstr(s, "q1: ────│──\n"));
    assert_non_null(strstr(s, "q2: ────╰?─\n"));
    free(s);
    char *svg = draw_svg(c);
    assert_non_null(svg);
    /* one box over wires 0..2: its height spans two rows of 44 pixels and a box's 28 */
    assert_non_null(strstr(svg, "height=\"116.0\" rx=\"3\" class=\"box\""));
    free(svg);
    ir_free(c);
}

/* After fusion, a fused op is a box labelled with its kind and member count, over the wires
 * its members touch. */
static void test_fused(void **state) {
    (void)state;
    ir_circuit *c = ir_new("f", 2, 1);
    int x = ir_input(c, 0);
    ir_add_gate(c, IR_RZ, 0, -1, x, -1, -1);
    ir_add_gate(c, IR_CZ, 0, 1, -1, -1, -1);
    ir_add_gate(c, IR_RZ, 1, -1, x, -1, -1);
    ir_begin_observable(c);
    ir_add_term(c, 1, "XI");
    ir_circuit *f = pass_fuse(c);
    int fused = 0;
    for (int i = 0; i < f->n_ops; i++) fused |= ir_gate_is_fused(f->ops[i].gate);
    char *s = text_of(f, 1, 0);
    if (fused) assert_non_null(strstr(s, "fused"));
    assert_non_null(strstr(s, "<X>"));
    free(s);
    ir_free(f);
    ir_free(c);
}

/* Wrapping: every block repeats the wire labels and fits the width. */
static void test_wrap(void **state) {
    (void)state;
    ir_circuit *c = ir_new("long", 2, 0);
    for (int i = 0; i < 40; i++) ir_add_gate(c, i % 2 ? IR_CNOT : IR_RY, 0, i % 2 ? 1 : -1, i % 2 ? -1 : ir_const(c, 0.5 * i), -1, -1);
    char *s = text_of(c, 1, 30);
    int blocks = 0;
    for (char *line = strtok(s, "\n"); line; line = strtok(NULL, "\n")) {
        assert_true(strlen(line) <= 30);
        blocks += strncmp(line, "q0: ", 4) == 0;
    }
    assert_true(blocks > 3);
    free(s);
    ir_free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_packing),
        cmocka_unit_test(test_unknown_op),
        cmocka_unit_test(test_fused),
        cmocka_unit_test(test_wrap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
