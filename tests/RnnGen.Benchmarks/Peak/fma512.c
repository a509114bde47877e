// FMA peak with 512-bit vectors beside 256-bit ones, in the same run. The anchors' fma_peak.c measures AVX2 only;
// where the runtime accelerates Vector512, RnnGen's GEMM tiles use AVX-512, so both peaks are reported.
//   gcc -O3 -funroll-all-loops -mavx512f -mfma -fopenmp -o /tmp/fma512 fma512.c && /tmp/fma512
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>

#define CHAINS 12
#define ROUNDS 20000000L

static double zmm_peak(void)
{
    double start = omp_get_wtime();
    float sink = 0;
    #pragma omp parallel reduction(+ : sink)
    {
        __m512 acc[CHAINS];
        __m512 m = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
        for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_set1_ps((float)i);
        for (long r = 0; r < ROUNDS; r++)
            for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_fmadd_ps(acc[i], m, b);
        for (int i = 0; i < CHAINS; i++) sink += _mm512_reduce_add_ps(acc[i]);
    }
    double seconds = omp_get_wtime() - start;
    if (sink == 42.0f) printf(" ");
    return omp_get_max_threads() * ROUNDS * CHAINS * 32.0 / seconds / 1e9;
}

static double ymm_peak(void)
{
    double start = omp_get_wtime();
    float sink = 0;
    #pragma omp parallel reduction(+ : sink)
    {
        __m256 acc[CHAINS];
        __m256 m = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
        for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_set1_ps((float)i);
        for (long r = 0; r < ROUNDS; r++)
            for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_fmadd_ps(acc[i], m, b);
        float lanes[8];
        for (int i = 0; i < CHAINS; i++) { _mm256_storeu_ps(lanes, acc[i]); sink += lanes[0]; }
    }
    double seconds = omp_get_wtime() - start;
    if (sink == 42.0f) printf(" ");
    return omp_get_max_threads() * ROUNDS * CHAINS * 16.0 / seconds / 1e9;
}

int main(void)
{
    for (int threads = 1; threads <= 2; threads++)
    {
        omp_set_num_threads(threads);
        double ymm = ymm_peak(), zmm = zmm_peak();
        printf("threads=%d FMA GFLOP/s: AVX2 (ymm) %.1f | AVX-512 (zmm) %.1f | zmm/ymm %.2f\n", threads, ymm, zmm, zmm / ymm);
    }
    return 0;
}
