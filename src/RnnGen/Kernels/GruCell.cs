using System;
using System.ComponentModel;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace RnnGen.Kernels;

/// <summary>
/// Gate math of a PyTorch GRU cell, gate order <c>r, z, n</c>, with the reset gate applied after the hidden matmul.
/// A gate row is <c>[r | z | n]</c>, each <c>hidden</c> wide; states are <c>batch × hidden</c>.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public static class GruCell
{
    /// <summary>
    /// Activates the gates and advances the state: <c>r = σ(gx_r + gh_r)</c>, <c>z = σ(gx_z + gh_z)</c>,
    /// <c>n = tanh(gx_n + r ⊙ gh_n)</c>, <c>h = (1 − z) ⊙ n + z ⊙ hPrev</c>.
    /// </summary>
    /// <param name="gx"><c>batch × 3·hidden</c>: <c>W_ih x + b_ih</c> on entry, the activations <c>[r | z | n]</c> on exit.</param>
    /// <param name="gh"><c>batch × 3·hidden</c>: <c>W_hh hPrev + b_hh</c>; read only (backward needs <c>gh_n</c>).</param>
    /// <param name="hPrev">Previous hidden state, <c>batch × hidden</c>.</param>
    /// <param name="h">Receives the new hidden state, <c>batch × hidden</c>. It may be <paramref name="hPrev"/> itself.</param>
    /// <param name="batch">Number of rows.</param>
    /// <param name="hidden">Hidden size <c>H</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> or <paramref name="hidden"/> is negative.</exception>
    /// <exception cref="ArgumentException">A span's length does not match its shape.</exception>
    public static void Forward(Span<float> gx, ReadOnlySpan<float> gh, ReadOnlySpan<float> hPrev, Span<float> h, int batch, int hidden)
    {
        KernelGuard.NonNegative(batch, nameof(batch));
        KernelGuard.NonNegative(hidden, nameof(hidden));
        long state = (long)batch * hidden;
        KernelGuard.Length(gx.Length, 3 * state, "batch × 3·hidden", nameof(gx));
        KernelGuard.Length(gh.Length, 3 * state, "batch × 3·hidden", nameof(gh));
        KernelGuard.Length(hPrev.Length, state, "batch × hidden", nameof(hPrev));
        KernelGuard.Length(h.Length, state, "batch × hidden", nameof(h));

        if (Activations.IsSupported)
        {
            if (!TryParallel(forward: true, gx, gh, hPrev, h, default, default, default, batch, hidden))
                ForwardRows(gx, gh, hPrev, h, hidden, 0, batch);
            return;
        }
        for (int b = 0; b < batch; b++)
        {
            Span<float> row = gx.Slice(3 * hidden * b, 3 * hidden);
            ReadOnlySpan<float> hRow = gh.Slice(3 * hidden * b, 3 * hidden);
            Span<float> resetUpdate = row.Slice(0, 2 * hidden);
            Span<float> candidate = row.Slice(2 * hidden, hidden);
            TensorPrimitives.Add(resetUpdate, hRow.Slice(0, 2 * hidden), resetUpdate);
            TensorPrimitives.Sigmoid(resetUpdate, resetUpdate);
            // Unfused, like PyTorch's gx_n.add(gh_n * r).
            TensorPrimitives.MultiplyAdd(hRow.Slice(2 * hidden, hidden), row.Slice(0, hidden), candidate, candidate);
            TensorPrimitives.Tanh(candidate, candidate);
            Blend(row, hPrev.Slice(hidden * b, hidden), h.Slice(hidden * b, hidden), hidden);
        }
    }

    /// <summary>
    /// Back-propagates one step through the gate math: <c>dn = dH ⊙ (1 − z) ⊙ (1 − n²)</c>,
    /// <c>dz = dH ⊙ (hPrev − n) ⊙ z(1 − z)</c>, <c>dr = dn ⊙ gh_n ⊙ r(1 − r)</c>; <c>dGx = [dr | dz | dn]</c>,
    /// <c>dGh = [dr | dz | dn ⊙ r]</c>, and <c>dHPrev += dH ⊙ z</c>.
    /// </summary>
    /// <param name="gates">Activations <c>[r | z | n]</c> written by <see cref="Forward"/>, <c>batch × 3·hidden</c>.</param>
    /// <param name="gh">The <c>W_hh hPrev + b_hh</c> that <see cref="Forward"/> read, <c>batch × 3·hidden</c>.</param>
    /// <param name="hPrev">Hidden state before the step, <c>batch × hidden</c>.</param>
    /// <param name="dH">Gradient with respect to the step's output, <c>batch × hidden</c>.</param>
    /// <param name="dGx">Receives the gradient with respect to <c>W_ih x + b_ih</c>, <c>batch × 3·hidden</c>.</param>
    /// <param name="dGh">Receives the gradient with respect to <c>W_hh hPrev + b_hh</c>, <c>batch × 3·hidden</c>.</param>
    /// <param name="dHPrev">Accumulates the direct path <c>dH ⊙ z</c> of the gradient with respect to <paramref name="hPrev"/>, <c>batch × hidden</c>.</param>
    /// <param name="batch">Number of rows.</param>
    /// <param name="hidden">Hidden size <c>H</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> or <paramref name="hidden"/> is negative.</exception>
    /// <exception cref="ArgumentException">A span's length does not match its shape.</exception>
    public static void Backward(ReadOnlySpan<float> gates, ReadOnlySpan<float> gh, ReadOnlySpan<float> hPrev, ReadOnlySpan<float> dH, Span<float> dGx, Span<float> dGh, Span<float> dHPrev, int batch, int hidden)
    {
        KernelGuard.NonNegative(batch, nameof(batch));
        KernelGuard.NonNegative(hidden, nameof(hidden));
        long state = (long)batch * hidden;
        KernelGuard.Length(gates.Length, 3 * state, "batch × 3·hidden", nameof(gates));
        KernelGuard.Length(gh.Length, 3 * state, "batch × 3·hidden", nameof(gh));
        KernelGuard.Length(hPrev.Length, state, "batch × hidden", nameof(hPrev));
        KernelGuard.Length(dH.Length, state, "batch × hidden", nameof(dH));
        KernelGuard.Length(dGx.Length, 3 * state, "batch × 3·hidden", nameof(dGx));
        KernelGuard.Length(dGh.Length, 3 * state, "batch × 3·hidden", nameof(dGh));
        KernelGuard.Length(dHPrev.Length, state, "batch × hidden", nameof(dHPrev));

        if (!TryParallel(forward: false, gates, gh, hPrev, dH, dGx, dGh, dHPrev, batch, hidden))
            BackwardRows(gates, gh, hPrev, dH, dGx, dGh, dHPrev, hidden, 0, batch);
    }

    private static void ForwardRows(Span<float> gx, ReadOnlySpan<float> gh, ReadOnlySpan<float> hPrev, Span<float> h, int hidden, int start, int end)
    {
        for (int b = start; b < end; b++)
            ForwardRowFused(gx.Slice(3 * hidden * b, 3 * hidden), gh.Slice(3 * hidden * b, 3 * hidden), hPrev.Slice(hidden * b, hidden), h.Slice(hidden * b, hidden), hidden);
    }

    private static void BackwardRows(ReadOnlySpan<float> gates, ReadOnlySpan<float> gh, ReadOnlySpan<float> hPrev, ReadOnlySpan<float> dH,
        Span<float> dGx, Span<float> dGh, Span<float> dHPrev, int hidden, int start, int end)
    {
        for (int b = start; b < end; b++)
        {
            int g = 3 * hidden * b, s = hidden * b;
            BackwardRow(gates.Slice(g, 3 * hidden), gh.Slice(g, 3 * hidden), hPrev.Slice(s, hidden), dH.Slice(s, hidden),
                dGx.Slice(g, 3 * hidden), dGh.Slice(g, 3 * hidden), dHPrev.Slice(s, hidden), hidden);
        }
    }

    // Rows are independent, so bands of rows on several threads give exactly the single-threaded result. The spans are
    // pinned for the call, which blocks until every part is done. Forward passes (gx, gh, hPrev, h); backward passes
    // (gates, gh, hPrev, dH, dGx, dGh, dHPrev).
    private static unsafe bool TryParallel(bool forward, ReadOnlySpan<float> gates, ReadOnlySpan<float> gh, ReadOnlySpan<float> hPrev,
        ReadOnlySpan<float> fourth, ReadOnlySpan<float> dGx, ReadOnlySpan<float> dGh, ReadOnlySpan<float> dHPrev, int batch, int hidden)
    {
        fixed (float* pg = gates, ph = gh, pp = hPrev, p4 = fourth, px = dGx, pdh = dGh, pdp = dHPrev)
        {
            var job = new CellJob { Forward = forward, Gates = pg, Gh = ph, HPrev = pp, Fourth = p4, DGx = px, DGh = pdh, DHPrev = pdp, Batch = batch, Hidden = hidden };
            return KernelThreading.TryRunRows(ref job, batch, (long)batch * hidden);
        }
    }

    private unsafe struct CellJob : KernelThreading.IRowJob
    {
        public bool Forward;
        public float* Gates, Gh, HPrev, Fourth, DGx, DGh, DHPrev;
        public int Batch, Hidden;

        public readonly void RunRows(int start, int end)
        {
            int state = Batch * Hidden;
            if (Forward)
                ForwardRows(new Span<float>(Gates, 3 * state), new ReadOnlySpan<float>(Gh, 3 * state), new ReadOnlySpan<float>(HPrev, state), new Span<float>(Fourth, state), Hidden, start, end);
            else
                BackwardRows(new ReadOnlySpan<float>(Gates, 3 * state), new ReadOnlySpan<float>(Gh, 3 * state), new ReadOnlySpan<float>(HPrev, state), new ReadOnlySpan<float>(Fourth, state),
                    new Span<float>(DGx, 3 * state), new Span<float>(DGh, 3 * state), new Span<float>(DHPrev, state), Hidden, start, end);
        }
    }

    // One pass over the row with the same unfused operation order as the library path below:
    // n = tanh(gx_n + gh_n ⊙ r) and h = (hPrev − n) ⊙ z + n.
    private static void ForwardRowFused(Span<float> gx, ReadOnlySpan<float> gh, ReadOnlySpan<float> hPrev, Span<float> h, int hidden)
    {
        ref float r = ref MemoryMarshal.GetReference(gx);
        ref float z = ref Unsafe.Add(ref r, hidden);
        ref float n = ref Unsafe.Add(ref r, 2 * hidden);
        ref float hr = ref MemoryMarshal.GetReference(gh);
        ref float hz = ref Unsafe.Add(ref hr, hidden);
        ref float hn = ref Unsafe.Add(ref hr, 2 * hidden);
        ref float hp = ref MemoryMarshal.GetReference(hPrev);
        ref float hh = ref MemoryMarshal.GetReference(h);
        int j = 0;
        if (WideVectors.IsAccelerated)
        {
            for (; j <= hidden - Vector512<float>.Count; j += Vector512<float>.Count)
            {
                nuint u = (nuint)j;
                Vector512<float> rv = Activations.Sigmoid(Vector512.LoadUnsafe(ref r, u) + Vector512.LoadUnsafe(ref hr, u));
                Vector512<float> zv = Activations.Sigmoid(Vector512.LoadUnsafe(ref z, u) + Vector512.LoadUnsafe(ref hz, u));
                Vector512<float> nv = Activations.Tanh(Vector512.LoadUnsafe(ref n, u) + Vector512.LoadUnsafe(ref hn, u) * rv);
                rv.StoreUnsafe(ref r, u);
                zv.StoreUnsafe(ref z, u);
                nv.StoreUnsafe(ref n, u);
                ((Vector512.LoadUnsafe(ref hp, u) - nv) * zv + nv).StoreUnsafe(ref hh, u);
            }
        }
        for (; j <= hidden - Vector256<float>.Count; j += Vector256<float>.Count)
        {
            nuint u = (nuint)j;
            Vector256<float> rv = Activations.Sigmoid(Vector256.LoadUnsafe(ref r, u) + Vector256.LoadUnsafe(ref hr, u));
            Vector256<float> zv = Activations.Sigmoid(Vector256.LoadUnsafe(ref z, u) + Vector256.LoadUnsafe(ref hz, u));
            Vector256<float> nv = Activations.Tanh(Vector256.LoadUnsafe(ref n, u) + Vector256.LoadUnsafe(ref hn, u) * rv);
            rv.StoreUnsafe(ref r, u);
            zv.StoreUnsafe(ref z, u);
            nv.StoreUnsafe(ref n, u);
            ((Vector256.LoadUnsafe(ref hp, u) - nv) * zv + nv).StoreUnsafe(ref hh, u);
        }
        for (; j < hidden; j++)
        {
            float rv = Activations.Sigmoid(Unsafe.Add(ref r, j) + Unsafe.Add(ref hr, j));
            float zv = Activations.Sigmoid(Unsafe.Add(ref z, j) + Unsafe.Add(ref hz, j));
            float nv = MathF.Tanh(Unsafe.Add(ref n, j) + Unsafe.Add(ref hn, j) * rv);
            Unsafe.Add(ref r, j) = rv;
            Unsafe.Add(ref z, j) = zv;
            Unsafe.Add(ref n, j) = nv;
            Unsafe.Add(ref hh, j) = (Unsafe.Add(ref hp, j) - nv) * zv + nv;
        }
    }

    // h = n + z ⊙ (hPrev − n), PyTorch's (hx - n).mul_(z).add_(n), unfused.
    private static void Blend(ReadOnlySpan<float> gates, ReadOnlySpan<float> hPrev, Span<float> h, int hidden)
    {
        ref float z = ref Unsafe.Add(ref MemoryMarshal.GetReference(gates), hidden);
        ref float n = ref Unsafe.Add(ref z, hidden);
        ref float hp = ref MemoryMarshal.GetReference(hPrev);
        ref float hh = ref MemoryMarshal.GetReference(h);
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; j <= hidden - Vector256<float>.Count; j += Vector256<float>.Count)
            {
                nuint u = (nuint)j;
                Vector256<float> nv = Vector256.LoadUnsafe(ref n, u);
                ((Vector256.LoadUnsafe(ref hp, u) - nv) * Vector256.LoadUnsafe(ref z, u) + nv).StoreUnsafe(ref hh, u);
            }
        }
        for (; j < hidden; j++)
        {
            float nj = Unsafe.Add(ref n, j);
            Unsafe.Add(ref hh, j) = (Unsafe.Add(ref hp, j) - nj) * Unsafe.Add(ref z, j) + nj;
        }
    }

    private static void BackwardRow(ReadOnlySpan<float> gates, ReadOnlySpan<float> gh, ReadOnlySpan<float> hPrev, ReadOnlySpan<float> dH, Span<float> dGx, Span<float> dGh, Span<float> dHPrev, int hidden)
    {
        ref float r = ref MemoryMarshal.GetReference(gates);
        ref float z = ref Unsafe.Add(ref r, hidden);
        ref float n = ref Unsafe.Add(ref r, 2 * hidden);
        ref float ghn = ref Unsafe.Add(ref MemoryMarshal.GetReference(gh), 2 * hidden);
        ref float xr = ref MemoryMarshal.GetReference(dGx);
        ref float xz = ref Unsafe.Add(ref xr, hidden);
        ref float xn = ref Unsafe.Add(ref xr, 2 * hidden);
        ref float hr = ref MemoryMarshal.GetReference(dGh);
        ref float hz = ref Unsafe.Add(ref hr, hidden);
        ref float hn = ref Unsafe.Add(ref hr, 2 * hidden);
        ref float hp = ref MemoryMarshal.GetReference(hPrev);
        ref float dh = ref MemoryMarshal.GetReference(dH);
        ref float dhp = ref MemoryMarshal.GetReference(dHPrev);
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> one = Vector256<float>.One;
            for (; j <= hidden - Vector256<float>.Count; j += Vector256<float>.Count)
            {
                nuint u = (nuint)j;
                Vector256<float> rv = Vector256.LoadUnsafe(ref r, u), zv = Vector256.LoadUnsafe(ref z, u), nv = Vector256.LoadUnsafe(ref n, u);
                Vector256<float> dhv = Vector256.LoadUnsafe(ref dh, u);
                Vector256<float> dn = dhv * (one - zv) * (one - nv * nv);
                Vector256<float> dz = dhv * (Vector256.LoadUnsafe(ref hp, u) - nv) * zv * (one - zv);
                Vector256<float> dr = dn * Vector256.LoadUnsafe(ref ghn, u) * rv * (one - rv);
                dr.StoreUnsafe(ref xr, u);
                dz.StoreUnsafe(ref xz, u);
                dn.StoreUnsafe(ref xn, u);
                dr.StoreUnsafe(ref hr, u);
                dz.StoreUnsafe(ref hz, u);
                (dn * rv).StoreUnsafe(ref hn, u);
                (Vector256.LoadUnsafe(ref dhp, u) + dhv * zv).StoreUnsafe(ref dhp, u);
            }
        }
        for (; j < hidden; j++)
        {
            float rv = Unsafe.Add(ref r, j), zv = Unsafe.Add(ref z, j), nv = Unsafe.Add(ref n, j), dhv = Unsafe.Add(ref dh, j);
            float dn = dhv * (1f - zv) * (1f - nv * nv);
            float dz = dhv * (Unsafe.Add(ref hp, j) - nv) * zv * (1f - zv);
            float dr = dn * Unsafe.Add(ref ghn, j) * rv * (1f - rv);
            Unsafe.Add(ref xr, j) = dr;
            Unsafe.Add(ref xz, j) = dz;
            Unsafe.Add(ref xn, j) = dn;
            Unsafe.Add(ref hr, j) = dr;
            Unsafe.Add(ref hz, j) = dz;
            Unsafe.Add(ref hn, j) = dn * rv;
            Unsafe.Add(ref dhp, j) += dhv * zv;
        }
    }
}
