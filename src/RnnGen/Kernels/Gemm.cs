using System;
using System.ComponentModel;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RnnGen.Kernels;

/// <summary>
/// Single-precision matrix products for generated model code. All matrices are dense and row-major; shapes are
/// given explicitly and every span must have exactly the length its shape implies.
/// </summary>
/// <remarks>
/// On x64 with AVX2 and FMA the products run register-blocked <see cref="Vector256{T}"/> micro-kernels on k-major
/// packed panels of <c>B</c>, each element of <c>C</c> one sequential FMA chain over <c>k</c>, and large products split
/// into bands of rows or columns across threads inside a <see cref="KernelThreading.Enable"/> scope. Elsewhere they fall back to
/// row-wise <see cref="TensorPrimitives"/> dot products and multiply-adds, which vectorise portably.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public static partial class Gemm
{
    internal static bool UseFma => Fma.IsSupported && Vector256.IsHardwareAccelerated;

    /// <summary>Computes <c>C[m×n] (+)= A[m×k] · B[n×k]ᵀ</c>, the forward projection <c>x · Wᵀ</c>.</summary>
    /// <param name="a">Left operand, <c>m × k</c>.</param>
    /// <param name="b">Right operand stored as <c>n × k</c>, the layout of a PyTorch weight <c>[out, in]</c>.</param>
    /// <param name="c">Result, <c>m × n</c>.</param>
    /// <param name="m">Rows of <paramref name="a"/> and <paramref name="c"/>.</param>
    /// <param name="n">Rows of <paramref name="b"/>, columns of <paramref name="c"/>.</param>
    /// <param name="k">The shared inner dimension.</param>
    /// <param name="accumulate"><see langword="true"/> adds the product to <paramref name="c"/>; <see langword="false"/> overwrites it.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative.</exception>
    /// <exception cref="ArgumentException">A span's length does not match its shape.</exception>
    public static void MultiplyTransposedB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate)
    {
        Validate(a.Length, b.Length, c.Length, m, n, k, "m × k", (long)m * k, "n × k", (long)n * k);
        Run(ProductForm.TransposedB, a, b, c, m, n, k, accumulate);
    }

    /// <summary>Computes <c>C[m×n] (+)= A[m×k] · B[k×n]</c>, the input gradient <c>dX = dGates · W</c>.</summary>
    /// <param name="a">Left operand, <c>m × k</c>.</param>
    /// <param name="b">Right operand, <c>k × n</c>.</param>
    /// <param name="c">Result, <c>m × n</c>.</param>
    /// <param name="m">Rows of <paramref name="a"/> and <paramref name="c"/>.</param>
    /// <param name="n">Columns of <paramref name="b"/> and <paramref name="c"/>.</param>
    /// <param name="k">The shared inner dimension.</param>
    /// <param name="accumulate"><see langword="true"/> adds the product to <paramref name="c"/>; <see langword="false"/> overwrites it.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative.</exception>
    /// <exception cref="ArgumentException">A span's length does not match its shape.</exception>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate)
    {
        Validate(a.Length, b.Length, c.Length, m, n, k, "m × k", (long)m * k, "k × n", (long)k * n);
        Run(ProductForm.Plain, a, b, c, m, n, k, accumulate);
    }

    /// <summary>Computes <c>C[m×n] (+)= A[k×m]ᵀ · B[k×n]</c>, the weight gradient <c>dW += dGatesᵀ · X</c> over a window.</summary>
    /// <param name="a">Left operand stored as <c>k × m</c>.</param>
    /// <param name="b">Right operand, <c>k × n</c>.</param>
    /// <param name="c">Result, <c>m × n</c>.</param>
    /// <param name="m">Columns of <paramref name="a"/>, rows of <paramref name="c"/>.</param>
    /// <param name="n">Columns of <paramref name="b"/> and <paramref name="c"/>.</param>
    /// <param name="k">The shared inner dimension (rows of both operands).</param>
    /// <param name="accumulate"><see langword="true"/> adds the product to <paramref name="c"/>; <see langword="false"/> overwrites it.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative.</exception>
    /// <exception cref="ArgumentException">A span's length does not match its shape.</exception>
    public static void MultiplyTransposedA(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate)
    {
        Validate(a.Length, b.Length, c.Length, m, n, k, "k × m", (long)k * m, "k × n", (long)k * n);
        Run(ProductForm.TransposedA, a, b, c, m, n, k, accumulate);
    }

    /// <summary>Adds <paramref name="bias"/> to each of the <paramref name="rows"/> rows of <paramref name="c"/>.</summary>
    /// <param name="c">Matrix <c>rows × bias.Length</c>, updated in place.</param>
    /// <param name="bias">The row vector to add.</param>
    /// <param name="rows">Number of rows of <paramref name="c"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rows"/> is negative.</exception>
    /// <exception cref="ArgumentException"><paramref name="c"/> is not <c>rows × bias.Length</c>.</exception>
    public static unsafe void AddRowVector(Span<float> c, ReadOnlySpan<float> bias, int rows)
    {
        KernelGuard.NonNegative(rows, nameof(rows));
        int width = bias.Length;
        KernelGuard.Length(c.Length, (long)rows * width, "rows × bias.Length", nameof(c));
        // Under KernelThreading the rows split as the loss that usually reads them next splits its rows (bands of
        // 16-row groups), so each thread adds to the rows it will read; one thread adding the bias to every row left
        // the other thread's half of the logits in the first one's cache.
        fixed (float* pc = c, pb = bias)
        {
            var job = new RowVectorJob { C = pc, Bias = pb, Width = width };
            KernelThreading.ForEachRange(ref job, rows, grain: 16, elementsPerItem: width);
        }
    }

    private unsafe struct RowVectorJob : KernelThreading.IRangeJob
    {
        public float* C;
        public float* Bias;
        public int Width;

        public readonly void RunRange(int start, int length)
        {
            var bias = new ReadOnlySpan<float>(Bias, Width);
            for (int r = start; r < start + length; r++)
            {
                var row = new Span<float>(C + (long)r * Width, Width);
                TensorPrimitives.Add(row, bias, row);
            }
        }
    }

    /// <summary>Adds the column sums of <paramref name="a"/> to <paramref name="sums"/>, the bias gradient over a window.</summary>
    /// <param name="a">Matrix <c>rows × sums.Length</c>.</param>
    /// <param name="sums">Receives <c>sums[j] += Σ_r a[r, j]</c>.</param>
    /// <param name="rows">Number of rows of <paramref name="a"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rows"/> is negative.</exception>
    /// <exception cref="ArgumentException"><paramref name="a"/> is not <c>rows × sums.Length</c>.</exception>
    public static void AccumulateColumnSums(ReadOnlySpan<float> a, Span<float> sums, int rows)
    {
        KernelGuard.NonNegative(rows, nameof(rows));
        int width = sums.Length;
        KernelGuard.Length(a.Length, (long)rows * width, "rows × sums.Length", nameof(a));
        ColumnSums(a, sums, default, rows);
    }

    /// <summary>
    /// Adds the column sums of <paramref name="a"/> to both <paramref name="sums"/> and <paramref name="secondSums"/>,
    /// reading <paramref name="a"/> once: the gradients of a recurrent layer's two biases, <c>b_ih</c> and <c>b_hh</c>,
    /// which receive the same sums. Each is added to exactly as
    /// <see cref="AccumulateColumnSums(ReadOnlySpan{float}, Span{float}, int)"/> would add to it.
    /// </summary>
    /// <param name="a">Matrix <c>rows × sums.Length</c>.</param>
    /// <param name="sums">Receives <c>sums[j] += Σ_r a[r, j]</c>.</param>
    /// <param name="secondSums">Receives <c>secondSums[j] += Σ_r a[r, j]</c>; as long as <paramref name="sums"/>, and separate from it.</param>
    /// <param name="rows">Number of rows of <paramref name="a"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rows"/> is negative.</exception>
    /// <exception cref="ArgumentException">A span's length does not match its shape, or <paramref name="secondSums"/> overlaps <paramref name="sums"/>.</exception>
    public static void AccumulateColumnSums(ReadOnlySpan<float> a, Span<float> sums, Span<float> secondSums, int rows)
    {
        KernelGuard.NonNegative(rows, nameof(rows));
        int width = sums.Length;
        KernelGuard.Length(secondSums.Length, width, "sums.Length", nameof(secondSums));
        KernelGuard.Length(a.Length, (long)rows * width, "rows × sums.Length", nameof(a));
        if (sums.Overlaps(secondSums))
            throw new ArgumentException($"'{nameof(secondSums)}' must not overlap '{nameof(sums)}'.", nameof(secondSums));
        ColumnSums(a, sums, secondSums, rows);
    }

    // The sums of every row in order, added to secondSums too unless it is empty. A window of gradients comes from L3,
    // so the second sum costs little once the row is in L1. Not split over threads: two threads each summing half of
    // every row took longer than one (2048 × 1024 from L3: 0.84-0.88 ms against 0.68-0.75 ms).
    private static void ColumnSums(ReadOnlySpan<float> a, Span<float> sums, Span<float> secondSums, int rows)
    {
        int width = sums.Length;
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> row = a.Slice(r * width, width);
            TensorPrimitives.Add(sums, row, sums);
            if (!secondSums.IsEmpty)
                TensorPrimitives.Add(secondSums, row, secondSums);
        }
    }

    // Every form after its shapes are validated: the FMA kernels, split across threads when that pays, or the portable loops.
    // `scatter`, when active, rides on the FMA panel path of a TransposedA product (MultiplyTransposedAAndScatter
    // sends it only there).
    private static void Run(ProductForm form, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate,
        TokenScatter scatter = default)
    {
        if (IsTrivial(c, m, n, k, accumulate))
            return;
        if (UseFma)
        {
            if (!TryMultiplyParallel(form, a, b, c, m, n, k, accumulate, scatter))
                ComputeFma(form, ref MemoryMarshal.GetReference(a), ref MemoryMarshal.GetReference(b), ref MemoryMarshal.GetReference(c), m, n, k, accumulate, 0, SplitAxis(form, m, n, k).Length, scatter);
            return;
        }
        switch (form)
        {
            case ProductForm.TransposedB:
                TransposedBPortable(a, b, c, m, n, k, accumulate);
                break;
            case ProductForm.Plain:
                MultiplyPortable(a, b, c, m, n, k, accumulate);
                break;
            case ProductForm.TransposedA:
                TransposedAPortable(a, b, c, m, n, k, accumulate);
                break;
            default:
                MultiplyPackedPortable(a, b, c, m, n, k, accumulate);
                break;
        }
    }

    private static void Validate(int aLength, int bLength, int cLength, int m, int n, int k, string aShape, long aExpected, string bShape, long bExpected)
    {
        KernelGuard.NonNegative(m, nameof(m));
        KernelGuard.NonNegative(n, nameof(n));
        KernelGuard.NonNegative(k, nameof(k));
        if (aLength != aExpected)
            KernelGuard.ThrowLength(aLength, aExpected, $"{aShape} with m = {m}, n = {n}, k = {k}", "a");
        if (bLength != bExpected)
            KernelGuard.ThrowLength(bLength, bExpected, $"{bShape} with m = {m}, n = {n}, k = {k}", "b");
        if (cLength != (long)m * n)
            KernelGuard.ThrowLength(cLength, (long)m * n, $"m × n with m = {m}, n = {n}, k = {k}", "c");
    }

    // An empty inner dimension makes the product zero; the micro-kernels assume k ≥ 1.
    private static bool IsTrivial(Span<float> c, int m, int n, int k, bool accumulate)
    {
        if (m == 0 || n == 0)
            return true;
        if (k != 0)
            return false;
        if (!accumulate)
            c.Clear();
        return true;
    }

    internal static void TransposedBPortable(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate)
    {
        for (int i = 0; i < m; i++)
        {
            ReadOnlySpan<float> aRow = a.Slice(i * k, k);
            Span<float> cRow = c.Slice(i * n, n);
            for (int j = 0; j < n; j++)
            {
                float dot = TensorPrimitives.Dot(aRow, b.Slice(j * k, k));
                cRow[j] = accumulate ? cRow[j] + dot : dot;
            }
        }
    }

    internal static void MultiplyPortable(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate)
    {
        for (int i = 0; i < m; i++)
        {
            Span<float> cRow = c.Slice(i * n, n);
            if (!accumulate)
                cRow.Clear();
            for (int p = 0; p < k; p++)
                TensorPrimitives.MultiplyAdd(b.Slice(p * n, n), a[i * k + p], cRow, cRow);
        }
    }

    internal static void TransposedAPortable(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate)
    {
        if (!accumulate)
            c.Clear();
        for (int p = 0; p < k; p++)
        {
            ReadOnlySpan<float> bRow = b.Slice(p * n, n);
            for (int i = 0; i < m; i++)
            {
                Span<float> cRow = c.Slice(i * n, n);
                TensorPrimitives.MultiplyAdd(bRow, a[p * m + i], cRow, cRow);
            }
        }
    }
}
