using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RnnGen;

/// <summary>Gradient clipping as <c>torch.nn.utils</c> does it, plus the finiteness check behind skipped steps.</summary>
public static class GradientClipping
{
    /// <summary>
    /// <c>clip_grad_norm_</c>: scales the gradients by <c>maxNorm / (total + 1e-6)</c> when that factor is below 1,
    /// where <c>total</c> is the L2 norm of all of them. A non-finite total is returned without scaling anything, so
    /// the caller can skip the step instead of spreading NaN or zeroing every gradient as PyTorch would.
    /// </summary>
    /// <param name="gradients">The whole gradient block, scaled in place.</param>
    /// <param name="maxNorm">Largest allowed norm; finite and >= 0.</param>
    /// <returns>The norm before clipping.</returns>
    public static float ClipByGlobalNorm(Span<float> gradients, float maxNorm)
    {
        if (!float.IsFinite(maxNorm) || maxNorm < 0f)
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "maxNorm must be finite and >= 0.");
        float total = GlobalNorm(gradients);
        if (!float.IsFinite(total))
            return total;
        // Python's max_norm / tensor is tensor.reciprocal() * max_norm; the two roundings are PyTorch's.
        float coefficient = 1f / (total + 1e-6f) * maxNorm;
        if (coefficient < 1f)
            TensorPrimitives.Multiply(gradients, coefficient, gradients);
        return total;
    }

    /// <summary><c>clip_grad_value_</c>: clamps every gradient to [-<paramref name="clipValue"/>, <paramref name="clipValue"/>].</summary>
    /// <param name="gradients">The whole gradient block, clamped in place.</param>
    /// <param name="clipValue">Largest allowed magnitude; >= 0 (positive infinity disables clipping).</param>
    public static void ClipByValue(Span<float> gradients, float clipValue)
    {
        if (!(clipValue >= 0f))
            throw new ArgumentOutOfRangeException(nameof(clipValue), clipValue, "clipValue must be >= 0.");
        TensorPrimitives.Clamp(gradients, -clipValue, clipValue, gradients);
    }

    /// <summary>True when no value is NaN or infinite (so true for an empty span); vectorised, for the guard that skips poisoned steps.</summary>
    /// <param name="values">Values to check, for example a gradient block or a loss.</param>
    // TensorPrimitives.IsFiniteAll answers false for an empty span; nothing non-finite is there, so the guard passes.
    public static bool AllFinite(ReadOnlySpan<float> values) => values.IsEmpty || TensorPrimitives.IsFiniteAll(values);

    /// <summary>
    /// L2 norm of the block with squares summed in double, so a block of millions of values neither loses
    /// precision nor overflows before the final rounding to float.
    /// </summary>
    internal static float GlobalNorm(ReadOnlySpan<float> values)
    {
        ref float x = ref MemoryMarshal.GetReference(values);
        int n = values.Length;
        int i = 0;
        double sum = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            Vector<double> accLow = Vector<double>.Zero, accHigh = Vector<double>.Zero;
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector.Widen(Vector.LoadUnsafe(ref x, (nuint)i), out Vector<double> low, out Vector<double> high);
                accLow = Vector.FusedMultiplyAdd(low, low, accLow);
                accHigh = Vector.FusedMultiplyAdd(high, high, accHigh);
            }
            sum = Vector.Sum(accLow + accHigh);
        }
        for (; i < n; i++)
        {
            double v = Unsafe.Add(ref x, i);
            sum = Math.FusedMultiplyAdd(v, v, sum);
        }
        return (float)Math.Sqrt(sum);
    }
}
