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
    // are busy with another thread's product, and the caller must compute it alone. The parts' shares follow their
    // threads' measured speeds on earlier products of the same shape (PartBalance).
    private static unsafe bool TryMultiplyParallel(ProductForm form, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate,
        TokenScatter scatter)
    {
        int parts = KernelThreading.PartsFor(2.0 * m * n * k);
        if (parts == 1)
            return false;
        (int length, int group) = SplitAxis(form, m, n, k);
        parts = Math.Min(parts, length / group);
        if (parts < 2)
            return false;
        long kind = PartBalance.ProductKind((int)form, m, n, k);
        // The caller blocks until every part is done, so pinning for the duration of the call is enough.
        fixed (float* pa = a, pb = b, pc = c)
        {
            var job = new ProductJob { A = pa, B = pb, C = pc, M = m, N = n, K = k, Accumulate = accumulate, Form = form, Scatter = scatter };
            PartBalance.Split(kind, length, group, parts, job.Edges);
            if (!KernelThreading.TryRun(ref job, parts))
                return false;
            PartBalance.Update(kind, job.Edges, parts);
            return true;
        }
    }

    // The side of C a product is split along (its length) and the unit its bands come in (group). Flipped products
    // split B's rows (columns of C) in row groups; panel products split the longer side of C, rows in row groups or
    // columns in micro-panels, so that each part re-packs as little as possible; row-at-a-time products (the length
    // is their only group) are not split.
    private static (int Length, int Group) SplitAxis(ProductForm form, int m, int n, int k)
    {
        if (m <= SmallRows && form != ProductForm.Packed)
            return (m, m);
        if (form == ProductForm.TransposedB && Flips(m, n, k))
            return (n, TileRows);
        return m >= n ? (m, TileRows) : (n, PanelWidth);
    }

    // C (+)= op(A) · op(B) on the FMA kernels for units [first, last) of the split axis (SplitAxis); the whole product
    // is [0, length). Row-at-a-time products are never split and ignore the range.
    private static void ComputeFma(ProductForm form, ref float a, ref float b, ref float c, int m, int n, int k, bool accumulate, int first, int last,
        TokenScatter scatter)
    {
        if (first >= last)
            return;
        if (form == ProductForm.Packed)
        {
            if (m >= n)
                PackedProduct(ref a, ref b, ref c, n, k, first, last, 0, n, accumulate);
            else
                PackedProduct(ref a, ref b, ref c, n, k, 0, m, first, last, accumulate);
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
            FlippedProduct(ref a, ref b, ref c, m, n, k, first, last, accumulate);
            return;
        }
        (int i0, int i1, int j0, int j1) = m >= n ? (first, last, 0, n) : (0, m, first, last);
        switch (form)
        {
            case ProductForm.TransposedB:
                PanelProduct(ref a, k, 1, packA: false, ref b, k, transposedB: true, ref c, n, k, i0, i1, j0, j1, accumulate);
                break;
            case ProductForm.Plain:
                PanelProduct(ref a, k, 1, packA: false, ref b, n, transposedB: false, ref c, n, k, i0, i1, j0, j1, accumulate);
                break;
            default:
                PanelProduct(ref a, 1, m, packA: true, ref b, n, transposedB: false, ref c, n, k, i0, i1, j0, j1, accumulate, scatter);
                break;
        }
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
        public PartEdges Edges;
        public TokenScatter Scatter;

        public readonly void Run(int part, int parts) =>
            ComputeFma(Form, ref Unsafe.AsRef<float>(A), ref Unsafe.AsRef<float>(B), ref Unsafe.AsRef<float>(C), M, N, K, Accumulate, Edges[part], Edges[part + 1], Scatter);
    }
}
