// How fast this core reads a buffer that lives in its L2: the floor under every batch-1 case, which streams its
// packed weights from the L2 once per step. Eight independent 512-bit add chains, so the loads, not the adds, set
// the pace. Sizes: 32 KiB (L1), 256 KiB (the LSTM sequence's W_hh), 1178 KiB (the H=256 step's W_ih and W_hh).
//
// gcc -O3 -mavx512f -o l2_read l2_read.c && ./l2_read
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define REPEATS 301

static double now_us(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e6 + t.tv_nsec / 1e3; }
static int compare(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }

__attribute__((noinline)) static float sweep(const float *p, size_t n)
{
    __m512 a[8];
    for (int j = 0; j < 8; j++) a[j] = _mm512_setzero_ps();
    for (size_t i = 0; i < n; i += 128)
        for (int j = 0; j < 8; j++) a[j] = _mm512_add_ps(a[j], _mm512_load_ps(p + i + 16 * j));
    for (int j = 1; j < 8; j++) a[0] = _mm512_add_ps(a[0], a[j]);
    return _mm512_reduce_add_ps(a[0]);
}

int main(void)
{
    const size_t kib[] = {32, 256, 1178};
    for (int c = 0; c < 3; c++) {
        size_t n = kib[c] * 256;
        float *p = aligned_alloc(64, n * sizeof(float));
        for (size_t i = 0; i < n; i++) p[i] = 1;
        double t[REPEATS];
        float sink = 0;
        for (int r = 0; r < REPEATS; r++) {
            double start = now_us();
            for (int k = 0; k < 64; k++) sink += sweep(p, n);
            t[r] = (now_us() - start) / 64;
        }
        qsort(t, REPEATS, sizeof(double), compare);
        printf("%4zu KiB: median %.2f us per read = %.1f GB/s (10th percentile %.2f us)%s\n", kib[c], t[REPEATS / 2],
               kib[c] * 1024 / t[REPEATS / 2] / 1e3, t[REPEATS / 10], sink < 0 ? "!" : "");
        free(p);
    }
    return 0;
}
