using System.Threading;
using RnnGen.Kernels;

namespace RnnGen.Tests.Kernels;

[Collection(KernelThreadingCollection.Name)]
public sealed class KernelThreadingTests
{
    public enum Form { TransposedB, Plain, TransposedA }

    private delegate void Kernel(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate);

    // Shapes cross the row tiles (6, 4, 1), the 16-column panels, the flipped A · Bᵀ path and band edges of rows and of
    // columns; every shape is above KernelThreading.MinimumParallelFlops.
    public static TheoryData<Form, int, int, int> Shapes()
    {
        var data = new TheoryData<Form, int, int, int>();
        foreach (Form form in Enum.GetValues<Form>())
        {
            data.Add(form, 8, 1024, 256);
            data.Add(form, 15, 200, 600);
            data.Add(form, 17, 257, 300);
            data.Add(form, 31, 65, 530);
            data.Add(form, 33, 33, 1100);
            data.Add(form, 64, 1, 20000);
            data.Add(form, 130, 17, 600);
            data.Add(form, 1024, 32, 64);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Product_SeveralThreads_BitIdenticalToOneThread(Form form, int m, int n, int k)
    {
        var random = new RnnRandom((ulong)(m * 7919 + n * 31 + k));
        float[] a = Filled(m * k, ref random), b = Filled(n * k, ref random), c0 = Filled(m * n, ref random);
        foreach (bool accumulate in (bool[])[false, true])
        {
            float[] expected = (float[])c0.Clone();
            Run(form, a, b, expected, m, n, k, accumulate);
            foreach (int threads in (int[])[2, 3])
            {
                float[] actual = (float[])c0.Clone();
                long runsBefore = KernelThreading.ParallelRuns;
                using (KernelThreading.Enable(threads))
                    Run(form, a, b, actual, m, n, k, accumulate);

                // The portable fallback (no AVX2 + FMA) always runs on the calling thread.
                if (Gemm.UseFma)
                    Assert.True(KernelThreading.ParallelRuns > runsBefore, $"{form} m={m} n={n} k={k} did not run in parallel");
                Assert.True(expected.AsSpan().SequenceEqual(actual), $"{form} m={m} n={n} k={k} threads={threads} accumulate={accumulate} differs");
            }
        }
    }

    [Theory]
    [InlineData(32, 256)]
    [InlineData(9, 601)]
    [InlineData(3, 2048)]
    public void LstmCell_SeveralThreads_BitIdenticalToOneThread(int batch, int hidden)
    {
        var random = new RnnRandom((ulong)(batch * 31 + hidden));
        int state = batch * hidden;
        float[] preGates = Filled(4 * state, ref random), cPrev = Filled(state, ref random), dH = Filled(state, ref random), dC0 = Filled(state, ref random);
        (float[] Gates, float[] C, float[] H, float[] DC, float[] DGates) Run(int threads)
        {
            float[] gates = (float[])preGates.Clone(), c = new float[state], h = new float[state], dC = (float[])dC0.Clone(), dGates = new float[4 * state];
            using (KernelThreading.Enable(threads))
            {
                LstmCell.Forward(gates, cPrev, c, h, batch, hidden);
                LstmCell.Backward(gates, cPrev, c, dH, dC, dGates, batch, hidden);
            }
            return (gates, c, h, dC, dGates);
        }

        var expected = Run(1);
        long runsBefore = KernelThreading.ParallelRuns;
        var actual = Run(2);

        Assert.True(KernelThreading.ParallelRuns > runsBefore, "the cell did not run in parallel");
        Assert.Equal(expected.Gates, actual.Gates);
        Assert.Equal(expected.C, actual.C);
        Assert.Equal(expected.H, actual.H);
        Assert.Equal(expected.DC, actual.DC);
        Assert.Equal(expected.DGates, actual.DGates);
    }

    // Repeated tokens make ScatterAdd's per-row additions collide; each token's row has one owner, which keeps their order.
    [Theory]
    [InlineData(2048, 65, 1024)]
    [InlineData(300, 7, 33)]
    [InlineData(4096, 3, 2)]
    public void Embedding_SeveralThreads_BitIdenticalToOneThread(int positions, int vocabulary, int size)
    {
        var random = new RnnRandom((ulong)(positions + vocabulary + size));
        float[] table = Filled(vocabulary * size, ref random), rows = Filled(positions * size, ref random), gradient0 = Filled(vocabulary * size, ref random);
        int[] tokens = new int[positions];
        for (int i = 0; i < positions; i++)
            tokens[i] = random.NextInt(vocabulary);
        (float[] Gathered, float[] Gradient) Run(int threads)
        {
            float[] gathered = new float[positions * size], gradient = (float[])gradient0.Clone();
            using (KernelThreading.Enable(threads))
            {
                Embedding.Gather(table, tokens, gathered, size);
                Embedding.ScatterAdd(rows, tokens, gradient, size);
            }
            return (gathered, gradient);
        }

        var expected = Run(1);
        long runsBefore = KernelThreading.ParallelRuns;
        var actual = Run(2);

        Assert.True(KernelThreading.ParallelRuns > runsBefore, "the embedding kernels did not run in parallel");
        Assert.Equal(expected.Gathered, actual.Gathered);
        Assert.Equal(expected.Gradient, actual.Gradient);
        for (int i = 0; i < positions; i++)
            Assert.True(table.AsSpan(tokens[i] * size, size).SequenceEqual(actual.Gathered.AsSpan(i * size, size)), $"position {i}");
    }

    [Theory]
    [InlineData(32, 256)]
    [InlineData(9, 601)]
    public void GruCell_SeveralThreads_BitIdenticalToOneThread(int batch, int hidden)
    {
        var random = new RnnRandom((ulong)(batch * 17 + hidden));
        int state = batch * hidden;
        float[] preGates = Filled(3 * state, ref random), gh = Filled(3 * state, ref random), hPrev = Filled(state, ref random);
        float[] dH = Filled(state, ref random), dHPrev0 = Filled(state, ref random);
        (float[] Gates, float[] H, float[] DGx, float[] DGh, float[] DHPrev) Run(int threads)
        {
            float[] gates = (float[])preGates.Clone(), h = new float[state], dGx = new float[3 * state], dGh = new float[3 * state], dHPrev = (float[])dHPrev0.Clone();
            using (KernelThreading.Enable(threads))
            {
                GruCell.Forward(gates, gh, hPrev, h, batch, hidden);
                GruCell.Backward(gates, gh, hPrev, dH, dGx, dGh, dHPrev, batch, hidden);
            }
            return (gates, h, dGx, dGh, dHPrev);
        }

        var expected = Run(1);
        long runsBefore = KernelThreading.ParallelRuns;
        var actual = Run(2);

        Assert.True(KernelThreading.ParallelRuns > runsBefore, "the cell did not run in parallel");
        Assert.Equal(expected.Gates, actual.Gates);
        Assert.Equal(expected.H, actual.H);
        Assert.Equal(expected.DGx, actual.DGx);
        Assert.Equal(expected.DGh, actual.DGh);
        Assert.Equal(expected.DHPrev, actual.DHPrev);
    }

    // Regression: with more threads than cores an owner descheduled between publishing a job and waking the workers
    // woke one after it had already run that job; it ran the job again and the owner spun forever. This reproduced
    // within a few hundred jobs at 3 threads on 2 cores.
    [Fact]
    public void ManyShortJobs_MoreThreadsThanCores_AllComplete()
    {
        var random = new RnnRandom(77);
        float[] gates = Filled(4 * 9 * 601, ref random), cPrev = Filled(9 * 601, ref random), c = new float[9 * 601], h = new float[9 * 601];
        float[] a = Filled(64 * 256, ref random), b = Filled(256 * 256, ref random), product = new float[64 * 256];
        var run = new Thread(() =>
        {
            for (int i = 0; i < 3000; i++)
            {
                using (KernelThreading.Enable(2 + i % 2))
                {
                    LstmCell.Forward(gates, cPrev, c, h, 9, 601);
                    if (i % 4 == 0)
                        Gemm.MultiplyTransposedB(a, b, product, 64, 256, 256, false);
                }
            }
        }) { IsBackground = true };

        run.Start();

        Assert.True(run.Join(TimeSpan.FromSeconds(60)), "a parallel job never completed");
    }

    [Fact]
    public void Product_BelowThreshold_RunsOnCallingThreadOnly()
    {
        var random = new RnnRandom(5);
        float[] a = Filled(32 * 64, ref random), b = Filled(64 * 64, ref random), c = new float[32 * 64];
        long runsBefore = KernelThreading.ParallelRuns;

        using (KernelThreading.Enable(2))
            Gemm.MultiplyTransposedB(a, b, c, 32, 64, 64, accumulate: false);

        Assert.True(2L * 32 * 64 * 64 < KernelThreading.MinimumParallelFlops);
        Assert.Equal(runsBefore, KernelThreading.ParallelRuns);
    }

    [Fact]
    public void Enable_NestedScopes_RestoreEnclosingCount()
    {
        Assert.Equal(1, KernelThreading.ThreadCount);
        using (KernelThreading.Enable(2))
        {
            using (KernelThreading.Enable(4))
                Assert.Equal(4, KernelThreading.ThreadCount);
            Assert.Equal(2, KernelThreading.ThreadCount);
        }
        Assert.Equal(1, KernelThreading.ThreadCount);
    }

    [Fact]
    public void Enable_OtherThread_KeepsItsOwnCount()
    {
        int seen = 0;
        using (KernelThreading.Enable(2))
        {
            var thread = new Thread(() => seen = KernelThreading.ThreadCount);
            thread.Start();
            thread.Join();
        }
        Assert.Equal(1, seen);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(KernelThreading.MaxThreads + 1)]
    public void Enable_OutOfRange_ThrowsNamingThreads(int threads)
    {
        var exception = Assert.Throws<ArgumentOutOfRangeException>(() => KernelThreading.Enable(threads));
        Assert.Equal("threads", exception.ParamName);
        Assert.Contains($"[1, {KernelThreading.MaxThreads}]", exception.Message);
    }

    [Fact]
    public void Product_ConcurrentCallersInScopes_AllBitIdenticalWithoutDeadlock()
    {
        const int Callers = 4, Repeats = 25, M = 64, N = 256, K = 256;
        var random = new RnnRandom(11);
        float[] a = Filled(M * K, ref random), b = Filled(N * K, ref random);
        float[] expected = new float[M * N];
        Gemm.MultiplyTransposedB(a, b, expected, M, N, K, accumulate: false);
        var mismatches = new int[Callers];
        var threads = new Thread[Callers];
        for (int t = 0; t < Callers; t++)
        {
            int caller = t;
            threads[t] = new Thread(() =>
            {
                float[] c = new float[M * N];
                using (KernelThreading.Enable(2))
                {
                    for (int r = 0; r < Repeats; r++)
                    {
                        Gemm.MultiplyTransposedB(a, b, c, M, N, K, accumulate: false);
                        if (!expected.AsSpan().SequenceEqual(c))
                            mismatches[caller]++;
                    }
                }
            });
            threads[t].Start();
        }

        foreach (Thread thread in threads)
            Assert.True(thread.Join(TimeSpan.FromMinutes(2)), "a caller did not finish");
        Assert.All(mismatches, count => Assert.Equal(0, count));
    }

    [Fact]
    public void Product_SeveralThreadsAfterWarmUp_AllocatesNothing()
    {
        var random = new RnnRandom(3);
        float[] a = Filled(128 * 256, ref random), b = Filled(256 * 256, ref random), c = new float[128 * 256];
        using (KernelThreading.Enable(2))
        {
            // Warm-up also gives each thread its panel store (Gemm keeps a k-block of B packed per thread).
            Assert.Equal(0, AllocationMeter.Measure(() =>
            {
                Gemm.MultiplyTransposedB(a, b, c, 128, 256, 256, accumulate: false);
                Gemm.Multiply(a, b, c, 128, 256, 256, accumulate: true);
                Gemm.MultiplyTransposedA(b, a, c.AsSpan(0, 256 * 128), 256, 128, 256, accumulate: true);
            }, calls: 1));
        }
    }

    private static void Run(Form form, float[] a, float[] b, float[] c, int m, int n, int k, bool accumulate)
    {
        Kernel kernel = form switch
        {
            Form.TransposedB => Gemm.MultiplyTransposedB,
            Form.Plain => Gemm.Multiply,
            _ => Gemm.MultiplyTransposedA,
        };
        kernel(a, b, c, m, n, k, accumulate);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Jobs_ManyInARow_RunEveryPartExactlyOnce(int parts)
    {
        const int Jobs = 20_000;
        var runs = new int[Jobs * parts];
        for (int j = 0; j < Jobs; j++)
        {
            // Uneven parts, so that workers and the owner race for the unclaimed ones in every order.
            var job = new CountingJob { Runs = runs, Offset = j * parts, SpinPart = j % parts, Spin = j % 7 * 50 };
            Assert.True(KernelThreading.TryRun(ref job, parts));
        }

        Assert.All(runs, count => Assert.Equal(1, count));
    }

    [Fact]
    public void Jobs_WorkerAsleep_OwnerRunsTheUnclaimedPartItself()
    {
        long stolenBefore = KernelThreading.StolenParts;
        var runs = new int[2 * 20];
        for (int j = 0; j < 20; j++)
        {
            // After a millisecond idle the worker blocks; waking it takes microseconds, while part 0 takes none.
            Thread.Sleep(1);
            var job = new CountingJob { Runs = runs, Offset = j * 2 };
            Assert.True(KernelThreading.TryRun(ref job, 2));
        }

        Assert.All(runs, count => Assert.Equal(1, count));
        Assert.True(KernelThreading.StolenParts > stolenBefore, "the owner never ran a part no worker had claimed");
    }

    private struct CountingJob : KernelThreading.IParallelJob
    {
        public int[] Runs;
        public int Offset;
        public int SpinPart;
        public int Spin;

        public readonly void Run(int part, int parts)
        {
            if (part == SpinPart)
                Thread.SpinWait(Spin);
            Interlocked.Increment(ref Runs[Offset + part]);
        }
    }

    private static float[] Filled(int length, ref RnnRandom random)
    {
        float[] values = new float[length];
        random.FillUniform(values, -1f, 1f);
        return values;
    }
}
