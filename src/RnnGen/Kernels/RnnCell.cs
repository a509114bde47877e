using System;
using System.ComponentModel;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace RnnGen.Kernels;

/// <summary>Nonlinearity and its gradient for a vanilla (Elman) RNN cell: <c>h = act(pre)</c>.</summary>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public static class RnnCell
{
    /// <summary>Applies <paramref name="activation"/> in place, turning pre-activations into the new hidden state.</summary>
    /// <param name="values">Pre-activations <c>W_ih x + b_ih + W_hh h + b_hh</c>; overwritten with <c>act(values)</c>.</param>
    /// <param name="activation">Tanh or ReLU.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="activation"/> is not a defined value.</exception>
    public static void Activate(Span<float> values, RnnActivation activation)
    {
        switch (activation)
        {
            case RnnActivation.Tanh:
                TensorPrimitives.Tanh(values, values);
                break;
            case RnnActivation.Relu:
                // Max propagates NaN, as torch.relu does.
                TensorPrimitives.Max(values, 0f, values);
                break;
            default:
                throw UnknownActivation(activation);
        }
    }

    /// <summary>Computes <c>dPre = dH ⊙ act'(pre)</c> from the activated state: <c>tanh' = 1 − h²</c>, <c>relu' = [h &gt; 0]</c>.</summary>
    /// <param name="h">Hidden state produced by <see cref="Activate"/>.</param>
    /// <param name="dH">Gradient of the loss with respect to <paramref name="h"/>; same length.</param>
    /// <param name="dPre">Receives the gradient with respect to the pre-activations; same length. It may be <paramref name="dH"/> itself.</param>
    /// <param name="activation">The activation <paramref name="h"/> was produced with.</param>
    /// <exception cref="ArgumentException">A span's length differs from <c>h.Length</c>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="activation"/> is not a defined value.</exception>
    public static void Backward(ReadOnlySpan<float> h, ReadOnlySpan<float> dH, Span<float> dPre, RnnActivation activation)
    {
        int length = h.Length;
        KernelGuard.Length(dH.Length, length, "h.Length", nameof(dH));
        KernelGuard.Length(dPre.Length, length, "h.Length", nameof(dPre));
        if (activation is not (RnnActivation.Tanh or RnnActivation.Relu))
            throw UnknownActivation(activation);

        ref float hRef = ref MemoryMarshal.GetReference(h);
        ref float dHRef = ref MemoryMarshal.GetReference(dH);
        ref float dPreRef = ref MemoryMarshal.GetReference(dPre);
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> one = Vector256<float>.One;
            for (; j <= length - Vector256<float>.Count; j += Vector256<float>.Count)
            {
                Vector256<float> hv = Vector256.LoadUnsafe(ref hRef, (nuint)j);
                Vector256<float> gv = Vector256.LoadUnsafe(ref dHRef, (nuint)j);
                Vector256<float> result = activation == RnnActivation.Tanh
                    ? gv * (one - hv * hv)
                    : Vector256.ConditionalSelect(Vector256.GreaterThan(hv, Vector256<float>.Zero), gv, Vector256<float>.Zero);
                result.StoreUnsafe(ref dPreRef, (nuint)j);
            }
        }
        for (; j < length; j++)
        {
            float hj = Unsafe.Add(ref hRef, j);
            float gj = Unsafe.Add(ref dHRef, j);
            Unsafe.Add(ref dPreRef, j) = activation == RnnActivation.Tanh ? gj * (1f - hj * hj) : hj > 0f ? gj : 0f;
        }
    }

    private static ArgumentOutOfRangeException UnknownActivation(RnnActivation activation) =>
        new(nameof(activation), activation, $"'{nameof(activation)}' must be {nameof(RnnActivation.Tanh)} or {nameof(RnnActivation.Relu)}.");
}
