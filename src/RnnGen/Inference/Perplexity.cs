using System;

namespace RnnGen.Inference;

/// <summary>
/// Perplexity of a model over a token stream, <c>exp(mean −log p(target))</c>, accumulated window by window in
/// double precision. Feed it each window's outputs and targets (for example from
/// <see cref="Data.TokenStreamBatcher"/>), then read <see cref="Value"/>.
/// </summary>
/// <remarks>
/// A generated model with a softmax head writes probabilities, so <see cref="AddProbabilities"/> is the usual entry;
/// <see cref="AddLogits"/> takes raw scores through <see cref="Losses.CrossEntropySum"/>. Rows whose target is
/// <see cref="Losses.IgnoreIndex"/> count for nothing, as in training.
/// </remarks>
public sealed class Perplexity
{
    /// <summary>Summed negative log-likelihood, in nats, of every row counted so far.</summary>
    public double TotalNegativeLogLikelihood { get; private set; }

    /// <summary>Rows counted so far (ignored rows excluded).</summary>
    public long Count { get; private set; }

    /// <summary>Mean negative log-likelihood per counted row (the cross-entropy), or NaN before any row is counted.</summary>
    public double MeanNegativeLogLikelihood => Count == 0 ? double.NaN : TotalNegativeLogLikelihood / Count;

    /// <summary><c>exp(</c><see cref="MeanNegativeLogLikelihood"/><c>)</c>; NaN before any row is counted, +∞ if a target had probability 0.</summary>
    public double Value => Math.Exp(MeanNegativeLogLikelihood);

    /// <summary>Adds one window of probabilities, such as a softmax head's <c>Forward</c> output.</summary>
    /// <param name="probabilities">Probabilities, <c>rows × classes</c> with <c>rows = targets.Length</c>.</param>
    /// <param name="targets">The true next token per row, or <see cref="Losses.IgnoreIndex"/>.</param>
    /// <param name="classes">Vocabulary size.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive, or a target is outside <c>[0, classes)</c> and not <see cref="Losses.IgnoreIndex"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="probabilities"/> does not match its shape, or a target's probability is negative, NaN or above 1.</exception>
    public void AddProbabilities(ReadOnlySpan<float> probabilities, ReadOnlySpan<int> targets, int classes)
    {
        ValidateShape(probabilities.Length, targets, classes, nameof(probabilities));
        // Totals change only after the whole window has passed its checks.
        double total = 0;
        int count = 0;
        for (int r = 0; r < targets.Length; r++)
        {
            int target = targets[r];
            if (target == Losses.IgnoreIndex)
                continue;
            float p = probabilities[r * classes + target];
            if (!(p >= 0 && p <= 1))
                throw new ArgumentException(
                    $"'{nameof(probabilities)}' row {r}, class {target} = {p} must be a probability in [0, 1].", nameof(probabilities));
            total -= Math.Log(p);
            count++;
        }
        TotalNegativeLogLikelihood += total;
        Count += count;
    }

    /// <summary>Adds one window of raw scores; each row's softmax is taken by <see cref="Losses.CrossEntropySum"/>.</summary>
    /// <param name="logits">Raw scores, <c>rows × classes</c> with <c>rows = targets.Length</c>.</param>
    /// <param name="targets">The true next token per row, or <see cref="Losses.IgnoreIndex"/>.</param>
    /// <param name="classes">Vocabulary size.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive, or a target is outside <c>[0, classes)</c> and not <see cref="Losses.IgnoreIndex"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="logits"/> does not match its shape.</exception>
    public void AddLogits(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int classes)
    {
        double total = Losses.CrossEntropySum(logits, targets, classes, out int count);
        TotalNegativeLogLikelihood += total;
        Count += count;
    }

    /// <summary>Forgets every window added so far.</summary>
    public void Reset()
    {
        TotalNegativeLogLikelihood = 0;
        Count = 0;
    }

    private static void ValidateShape(int length, ReadOnlySpan<int> targets, int classes, string paramName)
    {
        if (classes <= 0)
            throw new ArgumentOutOfRangeException(nameof(classes), classes, $"'{nameof(classes)}' must be 1 or more.");
        long expected = (long)targets.Length * classes;
        if (length != expected)
            throw new ArgumentException(
                $"'{paramName}' must have length {expected} (targets.Length × classes) but has length {length}.", paramName);
        for (int r = 0; r < targets.Length; r++)
        {
            int target = targets[r];
            if (target != Losses.IgnoreIndex && (uint)target >= (uint)classes)
                throw new ArgumentOutOfRangeException(nameof(targets), target,
                    $"targets[{r}] = {target} must be in [0, {classes}) or {nameof(Losses.IgnoreIndex)} ({Losses.IgnoreIndex}).");
        }
    }
}
