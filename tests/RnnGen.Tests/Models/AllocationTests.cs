namespace RnnGen.Tests.Models;

/// <summary>After construction and one warm-up call, the hot entry points allocate nothing.</summary>
public sealed class AllocationTests
{
    public static TheoryData<string> Cases => new() { "rnn_tanh_l2", "lstm_l2", "gru_l2", "lstm_last", "lstm_embedding", "lstm_l1_nobias" };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardAndTraining_AfterWarmUp_AllocateZeroBytes(string name)
    {
        GoldenFixture fixture = GoldenFixture.Load(name);
        IRnnModel model = GoldenModelTests.Prepare(fixture);
        var outputs = new float[model.OutputLength];
        float[] x = fixture.Has("x") ? fixture.Floats("x") : Array.Empty<float>();
        int[] tokens = fixture.Has("tokens") ? fixture.Ints("tokens") : Array.Empty<int>();
        int[] classes = fixture.Metadata["loss"] == "ce" ? fixture.Ints("targets") : Array.Empty<int>();
        float[] values = fixture.Metadata["loss"] == "mse" ? fixture.Floats("targets") : Array.Empty<float>();

        long forward, training;
        switch (model)
        {
            case IRnnModel<float, int> m:
                forward = AllocationMeter.Measure(() => m.Forward(x, outputs));
                training = AllocationMeter.Measure(() => m.ComputeGradients(x, classes));
                break;
            case IRnnModel<float, float> m:
                forward = AllocationMeter.Measure(() => m.Forward(x, outputs));
                training = AllocationMeter.Measure(() => m.ComputeGradients(x, values));
                break;
            case IRnnModel<int, int> m:
                forward = AllocationMeter.Measure(() => m.Forward(tokens, outputs));
                // A token-table model computes dx on the first read of InputGradient, so the read is part of the pass.
                training = AllocationMeter.Measure(() =>
                {
                    m.ComputeGradients(tokens, classes);
                    _ = m.InputGradient[0];
                });
                break;
            default:
                throw new InvalidOperationException();
        }
        Assert.Equal(0, forward);
        Assert.Equal(0, training);
        Assert.Equal(0, AllocationMeter.Measure(model.ZeroGradients));
        Assert.Equal(0, AllocationMeter.Measure(model.CarryState));
    }

    [Fact]
    public void Step_LstmGruRnnAndTokens_AllocateZeroBytes()
    {
        var lstm = new LstmL2();
        var lstmState = lstm.CreateState();
        var gru = new GruL2();
        var gruState = gru.CreateState();
        var rnn = new RnnTanhL2();
        var rnnState = rnn.CreateState();
        var tokens = new LstmEmbedding();
        var tokenState = tokens.CreateState();
        var input = new float[5];
        var output = new float[11];

        Assert.Equal(0, AllocationMeter.Measure(() => lstm.Step(lstmState, input.AsSpan(0, LstmL2.InputSize), output.AsSpan(0, LstmL2.OutputSize))));
        Assert.Equal(0, AllocationMeter.Measure(() => gru.Step(gruState, input.AsSpan(0, GruL2.InputSize), output.AsSpan(0, GruL2.OutputSize))));
        Assert.Equal(0, AllocationMeter.Measure(() => rnn.Step(rnnState, input.AsSpan(0, RnnTanhL2.InputSize), output.AsSpan(0, RnnTanhL2.OutputSize))));
        Assert.Equal(0, AllocationMeter.Measure(() => tokens.Step(tokenState, 3, output)));
        Assert.Equal(0, AllocationMeter.Measure(lstmState.Reset));
        Assert.Equal(0, AllocationMeter.Measure(() => gruState.CopyFrom(gruState)));
    }
}

/// <summary>The lecture topologies allocate nothing either: bidirectional merges, variable lengths, projections,
/// reset-before GRUs, one-hot inputs and encoders.</summary>
public sealed class TopologyAllocationTests
{
    [Fact]
    public void BidirectionalAndVariableLength_ForwardAndTraining_AllocateZeroBytes()
    {
        var model = new FdVariableLengthLstm(1);
        var inputs = new float[FdVariableLengthLstm.InputLength];
        var outputs = new float[FdVariableLengthLstm.OutputLength];
        var targets = new int[FdVariableLengthLstm.TargetLength];
        int[] lengths = { 5, 2, 4 };

        Assert.Equal(0, AllocationMeter.Measure(() => model.Forward(inputs, lengths, outputs)));
        Assert.Equal(0, AllocationMeter.Measure(() => model.ComputeGradients(inputs, lengths, targets)));
        Assert.Equal(0, AllocationMeter.Measure(() => model.ComputeGradients(inputs, targets)));
    }

    [Fact]
    public void MergeModesProjectionResetBeforeOneHot_TrainingAndStep_AllocateZeroBytes()
    {
        var stack = new FdBidirectionalStack(1);
        var last = new FdBidirectionalLast(1);
        var projection = new FdLstmProjection(1);
        var resetBefore = new FdGruResetBefore(1);
        var oneHot = new FdOneHot(1);
        var projectionState = projection.CreateState();
        var resetBeforeState = resetBefore.CreateState();
        var oneHotState = oneHot.CreateState();
        var buffer = new float[64];
        var classes = new int[16];
        var tokens = new int[FdOneHot.InputLength];

        Assert.Equal(0, AllocationMeter.Measure(() => stack.ComputeGradients(buffer.AsSpan(0, FdBidirectionalStack.InputLength), classes.AsSpan(0, FdBidirectionalStack.TargetLength))));
        Assert.Equal(0, AllocationMeter.Measure(() => last.ComputeGradients(buffer.AsSpan(0, FdBidirectionalLast.InputLength), buffer.AsSpan(0, FdBidirectionalLast.TargetLength))));
        Assert.Equal(0, AllocationMeter.Measure(() => projection.ComputeGradients(buffer.AsSpan(0, FdLstmProjection.InputLength), classes.AsSpan(0, FdLstmProjection.TargetLength))));
        Assert.Equal(0, AllocationMeter.Measure(() => resetBefore.ComputeGradients(buffer.AsSpan(0, FdGruResetBefore.InputLength), buffer.AsSpan(0, FdGruResetBefore.TargetLength))));
        Assert.Equal(0, AllocationMeter.Measure(() => oneHot.ComputeGradients(tokens, classes.AsSpan(0, FdOneHot.TargetLength))));
        Assert.Equal(0, AllocationMeter.Measure(() => projection.Step(projectionState, buffer.AsSpan(0, FdLstmProjection.InputSize), buffer.AsSpan(8, FdLstmProjection.OutputSize))));
        Assert.Equal(0, AllocationMeter.Measure(() => resetBefore.Step(resetBeforeState, buffer.AsSpan(0, FdGruResetBefore.InputSize), buffer.AsSpan(8, FdGruResetBefore.OutputSize))));
        Assert.Equal(0, AllocationMeter.Measure(() => oneHot.Step(oneHotState, 3, buffer.AsSpan(8, FdOneHot.OutputSize))));
    }
}
