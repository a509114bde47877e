using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RnnGen.Kernels;

// The weight-gradient product dW_hh += dgatesᵀ h and the token table's gradient dP[v] = Σ dgates over the positions
// holding token v read the same [T·B × 4H] window of gate gradients, 8 MiB for the char-LM, beyond the caches. The
// product packs that window a block at a time into L2, so the scatter reads each block there right after it is packed
// instead of making its own pass through memory.
public static partial class Gemm
{
    /// <summary>
    /// Computes <c>C[m×n] (+)= A[k×m]ᵀ · B[k×n]</c> like <see cref="MultiplyTransposedA"/> and adds row <c>p</c> of
    /// <paramref name="a"/> into row <c>tokens[p]</c> of <paramref name="table"/> like
    /// <see cref="Embedding.ScatterAdd"/>, in one pass over <paramref name="a"/>. The results are bit-identical to
    /// calling those two, for any thread count: each table element receives its rows in position order.
    /// </summary>
    /// <param name="a">Left operand stored as <c>k × m</c>, such as the gate gradients of a window.</param>
    /// <param name="b">Right operand, <c>k × n</c>.</param>
    /// <param name="c">Result, <c>m × n</c>.</param>
    /// <param name="m">Columns of <paramref name="a"/>, rows of <paramref name="c"/> and the width of a table row.</param>
    /// <param name="n">Columns of <paramref name="b"/> and <paramref name="c"/>.</param>
    /// <param name="k">The shared inner dimension: rows of both operands, one per token.</param>
    /// <param name="accumulate"><see langword="true"/> adds the product to <paramref name="c"/>; <see langword="false"/> overwrites it.</param>
    /// <param name="tokens">The token of each row of <paramref name="a"/> (<paramref name="k"/> ids), each in [0, table rows).</param>
    /// <param name="table">Gradient of a token table, [vocabulary, m]; accumulated into.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative, or a token is outside the table.</exception>
    /// <exception cref="ArgumentException">A span's length does not match its shape.</exception>
    public static unsafe void MultiplyTransposedAAndScatter(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate,
        ReadOnlySpan<int> tokens, Span<float> table)
    {
        Validate(a.Length, b.Length, c.Length, m, n, k, "k × m", (long)k * m, "k × n", (long)k * n);
        KernelGuard.Length(tokens.Length, k, "k", nameof(tokens));
        if (m == 0 || k == 0)
        {
            Run(ProductForm.TransposedA, a, b, c, m, n, k, accumulate);
            return;
        }
        // Only the panel path packs A (a product of at most SmallRows rows reads it in place), and only with n > 0.
        if (!UseFma || m <= SmallRows || n == 0)
        {
            Embedding.ScatterAdd(a, tokens, table, m);
            Run(ProductForm.TransposedA, a, b, c, m, n, k, accumulate);
            return;
        }
        Embedding.ValidateTokens(tokens, Embedding.Validate(table, nameof(table), tokens, a.Length, m, nameof(a)), nameof(tokens));
        fixed (int* pTokens = tokens)
        fixed (float* pTable = table)
            Run(ProductForm.TransposedA, a, b, c, m, n, k, accumulate, new TokenScatter(pTokens, pTable));
    }

    // A scatter a TransposedA product does while it packs A: row p of A (k × m) is added into row Tokens[p] of Table.
    // Both pointers are pinned by MultiplyTransposedAAndScatter for the whole product.
    private readonly unsafe struct TokenScatter(int* tokens, float* table)
    {
        public readonly int* Tokens = tokens;
        public readonly float* Table = table;

        public bool IsActive => Tokens != null;

        // Adds A(i, p) for i in [i0, i0 + rows), p in [p0, p0 + kc), the block just packed, into the table: each row p
        // in turn, so each table element sees its positions in order whatever blocks and threads the product uses.
        public void AddBlock(ref float a, int m, int i0, int rows, int p0, int kc)
        {
            for (int p = p0; p < p0 + kc; p++)
            {
                ReadOnlySpan<float> source = MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref a, (nint)p * m + i0), rows);
                var target = new Span<float>(Table + (nint)Tokens[p] * m + i0, rows);
                System.Numerics.Tensors.TensorPrimitives.Add(target, source, target);
            }
        }
    }
}
