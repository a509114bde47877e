using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using RnnGen.Kernels;

namespace RnnGen;

/// <summary>Training losses with their gradients, matching PyTorch's <c>cross_entropy</c> and <c>mse_loss</c> with <c>reduction='mean'</c>.</summary>
public static class Losses
{
    /// <summary>Target value of a row that contributes neither loss nor gradient; PyTorch's default <c>ignore_index</c>.</summary>
    public const int IgnoreIndex = -100;

    // Exponentials of a long row are taken in chunks of this many floats on the stack.
    private const int ChunkFloats = 256;

    /// <summary>
    /// Mean softmax cross-entropy over the rows whose target is not <see cref="IgnoreIndex"/>, and its gradient
    /// <c>(softmax − onehot) / count</c> with respect to the logits. Inside a <see cref="KernelThreading.Enable"/>
    /// scope many rows split across threads, with the same loss and gradient for any thread count.
    /// </summary>
    /// <param name="logits">Raw scores, <c>rows × classes</c> with <c>rows = targets.Length</c>.</param>
    /// <param name="targets">Class index per row, or <see cref="IgnoreIndex"/>.</param>
    /// <param name="gradient">Receives the gradient, <c>rows × classes</c>; ignored rows are zero. It may be <paramref name="logits"/> itself.</param>
    /// <param name="classes">Number of classes.</param>
    /// <returns>The mean loss, or <see cref="float.NaN"/> when every target is ignored (as PyTorch returns).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive, or a target is outside <c>[0, classes)</c> and not <see cref="IgnoreIndex"/>.</exception>
    /// <exception cref="ArgumentException">A span's length does not match its shape.</exception>
    public static unsafe float SoftmaxCrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, Span<float> gradient, int classes)
    {
        KernelGuard.Positive(classes, nameof(classes));
        int rows = targets.Length;
        KernelGuard.Length(logits.Length, (long)rows * classes, "targets.Length × classes", nameof(logits));
        KernelGuard.Length(gradient.Length, (long)rows * classes, "targets.Length × classes", nameof(gradient));
        int count = CountTargets(targets, classes);
        if (count == 0)
        {
            gradient.Clear();
            return float.NaN;
        }

        // Rows split across threads in chunks sized by the row count alone; the chunk losses are added in order, so the
        // loss is the same for any thread count.
        int chunk = KernelThreading.OrderedChunk(rows, 16, 1);
        int chunks = (rows + chunk - 1) / chunk;
        double* chunkLosses = stackalloc double[KernelThreading.MaxOrderedChunks];
        fixed (float* logitsPointer = logits)
        fixed (float* gradientPointer = gradient)
        fixed (int* targetsPointer = targets)
        {
            var job = new CrossEntropyJob
            {
                Logits = logitsPointer, Gradient = gradientPointer, Targets = targetsPointer, Classes = classes,
                Scale = 1f / count, Chunk = chunk, ChunkLosses = chunkLosses,
            };
            KernelThreading.ForEachRange(ref job, rows, chunk, classes);
        }
        double total = 0;
        for (int c = 0; c < chunks; c++)
            total += chunkLosses[c];
        return (float)(total / count);
    }

    /// <summary>Sum of <c>−log softmax(logits)[target]</c> over the rows that are not ignored, accumulated in double; for perplexity.</summary>
    /// <param name="logits">Raw scores, <c>rows × classes</c> with <c>rows = targets.Length</c>.</param>
    /// <param name="targets">Class index per row, or <see cref="IgnoreIndex"/>.</param>
    /// <param name="classes">Number of classes.</param>
    /// <param name="count">Receives the number of rows that were not ignored.</param>
    /// <returns>The summed negative log-likelihood; 0 when every row is ignored.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive, or a target is outside <c>[0, classes)</c> and not <see cref="IgnoreIndex"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="logits"/> does not match its shape.</exception>
    public static double CrossEntropySum(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int classes, out int count)
    {
        KernelGuard.Positive(classes, nameof(classes));
        int rows = targets.Length;
        KernelGuard.Length(logits.Length, (long)rows * classes, "targets.Length × classes", nameof(logits));
        count = CountTargets(targets, classes);

        Span<float> chunk = stackalloc float[ChunkFloats];
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            int target = targets[r];
            if (target == IgnoreIndex)
                continue;
            ReadOnlySpan<float> row = logits.Slice(r * classes, classes);
            float max = TensorPrimitives.Max(row);
            double sum = 0;
            for (int start = 0; start < classes; start += ChunkFloats)
            {
                ReadOnlySpan<float> part = row.Slice(start, Math.Min(ChunkFloats, classes - start));
                Span<float> exps = chunk.Slice(0, part.Length);
                TensorPrimitives.Subtract(part, max, exps);
                TensorPrimitives.Exp(exps, exps);
                sum += TensorPrimitives.Sum(exps);
            }
            total += Math.Log(sum) + max - row[target];
        }
        return total;
    }

    /// <summary>Mean squared error <c>mean((p − t)²)</c> over all elements, and its gradient <c>2(p − t) / N</c>.</summary>
    /// <param name="predictions">Model outputs.</param>
    /// <param name="targets">Desired outputs; same length.</param>
    /// <param name="gradient">Receives the gradient with respect to <paramref name="predictions"/>; same length. It may be <paramref name="predictions"/> itself.</param>
    /// <returns>The mean loss, or <see cref="float.NaN"/> for empty inputs (as PyTorch returns).</returns>
    /// <exception cref="ArgumentException">A span's length differs from <c>predictions.Length</c>.</exception>
    public static float MeanSquaredError(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient)
    {
        int length = predictions.Length;
        KernelGuard.Length(targets.Length, length, "predictions.Length", nameof(targets));
        KernelGuard.Length(gradient.Length, length, "predictions.Length", nameof(gradient));
        if (length == 0)
            return float.NaN;
        TensorPrimitives.Subtract(predictions, targets, gradient);
        float loss = TensorPrimitives.SumOfSquares(gradient) / length;
        TensorPrimitives.Multiply(gradient, 2f / length, gradient);
        return loss;
    }

    /// <summary>Replaces each row of <paramref name="values"/> with its softmax, subtracting the row maximum first so large logits cannot overflow.</summary>
    /// <param name="values">Rows of <paramref name="classes"/> scores, updated in place.</param>
    /// <param name="classes">Row width.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException"><paramref name="values"/> is not a whole number of rows.</exception>
    public static void Softmax(Span<float> values, int classes)
    {
        KernelGuard.Positive(classes, nameof(classes));
        if (values.Length % classes != 0)
            throw new ArgumentException(
                $"'{nameof(values)}' must have a length that is a multiple of classes = {classes} but has length {values.Length}.", nameof(values));
        for (int start = 0; start < values.Length; start += classes)
        {
            Span<float> row = values.Slice(start, classes);
            ScaleRow(row, 1f / ExponentiateRow(row, row, out _));
        }
    }

    private unsafe struct CrossEntropyJob : KernelThreading.IRangeJob
    {
        public float* Logits;
        public float* Gradient;
        public int* Targets;
        public int Classes;
        public float Scale;
        public int Chunk;
        public double* ChunkLosses;

        // A range always starts on a chunk edge.
        public void RunRange(int start, int length)
        {
            for (int first = start; first < start + length; first += Chunk)
            {
                double loss = 0;
                for (int r = first; r < Math.Min(first + Chunk, start + length); r++)
                {
                    var gradRow = new Span<float>(Gradient + (long)r * Classes, Classes);
                    int target = Targets[r];
                    if (target == IgnoreIndex)
                    {
                        gradRow.Clear();
                        continue;
                    }
                    var row = new ReadOnlySpan<float>(Logits + (long)r * Classes, Classes);
                    // Read before the row is overwritten: the gradient may be the logits themselves.
                    float targetLogit = row[target];
                    float sum = ExponentiateRow(row, gradRow, out float max);
                    loss += Math.Log(sum) + max - targetLogit;
                    ScaleRow(gradRow, Scale / sum);
                    gradRow[target] -= Scale;
                }
                ChunkLosses[first / Chunk] = loss;
            }
        }
    }

    /// <summary>
    /// Writes <c>e^(x − max)</c> of every value of <paramref name="row"/> to <paramref name="destination"/> (which may be
    /// the row itself) and returns their sum. One fused pass per row with <see cref="Activations.Exp(Vector256{float})"/>
    /// instead of four library calls: the calls cost more than the arithmetic on rows as short as a character
    /// vocabulary, and the library's float <c>exp</c> goes through double.
    /// </summary>
    private static float ExponentiateRow(ReadOnlySpan<float> row, Span<float> destination, out float max)
    {
        int n = row.Length;
        if (!Activations.IsSupported || n < Vector256<float>.Count)
        {
            max = TensorPrimitives.Max(row);
            TensorPrimitives.Subtract(row, max, destination);
            TensorPrimitives.Exp(destination, destination);
            return TensorPrimitives.Sum(destination);
        }

        ref float x = ref MemoryMarshal.GetReference(row);
        ref float e = ref MemoryMarshal.GetReference(destination);
        // Whole vectors cover [0, wholeEnd); the last vector [last, n) overlaps them by wholeEnd − last lanes.
        int last = n - Vector256<float>.Count;
        int wholeEnd = (n - 1) / Vector256<float>.Count * Vector256<float>.Count;
        Vector256<float> lastValues = Vector256.LoadUnsafe(ref x, (nuint)last);
        Vector256<float> maxima = lastValues;
        for (int i = 0; i < wholeEnd; i += Vector256<float>.Count)
            maxima = Vector256.Max(maxima, Vector256.LoadUnsafe(ref x, (nuint)i));
        Vector128<float> half = Vector128.Max(maxima.GetLower(), maxima.GetUpper());
        max = MathF.Max(MathF.Max(half[0], half[1]), MathF.Max(half[2], half[3]));

        Vector256<float> shift = Vector256.Create(max);
        // Taken before any store reaches the overlap; stored last, it rewrites the overlap with the same values.
        Vector256<float> lastExp = ShiftedExp(lastValues, shift);
        Vector256<float> sums = Vector256.ConditionalSelect(
            Vector256.GreaterThanOrEqual(Vector256<int>.Indices, Vector256.Create(wholeEnd - last)).AsSingle(), lastExp, Vector256<float>.Zero);
        for (int i = 0; i < wholeEnd; i += Vector256<float>.Count)
        {
            Vector256<float> exp = ShiftedExp(Vector256.LoadUnsafe(ref x, (nuint)i), shift);
            exp.StoreUnsafe(ref e, (nuint)i);
            sums += exp;
        }
        lastExp.StoreUnsafe(ref e, (nuint)last);
        return Vector256.Sum(sums);
    }

    // e^(x − shift), flushed to zero where the exponential saturates at its low end, so a logit of −∞ (or one far below
    // the row's maximum) gets probability 0 as in PyTorch rather than 1e-38.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ShiftedExp(Vector256<float> x, Vector256<float> shift)
    {
        Vector256<float> exponent = x - shift;
        return Vector256.AndNot(Activations.Exp(exponent), Vector256.LessThan(exponent, Vector256.Create(Activations.ExpLow)));
    }

    // Multiplication rounds the same in a vector lane as in scalar code, so the tail needs no overlap.
    private static void ScaleRow(Span<float> row, float factor)
    {
        ref float x = ref MemoryMarshal.GetReference(row);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= row.Length - Vector256<float>.Count; i += Vector256<float>.Count)
                (Vector256.LoadUnsafe(ref x, (nuint)i) * factor).StoreUnsafe(ref x, (nuint)i);
        }
        for (; i < row.Length; i++)
            Unsafe.Add(ref x, i) *= factor;
    }

    // Checks every target before anything is written, so a bad batch leaves the gradient untouched.
    private static int CountTargets(ReadOnlySpan<int> targets, int classes)
    {
        int count = 0;
        for (int r = 0; r < targets.Length; r++)
        {
            int target = targets[r];
            if (target == IgnoreIndex)
                continue;
            if ((uint)target >= (uint)classes)
                throw new ArgumentOutOfRangeException(nameof(targets), target,
                    $"targets[{r}] = {target} must be in [0, {classes}) or {nameof(IgnoreIndex)} ({IgnoreIndex}).");
            count++;
        }
        return count;
    }
}
