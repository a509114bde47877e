using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RnnGen.Kernels;

// AVX2 + FMA paths. Callers have validated every shape, so each ref offset below stays inside its span:
// row r of an m × k operand spans [r·k, r·k + k), and every kernel only reads the rows and columns it was given.
public static partial class Gemm
{
    // Depth of an inner-dimension block: a 16-wide micro-panel of B this deep is 16 KiB, well inside L1.
    private const int KBlock = 256;

    // Floats of B kept in L2 (192 KiB) while the rows of a small product stream past it.
    private const int PanelFloats = 48 * 1024;

    // Products with at most this many rows of C take the row-at-a-time kernels below: packing B would cost as much as
    // the product, and the batch-1 GEMV of a streaming step lives here.
    internal const int SmallRows = 3;

    // A · Bᵀ for m ≤ SmallRows in dot-product form: every row of B is read once, contiguously.
    private static void SmallTransposedBFma(ref float a, ref float b, ref float c, int m, int n, int k, bool accumulate)
    {
        int kBlock = k <= 2 * KBlock ? k : KBlock;
        for (int p0 = 0; p0 < k; p0 += kBlock)
        {
            int kc = Math.Min(kBlock, k - p0);
            bool load = accumulate || p0 != 0;
            int nBlock = Math.Max(4, (PanelFloats / kc) & ~3);
            for (int j0 = 0; j0 < n; j0 += nBlock)
            {
                int nc = Math.Min(nBlock, n - j0);
                ref float bPanel = ref Unsafe.Add(ref b, (nint)j0 * k + p0);
                if (m == 3)
                    DotRows3(ref Unsafe.Add(ref a, p0), ref bPanel, ref Unsafe.Add(ref c, j0), k, n, nc, kc, load);
                else
                {
                    for (int i = 0; i < m; i++)
                        DotRow1(ref Unsafe.Add(ref a, (nint)i * k + p0), ref bPanel, ref Unsafe.Add(ref c, (nint)i * n + j0), k, nc, kc, load);
                }
            }
        }
    }

    // A · B (aRow = k, aStep = 1) or Aᵀ · B (aRow = 1, aStep = m) for m ≤ SmallRows, one row of C at a time straight
    // from B's rows.
    private static void SmallOuterFma(ref float a, nint aRow, nint aStep, ref float b, ref float c, int m, int n, int k, bool accumulate)
    {
        for (int i = 0; i < m; i++)
            OuterRow1(ref Unsafe.Add(ref a, i * aRow), aStep, ref b, n, ref Unsafe.Add(ref c, (nint)i * n), n, k, accumulate);
    }

    // Dot-product form (A rows · B rows). Each 3×4 block keeps 12 accumulators: 7 loads feed 12 FMAs per step.
    private static void DotRows3(ref float a, ref float b, ref float c, nint ld, nint ldc, int nc, int kc, bool load)
    {
        int j = 0;
        for (; j <= nc - 4; j += 4)
            Dot3x4(ref a, ref Unsafe.Add(ref b, j * ld), ref Unsafe.Add(ref c, j), ld, ldc, kc, load);
        for (; j < nc; j++)
        {
            ref float bRow = ref Unsafe.Add(ref b, j * ld);
            for (int r = 0; r < 3; r++)
                Store1(ref Unsafe.Add(ref c, r * ldc + j), Dot(ref Unsafe.Add(ref a, r * ld), ref bRow, kc), load);
        }
    }

    // One row against many: the GEMV of a batch-1 step. Bandwidth-bound on B, so only latency needs hiding.
    private static void DotRow1(ref float a, ref float b, ref float c, nint ld, int nc, int kc, bool load)
    {
        int j = 0;
        for (; j <= nc - 8; j += 8)
            Dot1x8(ref a, ref Unsafe.Add(ref b, j * ld), ref Unsafe.Add(ref c, j), ld, kc, load);
        for (; j <= nc - 4; j += 4)
            Dot1x4(ref a, ref Unsafe.Add(ref b, j * ld), ref Unsafe.Add(ref c, j), ld, kc, load);
        for (; j < nc; j++)
            Store1(ref Unsafe.Add(ref c, j), Dot(ref a, ref Unsafe.Add(ref b, j * ld), kc), load);
    }

    private static void Dot3x4(ref float a0, ref float b0, ref float c, nint ld, nint ldc, int kc, bool load)
    {
        ref float a1 = ref Unsafe.Add(ref a0, ld);
        ref float a2 = ref Unsafe.Add(ref a0, 2 * ld);
        ref float b1 = ref Unsafe.Add(ref b0, ld);
        ref float b2 = ref Unsafe.Add(ref b0, 2 * ld);
        ref float b3 = ref Unsafe.Add(ref b0, 3 * ld);
        Vector256<float> s00 = default, s01 = default, s02 = default, s03 = default;
        Vector256<float> s10 = default, s11 = default, s12 = default, s13 = default;
        Vector256<float> s20 = default, s21 = default, s22 = default, s23 = default;
        int p = 0;
        for (; p <= kc - 8; p += 8)
        {
            Vector256<float> x0 = Vector256.LoadUnsafe(ref a0, (nuint)p);
            Vector256<float> x1 = Vector256.LoadUnsafe(ref a1, (nuint)p);
            Vector256<float> x2 = Vector256.LoadUnsafe(ref a2, (nuint)p);
            Vector256<float> y = Vector256.LoadUnsafe(ref b0, (nuint)p);
            s00 = Fma.MultiplyAdd(x0, y, s00);
            s10 = Fma.MultiplyAdd(x1, y, s10);
            s20 = Fma.MultiplyAdd(x2, y, s20);
            y = Vector256.LoadUnsafe(ref b1, (nuint)p);
            s01 = Fma.MultiplyAdd(x0, y, s01);
            s11 = Fma.MultiplyAdd(x1, y, s11);
            s21 = Fma.MultiplyAdd(x2, y, s21);
            y = Vector256.LoadUnsafe(ref b2, (nuint)p);
            s02 = Fma.MultiplyAdd(x0, y, s02);
            s12 = Fma.MultiplyAdd(x1, y, s12);
            s22 = Fma.MultiplyAdd(x2, y, s22);
            y = Vector256.LoadUnsafe(ref b3, (nuint)p);
            s03 = Fma.MultiplyAdd(x0, y, s03);
            s13 = Fma.MultiplyAdd(x1, y, s13);
            s23 = Fma.MultiplyAdd(x2, y, s23);
        }
        Vector128<float> r0 = Sum4(s00, s01, s02, s03);
        Vector128<float> r1 = Sum4(s10, s11, s12, s13);
        Vector128<float> r2 = Sum4(s20, s21, s22, s23);
        for (; p < kc; p++)
        {
            Vector128<float> y = Vector128.Create(Unsafe.Add(ref b0, p), Unsafe.Add(ref b1, p), Unsafe.Add(ref b2, p), Unsafe.Add(ref b3, p));
            r0 += Vector128.Create(Unsafe.Add(ref a0, p)) * y;
            r1 += Vector128.Create(Unsafe.Add(ref a1, p)) * y;
            r2 += Vector128.Create(Unsafe.Add(ref a2, p)) * y;
        }
        Store4(ref c, r0, load);
        Store4(ref Unsafe.Add(ref c, ldc), r1, load);
        Store4(ref Unsafe.Add(ref c, 2 * ldc), r2, load);
    }

    // Two interleaved sets of four accumulators: eight independent FMA chains cover the 4-cycle FMA latency.
    private static void Dot1x4(ref float a, ref float b0, ref float c, nint ld, int kc, bool load)
    {
        ref float b1 = ref Unsafe.Add(ref b0, ld);
        ref float b2 = ref Unsafe.Add(ref b0, 2 * ld);
        ref float b3 = ref Unsafe.Add(ref b0, 3 * ld);
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
        Vector256<float> t0 = default, t1 = default, t2 = default, t3 = default;
        int p = 0;
        for (; p <= kc - 16; p += 16)
        {
            Vector256<float> x = Vector256.LoadUnsafe(ref a, (nuint)p);
            s0 = Fma.MultiplyAdd(x, Vector256.LoadUnsafe(ref b0, (nuint)p), s0);
            s1 = Fma.MultiplyAdd(x, Vector256.LoadUnsafe(ref b1, (nuint)p), s1);
            s2 = Fma.MultiplyAdd(x, Vector256.LoadUnsafe(ref b2, (nuint)p), s2);
            s3 = Fma.MultiplyAdd(x, Vector256.LoadUnsafe(ref b3, (nuint)p), s3);
            x = Vector256.LoadUnsafe(ref a, (nuint)(p + 8));
            t0 = Fma.MultiplyAdd(x, Vector256.LoadUnsafe(ref b0, (nuint)(p + 8)), t0);
            t1 = Fma.MultiplyAdd(x, Vector256.LoadUnsafe(ref b1, (nuint)(p + 8)), t1);
            t2 = Fma.MultiplyAdd(x, Vector256.LoadUnsafe(ref b2, (nuint)(p + 8)), t2);
            t3 = Fma.MultiplyAdd(x, Vector256.LoadUnsafe(ref b3, (nuint)(p + 8)), t3);
        }
        if (p <= kc - 8)
        {
            Vector256<float> x = Vector256.LoadUnsafe(ref a, (nuint)p);
            s0 = Fma.MultiplyAdd(x, Vector256.LoadUnsafe(ref b0, (nuint)p), s0);
            s1 = Fma.MultiplyAdd(x, Vector256.LoadUnsafe(ref b1, (nuint)p), s1);
            s2 = Fma.MultiplyAdd(x, Vector256.LoadUnsafe(ref b2, (nuint)p), s2);
            s3 = Fma.MultiplyAdd(x, Vector256.LoadUnsafe(ref b3, (nuint)p), s3);
            p += 8;
        }
        Vector128<float> r = Sum4(s0 + t0, s1 + t1, s2 + t2, s3 + t3);
        for (; p < kc; p++)
        {
            Vector128<float> y = Vector128.Create(Unsafe.Add(ref b0, p), Unsafe.Add(ref b1, p), Unsafe.Add(ref b2, p), Unsafe.Add(ref b3, p));
            r += Vector128.Create(Unsafe.Add(ref a, p)) * y;
        }
        Store4(ref c, r, load);
    }

    // Eight rows of B share each load of the A row (9 loads feed 8 FMAs), the eight chains cover the FMA latency, and
    // one reduction tree yields all eight dot products as a single vector.
    private static void Dot1x8(ref float a, ref float b0, ref float c, nint ld, int kc, bool load)
    {
        ref float b1 = ref Unsafe.Add(ref b0, ld);
        ref float b2 = ref Unsafe.Add(ref b0, 2 * ld);
        ref float b3 = ref Unsafe.Add(ref b0, 3 * ld);
        ref float b4 = ref Unsafe.Add(ref b0, 4 * ld);
        ref float b5 = ref Unsafe.Add(ref b0, 5 * ld);
        ref float b6 = ref Unsafe.Add(ref b0, 6 * ld);
        ref float b7 = ref Unsafe.Add(ref b0, 7 * ld);
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
        Vector256<float> s4 = default, s5 = default, s6 = default, s7 = default;
        int p = 0;
        for (; p <= kc - 8; p += 8)
        {
            nuint u = (nuint)p;
            Vector256<float> x = Vector256.LoadUnsafe(ref a, u);
            s0 = Fma.MultiplyAdd(x, Vector256.LoadUnsafe(ref b0, u), s0);
            s1 = Fma.MultiplyAdd(x, Vector256.LoadUnsafe(ref b1, u), s1);
            s2 = Fma.MultiplyAdd(x, Vector256.LoadUnsafe(ref b2, u), s2);
            s3 = Fma.MultiplyAdd(x, Vector256.LoadUnsafe(ref b3, u), s3);
            s4 = Fma.MultiplyAdd(x, Vector256.LoadUnsafe(ref b4, u), s4);
            s5 = Fma.MultiplyAdd(x, Vector256.LoadUnsafe(ref b5, u), s5);
            s6 = Fma.MultiplyAdd(x, Vector256.LoadUnsafe(ref b6, u), s6);
            s7 = Fma.MultiplyAdd(x, Vector256.LoadUnsafe(ref b7, u), s7);
        }
        Vector256<float> r = Sum8(s0, s1, s2, s3, s4, s5, s6, s7);
        for (; p < kc; p++)
        {
            Vector256<float> y = Vector256.Create(
                Unsafe.Add(ref b0, p), Unsafe.Add(ref b1, p), Unsafe.Add(ref b2, p), Unsafe.Add(ref b3, p),
                Unsafe.Add(ref b4, p), Unsafe.Add(ref b5, p), Unsafe.Add(ref b6, p), Unsafe.Add(ref b7, p));
            r = Fma.MultiplyAdd(Vector256.Create(Unsafe.Add(ref a, p)), y, r);
        }
        if (load)
            r += Vector256.LoadUnsafe(ref c);
        r.StoreUnsafe(ref c);
    }

    private static float Dot(ref float x, ref float y, int length)
    {
        Vector256<float> s0 = default, s1 = default;
        int p = 0;
        for (; p <= length - 16; p += 16)
        {
            s0 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)p), Vector256.LoadUnsafe(ref y, (nuint)p), s0);
            s1 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)(p + 8)), Vector256.LoadUnsafe(ref y, (nuint)(p + 8)), s1);
        }
        if (p <= length - 8)
        {
            s0 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)p), Vector256.LoadUnsafe(ref y, (nuint)p), s0);
            p += 8;
        }
        float sum = Vector256.Sum(s0 + s1);
        for (; p < length; p++)
            sum += Unsafe.Add(ref x, p) * Unsafe.Add(ref y, p);
        return sum;
    }

    // Horizontal sums of four vectors at once: three hadds and one 128-bit add instead of four full reductions.
    private static Vector128<float> Sum4(Vector256<float> v0, Vector256<float> v1, Vector256<float> v2, Vector256<float> v3)
    {
        Vector256<float> h = Avx.HorizontalAdd(Avx.HorizontalAdd(v0, v1), Avx.HorizontalAdd(v2, v3));
        return h.GetLower() + h.GetUpper();
    }

    // Eight full reductions in six hadds, two lane permutes and one add; element r of the result is the sum of vr.
    private static Vector256<float> Sum8(Vector256<float> v0, Vector256<float> v1, Vector256<float> v2, Vector256<float> v3,
        Vector256<float> v4, Vector256<float> v5, Vector256<float> v6, Vector256<float> v7)
    {
        Vector256<float> low = Avx.HorizontalAdd(Avx.HorizontalAdd(v0, v1), Avx.HorizontalAdd(v2, v3));
        Vector256<float> high = Avx.HorizontalAdd(Avx.HorizontalAdd(v4, v5), Avx.HorizontalAdd(v6, v7));
        return Avx.Permute2x128(low, high, 0x20) + Avx.Permute2x128(low, high, 0x31);
    }

    private static void Store4(ref float c, Vector128<float> value, bool load)
    {
        if (load)
            value += Vector128.LoadUnsafe(ref c);
        value.StoreUnsafe(ref c);
    }

    private static void Store1(ref float c, float value, bool load) => c = load ? c + value : value;

    // Outer-product form for one row: C[cols] += Σ_p a(p) · B[p, ·], with A's element p at a + p·aStep.
    private static void OuterRow1(ref float a, nint aStep, ref float b, nint ldb, ref float c, int nc, int kc, bool load)
    {
        int j = 0;
        for (; j <= nc - 24; j += 24)
            Outer1x24(ref a, aStep, ref Unsafe.Add(ref b, j), ldb, ref Unsafe.Add(ref c, j), kc, load);
        for (; j <= nc - 8; j += 8)
            Outer1x8(ref a, aStep, ref Unsafe.Add(ref b, j), ldb, ref Unsafe.Add(ref c, j), kc, load);
        if (j < nc)
            OuterScalar(ref a, aStep, ref Unsafe.Add(ref b, j), ldb, ref Unsafe.Add(ref c, j), nc - j, kc, load);
    }

    // A single row has only three output vectors, so two steps are interleaved to get six independent chains.
    private static void Outer1x24(ref float a, nint aStep, ref float b, nint ldb, ref float c, int kc, bool load)
    {
        Vector256<float> s0 = default, s1 = default, s2 = default;
        Vector256<float> t0 = default, t1 = default, t2 = default;
        if (load)
        {
            s0 = Vector256.LoadUnsafe(ref c); s1 = Vector256.LoadUnsafe(ref c, 8); s2 = Vector256.LoadUnsafe(ref c, 16);
        }
        int p = 0;
        for (; p <= kc - 2; p += 2)
        {
            Vector256<float> x = Vector256.Create(a);
            s0 = Fma.MultiplyAdd(x, Vector256.LoadUnsafe(ref b), s0);
            s1 = Fma.MultiplyAdd(x, Vector256.LoadUnsafe(ref b, 8), s1);
            s2 = Fma.MultiplyAdd(x, Vector256.LoadUnsafe(ref b, 16), s2);
            ref float bNext = ref Unsafe.Add(ref b, ldb);
            x = Vector256.Create(Unsafe.Add(ref a, aStep));
            t0 = Fma.MultiplyAdd(x, Vector256.LoadUnsafe(ref bNext), t0);
            t1 = Fma.MultiplyAdd(x, Vector256.LoadUnsafe(ref bNext, 8), t1);
            t2 = Fma.MultiplyAdd(x, Vector256.LoadUnsafe(ref bNext, 16), t2);
            a = ref Unsafe.Add(ref a, 2 * aStep);
            b = ref Unsafe.Add(ref b, 2 * ldb);
        }
        if (p < kc)
        {
            Vector256<float> x = Vector256.Create(a);
            s0 = Fma.MultiplyAdd(x, Vector256.LoadUnsafe(ref b), s0);
            s1 = Fma.MultiplyAdd(x, Vector256.LoadUnsafe(ref b, 8), s1);
            s2 = Fma.MultiplyAdd(x, Vector256.LoadUnsafe(ref b, 16), s2);
        }
        (s0 + t0).StoreUnsafe(ref c);
        (s1 + t1).StoreUnsafe(ref c, 8);
        (s2 + t2).StoreUnsafe(ref c, 16);
    }

    private static void Outer1x8(ref float a, nint aStep, ref float b, nint ldb, ref float c, int kc, bool load)
    {
        Vector256<float> s = load ? Vector256.LoadUnsafe(ref c) : default;
        Vector256<float> t = default;
        int p = 0;
        for (; p <= kc - 2; p += 2)
        {
            s = Fma.MultiplyAdd(Vector256.Create(a), Vector256.LoadUnsafe(ref b), s);
            t = Fma.MultiplyAdd(Vector256.Create(Unsafe.Add(ref a, aStep)), Vector256.LoadUnsafe(ref Unsafe.Add(ref b, ldb)), t);
            a = ref Unsafe.Add(ref a, 2 * aStep);
            b = ref Unsafe.Add(ref b, 2 * ldb);
        }
        if (p < kc)
            s = Fma.MultiplyAdd(Vector256.Create(a), Vector256.LoadUnsafe(ref b), s);
        (s + t).StoreUnsafe(ref c);
    }

    // Fewer than eight columns remain; a plain loop is cheaper than masking.
    private static void OuterScalar(ref float a, nint aStep, ref float b, nint ldb, ref float c, int cols, int kc, bool load)
    {
        for (int j = 0; j < cols; j++)
        {
            float sum = 0f;
            for (int p = 0; p < kc; p++)
                sum += Unsafe.Add(ref a, p * aStep) * Unsafe.Add(ref b, p * ldb + j);
            Store1(ref Unsafe.Add(ref c, j), sum, load);
        }
    }
}
