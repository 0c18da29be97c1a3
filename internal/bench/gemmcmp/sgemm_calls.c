// sgemm_calls.c - cblas_sgemm GFLOP/s of the calls named on the command line
// (one thread: run with OPENBLAS_NUM_THREADS=1), for gemmcmp.py. Adapted from
// /work/shared/peers/openblas/sgemm_bench.c, with beta as an argument.
// Build: gcc -O2 sgemm_calls.c -o sgemm_calls -lopenblas
// Run:   sgemm_calls TA TB M N K BETA [TA TB M N K BETA ...] REPEATS SECONDS
// Row-major C[MxN] = A[MxK] * op(B) + BETA*C; each call is timed REPEATS times,
// each repeat being as many back-to-back calls as fit in SECONDS.
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern char *openblas_get_corename(void);
extern char *openblas_get_config(void);
extern int openblas_get_num_threads(void);

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct { int m, n, k; const char *tag; } shape_t;

static void bench(shape_t s, char ta, char tb, int reps, double secs, float beta) {
    int M = s.m, N = s.n, K = s.k;
    float *A = aligned_alloc(64, ((size_t)M * K * 4 + 63) / 64 * 64);
    float *B = aligned_alloc(64, ((size_t)K * N * 4 + 63) / 64 * 64);
    float *C = aligned_alloc(64, ((size_t)M * N * 4 + 63) / 64 * 64);
    for (size_t i = 0; i < (size_t)M * K; i++) A[i] = (float)((i * 7) % 13) * 0.01f;
    for (size_t i = 0; i < (size_t)K * N; i++) B[i] = (float)((i * 5) % 11) * 0.01f;
    memset(C, 0, (size_t)M * N * 4);
    CBLAS_TRANSPOSE TA = ta == 'T' ? CblasTrans : CblasNoTrans;
    CBLAS_TRANSPOSE TB = tb == 'T' ? CblasTrans : CblasNoTrans;
    int lda = ta == 'T' ? M : K;  // A stored KxM when transposed
    int ldb = tb == 'T' ? K : N;  // B stored NxK when transposed
    // calibrate
    long iters = 1;
    for (;;) {
        double t0 = now();
        for (long i = 0; i < iters; i++)
            cblas_sgemm(CblasRowMajor, TA, TB, M, N, K, 1.0f, A, lda, B, ldb, beta, C, N);
        double dt = now() - t0;
        if (dt > 0.02) { iters = (long)(iters * secs / dt) + 1; break; }
        iters *= 4;
    }
    double flops = 2.0 * M * N * K;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        for (long i = 0; i < iters; i++)
            cblas_sgemm(CblasRowMajor, TA, TB, M, N, K, 1.0f, A, lda, B, ldb, beta, C, N);
        double dt = (now() - t0) / iters;
        printf("sgemm %c%c %s M=%d N=%d K=%d us/call %.3f\n", ta, tb, s.tag, M, N, K, dt * 1e6);
        printf("sgemm %c%c %s M=%d N=%d K=%d GFLOP/s %.3f\n", ta, tb, s.tag, M, N, K, flops / dt / 1e9);
    }
    fflush(stdout);
    free(A); free(B); free(C);
}

int main(int argc, char **argv) {
        int reps = atoi(argv[argc-2]); double secs = atof(argv[argc-1]);
    for (int i = 1; i + 6 <= argc - 2; i += 6) {
        shape_t s = {atoi(argv[i+2]), atoi(argv[i+3]), atoi(argv[i+4]), "call"};
        bench(s, argv[i][0], argv[i+1][0], reps, secs, (float)atof(argv[i+5]));
    }
    return 0;
}
