using System;
using System.ComponentModel;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace RnnGen.Kernels;

/// <summary>
/// Gate math of a PyTorch LSTM cell, gate order <c>i, f, g, o</c>. A gate row is <c>[i | f | g | o]</c>, each
/// <c>hidden</c> wide; states are <c>batch × hidden</c>. The matrix products around the cell live in <see cref="Gemm"/>.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public static class LstmCell
{
    /// <summary>
    /// Activates the gates and advances the state: <c>i, f, o = σ(·)</c>, <c>g = tanh(·)</c>,
    /// <c>c = f ⊙ cPrev + i ⊙ g</c>, <c>h = o ⊙ tanh(c)</c>.
    /// </summary>
    /// <param name="gates"><c>batch × 4·hidden</c> pre-activations on entry; the activations <c>[σ(i) | σ(f) | tanh(g) | σ(o)]</c> on exit.</param>
    /// <param name="cPrev">Previous cell state, <c>batch × hidden</c>.</param>
    /// <param name="c">Receives the new cell state, <c>batch × hidden</c>. It may be <paramref name="cPrev"/> itself.</param>
    /// <param name="h">Receives the new hidden state, <c>batch × hidden</c>.</param>
    /// <param name="batch">Number of rows.</param>
    /// <param name="hidden">Hidden size <c>H</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> or <paramref name="hidden"/> is negative.</exception>
    /// <exception cref="ArgumentException">A span's length does not match its shape.</exception>
    public static void Forward(Span<float> gates, ReadOnlySpan<float> cPrev, Span<float> c, Span<float> h, int batch, int hidden)
    {
        KernelGuard.NonNegative(batch, nameof(batch));
        KernelGuard.NonNegative(hidden, nameof(hidden));
        long state = (long)batch * hidden;
        KernelGuard.Length(gates.Length, 4 * state, "batch × 4·hidden", nameof(gates));
        KernelGuard.Length(cPrev.Length, state, "batch × hidden", nameof(cPrev));
        KernelGuard.Length(c.Length, state, "batch × hidden", nameof(c));
        KernelGuard.Length(h.Length, state, "batch × hidden", nameof(h));

        if (Activations.IsSupported)
        {
            if (!TryParallel(forward: true, gates, cPrev, c, h, default, batch, hidden))
                ForwardRows(gates, cPrev, c, h, hidden, 0, batch);
            return;
        }
        for (int b = 0; b < batch; b++)
        {
            Span<float> row = gates.Slice(4 * hidden * b, 4 * hidden);
            Span<float> inputForget = row.Slice(0, 2 * hidden);
            Span<float> cell = row.Slice(2 * hidden, hidden);
            Span<float> output = row.Slice(3 * hidden, hidden);
            TensorPrimitives.Sigmoid(inputForget, inputForget);
            TensorPrimitives.Tanh(cell, cell);
            TensorPrimitives.Sigmoid(output, output);

            Span<float> cRow = c.Slice(hidden * b, hidden);
            Span<float> hRow = h.Slice(hidden * b, hidden);
            UpdateCell(row, cPrev.Slice(hidden * b, hidden), cRow, hidden);
            TensorPrimitives.Tanh(cRow, hRow);
            TensorPrimitives.Multiply(hRow, output, hRow);
        }
    }

    /// <summary>
    /// Back-propagates one step through the gate math. With <c>tc = tanh(c)</c>:
    /// <c>dc = dC + dH ⊙ o ⊙ (1 − tc²)</c>, <c>di = dc ⊙ g ⊙ i(1 − i)</c>, <c>df = dc ⊙ cPrev ⊙ f(1 − f)</c>,
    /// <c>dg = dc ⊙ i ⊙ (1 − g²)</c>, <c>do = dH ⊙ tc ⊙ o(1 − o)</c>, and <c>dC ← dc ⊙ f</c>.
    /// </summary>
    /// <param name="gates">Activations written by <see cref="Forward"/>, <c>batch × 4·hidden</c>.</param>
    /// <param name="cPrev">Cell state before the step, <c>batch × hidden</c>.</param>
    /// <param name="c">Cell state after the step, <c>batch × hidden</c>.</param>
    /// <param name="dH">Gradient with respect to the step's hidden output, <c>batch × hidden</c>.</param>
    /// <param name="dC">On entry, the gradient reaching <c>c</c> from later steps (already multiplied by their forget gate);
    /// on exit, the gradient with respect to <paramref name="cPrev"/> through this step, <c>dc ⊙ f</c>.</param>
    /// <param name="dGates">Receives the gradient with respect to the gate pre-activations, <c>batch × 4·hidden</c>.
    /// It may be <paramref name="gates"/> itself, overwriting the activations in place (each unit's four gates are read
    /// before its four gradients are written), but must not overlap it otherwise.</param>
    /// <param name="batch">Number of rows.</param>
    /// <param name="hidden">Hidden size <c>H</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> or <paramref name="hidden"/> is negative.</exception>
    /// <exception cref="ArgumentException">A span's length does not match its shape, or <paramref name="dGates"/> overlaps <paramref name="gates"/> without being it.</exception>
    public static void Backward(ReadOnlySpan<float> gates, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> c, ReadOnlySpan<float> dH, Span<float> dC, Span<float> dGates, int batch, int hidden)
    {
        KernelGuard.NonNegative(batch, nameof(batch));
        KernelGuard.NonNegative(hidden, nameof(hidden));
        long state = (long)batch * hidden;
        KernelGuard.Length(gates.Length, 4 * state, "batch × 4·hidden", nameof(gates));
        KernelGuard.Length(cPrev.Length, state, "batch × hidden", nameof(cPrev));
        KernelGuard.Length(c.Length, state, "batch × hidden", nameof(c));
        KernelGuard.Length(dH.Length, state, "batch × hidden", nameof(dH));
        KernelGuard.Length(dC.Length, state, "batch × hidden", nameof(dC));
        KernelGuard.Length(dGates.Length, 4 * state, "batch × 4·hidden", nameof(dGates));
        if (gates.Overlaps(dGates, out int offset) && offset != 0)
            throw new ArgumentException($"'{nameof(dGates)}' must be '{nameof(gates)}' itself or not overlap it.", nameof(dGates));

        if (!TryParallel(forward: false, gates, cPrev, c, dH, dGates, batch, hidden, dC))
            BackwardRows(gates, cPrev, c, dH, dC, dGates, hidden, 0, batch);
    }

    private static void ForwardRows(Span<float> gates, ReadOnlySpan<float> cPrev, Span<float> c, Span<float> h, int hidden, int start, int end)
    {
        for (int b = start; b < end; b++)
            ForwardRowFused(gates.Slice(4 * hidden * b, 4 * hidden), cPrev.Slice(hidden * b, hidden), c.Slice(hidden * b, hidden), h.Slice(hidden * b, hidden), hidden);
    }

    private static void BackwardRows(ReadOnlySpan<float> gates, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> c, ReadOnlySpan<float> dH, Span<float> dC, Span<float> dGates, int hidden, int start, int end)
    {
        for (int b = start; b < end; b++)
        {
            ReadOnlySpan<float> gateRow = gates.Slice(4 * hidden * b, 4 * hidden), cPrevRow = cPrev.Slice(hidden * b, hidden), cRow = c.Slice(hidden * b, hidden);
            ReadOnlySpan<float> dhRow = dH.Slice(hidden * b, hidden);
            Span<float> dcRow = dC.Slice(hidden * b, hidden), dRow = dGates.Slice(4 * hidden * b, 4 * hidden);
            if (Activations.IsSupported)
                BackwardRow(gateRow, cPrevRow, cRow, dhRow, dcRow, dRow, hidden);
            else
                BackwardRowPortable(gateRow, cPrevRow, cRow, dhRow, dcRow, dRow, hidden);
        }
    }

    // Units per call of the library tanh in BackwardRowPortable: its buffer lives on the stack.
    private const int PortableChunk = 1024;

    // Without the vector activations, tanh(c) comes from the same library call as the forward pass's, into a buffer on
    // the stack (dGates may be the gates themselves, so no part of it is free). Calls of fewer than PortableChunk units
    // only cover a whole row: the last chunk of a longer row starts PortableChunk units from its end, so that each
    // unit's tanh comes from a call as wide as the forward pass's vectors (a short call may take the library's scalar
    // path), and the units it repeats are skipped.
    private static void BackwardRowPortable(ReadOnlySpan<float> gates, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> c, ReadOnlySpan<float> dH, Span<float> dC, Span<float> dGates, int hidden)
    {
        Span<float> tanhC = stackalloc float[Math.Min(hidden, PortableChunk)];
        for (int done = 0; done < hidden;)
        {
            int first = Math.Min(done, hidden - tanhC.Length);
            TensorPrimitives.Tanh(c.Slice(first, tanhC.Length), tanhC);
            for (int j = done; j < first + tanhC.Length; j++)
                BackwardUnit(gates, cPrev, dH, dC, dGates, hidden, j, tanhC[j - first]);
            done = first + tanhC.Length;
        }
    }

    // Rows are independent, so bands of rows on several threads give exactly the single-threaded result. The spans are
    // pinned for the call, which blocks until every part is done. Forward passes (gates, cPrev, c, h); backward passes
    // (gates, cPrev, c, dH, dGates) and dC.
    private static unsafe bool TryParallel(bool forward, ReadOnlySpan<float> gates, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> c,
        ReadOnlySpan<float> fourth, ReadOnlySpan<float> dGates, int batch, int hidden, ReadOnlySpan<float> dC = default)
    {
        fixed (float* pg = gates, pp = cPrev, pc = c, p4 = fourth, pd = dGates, pdc = dC)
        {
            var job = new CellJob { Forward = forward, Gates = pg, CPrev = pp, C = pc, Fourth = p4, DGates = pd, DC = pdc, Batch = batch, Hidden = hidden };
            return KernelThreading.TryRunRows(ref job, batch, (long)batch * hidden);
        }
    }

    private unsafe struct CellJob : KernelThreading.IRowJob
    {
        public bool Forward;
        public float* Gates, CPrev, C, Fourth, DGates, DC;
        public int Batch, Hidden;

        public readonly void RunRows(int start, int end)
        {
            int state = Batch * Hidden;
            if (Forward)
                ForwardRows(new Span<float>(Gates, 4 * state), new ReadOnlySpan<float>(CPrev, state), new Span<float>(C, state), new Span<float>(Fourth, state), Hidden, start, end);
            else
                BackwardRows(new ReadOnlySpan<float>(Gates, 4 * state), new ReadOnlySpan<float>(CPrev, state), new ReadOnlySpan<float>(C, state),
                    new ReadOnlySpan<float>(Fourth, state), new Span<float>(DC, state), new Span<float>(DGates, 4 * state), Hidden, start, end);
        }
    }

    // One pass over the row: each element's four gates are activated, c and h updated, while all of it is in registers.
    // Sixteen units at a time where AVX-512 runs (the 64-step B=32 H=256 forward cells 5.9 -> 3.7 ms alternating in one
    // process), bit-identical to the eight-unit loop that finishes the row.
    // c = f ⊙ cPrev + i ⊙ g is left unfused, like PyTorch's (f * cx).add_(i * g).
    private static void ForwardRowFused(Span<float> gates, ReadOnlySpan<float> cPrev, Span<float> c, Span<float> h, int hidden)
    {
        ref float i = ref MemoryMarshal.GetReference(gates);
        ref float f = ref Unsafe.Add(ref i, hidden);
        ref float g = ref Unsafe.Add(ref i, 2 * hidden);
        ref float o = ref Unsafe.Add(ref i, 3 * hidden);
        ref float cp = ref MemoryMarshal.GetReference(cPrev);
        ref float cc = ref MemoryMarshal.GetReference(c);
        ref float hh = ref MemoryMarshal.GetReference(h);
        int j = 0;
        if (WideVectors.IsAccelerated)
        {
            for (; j <= hidden - Vector512<float>.Count; j += Vector512<float>.Count)
            {
                nuint u = (nuint)j;
                Vector512<float> iv = Activations.Sigmoid(Vector512.LoadUnsafe(ref i, u));
                Vector512<float> fv = Activations.Sigmoid(Vector512.LoadUnsafe(ref f, u));
                Vector512<float> gv = Activations.Tanh(Vector512.LoadUnsafe(ref g, u));
                Vector512<float> ov = Activations.Sigmoid(Vector512.LoadUnsafe(ref o, u));
                Vector512<float> cv = fv * Vector512.LoadUnsafe(ref cp, u) + iv * gv;
                iv.StoreUnsafe(ref i, u);
                fv.StoreUnsafe(ref f, u);
                gv.StoreUnsafe(ref g, u);
                ov.StoreUnsafe(ref o, u);
                cv.StoreUnsafe(ref cc, u);
                (ov * Activations.Tanh(cv)).StoreUnsafe(ref hh, u);
            }
        }
        for (; j <= hidden - Vector256<float>.Count; j += Vector256<float>.Count)
        {
            nuint u = (nuint)j;
            Vector256<float> iv = Activations.Sigmoid(Vector256.LoadUnsafe(ref i, u));
            Vector256<float> fv = Activations.Sigmoid(Vector256.LoadUnsafe(ref f, u));
            Vector256<float> gv = Activations.Tanh(Vector256.LoadUnsafe(ref g, u));
            Vector256<float> ov = Activations.Sigmoid(Vector256.LoadUnsafe(ref o, u));
            Vector256<float> cv = fv * Vector256.LoadUnsafe(ref cp, u) + iv * gv;
            iv.StoreUnsafe(ref i, u);
            fv.StoreUnsafe(ref f, u);
            gv.StoreUnsafe(ref g, u);
            ov.StoreUnsafe(ref o, u);
            cv.StoreUnsafe(ref cc, u);
            (ov * Activations.Tanh(cv)).StoreUnsafe(ref hh, u);
        }
        for (; j < hidden; j++)
        {
            float iv = Activations.Sigmoid(Unsafe.Add(ref i, j)), fv = Activations.Sigmoid(Unsafe.Add(ref f, j));
            float gv = MathF.Tanh(Unsafe.Add(ref g, j)), ov = Activations.Sigmoid(Unsafe.Add(ref o, j));
            float cv = fv * Unsafe.Add(ref cp, j) + iv * gv;
            Unsafe.Add(ref i, j) = iv;
            Unsafe.Add(ref f, j) = fv;
            Unsafe.Add(ref g, j) = gv;
            Unsafe.Add(ref o, j) = ov;
            Unsafe.Add(ref cc, j) = cv;
            Unsafe.Add(ref hh, j) = ov * MathF.Tanh(cv);
        }
    }

    // c = f ⊙ cPrev + i ⊙ g, unfused like PyTorch's (f * cx).add_(i * g).
    private static void UpdateCell(ReadOnlySpan<float> gates, ReadOnlySpan<float> cPrev, Span<float> c, int hidden)
    {
        ref float i = ref MemoryMarshal.GetReference(gates);
        ref float f = ref Unsafe.Add(ref i, hidden);
        ref float g = ref Unsafe.Add(ref i, 2 * hidden);
        ref float cp = ref MemoryMarshal.GetReference(cPrev);
        ref float cc = ref MemoryMarshal.GetReference(c);
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; j <= hidden - Vector256<float>.Count; j += Vector256<float>.Count)
            {
                nuint u = (nuint)j;
                (Vector256.LoadUnsafe(ref f, u) * Vector256.LoadUnsafe(ref cp, u) + Vector256.LoadUnsafe(ref i, u) * Vector256.LoadUnsafe(ref g, u))
                    .StoreUnsafe(ref cc, u);
            }
        }
        for (; j < hidden; j++)
            Unsafe.Add(ref cc, j) = Unsafe.Add(ref f, j) * Unsafe.Add(ref cp, j) + Unsafe.Add(ref i, j) * Unsafe.Add(ref g, j);
    }

    // tanh(c) is recomputed here with the forward pass's own function (the vector activations, MathF on the tail), so
    // the derivative uses exactly the tanh(c) that produced h. Every unit's four gates are loaded before its gradients
    // are stored, so dGates may be the gates themselves.
    private static void BackwardRow(ReadOnlySpan<float> gates, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> c, ReadOnlySpan<float> dH, Span<float> dC, Span<float> dGates, int hidden)
    {
        ref float i = ref MemoryMarshal.GetReference(gates);
        ref float f = ref Unsafe.Add(ref i, hidden);
        ref float g = ref Unsafe.Add(ref i, 2 * hidden);
        ref float o = ref Unsafe.Add(ref i, 3 * hidden);
        ref float di = ref MemoryMarshal.GetReference(dGates);
        ref float df = ref Unsafe.Add(ref di, hidden);
        ref float dg = ref Unsafe.Add(ref di, 2 * hidden);
        ref float dOut = ref Unsafe.Add(ref di, 3 * hidden);
        ref float cp = ref MemoryMarshal.GetReference(cPrev);
        ref float cc = ref MemoryMarshal.GetReference(c);
        ref float dh = ref MemoryMarshal.GetReference(dH);
        ref float dc = ref MemoryMarshal.GetReference(dC);
        int j = 0;
        if (WideVectors.IsAccelerated)
        {
            Vector512<float> one = Vector512<float>.One;
            for (; j <= hidden - Vector512<float>.Count; j += Vector512<float>.Count)
            {
                nuint u = (nuint)j;
                Vector512<float> iv = Vector512.LoadUnsafe(ref i, u), fv = Vector512.LoadUnsafe(ref f, u);
                Vector512<float> gv = Vector512.LoadUnsafe(ref g, u), ov = Vector512.LoadUnsafe(ref o, u);
                Vector512<float> tc = Activations.Tanh(Vector512.LoadUnsafe(ref cc, u)), dhv = Vector512.LoadUnsafe(ref dh, u);
                Vector512<float> dcv = Vector512.LoadUnsafe(ref dc, u) + dhv * ov * (one - tc * tc);
                (dcv * gv * iv * (one - iv)).StoreUnsafe(ref di, u);
                (dcv * Vector512.LoadUnsafe(ref cp, u) * fv * (one - fv)).StoreUnsafe(ref df, u);
                (dcv * iv * (one - gv * gv)).StoreUnsafe(ref dg, u);
                (dhv * tc * ov * (one - ov)).StoreUnsafe(ref dOut, u);
                (dcv * fv).StoreUnsafe(ref dc, u);
            }
        }
        Vector256<float> one256 = Vector256<float>.One;
        for (; j <= hidden - Vector256<float>.Count; j += Vector256<float>.Count)
        {
            nuint u = (nuint)j;
            Vector256<float> iv = Vector256.LoadUnsafe(ref i, u), fv = Vector256.LoadUnsafe(ref f, u);
            Vector256<float> gv = Vector256.LoadUnsafe(ref g, u), ov = Vector256.LoadUnsafe(ref o, u);
            Vector256<float> tc = Activations.Tanh(Vector256.LoadUnsafe(ref cc, u)), dhv = Vector256.LoadUnsafe(ref dh, u);
            Vector256<float> dcv = Vector256.LoadUnsafe(ref dc, u) + dhv * ov * (one256 - tc * tc);
            (dcv * gv * iv * (one256 - iv)).StoreUnsafe(ref di, u);
            (dcv * Vector256.LoadUnsafe(ref cp, u) * fv * (one256 - fv)).StoreUnsafe(ref df, u);
            (dcv * iv * (one256 - gv * gv)).StoreUnsafe(ref dg, u);
            (dhv * tc * ov * (one256 - ov)).StoreUnsafe(ref dOut, u);
            (dcv * fv).StoreUnsafe(ref dc, u);
        }
        for (; j < hidden; j++)
            BackwardUnit(gates, cPrev, dH, dC, dGates, hidden, j, MathF.Tanh(Unsafe.Add(ref cc, j)));
    }

    // Unit j of a row, given tanh(c_j): the vector loops' formulas one lane at a time. The four gates are read before
    // any gradient is written, so dGates may be the gates themselves.
    private static void BackwardUnit(ReadOnlySpan<float> gates, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> dH, Span<float> dC, Span<float> dGates, int hidden, int j, float tc)
    {
        float iv = gates[j], fv = gates[hidden + j], gv = gates[2 * hidden + j], ov = gates[3 * hidden + j];
        float dhv = dH[j];
        float dcv = dC[j] + dhv * ov * (1f - tc * tc);
        dGates[j] = dcv * gv * iv * (1f - iv);
        dGates[hidden + j] = dcv * cPrev[j] * fv * (1f - fv);
        dGates[2 * hidden + j] = dcv * iv * (1f - gv * gv);
        dGates[3 * hidden + j] = dhv * tc * ov * (1f - ov);
        dC[j] = dcv * fv;
    }
}
