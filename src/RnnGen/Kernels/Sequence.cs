using System;
using System.ComponentModel;

namespace RnnGen.Kernels;

/// <summary>
/// Variable-length batches with PyTorch's packed-sequence semantics, without packing: every sequence runs the full
/// fixed-shape step, and rows past their sequence's length are then frozen (forward) or passed through (backward).
/// Row b is active at step t when <c>t &lt; lengths[b]</c>; this holds for both directions, since a reverse direction
/// starting at <c>lengths[b] - 1</c> keeps its initial state through the padded tail.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public static class Sequence
{
    /// <summary>Checks per-sequence lengths: exactly <paramref name="batch"/> of them, each in [1, <paramref name="maxLength"/>].</summary>
    public static void ValidateLengths(ReadOnlySpan<int> lengths, int batch, int maxLength)
    {
        if (lengths.Length != batch)
            throw new ArgumentException($"lengths must hold exactly {batch} values (one per sequence); it holds {lengths.Length}.", nameof(lengths));
        for (int b = 0; b < lengths.Length; b++)
        {
            if (lengths[b] < 1 || lengths[b] > maxLength)
                throw new ArgumentOutOfRangeException(nameof(lengths), lengths[b], $"lengths[{b}] is {lengths[b]}; each length must be in [1, {maxLength}].");
        }
    }

    /// <summary>Forward: rows past their length keep the previous state (<c>current[b] = previous[b]</c>).</summary>
    /// <param name="current">This step's state, [batch, width].</param>
    /// <param name="previous">The previous step's state, [batch, width].</param>
    /// <param name="lengths">Per-sequence lengths.</param>
    /// <param name="t">Time step.</param>
    /// <param name="width">State width.</param>
    public static void Freeze(Span<float> current, ReadOnlySpan<float> previous, ReadOnlySpan<int> lengths, int t, int width)
    {
        CheckRows(current.Length, lengths.Length, width, nameof(current));
        CheckRows(previous.Length, lengths.Length, width, nameof(previous));
        for (int b = 0; b < lengths.Length; b++)
        {
            if (t >= lengths[b])
                previous.Slice(b * width, width).CopyTo(current.Slice(b * width, width));
        }
    }

    /// <summary>
    /// Backward, before the cell: a frozen row's state gradient flows straight to the previous step
    /// (<c>dPrevious[b] += dCurrent[b]</c>) and is cleared, so the cell's backward sees nothing to propagate for it.
    /// </summary>
    public static void PassThrough(Span<float> dCurrent, Span<float> dPrevious, ReadOnlySpan<int> lengths, int t, int width)
    {
        CheckRows(dCurrent.Length, lengths.Length, width, nameof(dCurrent));
        CheckRows(dPrevious.Length, lengths.Length, width, nameof(dPrevious));
        for (int b = 0; b < lengths.Length; b++)
        {
            if (t < lengths[b])
                continue;
            Span<float> from = dCurrent.Slice(b * width, width);
            Span<float> to = dPrevious.Slice(b * width, width);
            System.Numerics.Tensors.TensorPrimitives.Add(to, from, to);
            from.Clear();
        }
    }

    /// <summary>Copies the frozen rows of <paramref name="source"/> into <paramref name="destination"/> (saving and restoring an LSTM's running dc around its cell backward).</summary>
    public static void CopyFrozenRows(ReadOnlySpan<float> source, Span<float> destination, ReadOnlySpan<int> lengths, int t, int width)
    {
        CheckRows(source.Length, lengths.Length, width, nameof(source));
        CheckRows(destination.Length, lengths.Length, width, nameof(destination));
        for (int b = 0; b < lengths.Length; b++)
        {
            if (t >= lengths[b])
                source.Slice(b * width, width).CopyTo(destination.Slice(b * width, width));
        }
    }

    /// <summary>Clears the frozen rows of a per-step buffer (an LSTM's gate gradients, whose cell did not run).</summary>
    public static void ClearFrozenRows(Span<float> rows, ReadOnlySpan<int> lengths, int t, int width)
    {
        CheckRows(rows.Length, lengths.Length, width, nameof(rows));
        for (int b = 0; b < lengths.Length; b++)
        {
            if (t >= lengths[b])
                rows.Slice(b * width, width).Clear();
        }
    }

    /// <summary>Zeroes every padded row (t ≥ lengths[b]) of a time-major [steps, batch, width] buffer.</summary>
    public static void ClearPadding(Span<float> values, ReadOnlySpan<int> lengths, int steps, int width)
    {
        CheckRows(values.Length, steps * lengths.Length, width, nameof(values));
        for (int t = 0; t < steps; t++)
            ClearFrozenRows(values.Slice(t * lengths.Length * width, lengths.Length * width), lengths, t, width);
    }

    /// <summary>Copies class targets [steps, batch], replacing padded rows with <see cref="Losses.IgnoreIndex"/>.</summary>
    public static void MaskTargets(ReadOnlySpan<int> targets, Span<int> masked, ReadOnlySpan<int> lengths, int steps)
    {
        int batch = lengths.Length;
        if (targets.Length != steps * batch)
            throw new ArgumentException($"targets must hold exactly {steps * batch} values; it holds {targets.Length}.", nameof(targets));
        if (masked.Length != targets.Length)
            throw new ArgumentException($"masked must hold exactly {targets.Length} values; it holds {masked.Length}.", nameof(masked));
        for (int t = 0; t < steps; t++)
        {
            for (int b = 0; b < batch; b++)
                masked[t * batch + b] = t < lengths[b] ? targets[t * batch + b] : Losses.IgnoreIndex;
        }
    }

    /// <summary>
    /// Mean squared error over the valid rows of time-major [steps, batch, width] predictions: the sum of squared
    /// errors divided by (valid rows × width). Padded rows get a zero gradient.
    /// </summary>
    public static float MaskedMeanSquaredError(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient, ReadOnlySpan<int> lengths, int steps, int width)
    {
        int batch = lengths.Length;
        CheckRows(predictions.Length, steps * batch, width, nameof(predictions));
        CheckRows(targets.Length, steps * batch, width, nameof(targets));
        CheckRows(gradient.Length, steps * batch, width, nameof(gradient));
        long validRows = 0;
        for (int b = 0; b < batch; b++)
            validRows += Math.Min(lengths[b], steps);
        float count = validRows * width;
        double sum = 0;
        for (int t = 0; t < steps; t++)
        {
            for (int b = 0; b < batch; b++)
            {
                int row = (t * batch + b) * width;
                bool valid = t < lengths[b];
                for (int j = 0; j < width; j++)
                {
                    float difference = predictions[row + j] - targets[row + j];
                    if (valid)
                        sum += (double)difference * difference;
                    gradient[row + j] = valid ? 2f * difference / count : 0f;
                }
            }
        }
        return (float)(sum / count);
    }

    private static void CheckRows(int actual, int rows, int width, string name)
    {
        if (actual != (long)rows * width)
            throw new ArgumentException($"{name} must hold exactly {(long)rows * width} floats ({rows} rows × {width}); it holds {actual}.", name);
    }
}
