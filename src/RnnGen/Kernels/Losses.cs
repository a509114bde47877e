using System;
using System.Numerics.Tensors;
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
    /// <c>(softmax − onehot) / count</c> with respect to the logits.
    /// </summary>
    /// <param name="logits">Raw scores, <c>rows × classes</c> with <c>rows = targets.Length</c>.</param>
    /// <param name="targets">Class index per row, or <see cref="IgnoreIndex"/>.</param>
    /// <param name="gradient">Receives the gradient, <c>rows × classes</c>; ignored rows are zero. It may be <paramref name="logits"/> itself.</param>
    /// <param name="classes">Number of classes.</param>
    /// <returns>The mean loss, or <see cref="float.NaN"/> when every target is ignored (as PyTorch returns).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive, or a target is outside <c>[0, classes)</c> and not <see cref="IgnoreIndex"/>.</exception>
    /// <exception cref="ArgumentException">A span's length does not match its shape.</exception>
    public static float SoftmaxCrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, Span<float> gradient, int classes)
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

        double total = 0;
        float scale = 1f / count;
        for (int r = 0; r < rows; r++)
        {
            Span<float> gradRow = gradient.Slice(r * classes, classes);
            int target = targets[r];
            if (target == IgnoreIndex)
            {
                gradRow.Clear();
                continue;
            }
            ReadOnlySpan<float> row = logits.Slice(r * classes, classes);
            float max = TensorPrimitives.Max(row);
            float targetLogit = row[target];
            TensorPrimitives.Subtract(row, max, gradRow);
            TensorPrimitives.Exp(gradRow, gradRow);
            float sum = TensorPrimitives.Sum(gradRow);
            total += Math.Log(sum) + max - targetLogit;
            TensorPrimitives.Multiply(gradRow, scale / sum, gradRow);
            gradRow[target] -= scale;
        }
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
            TensorPrimitives.Subtract(row, TensorPrimitives.Max(row), row);
            TensorPrimitives.Exp(row, row);
            TensorPrimitives.Multiply(row, 1f / TensorPrimitives.Sum(row), row);
        }
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
