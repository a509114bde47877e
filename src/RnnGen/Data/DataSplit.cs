using System;

namespace RnnGen.Data;

/// <summary>Splits a token stream into training and validation parts.</summary>
public static class DataSplit
{
    /// <summary>
    /// Splits <paramref name="tokens"/> contiguously, as nanoGPT does: the first
    /// <c>floor(n · (1 − validationFraction))</c> tokens train, the rest validate. A contiguous split keeps
    /// validation text unseen, which a random split of overlapping windows would not.
    /// </summary>
    /// <param name="tokens">The whole stream.</param>
    /// <param name="validationFraction">Share held out at the end, in [0, 1); 0 gives an empty validation part.</param>
    /// <returns>Copies of the two parts; together they are exactly <paramref name="tokens"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="validationFraction"/> is not in [0, 1).</exception>
    public static (int[] Train, int[] Validation) TrainValidation(ReadOnlySpan<int> tokens, double validationFraction)
    {
        // The negated form also rejects NaN.
        if (!(validationFraction >= 0.0 && validationFraction < 1.0))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "Validation fraction must be in [0, 1).");
        int trainCount = (int)(tokens.Length * (1.0 - validationFraction));
        return (tokens[..trainCount].ToArray(), tokens[trainCount..].ToArray());
    }
}
