using System;
using System.ComponentModel;

namespace RnnGen.Kernels;

/// <summary>Embedding-table lookups for token inputs (PyTorch <c>nn.Embedding</c>) and their gradient.</summary>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public static class Embedding
{
    /// <summary>Copies row <c>tokens[i]</c> of <paramref name="table"/> into row i of <paramref name="destination"/>.</summary>
    /// <param name="table">The embedding table, [vocabulary, size].</param>
    /// <param name="tokens">Token ids, each in [0, vocabulary).</param>
    /// <param name="destination">Receives [tokens.Length, size].</param>
    /// <param name="size">Embedding width.</param>
    public static void Gather(ReadOnlySpan<float> table, ReadOnlySpan<int> tokens, Span<float> destination, int size)
    {
        int vocabulary = Validate(table, nameof(table), tokens, destination.Length, size, nameof(destination));
        // Every id is checked before any row is copied, so a bad id leaves the destination untouched.
        ValidateTokens(tokens, vocabulary, nameof(tokens));
        for (int i = 0; i < tokens.Length; i++)
            table.Slice(tokens[i] * size, size).CopyTo(destination.Slice(i * size, size));
    }

    /// <summary>Adds row i of <paramref name="rows"/> into row <c>tokens[i]</c> of <paramref name="tableGradient"/>.</summary>
    /// <param name="rows">Gradients of the looked-up rows, [tokens.Length, size].</param>
    /// <param name="tokens">Token ids, each in [0, vocabulary).</param>
    /// <param name="tableGradient">Gradient of the embedding table, [vocabulary, size]; accumulated into.</param>
    /// <param name="size">Embedding width.</param>
    public static void ScatterAdd(ReadOnlySpan<float> rows, ReadOnlySpan<int> tokens, Span<float> tableGradient, int size)
    {
        int vocabulary = Validate(tableGradient, nameof(tableGradient), tokens, rows.Length, size, nameof(rows));
        ValidateTokens(tokens, vocabulary, nameof(tokens));
        for (int i = 0; i < tokens.Length; i++)
            System.Numerics.Tensors.TensorPrimitives.Add(tableGradient.Slice(tokens[i] * size, size), rows.Slice(i * size, size), tableGradient.Slice(tokens[i] * size, size));
    }

    private static int Validate(ReadOnlySpan<float> table, string tableName, ReadOnlySpan<int> tokens, int rowsLength, int size, string rowsName)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        if (table.Length % size != 0)
            throw new ArgumentException($"The table length {table.Length} is not a multiple of the embedding size {size}.", tableName);
        if (rowsLength != tokens.Length * size)
            throw new ArgumentException($"{rowsName} must hold exactly {tokens.Length * size} floats (tokens × size); it holds {rowsLength}.", rowsName);
        return table.Length / size;
    }

    /// <summary>Checks every id is in [0, <paramref name="vocabulary"/>), naming <paramref name="parameterName"/> and the first bad position.</summary>
    /// <param name="tokens">Token ids.</param>
    /// <param name="vocabulary">Number of distinct ids.</param>
    /// <param name="parameterName">The caller's name for <paramref name="tokens"/>, reported in the exception.</param>
    public static void ValidateTokens(ReadOnlySpan<int> tokens, int vocabulary, string parameterName)
    {
        for (int i = 0; i < tokens.Length; i++)
        {
            if ((uint)tokens[i] >= (uint)vocabulary)
                throw new ArgumentOutOfRangeException(parameterName, tokens[i], $"Token id at position {i} is {tokens[i]}; ids must be in [0, {vocabulary}).");
        }
    }
}
