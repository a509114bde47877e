using System.Linq;

namespace RnnGen.Tests.Models;

/// <summary>Streaming <c>Step</c> on carried state reproduces the batch forward pass, stream by stream.</summary>
public sealed class StepTests
{
    private delegate Span<float> StateView<TState>(TState state, int layer);

    private delegate void StepAction<TState>(TState state, int t, int b, Span<float> output);

    public static TheoryData<string> Cases => new() { "rnn_tanh_l2", "rnn_relu_l2", "lstm_l2", "lstm_l1_random", "gru_l2", "gru_l1_random", "lstm_embedding", "lstm_l1_nobias" };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Step_OverEachSequence_MatchesForwardOutputsAndFinalState(string name)
    {
        GoldenFixture fixture = GoldenFixture.Load(name);
        IRnnModel model = GoldenModelTests.Prepare(fixture);
        float[] x = fixture.Has("x") ? fixture.Floats("x") : Array.Empty<float>();
        int[] tokens = fixture.Has("tokens") ? fixture.Ints("tokens") : Array.Empty<int>();
        int rows = model.SequenceLength * model.BatchSize;
        int size = x.Length / rows;
        ReadOnlySpan<float> X(int t, int b) => x.AsSpan((t * model.BatchSize + b) * size, size);

        switch (model)
        {
            case RnnTanhL2 m: Check(fixture, m, m.CreateState, (s, l) => s.Hidden(l), (s, t, b, o) => m.Step(s, X(t, b), o)); break;
            case RnnReluL2 m: Check(fixture, m, m.CreateState, (s, l) => s.Hidden(l), (s, t, b, o) => m.Step(s, X(t, b), o)); break;
            case LstmL2 m: Check(fixture, m, m.CreateState, (s, l) => s.Hidden(l), (s, t, b, o) => m.Step(s, X(t, b), o), (s, l) => s.Cell(l)); break;
            case LstmL1Random m: Check(fixture, m, m.CreateState, (s, l) => s.Hidden(l), (s, t, b, o) => m.Step(s, X(t, b), o), (s, l) => s.Cell(l)); break;
            case LstmL1NoBias m: Check(fixture, m, m.CreateState, (s, l) => s.Hidden(l), (s, t, b, o) => m.Step(s, X(t, b), o), (s, l) => s.Cell(l)); break;
            case GruL2 m: Check(fixture, m, m.CreateState, (s, l) => s.Hidden(l), (s, t, b, o) => m.Step(s, X(t, b), o)); break;
            case GruL1Random m: Check(fixture, m, m.CreateState, (s, l) => s.Hidden(l), (s, t, b, o) => m.Step(s, X(t, b), o)); break;
            case LstmEmbedding m: Check(fixture, m, m.CreateState, (s, l) => s.Hidden(l), (s, t, b, o) => m.Step(s, tokens[t * LstmEmbedding.BatchSize + b], o), (s, l) => s.Cell(l)); break;
            default: throw new InvalidOperationException(name);
        }
    }

    // A head too large for a packed copy (Limits.PackedHeadFloats) keeps Step's GEMM head; it must still match Forward.
    [Fact]
    public void Step_HeadTooLargeToPack_MatchesForward()
    {
        var model = new WideHeadLstm(5);
        var random = new Random(11);
        float[] x = Enumerable.Range(0, WideHeadLstm.InputLength).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var expected = new float[WideHeadLstm.OutputLength];
        model.Forward(x, expected);
        var state = model.CreateState();
        var output = new float[WideHeadLstm.OutputSize];
        for (int t = 0; t < WideHeadLstm.SequenceLength; t++)
        {
            model.Step(state, x.AsSpan(t * WideHeadLstm.InputSize, WideHeadLstm.InputSize), output);
            GoldenModelTests.AssertClose(expected.AsSpan(t * WideHeadLstm.OutputSize, WideHeadLstm.OutputSize), output, $"output[t={t}]");
        }
    }

    private static void Check<TState>(GoldenFixture fixture, IRnnModel model, Func<TState> create, StateView<TState> hidden, StepAction<TState> step, StateView<TState>? cell = null)
    {
        var batchOutputs = new float[model.OutputLength];
        GoldenModelTests.Forward(model, fixture, batchOutputs);
        int outputs = model.OutputLength / (model.SequenceLength * model.BatchSize);
        var output = new float[outputs];
        for (int b = 0; b < model.BatchSize; b++)
        {
            TState state = create();
            for (int layer = 0; layer < model.LayerCount; layer++)
            {
                int h = hidden(state, layer).Length;
                model.InitialHidden(layer).Slice(b * h, h).CopyTo(hidden(state, layer));
                if (cell is not null)
                    model.InitialCell(layer).Slice(b * h, h).CopyTo(cell(state, layer));
            }
            for (int t = 0; t < model.SequenceLength; t++)
            {
                step(state, t, b, output);
                GoldenModelTests.AssertClose(batchOutputs.AsSpan((t * model.BatchSize + b) * outputs, outputs), output, $"output[t={t}, b={b}]");
            }
            for (int layer = 0; layer < model.LayerCount; layer++)
            {
                int h = hidden(state, layer).Length;
                GoldenModelTests.AssertClose(model.FinalHidden(layer).Slice(b * h, h), hidden(state, layer), $"h_n.l{layer}[b={b}]");
                if (cell is not null)
                    GoldenModelTests.AssertClose(model.FinalCell(layer).Slice(b * h, h), cell(state, layer), $"c_n.l{layer}[b={b}]");
            }
        }
    }
}

[RnnModel(SequenceLength = 3)]
[Input(4)]
[Lstm(8)]
[Dense(30000)]
public partial class WideHeadLstm { }
