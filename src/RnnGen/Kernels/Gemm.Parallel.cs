using System;
using System.Runtime.CompilerServices;

namespace RnnGen.Kernels;

// Work splitting for KernelThreading. A product is cut into bands of rows or of columns of C; the panel kernels
// compute every element as the same FMA chain whichever band or tile it falls in, so any split is bit-identical to
// one thread. Bands follow the tile sizes only so that each part keeps whole tiles.
public static partial class Gemm
{
    private enum ProductForm
    {
        TransposedB,
        Plain,
        TransposedA,
        Packed,
    }

    // True when the product ran on several threads; false when it is too small, too narrow to split, or the workers
    // are busy with another thread's product, and the caller must compute it alone.
    private static unsafe bool TryMultiplyParallel(ProductForm form, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate)
    {
        int parts = KernelThreading.PartsFor(2.0 * m * n * k);
        if (parts == 1)
            return false;
        parts = Math.Min(parts, MaxParts(form, m, n, k));
        if (parts < 2)
            return false;
        // The caller blocks until every part is done, so pinning for the duration of the call is enough.
        fixed (float* pa = a, pb = b, pc = c)
        {
            var job = new ProductJob { A = pa, B = pb, C = pc, M = m, N = n, K = k, Accumulate = accumulate, Form = form };
            return KernelThreading.TryRun(ref job, parts);
        }
    }

    // Flipped products split B's rows (columns of C) in row groups; panel products split the longer side of C, rows in
    // row groups or columns in micro-panels, so that each part re-packs as little as possible; row-at-a-time products
    // are not split.
    private static int MaxParts(ProductForm form, int m, int n, int k)
    {
        if (form == ProductForm.Packed)
            return m >= n ? m / TileRows : n / PanelWidth;
        if (m <= SmallRows)
            return 1;
        if (form == ProductForm.TransposedB && Flips(m, n, k))
            return n / TileRows;
        return m >= n ? m / TileRows : n / PanelWidth;
    }

    // Part `part` of `parts` of C (+)= op(A) · op(B) on the FMA kernels; part 0 of 1 is the whole product.
    private static void ComputeFma(ProductForm form, ref float a, ref float b, ref float c, int m, int n, int k, bool accumulate, int part, int parts)
    {
        if (form == ProductForm.Packed)
        {
            bool rowBands = m >= n;
            (int first, int last) = rowBands ? RowBand(m, TileRows, part, parts) : RowBand(n, PanelWidth, part, parts);
            if (first < last)
            {
                if (rowBands)
                    PackedProduct(ref a, ref b, ref c, n, k, first, last, 0, n, accumulate);
                else
                    PackedProduct(ref a, ref b, ref c, n, k, 0, m, first, last, accumulate);
            }
            return;
        }
        if (m <= SmallRows)
        {
            if (form == ProductForm.TransposedB)
                SmallTransposedBFma(ref a, ref b, ref c, m, n, k, accumulate);
            else if (form == ProductForm.Plain)
                SmallOuterFma(ref a, k, 1, ref b, ref c, m, n, k, accumulate);
            else
                SmallOuterFma(ref a, 1, m, ref b, ref c, m, n, k, accumulate);
            return;
        }
        if (form == ProductForm.TransposedB && Flips(m, n, k))
        {
            (int start, int end) = RowBand(n, TileRows, part, parts);
            if (start < end)
                FlippedProduct(ref a, ref b, ref c, m, n, k, start, end, accumulate);
            return;
        }
        bool byRows = m >= n;
        (int s, int e) = byRows ? RowBand(m, TileRows, part, parts) : RowBand(n, PanelWidth, part, parts);
        if (s >= e)
            return;
        (int i0, int i1, int j0, int j1) = byRows ? (s, e, 0, n) : (0, m, s, e);
        switch (form)
        {
            case ProductForm.TransposedB:
                PanelProduct(ref a, k, 1, packA: false, ref b, k, transposedB: true, ref c, n, k, i0, i1, j0, j1, accumulate);
                break;
            case ProductForm.Plain:
                PanelProduct(ref a, k, 1, packA: false, ref b, n, transposedB: false, ref c, n, k, i0, i1, j0, j1, accumulate);
                break;
            default:
                PanelProduct(ref a, 1, m, packA: true, ref b, n, transposedB: false, ref c, n, k, i0, i1, j0, j1, accumulate);
                break;
        }
    }

    // Whole groups are shared out evenly; the last band also takes the rows that do not fill a group.
    internal static (int Start, int End) RowBand(int m, int group, int part, int parts)
    {
        int groups = m / group;
        int perPart = (groups + parts - 1) / parts;
        int start = Math.Min(part * perPart, groups) * group;
        int end = part == parts - 1 ? m : Math.Min((part + 1) * perPart, groups) * group;
        return (start, end);
    }

    private unsafe struct ProductJob : KernelThreading.IParallelJob
    {
        public float* A;
        public float* B;
        public float* C;
        public int M;
        public int N;
        public int K;
        public bool Accumulate;
        public ProductForm Form;

        public readonly void Run(int part, int parts) =>
            ComputeFma(Form, ref Unsafe.AsRef<float>(A), ref Unsafe.AsRef<float>(B), ref Unsafe.AsRef<float>(C), M, N, K, Accumulate, part, parts);
    }
}
