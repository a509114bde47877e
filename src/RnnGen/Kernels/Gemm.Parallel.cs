using System;
using System.Runtime.CompilerServices;

namespace RnnGen.Kernels;

// Row-band splitting for KernelThreading. Each band starts on a multiple of the form's row group (the rows a
// micro-kernel handles together), so every element of C is computed exactly as on one thread.
public static partial class Gemm
{
    private enum ProductForm
    {
        TransposedB,
        Plain,
        TransposedA,
    }

    // Rows of C per micro-kernel call: DotRows3 for A·Bᵀ, OuterRows4 for the other two forms.
    private static int RowGroup(ProductForm form) => form == ProductForm.TransposedB ? 3 : 4;

    // True when the product ran on several threads; false when it is too small, too narrow to split, or the workers
    // are busy with another thread's product, and the caller must compute it alone.
    private static unsafe bool TryMultiplyParallel(ProductForm form, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate)
    {
        int parts = KernelThreading.PartsFor(2.0 * m * n * k);
        if (parts == 1)
            return false;
        parts = Math.Min(parts, m / RowGroup(form));
        if (parts < 2)
            return false;
        // The caller blocks until every part is done, so pinning for the duration of the call is enough.
        fixed (float* pa = a, pb = b, pc = c)
        {
            var job = new ProductJob { A = pa, B = pb, C = pc, M = m, N = n, K = k, Accumulate = accumulate, Form = form };
            return KernelThreading.TryRun(ref job, parts);
        }
    }

    // Whole row groups are shared out evenly; the last band also takes the rows that do not fill a group.
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

        public readonly void Run(int part, int parts)
        {
            (int start, int end) = RowBand(M, RowGroup(Form), part, parts);
            if (start >= end)
                return;
            int rows = end - start;
            ref float c = ref Unsafe.AsRef<float>(C + (nint)start * N);
            ref float b = ref Unsafe.AsRef<float>(B);
            switch (Form)
            {
                case ProductForm.TransposedB:
                    TransposedBFma(ref Unsafe.AsRef<float>(A + (nint)start * K), ref b, ref c, rows, N, K, Accumulate);
                    break;
                case ProductForm.Plain:
                    MultiplyFma(ref Unsafe.AsRef<float>(A + (nint)start * K), ref b, ref c, rows, N, K, Accumulate);
                    break;
                default:
                    TransposedAFma(ref Unsafe.AsRef<float>(A + start), M, ref b, ref c, rows, N, K, Accumulate);
                    break;
            }
        }
    }
}
