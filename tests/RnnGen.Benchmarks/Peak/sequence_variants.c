// The LSTM sequence case (batch 1, T=64, I=32, H=128) as PackedCell ran it until session 11, input projection then
// recurrence, beside the variants session 11 tried for it, alternating run by run so that all see the same phases of
// the host:
//
//   kernel       the projection of all 64 steps (8-row x 2-gate tiles of W_ih), then the recurrence, panels
//                alternating direction step by step, each panel's cell finished right after its W_hh rows;
//   interleaved  the projection spread over the recurrence: during step t the rows of the next group of 8 steps for
//                panel t % 8, a quarter of it per W_hh panel, one input column per 4 W_hh rows (+3% weight bytes);
//   pairs        two panels' rows interleaved, 8 FMA chains instead of 4;
//   shuffled h   h[k] broadcast from a register (2 shuffles per 4 k) instead of a load per row;
//   deferred     a panel's cell finished after the first 16 W_hh rows of the next panel;
//   spread       a panel's cell finished in five pieces, one after every 8 of the next panel's first 40 W_hh rows;
//   prefetch     prefetcht0 of the W_hh row 1 KiB ahead;
//   no division  sigmoid's and tanh's divisions as rcp14 and a Newton step (not bit-identical: the divider's share);
//   palindrome   each panel as eight 16-row blocks with their own partial sums, added in block order, so that a
//                backward step can read the blocks last to first and begin on what the step before left in L1
//                (a different order of additions, so not bit-identical to the kernel).
//
// Every variant but the last two computes the same h bit for bit; the program checks it. Three runs on this machine,
// times over the kernel's: interleaved 1.00-1.05, pairs 1.06-1.08, shuffled h 1.01-1.03, deferred 0.95-1.00,
// spread 0.96-0.97, prefetch 1.09-1.13, no division 0.98-1.01, palindrome 0.99-1.02. Ported to PackedCell, "deferred"
// gained nothing through the JIT (the sequence within 1%, the H=256 step 2-4% slower, alternating in one process) and
// "spread" 5-8% on the sequence with the steps alike: PackedCell finishes its 512-bit cells that way since session 11,
// and "kernel" here is the code before. The recurrence streams W_hh (264 KiB) from the L2 64 times, about 185 us of
// plain reads (Peak/ReadFloor.cs).
//
// gcc -O3 -mavx512f -mavx512dq -mfma -o sequence_variants sequence_variants.c && ./sequence_variants
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROW 64
#define REPEATS 200
enum { QH = 128, QT = 64, QI = 32, PANELS = QH / 16 };

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
// The divisions of sigmoid and tanh, exact or as rcp14 and one Newton step (not bit-identical: what the divider costs).
static int approximate_division;
static inline __m512 divide(__m512 a, __m512 b)
{
    if (!approximate_division) return _mm512_div_ps(a, b);
    __m512 r = _mm512_rcp14_ps(b);
    return _mm512_mul_ps(a, _mm512_mul_ps(r, _mm512_fnmadd_ps(b, r, _mm512_set1_ps(2.f))));
}
static inline __m512 exact_sigmoid(__m512 x) { return divide(_mm512_set1_ps(1.f), _mm512_add_ps(_mm512_set1_ps(1.f), exact_exp(_mm512_sub_ps(_mm512_setzero_ps(), x)))); }
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
    return _mm512_mul_ps(x, divide(p, q));
}


static float *w_ih, *w_hh, *x, *gates, *h, *c;

// gates[r][q-th and (q+1)-th gate of panel p] = W_ih x_r + b_ih for the 8 rows from r0.
static void project_tile(int p, int q, int r0)
{
    const float *w = w_ih + (size_t)p * (QI + 1) * ROW;
    __m512 b0 = _mm512_load_ps(w + 16 * q), b1 = _mm512_load_ps(w + 16 * q + 16), a[16];
    for (int r = 0; r < 8; r++) { a[2 * r] = b0; a[2 * r + 1] = b1; }
    w += ROW;
    for (int k = 0; k < QI; k++, w += ROW) {
        __m512 w0 = _mm512_load_ps(w + 16 * q), w1 = _mm512_load_ps(w + 16 * q + 16);
        for (int r = 0; r < 8; r++) {
            __m512 v = _mm512_set1_ps(x[(r0 + r) * QI + k]);
            a[2 * r] = _mm512_fmadd_ps(v, w0, a[2 * r]);
            a[2 * r + 1] = _mm512_fmadd_ps(v, w1, a[2 * r + 1]);
        }
    }
    for (int r = 0; r < 8; r++) {
        float *g = gates + (r0 + r) * 4 * QH + p * 16;
        _mm512_store_ps(g + q * QH, a[2 * r]);
        _mm512_store_ps(g + (q + 1) * QH, a[2 * r + 1]);
    }
}

static void project(int r0, int r1)
{
    for (int p = 0; p < PANELS; p++)
        for (int r = r0; r < r1; r += 8)
            for (int q = 0; q < 4; q += 2) project_tile(p, q, r);
}

static inline void start_panel(__m512 *acc, const float *g, const float *b, int u)
{
    for (int j = 0; j < 4; j++) acc[j] = _mm512_add_ps(_mm512_load_ps(g + j * QH + u), _mm512_load_ps(b + 16 * j));
}

static inline void rows(__m512 *acc, const float **b, const float *hp, int k0, int k1)
{
    for (int k = k0; k < k1; k++, *b += ROW) {
        __m512 v = _mm512_set1_ps(hp[k]);
        for (int j = 0; j < 4; j++) acc[j] = _mm512_fmadd_ps(v, _mm512_load_ps(*b + 16 * j), acc[j]);
    }
}

static inline void finish(const __m512 *acc, float *g, const float *cp, float *cn, float *hn, int u)
{
    __m512 i = exact_sigmoid(acc[0]), f = exact_sigmoid(acc[1]), gg = exact_tanh(acc[2]), o = exact_sigmoid(acc[3]);
    __m512 cv = _mm512_fmadd_ps(f, _mm512_load_ps(cp + u), _mm512_mul_ps(i, gg));
    _mm512_store_ps(cn + u, cv);
    _mm512_store_ps(hn + u, _mm512_mul_ps(o, exact_tanh(cv)));
    _mm512_store_ps(g + u, i); _mm512_store_ps(g + QH + u, f); _mm512_store_ps(g + 2 * QH + u, gg); _mm512_store_ps(g + 3 * QH + u, o);
}

#define STEP_BEGIN                                                                                                      \
    float *g = gates + t * 4 * QH, *hp = h + t * QH, *hn = hp + QH, *cp = c + t * QH, *cn = cp + QH;                  \
    int reverse = t & 1;
#define PANEL(n) (reverse ? PANELS - 1 - (n) : (n))
#define WEIGHTS(panel) (w_hh + (size_t)(panel) * (QH + 1) * ROW)

enum { KERNEL, INTERLEAVED, PAIRS, SHUFFLED, DEFERRED, SPREAD, PREFETCH, NO_DIVISION, PALINDROME, VARIANTS };
static const char *names[VARIANTS] = {"kernel", "interleaved", "pairs", "shuffled h", "deferred", "spread", "prefetch", "no division", "palindrome"};

__attribute__((noinline)) static void run(int variant)
{
    approximate_division = variant == NO_DIVISION;
    project(0, variant == INTERLEAVED ? 8 : QT);
    for (int t = 0; t < QT; t++) {
        STEP_BEGIN
        if (variant == PALINDROME) {
            // Each panel as eight blocks of 16 rows, each with its own partial sums, added in block order at the end,
            // so that a backward step can read the blocks last to first and begin on the ones still in L1.
            for (int n = 0; n < PANELS; n++) {
                int panel = PANEL(n), u = panel * 16;
                const float *base = WEIGHTS(panel);
                __m512 partial[8][4], acc[4];
                for (int m = 0; m < 8; m++) {
                    int block = reverse ? 7 - m : m;
                    if (block == 0) start_panel(acc, g, base, u);
                    else for (int j = 0; j < 4; j++) acc[j] = _mm512_setzero_ps();
                    const float *b = base + ROW + (size_t)16 * block * ROW;
                    rows(acc, &b, hp, 16 * block, 16 * block + 16);
                    memcpy(partial[block], acc, sizeof acc);
                }
                for (int j = 0; j < 4; j++) {
                    acc[j] = partial[0][j];
                    for (int block = 1; block < 8; block++) acc[j] = _mm512_add_ps(acc[j], partial[block][j]);
                }
                finish(acc, g, cp, cn, hn, u);
            }
            continue;
        }
        if (variant == PAIRS) {
            for (int n = 0; n < PANELS; n += 2) {
                int pa = PANEL(n), pb = PANEL(n + 1);
                const float *a = WEIGHTS(pa), *b = WEIGHTS(pb);
                __m512 acc[4], acd[4];
                start_panel(acc, g, a, pa * 16); start_panel(acd, g, b, pb * 16);
                a += ROW; b += ROW;
                for (int k = 0; k < QH; k++, a += ROW, b += ROW) {
                    __m512 v = _mm512_set1_ps(hp[k]);
                    for (int j = 0; j < 4; j++) acc[j] = _mm512_fmadd_ps(v, _mm512_load_ps(a + 16 * j), acc[j]);
                    for (int j = 0; j < 4; j++) acd[j] = _mm512_fmadd_ps(v, _mm512_load_ps(b + 16 * j), acd[j]);
                }
                finish(acc, g, cp, cn, hn, pa * 16); finish(acd, g, cp, cn, hn, pb * 16);
            }
            continue;
        }
        __m512 pending[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
        int pending_unit = -1;
        for (int n = 0; n < PANELS; n++) {
            int panel = PANEL(n), u = panel * 16;
            const float *b = WEIGHTS(panel);
            __m512 acc[4];
            start_panel(acc, g, b, u);
            b += ROW;
            if (variant == INTERLEAVED && t < QT - 8) {
                // Gate n/2 of panel t % 8 for 4 rows of the next group of 8 steps.
                int q = n >> 1, r0 = (t / 8 + 1) * 8 + 4 * (n & 1);
                const float *pw = w_ih + (size_t)(t % 8) * (QI + 1) * ROW + 16 * q, *xr = x + r0 * QI;
                __m512 p0 = _mm512_load_ps(pw), p1 = p0, p2 = p0, p3 = p0;
                pw += ROW;
                for (int k = 0; k < QI; k++, pw += ROW) {
                    rows(acc, &b, hp, 4 * k, 4 * k + 4);
                    __m512 w = _mm512_load_ps(pw);
                    p0 = _mm512_fmadd_ps(_mm512_set1_ps(xr[k]), w, p0);
                    p1 = _mm512_fmadd_ps(_mm512_set1_ps(xr[QI + k]), w, p1);
                    p2 = _mm512_fmadd_ps(_mm512_set1_ps(xr[2 * QI + k]), w, p2);
                    p3 = _mm512_fmadd_ps(_mm512_set1_ps(xr[3 * QI + k]), w, p3);
                }
                float *out = gates + r0 * 4 * QH + q * QH + (t % 8) * 16;
                _mm512_store_ps(out, p0); _mm512_store_ps(out + 4 * QH, p1); _mm512_store_ps(out + 8 * QH, p2); _mm512_store_ps(out + 12 * QH, p3);
            } else if (variant == SHUFFLED) {
                for (int k0 = 0; k0 < QH; k0 += 16) {
                    __m512 hv = _mm512_load_ps(hp + k0);
                    for (int m = 0; m < 4; m++) {
                        __m512 quad = _mm512_shuffle_f32x4(hv, hv, m * 0x55);
#define SHUFFLED_ROW(l) { __m512 v = _mm512_shuffle_ps(quad, quad, (l) * 0x55); for (int j = 0; j < 4; j++) acc[j] = _mm512_fmadd_ps(v, _mm512_load_ps(b + 16 * j), acc[j]); b += ROW; }
                        SHUFFLED_ROW(0) SHUFFLED_ROW(1) SHUFFLED_ROW(2) SHUFFLED_ROW(3)
                    }
                }
            } else if (variant == PREFETCH) {
                for (int k = 0; k < QH; k++, b += ROW) {
                    for (int j = 0; j < 4; j++) _mm_prefetch((const char *)(b + 256 + 16 * j), _MM_HINT_T0);
                    __m512 v = _mm512_set1_ps(hp[k]);
                    for (int j = 0; j < 4; j++) acc[j] = _mm512_fmadd_ps(v, _mm512_load_ps(b + 16 * j), acc[j]);
                }
            } else if (variant == SPREAD) {
                // The pending panel's cell in five pieces, one after every 8 of this panel's first 40 rows.
                __m512 pi = pending[0], pf = pending[1], pg = pending[2], po = pending[3], pc = _mm512_setzero_ps();
                int pu = pending_unit;
                rows(acc, &b, hp, 0, 8);
                if (pu >= 0) pi = exact_sigmoid(pi);
                rows(acc, &b, hp, 8, 16);
                if (pu >= 0) pf = exact_sigmoid(pf);
                rows(acc, &b, hp, 16, 24);
                if (pu >= 0) pg = exact_tanh(pg);
                rows(acc, &b, hp, 24, 32);
                if (pu >= 0) {
                    po = exact_sigmoid(po);
                    pc = _mm512_fmadd_ps(pf, _mm512_load_ps(cp + pu), _mm512_mul_ps(pi, pg));
                    _mm512_store_ps(cn + pu, pc);
                }
                rows(acc, &b, hp, 32, 40);
                if (pu >= 0) {
                    _mm512_store_ps(hn + pu, _mm512_mul_ps(po, exact_tanh(pc)));
                    _mm512_store_ps(g + pu, pi); _mm512_store_ps(g + QH + pu, pf); _mm512_store_ps(g + 2 * QH + pu, pg); _mm512_store_ps(g + 3 * QH + pu, po);
                }
                rows(acc, &b, hp, 40, QH);
                memcpy(pending, acc, sizeof pending);
                pending_unit = u;
                continue;
            } else if (variant == DEFERRED) {
                rows(acc, &b, hp, 0, 16);
                if (pending_unit >= 0) finish(pending, g, cp, cn, hn, pending_unit);
                rows(acc, &b, hp, 16, QH);
                memcpy(pending, acc, sizeof pending);
                pending_unit = u;
                continue;
            } else {
                rows(acc, &b, hp, 0, QH);
            }
            finish(acc, g, cp, cn, hn, u);
        }
        if (variant == DEFERRED || variant == SPREAD) finish(pending, g, cp, cn, hn, pending_unit);
    }
}

int main(void)
{
    w_ih = packed(PANELS, QI + 1);
    w_hh = packed(PANELS, QH + 1);
    x = aligned_alloc(64, QT * QI * sizeof(float));
    for (int i = 0; i < QT * QI; i++) x[i] = (float)((i * 5) % 11) * 0.01f;
    gates = aligned_alloc(64, QT * 4 * QH * sizeof(float));
    h = aligned_alloc(64, (QT + 1) * QH * sizeof(float));
    c = aligned_alloc(64, (QT + 1) * QH * sizeof(float));
    memset(h, 0, (QT + 1) * QH * sizeof(float));
    memset(c, 0, (QT + 1) * QH * sizeof(float));

    static double times[VARIANTS][REPEATS];
    static float first_h[VARIANTS][(QT + 1) * QH];
    for (int r = 0; r < REPEATS; r++)
        for (int v = 0; v < VARIANTS; v++) {
            double start = now_us();
            run(v);
            times[v][r] = now_us() - start;
            if (r == 0) memcpy(first_h[v], h, sizeof first_h[v]);
        }
    double kernel = median(times[KERNEL], REPEATS);
    for (int v = 0; v < VARIANTS; v++) {
        double t = median(times[v], REPEATS);
        printf("%-12s %7.1f us  %5.3fx the kernel  h %s\n", names[v], t, t / kernel,
               v >= NO_DIVISION ? "(not compared)" : memcmp(first_h[v], first_h[KERNEL], sizeof first_h[v]) ? "DIFFERS" : "identical");
    }
    return 0;
}
