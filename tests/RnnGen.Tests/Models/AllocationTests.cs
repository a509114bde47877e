namespace RnnGen.Tests.Models;

/// <summary>After construction and one warm-up call, the hot entry points allocate nothing.</summary>
public sealed class AllocationTests
{
    public static TheoryData<string> Cases => new() { "rnn_tanh_l2", "lstm_l2", "gru_l2", "lstm_last", "lstm_embedding", "lstm_l1_nobias" };

    private static long Measure(Action action)
    {
        action();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++)
            action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

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
                forward = Measure(() => m.Forward(x, outputs));
                training = Measure(() => m.ComputeGradients(x, classes));
                break;
            case IRnnModel<float, float> m:
                forward = Measure(() => m.Forward(x, outputs));
                training = Measure(() => m.ComputeGradients(x, values));
                break;
            case IRnnModel<int, int> m:
                forward = Measure(() => m.Forward(tokens, outputs));
                training = Measure(() => m.ComputeGradients(tokens, classes));
                break;
            default:
                throw new InvalidOperationException();
        }
        Assert.Equal(0, forward);
        Assert.Equal(0, training);
        Assert.Equal(0, Measure(model.ZeroGradients));
        Assert.Equal(0, Measure(model.CarryState));
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

        Assert.Equal(0, Measure(() => lstm.Step(lstmState, input.AsSpan(0, LstmL2.InputSize), output.AsSpan(0, LstmL2.OutputSize))));
        Assert.Equal(0, Measure(() => gru.Step(gruState, input.AsSpan(0, GruL2.InputSize), output.AsSpan(0, GruL2.OutputSize))));
        Assert.Equal(0, Measure(() => rnn.Step(rnnState, input.AsSpan(0, RnnTanhL2.InputSize), output.AsSpan(0, RnnTanhL2.OutputSize))));
        Assert.Equal(0, Measure(() => tokens.Step(tokenState, 3, output)));
        Assert.Equal(0, Measure(lstmState.Reset));
        Assert.Equal(0, Measure(() => gruState.CopyFrom(gruState)));
    }
}
