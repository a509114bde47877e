using System.Linq;

namespace RnnGen.Tests.Models;

[RnnModel(SequenceLength = 4, BatchSize = 3)]
[Input(3)]
[Gru(5, Bidirectional = true)]
[Gru(4, Bidirectional = true)]
[Dense(3)]
public partial class BiGruConcatL2 { }

[RnnModel(SequenceLength = 5, BatchSize = 2)]
[Input(4)]
[Gru(6, Bidirectional = true, Merge = BidirectionalMerge.Multiply)]
[Dense(4, Activation = DenseActivation.Softmax)]
public partial class BiGruMultiplyL1 { }

[RnnModel(SequenceLength = 4, BatchSize = 2)]
[Input(3)]
[Lstm(5, Layers = 2, Bidirectional = true, Merge = BidirectionalMerge.Average)]
[Dense(3)]
public partial class BiLstmAverageL2 { }

[RnnModel(SequenceLength = 5, BatchSize = 2)]
[Input(4)]
[Lstm(6, Bidirectional = true)]
[Dense(5, Activation = DenseActivation.Softmax)]
public partial class BiLstmConcatL1 { }

[RnnModel(SequenceLength = 6, BatchSize = 3)]
[Input(4)]
[Lstm(5, Bidirectional = true)]
[Dense(3, Activation = DenseActivation.Softmax, Steps = OutputSteps.LastStep)]
public partial class BiLstmConcatLast { }

[RnnModel(SequenceLength = 5, BatchSize = 2)]
[Input(3)]
[SimpleRnn(7, Bidirectional = true, Merge = BidirectionalMerge.Sum)]
[Dense(4, Activation = DenseActivation.Softmax)]
public partial class BiRnnSumL1 { }

[RnnModel(SequenceLength = 5, BatchSize = 3)]
[Input(4)]
[Gru(7, ResetAfter = false)]
[Dense(6, Activation = DenseActivation.Softmax)]
public partial class GruResetBeforeL1 { }

[RnnModel(SequenceLength = 4, BatchSize = 2)]
[Input(3)]
[Gru(5, ResetAfter = false)]
[Gru(4, ResetAfter = false)]
[Dense(3)]
public partial class GruResetBeforeL2 { }

[RnnModel(SequenceLength = 5, BatchSize = 2)]
[Input(4)]
[Lstm(7, ProjectionSize = 3)]
[Dense(4, Activation = DenseActivation.Softmax)]
public partial class LstmProjL1 { }

[RnnModel(SequenceLength = 4, BatchSize = 2)]
[Input(3)]
[Lstm(6, Layers = 2, ProjectionSize = 4)]
[Dense(3)]
public partial class LstmProjL2 { }

[RnnModel(SequenceLength = 4, BatchSize = 3)]
[OneHot(5)]
[Gru(4)]
[Dense(2, Activation = DenseActivation.Softmax, Steps = OutputSteps.LastStep)]
public partial class OneHotGruLast { }

[RnnModel(SequenceLength = 5, BatchSize = 2)]
[OneHot(7)]
[Lstm(6)]
[Dense(7, Activation = DenseActivation.Softmax)]
public partial class OneHotLstm { }

[RnnModel(SequenceLength = 5, BatchSize = 3, VariableLength = true)]
[Input(3)]
[Gru(4, Bidirectional = true)]
[Dense(2, Activation = DenseActivation.Softmax, Steps = OutputSteps.LastStep)]
public partial class VarLenBiGruLast { }

[RnnModel(SequenceLength = 6, BatchSize = 3, VariableLength = true)]
[Input(4)]
[Lstm(5, Bidirectional = true)]
[Dense(3, Activation = DenseActivation.Softmax)]
public partial class VarLenBiLstmConcat { }

[RnnModel(SequenceLength = 5, BatchSize = 3, VariableLength = true)]
[Input(3)]
[Gru(6)]
[Dense(2)]
public partial class VarLenGruMse { }

[RnnModel(SequenceLength = 6, BatchSize = 3, VariableLength = true)]
[Input(4)]
[Lstm(5)]
[Lstm(4)]
[Dense(4, Activation = DenseActivation.Softmax)]
public partial class VarLenLstmL2 { }

[RnnModel(SequenceLength = 6, BatchSize = 2, VariableLength = true)]
[Input(3)]
[SimpleRnn(5, Activation = RnnActivation.Relu)]
[Dense(2, Steps = OutputSteps.LastStep)]
public partial class VarLenRnnReluLast { }

/// <summary>
/// Bidirectional stacks (every merge mode), variable-length batches, LSTM projections, reset-before GRUs and one-hot
/// inputs reproduce PyTorch: outputs, final states of both directions, loss and every gradient.
/// </summary>
public sealed class TopologyGoldenTests
{
    public static TheoryData<string> Cases => new()
    {
        "bi_gru_concat_l2", "bi_gru_multiply_l1", "bi_lstm_average_l2", "bi_lstm_concat_l1", "bi_lstm_concat_last",
        "bi_rnn_sum_l1", "gru_reset_before_l1", "gru_reset_before_l2", "lstm_proj_l1", "lstm_proj_l2",
        "onehot_gru_last", "onehot_lstm", "varlen_bi_gru_last", "varlen_bi_lstm_concat", "varlen_gru_mse",
        "varlen_lstm_l2", "varlen_rnn_relu_last",
    };

    private static IRnnModel Create(string name) => name switch
    {
        "bi_gru_concat_l2" => new BiGruConcatL2(),
        "bi_gru_multiply_l1" => new BiGruMultiplyL1(),
        "bi_lstm_average_l2" => new BiLstmAverageL2(),
        "bi_lstm_concat_l1" => new BiLstmConcatL1(),
        "bi_lstm_concat_last" => new BiLstmConcatLast(),
        "bi_rnn_sum_l1" => new BiRnnSumL1(),
        "gru_reset_before_l1" => new GruResetBeforeL1(),
        "gru_reset_before_l2" => new GruResetBeforeL2(),
        "lstm_proj_l1" => new LstmProjL1(),
        "lstm_proj_l2" => new LstmProjL2(),
        "onehot_gru_last" => new OneHotGruLast(),
        "onehot_lstm" => new OneHotLstm(),
        "varlen_bi_gru_last" => new VarLenBiGruLast(),
        "varlen_bi_lstm_concat" => new VarLenBiLstmConcat(),
        "varlen_gru_mse" => new VarLenGruMse(),
        "varlen_lstm_l2" => new VarLenLstmL2(),
        "varlen_rnn_relu_last" => new VarLenRnnReluLast(),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    /// <summary>State names of the fixture for the model's state index: forward layers first, then reverse ones.</summary>
    private static (int Index, string Name)[] States(IRnnModel model, GoldenFixture fixture)
    {
        var states = Enumerable.Range(0, model.LayerCount).Select(k => (k, $"l{k}")).ToList();
        for (int k = 0; k < model.LayerCount; k++)
        {
            if (fixture.Has($"h_n.l{k}_reverse"))
                states.Add((model.LayerCount + k, $"l{k}_reverse"));
        }
        return states.ToArray();
    }

    private static float Train(IRnnModel model, GoldenFixture fixture)
    {
        int[] lengths = fixture.Has("lengths") ? fixture.Ints("lengths") : Array.Empty<int>();
        return model switch
        {
            IVariableLengthRnnModel<float, int> m => m.ComputeGradients(fixture.Floats("x"), lengths, fixture.Ints("targets")),
            IVariableLengthRnnModel<float, float> m => m.ComputeGradients(fixture.Floats("x"), lengths, fixture.Floats("targets")),
            _ => GoldenModelTests.Train(model, fixture),
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TrainingPass_PyTorchFixture_MatchesOutputsStatesLossAndGradients(string name)
    {
        GoldenFixture fixture = GoldenFixture.Load(name, "topologies");
        IRnnModel model = Create(name);
        Assert.Equal(fixture.ParameterNames.OrderBy(n => n, StringComparer.Ordinal), model.Parameters.Tensors.Select(t => t.Name).OrderBy(n => n, StringComparer.Ordinal));
        foreach (ParameterTensor tensor in model.Parameters.Tensors)
            fixture.Floats("param." + tensor.Name).CopyTo(model.Parameters.GetValues(tensor.Name));
        (int Index, string Name)[] states = States(model, fixture);
        foreach ((int index, string state) in states)
        {
            if (fixture.Has("h0." + state))
                fixture.Floats("h0." + state).CopyTo(model.InitialHidden(index));
            if (fixture.Has("c0." + state))
                fixture.Floats("c0." + state).CopyTo(model.InitialCell(index));
        }

        float loss = Train(model, fixture);

        GoldenModelTests.AssertClose(fixture.Floats("loss"), new[] { loss }, "loss");
        var outputs = new float[model.OutputLength];
        Forward(model, fixture, outputs);
        GoldenModelTests.AssertClose(ExpectedOutputs(model, fixture), outputs, "output");
        foreach ((int index, string state) in states)
        {
            GoldenModelTests.AssertClose(fixture.Floats("h_n." + state), model.FinalHidden(index), "h_n." + state);
            if (fixture.Has("c_n." + state))
                GoldenModelTests.AssertClose(fixture.Floats("c_n." + state), model.FinalCell(index), "c_n." + state);
            if (fixture.Has("grad.h0." + state))
                GoldenModelTests.AssertClose(fixture.Floats("grad.h0." + state), model.InitialHiddenGradient(index), "grad.h0." + state);
            if (fixture.Has("grad.c0." + state))
                GoldenModelTests.AssertClose(fixture.Floats("grad.c0." + state), model.InitialCellGradient(index), "grad.c0." + state);
        }
        foreach (ParameterTensor tensor in model.Parameters.Tensors)
            GoldenModelTests.AssertClose(fixture.Floats("grad." + tensor.Name), model.Parameters.GetGradients(tensor.Name), "grad." + tensor.Name);
        if (fixture.Has("grad.x"))
            GoldenModelTests.AssertClose(fixture.Floats("grad.x"), model.InputGradient, "grad.x");
    }

    private static void Forward(IRnnModel model, GoldenFixture fixture, float[] outputs)
    {
        int[] lengths = fixture.Has("lengths") ? fixture.Ints("lengths") : Array.Empty<int>();
        switch (model)
        {
            case IVariableLengthRnnModel<float, int> m: m.Forward(fixture.Floats("x"), lengths, outputs); break;
            case IVariableLengthRnnModel<float, float> m: m.Forward(fixture.Floats("x"), lengths, outputs); break;
            default: GoldenModelTests.Forward(model, fixture, outputs); break;
        }
    }

    /// <summary>Forward writes softmax probabilities for classifiers, so the raw PyTorch logits go through softmax (padded rows stay zero).</summary>
    private static float[] ExpectedOutputs(IRnnModel model, GoldenFixture fixture)
    {
        float[] expected = fixture.Floats("output");
        if (fixture.Metadata["loss"] != "ce")
            return expected;
        int classes = int.Parse(fixture.Metadata["output"], System.Globalization.CultureInfo.InvariantCulture);
        for (int row = 0; row < expected.Length / classes; row++)
        {
            Span<float> values = expected.AsSpan(row * classes, classes);
            bool padded = fixture.Has("lengths") && fixture.Metadata["steps"] == "all" && values.IndexOfAnyExcept(0f) < 0;
            if (!padded)
                Losses.Softmax(values, classes);
        }
        return expected;
    }
}
