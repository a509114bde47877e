// The H=256 step's weight stream (the packed W_ih and W_hh, 1.15 MiB, 512-bit FMAs as PackedCell runs them) over the
// same bytes twice: in a buffer on 4 KiB pages and in one on a 2 MiB transparent huge page, alternating call by call.
// On a fresh machine the two run alike; after other processes have churned its memory (PyTorch's and ONNX Runtime's
// benchmarks, say) the 4 KiB pages come back scattered, some L2 sets get more of the stream than they have ways, and
// the small-page buffer runs up to 2.5x slower. That is why PackedWeights puts copies of 1 MiB or more on huge pages.
//
// gcc -O3 -mavx512f -o huge_pages huge_pages.c && ./huge_pages
#define _GNU_SOURCE
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define ROW 64
#define REPEATS 400
enum { H = 256, I = 32, HUGE_PAGE = 2 << 20 };

static double now_us(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e6 + t.tv_nsec / 1e3; }
static int compare(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }
static float x[I] __attribute__((aligned(64))), h[H] __attribute__((aligned(64))), out[4 * H] __attribute__((aligned(64)));

__attribute__((noinline)) static void step(const float *a, const float *b)
{
    for (int u = 0; u < H; u += 16) {
        __m512 acc[4];
        for (int j = 0; j < 4; j++) acc[j] = _mm512_add_ps(_mm512_load_ps(a + 16 * j), _mm512_load_ps(b + 16 * j));
        a += ROW;
        for (int k = 0; k < I; k++, a += ROW) { __m512 v = _mm512_set1_ps(x[k]); for (int j = 0; j < 4; j++) acc[j] = _mm512_fmadd_ps(v, _mm512_load_ps(a + 16 * j), acc[j]); }
        b += ROW;
        for (int k = 0; k < H; k++, b += ROW) { __m512 v = _mm512_set1_ps(h[k]); for (int j = 0; j < 4; j++) acc[j] = _mm512_fmadd_ps(v, _mm512_load_ps(b + 16 * j), acc[j]); }
        for (int j = 0; j < 4; j++) _mm512_store_ps(out + 4 * u + 16 * j, acc[j]);
    }
}

int main(void)
{
    size_t ih = (size_t)(H / 16) * (I + 1) * ROW, n = ih + (size_t)(H / 16) * (H + 1) * ROW;
    float *small = aligned_alloc(64, n * sizeof(float));
    float *huge = aligned_alloc(HUGE_PAGE, HUGE_PAGE);
    int advised = madvise(huge, HUGE_PAGE, MADV_HUGEPAGE) == 0;
    for (size_t i = 0; i < n; i++) small[i] = huge[i] = (float)((i * 7) % 13) * 0.001f;
    for (int i = 0; i < I; i++) x[i] = 0.1f;
    for (int i = 0; i < H; i++) h[i] = 0.01f;

    long hugeKiB = -1;
    char line[256];
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "AnonHugePages:", 14)) hugeKiB = atol(line + 14);
    if (f) fclose(f);

    static double onSmall[REPEATS], onHuge[REPEATS];
    for (int r = 0; r < REPEATS; r++) {
        double start = now_us();
        for (int i = 0; i < 20; i++) step(small, small + ih);
        onSmall[r] = (now_us() - start) / 20;
        start = now_us();
        for (int i = 0; i < 20; i++) step(huge, huge + ih);
        onHuge[r] = (now_us() - start) / 20;
    }
    qsort(onSmall, REPEATS, sizeof(double), compare);
    qsort(onHuge, REPEATS, sizeof(double), compare);
    printf("H=256 step stream (%zu KiB): 4 KiB pages %.2f us, huge page %.2f us (madvise %s, AnonHugePages %ld kB)\n",
           n * sizeof(float) / 1024, onSmall[REPEATS / 2], onHuge[REPEATS / 2], advised ? "accepted" : "refused", hugeKiB);
    return 0;
}
