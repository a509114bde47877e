using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RnnGen.Kernels;

// AVX-512 tiles over two adjacent micro-panels (32 columns of C). A 16-column micro-panel row is one Vector512, so
// the 6 × 32 tile keeps twelve independent FMA chains in 12 of the 32 zmm registers, as the AVX2 6 × 16 tile does in
// 12 of 16 ymm, at twice the work per instruction. Each element of C is still one sequential FMA chain in k order, so
// the results are bit-identical to the AVX2 tiles and to any split of the columns between threads.
public static partial class Gemm
{
    // Columns a pair tile covers.
    private const int PairWidth = 2 * PanelWidth;

    // Rows of the widest pair tile: 8 × 2 accumulators, 2 B vectors and a broadcast of the 32 zmm registers. A read in
    // place takes it, and so do packed A strips (StripRows).
    private const int WideTileRows = 8;

    // Row groups of a pair tile over A in place: eights, then the GroupRows tail. With 10 or 11 rows left it takes a six
    // and a four rather than an eight and two or three one-row tiles (an 18-row band of the char-LM's time loop ran 18%
    // slower per row than a 16-row one before), since balanced batch bands come in any even size.
    private static int PairGroupRows(int remaining) => remaining >= WideTileRows && remaining - WideTileRows is not (2 or 3) ? WideTileRows : GroupRows(remaining);

    // rows × 32 of C from the micro-panels at `panel` and `panel + panelStride`, both complete (16 columns).
    private static void TilePair(int rows, ref float a, nint aRow, nint aStep, ref float panel, nint panelStride, ref float c, nint ldc, int kc, bool load)
    {
        if (rows == WideTileRows)
            Tile8Pair(ref a, aRow, aStep, ref panel, panelStride, ref c, ldc, kc, load);
        else if (rows == TileRows)
            Tile6Pair(ref a, aRow, aStep, ref panel, panelStride, ref c, ldc, kc, load);
        else if (rows == 4)
            Tile4Pair(ref a, aRow, aStep, ref panel, panelStride, ref c, ldc, kc, load);
        else
            Tile1Pair(ref a, aStep, ref panel, panelStride, ref c, kc, load);
    }

    private static void Tile8Pair(ref float a, nint aRow, nint aStep, ref float panel, nint panelStride, ref float c, nint ldc, int kc, bool load)
    {
        ref float c1 = ref Unsafe.Add(ref c, ldc);
        ref float c2 = ref Unsafe.Add(ref c, 2 * ldc);
        ref float c3 = ref Unsafe.Add(ref c, 3 * ldc);
        ref float c4 = ref Unsafe.Add(ref c, 4 * ldc);
        ref float c5 = ref Unsafe.Add(ref c, 5 * ldc);
        ref float c6 = ref Unsafe.Add(ref c, 6 * ldc);
        ref float c7 = ref Unsafe.Add(ref c, 7 * ldc);
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        if (load)
        {
            c00 = Vector512.LoadUnsafe(ref c); c01 = Vector512.LoadUnsafe(ref c, 16);
            c10 = Vector512.LoadUnsafe(ref c1); c11 = Vector512.LoadUnsafe(ref c1, 16);
            c20 = Vector512.LoadUnsafe(ref c2); c21 = Vector512.LoadUnsafe(ref c2, 16);
            c30 = Vector512.LoadUnsafe(ref c3); c31 = Vector512.LoadUnsafe(ref c3, 16);
            c40 = Vector512.LoadUnsafe(ref c4); c41 = Vector512.LoadUnsafe(ref c4, 16);
            c50 = Vector512.LoadUnsafe(ref c5); c51 = Vector512.LoadUnsafe(ref c5, 16);
            c60 = Vector512.LoadUnsafe(ref c6); c61 = Vector512.LoadUnsafe(ref c6, 16);
            c70 = Vector512.LoadUnsafe(ref c7); c71 = Vector512.LoadUnsafe(ref c7, 16);
        }
        ref float second = ref Unsafe.Add(ref panel, panelStride);
        nint r2 = 2 * aRow, r3 = 3 * aRow, r4 = 4 * aRow, r5 = 5 * aRow, r6 = 6 * aRow, r7 = 7 * aRow;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.LoadUnsafe(ref panel);
            Vector512<float> b1 = Vector512.LoadUnsafe(ref second);
            Vector512<float> x = Vector512.Create(a);
            c00 = Avx512F.FusedMultiplyAdd(x, b0, c00); c01 = Avx512F.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(Unsafe.Add(ref a, aRow));
            c10 = Avx512F.FusedMultiplyAdd(x, b0, c10); c11 = Avx512F.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(Unsafe.Add(ref a, r2));
            c20 = Avx512F.FusedMultiplyAdd(x, b0, c20); c21 = Avx512F.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(Unsafe.Add(ref a, r3));
            c30 = Avx512F.FusedMultiplyAdd(x, b0, c30); c31 = Avx512F.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(Unsafe.Add(ref a, r4));
            c40 = Avx512F.FusedMultiplyAdd(x, b0, c40); c41 = Avx512F.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(Unsafe.Add(ref a, r5));
            c50 = Avx512F.FusedMultiplyAdd(x, b0, c50); c51 = Avx512F.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(Unsafe.Add(ref a, r6));
            c60 = Avx512F.FusedMultiplyAdd(x, b0, c60); c61 = Avx512F.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(Unsafe.Add(ref a, r7));
            c70 = Avx512F.FusedMultiplyAdd(x, b0, c70); c71 = Avx512F.FusedMultiplyAdd(x, b1, c71);
            a = ref Unsafe.Add(ref a, aStep);
            panel = ref Unsafe.Add(ref panel, PanelWidth);
            second = ref Unsafe.Add(ref second, PanelWidth);
        }
        c00.StoreUnsafe(ref c); c01.StoreUnsafe(ref c, 16);
        c10.StoreUnsafe(ref c1); c11.StoreUnsafe(ref c1, 16);
        c20.StoreUnsafe(ref c2); c21.StoreUnsafe(ref c2, 16);
        c30.StoreUnsafe(ref c3); c31.StoreUnsafe(ref c3, 16);
        c40.StoreUnsafe(ref c4); c41.StoreUnsafe(ref c4, 16);
        c50.StoreUnsafe(ref c5); c51.StoreUnsafe(ref c5, 16);
        c60.StoreUnsafe(ref c6); c61.StoreUnsafe(ref c6, 16);
        c70.StoreUnsafe(ref c7); c71.StoreUnsafe(ref c7, 16);
    }

    private static void Tile6Pair(ref float a, nint aRow, nint aStep, ref float panel, nint panelStride, ref float c, nint ldc, int kc, bool load)
    {
        ref float c1 = ref Unsafe.Add(ref c, ldc);
        ref float c2 = ref Unsafe.Add(ref c, 2 * ldc);
        ref float c3 = ref Unsafe.Add(ref c, 3 * ldc);
        ref float c4 = ref Unsafe.Add(ref c, 4 * ldc);
        ref float c5 = ref Unsafe.Add(ref c, 5 * ldc);
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        if (load)
        {
            c00 = Vector512.LoadUnsafe(ref c); c01 = Vector512.LoadUnsafe(ref c, 16);
            c10 = Vector512.LoadUnsafe(ref c1); c11 = Vector512.LoadUnsafe(ref c1, 16);
            c20 = Vector512.LoadUnsafe(ref c2); c21 = Vector512.LoadUnsafe(ref c2, 16);
            c30 = Vector512.LoadUnsafe(ref c3); c31 = Vector512.LoadUnsafe(ref c3, 16);
            c40 = Vector512.LoadUnsafe(ref c4); c41 = Vector512.LoadUnsafe(ref c4, 16);
            c50 = Vector512.LoadUnsafe(ref c5); c51 = Vector512.LoadUnsafe(ref c5, 16);
        }
        ref float second = ref Unsafe.Add(ref panel, panelStride);
        nint r2 = 2 * aRow, r3 = 3 * aRow, r4 = 4 * aRow, r5 = 5 * aRow;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.LoadUnsafe(ref panel);
            Vector512<float> b1 = Vector512.LoadUnsafe(ref second);
            Vector512<float> x = Vector512.Create(a);
            c00 = Avx512F.FusedMultiplyAdd(x, b0, c00); c01 = Avx512F.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(Unsafe.Add(ref a, aRow));
            c10 = Avx512F.FusedMultiplyAdd(x, b0, c10); c11 = Avx512F.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(Unsafe.Add(ref a, r2));
            c20 = Avx512F.FusedMultiplyAdd(x, b0, c20); c21 = Avx512F.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(Unsafe.Add(ref a, r3));
            c30 = Avx512F.FusedMultiplyAdd(x, b0, c30); c31 = Avx512F.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(Unsafe.Add(ref a, r4));
            c40 = Avx512F.FusedMultiplyAdd(x, b0, c40); c41 = Avx512F.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(Unsafe.Add(ref a, r5));
            c50 = Avx512F.FusedMultiplyAdd(x, b0, c50); c51 = Avx512F.FusedMultiplyAdd(x, b1, c51);
            a = ref Unsafe.Add(ref a, aStep);
            panel = ref Unsafe.Add(ref panel, PanelWidth);
            second = ref Unsafe.Add(ref second, PanelWidth);
        }
        c00.StoreUnsafe(ref c); c01.StoreUnsafe(ref c, 16);
        c10.StoreUnsafe(ref c1); c11.StoreUnsafe(ref c1, 16);
        c20.StoreUnsafe(ref c2); c21.StoreUnsafe(ref c2, 16);
        c30.StoreUnsafe(ref c3); c31.StoreUnsafe(ref c3, 16);
        c40.StoreUnsafe(ref c4); c41.StoreUnsafe(ref c4, 16);
        c50.StoreUnsafe(ref c5); c51.StoreUnsafe(ref c5, 16);
    }

    private static void Tile4Pair(ref float a, nint aRow, nint aStep, ref float panel, nint panelStride, ref float c, nint ldc, int kc, bool load)
    {
        ref float c1 = ref Unsafe.Add(ref c, ldc);
        ref float c2 = ref Unsafe.Add(ref c, 2 * ldc);
        ref float c3 = ref Unsafe.Add(ref c, 3 * ldc);
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default, c30 = default, c31 = default;
        if (load)
        {
            c00 = Vector512.LoadUnsafe(ref c); c01 = Vector512.LoadUnsafe(ref c, 16);
            c10 = Vector512.LoadUnsafe(ref c1); c11 = Vector512.LoadUnsafe(ref c1, 16);
            c20 = Vector512.LoadUnsafe(ref c2); c21 = Vector512.LoadUnsafe(ref c2, 16);
            c30 = Vector512.LoadUnsafe(ref c3); c31 = Vector512.LoadUnsafe(ref c3, 16);
        }
        ref float second = ref Unsafe.Add(ref panel, panelStride);
        nint r2 = 2 * aRow, r3 = 3 * aRow;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.LoadUnsafe(ref panel);
            Vector512<float> b1 = Vector512.LoadUnsafe(ref second);
            Vector512<float> x = Vector512.Create(a);
            c00 = Avx512F.FusedMultiplyAdd(x, b0, c00); c01 = Avx512F.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(Unsafe.Add(ref a, aRow));
            c10 = Avx512F.FusedMultiplyAdd(x, b0, c10); c11 = Avx512F.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(Unsafe.Add(ref a, r2));
            c20 = Avx512F.FusedMultiplyAdd(x, b0, c20); c21 = Avx512F.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(Unsafe.Add(ref a, r3));
            c30 = Avx512F.FusedMultiplyAdd(x, b0, c30); c31 = Avx512F.FusedMultiplyAdd(x, b1, c31);
            a = ref Unsafe.Add(ref a, aStep);
            panel = ref Unsafe.Add(ref panel, PanelWidth);
            second = ref Unsafe.Add(ref second, PanelWidth);
        }
        c00.StoreUnsafe(ref c); c01.StoreUnsafe(ref c, 16);
        c10.StoreUnsafe(ref c1); c11.StoreUnsafe(ref c1, 16);
        c20.StoreUnsafe(ref c2); c21.StoreUnsafe(ref c2, 16);
        c30.StoreUnsafe(ref c3); c31.StoreUnsafe(ref c3, 16);
    }

    private static void Tile1Pair(ref float a, nint aStep, ref float panel, nint panelStride, ref float c, int kc, bool load)
    {
        Vector512<float> c0 = default, c1 = default;
        if (load)
        {
            c0 = Vector512.LoadUnsafe(ref c);
            c1 = Vector512.LoadUnsafe(ref c, 16);
        }
        ref float second = ref Unsafe.Add(ref panel, panelStride);
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> x = Vector512.Create(a);
            c0 = Avx512F.FusedMultiplyAdd(x, Vector512.LoadUnsafe(ref panel), c0);
            c1 = Avx512F.FusedMultiplyAdd(x, Vector512.LoadUnsafe(ref second), c1);
            a = ref Unsafe.Add(ref a, aStep);
            panel = ref Unsafe.Add(ref panel, PanelWidth);
            second = ref Unsafe.Add(ref second, PanelWidth);
        }
        c0.StoreUnsafe(ref c);
        c1.StoreUnsafe(ref c, 16);
    }
}
