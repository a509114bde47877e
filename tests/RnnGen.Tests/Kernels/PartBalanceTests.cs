using System.Threading;
using RnnGen.Kernels;

namespace RnnGen.Tests.Kernels;

/// <summary>
/// Parts of a parallel job follow their threads' measured speeds (<see cref="PartBalance"/>): splits stay valid for any
/// speeds, a slow part gets less work next time, and results stay bit-identical to one thread's.
/// </summary>
[Collection(KernelThreadingCollection.Name)]
public sealed class PartBalanceTests
{
    [Theory]
    [InlineData(32, 2, 2, new[] { 1.0, 1.0 }, new[] { 0, 16, 32 })]
    [InlineData(32, 2, 2, new[] { 0.9, 1.1 }, new[] { 0, 14, 32 })]
    [InlineData(32, 2, 2, new[] { 1.06, 0.94 }, new[] { 0, 16, 32 })]
    [InlineData(7, 2, 2, new[] { 1.0, 1.0 }, new[] { 0, 4, 7 })]
    [InlineData(2, 2, 2, new[] { 2.0, 0.5 }, new[] { 0, 1, 2 })]
    [InlineData(3, 2, 3, new[] { 0.5, 2.0, 2.0 }, new[] { 0, 1, 2, 3 })]
    [InlineData(30, 2, 3, new[] { 1.0, 1.0, 1.0 }, new[] { 0, 10, 20, 30 })]
    [InlineData(32, 2, 2, new[] { double.NaN, 1.0 }, new[] { 0, 16, 32 })]
    [InlineData(1024, 6, 2, new[] { 0.8, 1.2 }, new[] { 0, 408, 1024 })]
    [InlineData(256, 16, 2, new[] { 1.0, 1.0 }, new[] { 0, 128, 256 })]
    public void Split_FollowsSpeedsOnWholeGranules(int length, int granularity, int parts, double[] speeds, int[] expected)
    {
        var edges = new int[parts + 1];
        PartBalance.Split(length, granularity, parts, speeds, edges);
        Assert.Equal(expected, edges);
    }

    [Fact]
    public void Split_AnySpeeds_CoversEveryUnitOnceWithNonEmptyAlignedParts()
    {
        var random = new Random(5);
        for (int trial = 0; trial < 2000; trial++)
        {
            int parts = random.Next(2, 9);
            int granularity = random.Next(1, 17);
            int length = random.Next(parts, 3000);
            double[] speeds = new double[parts];
            for (int p = 0; p < parts; p++)
                speeds[p] = 0.5 + 1.5 * random.NextDouble();
            int[] edges = new int[parts + 1];

            PartBalance.Split(length, granularity, parts, speeds, edges);

            Assert.Equal(0, edges[0]);
            Assert.Equal(length, edges[parts]);
            bool aligned = length / granularity >= parts;
            for (int p = 0; p < parts; p++)
            {
                Assert.True(edges[p + 1] > edges[p], $"part {p} of {parts} over {length} is empty");
                if (aligned && p < parts - 1)
                    Assert.Equal(0, edges[p + 1] % granularity);
            }
        }
    }

    [Fact]
    public void Update_SlowPart_GetsLessWorkNextTime_AndOneThreadRunningBothPartsTeachesNothing()
    {
        PartBalance.Reset();
        try
        {
            long kind = PartBalance.BatchKind(1000);
            var edges = new int[3];

            // Both parts recorded by the same thread (the owner stole part 1): no update.
            PartBalance.Record(0, 400);
            PartBalance.Record(1, 100);
            PartBalance.Update(kind, EvenHalves, 2);
            PartBalance.Split(kind, 1000, 2, 2, edges);
            Assert.Equal(500, edges[1]);

            for (int run = 0; run < 20; run++)
                RecordOnTwoThreads(kind, slowTicks: 400, fastTicks: 100);
            PartBalance.Split(kind, 1000, 2, 2, edges);
            Assert.InRange(edges[1], 300, 420);

            // Another kind keeps its own, even, split.
            PartBalance.Split(PartBalance.BatchKind(999), 1000, 2, 2, edges);
            Assert.Equal(500, edges[1]);
        }
        finally
        {
            PartBalance.Reset();
        }
    }

    [Theory]
    [InlineData(2, 1024, 256, 2048)]
    [InlineData(0, 2048, 65, 256)]
    [InlineData(1, 2048, 256, 65)]
    public void Product_UnevenSplit_BitIdenticalToOneThread(int form, int m, int n, int k)
    {
        if (!Gemm.UseFma)
            return;
        PartBalance.Reset();
        try
        {
            // The product's part 0 measured four times slower, so it now takes about 40% of the rows.
            long kind = PartBalance.ProductKind(form, m, n, k);
            for (int run = 0; run < 20; run++)
                RecordOnTwoThreads(kind, slowTicks: 400, fastTicks: 100);

            var random = new RnnRandom((ulong)(m + n + k));
            float[] a = Filled(m * k, ref random), b = Filled(n * k, ref random), c0 = Filled(m * n, ref random);
            float[] expected = (float[])c0.Clone(), actual = (float[])c0.Clone();
            Multiply(form, a, b, expected, m, n, k);
            long runsBefore = KernelThreading.ParallelRuns;
            using (KernelThreading.Enable(2))
                Multiply(form, a, b, actual, m, n, k);

            Assert.True(KernelThreading.ParallelRuns > runsBefore, "the product did not run in parallel");
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"form {form} {m}x{n}x{k} split unevenly differs from one thread");
        }
        finally
        {
            PartBalance.Reset();
        }
    }

    // Form numbers are Gemm's ProductForm: 0 A·Bᵀ, 1 A·B, 2 Aᵀ·B.
    private static void Multiply(int form, float[] a, float[] b, float[] c, int m, int n, int k)
    {
        if (form == 0)
            Gemm.MultiplyTransposedB(a, b, c, m, n, k, accumulate: true);
        else if (form == 1)
            Gemm.Multiply(a, b, c, m, n, k, accumulate: true);
        else
            Gemm.MultiplyTransposedA(a, b, c, m, n, k, accumulate: true);
    }

    private static readonly int[] EvenHalves = [0, 16, 32];

    // A run split 16/16 whose part 0 took slowTicks on this thread and part 1 fastTicks on another.
    private static void RecordOnTwoThreads(long kind, long slowTicks, long fastTicks)
    {
        PartBalance.Record(0, slowTicks);
        var worker = new Thread(() => PartBalance.Record(1, fastTicks));
        worker.Start();
        worker.Join();
        PartBalance.Update(kind, EvenHalves, 2);
    }

    private static float[] Filled(int length, ref RnnRandom random)
    {
        var values = new float[length];
        random.FillUniform(values, -1f, 1f);
        return values;
    }
}
