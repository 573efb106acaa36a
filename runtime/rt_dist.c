/* rt_dist: MPI behind a small interface. Only this file includes mpi.h, and only when the
 * build found MPI (-DQNN_HAVE_MPI, the Makefile asks `mpicc --showme`); without it every
 * function keeps one rank. */
#include "rt_dist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io_file.h"
#include "rt_error.h"

#ifdef QNN_HAVE_MPI
#include <mpi.h>
#endif

static struct {
    int started, active, size, rank, split;
    size_t slice_lo, slice_total; /* the split batch: this rank's first sample, all samples */
} D = {0, 0, 1, 0, 0, 0, 0};

/* The launchers' variables: Open MPI's mpirun, and PMI/PMIx launchers (srun, MPICH's
 * hydra). One of them set means this process is one rank of a job. */
static int launched_size(void) {
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v) return atoi(v) > 0 ? atoi(v) : 1;
    }
    return getenv("PMIX_RANK") ? 1 : 0;
}

#ifdef QNN_HAVE_MPI
static void finish(void) {
    int fin = 0;
    MPI_Finalized(&fin);
    if (!fin) MPI_Finalize();
}
#endif

int rt_dist_start(char *err, size_t errlen) {
    if (D.started) return 0;
    D.started = 1;
    int launched = launched_size();
    if (!launched) return 0;
#ifdef QNN_HAVE_MPI
    int provided = 0, already = 0;
    MPI_Initialized(&already);
    /* only the main thread calls MPI; the thread pool never does */
    if (!already && MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        io_errf(err, errlen, "MPI could not start (MPI_Init_thread failed)");
        return -1;
    }
    if (!already) atexit(finish);
    /* errors come back as codes, reported and then turned into an abort of every rank */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_size(MPI_COMM_WORLD, &D.size);
    MPI_Comm_rank(MPI_COMM_WORLD, &D.rank);
    D.active = 1;
    return 0;
#else
    if (launched > 1) {
        io_errf(err, errlen, "started as one of %d MPI ranks, but this qnn was built without MPI: "
                "each rank would train alone and write the same files; install libopenmpi-dev "
                "(make deps) and rebuild, or run without mpirun", launched);
        return -1;
    }
    return 0;
#endif
}

int rt_dist_size(void) { return D.size; }
int rt_dist_rank(void) { return D.rank; }
int rt_dist_active(void) { return D.active; }
int rt_dist_writer(void) { return D.rank == 0; }
void rt_dist_set_split(int on) { D.split = on && D.active; }
int rt_dist_split(void) { return D.split; }
void rt_dist_set_slice(size_t lo, size_t total) {
    D.slice_lo = lo;
    D.slice_total = total;
}
int rt_dist_slice(size_t *lo, size_t *total) {
    if (!D.split) return 0;
    *lo = D.slice_lo;
    *total = D.slice_total;
    return 1;
}

int rt_dist_sum(double *v, size_t n) {
    if (!D.active || n == 0) return 0;
#ifdef QNN_HAVE_MPI
    /* in chunks: MPI counts are int */
    for (size_t off = 0; off < n;) {
        size_t k = n - off < (size_t)1 << 30 ? n - off : (size_t)1 << 30;
        /* a failed collective leaves the ranks out of step: nothing sensible can follow */
        if (MPI_Allreduce(MPI_IN_PLACE, v + off, (int)k, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS)
            rt_dist_abort("MPI_Allreduce failed (a rank died, or the network failed)");
        off += k;
    }
#else
    (void)v;
#endif
    return 0;
}

int rt_dist_agree(uint64_t h) {
    if (!D.active) return 1;
#ifdef QNN_HAVE_MPI
    uint64_t lo = h, hi = h;
    if (MPI_Allreduce(MPI_IN_PLACE, &lo, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD) != MPI_SUCCESS ||
        MPI_Allreduce(MPI_IN_PLACE, &hi, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD) != MPI_SUCCESS)
        return 0;
    return lo == h && hi == h;
#else
    (void)h;
    return 1;
#endif
}

void rt_dist_abort(const char *message) {
    if (!D.active) return;
    fprintf(stderr, "qnn: rank %d of %d: %s; stopping all ranks\n", D.rank, D.size, message);
    fflush(stderr);
#ifdef QNN_HAVE_MPI
    MPI_Abort(MPI_COMM_WORLD, 1);
#endif
    exit(1);
}

/* one tag for the sweep's messages; collectives do not use tags */
enum { SWEEP_TAG = 17 };

void rt_dist_send_ints(int to, const int *v, int n) {
    if (!D.active) return;
#ifdef QNN_HAVE_MPI
    if (MPI_Send(v, n, MPI_INT, to, SWEEP_TAG, MPI_COMM_WORLD) != MPI_SUCCESS)
        rt_dist_abort("MPI_Send failed (a rank died, or the network failed)");
#else
    (void)to, (void)v, (void)n;
#endif
}

void rt_dist_recv_ints(int *from, int *v, int n) {
    if (!D.active) return;
#ifdef QNN_HAVE_MPI
    MPI_Status st;
    if (MPI_Recv(v, n, MPI_INT, MPI_ANY_SOURCE, SWEEP_TAG, MPI_COMM_WORLD, &st) != MPI_SUCCESS)
        rt_dist_abort("MPI_Recv failed (a rank died, or the network failed)");
    *from = st.MPI_SOURCE;
#else
    (void)from, (void)v, (void)n;
#endif
}

void rt_dist_child_env(void) {
    static const char *const prefixes[] = {"OMPI_", "PMIX_", "PMI_"};
    extern char **environ;
    for (int again = 1; again;) { /* unsetenv shifts environ: start over after each */
        again = 0;
        for (char **e = environ; e && *e && !again; e++)
            for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++) {
                if (strncmp(*e, prefixes[i], strlen(prefixes[i])) != 0) continue;
                const char *eq = strchr(*e, '=');
                char name[256];
                size_t len = eq ? (size_t)(eq - *e) : strlen(*e);
                if (len >= sizeof name) continue;
                memcpy(name, *e, len);
                name[len] = 0;
                unsetenv(name);
                again = 1;
                break;
            }
    }
}
