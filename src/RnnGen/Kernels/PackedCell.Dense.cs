using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RnnGen.Kernels;

public static partial class PackedCell
{
    // Partial sums per output: a panel holds one gate, so a single FMA chain over the whole input would leave the
    // step waiting on its latency (4 cycles a row) instead of on the loads.
    private const int DenseChains = 8;

    /// <summary>
    /// One batch-1 row of a linear layer, <c>y = W x + b</c>, from <c>W[outputs, inputs]</c> and <c>b</c> packed by
    /// <see cref="Pack"/> with one gate: the head of a streaming step. Each output is the bias plus eight partial sums
    /// (inputs <c>k ≡ j mod 8</c>), added pairwise, so eight FMA chains stay in flight and no horizontal sum is needed.
    /// </summary>
    /// <param name="packed"><c>W</c> and <c>b</c> packed with 1 gate, <paramref name="outputs"/> units and <paramref name="inputs"/> columns.</param>
    /// <param name="x">The input row, <paramref name="inputs"/> floats.</param>
    /// <param name="y">Receives the <paramref name="outputs"/> results. It must not overlap <paramref name="x"/>.</param>
    /// <param name="outputs">Rows of <c>W</c>.</param>
    /// <param name="inputs">Columns of <c>W</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    /// <exception cref="ArgumentException">A span's length does not match its shape, or <paramref name="y"/> overlaps <paramref name="x"/>.</exception>
    public static void Dense(ReadOnlySpan<float> packed, ReadOnlySpan<float> x, Span<float> y, int outputs, int inputs)
    {
        KernelGuard.Length(packed.Length, PackedLength(1, outputs, inputs), "PackedLength(1, outputs, inputs)", nameof(packed));
        KernelGuard.Length(x.Length, inputs, "inputs", nameof(x));
        KernelGuard.Length(y.Length, outputs, "outputs", nameof(y));
        // Every panel reads all of x.
        if (y.Overlaps(x))
            throw new ArgumentException("'y' must not overlap 'x': every output reads the whole input.", nameof(y));
        Dense(packed, x, y, outputs, inputs, WideVectors.IsAccelerated);
    }

    // widePanels (AVX-512 only) runs a panel sixteen lanes wide, else in two 8-lane halves.
    internal static void Dense(ReadOnlySpan<float> packed, ReadOnlySpan<float> x, Span<float> y, int outputs, int inputs, bool widePanels)
    {
        if (!Activations.IsSupported)
        {
            DensePortable(packed, x, y, outputs, inputs);
            return;
        }
        ref float panel = ref MemoryMarshal.GetReference(packed);
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        for (int u0 = 0; u0 < outputs; u0 += PanelUnits)
        {
            int left = outputs - u0;
            if (widePanels)
            {
                Vector512<float> sum = DensePanel(ref panel, ref xs, inputs);
                if (left >= PanelUnits)
                {
                    sum.StoreUnsafe(ref Unsafe.Add(ref ys, u0));
                }
                else
                {
                    StoreUnits(sum.GetLower(), ref Unsafe.Add(ref ys, u0), left);
                    if (left > Lanes)
                        StoreUnits(sum.GetUpper(), ref Unsafe.Add(ref ys, u0 + Lanes), left - Lanes);
                }
            }
            else
            {
                StoreUnits(DenseHalf(ref panel, ref xs, inputs), ref Unsafe.Add(ref ys, u0), left);
                if (left > Lanes)
                    StoreUnits(DenseHalf(ref Unsafe.Add(ref panel, Lanes), ref xs, inputs), ref Unsafe.Add(ref ys, u0 + Lanes), left - Lanes);
            }
            panel = ref Unsafe.Add(ref panel, (inputs + 1) * PanelUnits);
        }
    }

    // One panel's 16 outputs: chain j takes the inputs k ≡ j (mod 8), chain 0 starting from the bias row.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Vector512<float> DensePanel(ref float panel, ref float x, int inputs)
    {
        Vector512<float> s0 = Vector512.LoadUnsafe(ref panel), s1 = default, s2 = default, s3 = default;
        Vector512<float> s4 = default, s5 = default, s6 = default, s7 = default;
        ref float rows = ref Unsafe.Add(ref panel, PanelUnits);
        int k = 0;
        for (; k + DenseChains <= inputs; k += DenseChains)
        {
            ref float row = ref Unsafe.Add(ref rows, (nint)k * PanelUnits);
            ref float xk = ref Unsafe.Add(ref x, k);
            s0 = Avx512F.FusedMultiplyAdd(Vector512.Create(xk), Vector512.LoadUnsafe(ref row), s0);
            s1 = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xk, 1)), Vector512.LoadUnsafe(ref row, PanelUnits), s1);
            s2 = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xk, 2)), Vector512.LoadUnsafe(ref row, 2 * PanelUnits), s2);
            s3 = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xk, 3)), Vector512.LoadUnsafe(ref row, 3 * PanelUnits), s3);
            s4 = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xk, 4)), Vector512.LoadUnsafe(ref row, 4 * PanelUnits), s4);
            s5 = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xk, 5)), Vector512.LoadUnsafe(ref row, 5 * PanelUnits), s5);
            s6 = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xk, 6)), Vector512.LoadUnsafe(ref row, 6 * PanelUnits), s6);
            s7 = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xk, 7)), Vector512.LoadUnsafe(ref row, 7 * PanelUnits), s7);
        }
        // The last inputs < 8 continue chains 0, 1, … in order, as the 8-lane twin does.
        if (k < inputs)
            s0 = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, k)), Vector512.LoadUnsafe(ref rows, (nuint)(k * PanelUnits)), s0);
        if (++k < inputs)
            s1 = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, k)), Vector512.LoadUnsafe(ref rows, (nuint)(k * PanelUnits)), s1);
        if (++k < inputs)
            s2 = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, k)), Vector512.LoadUnsafe(ref rows, (nuint)(k * PanelUnits)), s2);
        if (++k < inputs)
            s3 = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, k)), Vector512.LoadUnsafe(ref rows, (nuint)(k * PanelUnits)), s3);
        if (++k < inputs)
            s4 = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, k)), Vector512.LoadUnsafe(ref rows, (nuint)(k * PanelUnits)), s4);
        if (++k < inputs)
            s5 = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, k)), Vector512.LoadUnsafe(ref rows, (nuint)(k * PanelUnits)), s5);
        if (++k < inputs)
            s6 = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, k)), Vector512.LoadUnsafe(ref rows, (nuint)(k * PanelUnits)), s6);
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }

    // DensePanel on 8 of the panel's 16 lanes, operation for operation, so both widths agree bit for bit.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Vector256<float> DenseHalf(ref float panel, ref float x, int inputs)
    {
        Vector256<float> s0 = Vector256.LoadUnsafe(ref panel), s1 = default, s2 = default, s3 = default;
        Vector256<float> s4 = default, s5 = default, s6 = default, s7 = default;
        ref float rows = ref Unsafe.Add(ref panel, PanelUnits);
        int k = 0;
        for (; k + DenseChains <= inputs; k += DenseChains)
        {
            ref float row = ref Unsafe.Add(ref rows, (nint)k * PanelUnits);
            ref float xk = ref Unsafe.Add(ref x, k);
            s0 = Fma.MultiplyAdd(Vector256.Create(xk), Vector256.LoadUnsafe(ref row), s0);
            s1 = Fma.MultiplyAdd(Vector256.Create(Unsafe.Add(ref xk, 1)), Vector256.LoadUnsafe(ref row, PanelUnits), s1);
            s2 = Fma.MultiplyAdd(Vector256.Create(Unsafe.Add(ref xk, 2)), Vector256.LoadUnsafe(ref row, 2 * PanelUnits), s2);
            s3 = Fma.MultiplyAdd(Vector256.Create(Unsafe.Add(ref xk, 3)), Vector256.LoadUnsafe(ref row, 3 * PanelUnits), s3);
            s4 = Fma.MultiplyAdd(Vector256.Create(Unsafe.Add(ref xk, 4)), Vector256.LoadUnsafe(ref row, 4 * PanelUnits), s4);
            s5 = Fma.MultiplyAdd(Vector256.Create(Unsafe.Add(ref xk, 5)), Vector256.LoadUnsafe(ref row, 5 * PanelUnits), s5);
            s6 = Fma.MultiplyAdd(Vector256.Create(Unsafe.Add(ref xk, 6)), Vector256.LoadUnsafe(ref row, 6 * PanelUnits), s6);
            s7 = Fma.MultiplyAdd(Vector256.Create(Unsafe.Add(ref xk, 7)), Vector256.LoadUnsafe(ref row, 7 * PanelUnits), s7);
        }
        if (k < inputs)
            s0 = Fma.MultiplyAdd(Vector256.Create(Unsafe.Add(ref x, k)), Vector256.LoadUnsafe(ref rows, (nuint)(k * PanelUnits)), s0);
        if (++k < inputs)
            s1 = Fma.MultiplyAdd(Vector256.Create(Unsafe.Add(ref x, k)), Vector256.LoadUnsafe(ref rows, (nuint)(k * PanelUnits)), s1);
        if (++k < inputs)
            s2 = Fma.MultiplyAdd(Vector256.Create(Unsafe.Add(ref x, k)), Vector256.LoadUnsafe(ref rows, (nuint)(k * PanelUnits)), s2);
        if (++k < inputs)
            s3 = Fma.MultiplyAdd(Vector256.Create(Unsafe.Add(ref x, k)), Vector256.LoadUnsafe(ref rows, (nuint)(k * PanelUnits)), s3);
        if (++k < inputs)
            s4 = Fma.MultiplyAdd(Vector256.Create(Unsafe.Add(ref x, k)), Vector256.LoadUnsafe(ref rows, (nuint)(k * PanelUnits)), s4);
        if (++k < inputs)
            s5 = Fma.MultiplyAdd(Vector256.Create(Unsafe.Add(ref x, k)), Vector256.LoadUnsafe(ref rows, (nuint)(k * PanelUnits)), s5);
        if (++k < inputs)
            s6 = Fma.MultiplyAdd(Vector256.Create(Unsafe.Add(ref x, k)), Vector256.LoadUnsafe(ref rows, (nuint)(k * PanelUnits)), s6);
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }

    internal static void DensePortable(ReadOnlySpan<float> packed, ReadOnlySpan<float> x, Span<float> y, int outputs, int inputs)
    {
        for (int u = 0; u < outputs; u++)
            y[u] = Packed(packed, 1, inputs, 0, 0, u) + PackedProduct(packed, 1, inputs, 0, u, x);
    }
}
