using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RnnGen.Kernels;

// Products against a right operand packed once and used many times: a recurrent layer multiplies by the same W_hh at
// every step of a window, forward (h · W_hhᵀ) and backward (dgates · W_hh). Packing per call costs as much as a
// small product, which is why a one-off h · W_hhᵀ runs flipped instead; packed once per window, each step runs the
// plain panel kernel with its C tiles stored in place.
//
// The packed layout is the one PanelProduct builds a panel at a time: for each k-block (InnerBlock(k) deep), for each
// micro-panel of PanelWidth columns, [kc × PanelWidth] k-major floats, columns past n zero.
public static partial class Gemm
{
    /// <summary>Floats of a packed right operand with <paramref name="n"/> columns and inner dimension <paramref name="k"/>.</summary>
    /// <param name="n">Columns of the product.</param>
    /// <param name="k">The inner dimension.</param>
    /// <returns><c>k · n</c> rounded up to whole 16-column micro-panels.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative.</exception>
    public static int PackedLength(int n, int k)
    {
        KernelGuard.NonNegative(n, nameof(n));
        KernelGuard.NonNegative(k, nameof(k));
        long length = (long)(n + PanelWidth - 1) / PanelWidth * PanelWidth * k;
        if (length > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(n), n, $"A packed {k} × {n} operand does not fit in one array.");
        return (int)length;
    }

    [ThreadStatic]
    private static float[]? t_threadPanels;

    [ThreadStatic]
    private static int t_threadPanelsStart;

    /// <summary>
    /// A cache-line aligned buffer of <paramref name="length"/> floats owned by the calling thread (from 1 MiB on huge
    /// pages where the OS offers them, as a packed copy streamed on every step wants), for a packed right
    /// operand that only this thread multiplies by: each band of a generated time loop packs its own copy of W_hh here.
    /// Two cores reading one shared packed copy ran the recurrent products about 20% slower on this project's machine
    /// than with a copy each.
    /// </summary>
    /// <remarks>
    /// Allocated on a thread's first call and reused after that; the span stays valid until the same thread asks for a
    /// longer one. Other threads may read it meanwhile (a product split across the workers reads the caller's panels).
    /// </remarks>
    /// <param name="length">Floats needed, at least 1: <see cref="PackedLength"/> of the operand.</param>
    /// <returns>The thread's buffer; its contents are whatever the thread last wrote there.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is not positive.</exception>
    public static Span<float> ThreadPanels(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        float[]? buffer = t_threadPanels;
        if (buffer is null || buffer.Length - t_threadPanelsStart < length)
            t_threadPanels = buffer = AlignedBuffer.AllocateStreamed(length, out t_threadPanelsStart);
        return buffer.AsSpan(t_threadPanelsStart, length);
    }

    /// <summary>Packs <c>B[n×k]</c> for <see cref="MultiplyPacked"/> to compute <c>A · Bᵀ</c> (a weight <c>[out, in]</c> as in <c>h · W_hhᵀ</c>).</summary>
    /// <param name="b">The operand stored as <c>n × k</c>.</param>
    /// <param name="packed">Receives <see cref="PackedLength"/>(n, k) floats.</param>
    /// <param name="n">Rows of <paramref name="b"/>, columns of the product.</param>
    /// <param name="k">Columns of <paramref name="b"/>, the inner dimension.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative.</exception>
    /// <exception cref="ArgumentException">A span's length does not match its shape.</exception>
    public static void PackTransposedB(ReadOnlySpan<float> b, Span<float> packed, int n, int k) =>
        Pack(b, packed, n, k, transposed: true);

    /// <summary>Packs <c>B[k×n]</c> for <see cref="MultiplyPacked"/> to compute <c>A · B</c> (as in <c>dgates · W_hh</c>).</summary>
    /// <param name="b">The operand stored as <c>k × n</c>.</param>
    /// <param name="packed">Receives <see cref="PackedLength"/>(n, k) floats.</param>
    /// <param name="n">Columns of <paramref name="b"/> and of the product.</param>
    /// <param name="k">Rows of <paramref name="b"/>, the inner dimension.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative.</exception>
    /// <exception cref="ArgumentException">A span's length does not match its shape.</exception>
    public static void PackB(ReadOnlySpan<float> b, Span<float> packed, int n, int k) =>
        Pack(b, packed, n, k, transposed: false);

    /// <summary>
    /// Computes <c>C[m×n] (+)= A[m×k] · B</c> with <c>B</c> packed by <see cref="PackB"/> or <see cref="PackTransposedB"/>.
    /// Every element of <c>C</c> is one FMA chain over <c>k</c> per k-block, so the result does not depend on the
    /// number of threads.
    /// </summary>
    /// <param name="a">Left operand, <c>m × k</c>.</param>
    /// <param name="b">The right operand as packed by <see cref="PackB"/> or <see cref="PackTransposedB"/>, <see cref="PackedLength"/>(n, k) floats.</param>
    /// <param name="c">Result, <c>m × n</c>.</param>
    /// <param name="m">Rows of <paramref name="a"/> and <paramref name="c"/>.</param>
    /// <param name="n">Columns of <paramref name="c"/>.</param>
    /// <param name="k">The shared inner dimension.</param>
    /// <param name="accumulate"><see langword="true"/> adds the product to <paramref name="c"/>; <see langword="false"/> overwrites it.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative.</exception>
    /// <exception cref="ArgumentException">A span's length does not match its shape.</exception>
    public static void MultiplyPacked(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate)
    {
        Validate(a.Length, b.Length, c.Length, m, n, k, "m × k", (long)m * k, "PackedLength(n, k)", PackedLength(n, k));
        Run(ProductForm.Packed, a, b, c, m, n, k, accumulate);
    }

    private static void Pack(ReadOnlySpan<float> b, Span<float> packed, int n, int k, bool transposed)
    {
        int length = PackedLength(n, k);
        KernelGuard.Length(b.Length, (long)n * k, transposed ? "n × k" : "k × n", nameof(b));
        KernelGuard.Length(packed.Length, length, "PackedLength(n, k)", nameof(packed));
        if (n == 0 || k == 0)
            return;
        ref float source = ref MemoryMarshal.GetReference(b);
        ref float target = ref MemoryMarshal.GetReference(packed);
        int kBlock = InnerBlock(k);
        for (int p0 = 0; p0 < k; p0 += kBlock)
            PackPanels(ref source, transposed ? k : n, transposed, n, p0, Math.Min(kBlock, k - p0), 0, n, ref Unsafe.Add(ref target, PanelOffset(n, p0, 0, 0)));
    }

    // Start of the micro-panel of columns [j, j + 16) in the k-block starting at p0, kc deep: the earlier blocks hold p0
    // rows of every padded column.
    private static nint PanelOffset(int n, int p0, int kc, int j) =>
        (nint)p0 * ((n + PanelWidth - 1) / PanelWidth * PanelWidth) + (nint)j * kc;

    // Rows [i0, i1) × columns [j0, j1) of C against pre-packed panels; j0 is a multiple of PanelWidth.
    [SkipLocalsInit]
    private static void PackedProduct(ref float a, ref float packed, ref float c, int n, int k, int i0, int i1, int j0, int j1, bool accumulate)
    {
        Span<float> edgeBuffer = stackalloc float[TileRows * PanelWidth];
        ref float edge = ref MemoryMarshal.GetReference(edgeBuffer);
        int kBlock = InnerBlock(k);
        for (int p0 = 0; p0 < k; p0 += kBlock)
        {
            int kc = Math.Min(kBlock, k - p0);
            bool load = accumulate || p0 != 0;
            for (int j = j0; j < j1;)
            {
                ref float panel = ref Unsafe.Add(ref packed, PanelOffset(n, p0, kc, j));
                int cols = Math.Min(PanelWidth, n - j);
                bool pair = WideVectors.IsAccelerated && j + PairWidth <= j1;
                int r = i0;
                while (r < i1)
                {
                    int group = pair ? PairGroupRows(i1 - r) : GroupRows(i1 - r);
                    ref float aTile = ref Unsafe.Add(ref a, (nint)r * k + p0);
                    ref float cTile = ref Unsafe.Add(ref c, (nint)r * n + j);
                    if (pair)
                        TilePair(group, ref aTile, k, 1, ref panel, (nint)kc * PanelWidth, ref cTile, n, kc, load);
                    else if (cols == PanelWidth)
                        Tile(group, ref aTile, k, 1, ref panel, ref cTile, n, kc, load);
                    else
                        EdgeTile(group, ref aTile, k, 1, ref panel, ref cTile, n, cols, ref edge, kc, load);
                    r += group;
                }
                j += pair ? PairWidth : PanelWidth;
            }
        }
    }

    internal static void MultiplyPackedPortable(ReadOnlySpan<float> a, ReadOnlySpan<float> packedB, Span<float> c, int m, int n, int k, bool accumulate)
    {
        int kBlock = InnerBlock(k);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = accumulate ? c[i * n + j] : 0f;
                for (int p0 = 0; p0 < k; p0 += kBlock)
                {
                    int kc = Math.Min(kBlock, k - p0);
                    int panel = (int)PanelOffset(n, p0, kc, j / PanelWidth * PanelWidth) + j % PanelWidth;
                    for (int p = 0; p < kc; p++)
                        sum += a[i * k + p0 + p] * packedB[panel + p * PanelWidth];
                }
                c[i * n + j] = sum;
            }
        }
    }
}
