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
    // Depth of an inner-dimension block: a 4-row strip of A and a 24-wide strip of B this deep (~28 KiB) stay in L1.
    private const int KBlock = 256;

    // Floats of the B panel kept in L2 (192 KiB of 512 KiB) while strips of A stream past it.
    private const int PanelFloats = 48 * 1024;

    // Splitting a moderately deep product only adds C traffic, so one block is used up to twice KBlock.
    private static int InnerBlock(int k) => k <= 2 * KBlock ? k : KBlock;

    private static void TransposedBFma(ref float a, ref float b, ref float c, int m, int n, int k, bool accumulate)
    {
        int kBlock = InnerBlock(k);
        for (int p0 = 0; p0 < k; p0 += kBlock)
        {
            int kc = Math.Min(kBlock, k - p0);
            bool load = accumulate || p0 != 0;
            int nBlock = Math.Max(4, (PanelFloats / kc) & ~3);
            for (int j0 = 0; j0 < n; j0 += nBlock)
            {
                int nc = Math.Min(nBlock, n - j0);
                ref float bPanel = ref Unsafe.Add(ref b, (nint)j0 * k + p0);
                int i = 0;
                for (; i <= m - 3; i += 3)
                    DotRows3(ref Unsafe.Add(ref a, (nint)i * k + p0), ref bPanel, ref Unsafe.Add(ref c, (nint)i * n + j0), k, n, nc, kc, load);
                for (; i < m; i++)
                    DotRow1(ref Unsafe.Add(ref a, (nint)i * k + p0), ref bPanel, ref Unsafe.Add(ref c, (nint)i * n + j0), k, nc, kc, load);
            }
        }
    }

    private static void MultiplyFma(ref float a, ref float b, ref float c, int m, int n, int k, bool accumulate)
    {
        int kBlock = InnerBlock(k);
        for (int p0 = 0; p0 < k; p0 += kBlock)
        {
            int kc = Math.Min(kBlock, k - p0);
            bool load = accumulate || p0 != 0;
            int nBlock = Math.Max(24, PanelFloats / kc / 24 * 24);
            for (int j0 = 0; j0 < n; j0 += nBlock)
            {
                int nc = Math.Min(nBlock, n - j0);
                ref float bPanel = ref Unsafe.Add(ref b, (nint)p0 * n + j0);
                int i = 0;
                for (; i <= m - 4; i += 4)
                    OuterRows4(ref Unsafe.Add(ref a, (nint)i * k + p0), k, 1, ref bPanel, n, ref Unsafe.Add(ref c, (nint)i * n + j0), n, nc, kc, load);
                for (; i < m; i++)
                    OuterRow1(ref Unsafe.Add(ref a, (nint)i * k + p0), 1, ref bPanel, n, ref Unsafe.Add(ref c, (nint)i * n + j0), nc, kc, load);
            }
        }
    }

    // Columns of A sit lda floats apart per step, so strips are packed into contiguous [kc × 4] buffers first:
    // unpacked, a large power-of-two lda maps every step to the same L1 set. Sixteen columns are packed per pass so
    // each step reads one whole cache line of A rather than a quarter of one. lda is a parameter, not m, so that a
    // parallel part can take a band of columns.
    [SkipLocalsInit]
    private static void TransposedAFma(ref float a, nint lda, ref float b, ref float c, int m, int n, int k, bool accumulate)
    {
        Span<float> packed = stackalloc float[PackColumns * 2 * KBlock];
        ref float strips = ref MemoryMarshal.GetReference(packed);
        int kBlock = InnerBlock(k);
        for (int p0 = 0; p0 < k; p0 += kBlock)
        {
            int kc = Math.Min(kBlock, k - p0);
            bool load = accumulate || p0 != 0;
            int nBlock = Math.Max(24, PanelFloats / kc / 24 * 24);
            for (int j0 = 0; j0 < n; j0 += nBlock)
            {
                int nc = Math.Min(nBlock, n - j0);
                ref float bPanel = ref Unsafe.Add(ref b, (nint)p0 * n + j0);
                int i = 0;
                while (i <= m - 4)
                {
                    int width = Math.Min(PackColumns, (m - i) & ~3);
                    PackColumnStrips(ref Unsafe.Add(ref a, p0 * lda + i), lda, ref strips, width, kc);
                    for (int s = 0; s < width; s += 4)
                        OuterRows4(ref Unsafe.Add(ref strips, s * kc), 1, 4, ref bPanel, n, ref Unsafe.Add(ref c, (nint)(i + s) * n + j0), n, nc, kc, load);
                    i += width;
                }
                for (; i < m; i++)
                    OuterRow1(ref Unsafe.Add(ref a, p0 * lda + i), lda, ref bPanel, n, ref Unsafe.Add(ref c, (nint)i * n + j0), nc, kc, load);
            }
        }
    }

    // Columns of A packed per pass of TransposedAFma: one 64-byte line.
    private const int PackColumns = 16;

    // Strip s (columns 4s..4s+3) of the width-column band lands at strips[s·kc·4 ..], one Vector128 per step.
    private static void PackColumnStrips(ref float a, nint lda, ref float strips, int width, int kc)
    {
        nint stripFloats = 4 * (nint)kc;
        if (width == PackColumns)
        {
            for (int p = 0; p < kc; p++)
            {
                ref float row = ref Unsafe.Add(ref a, p * lda);
                nint at = 4 * (nint)p;
                Vector256<float> low = Vector256.LoadUnsafe(ref row);
                Vector256<float> high = Vector256.LoadUnsafe(ref row, 8);
                low.GetLower().StoreUnsafe(ref Unsafe.Add(ref strips, at));
                low.GetUpper().StoreUnsafe(ref Unsafe.Add(ref strips, stripFloats + at));
                high.GetLower().StoreUnsafe(ref Unsafe.Add(ref strips, 2 * stripFloats + at));
                high.GetUpper().StoreUnsafe(ref Unsafe.Add(ref strips, 3 * stripFloats + at));
            }
            return;
        }
        for (int p = 0; p < kc; p++)
        {
            ref float row = ref Unsafe.Add(ref a, p * lda);
            for (int s = 0; s < width; s += 4)
                Vector128.LoadUnsafe(ref row, (nuint)s).StoreUnsafe(ref Unsafe.Add(ref strips, s * kc + 4 * (nint)p));
        }
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

    // Outer-product form: C[rows × cols] += Σ_p a(·, p) ⊗ B[p, ·]. A is addressed as a + r·aRow + p·aStep so the same
    // kernels serve A[m×k] (aRow = k, aStep = 1) and a packed transposed strip (aRow = 1, aStep = 4).
    private static void OuterRows4(ref float a, nint aRow, nint aStep, ref float b, nint ldb, ref float c, nint ldc, int nc, int kc, bool load)
    {
        int j = 0;
        for (; j <= nc - 24; j += 24)
            Outer4x24(ref a, aRow, aStep, ref Unsafe.Add(ref b, j), ldb, ref Unsafe.Add(ref c, j), ldc, kc, load);
        for (; j <= nc - 8; j += 8)
            Outer4x8(ref a, aRow, aStep, ref Unsafe.Add(ref b, j), ldb, ref Unsafe.Add(ref c, j), ldc, kc, load);
        if (j < nc)
            OuterScalar(ref a, aRow, 4, aStep, ref Unsafe.Add(ref b, j), ldb, ref Unsafe.Add(ref c, j), ldc, nc - j, kc, load);
    }

    private static void OuterRow1(ref float a, nint aStep, ref float b, nint ldb, ref float c, int nc, int kc, bool load)
    {
        int j = 0;
        for (; j <= nc - 24; j += 24)
            Outer1x24(ref a, aStep, ref Unsafe.Add(ref b, j), ldb, ref Unsafe.Add(ref c, j), kc, load);
        for (; j <= nc - 8; j += 8)
            Outer1x8(ref a, aStep, ref Unsafe.Add(ref b, j), ldb, ref Unsafe.Add(ref c, j), kc, load);
        if (j < nc)
            OuterScalar(ref a, 0, 1, aStep, ref Unsafe.Add(ref b, j), ldb, ref Unsafe.Add(ref c, j), 0, nc - j, kc, load);
    }

    // 4 rows × 3 vectors: 12 accumulators + 3 B vectors + 1 broadcast fill the 16 ymm registers.
    private static void Outer4x24(ref float a, nint aRow, nint aStep, ref float b, nint ldb, ref float c, nint ldc, int kc, bool load)
    {
        ref float c1 = ref Unsafe.Add(ref c, ldc);
        ref float c2 = ref Unsafe.Add(ref c, 2 * ldc);
        ref float c3 = ref Unsafe.Add(ref c, 3 * ldc);
        Vector256<float> c00 = default, c01 = default, c02 = default;
        Vector256<float> c10 = default, c11 = default, c12 = default;
        Vector256<float> c20 = default, c21 = default, c22 = default;
        Vector256<float> c30 = default, c31 = default, c32 = default;
        if (load)
        {
            c00 = Vector256.LoadUnsafe(ref c); c01 = Vector256.LoadUnsafe(ref c, 8); c02 = Vector256.LoadUnsafe(ref c, 16);
            c10 = Vector256.LoadUnsafe(ref c1); c11 = Vector256.LoadUnsafe(ref c1, 8); c12 = Vector256.LoadUnsafe(ref c1, 16);
            c20 = Vector256.LoadUnsafe(ref c2); c21 = Vector256.LoadUnsafe(ref c2, 8); c22 = Vector256.LoadUnsafe(ref c2, 16);
            c30 = Vector256.LoadUnsafe(ref c3); c31 = Vector256.LoadUnsafe(ref c3, 8); c32 = Vector256.LoadUnsafe(ref c3, 16);
        }
        nint aRow2 = 2 * aRow, aRow3 = 3 * aRow;
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Vector256.LoadUnsafe(ref b);
            Vector256<float> b1 = Vector256.LoadUnsafe(ref b, 8);
            Vector256<float> b2 = Vector256.LoadUnsafe(ref b, 16);
            Vector256<float> x = Vector256.Create(a);
            c00 = Fma.MultiplyAdd(x, b0, c00); c01 = Fma.MultiplyAdd(x, b1, c01); c02 = Fma.MultiplyAdd(x, b2, c02);
            x = Vector256.Create(Unsafe.Add(ref a, aRow));
            c10 = Fma.MultiplyAdd(x, b0, c10); c11 = Fma.MultiplyAdd(x, b1, c11); c12 = Fma.MultiplyAdd(x, b2, c12);
            x = Vector256.Create(Unsafe.Add(ref a, aRow2));
            c20 = Fma.MultiplyAdd(x, b0, c20); c21 = Fma.MultiplyAdd(x, b1, c21); c22 = Fma.MultiplyAdd(x, b2, c22);
            x = Vector256.Create(Unsafe.Add(ref a, aRow3));
            c30 = Fma.MultiplyAdd(x, b0, c30); c31 = Fma.MultiplyAdd(x, b1, c31); c32 = Fma.MultiplyAdd(x, b2, c32);
            a = ref Unsafe.Add(ref a, aStep);
            b = ref Unsafe.Add(ref b, ldb);
        }
        c00.StoreUnsafe(ref c); c01.StoreUnsafe(ref c, 8); c02.StoreUnsafe(ref c, 16);
        c10.StoreUnsafe(ref c1); c11.StoreUnsafe(ref c1, 8); c12.StoreUnsafe(ref c1, 16);
        c20.StoreUnsafe(ref c2); c21.StoreUnsafe(ref c2, 8); c22.StoreUnsafe(ref c2, 16);
        c30.StoreUnsafe(ref c3); c31.StoreUnsafe(ref c3, 8); c32.StoreUnsafe(ref c3, 16);
    }

    private static void Outer4x8(ref float a, nint aRow, nint aStep, ref float b, nint ldb, ref float c, nint ldc, int kc, bool load)
    {
        ref float c1 = ref Unsafe.Add(ref c, ldc);
        ref float c2 = ref Unsafe.Add(ref c, 2 * ldc);
        ref float c3 = ref Unsafe.Add(ref c, 3 * ldc);
        Vector256<float> c0v = default, c1v = default, c2v = default, c3v = default;
        if (load)
        {
            c0v = Vector256.LoadUnsafe(ref c); c1v = Vector256.LoadUnsafe(ref c1);
            c2v = Vector256.LoadUnsafe(ref c2); c3v = Vector256.LoadUnsafe(ref c3);
        }
        nint aRow2 = 2 * aRow, aRow3 = 3 * aRow;
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> bv = Vector256.LoadUnsafe(ref b);
            c0v = Fma.MultiplyAdd(Vector256.Create(a), bv, c0v);
            c1v = Fma.MultiplyAdd(Vector256.Create(Unsafe.Add(ref a, aRow)), bv, c1v);
            c2v = Fma.MultiplyAdd(Vector256.Create(Unsafe.Add(ref a, aRow2)), bv, c2v);
            c3v = Fma.MultiplyAdd(Vector256.Create(Unsafe.Add(ref a, aRow3)), bv, c3v);
            a = ref Unsafe.Add(ref a, aStep);
            b = ref Unsafe.Add(ref b, ldb);
        }
        c0v.StoreUnsafe(ref c); c1v.StoreUnsafe(ref c1); c2v.StoreUnsafe(ref c2); c3v.StoreUnsafe(ref c3);
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
    private static void OuterScalar(ref float a, nint aRow, int rows, nint aStep, ref float b, nint ldb, ref float c, nint ldc, int cols, int kc, bool load)
    {
        for (int r = 0; r < rows; r++)
        {
            ref float aRowStart = ref Unsafe.Add(ref a, r * aRow);
            for (int j = 0; j < cols; j++)
            {
                float sum = 0f;
                for (int p = 0; p < kc; p++)
                    sum += Unsafe.Add(ref aRowStart, p * aStep) * Unsafe.Add(ref b, p * ldb + j);
                Store1(ref Unsafe.Add(ref c, r * ldc + j), sum, load);
            }
        }
    }
}
