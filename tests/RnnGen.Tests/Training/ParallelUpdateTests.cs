using System.Collections.Generic;
using System.Linq;
using RnnGen.Kernels;
using RnnGen.Tests.Kernels;

namespace RnnGen.Tests.Training;

/// <summary>
/// The passes of a training step outside its products and time loops (the softmax cross-entropy, zeroing, the gradient
/// norm, clipping and every optimiser's update) split long blocks across threads; each result must equal one thread's
/// bit for bit.
/// </summary>
[Collection(KernelThreadingCollection.Name)]
public sealed class ParallelUpdateTests
{
    // Above KernelThreading.MinimumParallelRange, odd, and split into tensors at an odd index.
    private const int Length = 3 * KernelThreading.MinimumParallelRange + 13;

    public static TheoryData<string> Kinds() => TrainingTestData.Kinds();

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Step_TwoThreads_BitIdenticalToOneThread(string kind)
    {
        float[] RunSteps(int threads)
        {
            RnnParameters parameters = TrainingTestData.Block(Length);
            parameters.InitializeDefault(5);
            Optimizer optimizer = TrainingTestData.Create(kind, parameters);
            using KernelThreading.Scope scope = KernelThreading.Enable(threads);
            for (long step = 0; step < 3; step++)
            {
                TrainingTestData.FillGradients(parameters, 5, step);
                optimizer.Step();
            }
            float[] result = parameters.ReadOnlyValues.ToArray();
            foreach (OptimizerStateTensor state in optimizer.StateTensors)
                result = [.. result, .. state.Values];
            return result;
        }

        float[] expected = RunSteps(1);
        long runsBefore = KernelThreading.ParallelRuns;
        float[] actual = RunSteps(2);

        Assert.True(KernelThreading.ParallelRuns > runsBefore, "the update did not run in parallel");
        Assert.True(expected.AsSpan().SequenceEqual(actual), $"{kind}: two threads differ from one");
    }

    [Theory]
    [InlineData(Length)]
    [InlineData(KernelThreading.MinimumParallelRange * 40 + 7)]
    public void GlobalNormAndClipping_TwoThreads_BitIdenticalToOneThread(int length)
    {
        var random = new RnnRandom((ulong)length);
        float[] gradients = new float[length];
        random.FillNormal(gradients, 0f, 3f);
        (float Norm, float[] ByNorm, float[] ByValue) Run(int threads)
        {
            float[] byNorm = (float[])gradients.Clone(), byValue = (float[])gradients.Clone();
            using KernelThreading.Scope scope = KernelThreading.Enable(threads);
            float norm = GradientClipping.ClipByGlobalNorm(byNorm, 5f);
            GradientClipping.ClipByValue(byValue, 1f);
            return (norm, byNorm, byValue);
        }

        var expected = Run(1);
        long runsBefore = KernelThreading.ParallelRuns;
        var actual = Run(2);

        Assert.True(KernelThreading.ParallelRuns >= runsBefore + 3, "norm, scaling and clamping did not all run in parallel");
        Assert.Equal(expected.Norm, actual.Norm);
        Assert.Equal((float)Math.Sqrt(gradients.Sum(g => (double)g * g)), expected.Norm, 5e-6f * expected.Norm);
        Assert.True(expected.ByNorm.AsSpan().SequenceEqual(actual.ByNorm), "norm clipping differs");
        Assert.True(expected.ByValue.AsSpan().SequenceEqual(actual.ByValue), "value clipping differs");
        Assert.All(actual.ByValue, g => Assert.InRange(g, -1f, 1f));
    }

    // The char-LM benchmark's rows (T·B = 2048 of 65 classes) and an odd row count, with ignored rows.
    [Theory]
    [InlineData(2048, 65)]
    [InlineData(1001, 97)]
    public void SoftmaxCrossEntropy_TwoThreads_BitIdenticalToOneThread(int rows, int classes)
    {
        var random = new RnnRandom((ulong)(rows + classes));
        float[] logits = new float[rows * classes];
        random.FillUniform(logits, -6f, 6f);
        int[] targets = new int[rows];
        for (int r = 0; r < rows; r++)
            targets[r] = r % 13 == 0 ? Losses.IgnoreIndex : random.NextInt(classes);
        (float Loss, float[] Gradient) Run(int threads)
        {
            float[] gradient = new float[logits.Length];
            using KernelThreading.Scope scope = KernelThreading.Enable(threads);
            return (Losses.SoftmaxCrossEntropy(logits, targets, gradient, classes), gradient);
        }

        var expected = Run(1);
        long runsBefore = KernelThreading.ParallelRuns;
        var actual = Run(2);

        Assert.True(KernelThreading.ParallelRuns > runsBefore, "the loss did not run in parallel");
        Assert.Equal(expected.Loss, actual.Loss);
        Assert.True(expected.Gradient.AsSpan().SequenceEqual(actual.Gradient), "two threads' gradient differs from one");
    }

    [Fact]
    public void ZeroGradients_TwoThreads_ClearsEveryGradient()
    {
        RnnParameters parameters = TrainingTestData.Block(Length);
        TrainingTestData.FillGradients(parameters, 9, 0);
        long runsBefore = KernelThreading.ParallelRuns;

        using (KernelThreading.Enable(2))
            parameters.ZeroGradients();

        Assert.True(KernelThreading.ParallelRuns > runsBefore, "zeroing did not run in parallel");
        Assert.True(parameters.Gradients.IndexOfAnyExcept(0f) < 0, "a gradient was left");
    }

    [Fact]
    public void Step_OptimiserThatIsNotElementwise_GetsTheWholeBlockOnceOnTwoThreads()
    {
        RnnParameters parameters = TrainingTestData.Block(Length);
        TrainingTestData.FillGradients(parameters, 4, 0);
        var optimizer = new WholeBlockOptimizer(parameters);

        using (KernelThreading.Enable(2))
            optimizer.Step();

        Assert.Equal([(0, Length)], optimizer.Calls);
        Assert.Equal(1, optimizer.StepCount);
    }

    [Fact]
    public void StepAndClipping_TwoThreadsAfterWarmUp_AllocateNothing()
    {
        RnnParameters parameters = TrainingTestData.Block(Length);
        parameters.InitializeDefault(2);
        TrainingTestData.FillGradients(parameters, 2, 0);
        var adam = new Adam(parameters);
        void Step()
        {
            using KernelThreading.Scope scope = KernelThreading.Enable(2);
            GradientClipping.ClipByGlobalNorm(parameters.Gradients, 1f);
            adam.Step();
            parameters.ZeroGradients();
        }
        Step();

        Assert.Equal(0, AllocationMeter.Measure(Step, calls: 20));
    }

    // Records its calls; a real one would, say, scale each tensor's update by that tensor's norm.
    private sealed class WholeBlockOptimizer(RnnParameters parameters) : Optimizer(parameters, 0.1f)
    {
        public List<(int Offset, int Length)> Calls { get; } = [];

        public override string Name => "WholeBlock";

        protected override bool UpdatesElementwise => false;

        protected override void Update(Span<float> values, ReadOnlySpan<float> gradients, int offset, long step) =>
            Calls.Add((offset, values.Length));
    }
}
