using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RnnGen.Kernels;

// Panel products for every form with at least SmallRows + 1 rows. B is packed, a k-block at a time, into micro-panels
// of PanelWidth columns laid out k-major ([kc × 16], one 64-byte line per step), which stay in L1 while every row
// group of A streams past. The micro-kernels hold a TileRows × 16 block of C in twelve registers.
//
// Every element of C is one sequential FMA chain over p = 0 … k−1, starting from C (accumulate) or from zero: the
// kernels for 6, 4 and 1 rows and the k-blocks all preserve that order. So splitting C into any bands of rows or
// columns, on any number of threads, gives bit-identical results.
public static partial class Gemm
{
    // Columns of a packed B micro-panel: two Vector256.
    internal const int PanelWidth = 16;

    // Rows of the main micro-kernel: 6 × 2 accumulators + 2 B vectors + 1 broadcast of the 16 ymm registers.
    internal const int TileRows = 6;

    // Rows of a TransposedA block packed at once: its [kc × 256] copy (≤ 320 KiB) stays in L2 while every micro-panel
    // of B passes. A is k-major, so each of its kc rows is read 1 KiB at a time: with 48-row blocks (192 bytes of
    // each row, then a jump of a row's length, usually a multiple of 4 KiB) the copy took a quarter of the
    // 1024 × 256 × 2048 weight-gradient product; with 256-row blocks it takes about a tenth.
    private const int BlockRows = 256;

    // Rows of A copied into the strips at a time, so that each strip is written 8 consecutive k-steps (256 bytes of an
    // 8-row strip) at once instead of one 32-byte piece per pass over all the strips.
    private const int PackDepth = 8;

    // Largest inner block InnerBlock returns; sizes the stack buffers.
    private const int MaxInnerBlock = KBlock + KBlock / 4;

    // The depth of one k-block: a whole moderately deep product, else KBlock so that a micro-panel is 16 KiB.
    private static int InnerBlock(int k) => k <= MaxInnerBlock ? k : KBlock;

    // Row groups: sixes, except that 8 leftover rows become two fours; 1–3 leftover rows run one at a time.
    private static int GroupRows(int remaining) => remaining >= TileRows && remaining != 8 ? TileRows : remaining >= 4 ? 4 : 1;

    // Rows of a packed A strip: eights where the 8 × 32 pair tile runs, else the row groups of the AVX2 tiles.
    private static int StripRows(int remaining) => WideVectors.IsAccelerated ? PairGroupRows(remaining) : GroupRows(remaining);

    // C[i0..i1) × [j0..j1) of C[m × n] (+)= A · B with A(i, p) at a[i·aRow + p·aStep] and B(p, j) at b[p·ldb + j], or
    // at b[j·ldb + p] when transposedB. packA copies blocks of A into contiguous strips first, for A stored k-major (the
    // TransposedA form), whose columns are a large stride apart. j0 is a multiple of PanelWidth; j1 is n or one too.
    [SkipLocalsInit]
    private static void PanelProduct(ref float a, nint aRow, nint aStep, bool packA, ref float b, nint ldb, bool transposedB,
        ref float c, int n, int k, int i0, int i1, int j0, int j1, bool accumulate, TokenScatter scatter = default)
    {
        Span<float> panelBuffer = stackalloc float[MaxInnerBlock * (WideVectors.IsAccelerated ? PairWidth : PanelWidth)];
        Span<float> edgeBuffer = stackalloc float[WideTileRows * PanelWidth];
        ref float panel = ref MemoryMarshal.GetReference(panelBuffer);
        ref float edge = ref MemoryMarshal.GetReference(edgeBuffer);
        int kBlock = InnerBlock(k);
        ref float block = ref packA ? ref ThreadStore(ref t_blockStore, (long)kBlock * Math.Min(i1 - i0, BlockRows)) : ref Unsafe.NullRef<float>();
        for (int p0 = 0; p0 < k; p0 += kBlock)
        {
            int kc = Math.Min(kBlock, k - p0);
            bool load = accumulate || p0 != 0;
            int blockRows = packA ? BlockRows : i1 - i0;
            // With A in row blocks, every block would re-pack the same panels of B; when the k-block of B fits a
            // thread's panel store (L2-sized), it is packed once here instead.
            ref float panels = ref PanelStore(packA && i1 - i0 > BlockRows ? (long)kc * (j1 - j0 + PanelWidth - 1) / PanelWidth * PanelWidth : 0);
            bool prepacked = !Unsafe.IsNullRef(ref panels);
            if (prepacked)
                PackPanels(ref b, ldb, transposedB, n, p0, kc, j0, j1, ref panels);
            for (int ib = i0; ib < i1; ib += blockRows)
            {
                int rows = Math.Min(blockRows, i1 - ib);
                if (packA)
                {
                    PackRowStrips(ref Unsafe.Add(ref a, ib * aRow + p0 * aStep), aStep, ref block, rows, kc);
                    // Of the parts splitting C by columns, the one starting at column 0 scatters; parts splitting it by
                    // rows all start there and scatter their own columns of A.
                    if (scatter.IsActive && j0 == 0)
                        scatter.AddBlock(ref a, (int)aStep, ib, rows, p0, kc);
                }
                for (int j = j0; j < j1;)
                {
                    int cols = Math.Min(PanelWidth, n - j);
                    bool pair = WideVectors.IsAccelerated && j + PairWidth <= j1;
                    ref float jPanel = ref panel;
                    if (prepacked)
                        jPanel = ref Unsafe.Add(ref panels, (nint)(j - j0) * kc);
                    else
                        PackPanels(ref b, ldb, transposedB, n, p0, kc, j, pair ? j + PairWidth : j + cols, ref panel);
                    int r = 0;
                    while (r < rows)
                    {
                        int group = packA ? StripRows(rows - r) : pair ? PairGroupRows(rows - r) : GroupRows(rows - r);
                        ref float aTile = ref packA ? ref Unsafe.Add(ref block, r * kc) : ref Unsafe.Add(ref a, (ib + r) * aRow + p0 * aStep);
                        nint tileRow = packA ? 1 : aRow;
                        nint tileStep = packA ? group : aStep;
                        ref float cTile = ref Unsafe.Add(ref c, (nint)(ib + r) * n + j);
                        if (pair)
                            TilePair(group, ref aTile, tileRow, tileStep, ref jPanel, (nint)kc * PanelWidth, ref cTile, n, kc, load);
                        else if (cols == PanelWidth)
                            Tile(group, ref aTile, tileRow, tileStep, ref jPanel, ref cTile, n, kc, load);
                        else
                            EdgeTile(group, ref aTile, tileRow, tileStep, ref jPanel, ref cTile, n, cols, ref edge, kc, load);
                        r += group;
                    }
                    j += pair ? PairWidth : PanelWidth;
                }
            }
        }
    }

    // Micro-panels of columns [j0, j1) of the k-block at p0, kc deep, one after another from `target`; B(p, j) is at
    // b[p·ldb + j], or b[j·ldb + p] when transposed.
    private static void PackPanels(ref float b, nint ldb, bool transposed, int n, int p0, int kc, int j0, int j1, ref float target)
    {
        for (int j = j0; j < j1; j += PanelWidth)
        {
            ref float panel = ref Unsafe.Add(ref target, (nint)(j - j0) * kc);
            int cols = Math.Min(PanelWidth, n - j);
            if (transposed)
                PackTransposed(ref Unsafe.Add(ref b, j * ldb + p0), ldb, cols, ref panel, kc);
            else
                PackRows(ref Unsafe.Add(ref b, p0 * ldb + j), ldb, cols, ref panel, kc);
        }
    }

    // Floats of B a thread keeps packed for a whole k-block: 1 MiB, half this machine's L2.
    private const int MaxPanelStore = 256 * 1024;

    [ThreadStatic]
    private static float[]? t_panelStore;

    // The calling thread's packed A block (BlockRows rows × one k-block at most).
    [ThreadStatic]
    private static float[]? t_blockStore;

    // The calling thread's panel store of at least `floats` floats; a null reference when nothing is asked for or it
    // would exceed MaxPanelStore.
    private static ref float PanelStore(long floats) =>
        ref floats == 0 || floats > MaxPanelStore ? ref Unsafe.NullRef<float>() : ref ThreadStore(ref t_panelStore, floats);

    // At least `floats` floats of a thread's store, allocated on first use and grown once per larger size.
    private static ref float ThreadStore(ref float[]? store, long floats)
    {
        if (store is null || store.Length < floats)
            store = GC.AllocateUninitializedArray<float>((int)floats);
        return ref MemoryMarshal.GetArrayDataReference(store);
    }

    // C = A · Bᵀ computed as Cᵀ = B · Aᵀ, for few rows of A and many of B (a batch's recurrent step, h · W_hhᵀ): only
    // the small A is transposed into micro-panels, and B's rows stream as the broadcast operand, so nothing is packed in
    // proportion to B. Each 6 × 16 tile of Cᵀ is added to C transposed; per element that is one FMA chain per k-block,
    // added to C, so bands of B's rows (columns of C) split it exactly.
    [SkipLocalsInit]
    private static void FlippedProduct(ref float a, ref float b, ref float c, int m, int n, int k, int j0, int j1, bool accumulate)
    {
        Span<float> panelBuffer = stackalloc float[MaxInnerBlock * PanelWidth];
        Span<float> tileBuffer = stackalloc float[TileRows * PanelWidth];
        ref float panel = ref MemoryMarshal.GetReference(panelBuffer);
        ref float tile = ref MemoryMarshal.GetReference(tileBuffer);
        int kBlock = InnerBlock(k);
        for (int p0 = 0; p0 < k; p0 += kBlock)
        {
            int kc = Math.Min(kBlock, k - p0);
            bool add = accumulate || p0 != 0;
            for (int i = 0; i < m; i += PanelWidth)
            {
                int rows = Math.Min(PanelWidth, m - i);
                PackTransposed(ref Unsafe.Add(ref a, (nint)i * k + p0), k, rows, ref panel, kc);
                int j = j0;
                while (j < j1)
                {
                    int group = GroupRows(j1 - j);
                    Tile(group, ref Unsafe.Add(ref b, (nint)j * k + p0), k, 1, ref panel, ref tile, PanelWidth, kc, load: false);
                    for (int t = 0; t < rows; t++)
                    {
                        ref float cRow = ref Unsafe.Add(ref c, (nint)(i + t) * n + j);
                        for (int r = 0; r < group; r++)
                        {
                            float value = Unsafe.Add(ref tile, r * PanelWidth + t);
                            Unsafe.Add(ref cRow, r) = add ? Unsafe.Add(ref cRow, r) + value : value;
                        }
                    }
                    j += group;
                }
            }
        }
    }

    // Whether A · Bᵀ is cheaper flipped: packing B costs about its n·k elements; flipped, packing A costs m·k and
    // scattering the transposed tiles about two operations per element of C per k-block.
    private static bool Flips(int m, int n, int k)
    {
        long blocks = (k + InnerBlock(k) - 1) / InnerBlock(k);
        return (long)n * k > (long)m * k + 2L * m * n * blocks;
    }

    // rows × 16 of C. An 8-row packed A strip (StripRows) outside a pair tile runs as two halves of 4 rows.
    private static void Tile(int rows, ref float a, nint aRow, nint aStep, ref float panel, ref float c, nint ldc, int kc, bool load)
    {
        if (rows == WideTileRows)
        {
            Tile4(ref a, aRow, aStep, ref panel, ref c, ldc, kc, load);
            Tile4(ref Unsafe.Add(ref a, 4 * aRow), aRow, aStep, ref panel, ref Unsafe.Add(ref c, 4 * ldc), ldc, kc, load);
        }
        else if (rows == TileRows)
            Tile6(ref a, aRow, aStep, ref panel, ref c, ldc, kc, load);
        else if (rows == 4)
            Tile4(ref a, aRow, aStep, ref panel, ref c, ldc, kc, load);
        else
            Tile1(ref a, aStep, ref panel, ref c, kc, load);
    }

    // A panel narrower than 16 columns: the tile runs on a copy of its valid columns, padded with zeros.
    private static void EdgeTile(int rows, ref float a, nint aRow, nint aStep, ref float panel, ref float c, nint ldc, int cols,
        ref float edge, int kc, bool load)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int t = 0; t < PanelWidth; t++)
                Unsafe.Add(ref edge, r * PanelWidth + t) = load && t < cols ? Unsafe.Add(ref c, r * ldc + t) : 0f;
        }
        Tile(rows, ref a, aRow, aStep, ref panel, ref edge, PanelWidth, kc, load);
        for (int r = 0; r < rows; r++)
        {
            for (int t = 0; t < cols; t++)
                Unsafe.Add(ref c, r * ldc + t) = Unsafe.Add(ref edge, r * PanelWidth + t);
        }
    }

    private static void Tile6(ref float a, nint aRow, nint aStep, ref float panel, ref float c, nint ldc, int kc, bool load)
    {
        ref float c1 = ref Unsafe.Add(ref c, ldc);
        ref float c2 = ref Unsafe.Add(ref c, 2 * ldc);
        ref float c3 = ref Unsafe.Add(ref c, 3 * ldc);
        ref float c4 = ref Unsafe.Add(ref c, 4 * ldc);
        ref float c5 = ref Unsafe.Add(ref c, 5 * ldc);
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        if (load)
        {
            c00 = Vector256.LoadUnsafe(ref c); c01 = Vector256.LoadUnsafe(ref c, 8);
            c10 = Vector256.LoadUnsafe(ref c1); c11 = Vector256.LoadUnsafe(ref c1, 8);
            c20 = Vector256.LoadUnsafe(ref c2); c21 = Vector256.LoadUnsafe(ref c2, 8);
            c30 = Vector256.LoadUnsafe(ref c3); c31 = Vector256.LoadUnsafe(ref c3, 8);
            c40 = Vector256.LoadUnsafe(ref c4); c41 = Vector256.LoadUnsafe(ref c4, 8);
            c50 = Vector256.LoadUnsafe(ref c5); c51 = Vector256.LoadUnsafe(ref c5, 8);
        }
        nint r2 = 2 * aRow, r3 = 3 * aRow, r4 = 4 * aRow, r5 = 5 * aRow;
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Vector256.LoadUnsafe(ref panel);
            Vector256<float> b1 = Vector256.LoadUnsafe(ref panel, 8);
            Vector256<float> x = Vector256.Create(a);
            c00 = Fma.MultiplyAdd(x, b0, c00); c01 = Fma.MultiplyAdd(x, b1, c01);
            x = Vector256.Create(Unsafe.Add(ref a, aRow));
            c10 = Fma.MultiplyAdd(x, b0, c10); c11 = Fma.MultiplyAdd(x, b1, c11);
            x = Vector256.Create(Unsafe.Add(ref a, r2));
            c20 = Fma.MultiplyAdd(x, b0, c20); c21 = Fma.MultiplyAdd(x, b1, c21);
            x = Vector256.Create(Unsafe.Add(ref a, r3));
            c30 = Fma.MultiplyAdd(x, b0, c30); c31 = Fma.MultiplyAdd(x, b1, c31);
            x = Vector256.Create(Unsafe.Add(ref a, r4));
            c40 = Fma.MultiplyAdd(x, b0, c40); c41 = Fma.MultiplyAdd(x, b1, c41);
            x = Vector256.Create(Unsafe.Add(ref a, r5));
            c50 = Fma.MultiplyAdd(x, b0, c50); c51 = Fma.MultiplyAdd(x, b1, c51);
            a = ref Unsafe.Add(ref a, aStep);
            panel = ref Unsafe.Add(ref panel, PanelWidth);
        }
        c00.StoreUnsafe(ref c); c01.StoreUnsafe(ref c, 8);
        c10.StoreUnsafe(ref c1); c11.StoreUnsafe(ref c1, 8);
        c20.StoreUnsafe(ref c2); c21.StoreUnsafe(ref c2, 8);
        c30.StoreUnsafe(ref c3); c31.StoreUnsafe(ref c3, 8);
        c40.StoreUnsafe(ref c4); c41.StoreUnsafe(ref c4, 8);
        c50.StoreUnsafe(ref c5); c51.StoreUnsafe(ref c5, 8);
    }

    // Eight accumulators still cover the FMA latency (two ports × four cycles), so four rows lose little.
    private static void Tile4(ref float a, nint aRow, nint aStep, ref float panel, ref float c, nint ldc, int kc, bool load)
    {
        ref float c1 = ref Unsafe.Add(ref c, ldc);
        ref float c2 = ref Unsafe.Add(ref c, 2 * ldc);
        ref float c3 = ref Unsafe.Add(ref c, 3 * ldc);
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default, c30 = default, c31 = default;
        if (load)
        {
            c00 = Vector256.LoadUnsafe(ref c); c01 = Vector256.LoadUnsafe(ref c, 8);
            c10 = Vector256.LoadUnsafe(ref c1); c11 = Vector256.LoadUnsafe(ref c1, 8);
            c20 = Vector256.LoadUnsafe(ref c2); c21 = Vector256.LoadUnsafe(ref c2, 8);
            c30 = Vector256.LoadUnsafe(ref c3); c31 = Vector256.LoadUnsafe(ref c3, 8);
        }
        nint r2 = 2 * aRow, r3 = 3 * aRow;
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Vector256.LoadUnsafe(ref panel);
            Vector256<float> b1 = Vector256.LoadUnsafe(ref panel, 8);
            Vector256<float> x = Vector256.Create(a);
            c00 = Fma.MultiplyAdd(x, b0, c00); c01 = Fma.MultiplyAdd(x, b1, c01);
            x = Vector256.Create(Unsafe.Add(ref a, aRow));
            c10 = Fma.MultiplyAdd(x, b0, c10); c11 = Fma.MultiplyAdd(x, b1, c11);
            x = Vector256.Create(Unsafe.Add(ref a, r2));
            c20 = Fma.MultiplyAdd(x, b0, c20); c21 = Fma.MultiplyAdd(x, b1, c21);
            x = Vector256.Create(Unsafe.Add(ref a, r3));
            c30 = Fma.MultiplyAdd(x, b0, c30); c31 = Fma.MultiplyAdd(x, b1, c31);
            a = ref Unsafe.Add(ref a, aStep);
            panel = ref Unsafe.Add(ref panel, PanelWidth);
        }
        c00.StoreUnsafe(ref c); c01.StoreUnsafe(ref c, 8);
        c10.StoreUnsafe(ref c1); c11.StoreUnsafe(ref c1, 8);
        c20.StoreUnsafe(ref c2); c21.StoreUnsafe(ref c2, 8);
        c30.StoreUnsafe(ref c3); c31.StoreUnsafe(ref c3, 8);
    }

    // A leftover row: two chains, latency-bound, but at most three rows of a product take this path.
    private static void Tile1(ref float a, nint aStep, ref float panel, ref float c, int kc, bool load)
    {
        Vector256<float> c0 = default, c1 = default;
        if (load)
        {
            c0 = Vector256.LoadUnsafe(ref c);
            c1 = Vector256.LoadUnsafe(ref c, 8);
        }
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> x = Vector256.Create(a);
            c0 = Fma.MultiplyAdd(x, Vector256.LoadUnsafe(ref panel), c0);
            c1 = Fma.MultiplyAdd(x, Vector256.LoadUnsafe(ref panel, 8), c1);
            a = ref Unsafe.Add(ref a, aStep);
            panel = ref Unsafe.Add(ref panel, PanelWidth);
        }
        c0.StoreUnsafe(ref c);
        c1.StoreUnsafe(ref c, 8);
    }

    // panel[p·16 + t] = x[p·ldx + t] for t < cols, zero beyond: a k-major block of B copied as it is.
    private static void PackRows(ref float x, nint ldx, int cols, ref float panel, int kc)
    {
        if (cols == PanelWidth)
        {
            for (int p = 0; p < kc; p++)
            {
                ref float row = ref Unsafe.Add(ref x, p * ldx);
                ref float to = ref Unsafe.Add(ref panel, p * PanelWidth);
                Vector256.LoadUnsafe(ref row).StoreUnsafe(ref to);
                Vector256.LoadUnsafe(ref row, 8).StoreUnsafe(ref to, 8);
            }
            return;
        }
        for (int p = 0; p < kc; p++)
        {
            for (int t = 0; t < PanelWidth; t++)
                Unsafe.Add(ref panel, p * PanelWidth + t) = t < cols ? Unsafe.Add(ref x, p * ldx + t) : 0f;
        }
    }

    // panel[p·16 + t] = x[t·ldx + p] for t < rows, zero beyond: rows of an n × k (or m × k) operand turned k-major,
    // eight steps at a time through two 8 × 8 register transposes.
    private static void PackTransposed(ref float x, nint ldx, int rows, ref float panel, int kc)
    {
        int p = 0;
        if (rows == PanelWidth)
        {
            for (; p <= kc - 8; p += 8)
            {
                Transpose8x8(ref Unsafe.Add(ref x, p), ldx, ref Unsafe.Add(ref panel, p * PanelWidth));
                Transpose8x8(ref Unsafe.Add(ref x, 8 * ldx + p), ldx, ref Unsafe.Add(ref panel, p * PanelWidth + 8));
            }
        }
        for (; p < kc; p++)
        {
            for (int t = 0; t < PanelWidth; t++)
                Unsafe.Add(ref panel, p * PanelWidth + t) = t < rows ? Unsafe.Add(ref x, t * ldx + p) : 0f;
        }
    }

    // Reads an 8 × 8 block at x (row stride ldx) and writes its transpose as eight 8-float rows PanelWidth apart.
    private static void Transpose8x8(ref float x, nint ldx, ref float to)
    {
        Vector256<float> r0 = Vector256.LoadUnsafe(ref x), r1 = Vector256.LoadUnsafe(ref Unsafe.Add(ref x, ldx));
        Vector256<float> r2 = Vector256.LoadUnsafe(ref Unsafe.Add(ref x, 2 * ldx)), r3 = Vector256.LoadUnsafe(ref Unsafe.Add(ref x, 3 * ldx));
        Vector256<float> r4 = Vector256.LoadUnsafe(ref Unsafe.Add(ref x, 4 * ldx)), r5 = Vector256.LoadUnsafe(ref Unsafe.Add(ref x, 5 * ldx));
        Vector256<float> r6 = Vector256.LoadUnsafe(ref Unsafe.Add(ref x, 6 * ldx)), r7 = Vector256.LoadUnsafe(ref Unsafe.Add(ref x, 7 * ldx));
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Permute2x128(u0, u4, 0x20).StoreUnsafe(ref to);
        Avx.Permute2x128(u1, u5, 0x20).StoreUnsafe(ref to, PanelWidth);
        Avx.Permute2x128(u2, u6, 0x20).StoreUnsafe(ref to, 2 * PanelWidth);
        Avx.Permute2x128(u3, u7, 0x20).StoreUnsafe(ref to, 3 * PanelWidth);
        Avx.Permute2x128(u0, u4, 0x31).StoreUnsafe(ref to, 4 * PanelWidth);
        Avx.Permute2x128(u1, u5, 0x31).StoreUnsafe(ref to, 5 * PanelWidth);
        Avx.Permute2x128(u2, u6, 0x31).StoreUnsafe(ref to, 6 * PanelWidth);
        Avx.Permute2x128(u3, u7, 0x31).StoreUnsafe(ref to, 7 * PanelWidth);
    }

    // Copies rows × kc of a k-major A (row p at a + p·lda) into the strips the row groups read: the strip of the group
    // starting at local row r sits at block[r·kc …] as [kc × group]. PackDepth rows of A at a time, each strip's part of
    // them written in one piece.
    private static void PackRowStrips(ref float a, nint lda, ref float block, int rows, int kc)
    {
        for (int p0 = 0; p0 < kc; p0 += PackDepth)
        {
            int pEnd = Math.Min(p0 + PackDepth, kc);
            int r = 0;
            while (r < rows)
            {
                int group = StripRows(rows - r);
                for (int p = p0; p < pEnd; p++)
                {
                    ref float from = ref Unsafe.Add(ref a, p * lda + r);
                    ref float to = ref Unsafe.Add(ref block, r * kc + p * group);
                    if (group == WideTileRows)
                        Vector256.LoadUnsafe(ref from).StoreUnsafe(ref to);
                    else if (group == TileRows)
                    {
                        // Two overlapping 4-float copies move the six floats.
                        Vector128.LoadUnsafe(ref from).StoreUnsafe(ref to);
                        Vector128.LoadUnsafe(ref from, 2).StoreUnsafe(ref to, 2);
                    }
                    else if (group == 4)
                        Vector128.LoadUnsafe(ref from).StoreUnsafe(ref to);
                    else
                        to = from;
                }
                r += group;
            }
        }
    }
}
