using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RnnGen.Kernels;

/// <summary>
/// Batch-1 recurrent steps on gate weights packed for the kernel's access order, with the gate activations and the
/// state update fused into the matrix-vector product.
/// </summary>
/// <remarks>
/// <para>
/// A row-major PyTorch weight <c>[G·H, K]</c> makes a batch-1 step a set of dot products, each ending in a
/// horizontal reduction that costs as much as the products themselves at <c>K ≤ 256</c>. <see cref="Pack"/> instead
/// stores the weight in panels of <see cref="PanelUnits"/> hidden units: a bias row, then one row per input column,
/// each row holding the panel's <c>G</c> gates side by side. A step broadcasts one input element, multiplies it into
/// the whole row with FMAs (no reductions), and streams every panel front to back, so each weight is read once, in
/// order. When a panel's row is done, its gates for those units are complete and the cell finishes them in registers.
/// Where AVX-512 runs, a gate's 16 units are one <see cref="Vector512{T}"/>: a row is four cache-line loads (three for
/// a GRU), which the L2 streams about a quarter faster than twice as many <see cref="Vector256{T}"/> halves. Each
/// lane still accumulates the same products in the same order, so the two widths agree bit for bit. A GRU's three
/// gates give one panel only three FMA chains, so GRU panels go through two at a time.
/// </para>
/// <para>
/// Panels are independent: each reads the whole previous state and writes only its own units. Callers that stream
/// many steps alternate the panel order (<c>reversePanels</c>), so that a step begins on the panels the one before
/// ended on, while they are still in L1; the results are the same in either order.
/// </para>
/// <para>
/// Packed weights are a copy: after the parameters change they must be packed again (the generated models do this
/// through <see cref="PackedWeights"/>). Hidden sizes that are not a multiple of <see cref="PanelUnits"/> are padded
/// with zero weights in the copy; state buffers are never read or written past <c>hidden</c>.
/// </para>
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public static partial class PackedCell
{
    /// <summary>Hidden units per packed panel: one <see cref="Vector512{T}"/> or two <see cref="Vector256{T}"/> blocks per gate.</summary>
    public const int PanelUnits = 16;

    private const int Lanes = 8;

    /// <summary>Floats of the packed copy of a <c>[gateCount·hidden, columns]</c> weight and its bias.</summary>
    /// <param name="gateCount">Gates stacked in the weight: 4 for LSTM, 3 for GRU.</param>
    /// <param name="hidden">Hidden size <c>H</c>.</param>
    /// <param name="columns">Columns of the weight (the size of the vector it multiplies).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public static int PackedLength(int gateCount, int hidden, int columns)
    {
        KernelGuard.Positive(gateCount, nameof(gateCount));
        KernelGuard.Positive(hidden, nameof(hidden));
        KernelGuard.Positive(columns, nameof(columns));
        long length = (long)(columns + 1) * gateCount * PaddedUnits(hidden);
        if (length > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(columns), columns, $"The packed copy would hold {length} floats, more than one array can.");
        return (int)length;
    }

    /// <summary>
    /// Packs a PyTorch gate weight <c>W[gateCount·hidden, columns]</c> and its bias into panels of
    /// <see cref="PanelUnits"/> units: per panel a bias row, then one row per column, each row <c>[gate 0 | gate 1 | …]</c>.
    /// </summary>
    /// <param name="weight">The weight, row-major <c>[gateCount·hidden, columns]</c>.</param>
    /// <param name="bias">The bias, <c>gateCount·hidden</c> floats, or empty for a layer without bias.</param>
    /// <param name="packed">Receives <see cref="PackedLength"/> floats.</param>
    /// <param name="gateCount">Gates stacked in the weight: 4 for LSTM, 3 for GRU.</param>
    /// <param name="hidden">Hidden size <c>H</c>.</param>
    /// <param name="columns">Columns of the weight.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    /// <exception cref="ArgumentException">A span's length does not match its shape.</exception>
    public static void Pack(ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> packed, int gateCount, int hidden, int columns)
    {
        int length = PackedLength(gateCount, hidden, columns);
        KernelGuard.Length(weight.Length, (long)gateCount * hidden * columns, "gateCount·hidden × columns", nameof(weight));
        if (!bias.IsEmpty)
            KernelGuard.Length(bias.Length, (long)gateCount * hidden, "gateCount·hidden, or empty", nameof(bias));
        KernelGuard.Length(packed.Length, length, "PackedLength(gateCount, hidden, columns)", nameof(packed));

        int rowWidth = gateCount * PanelUnits;
        int offset = 0;
        ref float w = ref MemoryMarshal.GetReference(weight);
        for (int u0 = 0; u0 < hidden; u0 += PanelUnits)
        {
            int units = Math.Min(PanelUnits, hidden - u0);
            Span<float> panel = packed.Slice(offset, (columns + 1) * rowWidth);
            panel.Clear();
            ref float target = ref MemoryMarshal.GetReference(panel);
            for (int q = 0; q < gateCount; q++)
            {
                if (!bias.IsEmpty)
                    bias.Slice(q * hidden + u0, units).CopyTo(panel.Slice(q * PanelUnits, units));
                ref float source = ref Unsafe.Add(ref w, (nint)(q * hidden + u0) * columns);
                ref float rows = ref Unsafe.Add(ref target, rowWidth + q * PanelUnits);
                // Whole 8 × 8 tiles go through registers; the ragged edges are copied one element at a time.
                int unitsDone = 0, columnsDone = 0;
                if (Avx.IsSupported)
                {
                    columnsDone = columns & ~(Lanes - 1);
                    for (; unitsDone + Lanes <= units; unitsDone += Lanes)
                    {
                        for (int k = 0; k < columnsDone; k += Lanes)
                            Transpose8x8(ref Unsafe.Add(ref source, (nint)unitsDone * columns + k), columns, ref Unsafe.Add(ref rows, (nint)k * rowWidth + unitsDone), rowWidth);
                        CopyTransposed(ref Unsafe.Add(ref source, (nint)unitsDone * columns), columns, ref Unsafe.Add(ref rows, unitsDone), rowWidth, Lanes, columnsDone, columns);
                    }
                }
                CopyTransposed(ref Unsafe.Add(ref source, (nint)unitsDone * columns), columns, ref Unsafe.Add(ref rows, unitsDone), rowWidth, units - unitsDone, 0, columns);
            }
            offset += panel.Length;
        }
    }

    // target[k][u] = source[u][k] for u < units and k in [kStart, kEnd), column-outer so that the writes are contiguous.
    private static void CopyTransposed(ref float source, nint sourceStride, ref float target, nint targetStride, int units, int kStart, int kEnd)
    {
        for (int k = kStart; k < kEnd; k++)
        {
            ref float row = ref Unsafe.Add(ref target, k * targetStride);
            for (int u = 0; u < units; u++)
                Unsafe.Add(ref row, u) = Unsafe.Add(ref source, u * sourceStride + k);
        }
    }

    // Row j of the 8 × 8 tile at target is column j of the tile at source: the usual unpack, shuffle and lane-permute
    // network, 24 register operations for 64 elements instead of 64 scattered scalar stores.
    private static void Transpose8x8(ref float source, nint sourceStride, ref float target, nint targetStride)
    {
        Vector256<float> r0 = Vector256.LoadUnsafe(ref source), r1 = Vector256.LoadUnsafe(ref Unsafe.Add(ref source, sourceStride));
        Vector256<float> r2 = Vector256.LoadUnsafe(ref Unsafe.Add(ref source, 2 * sourceStride)), r3 = Vector256.LoadUnsafe(ref Unsafe.Add(ref source, 3 * sourceStride));
        Vector256<float> r4 = Vector256.LoadUnsafe(ref Unsafe.Add(ref source, 4 * sourceStride)), r5 = Vector256.LoadUnsafe(ref Unsafe.Add(ref source, 5 * sourceStride));
        Vector256<float> r6 = Vector256.LoadUnsafe(ref Unsafe.Add(ref source, 6 * sourceStride)), r7 = Vector256.LoadUnsafe(ref Unsafe.Add(ref source, 7 * sourceStride));
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> s0 = Avx.Shuffle(t0, t2, 0x44), s1 = Avx.Shuffle(t0, t2, 0xEE), s2 = Avx.Shuffle(t1, t3, 0x44), s3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> s4 = Avx.Shuffle(t4, t6, 0x44), s5 = Avx.Shuffle(t4, t6, 0xEE), s6 = Avx.Shuffle(t5, t7, 0x44), s7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Permute2x128(s0, s4, 0x20).StoreUnsafe(ref target);
        Avx.Permute2x128(s1, s5, 0x20).StoreUnsafe(ref Unsafe.Add(ref target, targetStride));
        Avx.Permute2x128(s2, s6, 0x20).StoreUnsafe(ref Unsafe.Add(ref target, 2 * targetStride));
        Avx.Permute2x128(s3, s7, 0x20).StoreUnsafe(ref Unsafe.Add(ref target, 3 * targetStride));
        Avx.Permute2x128(s0, s4, 0x31).StoreUnsafe(ref Unsafe.Add(ref target, 4 * targetStride));
        Avx.Permute2x128(s1, s5, 0x31).StoreUnsafe(ref Unsafe.Add(ref target, 5 * targetStride));
        Avx.Permute2x128(s2, s6, 0x31).StoreUnsafe(ref Unsafe.Add(ref target, 6 * targetStride));
        Avx.Permute2x128(s3, s7, 0x31).StoreUnsafe(ref Unsafe.Add(ref target, 7 * targetStride));
    }

    /// <summary>
    /// The input projections of a whole sequence, <c>gates[r] = W_ih x[r] + b_ih</c> for every row, from the packed
    /// <c>W_ih</c>: each panel (a few KiB) stays in L1 while every row streams past it, and no dot product needs a
    /// horizontal sum, which at the small input sizes of recurrent layers costs as much as the products.
    /// </summary>
    /// <param name="packedIh"><c>W_ih</c> and <c>b_ih</c> packed with <paramref name="gateCount"/> gates and <paramref name="inputSize"/> columns.</param>
    /// <param name="x">The inputs, <c>rows × inputSize</c>.</param>
    /// <param name="gates">Receives <c>rows × gateCount·hidden</c> projections, gate-major within each row like PyTorch's.</param>
    /// <param name="rows">Rows of <paramref name="x"/>: time steps × batch.</param>
    /// <param name="gateCount">4 for LSTM, 3 for GRU.</param>
    /// <param name="hidden">Hidden size <c>H</c>.</param>
    /// <param name="inputSize">Input size <c>I</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or <paramref name="gateCount"/> is not 3 or 4.</exception>
    /// <exception cref="ArgumentException">A span's length does not match its shape.</exception>
    public static void ProjectInputs(ReadOnlySpan<float> packedIh, ReadOnlySpan<float> x, Span<float> gates, int rows, int gateCount, int hidden, int inputSize)
    {
        if (gateCount is not (3 or 4))
            throw new ArgumentOutOfRangeException(nameof(gateCount), gateCount, "The packed kernels serve LSTM (4 gates) and GRU (3 gates).");
        KernelGuard.Positive(rows, nameof(rows));
        KernelGuard.Length(packedIh.Length, PackedLength(gateCount, hidden, inputSize), "PackedLength(gateCount, hidden, inputSize)", nameof(packedIh));
        KernelGuard.Length(x.Length, (long)rows * inputSize, "rows × inputSize", nameof(x));
        KernelGuard.Length(gates.Length, (long)rows * gateCount * hidden, "rows × gateCount·hidden", nameof(gates));
        if (!Activations.IsSupported)
        {
            ProjectInputsPortable(packedIh, x, gates, rows, gateCount, hidden, inputSize);
            return;
        }
        int rowWidth = gateCount * PanelUnits;
        int width = gateCount * hidden;
        Span<Vector256<float>> acc = stackalloc Vector256<float>[8];
        ref float panel = ref MemoryMarshal.GetReference(packedIh);
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float gs = ref MemoryMarshal.GetReference(gates);
        for (int u0 = 0; u0 < hidden; u0 += PanelUnits)
        {
            int left = hidden - u0;
            int r = 0;
            if (left >= PanelUnits)
            {
                if (WideVectors.IsAccelerated)
                {
                    for (; r + WideProjectRows <= rows; r += WideProjectRows)
                    {
                        int q = 0;
                        for (; q + 1 < gateCount; q += 2)
                            Project8Pair(ref Unsafe.Add(ref panel, rowWidth + q * PanelUnits), rowWidth, ref Unsafe.Add(ref xs, r * inputSize), inputSize, inputSize,
                                ref Unsafe.Add(ref panel, q * PanelUnits), ref Unsafe.Add(ref gs, r * width + q * hidden + u0), width, hidden);
                        if (q < gateCount)
                            Project8Wide(ref Unsafe.Add(ref panel, rowWidth + q * PanelUnits), rowWidth, ref Unsafe.Add(ref xs, r * inputSize), inputSize, inputSize,
                                ref Unsafe.Add(ref panel, q * PanelUnits), ref Unsafe.Add(ref gs, r * width + q * hidden + u0), width);
                    }
                }
                for (; r + ProjectRows <= rows; r += ProjectRows)
                {
                    int q = 0;
                    if (WideVectors.IsAccelerated)
                    {
                        for (; q + 1 < gateCount; q += 2)
                            Project6Pair(ref Unsafe.Add(ref panel, rowWidth + q * PanelUnits), rowWidth, ref Unsafe.Add(ref xs, r * inputSize), inputSize, inputSize,
                                ref Unsafe.Add(ref panel, q * PanelUnits), ref Unsafe.Add(ref gs, r * width + q * hidden + u0), width, hidden);
                    }
                    for (; q < gateCount; q++)
                        Project6(ref Unsafe.Add(ref panel, rowWidth + q * PanelUnits), rowWidth, ref Unsafe.Add(ref xs, r * inputSize), inputSize, inputSize,
                            ref Unsafe.Add(ref panel, q * PanelUnits), ref Unsafe.Add(ref gs, r * width + q * hidden + u0), width);
                }
            }
            if (WideVectors.IsAccelerated && left >= PanelUnits)
            {
                for (; r < rows; r++)
                    ProjectRowWide(ref panel, rowWidth, ref Unsafe.Add(ref xs, r * inputSize), inputSize, gateCount, ref Unsafe.Add(ref gs, r * width + u0), hidden);
            }
            for (; r < rows; r++)
            {
                for (int j = 0; j < 2 * gateCount; j++)
                    acc[j] = Vector256.LoadUnsafe(ref panel, (nuint)(8 * j));
                ref float xr = ref Unsafe.Add(ref xs, r * inputSize);
                ref float first = ref Unsafe.Add(ref panel, rowWidth);
                if (gateCount == 4)
                    Accumulate8(ref first, rowWidth, ref xr, inputSize, ref acc[0], ref acc[1], ref acc[2], ref acc[3], ref acc[4], ref acc[5], ref acc[6], ref acc[7]);
                else
                    Accumulate6(ref first, rowWidth, ref xr, inputSize, ref acc[0], ref acc[1], ref acc[2], ref acc[3], ref acc[4], ref acc[5]);
                ref float row = ref Unsafe.Add(ref gs, r * width);
                for (int q = 0; q < gateCount; q++)
                {
                    StoreUnits(acc[2 * q], ref Unsafe.Add(ref row, q * hidden + u0), left);
                    if (left > Lanes)
                        StoreUnits(acc[2 * q + 1], ref Unsafe.Add(ref row, q * hidden + u0 + Lanes), left - Lanes);
                }
            }
            panel = ref Unsafe.Add(ref panel, (inputSize + 1) * rowWidth);
        }
    }

    /// <summary>
    /// One batch-1 LSTM step from the raw input: <c>gates = W_ih x + b_ih + W_hh hPrev + b_hh</c>, then
    /// <c>c = σ(f) ⊙ c + σ(i) ⊙ tanh(g)</c> and <c>h = σ(o) ⊙ tanh(c)</c>.
    /// </summary>
    /// <param name="packedIh"><c>W_ih</c> and <c>b_ih</c> packed with 4 gates and <paramref name="inputSize"/> columns.</param>
    /// <param name="x">The input, <paramref name="inputSize"/> floats.</param>
    /// <param name="packedHh"><c>W_hh</c> and <c>b_hh</c> packed with 4 gates and <paramref name="recurrentSize"/> columns.</param>
    /// <param name="hPrev">The previous hidden state, <paramref name="recurrentSize"/> floats (the projection size when projecting).</param>
    /// <param name="c">The cell state, <paramref name="hidden"/> floats, updated in place.</param>
    /// <param name="h">Receives <c>σ(o) ⊙ tanh(c)</c>, <paramref name="hidden"/> floats. It must not overlap <paramref name="hPrev"/>.</param>
    /// <param name="inputSize">Input size <c>I</c>.</param>
    /// <param name="hidden">Hidden size <c>H</c>.</param>
    /// <param name="recurrentSize">Size of the recurrent input: <c>H</c>, or the projection size.</param>
    /// <param name="reversePanels">Stream the panels last to first. Results are the same either way; a caller that
    /// alternates the order from one step to the next starts each step on the panel the previous one read last, which
    /// is still in L1 (measured at the benchmark's shapes: LSTM steps 5-8% faster, sequences 1-3%).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    /// <exception cref="ArgumentException">A span's length does not match its shape, or <paramref name="h"/> overlaps <paramref name="hPrev"/>.</exception>
    public static void LstmStep(ReadOnlySpan<float> packedIh, ReadOnlySpan<float> x, ReadOnlySpan<float> packedHh, ReadOnlySpan<float> hPrev, Span<float> c, Span<float> h, int inputSize, int hidden, int recurrentSize,
        bool reversePanels = false)
    {
        KernelGuard.Length(packedIh.Length, PackedLength(4, hidden, inputSize), "PackedLength(4, hidden, inputSize)", nameof(packedIh));
        KernelGuard.Length(x.Length, inputSize, "inputSize", nameof(x));
        ValidateRecurrence(packedHh, hPrev, h, 4, hidden, recurrentSize);
        KernelGuard.Length(c.Length, hidden, "hidden", nameof(c));
        Lstm(packedIh, x, default, packedHh, hPrev, c, c, h, hidden, inputSize, recurrentSize, WideVectors.IsAccelerated, reversePanels);
    }

    /// <summary>
    /// One batch-1 LSTM step of a whole-sequence forward pass, whose input projections were computed for every step
    /// in one GEMM: <c>gates += W_hh hPrev + b_hh</c>, then the activations and state update of <see cref="LstmStep"/>.
    /// </summary>
    /// <param name="gates"><c>W_ih x + b_ih</c> on entry, <c>[i | f | g | o]</c>; the activations
    /// <c>[σ(i) | σ(f) | tanh(g) | σ(o)]</c> on exit, as <see cref="LstmCell.Forward"/> leaves them for the backward pass.</param>
    /// <param name="packedHh"><c>W_hh</c> and <c>b_hh</c> packed with 4 gates and <paramref name="recurrentSize"/> columns.</param>
    /// <param name="hPrev">The previous hidden state, <paramref name="recurrentSize"/> floats.</param>
    /// <param name="cPrev">The previous cell state, <paramref name="hidden"/> floats.</param>
    /// <param name="c">Receives the new cell state; it may be <paramref name="cPrev"/> itself.</param>
    /// <param name="h">Receives <c>σ(o) ⊙ tanh(c)</c>, <paramref name="hidden"/> floats. It must not overlap <paramref name="hPrev"/>.</param>
    /// <param name="hidden">Hidden size <c>H</c>.</param>
    /// <param name="recurrentSize">Size of the recurrent input: <c>H</c>, or the projection size.</param>
    /// <param name="reversePanels">Stream the panels last to first, as in <see cref="LstmStep"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    /// <exception cref="ArgumentException">A span's length does not match its shape, or <paramref name="h"/> overlaps <paramref name="hPrev"/>.</exception>
    public static void LstmForward(Span<float> gates, ReadOnlySpan<float> packedHh, ReadOnlySpan<float> hPrev, ReadOnlySpan<float> cPrev, Span<float> c, Span<float> h, int hidden, int recurrentSize,
        bool reversePanels = false)
    {
        ValidateRecurrence(packedHh, hPrev, h, 4, hidden, recurrentSize);
        KernelGuard.Length(gates.Length, 4L * hidden, "4·hidden", nameof(gates));
        KernelGuard.Length(cPrev.Length, hidden, "hidden", nameof(cPrev));
        KernelGuard.Length(c.Length, hidden, "hidden", nameof(c));
        Lstm(default, default, gates, packedHh, hPrev, cPrev, c, h, hidden, 0, recurrentSize, WideVectors.IsAccelerated, reversePanels);
    }

    /// <summary>
    /// One batch-1 GRU step (reset gate after the hidden product) from the raw input: <c>r = σ(W_ir x + b_ir + W_hr h + b_hr)</c>,
    /// <c>z = σ(W_iz x + b_iz + W_hz h + b_hz)</c>, <c>n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))</c>,
    /// <c>h' = (h − n) ⊙ z + n</c>.
    /// </summary>
    /// <param name="packedIh"><c>W_ih</c> and <c>b_ih</c> packed with 3 gates and <paramref name="inputSize"/> columns.</param>
    /// <param name="x">The input, <paramref name="inputSize"/> floats.</param>
    /// <param name="packedHh"><c>W_hh</c> and <c>b_hh</c> packed with 3 gates and <paramref name="hidden"/> columns.</param>
    /// <param name="hPrev">The previous hidden state, <paramref name="hidden"/> floats.</param>
    /// <param name="h">Receives the new hidden state. It must not overlap <paramref name="hPrev"/>.</param>
    /// <param name="inputSize">Input size <c>I</c>.</param>
    /// <param name="hidden">Hidden size <c>H</c>.</param>
    /// <param name="reversePanels">Stream the panels last to first, as in <see cref="LstmStep"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    /// <exception cref="ArgumentException">A span's length does not match its shape, or <paramref name="h"/> overlaps <paramref name="hPrev"/>.</exception>
    public static void GruStep(ReadOnlySpan<float> packedIh, ReadOnlySpan<float> x, ReadOnlySpan<float> packedHh, ReadOnlySpan<float> hPrev, Span<float> h, int inputSize, int hidden,
        bool reversePanels = false)
    {
        KernelGuard.Length(packedIh.Length, PackedLength(3, hidden, inputSize), "PackedLength(3, hidden, inputSize)", nameof(packedIh));
        KernelGuard.Length(x.Length, inputSize, "inputSize", nameof(x));
        ValidateRecurrence(packedHh, hPrev, h, 3, hidden, hidden);
        Gru(packedIh, x, default, default, packedHh, hPrev, h, hidden, inputSize, WideVectors.IsAccelerated, reversePanels);
    }

    /// <summary>
    /// One batch-1 GRU step of a whole-sequence forward pass whose input projections were computed in one GEMM.
    /// </summary>
    /// <param name="gx"><c>W_ih x + b_ih</c> on entry, <c>[r | z | n]</c>; the activations on exit, as
    /// <see cref="GruCell.Forward"/> leaves them for the backward pass.</param>
    /// <param name="hiddenCandidate">Receives <c>W_hn hPrev + b_hn</c>, <paramref name="hidden"/> floats: the <c>gh_n</c> part
    /// that <see cref="GruCell.Backward"/> reads.</param>
    /// <param name="packedHh"><c>W_hh</c> and <c>b_hh</c> packed with 3 gates and <paramref name="hidden"/> columns.</param>
    /// <param name="hPrev">The previous hidden state, <paramref name="hidden"/> floats.</param>
    /// <param name="h">Receives the new hidden state. It must not overlap <paramref name="hPrev"/>.</param>
    /// <param name="hidden">Hidden size <c>H</c>.</param>
    /// <param name="reversePanels">Stream the panels last to first, as in <see cref="LstmStep"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    /// <exception cref="ArgumentException">A span's length does not match its shape, or <paramref name="h"/> overlaps <paramref name="hPrev"/>.</exception>
    public static void GruForward(Span<float> gx, Span<float> hiddenCandidate, ReadOnlySpan<float> packedHh, ReadOnlySpan<float> hPrev, Span<float> h, int hidden,
        bool reversePanels = false)
    {
        ValidateRecurrence(packedHh, hPrev, h, 3, hidden, hidden);
        KernelGuard.Length(gx.Length, 3L * hidden, "3·hidden", nameof(gx));
        KernelGuard.Length(hiddenCandidate.Length, hidden, "hidden", nameof(hiddenCandidate));
        Gru(default, default, gx, hiddenCandidate, packedHh, hPrev, h, hidden, 0, WideVectors.IsAccelerated, reversePanels);
    }

    private static int PaddedUnits(int hidden) => (hidden + PanelUnits - 1) / PanelUnits * PanelUnits;

    private static void ValidateRecurrence(ReadOnlySpan<float> packedHh, ReadOnlySpan<float> hPrev, Span<float> h, int gateCount, int hidden, int recurrentSize)
    {
        KernelGuard.Length(packedHh.Length, PackedLength(gateCount, hidden, recurrentSize), "PackedLength(gates, hidden, recurrentSize)", nameof(packedHh));
        KernelGuard.Length(hPrev.Length, recurrentSize, "recurrentSize", nameof(hPrev));
        KernelGuard.Length(h.Length, hidden, "hidden", nameof(h));
        // Every panel reads all of hPrev, so writing h over it would feed later panels half-updated state.
        if (h.Overlaps(hPrev))
            throw new ArgumentException("'h' must not overlap 'hPrev': every unit of the new state reads the whole previous one.", nameof(h));
    }

    // Step mode when gates is empty (accumulators start from both bias rows and take the input rows too); sequence
    // mode otherwise (they start from the precomputed gates plus the recurrent bias, and the activations go back).
    // widePanels (AVX-512 only) runs whole panels sixteen lanes wide; the partial last panel always takes 8-lane halves.
    internal static void Lstm(ReadOnlySpan<float> packedIh, ReadOnlySpan<float> x, Span<float> gates, ReadOnlySpan<float> packedHh,
        ReadOnlySpan<float> hPrev, ReadOnlySpan<float> cPrev, Span<float> c, Span<float> h, int hidden, int inputSize, int recurrentSize, bool widePanels,
        bool reversePanels)
    {
        if (!Activations.IsSupported)
        {
            LstmPortable(packedIh, x, gates, packedHh, hPrev, cPrev, c, h, hidden, inputSize, recurrentSize);
            return;
        }
        const int RowWidth = 4 * PanelUnits;
        bool stepMode = gates.IsEmpty;
        ref float ihStart = ref MemoryMarshal.GetReference(packedIh);
        ref float hhStart = ref MemoryMarshal.GetReference(packedHh);
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float hs = ref MemoryMarshal.GetReference(hPrev);
        ref float gs = ref MemoryMarshal.GetReference(gates);
        ref float cs = ref MemoryMarshal.GetReference(cPrev);
        ref float cNew = ref MemoryMarshal.GetReference(c);
        ref float hNew = ref MemoryMarshal.GetReference(h);
        int panels = (hidden + PanelUnits - 1) / PanelUnits;
        int widePanelCount = widePanels ? hidden / PanelUnits : 0;
        // The 512-bit path takes every whole panel; a partial last panel goes through the 256-bit blocks below, in its
        // place in the order (first when the panels run backwards).
        if (widePanelCount > 0 && !reversePanels)
            LstmWidePanels(ref ihStart, ref xs, inputSize, ref gs, ref hhStart, ref hs, recurrentSize, ref cs, ref cNew, ref hNew, hidden, widePanelCount, stepMode, reversePanels);
        for (int n = 0; n < panels - widePanelCount; n++)
        {
            int panel = reversePanels ? panels - 1 - n : widePanelCount + n;
            int u0 = panel * PanelUnits;
            int left = hidden - u0;
            ref float hh = ref Unsafe.Add(ref hhStart, (nint)panel * (recurrentSize + 1) * RowWidth);
            ref float ih = ref stepMode ? ref Unsafe.Add(ref ihStart, (nint)panel * (inputSize + 1) * RowWidth) : ref ihStart;
            Vector256<float> i0, i1, f0, f1, g0, g1, o0, o1;
            if (stepMode)
            {
                i0 = Vector256.LoadUnsafe(ref ih) + Vector256.LoadUnsafe(ref hh);
                i1 = Vector256.LoadUnsafe(ref ih, 8) + Vector256.LoadUnsafe(ref hh, 8);
                f0 = Vector256.LoadUnsafe(ref ih, 16) + Vector256.LoadUnsafe(ref hh, 16);
                f1 = Vector256.LoadUnsafe(ref ih, 24) + Vector256.LoadUnsafe(ref hh, 24);
                g0 = Vector256.LoadUnsafe(ref ih, 32) + Vector256.LoadUnsafe(ref hh, 32);
                g1 = Vector256.LoadUnsafe(ref ih, 40) + Vector256.LoadUnsafe(ref hh, 40);
                o0 = Vector256.LoadUnsafe(ref ih, 48) + Vector256.LoadUnsafe(ref hh, 48);
                o1 = Vector256.LoadUnsafe(ref ih, 56) + Vector256.LoadUnsafe(ref hh, 56);
                Accumulate8(ref Unsafe.Add(ref ih, RowWidth), RowWidth, ref xs, inputSize, ref i0, ref i1, ref f0, ref f1, ref g0, ref g1, ref o0, ref o1);
            }
            else
            {
                i0 = LoadUnits(ref Unsafe.Add(ref gs, u0), left) + Vector256.LoadUnsafe(ref hh);
                i1 = LoadUnits(ref Unsafe.Add(ref gs, u0 + 8), left - 8) + Vector256.LoadUnsafe(ref hh, 8);
                f0 = LoadUnits(ref Unsafe.Add(ref gs, hidden + u0), left) + Vector256.LoadUnsafe(ref hh, 16);
                f1 = LoadUnits(ref Unsafe.Add(ref gs, hidden + u0 + 8), left - 8) + Vector256.LoadUnsafe(ref hh, 24);
                g0 = LoadUnits(ref Unsafe.Add(ref gs, 2 * hidden + u0), left) + Vector256.LoadUnsafe(ref hh, 32);
                g1 = LoadUnits(ref Unsafe.Add(ref gs, 2 * hidden + u0 + 8), left - 8) + Vector256.LoadUnsafe(ref hh, 40);
                o0 = LoadUnits(ref Unsafe.Add(ref gs, 3 * hidden + u0), left) + Vector256.LoadUnsafe(ref hh, 48);
                o1 = LoadUnits(ref Unsafe.Add(ref gs, 3 * hidden + u0 + 8), left - 8) + Vector256.LoadUnsafe(ref hh, 56);
            }
            Accumulate8(ref Unsafe.Add(ref hh, RowWidth), RowWidth, ref hs, recurrentSize, ref i0, ref i1, ref f0, ref f1, ref g0, ref g1, ref o0, ref o1);
            LstmFinish(i0, f0, g0, o0, ref gs, ref cs, ref cNew, ref hNew, hidden, u0, stepMode);
            if (left > Lanes)
                LstmFinish(i1, f1, g1, o1, ref gs, ref cs, ref cNew, ref hNew, hidden, u0 + Lanes, stepMode);
        }
        if (widePanelCount > 0 && reversePanels)
            LstmWidePanels(ref ihStart, ref xs, inputSize, ref gs, ref hhStart, ref hs, recurrentSize, ref cs, ref cNew, ref hNew, hidden, widePanelCount, stepMode, reversePanels);
    }

    // Rows of the next panel's products between two pieces of the pending cell (LstmWidePanels, GruWidePairs).
    private const int RowsPerFinishPiece = 8;

    // The whole panels sixteen lanes wide, one gate per Vector512. A panel's cell is finished while the next panel's
    // products stream, in five pieces (σ(i), σ(f), tanh(g), σ(o) and c, then h), one after every RowsPerFinishPiece
    // rows: finished at once, its activations, about a hundred operations, held up the weight stream (the H=128
    // sequence ran 5-8% slower that way, alternating with this in one process; the steps alike; finished whole after
    // the next panel's first rows, no faster). The pieces are LstmFinishPanel's operations in its order, so the
    // results are bit-identical.
    private static void LstmWidePanels(ref float ihStart, ref float xs, int inputSize, ref float gs, ref float hhStart, ref float hs, int recurrentSize,
        ref float cs, ref float cNew, ref float hNew, int hidden, int panels, bool stepMode, bool reversePanels)
    {
        const int RowWidth = 4 * PanelUnits;
        Vector512<float> pendingI = default, pendingF = default, pendingG = default, pendingO = default, pendingC = default;
        int pendingUnit = -1;
        int inputRows = stepMode ? inputSize : 0;
        int rowCount = inputRows + recurrentSize;
        for (int n = 0; n < panels; n++)
        {
            int panel = reversePanels ? panels - 1 - n : n;
            int u0 = panel * PanelUnits;
            ref float hh = ref Unsafe.Add(ref hhStart, (nint)panel * (recurrentSize + 1) * RowWidth);
            ref float ih = ref stepMode ? ref Unsafe.Add(ref ihStart, (nint)panel * (inputSize + 1) * RowWidth) : ref hh;
            Vector512<float> i, f, g, o;
            if (stepMode)
            {
                i = Vector512.LoadUnsafe(ref ih) + Vector512.LoadUnsafe(ref hh);
                f = Vector512.LoadUnsafe(ref ih, PanelUnits) + Vector512.LoadUnsafe(ref hh, PanelUnits);
                g = Vector512.LoadUnsafe(ref ih, 2 * PanelUnits) + Vector512.LoadUnsafe(ref hh, 2 * PanelUnits);
                o = Vector512.LoadUnsafe(ref ih, 3 * PanelUnits) + Vector512.LoadUnsafe(ref hh, 3 * PanelUnits);
            }
            else
            {
                i = Vector512.LoadUnsafe(ref gs, (nuint)u0) + Vector512.LoadUnsafe(ref hh);
                f = Vector512.LoadUnsafe(ref gs, (nuint)(hidden + u0)) + Vector512.LoadUnsafe(ref hh, PanelUnits);
                g = Vector512.LoadUnsafe(ref gs, (nuint)(2 * hidden + u0)) + Vector512.LoadUnsafe(ref hh, 2 * PanelUnits);
                o = Vector512.LoadUnsafe(ref gs, (nuint)(3 * hidden + u0)) + Vector512.LoadUnsafe(ref hh, 3 * PanelUnits);
            }
            ref float ihRows = ref Unsafe.Add(ref ih, RowWidth);
            ref float hhRows = ref Unsafe.Add(ref hh, RowWidth);
            int done = 0;
            for (int piece = 0; piece < 5 && pendingUnit >= 0; piece++)
            {
                int next = Math.Min(rowCount, done + RowsPerFinishPiece);
                MultiplyAddRows(ref ihRows, ref xs, inputRows, ref hhRows, ref hs, done, next, ref i, ref f, ref g, ref o);
                done = next;
                switch (piece)
                {
                    case 0:
                        pendingI = Activations.Sigmoid(pendingI);
                        break;
                    case 1:
                        pendingF = Activations.Sigmoid(pendingF);
                        break;
                    case 2:
                        pendingG = Activations.Tanh(pendingG);
                        break;
                    case 3:
                        pendingO = Activations.Sigmoid(pendingO);
                        pendingC = pendingF * Vector512.LoadUnsafe(ref Unsafe.Add(ref cs, pendingUnit)) + pendingI * pendingG;
                        break;
                    default:
                        StorePanelCell(pendingI, pendingF, pendingG, pendingO, pendingC, ref gs, ref cNew, ref hNew, hidden, pendingUnit, stepMode);
                        break;
                }
            }
            MultiplyAddRows(ref ihRows, ref xs, inputRows, ref hhRows, ref hs, done, rowCount, ref i, ref f, ref g, ref o);
            (pendingI, pendingF, pendingG, pendingO, pendingUnit) = (i, f, g, o, u0);
        }
        LstmFinishPanel(pendingI, pendingF, pendingG, pendingO, ref gs, ref cs, ref cNew, ref hNew, hidden, pendingUnit, stepMode);
    }

    // acc += x[k] · W_ih rows[k] for the first inputRows of [start, end), then h[k] · W_hh rows[k] for the rest: a
    // panel's rows as one sequence, W_ih's (a step's input) before W_hh's.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MultiplyAddRows(ref float ihRows, ref float x, int inputRows, ref float hhRows, ref float h, int start, int end,
        ref Vector512<float> acc0, ref Vector512<float> acc1, ref Vector512<float> acc2, ref Vector512<float> acc3)
    {
        if (start < inputRows)
            MultiplyAddRange(ref ihRows, ref x, start, Math.Min(end, inputRows), ref acc0, ref acc1, ref acc2, ref acc3);
        if (end > inputRows)
            MultiplyAddRange(ref hhRows, ref h, Math.Max(start, inputRows) - inputRows, end - inputRows, ref acc0, ref acc1, ref acc2, ref acc3);
    }

    // acc += vector[k] · rows[k] for k in [start, end), a whole LSTM panel row per k.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MultiplyAddRange(ref float rows, ref float vector, int start, int end,
        ref Vector512<float> acc0, ref Vector512<float> acc1, ref Vector512<float> acc2, ref Vector512<float> acc3)
    {
        const int RowWidth = 4 * PanelUnits;
        Vector512<float> a0 = acc0, a1 = acc1, a2 = acc2, a3 = acc3;
        ref float row = ref Unsafe.Add(ref rows, (nint)start * RowWidth);
        for (int k = start; k < end; k++)
        {
            Vector512<float> v = Vector512.Create(Unsafe.Add(ref vector, k));
            a0 = Avx512F.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref row), a0);
            a1 = Avx512F.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref row, PanelUnits), a1);
            a2 = Avx512F.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref row, 2 * PanelUnits), a2);
            a3 = Avx512F.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref row, 3 * PanelUnits), a3);
            row = ref Unsafe.Add(ref row, RowWidth);
        }
        acc0 = a0; acc1 = a1; acc2 = a2; acc3 = a3;
    }

    // LstmFinish on a whole panel at once, sixteen lanes wide: the 512-bit activations repeat the 256-bit ones
    // operation for operation, so the results are bit-identical with half the instructions.
    internal static void LstmFinishPanel(Vector512<float> i, Vector512<float> f, Vector512<float> g, Vector512<float> o,
        ref float gates, ref float cPrev, ref float c, ref float h, int hidden, int unit, bool stepMode)
    {
        i = Activations.Sigmoid(i);
        f = Activations.Sigmoid(f);
        g = Activations.Tanh(g);
        o = Activations.Sigmoid(o);
        Vector512<float> cv = f * Vector512.LoadUnsafe(ref Unsafe.Add(ref cPrev, unit)) + i * g;
        StorePanelCell(i, f, g, o, cv, ref gates, ref c, ref h, hidden, unit, stepMode);
    }

    // h = o ⊙ tanh(c); c and h stored, and outside a step the activations too, for the backward pass.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StorePanelCell(Vector512<float> i, Vector512<float> f, Vector512<float> g, Vector512<float> o, Vector512<float> cv,
        ref float gates, ref float c, ref float h, int hidden, int unit, bool stepMode)
    {
        Vector512<float> hv = o * Activations.Tanh(cv);
        cv.StoreUnsafe(ref Unsafe.Add(ref c, unit));
        hv.StoreUnsafe(ref Unsafe.Add(ref h, unit));
        if (stepMode)
            return;
        i.StoreUnsafe(ref Unsafe.Add(ref gates, unit));
        f.StoreUnsafe(ref Unsafe.Add(ref gates, hidden + unit));
        g.StoreUnsafe(ref Unsafe.Add(ref gates, 2 * hidden + unit));
        o.StoreUnsafe(ref Unsafe.Add(ref gates, 3 * hidden + unit));
    }

    // The cell update of LstmCell.Forward, in the same unfused order: c = f ⊙ cPrev + i ⊙ g, h = o ⊙ tanh(c). Whole
    // blocks make no call, so the JIT keeps every vector in a register; sliced spans and partial-store calls on this
    // path cost the H=128 sequence 15%.
    internal static void LstmFinish(Vector256<float> i, Vector256<float> f, Vector256<float> g, Vector256<float> o,
        ref float gates, ref float cPrev, ref float c, ref float h, int hidden, int unit, bool stepMode)
    {
        if (hidden - unit < Lanes)
        {
            LstmFinishPartial(i, f, g, o, ref gates, ref cPrev, ref c, ref h, hidden, unit, stepMode);
            return;
        }
        i = Activations.Sigmoid(i);
        f = Activations.Sigmoid(f);
        g = Activations.Tanh(g);
        o = Activations.Sigmoid(o);
        Vector256<float> cv = f * Vector256.LoadUnsafe(ref Unsafe.Add(ref cPrev, unit)) + i * g;
        Vector256<float> hv = o * Activations.Tanh(cv);
        cv.StoreUnsafe(ref Unsafe.Add(ref c, unit));
        hv.StoreUnsafe(ref Unsafe.Add(ref h, unit));
        if (stepMode)
            return;
        i.StoreUnsafe(ref Unsafe.Add(ref gates, unit));
        f.StoreUnsafe(ref Unsafe.Add(ref gates, hidden + unit));
        g.StoreUnsafe(ref Unsafe.Add(ref gates, 2 * hidden + unit));
        o.StoreUnsafe(ref Unsafe.Add(ref gates, 3 * hidden + unit));
    }

    // The last block of a hidden size that is not a multiple of 8 runs the whole-block path on a zero-padded copy
    // ([gates 4 × 8 | cPrev | c | h]) and copies the valid units back.
    [SkipLocalsInit]
    private static void LstmFinishPartial(Vector256<float> i, Vector256<float> f, Vector256<float> g, Vector256<float> o,
        ref float gates, ref float cPrev, ref float c, ref float h, int hidden, int unit, bool stepMode)
    {
        int count = hidden - unit;
        Span<float> block = stackalloc float[7 * Lanes];
        block.Clear();
        ref float copy = ref MemoryMarshal.GetReference(block);
        Units(ref cPrev, unit, count).CopyTo(block.Slice(4 * Lanes));
        LstmFinish(i, f, g, o, ref copy, ref Unsafe.Add(ref copy, 4 * Lanes), ref Unsafe.Add(ref copy, 5 * Lanes), ref Unsafe.Add(ref copy, 6 * Lanes), Lanes, 0, stepMode);
        block.Slice(5 * Lanes, count).CopyTo(Units(ref c, unit, count));
        block.Slice(6 * Lanes, count).CopyTo(Units(ref h, unit, count));
        if (stepMode)
            return;
        for (int q = 0; q < 4; q++)
            block.Slice(q * Lanes, count).CopyTo(Units(ref gates, q * hidden + unit, count));
    }

    private static Span<float> Units(ref float start, int unit, int count) => MemoryMarshal.CreateSpan(ref Unsafe.Add(ref start, unit), count);

    // Accumulators per panel: r and z take both products; n keeps the input part (nx) and the hidden part (nh)
    // apart, because the reset gate scales only the latter. widePanels as in Lstm.
    internal static void Gru(ReadOnlySpan<float> packedIh, ReadOnlySpan<float> x, Span<float> gx, Span<float> hiddenCandidate,
        ReadOnlySpan<float> packedHh, ReadOnlySpan<float> hPrev, Span<float> h, int hidden, int inputSize, bool widePanels, bool reversePanels)
    {
        if (!Activations.IsSupported)
        {
            GruPortable(packedIh, x, gx, hiddenCandidate, packedHh, hPrev, h, hidden, inputSize);
            return;
        }
        const int RowWidth = 3 * PanelUnits;
        bool stepMode = gx.IsEmpty;
        ref float ihStart = ref MemoryMarshal.GetReference(packedIh);
        ref float hhStart = ref MemoryMarshal.GetReference(packedHh);
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float hs = ref MemoryMarshal.GetReference(hPrev);
        ref float gs = ref MemoryMarshal.GetReference(gx);
        ref float candidate = ref MemoryMarshal.GetReference(hiddenCandidate);
        ref float hNew = ref MemoryMarshal.GetReference(h);
        int panels = (hidden + PanelUnits - 1) / PanelUnits;
        int pairedPanels = widePanels ? hidden / PanelUnits / 2 * 2 : 0;
        // Whole panels go through the 512-bit path two at a time; an odd whole panel and a partial last one follow
        // alone, in their place in the order (first when the panels run backwards).
        if (pairedPanels > 0 && !reversePanels)
            GruWidePairs(ref ihStart, ref xs, inputSize, ref gs, ref candidate, ref hhStart, ref hs, ref hNew, hidden, pairedPanels / 2, stepMode, reversePanels);
        for (int n = 0; n < panels - pairedPanels; n++)
        {
            int panel = reversePanels ? panels - 1 - n : pairedPanels + n;
            int u0 = panel * PanelUnits;
            int left = hidden - u0;
            ref float hh = ref Unsafe.Add(ref hhStart, (nint)panel * (hidden + 1) * RowWidth);
            ref float ih = ref stepMode ? ref Unsafe.Add(ref ihStart, (nint)panel * (inputSize + 1) * RowWidth) : ref ihStart;
            if (widePanels && left >= PanelUnits)
            {
                Vector512<float> r, z, nx, nh = Vector512.LoadUnsafe(ref hh, 2 * PanelUnits);
                if (stepMode)
                {
                    r = Vector512.LoadUnsafe(ref ih) + Vector512.LoadUnsafe(ref hh);
                    z = Vector512.LoadUnsafe(ref ih, PanelUnits) + Vector512.LoadUnsafe(ref hh, PanelUnits);
                    nx = Vector512.LoadUnsafe(ref ih, 2 * PanelUnits);
                    AccumulateWide3(ref Unsafe.Add(ref ih, RowWidth), RowWidth, ref xs, inputSize, ref r, ref z, ref nx);
                }
                else
                {
                    r = Vector512.LoadUnsafe(ref gs, (nuint)u0) + Vector512.LoadUnsafe(ref hh);
                    z = Vector512.LoadUnsafe(ref gs, (nuint)(hidden + u0)) + Vector512.LoadUnsafe(ref hh, PanelUnits);
                    nx = Vector512.LoadUnsafe(ref gs, (nuint)(2 * hidden + u0));
                }
                AccumulateWide3(ref Unsafe.Add(ref hh, RowWidth), RowWidth, ref hs, hidden, ref r, ref z, ref nh);
                GruFinishPanel(r, z, nx, nh, ref gs, ref candidate, ref hs, ref hNew, hidden, u0, stepMode);
                continue;
            }
            Vector256<float> r0, r1, z0, z1, nx0, nx1;
            Vector256<float> nh0 = Vector256.LoadUnsafe(ref hh, 32), nh1 = Vector256.LoadUnsafe(ref hh, 40);
            if (stepMode)
            {
                r0 = Vector256.LoadUnsafe(ref ih) + Vector256.LoadUnsafe(ref hh);
                r1 = Vector256.LoadUnsafe(ref ih, 8) + Vector256.LoadUnsafe(ref hh, 8);
                z0 = Vector256.LoadUnsafe(ref ih, 16) + Vector256.LoadUnsafe(ref hh, 16);
                z1 = Vector256.LoadUnsafe(ref ih, 24) + Vector256.LoadUnsafe(ref hh, 24);
                nx0 = Vector256.LoadUnsafe(ref ih, 32);
                nx1 = Vector256.LoadUnsafe(ref ih, 40);
                Accumulate6(ref Unsafe.Add(ref ih, RowWidth), RowWidth, ref xs, inputSize, ref r0, ref r1, ref z0, ref z1, ref nx0, ref nx1);
            }
            else
            {
                r0 = LoadUnits(ref Unsafe.Add(ref gs, u0), left) + Vector256.LoadUnsafe(ref hh);
                r1 = LoadUnits(ref Unsafe.Add(ref gs, u0 + 8), left - 8) + Vector256.LoadUnsafe(ref hh, 8);
                z0 = LoadUnits(ref Unsafe.Add(ref gs, hidden + u0), left) + Vector256.LoadUnsafe(ref hh, 16);
                z1 = LoadUnits(ref Unsafe.Add(ref gs, hidden + u0 + 8), left - 8) + Vector256.LoadUnsafe(ref hh, 24);
                nx0 = LoadUnits(ref Unsafe.Add(ref gs, 2 * hidden + u0), left);
                nx1 = LoadUnits(ref Unsafe.Add(ref gs, 2 * hidden + u0 + 8), left - 8);
            }
            Accumulate6(ref Unsafe.Add(ref hh, RowWidth), RowWidth, ref hs, hidden, ref r0, ref r1, ref z0, ref z1, ref nh0, ref nh1);
            GruFinish(r0, z0, nx0, nh0, ref gs, ref candidate, ref hs, ref hNew, hidden, u0, stepMode);
            if (left > Lanes)
                GruFinish(r1, z1, nx1, nh1, ref gs, ref candidate, ref hs, ref hNew, hidden, u0 + Lanes, stepMode);
        }
        if (pairedPanels > 0 && reversePanels)
            GruWidePairs(ref ihStart, ref xs, inputSize, ref gs, ref candidate, ref hhStart, ref hs, ref hNew, hidden, pairedPanels / 2, stepMode, reversePanels);
    }

    // Pairs of adjacent whole panels side by side, sixteen lanes wide. A GRU row holds three gates, so one panel alone
    // keeps three FMA chains, too few to cover the FMA latency; two keep six, each lane's chain the one-panel chain. As
    // in LstmWidePanels, in a sequence a pair's cells are finished while the next pair's rows stream, in six pieces
    // (σ(r), σ(z), then n and h, for each panel), one after every RowsPerFinishPiece rows: the H=128 sequence 3-4%
    // faster than finishing each pair at once, alternating in one process. A step finishes each pair at once: spread,
    // the H=128 step ran 0-4% slower. The pieces are GruFinishPanel's operations in its order: bit-identical results.
    private static void GruWidePairs(ref float ihStart, ref float xs, int inputSize, ref float gs, ref float candidate, ref float hhStart, ref float hs,
        ref float hNew, int hidden, int pairs, bool stepMode, bool reversePanels)
    {
        const int RowWidth = 3 * PanelUnits;
        nint ihPanel = (nint)(inputSize + 1) * RowWidth, hhPanel = (nint)(hidden + 1) * RowWidth;
        Vector512<float> pendingR0 = default, pendingZ0 = default, pendingNx0 = default, pendingNh0 = default;
        Vector512<float> pendingR1 = default, pendingZ1 = default, pendingNx1 = default, pendingNh1 = default;
        int pendingUnit = -1;
        int inputRows = stepMode ? inputSize : 0;
        int rowCount = inputRows + hidden;
        for (int n = 0; n < pairs; n++)
        {
            int first = 2 * (reversePanels ? pairs - 1 - n : n);
            int u0 = first * PanelUnits, u1 = u0 + PanelUnits;
            ref float hh0 = ref Unsafe.Add(ref hhStart, first * hhPanel);
            ref float hh1 = ref Unsafe.Add(ref hh0, hhPanel);
            ref float ih0 = ref stepMode ? ref Unsafe.Add(ref ihStart, first * ihPanel) : ref hh0;
            Vector512<float> r0, z0, nx0, nh0 = Vector512.LoadUnsafe(ref hh0, 2 * PanelUnits);
            Vector512<float> r1, z1, nx1, nh1 = Vector512.LoadUnsafe(ref hh1, 2 * PanelUnits);
            if (stepMode)
            {
                ref float ih1 = ref Unsafe.Add(ref ih0, ihPanel);
                r0 = Vector512.LoadUnsafe(ref ih0) + Vector512.LoadUnsafe(ref hh0);
                z0 = Vector512.LoadUnsafe(ref ih0, PanelUnits) + Vector512.LoadUnsafe(ref hh0, PanelUnits);
                nx0 = Vector512.LoadUnsafe(ref ih0, 2 * PanelUnits);
                r1 = Vector512.LoadUnsafe(ref ih1) + Vector512.LoadUnsafe(ref hh1);
                z1 = Vector512.LoadUnsafe(ref ih1, PanelUnits) + Vector512.LoadUnsafe(ref hh1, PanelUnits);
                nx1 = Vector512.LoadUnsafe(ref ih1, 2 * PanelUnits);
            }
            else
            {
                r0 = Vector512.LoadUnsafe(ref gs, (nuint)u0) + Vector512.LoadUnsafe(ref hh0);
                z0 = Vector512.LoadUnsafe(ref gs, (nuint)(hidden + u0)) + Vector512.LoadUnsafe(ref hh0, PanelUnits);
                nx0 = Vector512.LoadUnsafe(ref gs, (nuint)(2 * hidden + u0));
                r1 = Vector512.LoadUnsafe(ref gs, (nuint)u1) + Vector512.LoadUnsafe(ref hh1);
                z1 = Vector512.LoadUnsafe(ref gs, (nuint)(hidden + u1)) + Vector512.LoadUnsafe(ref hh1, PanelUnits);
                nx1 = Vector512.LoadUnsafe(ref gs, (nuint)(2 * hidden + u1));
            }
            ref float ihRows = ref Unsafe.Add(ref ih0, RowWidth);
            ref float hhRows = ref Unsafe.Add(ref hh0, RowWidth);
            int done = 0;
            for (int piece = 0; piece < 6 && pendingUnit >= 0; piece++)
            {
                int next = Math.Min(rowCount, done + RowsPerFinishPiece);
                MultiplyAddPairRows(ref ihRows, ihPanel, ref xs, inputRows, ref hhRows, hhPanel, ref hs, done, next,
                    ref r0, ref z0, ref nx0, ref nh0, ref r1, ref z1, ref nx1, ref nh1);
                done = next;
                switch (piece)
                {
                    case 0:
                        pendingR0 = Activations.Sigmoid(pendingR0);
                        break;
                    case 1:
                        pendingZ0 = Activations.Sigmoid(pendingZ0);
                        break;
                    case 2:
                        StoreGruPanel(pendingR0, pendingZ0, pendingNx0, pendingNh0, ref gs, ref candidate, ref hs, ref hNew, hidden, pendingUnit, stepMode);
                        break;
                    case 3:
                        pendingR1 = Activations.Sigmoid(pendingR1);
                        break;
                    case 4:
                        pendingZ1 = Activations.Sigmoid(pendingZ1);
                        break;
                    default:
                        StoreGruPanel(pendingR1, pendingZ1, pendingNx1, pendingNh1, ref gs, ref candidate, ref hs, ref hNew, hidden, pendingUnit + PanelUnits, stepMode);
                        break;
                }
            }
            MultiplyAddPairRows(ref ihRows, ihPanel, ref xs, inputRows, ref hhRows, hhPanel, ref hs, done, rowCount,
                ref r0, ref z0, ref nx0, ref nh0, ref r1, ref z1, ref nx1, ref nh1);
            if (stepMode)
            {
                GruFinishPanel(r0, z0, nx0, nh0, ref gs, ref candidate, ref hs, ref hNew, hidden, u0, stepMode);
                GruFinishPanel(r1, z1, nx1, nh1, ref gs, ref candidate, ref hs, ref hNew, hidden, u1, stepMode);
                continue;
            }
            (pendingR0, pendingZ0, pendingNx0, pendingNh0, pendingR1, pendingZ1, pendingNx1, pendingNh1, pendingUnit) = (r0, z0, nx0, nh0, r1, z1, nx1, nh1, u0);
        }
        if (pendingUnit < 0)
            return;
        GruFinishPanel(pendingR0, pendingZ0, pendingNx0, pendingNh0, ref gs, ref candidate, ref hs, ref hNew, hidden, pendingUnit, stepMode);
        GruFinishPanel(pendingR1, pendingZ1, pendingNx1, pendingNh1, ref gs, ref candidate, ref hs, ref hNew, hidden, pendingUnit + PanelUnits, stepMode);
    }

    // Rows [start, end) of a pair of GRU panels (the second `second` floats after the first), W_ih's inputRows first
    // (into r, z and nx), then W_hh's (into r, z and nh).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MultiplyAddPairRows(ref float ihRows, nint ihSecond, ref float x, int inputRows, ref float hhRows, nint hhSecond, ref float h,
        int start, int end, ref Vector512<float> r0, ref Vector512<float> z0, ref Vector512<float> nx0, ref Vector512<float> nh0,
        ref Vector512<float> r1, ref Vector512<float> z1, ref Vector512<float> nx1, ref Vector512<float> nh1)
    {
        if (start < inputRows)
            MultiplyAddPairRange(ref ihRows, ihSecond, ref x, start, Math.Min(end, inputRows), ref r0, ref z0, ref nx0, ref r1, ref z1, ref nx1);
        if (end > inputRows)
            MultiplyAddPairRange(ref hhRows, hhSecond, ref h, Math.Max(start, inputRows) - inputRows, end - inputRows, ref r0, ref z0, ref nh0, ref r1, ref z1, ref nh1);
    }

    // acc += vector[k] · rows[k] for k in [start, end) over two GRU panels' rows at once.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MultiplyAddPairRange(ref float rows, nint second, ref float vector, int start, int end,
        ref Vector512<float> acc0, ref Vector512<float> acc1, ref Vector512<float> acc2,
        ref Vector512<float> acc3, ref Vector512<float> acc4, ref Vector512<float> acc5)
    {
        const int RowWidth = 3 * PanelUnits;
        Vector512<float> a0 = acc0, a1 = acc1, a2 = acc2, a3 = acc3, a4 = acc4, a5 = acc5;
        ref float row = ref Unsafe.Add(ref rows, (nint)start * RowWidth);
        ref float row2 = ref Unsafe.Add(ref row, second);
        for (int k = start; k < end; k++)
        {
            Vector512<float> v = Vector512.Create(Unsafe.Add(ref vector, k));
            a0 = Avx512F.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref row), a0);
            a1 = Avx512F.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref row, PanelUnits), a1);
            a2 = Avx512F.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref row, 2 * PanelUnits), a2);
            a3 = Avx512F.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref row2), a3);
            a4 = Avx512F.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref row2, PanelUnits), a4);
            a5 = Avx512F.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref row2, 2 * PanelUnits), a5);
            row = ref Unsafe.Add(ref row, RowWidth);
            row2 = ref Unsafe.Add(ref row2, RowWidth);
        }
        acc0 = a0; acc1 = a1; acc2 = a2; acc3 = a3; acc4 = a4; acc5 = a5;
    }

    // The gate math of GruCell.Forward, in the same unfused order: n = tanh(nx + nh ⊙ r), h = (hPrev − n) ⊙ z + n.
    // Like LstmFinish, whole blocks make no call.
    internal static void GruFinish(Vector256<float> r, Vector256<float> z, Vector256<float> nx, Vector256<float> nh,
        ref float gx, ref float hiddenCandidate, ref float hPrev, ref float h, int hidden, int unit, bool stepMode)
    {
        if (hidden - unit < Lanes)
        {
            GruFinishPartial(r, z, nx, nh, ref gx, ref hiddenCandidate, ref hPrev, ref h, hidden, unit, stepMode);
            return;
        }
        r = Activations.Sigmoid(r);
        z = Activations.Sigmoid(z);
        Vector256<float> n = Activations.Tanh(nx + nh * r);
        Vector256<float> hp = Vector256.LoadUnsafe(ref Unsafe.Add(ref hPrev, unit));
        ((hp - n) * z + n).StoreUnsafe(ref Unsafe.Add(ref h, unit));
        if (stepMode)
            return;
        r.StoreUnsafe(ref Unsafe.Add(ref gx, unit));
        z.StoreUnsafe(ref Unsafe.Add(ref gx, hidden + unit));
        n.StoreUnsafe(ref Unsafe.Add(ref gx, 2 * hidden + unit));
        nh.StoreUnsafe(ref Unsafe.Add(ref hiddenCandidate, unit));
    }

    // GruFinish on a whole panel at once, sixteen lanes wide, bit-identical to it (see LstmFinishPanel).
    internal static void GruFinishPanel(Vector512<float> r, Vector512<float> z, Vector512<float> nx, Vector512<float> nh,
        ref float gx, ref float hiddenCandidate, ref float hPrev, ref float h, int hidden, int unit, bool stepMode)
    {
        StoreGruPanel(Activations.Sigmoid(r), Activations.Sigmoid(z), nx, nh, ref gx, ref hiddenCandidate, ref hPrev, ref h, hidden, unit, stepMode);
    }

    // n = tanh(nx + nh ⊙ r) and h = (hPrev − n) ⊙ z + n from the activated r and z; h stored, and outside a step the
    // gates and nh too, for the backward pass.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreGruPanel(Vector512<float> r, Vector512<float> z, Vector512<float> nx, Vector512<float> nh,
        ref float gx, ref float hiddenCandidate, ref float hPrev, ref float h, int hidden, int unit, bool stepMode)
    {
        Vector512<float> n = Activations.Tanh(nx + nh * r);
        Vector512<float> hp = Vector512.LoadUnsafe(ref Unsafe.Add(ref hPrev, unit));
        ((hp - n) * z + n).StoreUnsafe(ref Unsafe.Add(ref h, unit));
        if (stepMode)
            return;
        r.StoreUnsafe(ref Unsafe.Add(ref gx, unit));
        z.StoreUnsafe(ref Unsafe.Add(ref gx, hidden + unit));
        n.StoreUnsafe(ref Unsafe.Add(ref gx, 2 * hidden + unit));
        nh.StoreUnsafe(ref Unsafe.Add(ref hiddenCandidate, unit));
    }

    // The partial last block on a zero-padded copy, [gx 3 × 8 | candidate | hPrev | h].
    [SkipLocalsInit]
    private static void GruFinishPartial(Vector256<float> r, Vector256<float> z, Vector256<float> nx, Vector256<float> nh,
        ref float gx, ref float hiddenCandidate, ref float hPrev, ref float h, int hidden, int unit, bool stepMode)
    {
        int count = hidden - unit;
        Span<float> block = stackalloc float[6 * Lanes];
        block.Clear();
        ref float copy = ref MemoryMarshal.GetReference(block);
        Units(ref hPrev, unit, count).CopyTo(block.Slice(4 * Lanes));
        GruFinish(r, z, nx, nh, ref copy, ref Unsafe.Add(ref copy, 3 * Lanes), ref Unsafe.Add(ref copy, 4 * Lanes), ref Unsafe.Add(ref copy, 5 * Lanes), Lanes, 0, stepMode);
        block.Slice(5 * Lanes, count).CopyTo(Units(ref h, unit, count));
        if (stepMode)
            return;
        for (int q = 0; q < 3; q++)
            block.Slice(q * Lanes, count).CopyTo(Units(ref gx, q * hidden + unit, count));
        block.Slice(3 * Lanes, count).CopyTo(Units(ref hiddenCandidate, unit, count));
    }

    // Rows of x that Project6 multiplies at once: 6 × 2 accumulators, 2 weight vectors and a broadcast fill the 16
    // registers, and twelve independent FMA chains keep both FMA units busy where one row's eight chains wait on latency.
    private const int ProjectRows = 6;

    // Rows of x that Project8Pair multiplies at once where AVX-512 runs: sixteen FMA chains, eight broadcasts per two
    // weight loads, and a sequence of 64 steps in whole groups.
    private const int WideProjectRows = 8;

    // The rows left over from the row groups, one at a time through a whole panel, sixteen lanes wide: each
    // element is the same FMA chain from the bias as in Project6.
    private static void ProjectRowWide(ref float panel, int rowWidth, ref float x, int inputSize, int gateCount, ref float output, int hidden)
    {
        Vector512<float> a0 = Vector512.LoadUnsafe(ref panel), a1 = Vector512.LoadUnsafe(ref panel, PanelUnits), a2 = Vector512.LoadUnsafe(ref panel, 2 * PanelUnits);
        ref float first = ref Unsafe.Add(ref panel, rowWidth);
        if (gateCount == 4)
        {
            Vector512<float> a3 = Vector512.LoadUnsafe(ref panel, 3 * PanelUnits);
            AccumulateWide4(ref first, rowWidth, ref x, inputSize, ref a0, ref a1, ref a2, ref a3);
            a3.StoreUnsafe(ref output, (nuint)(3 * hidden));
        }
        else
        {
            AccumulateWide3(ref first, rowWidth, ref x, inputSize, ref a0, ref a1, ref a2);
        }
        a0.StoreUnsafe(ref output);
        a1.StoreUnsafe(ref output, (nuint)hidden);
        a2.StoreUnsafe(ref output, (nuint)(2 * hidden));
    }

    // Six rows of one gate's 16 units of a panel: output[r] = bias + Σ_k x[r][k] · weights[k], each element one FMA
    // chain in k order from the bias, exactly as the one-row path (1.8× faster on the H=128 LSTM's projection).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Project6(ref float weights, nint weightStride, ref float x, nint xStride, int count, ref float bias, ref float output, nint outputStride)
    {
        Vector256<float> b0 = Vector256.LoadUnsafe(ref bias), b1 = Vector256.LoadUnsafe(ref bias, 8);
        Vector256<float> c00 = b0, c01 = b1, c10 = b0, c11 = b1, c20 = b0, c21 = b1, c30 = b0, c31 = b1, c40 = b0, c41 = b1, c50 = b0, c51 = b1;
        ref float x0 = ref x;
        ref float x1 = ref Unsafe.Add(ref x, xStride);
        ref float x2 = ref Unsafe.Add(ref x, 2 * xStride);
        ref float x3 = ref Unsafe.Add(ref x, 3 * xStride);
        ref float x4 = ref Unsafe.Add(ref x, 4 * xStride);
        ref float x5 = ref Unsafe.Add(ref x, 5 * xStride);
        for (int k = 0; k < count; k++)
        {
            Vector256<float> w0 = Vector256.LoadUnsafe(ref weights), w1 = Vector256.LoadUnsafe(ref weights, 8);
            Vector256<float> v = Vector256.Create(Unsafe.Add(ref x0, k));
            c00 = Fma.MultiplyAdd(v, w0, c00);
            c01 = Fma.MultiplyAdd(v, w1, c01);
            v = Vector256.Create(Unsafe.Add(ref x1, k));
            c10 = Fma.MultiplyAdd(v, w0, c10);
            c11 = Fma.MultiplyAdd(v, w1, c11);
            v = Vector256.Create(Unsafe.Add(ref x2, k));
            c20 = Fma.MultiplyAdd(v, w0, c20);
            c21 = Fma.MultiplyAdd(v, w1, c21);
            v = Vector256.Create(Unsafe.Add(ref x3, k));
            c30 = Fma.MultiplyAdd(v, w0, c30);
            c31 = Fma.MultiplyAdd(v, w1, c31);
            v = Vector256.Create(Unsafe.Add(ref x4, k));
            c40 = Fma.MultiplyAdd(v, w0, c40);
            c41 = Fma.MultiplyAdd(v, w1, c41);
            v = Vector256.Create(Unsafe.Add(ref x5, k));
            c50 = Fma.MultiplyAdd(v, w0, c50);
            c51 = Fma.MultiplyAdd(v, w1, c51);
            weights = ref Unsafe.Add(ref weights, weightStride);
        }
        c00.StoreUnsafe(ref output);
        c01.StoreUnsafe(ref output, 8);
        output = ref Unsafe.Add(ref output, outputStride);
        c10.StoreUnsafe(ref output);
        c11.StoreUnsafe(ref output, 8);
        output = ref Unsafe.Add(ref output, outputStride);
        c20.StoreUnsafe(ref output);
        c21.StoreUnsafe(ref output, 8);
        output = ref Unsafe.Add(ref output, outputStride);
        c30.StoreUnsafe(ref output);
        c31.StoreUnsafe(ref output, 8);
        output = ref Unsafe.Add(ref output, outputStride);
        c40.StoreUnsafe(ref output);
        c41.StoreUnsafe(ref output, 8);
        output = ref Unsafe.Add(ref output, outputStride);
        c50.StoreUnsafe(ref output);
        c51.StoreUnsafe(ref output, 8);
    }

    // Project6 for two adjacent gates on AVX-512: a gate's 16 units are one Vector512, so the six rows keep twelve FMA
    // chains while two weight loads feed twelve FMAs of twice the width. Every element is the same chain as in Project6.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Project6Pair(ref float weights, nint weightStride, ref float x, nint xStride, int count, ref float bias, ref float output,
        nint outputStride, nint gateOffset)
    {
        Vector512<float> b0 = Vector512.LoadUnsafe(ref bias), b1 = Vector512.LoadUnsafe(ref bias, PanelUnits);
        Vector512<float> c00 = b0, c01 = b1, c10 = b0, c11 = b1, c20 = b0, c21 = b1, c30 = b0, c31 = b1, c40 = b0, c41 = b1, c50 = b0, c51 = b1;
        ref float x0 = ref x;
        ref float x1 = ref Unsafe.Add(ref x, xStride);
        ref float x2 = ref Unsafe.Add(ref x, 2 * xStride);
        ref float x3 = ref Unsafe.Add(ref x, 3 * xStride);
        ref float x4 = ref Unsafe.Add(ref x, 4 * xStride);
        ref float x5 = ref Unsafe.Add(ref x, 5 * xStride);
        for (int k = 0; k < count; k++)
        {
            Vector512<float> w0 = Vector512.LoadUnsafe(ref weights), w1 = Vector512.LoadUnsafe(ref weights, PanelUnits);
            Vector512<float> v = Vector512.Create(Unsafe.Add(ref x0, k));
            c00 = Avx512F.FusedMultiplyAdd(v, w0, c00);
            c01 = Avx512F.FusedMultiplyAdd(v, w1, c01);
            v = Vector512.Create(Unsafe.Add(ref x1, k));
            c10 = Avx512F.FusedMultiplyAdd(v, w0, c10);
            c11 = Avx512F.FusedMultiplyAdd(v, w1, c11);
            v = Vector512.Create(Unsafe.Add(ref x2, k));
            c20 = Avx512F.FusedMultiplyAdd(v, w0, c20);
            c21 = Avx512F.FusedMultiplyAdd(v, w1, c21);
            v = Vector512.Create(Unsafe.Add(ref x3, k));
            c30 = Avx512F.FusedMultiplyAdd(v, w0, c30);
            c31 = Avx512F.FusedMultiplyAdd(v, w1, c31);
            v = Vector512.Create(Unsafe.Add(ref x4, k));
            c40 = Avx512F.FusedMultiplyAdd(v, w0, c40);
            c41 = Avx512F.FusedMultiplyAdd(v, w1, c41);
            v = Vector512.Create(Unsafe.Add(ref x5, k));
            c50 = Avx512F.FusedMultiplyAdd(v, w0, c50);
            c51 = Avx512F.FusedMultiplyAdd(v, w1, c51);
            weights = ref Unsafe.Add(ref weights, weightStride);
        }
        c00.StoreUnsafe(ref output);
        c01.StoreUnsafe(ref output, (nuint)gateOffset);
        output = ref Unsafe.Add(ref output, outputStride);
        c10.StoreUnsafe(ref output);
        c11.StoreUnsafe(ref output, (nuint)gateOffset);
        output = ref Unsafe.Add(ref output, outputStride);
        c20.StoreUnsafe(ref output);
        c21.StoreUnsafe(ref output, (nuint)gateOffset);
        output = ref Unsafe.Add(ref output, outputStride);
        c30.StoreUnsafe(ref output);
        c31.StoreUnsafe(ref output, (nuint)gateOffset);
        output = ref Unsafe.Add(ref output, outputStride);
        c40.StoreUnsafe(ref output);
        c41.StoreUnsafe(ref output, (nuint)gateOffset);
        output = ref Unsafe.Add(ref output, outputStride);
        c50.StoreUnsafe(ref output);
        c51.StoreUnsafe(ref output, (nuint)gateOffset);
    }

    // Project6Pair for eight rows (a GRU's third gate takes Project8Wide): with sixteen chains the FMAs outweigh the
    // loads and the call more, and T = 64 leaves no rows for the one-row path. Every element is the same chain as in Project6.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Project8Pair(ref float weights, nint weightStride, ref float x, nint xStride, int count, ref float bias, ref float output,
        nint outputStride, nint gateOffset)
    {
        Vector512<float> b0 = Vector512.LoadUnsafe(ref bias), b1 = Vector512.LoadUnsafe(ref bias, PanelUnits);
        Vector512<float> c00 = b0, c01 = b1, c10 = b0, c11 = b1, c20 = b0, c21 = b1, c30 = b0, c31 = b1;
        Vector512<float> c40 = b0, c41 = b1, c50 = b0, c51 = b1, c60 = b0, c61 = b1, c70 = b0, c71 = b1;
        ref float x0 = ref x;
        ref float x1 = ref Unsafe.Add(ref x, xStride);
        ref float x2 = ref Unsafe.Add(ref x, 2 * xStride);
        ref float x3 = ref Unsafe.Add(ref x, 3 * xStride);
        ref float x4 = ref Unsafe.Add(ref x, 4 * xStride);
        ref float x5 = ref Unsafe.Add(ref x, 5 * xStride);
        ref float x6 = ref Unsafe.Add(ref x, 6 * xStride);
        ref float x7 = ref Unsafe.Add(ref x, 7 * xStride);
        for (int k = 0; k < count; k++)
        {
            Vector512<float> w0 = Vector512.LoadUnsafe(ref weights), w1 = Vector512.LoadUnsafe(ref weights, PanelUnits);
            Vector512<float> v = Vector512.Create(Unsafe.Add(ref x0, k));
            c00 = Avx512F.FusedMultiplyAdd(v, w0, c00);
            c01 = Avx512F.FusedMultiplyAdd(v, w1, c01);
            v = Vector512.Create(Unsafe.Add(ref x1, k));
            c10 = Avx512F.FusedMultiplyAdd(v, w0, c10);
            c11 = Avx512F.FusedMultiplyAdd(v, w1, c11);
            v = Vector512.Create(Unsafe.Add(ref x2, k));
            c20 = Avx512F.FusedMultiplyAdd(v, w0, c20);
            c21 = Avx512F.FusedMultiplyAdd(v, w1, c21);
            v = Vector512.Create(Unsafe.Add(ref x3, k));
            c30 = Avx512F.FusedMultiplyAdd(v, w0, c30);
            c31 = Avx512F.FusedMultiplyAdd(v, w1, c31);
            v = Vector512.Create(Unsafe.Add(ref x4, k));
            c40 = Avx512F.FusedMultiplyAdd(v, w0, c40);
            c41 = Avx512F.FusedMultiplyAdd(v, w1, c41);
            v = Vector512.Create(Unsafe.Add(ref x5, k));
            c50 = Avx512F.FusedMultiplyAdd(v, w0, c50);
            c51 = Avx512F.FusedMultiplyAdd(v, w1, c51);
            v = Vector512.Create(Unsafe.Add(ref x6, k));
            c60 = Avx512F.FusedMultiplyAdd(v, w0, c60);
            c61 = Avx512F.FusedMultiplyAdd(v, w1, c61);
            v = Vector512.Create(Unsafe.Add(ref x7, k));
            c70 = Avx512F.FusedMultiplyAdd(v, w0, c70);
            c71 = Avx512F.FusedMultiplyAdd(v, w1, c71);
            weights = ref Unsafe.Add(ref weights, weightStride);
        }
        c00.StoreUnsafe(ref output);
        c01.StoreUnsafe(ref output, (nuint)gateOffset);
        output = ref Unsafe.Add(ref output, outputStride);
        c10.StoreUnsafe(ref output);
        c11.StoreUnsafe(ref output, (nuint)gateOffset);
        output = ref Unsafe.Add(ref output, outputStride);
        c20.StoreUnsafe(ref output);
        c21.StoreUnsafe(ref output, (nuint)gateOffset);
        output = ref Unsafe.Add(ref output, outputStride);
        c30.StoreUnsafe(ref output);
        c31.StoreUnsafe(ref output, (nuint)gateOffset);
        output = ref Unsafe.Add(ref output, outputStride);
        c40.StoreUnsafe(ref output);
        c41.StoreUnsafe(ref output, (nuint)gateOffset);
        output = ref Unsafe.Add(ref output, outputStride);
        c50.StoreUnsafe(ref output);
        c51.StoreUnsafe(ref output, (nuint)gateOffset);
        output = ref Unsafe.Add(ref output, outputStride);
        c60.StoreUnsafe(ref output);
        c61.StoreUnsafe(ref output, (nuint)gateOffset);
        output = ref Unsafe.Add(ref output, outputStride);
        c70.StoreUnsafe(ref output);
        c71.StoreUnsafe(ref output, (nuint)gateOffset);
    }

    // Project8Pair for one gate (the GRU's third): eight rows of sixteen units, eight FMA chains fed by one weight load.
    // Before it, that gate ran six rows at a time in 256-bit halves, and the GRU H=128 sequence was 2-6% slower
    // (alternating in one process). Every element is the same chain as in Project6.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Project8Wide(ref float weights, nint weightStride, ref float x, nint xStride, int count, ref float bias, ref float output,
        nint outputStride)
    {
        Vector512<float> b = Vector512.LoadUnsafe(ref bias);
        Vector512<float> c0 = b, c1 = b, c2 = b, c3 = b, c4 = b, c5 = b, c6 = b, c7 = b;
        ref float x0 = ref x;
        ref float x1 = ref Unsafe.Add(ref x, xStride);
        ref float x2 = ref Unsafe.Add(ref x, 2 * xStride);
        ref float x3 = ref Unsafe.Add(ref x, 3 * xStride);
        ref float x4 = ref Unsafe.Add(ref x, 4 * xStride);
        ref float x5 = ref Unsafe.Add(ref x, 5 * xStride);
        ref float x6 = ref Unsafe.Add(ref x, 6 * xStride);
        ref float x7 = ref Unsafe.Add(ref x, 7 * xStride);
        for (int k = 0; k < count; k++)
        {
            Vector512<float> w = Vector512.LoadUnsafe(ref weights);
            c0 = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x0, k)), w, c0);
            c1 = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x1, k)), w, c1);
            c2 = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x2, k)), w, c2);
            c3 = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x3, k)), w, c3);
            c4 = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x4, k)), w, c4);
            c5 = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x5, k)), w, c5);
            c6 = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x6, k)), w, c6);
            c7 = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x7, k)), w, c7);
            weights = ref Unsafe.Add(ref weights, weightStride);
        }
        c0.StoreUnsafe(ref output);
        c1.StoreUnsafe(ref Unsafe.Add(ref output, outputStride));
        c2.StoreUnsafe(ref Unsafe.Add(ref output, 2 * outputStride));
        c3.StoreUnsafe(ref Unsafe.Add(ref output, 3 * outputStride));
        c4.StoreUnsafe(ref Unsafe.Add(ref output, 4 * outputStride));
        c5.StoreUnsafe(ref Unsafe.Add(ref output, 5 * outputStride));
        c6.StoreUnsafe(ref Unsafe.Add(ref output, 6 * outputStride));
        c7.StoreUnsafe(ref Unsafe.Add(ref output, 7 * outputStride));
    }

    // The row loops live in their own methods so that the accumulators are locals with no call in their live range:
    // inline in the panel loop, the JIT kept them across the cell's calls and spilled half of them on every row.
    // Each row is `width` consecutive floats; one element of `vector` is broadcast into all of it.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Accumulate8(ref float rows, nint width, ref float vector, int count,
        ref Vector256<float> acc0, ref Vector256<float> acc1, ref Vector256<float> acc2, ref Vector256<float> acc3,
        ref Vector256<float> acc4, ref Vector256<float> acc5, ref Vector256<float> acc6, ref Vector256<float> acc7)
    {
        Vector256<float> a0 = acc0, a1 = acc1, a2 = acc2, a3 = acc3, a4 = acc4, a5 = acc5, a6 = acc6, a7 = acc7;
        for (int k = 0; k < count; k++)
        {
            Vector256<float> v = Vector256.Create(Unsafe.Add(ref vector, k));
            a0 = Fma.MultiplyAdd(v, Vector256.LoadUnsafe(ref rows), a0);
            a1 = Fma.MultiplyAdd(v, Vector256.LoadUnsafe(ref rows, 8), a1);
            a2 = Fma.MultiplyAdd(v, Vector256.LoadUnsafe(ref rows, 16), a2);
            a3 = Fma.MultiplyAdd(v, Vector256.LoadUnsafe(ref rows, 24), a3);
            a4 = Fma.MultiplyAdd(v, Vector256.LoadUnsafe(ref rows, 32), a4);
            a5 = Fma.MultiplyAdd(v, Vector256.LoadUnsafe(ref rows, 40), a5);
            a6 = Fma.MultiplyAdd(v, Vector256.LoadUnsafe(ref rows, 48), a6);
            a7 = Fma.MultiplyAdd(v, Vector256.LoadUnsafe(ref rows, 56), a7);
            rows = ref Unsafe.Add(ref rows, width);
        }
        acc0 = a0; acc1 = a1; acc2 = a2; acc3 = a3; acc4 = a4; acc5 = a5; acc6 = a6; acc7 = a7;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Accumulate6(ref float rows, nint width, ref float vector, int count,
        ref Vector256<float> acc0, ref Vector256<float> acc1, ref Vector256<float> acc2, ref Vector256<float> acc3,
        ref Vector256<float> acc4, ref Vector256<float> acc5)
    {
        Vector256<float> a0 = acc0, a1 = acc1, a2 = acc2, a3 = acc3, a4 = acc4, a5 = acc5;
        for (int k = 0; k < count; k++)
        {
            Vector256<float> v = Vector256.Create(Unsafe.Add(ref vector, k));
            a0 = Fma.MultiplyAdd(v, Vector256.LoadUnsafe(ref rows), a0);
            a1 = Fma.MultiplyAdd(v, Vector256.LoadUnsafe(ref rows, 8), a1);
            a2 = Fma.MultiplyAdd(v, Vector256.LoadUnsafe(ref rows, 16), a2);
            a3 = Fma.MultiplyAdd(v, Vector256.LoadUnsafe(ref rows, 24), a3);
            a4 = Fma.MultiplyAdd(v, Vector256.LoadUnsafe(ref rows, 32), a4);
            a5 = Fma.MultiplyAdd(v, Vector256.LoadUnsafe(ref rows, 40), a5);
            rows = ref Unsafe.Add(ref rows, width);
        }
        acc0 = a0; acc1 = a1; acc2 = a2; acc3 = a3; acc4 = a4; acc5 = a5;
    }

    // Accumulate8 sixteen lanes wide: a whole LSTM panel row, one gate per Vector512.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AccumulateWide4(ref float rows, nint width, ref float vector, int count,
        ref Vector512<float> acc0, ref Vector512<float> acc1, ref Vector512<float> acc2, ref Vector512<float> acc3)
    {
        Vector512<float> a0 = acc0, a1 = acc1, a2 = acc2, a3 = acc3;
        for (int k = 0; k < count; k++)
        {
            Vector512<float> v = Vector512.Create(Unsafe.Add(ref vector, k));
            a0 = Avx512F.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref rows), a0);
            a1 = Avx512F.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref rows, PanelUnits), a1);
            a2 = Avx512F.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref rows, 2 * PanelUnits), a2);
            a3 = Avx512F.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref rows, 3 * PanelUnits), a3);
            rows = ref Unsafe.Add(ref rows, width);
        }
        acc0 = a0; acc1 = a1; acc2 = a2; acc3 = a3;
    }

    // Accumulate6 sixteen lanes wide: a whole GRU panel row.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AccumulateWide3(ref float rows, nint width, ref float vector, int count,
        ref Vector512<float> acc0, ref Vector512<float> acc1, ref Vector512<float> acc2)
    {
        Vector512<float> a0 = acc0, a1 = acc1, a2 = acc2;
        for (int k = 0; k < count; k++)
        {
            Vector512<float> v = Vector512.Create(Unsafe.Add(ref vector, k));
            a0 = Avx512F.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref rows), a0);
            a1 = Avx512F.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref rows, PanelUnits), a1);
            a2 = Avx512F.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref rows, 2 * PanelUnits), a2);
            rows = ref Unsafe.Add(ref rows, width);
        }
        acc0 = a0; acc1 = a1; acc2 = a2;
    }

    // Units past the hidden size (a partial last block) read as zero; available ≤ 0 means the whole block is padding.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> LoadUnits(ref float source, int available)
    {
        if (available >= Lanes)
            return Vector256.LoadUnsafe(ref source);
        return LoadPartial(ref source, available);
    }

    [SkipLocalsInit]
    private static Vector256<float> LoadPartial(ref float source, int available)
    {
        Span<float> lanes = stackalloc float[Lanes];
        lanes.Clear();
        if (available > 0)
            MemoryMarshal.CreateReadOnlySpan(ref source, available).CopyTo(lanes);
        return Vector256.Create<float>(lanes);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreUnits(Vector256<float> value, ref float target, int count)
    {
        if (count >= Lanes)
            value.StoreUnsafe(ref target);
        else
            StorePartial(value, ref target, count);
    }

    [SkipLocalsInit]
    private static void StorePartial(Vector256<float> value, ref float target, int count)
    {
        Span<float> lanes = stackalloc float[Lanes];
        value.CopyTo(lanes);
        lanes.Slice(0, count).CopyTo(MemoryMarshal.CreateSpan(ref target, count));
    }

    // The packed layout read one element at a time, for machines without AVX2 and FMA.
    private static float Packed(ReadOnlySpan<float> packed, int gateCount, int columns, int row, int gate, int unit)
    {
        int panel = unit / PanelUnits;
        int rowWidth = gateCount * PanelUnits;
        return packed[panel * (columns + 1) * rowWidth + row * rowWidth + gate * PanelUnits + unit % PanelUnits];
    }

    private static float PackedProduct(ReadOnlySpan<float> packed, int gateCount, int columns, int gate, int unit, ReadOnlySpan<float> vector)
    {
        float sum = 0f;
        for (int k = 0; k < columns; k++)
            sum += vector[k] * Packed(packed, gateCount, columns, k + 1, gate, unit);
        return sum;
    }

    internal static void ProjectInputsPortable(ReadOnlySpan<float> packedIh, ReadOnlySpan<float> x, Span<float> gates, int rows, int gateCount, int hidden, int inputSize)
    {
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> xr = x.Slice(r * inputSize, inputSize);
            for (int q = 0; q < gateCount; q++)
            {
                for (int u = 0; u < hidden; u++)
                    gates[(r * gateCount + q) * hidden + u] = Packed(packedIh, gateCount, inputSize, 0, q, u) + PackedProduct(packedIh, gateCount, inputSize, q, u, xr);
            }
        }
    }

    internal static void LstmPortable(ReadOnlySpan<float> packedIh, ReadOnlySpan<float> x, Span<float> gates, ReadOnlySpan<float> packedHh,
        ReadOnlySpan<float> hPrev, ReadOnlySpan<float> cPrev, Span<float> c, Span<float> h, int hidden, int inputSize, int recurrentSize)
    {
        bool stepMode = gates.IsEmpty;
        Span<float> a = stackalloc float[4];
        for (int u = 0; u < hidden; u++)
        {
            for (int q = 0; q < 4; q++)
            {
                float pre = stepMode
                    ? Packed(packedIh, 4, inputSize, 0, q, u) + PackedProduct(packedIh, 4, inputSize, q, u, x)
                    : gates[q * hidden + u];
                a[q] = pre + Packed(packedHh, 4, recurrentSize, 0, q, u) + PackedProduct(packedHh, 4, recurrentSize, q, u, hPrev);
            }
            float i = Activations.Sigmoid(a[0]), f = Activations.Sigmoid(a[1]), g = MathF.Tanh(a[2]), o = Activations.Sigmoid(a[3]);
            float cv = f * cPrev[u] + i * g;
            c[u] = cv;
            h[u] = o * MathF.Tanh(cv);
            if (stepMode)
                continue;
            gates[u] = i;
            gates[hidden + u] = f;
            gates[2 * hidden + u] = g;
            gates[3 * hidden + u] = o;
        }
    }

    internal static void GruPortable(ReadOnlySpan<float> packedIh, ReadOnlySpan<float> x, Span<float> gx, Span<float> hiddenCandidate,
        ReadOnlySpan<float> packedHh, ReadOnlySpan<float> hPrev, Span<float> h, int hidden, int inputSize)
    {
        bool stepMode = gx.IsEmpty;
        Span<float> inputPart = stackalloc float[3];
        Span<float> hiddenPart = stackalloc float[3];
        for (int u = 0; u < hidden; u++)
        {
            for (int q = 0; q < 3; q++)
            {
                inputPart[q] = stepMode
                    ? Packed(packedIh, 3, inputSize, 0, q, u) + PackedProduct(packedIh, 3, inputSize, q, u, x)
                    : gx[q * hidden + u];
                hiddenPart[q] = Packed(packedHh, 3, hidden, 0, q, u) + PackedProduct(packedHh, 3, hidden, q, u, hPrev);
            }
            float r = Activations.Sigmoid(inputPart[0] + hiddenPart[0]);
            float z = Activations.Sigmoid(inputPart[1] + hiddenPart[1]);
            float nh = hiddenPart[2];
            float n = MathF.Tanh(inputPart[2] + nh * r);
            h[u] = (hPrev[u] - n) * z + n;
            if (stepMode)
                continue;
            gx[u] = r;
            gx[hidden + u] = z;
            gx[2 * hidden + u] = n;
            hiddenCandidate[u] = nh;
        }
    }
}
