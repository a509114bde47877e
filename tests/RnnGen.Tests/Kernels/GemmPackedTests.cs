using System.Runtime.Intrinsics.X86;
using RnnGen.Kernels;

namespace RnnGen.Tests.Kernels;

/// <summary>Products against an operand packed once (<see cref="Gemm.PackB"/>, <see cref="Gemm.PackTransposedB"/>).</summary>
[Collection(KernelThreadingCollection.Name)]
public sealed class GemmPackedTests
{
    // Row counts around the 6-row tile and its 4- and 1-row tails (and the 8-row pair tile's 6 + 4 for 10 or 11 rows
    // left, as in 18 and 19), columns around the 16-wide micro-panel, and depths around the k-block (a whole product
    // up to 320 deep, blocks of 256 beyond).
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(4, 9, 7)]
    [InlineData(8, 16, 8)]
    [InlineData(13, 17, 33)]
    [InlineData(32, 1024, 256)]
    [InlineData(32, 256, 1024)]
    [InlineData(33, 25, 600)]
    [InlineData(7, 31, 321)]
    [InlineData(130, 65, 320)]
    [InlineData(9, 80, 40)]
    [InlineData(18, 64, 70)]
    [InlineData(19, 48, 33)]
    public void MultiplyPacked_EitherPacking_EqualsSequentialFmaChain(int m, int n, int k)
    {
        var random = new RnnRandom((ulong)(m * 7 + n * 3 + k));
        float[] a = Filled(m * k, ref random), weight = Filled(n * k, ref random), c0 = Filled(m * n, ref random);
        foreach (bool transposed in (bool[])[false, true])
        {
            float[] packed = Pack(weight, n, k, transposed);
            foreach (bool accumulate in (bool[])[false, true])
            {
                float[] c = (float[])c0.Clone();
                Gemm.MultiplyPacked(a, packed, c, m, n, k, accumulate);
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++)
                    {
                        float expected = Fma.IsSupported
                            ? Chain(a, weight, c0, i, j, n, k, accumulate)
                            : (float)Reference(a, weight, c0, i, j, n, k, accumulate);
                        float tolerance = Fma.IsSupported ? 0f : 1e-4f * k;
                        Assert.True(Math.Abs(expected - c[i * n + j]) <= tolerance,
                            $"m={m} n={n} k={k} transposed={transposed} accumulate={accumulate}: C[{i},{j}] = {c[i * n + j]}, expected {expected}");
                    }
            }
        }
    }

    [Fact]
    public void MultiplyPacked_TwoThreads_BitIdenticalToOne()
    {
        const int M = 64, N = 512, K = 300;
        var random = new RnnRandom(23);
        float[] a = Filled(M * K, ref random), packed = Pack(Filled(N * K, ref random), N, K, transposed: true);
        float[] wide = Filled(M * N, ref random), tall = Filled(N * M, ref random);
        float[] expectedWide = (float[])wide.Clone(), expectedTall = (float[])tall.Clone();
        float[] aTall = Filled(N * K, ref random), packedNarrow = Pack(Filled(M * K, ref random), M, K, transposed: false);
        Gemm.MultiplyPacked(a, packed, expectedWide, M, N, K, accumulate: true);
        Gemm.MultiplyPacked(aTall, packedNarrow, expectedTall, N, M, K, accumulate: true);

        using (KernelThreading.Enable(2))
        {
            Gemm.MultiplyPacked(a, packed, wide, M, N, K, accumulate: true);
            Gemm.MultiplyPacked(aTall, packedNarrow, tall, N, M, K, accumulate: true);
        }

        Assert.Equal(expectedWide, wide);
        Assert.Equal(expectedTall, tall);
    }

    [Fact]
    public void MultiplyPackedPortable_SampledSizes_MatchesDoubleReference()
    {
        var random = new RnnRandom(31);
        foreach ((int m, int n, int k) in new[] { (1, 1, 1), (7, 17, 33), (16, 40, 400) })
        {
            float[] a = Filled(m * k, ref random), weight = Filled(n * k, ref random), c0 = Filled(m * n, ref random);
            float[] packed = Pack(weight, n, k, transposed: true);
            float[] c = (float[])c0.Clone();
            Gemm.MultiplyPackedPortable(a, packed, c, m, n, k, accumulate: true);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                    Assert.Equal(Reference(a, weight, c0, i, j, n, k, accumulate: true), c[i * n + j], 1e-4);
        }
    }

    [Theory]
    [InlineData(0, 5, 0)]
    [InlineData(16, 3, 48)]
    [InlineData(17, 3, 96)]
    [InlineData(33, 400, 48 * 400)]
    public void PackedLength_RoundsColumnsUpToPanels(int n, int k, int expected) =>
        Assert.Equal(expected, Gemm.PackedLength(n, k));

    [Fact]
    public void PackedLength_Negative_ThrowsOutOfRange()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.PackedLength(-1, 4));
        Assert.Equal("n", error.ParamName);
    }

    [Fact]
    public void Pack_WrongLengths_ThrowNamingTheSpan()
    {
        var source = Assert.Throws<ArgumentException>(() => Gemm.PackB(new float[11], new float[Gemm.PackedLength(3, 4)], 3, 4));
        Assert.Equal("b", source.ParamName);
        var target = Assert.Throws<ArgumentException>(() => Gemm.PackTransposedB(new float[12], new float[12], 3, 4));
        Assert.Equal("packed", target.ParamName);
        Assert.Contains($"must have length {Gemm.PackedLength(3, 4)}", target.Message);
    }

    [Fact]
    public void MultiplyPacked_UnpackedLengthForB_ThrowsNamingB()
    {
        var error = Assert.Throws<ArgumentException>(() => Gemm.MultiplyPacked(new float[8], new float[12], new float[6], 2, 3, 4, false));
        Assert.Equal("b", error.ParamName);
        Assert.Contains($"must have length {Gemm.PackedLength(3, 4)}", error.Message);
    }

    private static float[] Pack(float[] weight, int n, int k, bool transposed)
    {
        float[] packed = new float[Gemm.PackedLength(n, k)];
        if (transposed)
        {
            Gemm.PackTransposedB(weight, packed, n, k);
        }
        else
        {
            // The same matrix stored k × n, so both packings must give the same product.
            float[] rows = new float[k * n];
            for (int j = 0; j < n; j++)
                for (int p = 0; p < k; p++)
                    rows[p * n + j] = weight[j * k + p];
            Gemm.PackB(rows, packed, n, k);
        }
        return packed;
    }

    // weight is n × k whichever way it was packed.
    private static float Chain(float[] a, float[] weight, float[] c0, int i, int j, int n, int k, bool accumulate)
    {
        float chain = accumulate ? c0[i * n + j] : 0f;
        for (int p = 0; p < k; p++)
            chain = MathF.FusedMultiplyAdd(a[i * k + p], weight[j * k + p], chain);
        return chain;
    }

    private static double Reference(float[] a, float[] weight, float[] c0, int i, int j, int n, int k, bool accumulate)
    {
        double sum = accumulate ? c0[i * n + j] : 0;
        for (int p = 0; p < k; p++)
            sum += (double)a[i * k + p] * weight[j * k + p];
        return sum;
    }

    private static float[] Filled(int length, ref RnnRandom random)
    {
        float[] values = new float[length];
        random.FillUniform(values, -1f, 1f);
        return values;
    }
}
