using System;
using System.ComponentModel;

namespace RnnGen.Kernels;

/// <summary>One-hot encoding of token ids, so a model can read tokens without an embedding table.</summary>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public static class OneHot
{
    /// <summary>Row i of <paramref name="destination"/> becomes the one-hot vector of <c>tokens[i]</c>.</summary>
    /// <param name="tokens">Token ids, each in [0, vocabulary).</param>
    /// <param name="destination">Receives [tokens.Length, vocabulary].</param>
    /// <param name="vocabulary">Number of distinct ids.</param>
    public static void Encode(ReadOnlySpan<int> tokens, Span<float> destination, int vocabulary)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabulary);
        if (destination.Length != (long)tokens.Length * vocabulary)
            throw new ArgumentException($"destination must hold exactly {(long)tokens.Length * vocabulary} floats (tokens × vocabulary); it holds {destination.Length}.", nameof(destination));
        for (int i = 0; i < tokens.Length; i++)
        {
            if ((uint)tokens[i] >= (uint)vocabulary)
                throw new ArgumentOutOfRangeException(nameof(tokens), tokens[i], $"Token id at position {i} is {tokens[i]}; ids must be in [0, {vocabulary}).");
        }
        destination.Clear();
        for (int i = 0; i < tokens.Length; i++)
            destination[i * vocabulary + tokens[i]] = 1f;
    }
}
