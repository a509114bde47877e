using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using RnnGen.Kernels;

namespace RnnGen;

/// <summary>Gradient clipping as <c>torch.nn.utils</c> does it, plus the finiteness check behind skipped steps.</summary>
public static class GradientClipping
{
    /// <summary>
    /// <c>clip_grad_norm_</c>: scales the gradients by <c>maxNorm / (total + 1e-6)</c> when that factor is below 1,
    /// where <c>total</c> is the L2 norm of all of them. A non-finite total is returned without scaling anything, so
    /// the caller can skip the step instead of spreading NaN or zeroing every gradient as PyTorch would. Inside a
    /// <see cref="KernelThreading.Enable"/> scope a long block is summed and scaled on every thread, with the same
    /// result for any thread count.
    /// </summary>
    /// <param name="gradients">The whole gradient block, scaled in place.</param>
    /// <param name="maxNorm">Largest allowed norm; finite and >= 0.</param>
    /// <returns>The norm before clipping.</returns>
    public static unsafe float ClipByGlobalNorm(Span<float> gradients, float maxNorm)
    {
        if (!float.IsFinite(maxNorm) || maxNorm < 0f)
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "maxNorm must be finite and >= 0.");
        float total = GlobalNorm(gradients);
        if (!float.IsFinite(total))
            return total;
        // Python's max_norm / tensor is tensor.reciprocal() * max_norm; the two roundings are PyTorch's.
        float coefficient = 1f / (total + 1e-6f) * maxNorm;
        if (coefficient < 1f)
        {
            fixed (float* block = gradients)
            {
                var job = new ScaleJob { Values = block, Factor = coefficient };
                KernelThreading.ForEachRange(ref job, gradients.Length);
            }
        }
        return total;
    }

    /// <summary><c>clip_grad_value_</c>: clamps every gradient to [-<paramref name="clipValue"/>, <paramref name="clipValue"/>].</summary>
    /// <param name="gradients">The whole gradient block, clamped in place.</param>
    /// <param name="clipValue">Largest allowed magnitude; >= 0 (positive infinity disables clipping).</param>
    public static unsafe void ClipByValue(Span<float> gradients, float clipValue)
    {
        if (!(clipValue >= 0f))
            throw new ArgumentOutOfRangeException(nameof(clipValue), clipValue, "clipValue must be >= 0.");
        fixed (float* block = gradients)
        {
            var job = new ClampJob { Values = block, Limit = clipValue };
            KernelThreading.ForEachRange(ref job, gradients.Length);
        }
    }

    /// <summary>True when no value is NaN or infinite (so true for an empty span); vectorised, for the guard that skips poisoned steps.</summary>
    /// <param name="values">Values to check, for example a gradient block or a loss.</param>
    // TensorPrimitives.IsFiniteAll answers false for an empty span; nothing non-finite is there, so the guard passes.
    public static bool AllFinite(ReadOnlySpan<float> values) => values.IsEmpty || TensorPrimitives.IsFiniteAll(values);

    /// <summary>
    /// L2 norm of the block with squares summed in double, so a block of millions of values neither loses
    /// precision nor overflows before the final rounding to float. The block is summed in chunks whose size depends
    /// only on its length, and the chunk sums are added in order, so the norm is the same for any thread count.
    /// </summary>
    internal static unsafe float GlobalNorm(ReadOnlySpan<float> values)
    {
        // 16 KiB chunks at least, each a whole number of cache lines.
        int chunk = KernelThreading.OrderedChunk(values.Length, 4096, 16);
        int chunks = (values.Length + chunk - 1) / chunk;
        double* chunkSums = stackalloc double[KernelThreading.MaxOrderedChunks];
        fixed (float* block = values)
        {
            var job = new SquareSumJob { Values = block, Chunk = chunk, ChunkSums = chunkSums };
            KernelThreading.ForEachRange(ref job, values.Length, chunk);
        }
        double sum = 0;
        for (int c = 0; c < chunks; c++)
            sum += chunkSums[c];
        return (float)Math.Sqrt(sum);
    }

    private static double SquareSum(ref float x, int n)
    {
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
        return sum;
    }

    // A range always starts on a chunk edge; each chunk's sum goes to its own slot.
    private unsafe struct SquareSumJob : KernelThreading.IRangeJob
    {
        public float* Values;
        public int Chunk;
        public double* ChunkSums;

        public void RunRange(int start, int length)
        {
            for (int offset = start; offset < start + length; offset += Chunk)
                ChunkSums[offset / Chunk] = SquareSum(ref Values[offset], Math.Min(Chunk, start + length - offset));
        }
    }

    private unsafe struct ScaleJob : KernelThreading.IRangeJob
    {
        public float* Values;
        public float Factor;

        public void RunRange(int start, int length)
        {
            var range = new Span<float>(Values + start, length);
            TensorPrimitives.Multiply(range, Factor, range);
        }
    }

    private unsafe struct ClampJob : KernelThreading.IRangeJob
    {
        public float* Values;
        public float Limit;

        public void RunRange(int start, int length)
        {
            var range = new Span<float>(Values + start, length);
            TensorPrimitives.Clamp(range, -Limit, Limit, range);
        }
    }
}
