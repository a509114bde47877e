using System;
using System.ComponentModel;

namespace RnnGen.Kernels;

/// <summary>
/// Gate math of a GRU whose reset gate acts before the hidden matrix product (ONNX <c>linear_before_reset=0</c>,
/// Keras <c>reset_after=False</c>): <c>n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn)</c>. The step is split around that
/// second product: <see cref="Gates"/> gives r, z and r ⊙ h; the caller computes W_hn (r ⊙ h) + b_hn; <see cref="Output"/>
/// finishes the state. Gate rows of <c>gx</c> are <c>[r | z | n]</c>, each <c>hidden</c> wide.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public static class GruResetBeforeCell
{
    /// <summary>r = σ(gx_r + ghRz_r), z = σ(gx_z + ghRz_z) into gx; <c>resetHidden = r ⊙ hPrev</c>.</summary>
    /// <param name="gx">[batch, 3H]: W_ih x + b_ih on entry; r and z activations in its first 2H columns on exit.</param>
    /// <param name="ghRz">[batch, 2H]: W_hr h + b_hr and W_hz h + b_hz.</param>
    /// <param name="hPrev">[batch, H].</param>
    /// <param name="resetHidden">Receives [batch, H] r ⊙ hPrev.</param>
    /// <param name="batch">Rows.</param>
    /// <param name="hidden">Hidden size H.</param>
    public static void Gates(Span<float> gx, ReadOnlySpan<float> ghRz, ReadOnlySpan<float> hPrev, Span<float> resetHidden, int batch, int hidden)
    {
        Check(gx.Length, 3, batch, hidden, nameof(gx));
        Check(ghRz.Length, 2, batch, hidden, nameof(ghRz));
        Check(hPrev.Length, 1, batch, hidden, nameof(hPrev));
        Check(resetHidden.Length, 1, batch, hidden, nameof(resetHidden));
        for (int b = 0; b < batch; b++)
        {
            for (int j = 0; j < 2 * hidden; j++)
                gx[3 * hidden * b + j] = Sigmoid(gx[3 * hidden * b + j] + ghRz[2 * hidden * b + j]);
            for (int j = 0; j < hidden; j++)
                resetHidden[hidden * b + j] = gx[3 * hidden * b + j] * hPrev[hidden * b + j];
        }
    }

    /// <summary>n = tanh(gx_n + ghN) into gx; <c>h = (1 − z) ⊙ n + z ⊙ hPrev</c>. <paramref name="h"/> may be <paramref name="hPrev"/>.</summary>
    /// <param name="gx">[batch, 3H] from <see cref="Gates"/>; the n activations land in its last H columns.</param>
    /// <param name="ghN">[batch, H]: W_hn (r ⊙ h) + b_hn.</param>
    /// <param name="hPrev">[batch, H].</param>
    /// <param name="h">Receives [batch, H].</param>
    /// <param name="batch">Rows.</param>
    /// <param name="hidden">Hidden size H.</param>
    public static void Output(Span<float> gx, ReadOnlySpan<float> ghN, ReadOnlySpan<float> hPrev, Span<float> h, int batch, int hidden)
    {
        Check(gx.Length, 3, batch, hidden, nameof(gx));
        Check(ghN.Length, 1, batch, hidden, nameof(ghN));
        Check(hPrev.Length, 1, batch, hidden, nameof(hPrev));
        Check(h.Length, 1, batch, hidden, nameof(h));
        for (int b = 0; b < batch; b++)
        {
            int row = 3 * hidden * b;
            for (int j = 0; j < hidden; j++)
            {
                float n = MathF.Tanh(gx[row + 2 * hidden + j] + ghN[hidden * b + j]);
                float z = gx[row + hidden + j];
                gx[row + 2 * hidden + j] = n;
                h[hidden * b + j] = (1f - z) * n + z * hPrev[hidden * b + j];
            }
        }
    }

    /// <summary>
    /// Backward through <see cref="Output"/>: <c>dn = dH ⊙ (1 − z) ⊙ (1 − n²)</c> into gx's n columns and
    /// <paramref name="dNewGate"/>; <c>dz = dH ⊙ (hPrev − n) ⊙ z(1 − z)</c> into gx's z columns; <c>dHPrev += dH ⊙ z</c>.
    /// </summary>
    public static void BackwardOutput(ReadOnlySpan<float> gates, ReadOnlySpan<float> hPrev, ReadOnlySpan<float> dH, Span<float> dGx, Span<float> dNewGate, Span<float> dHPrev, int batch, int hidden)
    {
        Check(gates.Length, 3, batch, hidden, nameof(gates));
        Check(hPrev.Length, 1, batch, hidden, nameof(hPrev));
        Check(dH.Length, 1, batch, hidden, nameof(dH));
        Check(dGx.Length, 3, batch, hidden, nameof(dGx));
        Check(dNewGate.Length, 1, batch, hidden, nameof(dNewGate));
        Check(dHPrev.Length, 1, batch, hidden, nameof(dHPrev));
        for (int b = 0; b < batch; b++)
        {
            int row = 3 * hidden * b;
            for (int j = 0; j < hidden; j++)
            {
                int s = hidden * b + j;
                float z = gates[row + hidden + j], n = gates[row + 2 * hidden + j], dh = dH[s];
                float dn = dh * (1f - z) * (1f - n * n);
                dGx[row + 2 * hidden + j] = dn;
                dNewGate[s] = dn;
                dGx[row + hidden + j] = dh * (hPrev[s] - n) * z * (1f - z);
                dHPrev[s] += dh * z;
            }
        }
    }

    /// <summary>
    /// Backward through <see cref="Gates"/> given <c>dResetHidden = dL/d(r ⊙ h)</c>:
    /// <c>dr = dResetHidden ⊙ hPrev ⊙ r(1 − r)</c> into gx's r columns and dGhRz; dz (already in dGx) is copied to
    /// dGhRz; <c>dHPrev += dResetHidden ⊙ r</c>.
    /// </summary>
    public static void BackwardReset(ReadOnlySpan<float> gates, ReadOnlySpan<float> hPrev, ReadOnlySpan<float> dResetHidden, Span<float> dGx, Span<float> dGhRz, Span<float> dHPrev, int batch, int hidden)
    {
        Check(gates.Length, 3, batch, hidden, nameof(gates));
        Check(hPrev.Length, 1, batch, hidden, nameof(hPrev));
        Check(dResetHidden.Length, 1, batch, hidden, nameof(dResetHidden));
        Check(dGx.Length, 3, batch, hidden, nameof(dGx));
        Check(dGhRz.Length, 2, batch, hidden, nameof(dGhRz));
        Check(dHPrev.Length, 1, batch, hidden, nameof(dHPrev));
        for (int b = 0; b < batch; b++)
        {
            int row = 3 * hidden * b;
            for (int j = 0; j < hidden; j++)
            {
                int s = hidden * b + j;
                float r = gates[row + j];
                float dr = dResetHidden[s] * hPrev[s] * r * (1f - r);
                dGx[row + j] = dr;
                dGhRz[2 * hidden * b + j] = dr;
                dGhRz[2 * hidden * b + hidden + j] = dGx[row + hidden + j];
                dHPrev[s] += dResetHidden[s] * r;
            }
        }
    }

    private static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    private static void Check(int actual, int gates, int batch, int hidden, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfNegative(hidden);
        long expected = (long)gates * batch * hidden;
        if (actual != expected)
            throw new ArgumentException($"{name} must hold exactly {expected} floats (batch × {gates}·hidden); it holds {actual}.", name);
    }
}
