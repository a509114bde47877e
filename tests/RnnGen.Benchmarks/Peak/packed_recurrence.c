// Stripped C replicas of PackedCell's batch-1 LSTM kernels, to tell the weight stream apart from everything else.
//
// Layout as PackedCell.Pack writes it: panels of 16 hidden units; per panel a bias row, then one row per input
// element, each row the panel's 4 gates side by side (64 floats, 256 bytes); panels one after another.
//
//   step H=256 I=32:  one step streams W_ih and W_hh (1.15 MiB) with either eight 256-bit FMA chains per row
//                     (two halves per gate) or four 512-bit ones (a gate per vector). Cell math left out.
//   sequence H=128 T=64: 64 steps of the recurrence alone (the input projection done), the cell finished per panel
//                     with either a cheap approximate sigmoid (rcp14, the stream's bound) or RnnGen's exact
//                     exp-based sigmoid and rational tanh (Activations.cs); panels in forward order or alternating by step.
//
// gcc -O3 -mavx512f -mavx512dq -mfma -o packed_recurrence packed_recurrence.c && ./packed_recurrence
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROW 64
#define REPEATS 300

static double now_us(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e6 + t.tv_nsec / 1e3; }
static int compare(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }
static double median(double *v, int n) { qsort(v, n, sizeof *v, compare); return v[n / 2]; }

static float *packed(int panels, int rows)
{
    size_t n = (size_t)panels * rows * ROW;
    float *p = aligned_alloc(64, n * sizeof(float));
    for (size_t i = 0; i < n; i++) p[i] = (float)((i * 7) % 13) * 0.001f;
    return p;
}

// ---- step H=256, I=32 -------------------------------------------------------------------------------------------
enum { SH = 256, SI = 32 };
static float *step_ih, *step_hh;
static float step_x[SI] __attribute__((aligned(64))), step_h[SH] __attribute__((aligned(64))), step_out[4 * SH] __attribute__((aligned(64)));

__attribute__((noinline)) static void step256(void)
{
    const float *a = step_ih, *b = step_hh;
    for (int u = 0; u < SH; u += 16) {
        __m256 acc[8];
        for (int j = 0; j < 8; j++) acc[j] = _mm256_add_ps(_mm256_load_ps(a + 8 * j), _mm256_load_ps(b + 8 * j));
        a += ROW;
        for (int k = 0; k < SI; k++, a += ROW) { __m256 v = _mm256_set1_ps(step_x[k]); for (int j = 0; j < 8; j++) acc[j] = _mm256_fmadd_ps(v, _mm256_load_ps(a + 8 * j), acc[j]); }
        b += ROW;
        for (int k = 0; k < SH; k++, b += ROW) { __m256 v = _mm256_set1_ps(step_h[k]); for (int j = 0; j < 8; j++) acc[j] = _mm256_fmadd_ps(v, _mm256_load_ps(b + 8 * j), acc[j]); }
        for (int j = 0; j < 8; j++) _mm256_store_ps(step_out + 4 * u + 8 * j, acc[j]);
    }
}

__attribute__((noinline)) static void step512(void)
{
    const float *a = step_ih, *b = step_hh;
    for (int u = 0; u < SH; u += 16) {
        __m512 acc[4];
        for (int j = 0; j < 4; j++) acc[j] = _mm512_add_ps(_mm512_load_ps(a + 16 * j), _mm512_load_ps(b + 16 * j));
        a += ROW;
        for (int k = 0; k < SI; k++, a += ROW) { __m512 v = _mm512_set1_ps(step_x[k]); for (int j = 0; j < 4; j++) acc[j] = _mm512_fmadd_ps(v, _mm512_load_ps(a + 16 * j), acc[j]); }
        b += ROW;
        for (int k = 0; k < SH; k++, b += ROW) { __m512 v = _mm512_set1_ps(step_h[k]); for (int j = 0; j < 4; j++) acc[j] = _mm512_fmadd_ps(v, _mm512_load_ps(b + 16 * j), acc[j]); }
        for (int j = 0; j < 4; j++) _mm512_store_ps(step_out + 4 * u + 16 * j, acc[j]);
    }
}

// ---- sequence H=128, T=64 ---------------------------------------------------------------------------------------
enum { QH = 128, QT = 64 };
static float *seq_hh, *seq_gates, *seq_h, *seq_c;

static inline __m512 cheap_sigmoid(__m512 x) { return _mm512_rcp14_ps(_mm512_add_ps(_mm512_set1_ps(1.f), x)); }

// Activations.Exp, Sigmoid and Tanh (the rational one) on 16 lanes, operation for operation.
static inline __m512 exact_exp(__m512 x)
{
    x = _mm512_min_ps(_mm512_set1_ps(88.3f), _mm512_max_ps(_mm512_set1_ps(-87.3f), x));
    __m512 n = _mm512_roundscale_ps(_mm512_fmadd_ps(x, _mm512_set1_ps(1.44269504088896341f), _mm512_set1_ps(0.5f)), 0x09);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    __m512 y = _mm512_add_ps(_mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r), _mm512_set1_ps(1.f));
    __m512i e = _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127));
    return _mm512_mul_ps(y, _mm512_castsi512_ps(_mm512_slli_epi32(e, 23)));
}
static inline __m512 exact_sigmoid(__m512 x) { return _mm512_div_ps(_mm512_set1_ps(1.f), _mm512_add_ps(_mm512_set1_ps(1.f), exact_exp(_mm512_sub_ps(_mm512_setzero_ps(), x)))); }
static inline __m512 exact_tanh(__m512 x)
{
    x = _mm512_min_ps(_mm512_set1_ps(7.93219709f), _mm512_max_ps(_mm512_set1_ps(-7.93219709f), x));
    __m512 s = _mm512_mul_ps(x, x), p = _mm512_set1_ps(-2.76076847742355e-16f), q = _mm512_set1_ps(1.19825839466702e-06f);
    p = _mm512_fmadd_ps(p, s, _mm512_set1_ps(2.00018790482477e-13f));
    p = _mm512_fmadd_ps(p, s, _mm512_set1_ps(-8.60467152213735e-11f));
    p = _mm512_fmadd_ps(p, s, _mm512_set1_ps(5.12229709037114e-08f));
    p = _mm512_fmadd_ps(p, s, _mm512_set1_ps(1.48572235717979e-05f));
    p = _mm512_fmadd_ps(p, s, _mm512_set1_ps(6.37261928875436e-04f));
    p = _mm512_fmadd_ps(p, s, _mm512_set1_ps(4.89352455891786e-03f));
    q = _mm512_fmadd_ps(q, s, _mm512_set1_ps(1.18534705686654e-04f));
    q = _mm512_fmadd_ps(q, s, _mm512_set1_ps(2.26843463243900e-03f));
    q = _mm512_fmadd_ps(q, s, _mm512_set1_ps(4.89352518554385e-03f));
    return _mm512_mul_ps(x, _mm512_div_ps(p, q));
}

__attribute__((noinline)) static void sequence(int exact, int alternate)
{
    for (int t = 0; t < QT; t++) {
        float *g = seq_gates + t * 4 * QH, *hp = seq_h + t * QH, *hn = hp + QH, *cp = seq_c + t * QH, *cn = cp + QH;
        int reverse = alternate && (t & 1);
        for (int n = 0; n < QH / 16; n++) {
            int panel = reverse ? QH / 16 - 1 - n : n, u = panel * 16;
            const float *b = seq_hh + (size_t)panel * (QH + 1) * ROW;
            __m512 acc[4];
            for (int j = 0; j < 4; j++) acc[j] = _mm512_add_ps(_mm512_load_ps(g + j * QH + u), _mm512_load_ps(b + 16 * j));
            b += ROW;
            for (int k = 0; k < QH; k++, b += ROW) { __m512 v = _mm512_set1_ps(hp[k]); for (int j = 0; j < 4; j++) acc[j] = _mm512_fmadd_ps(v, _mm512_load_ps(b + 16 * j), acc[j]); }
            __m512 i, f, gg, o, c;
            if (exact) { i = exact_sigmoid(acc[0]); f = exact_sigmoid(acc[1]); gg = exact_tanh(acc[2]); o = exact_sigmoid(acc[3]); }
            else { i = cheap_sigmoid(acc[0]); f = cheap_sigmoid(acc[1]); gg = cheap_sigmoid(acc[2]); o = cheap_sigmoid(acc[3]); }
            c = _mm512_fmadd_ps(f, _mm512_load_ps(cp + u), _mm512_mul_ps(i, gg));
            _mm512_store_ps(cn + u, c);
            _mm512_store_ps(hn + u, _mm512_mul_ps(o, exact ? exact_tanh(c) : cheap_sigmoid(c)));
            _mm512_store_ps(g + u, i); _mm512_store_ps(g + QH + u, f); _mm512_store_ps(g + 2 * QH + u, gg); _mm512_store_ps(g + 3 * QH + u, o);
        }
    }
}

int main(void)
{
    step_ih = packed(SH / 16, SI + 1);
    step_hh = packed(SH / 16, SH + 1);
    for (int i = 0; i < SI; i++) step_x[i] = 0.1f;
    for (int i = 0; i < SH; i++) step_h[i] = 0.01f;
    seq_hh = packed(QH / 16, QH + 1);
    seq_gates = aligned_alloc(64, QT * 4 * QH * sizeof(float));
    seq_h = aligned_alloc(64, (QT + 1) * QH * sizeof(float));
    seq_c = aligned_alloc(64, (QT + 1) * QH * sizeof(float));
    memset(seq_h, 0, (QT + 1) * QH * sizeof(float));
    memset(seq_c, 0, (QT + 1) * QH * sizeof(float));

    // Variants alternate repeat by repeat, so that they see the same phases of a noisy host.
    static double step_times[2][REPEATS], seq_times[4][REPEATS];
    for (int r = 0; r < REPEATS; r++) {
        for (int v = 0; v < 2; v++) {
            double start = now_us();
            for (int s = 0; s < 20; s++) (v ? step512 : step256)();
            step_times[v][r] = (now_us() - start) / 20;
        }
        for (int v = 0; v < 4; v++) {
            for (int i = 0; i < QT * 4 * QH; i++) seq_gates[i] = 0.01f;
            double start = now_us();
            sequence(v >> 1, v & 1);
            seq_times[v][r] = now_us() - start;
        }
    }
    printf("step H=256 I=32, weights only: 8 x 256-bit chains %.2f us, 4 x 512-bit chains %.2f us\n",
           median(step_times[0], REPEATS), median(step_times[1], REPEATS));
    printf("sequence H=128 T=64, recurrence: cheap sigmoid %.1f us forward, %.1f us alternating; exact activations %.1f us forward, %.1f us alternating\n",
           median(seq_times[0], REPEATS), median(seq_times[1], REPEATS), median(seq_times[2], REPEATS), median(seq_times[3], REPEATS));
    return 0;
}
