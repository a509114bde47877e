using RnnGen.Kernels;

namespace RnnGen.Tests.Kernels;

/// <summary>
/// <see cref="Gemm.MultiplyTransposedAAndScatter"/> gives exactly the bits of <see cref="Embedding.ScatterAdd"/> followed
/// by <see cref="Gemm.MultiplyTransposedA"/>, on one thread and split by rows or by columns on several.
/// </summary>
[Collection(KernelThreadingCollection.Name)]
public sealed class GemmScatterTests
{
    // m ≤ 3 reads A in place (the scatter runs first, on its own); 130 × 17 splits by rows and 40 × 200 by columns;
    // k past 256 crosses k-blocks; m = 1024, n = 256, k = 2048 is the char-LM's dW_hh.
    [Theory]
    [InlineData(3, 20, 50)]
    [InlineData(7, 5, 9)]
    [InlineData(64, 16, 300)]
    [InlineData(130, 17, 600)]
    [InlineData(40, 200, 530)]
    [InlineData(1024, 256, 2048)]
    public void Fused_AnyThreadCount_BitIdenticalToScatterThenProduct(int m, int n, int k)
    {
        const int vocabulary = 7;
        var random = new RnnRandom((ulong)(m * 31 + n * 7 + k));
        float[] a = Filled(k * m, ref random), b = Filled(k * n, ref random), c0 = Filled(m * n, ref random), table0 = Filled(vocabulary * m, ref random);
        int[] tokens = new int[k];
        for (int p = 0; p < k; p++)
            tokens[p] = random.NextInt(vocabulary);

        foreach (bool accumulate in (bool[])[false, true])
        {
            float[] expectedC = (float[])c0.Clone(), expectedTable = (float[])table0.Clone();
            Embedding.ScatterAdd(a, tokens, expectedTable, m);
            Gemm.MultiplyTransposedA(a, b, expectedC, m, n, k, accumulate);
            foreach (int threads in (int[])[1, 2, 3])
            {
                float[] c = (float[])c0.Clone(), table = (float[])table0.Clone();
                using (KernelThreading.Enable(threads))
                    Gemm.MultiplyTransposedAAndScatter(a, b, c, m, n, k, accumulate, tokens, table);

                Assert.True(expectedC.AsSpan().SequenceEqual(c), $"product m={m} n={n} k={k} threads={threads} accumulate={accumulate} differs");
                Assert.True(expectedTable.AsSpan().SequenceEqual(table), $"table m={m} n={n} k={k} threads={threads} accumulate={accumulate} differs");
            }
        }
    }

    [Fact]
    public void TokenOutsideTheTable_ThrowsBeforeWritingAnything()
    {
        var random = new RnnRandom(3);
        float[] a = Filled(40 * 64, ref random), b = Filled(40 * 16, ref random), c = Filled(64 * 16, ref random), table = Filled(5 * 64, ref random);
        float[] c0 = (float[])c.Clone(), table0 = (float[])table.Clone();
        int[] tokens = new int[40];
        tokens[17] = 5;

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.MultiplyTransposedAAndScatter(a, b, c, 64, 16, 40, true, tokens, table));
        Assert.Contains("position 17", error.Message);
        Assert.Equal(c0, c);
        Assert.Equal(table0, table);
    }

    [Fact]
    public void MismatchedLengths_Throw()
    {
        float[] a = new float[40 * 64], b = new float[40 * 16], c = new float[64 * 16];
        Assert.Throws<ArgumentException>(() => Gemm.MultiplyTransposedAAndScatter(a, b, c, 64, 16, 40, true, new int[39], new float[5 * 64]));
        Assert.Throws<ArgumentException>(() => Gemm.MultiplyTransposedAAndScatter(a, b, c, 64, 16, 40, true, new int[40], new float[5 * 64 + 1]));
        Assert.Throws<ArgumentException>(() => Gemm.MultiplyTransposedAAndScatter(a, b, new float[3], 64, 16, 40, true, new int[40], new float[5 * 64]));
    }

    private static float[] Filled(int length, ref RnnRandom random)
    {
        var values = new float[length];
        random.FillUniform(values, -1f, 1f);
        return values;
    }
}
