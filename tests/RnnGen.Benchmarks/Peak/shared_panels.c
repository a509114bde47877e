// Two threads multiplying by one shared packed right operand against a copy each, with the kernel shape of a band of
// RnnGen's training recurrence: C[16 x 1024] += A[16 x 256] · B, B packed in 16-column k-major panels (1 MiB, in L2),
// 8 x 32 AVX-512 tiles. Why Gemm.ThreadPanels gives each band of a time loop its own packed W_hh.
//   gcc -O3 -mavx512f -mfma -fopenmp -o /tmp/shared_panels shared_panels.c
//   /tmp/shared_panels 1; /tmp/shared_panels 2 0; /tmp/shared_panels 2 1     (threads, shared B: 0 = a copy each)
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <omp.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
/* C[16x1024] += A[16x256] * B[256x1024], B packed k-major in 16-column panels */
static void kernel(const float* A, const float* B, float* C) {
  for (int j = 0; j < 1024; j += 32) {
    const float* b0 = B + (size_t)j * 256; const float* b1 = b0 + 16 * 256;
    for (int r = 0; r < 16; r += 8) {
      __m512 c[8][2];
      for (int i = 0; i < 8; i++) { c[i][0] = _mm512_loadu_ps(C + (r + i) * 1024 + j); c[i][1] = _mm512_loadu_ps(C + (r + i) * 1024 + j + 16); }
      for (int k = 0; k < 256; k++) {
        __m512 x0 = _mm512_load_ps(b0 + k * 16), x1 = _mm512_load_ps(b1 + k * 16);
        for (int i = 0; i < 8; i++) { __m512 a = _mm512_set1_ps(A[(r + i) * 256 + k]); c[i][0] = _mm512_fmadd_ps(a, x0, c[i][0]); c[i][1] = _mm512_fmadd_ps(a, x1, c[i][1]); }
      }
      for (int i = 0; i < 8; i++) { _mm512_storeu_ps(C + (r + i) * 1024 + j, c[i][0]); _mm512_storeu_ps(C + (r + i) * 1024 + j + 16, c[i][1]); }
    }
  }
}
int main(int argc, char** argv) {
  int nt = atoi(argv[1]); int shared = argc > 2 && atoi(argv[2]);
  float *Bs = aligned_alloc(4096, 1024 * 256 * 4);
  for (int i = 0; i < 1024 * 256; i++) Bs[i] = (i % 7) * 0.001f;
  double times[2] = {0, 0};
  #pragma omp parallel num_threads(nt)
  {
    int id = omp_get_thread_num();
    float* B = shared ? Bs : aligned_alloc(4096, 1024 * 256 * 4);
    if (!shared) memcpy(B, Bs, 1024 * 256 * 4);
    float* A = aligned_alloc(4096, 16 * 256 * 4); float* C = aligned_alloc(4096, 16 * 1024 * 4);
    for (int i = 0; i < 16 * 256; i++) A[i] = 0.001f * (i % 5); memset(C, 0, 16 * 1024 * 4);
    for (int w = 0; w < 200; w++) kernel(A, B, C);
    #pragma omp barrier
    double t0 = now();
    for (int w = 0; w < 3000; w++) kernel(A, B, C);
    times[id] = (now() - t0) / 3000 * 1e6;
  }
  printf("threads=%d shared_B=%d: per-call us: %.1f %.1f\n", nt, shared, times[0], times[1]);
}
