using System;
using System.ComponentModel;
using System.Numerics.Tensors;

namespace RnnGen.Kernels;

/// <summary>Combines the forward and reverse outputs of a bidirectional layer, row by row, and splits the gradient back.</summary>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public static class Bidirectional
{
    /// <summary>
    /// merged[r] = [f | r] (concat, width 2W), f + r (sum), (f + r)/2 (average) or f ⊙ r (multiply).
    /// </summary>
    /// <param name="forward">Forward outputs, [rows, width].</param>
    /// <param name="reverse">Reverse outputs, [rows, width].</param>
    /// <param name="merged">Receives [rows, 2·width] for concat, [rows, width] otherwise.</param>
    /// <param name="rows">Rows (time steps × batch).</param>
    /// <param name="width">Width of one direction's output.</param>
    /// <param name="mode">How to merge.</param>
    public static void Merge(ReadOnlySpan<float> forward, ReadOnlySpan<float> reverse, Span<float> merged, int rows, int width, BidirectionalMerge mode)
    {
        Check(forward.Length, reverse.Length, merged.Length, rows, width, mode, nameof(merged));
        switch (mode)
        {
            case BidirectionalMerge.Concat:
                for (int r = 0; r < rows; r++)
                {
                    forward.Slice(r * width, width).CopyTo(merged.Slice(2 * r * width, width));
                    reverse.Slice(r * width, width).CopyTo(merged.Slice((2 * r + 1) * width, width));
                }
                break;
            case BidirectionalMerge.Sum:
                TensorPrimitives.Add(forward, reverse, merged);
                break;
            case BidirectionalMerge.Average:
                TensorPrimitives.Add(forward, reverse, merged);
                TensorPrimitives.Multiply(merged, 0.5f, merged);
                break;
            default:
                TensorPrimitives.Multiply(forward, reverse, merged);
                break;
        }
    }

    /// <summary>Splits the merged gradient into each direction's output gradient (overwriting them).</summary>
    public static void MergeBackward(ReadOnlySpan<float> dMerged, ReadOnlySpan<float> forward, ReadOnlySpan<float> reverse, Span<float> dForward, Span<float> dReverse, int rows, int width, BidirectionalMerge mode)
    {
        Check(forward.Length, reverse.Length, dMerged.Length, rows, width, mode, nameof(dMerged));
        if (dForward.Length != forward.Length || dReverse.Length != reverse.Length)
            throw new ArgumentException($"dForward and dReverse must hold exactly {forward.Length} floats each.", dForward.Length != forward.Length ? nameof(dForward) : nameof(dReverse));
        switch (mode)
        {
            case BidirectionalMerge.Concat:
                for (int r = 0; r < rows; r++)
                {
                    dMerged.Slice(2 * r * width, width).CopyTo(dForward.Slice(r * width, width));
                    dMerged.Slice((2 * r + 1) * width, width).CopyTo(dReverse.Slice(r * width, width));
                }
                break;
            case BidirectionalMerge.Sum:
                dMerged.CopyTo(dForward);
                dMerged.CopyTo(dReverse);
                break;
            case BidirectionalMerge.Average:
                TensorPrimitives.Multiply(dMerged, 0.5f, dForward);
                TensorPrimitives.Multiply(dMerged, 0.5f, dReverse);
                break;
            default:
                TensorPrimitives.Multiply(dMerged, reverse, dForward);
                TensorPrimitives.Multiply(dMerged, forward, dReverse);
                break;
        }
    }

    private static void Check(int forward, int reverse, int merged, int rows, int width, BidirectionalMerge mode, string mergedName)
    {
        long direction = (long)rows * width;
        if (forward != direction)
            throw new ArgumentException($"forward must hold exactly {direction} floats (rows × width); it holds {forward}.", nameof(forward));
        if (reverse != direction)
            throw new ArgumentException($"reverse must hold exactly {direction} floats (rows × width); it holds {reverse}.", nameof(reverse));
        long expected = mode == BidirectionalMerge.Concat ? 2 * direction : direction;
        if (merged != expected)
            throw new ArgumentException($"{mergedName} must hold exactly {expected} floats for {mode}; it holds {merged}.", mergedName);
        if ((uint)mode > (uint)BidirectionalMerge.Multiply)
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown merge mode.");
    }
}
