/* qnnc sweep: an experiment run over the cross product of `--set` values (seeds, widths,
 * learning rates, ansätze), each run in its own folder by its own `qnnc run` process, up to
 * --jobs at a time; finished runs are skipped when the sweep is started again; the table of
 * each configuration's mean, standard deviation, minimum and maximum over seeds and its
 * figure are written at the end (docs/sweeps.md). */
#ifndef QNN_CMD_SWEEP_H
#define QNN_CMD_SWEEP_H

/* `qnnc sweep FILE.qnn [options]`: argv as main received it (the word `sweep` included).
 * Returns the process exit status: 0 when every run finished, 1 when some failed (the
 * table still holds the others), 2 for a usage error. */
int cmd_sweep_main(int argc, char **argv);

#endif
