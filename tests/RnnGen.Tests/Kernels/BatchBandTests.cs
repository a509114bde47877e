using System.Collections.Generic;
using System.Linq;
using System.Threading;
using RnnGen.Kernels;

namespace RnnGen.Tests.Kernels;

// Each banded layer's recurrent products are above KernelThreading.MinimumParallelFlops (2·T·B·G·H·S ≥ 2^21), so its
// time loops run as one band of batch rows per thread on two threads. Batch sizes are odd or uneven, so bands differ in
// size and cross the GEMM row tiles, and hidden sizes are not multiples of the vector widths, so every row has a tail.

[RnnModel(SequenceLength = 16, BatchSize = 7)]
[Input(8)]
[Lstm(67)]
[Dense(5, Activation = DenseActivation.Softmax)]
public partial class BandLstm { }

[RnnModel(SequenceLength = 16, BatchSize = 5)]
[Input(8)]
[Gru(97)]
[Dense(4)]
public partial class BandGru { }

// The reset-before GRU and the projected LSTM keep per-step products (not banded); the LSTM above them is banded.
[RnnModel(SequenceLength = 9, BatchSize = 6, VariableLength = true)]
[Input(5)]
[Gru(33, ResetAfter = false, Bidirectional = true)]
[Lstm(40, ProjectionSize = 20)]
[Lstm(83, Bidirectional = true)]
[Dense(3, Activation = DenseActivation.Softmax)]
public partial class BandBidirectionalVariableLength { }

[RnnModel(SequenceLength = 16, BatchSize = 5)]
[Input(8)]
[SimpleRnn(131)]
[Dense(2)]
public partial class BandSimpleRnn { }

[RnnModel(SequenceLength = 16, BatchSize = 9)]
[Embedding(20, 8)]
[Lstm(61)]
[Dense(20, Activation = DenseActivation.Softmax)]
public partial class BandTokenLstm { }

/// <summary>
/// Generated models on two threads: the time loops run as bands of batch rows (<see cref="KernelThreading.ForEachBatchBand"/>)
/// and every output, loss, gradient and carried state is bit-identical to one thread's.
/// </summary>
[Collection(KernelThreadingCollection.Name)]
public sealed class BatchBandTests
{
    [Fact]
    public void Lstm_TwoThreads_BitIdenticalToOneThread() =>
        AssertTwoThreadsBitIdentical(() => new BandLstm(3), FloatInputs, ClassTargets(BandLstm.OutputSize));

    [Fact]
    public void Gru_TwoThreads_BitIdenticalToOneThread() =>
        AssertTwoThreadsBitIdentical(() => new BandGru(3), FloatInputs, FloatTargets);

    [Fact]
    public void SimpleRnn_TwoThreads_BitIdenticalToOneThread() =>
        AssertTwoThreadsBitIdentical(() => new BandSimpleRnn(3), FloatInputs, FloatTargets);

    [Fact]
    public void TokenTableLstm_TwoThreads_BitIdenticalToOneThread() =>
        AssertTwoThreadsBitIdentical(() => new BandTokenLstm(3), length => Tokens(length, BandTokenLstm.VocabularySize), ClassTargets(BandTokenLstm.OutputSize));

    [Fact]
    public void BidirectionalVariableLength_TwoThreads_BitIdenticalToOneThread()
    {
        int[] lengths = [9, 1, 4, 9, 7, 2];
        float[] inputs = FloatInputs(BandBidirectionalVariableLength.InputLength);
        int[] targets = ClassTargets(BandBidirectionalVariableLength.OutputSize)(BandBidirectionalVariableLength.TargetLength);
        var one = new BandBidirectionalVariableLength(3);
        var two = new BandBidirectionalVariableLength(3);
        var outputsOne = new float[BandBidirectionalVariableLength.OutputLength];
        var outputsTwo = new float[BandBidirectionalVariableLength.OutputLength];

        float lossOne = one.ComputeGradients(inputs, lengths, targets);
        one.Forward(inputs, lengths, outputsOne);
        long runsBefore = KernelThreading.ParallelRuns;
        float lossTwo;
        using (KernelThreading.Enable(2))
        {
            lossTwo = two.ComputeGradients(inputs, lengths, targets);
            two.Forward(inputs, lengths, outputsTwo);
        }

        Assert.True(KernelThreading.ParallelRuns > runsBefore, "nothing ran on two threads");
        Assert.Equal(BitConverter.SingleToInt32Bits(lossOne), BitConverter.SingleToInt32Bits(lossTwo));
        AssertBits(outputsOne, outputsTwo, "outputs");
        AssertBits(one.Parameters.Gradients, two.Parameters.Gradients, "gradients");
        AssertBits(one.InputGradient, two.InputGradient, "input gradient");
    }

    [Fact]
    public void TrainingInBands_AfterWarmUp_AllocatesZeroBytes()
    {
        var model = new BandLstm(3);
        float[] inputs = FloatInputs(BandLstm.InputLength);
        int[] targets = ClassTargets(BandLstm.OutputSize)(BandLstm.TargetLength);
        var outputs = new float[BandLstm.OutputLength];
        long runsBefore = KernelThreading.ParallelRuns;
        using (KernelThreading.Enable(2))
        {
            Assert.Equal(0, AllocationMeter.Measure(() => model.ComputeGradients(inputs, targets)));
            Assert.Equal(0, AllocationMeter.Measure(() => model.Forward(inputs, outputs)));
        }
        Assert.True(KernelThreading.ParallelRuns > runsBefore, "nothing ran on two threads");
    }

    [Fact]
    public void BatchBands_BelowTheParallelThreshold_RunAsOneBandOnTheCallingThread()
    {
        var job = new RecordingJob { Bands = new List<(int, int, int)>() };
        using (KernelThreading.Enable(2))
            KernelThreading.ForEachBatchBand(ref job, 8, KernelThreading.MinimumParallelFlops - 1);

        Assert.Equal([(0, 8, Environment.CurrentManagedThreadId)], job.Bands);
    }

    [Fact]
    public void BatchBands_AboveTheThreshold_CoverEveryRowOnceWithSplittingOffInside()
    {
        // The first band waits for the second, so the worker must claim it: the owner cannot run it instead.
        PartBalance.Reset();
        var job = new RecordingJob { Bands = new List<(int, int, int)>(), ThreadCounts = new List<int>(), FirstWaitsForOthers = 2 };
        using (KernelThreading.Enable(2))
        {
            KernelThreading.ForEachBatchBand(ref job, 7, KernelThreading.MinimumParallelFlops);
            Assert.Equal(2, KernelThreading.ThreadCount);
        }

        List<(int First, int Rows, int Thread)> bands = job.Bands.OrderBy(band => band.Item1).ToList();
        Assert.Equal([(0, 4), (4, 3)], bands.Select(band => (band.First, band.Rows)));
        Assert.Equal(2, bands.Select(band => band.Thread).Distinct().Count());
        Assert.All(job.ThreadCounts!, count => Assert.Equal(1, count));
    }

    [Fact]
    public void BatchBands_AfterASlowBand_GiveThatThreadFewerRowsAndStillCoverEveryRowOnce()
    {
        PartBalance.Reset();
        try
        {
            // The owner's band sleeps 20 ms per row, so its thread measures far slower than the worker's.
            var slow = new RecordingJob { Bands = new List<(int, int, int)>(), FirstWaitsForOthers = 2, FirstSleepsPerRow = TimeSpan.FromMilliseconds(20) };
            using (KernelThreading.Enable(2))
            {
                for (int run = 0; run < 4; run++)
                {
                    slow.Bands.Clear();
                    KernelThreading.ForEachBatchBand(ref slow, 32, KernelThreading.MinimumParallelFlops);
                }
            }

            List<(int First, int Rows, int Thread)> last = slow.Bands.OrderBy(band => band.Item1).ToList();
            Assert.Equal(2, last.Count);
            Assert.Equal(0, last[0].First);
            Assert.Equal(last[0].Rows, last[1].First);
            Assert.Equal(32, last[0].Rows + last[1].Rows);
            Assert.True(last[0].Rows < 16, $"the slow thread still took {last[0].Rows} of 32 rows");
            Assert.Equal(0, last[0].Rows % 2);

            // Generated models split unevenly this way are still bit-identical to one thread.
            AssertTwoThreadsBitIdentical(() => new BandTokenLstm(3), length => Tokens(length, BandTokenLstm.VocabularySize), ClassTargets(BandTokenLstm.OutputSize));
        }
        finally
        {
            PartBalance.Reset();
        }
    }

    [Fact]
    public void BatchBands_InvalidArguments_Throw()
    {
        var job = new RecordingJob { Bands = new List<(int, int, int)>() };
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelThreading.ForEachBatchBand(ref job, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelThreading.ForEachBatchBand(ref job, 4, -1));
        Assert.Empty(job.Bands);
    }

    private struct RecordingJob : KernelThreading.IBatchBandJob
    {
        public List<(int, int, int)> Bands;
        public List<int>? ThreadCounts;
        public int FirstWaitsForOthers;
        public TimeSpan FirstSleepsPerRow;

        public readonly void Run(int first, int rows)
        {
            lock (Bands)
            {
                Bands.Add((first, rows, Environment.CurrentManagedThreadId));
                ThreadCounts?.Add(KernelThreading.ThreadCount);
            }
            if (first == 0)
            {
                Thread.Sleep(FirstSleepsPerRow * rows);
                List<(int, int, int)> bands = Bands;
                int others = FirstWaitsForOthers;
                Assert.True(SpinWait.SpinUntil(() => { lock (bands) return bands.Count >= others; }, TimeSpan.FromSeconds(30)));
            }
        }
    }

    private static void AssertTwoThreadsBitIdentical<TInput, TTarget>(Func<IRnnModel<TInput, TTarget>> create,
        Func<int, TInput[]> makeInputs, Func<int, TTarget[]> makeTargets)
    {
        IRnnModel<TInput, TTarget> one = create(), two = create();
        TInput[] inputs = makeInputs(one.InputLength);
        TTarget[] targets = makeTargets(one.TargetLength);
        var outputsOne = new float[one.OutputLength];
        var outputsTwo = new float[two.OutputLength];

        // Two passes with the state carried between them, so the second starts from the first's final state.
        float lossOne = 0, lossTwo = 0;
        for (int pass = 0; pass < 2; pass++)
        {
            lossOne = one.ComputeGradients(inputs, targets);
            one.CarryState();
        }
        one.Forward(inputs, outputsOne);
        long runsBefore = KernelThreading.ParallelRuns;
        using (KernelThreading.Enable(2))
        {
            for (int pass = 0; pass < 2; pass++)
            {
                lossTwo = two.ComputeGradients(inputs, targets);
                two.CarryState();
            }
            two.Forward(inputs, outputsTwo);
        }

        Assert.True(KernelThreading.ParallelRuns > runsBefore, "nothing ran on two threads");
        Assert.Equal(BitConverter.SingleToInt32Bits(lossOne), BitConverter.SingleToInt32Bits(lossTwo));
        AssertBits(outputsOne, outputsTwo, "outputs");
        AssertBits(one.Parameters.Gradients, two.Parameters.Gradients, "gradients");
        AssertBits(one.InputGradient, two.InputGradient, "input gradient");
        AssertBits(one.FinalHidden(0), two.FinalHidden(0), "final hidden state");
    }

    private static void AssertBits(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}[{i}]: {expected[i]:R} on one thread, {actual[i]:R} on two");
        }
    }

    private static float[] FloatInputs(int length)
    {
        var random = new RnnRandom((ulong)length);
        var values = new float[length];
        random.FillUniform(values, -1f, 1f);
        return values;
    }

    private static float[] FloatTargets(int length) => FloatInputs(length + 1)[..length];

    private static Func<int, int[]> ClassTargets(int classes) => length => Tokens(length, classes);

    private static int[] Tokens(int length, int vocabulary)
    {
        var random = new RnnRandom((ulong)(length * 31 + vocabulary));
        var tokens = new int[length];
        for (int i = 0; i < length; i++)
            tokens[i] = random.NextInt(vocabulary);
        return tokens;
    }
}
