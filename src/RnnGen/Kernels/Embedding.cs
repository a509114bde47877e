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
        if (!TryParallel(gather: true, table, tokens, destination, size))
            GatherRows(table, tokens, destination, size, 0, tokens.Length);
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
        if (!TryParallel(gather: false, rows, tokens, tableGradient, size))
            ScatterAddRows(rows, tokens, tableGradient, size, owner: 0, owners: 1);
    }

    private static void GatherRows(ReadOnlySpan<float> table, ReadOnlySpan<int> tokens, Span<float> destination, int size, int start, int end)
    {
        for (int i = start; i < end; i++)
            table.Slice(tokens[i] * size, size).CopyTo(destination.Slice(i * size, size));
    }

    // The rows of the positions whose token falls to `owner` (token % owners), in position order: every table row
    // has one owner, so threads never write the same row, and each element sees the same additions in the same order
    // as in one pass. Positions are not split (rows may repeat a token, so that would race), and neither are columns:
    // on the char-LM's 2048 x 1024 gradients, two threads each adding half of every row took 472-507 us against 318-348
    // us on one thread, and two owners of whole rows 329-376 us (the pass is bound by memory either way).
    private static void ScatterAddRows(ReadOnlySpan<float> rows, ReadOnlySpan<int> tokens, Span<float> tableGradient, int size, int owner, int owners)
    {
        for (int i = 0; i < tokens.Length; i++)
        {
            int token = tokens[i];
            if (token % owners != owner)
                continue;
            Span<float> target = tableGradient.Slice(token * size, size);
            System.Numerics.Tensors.TensorPrimitives.Add(target, rows.Slice(i * size, size), target);
        }
    }

    // Gather splits positions; ScatterAdd splits the vocabulary into owners. Both only when the copy outweighs the hand-off.
    private static unsafe bool TryParallel(bool gather, ReadOnlySpan<float> source, ReadOnlySpan<int> tokens, Span<float> target, int size)
    {
        fixed (float* ps = source, pt = target)
        fixed (int* pk = tokens)
        {
            int owners = Math.Min(KernelThreading.ThreadCount, target.Length / size);
            var job = new CopyJob { Gather = gather, Source = ps, SourceLength = source.Length, Tokens = pk, Count = tokens.Length, Target = pt, TargetLength = target.Length, Size = size, Owners = owners };
            return KernelThreading.TryRunRows(ref job, gather ? tokens.Length : owners, (long)tokens.Length * size);
        }
    }

    private unsafe struct CopyJob : KernelThreading.IRowJob
    {
        public bool Gather;
        public float* Source, Target;
        public int* Tokens;
        public int SourceLength, TargetLength, Count, Size, Owners;

        public readonly void RunRows(int start, int end)
        {
            var source = new ReadOnlySpan<float>(Source, SourceLength);
            var tokens = new ReadOnlySpan<int>(Tokens, Count);
            var target = new Span<float>(Target, TargetLength);
            if (Gather)
                GatherRows(source, tokens, target, Size, start, end);
            else
            {
                for (int owner = start; owner < end; owner++)
                    ScatterAddRows(source, tokens, target, Size, owner, Owners);
            }
        }
    }

    // The shapes of a table and of the rows looked up in it or added into it; returns the table's vocabulary.
    internal static int Validate(ReadOnlySpan<float> table, string tableName, ReadOnlySpan<int> tokens, int rowsLength, int size, string rowsName)
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
