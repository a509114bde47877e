using System.Collections.Generic;
using System.Linq;

namespace RnnGen.Tests.Models;

/// <summary>
/// Generated models reproduce PyTorch exactly: outputs, final states, loss and every gradient (parameters, inputs,
/// initial states) of nn.RNN / nn.LSTM / nn.GRU + nn.Linear, at float32 tolerance.
/// </summary>
public sealed class GoldenModelTests
{
    public static TheoryData<string> Cases => new()
    {
        "rnn_tanh_l1", "rnn_relu_l1", "rnn_tanh_l2", "rnn_relu_l2",
        "lstm_l1", "lstm_l1_random", "lstm_l2", "lstm_l1_nobias",
        "gru_l1", "gru_l2", "gru_l1_random",
        "lstm_last", "gru_last", "rnn_tanh_last", "lstm_embedding",
    };

    internal static IRnnModel Create(string name) => name switch
    {
        "rnn_tanh_l1" => new RnnTanhL1(),
        "rnn_relu_l1" => new RnnReluL1(),
        "rnn_tanh_l2" => new RnnTanhL2(),
        "rnn_relu_l2" => new RnnReluL2(),
        "lstm_l1" => new LstmL1(),
        "lstm_l1_random" => new LstmL1Random(),
        "lstm_l2" => new LstmL2(),
        "lstm_l1_nobias" => new LstmL1NoBias(),
        "gru_l1" => new GruL1(),
        "gru_l2" => new GruL2(),
        "gru_l1_random" => new GruL1Random(),
        "lstm_last" => new LstmLast(),
        "gru_last" => new GruLast(),
        "rnn_tanh_last" => new RnnTanhLast(),
        "lstm_embedding" => new LstmEmbedding(),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown golden case."),
    };

    /// <summary>Loads the fixture's weights and initial state into a fresh model.</summary>
    internal static IRnnModel Prepare(GoldenFixture fixture)
    {
        IRnnModel model = Create(fixture.Name);
        Assert.Equal(fixture.ParameterNames.OrderBy(n => n, StringComparer.Ordinal), model.Parameters.Tensors.Select(t => t.Name).OrderBy(n => n, StringComparer.Ordinal));
        foreach (ParameterTensor tensor in model.Parameters.Tensors)
            fixture.Floats("param." + tensor.Name).CopyTo(model.Parameters.GetValues(tensor.Name));
        for (int layer = 0; layer < model.LayerCount; layer++)
        {
            if (fixture.Has($"h0.l{layer}"))
                fixture.Floats($"h0.l{layer}").CopyTo(model.InitialHidden(layer));
            if (fixture.Has($"c0.l{layer}"))
                fixture.Floats($"c0.l{layer}").CopyTo(model.InitialCell(layer));
        }
        return model;
    }

    /// <summary>Runs the training pass on the fixture's inputs and targets.</summary>
    internal static float Train(IRnnModel model, GoldenFixture fixture) => model switch
    {
        IRnnModel<float, int> m => m.ComputeGradients(fixture.Floats("x"), fixture.Ints("targets")),
        IRnnModel<float, float> m => m.ComputeGradients(fixture.Floats("x"), fixture.Floats("targets")),
        IRnnModel<int, int> m => m.ComputeGradients(fixture.Ints("tokens"), fixture.Ints("targets")),
        _ => throw new InvalidOperationException("Unexpected model kind " + model.GetType()),
    };

    internal static void Forward(IRnnModel model, GoldenFixture fixture, float[] outputs)
    {
        switch (model)
        {
            case IRnnModel<float, int> m: m.Forward(fixture.Floats("x"), outputs); break;
            case IRnnModel<float, float> m: m.Forward(fixture.Floats("x"), outputs); break;
            case IRnnModel<int, int> m: m.Forward(fixture.Ints("tokens"), outputs); break;
            default: throw new InvalidOperationException("Unexpected model kind " + model.GetType());
        }
    }

    /// <summary>|a - e| ≤ 1e-5 · max(1, max|e|) elementwise: float32 tolerance relative to the tensor's magnitude.</summary>
    internal static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what, double relative = 1e-5)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length}, expected {expected.Length}");
        double scale = 1;
        foreach (float e in expected)
            scale = Math.Max(scale, Math.Abs(e));
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(expected[i] - actual[i]);
            Assert.True(error <= relative * scale, $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (error {error:E2}, tolerance {relative * scale:E2})");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TrainingPass_PyTorchFixture_MatchesOutputsStatesLossAndGradients(string name)
    {
        GoldenFixture fixture = GoldenFixture.Load(name);
        IRnnModel model = Prepare(fixture);

        float loss = Train(model, fixture);

        AssertClose(fixture.Floats("loss"), new[] { loss }, "loss");
        for (int layer = 0; layer < model.LayerCount; layer++)
        {
            AssertClose(fixture.Floats($"h_n.l{layer}"), model.FinalHidden(layer), $"h_n.l{layer}");
            if (fixture.Has($"c_n.l{layer}"))
                AssertClose(fixture.Floats($"c_n.l{layer}"), model.FinalCell(layer), $"c_n.l{layer}");
            if (fixture.Has($"grad.h0.l{layer}"))
                AssertClose(fixture.Floats($"grad.h0.l{layer}"), model.InitialHiddenGradient(layer), $"grad.h0.l{layer}");
            if (fixture.Has($"grad.c0.l{layer}"))
                AssertClose(fixture.Floats($"grad.c0.l{layer}"), model.InitialCellGradient(layer), $"grad.c0.l{layer}");
        }
        foreach (ParameterTensor tensor in model.Parameters.Tensors)
            AssertClose(fixture.Floats("grad." + tensor.Name), model.Parameters.GetGradients(tensor.Name), "grad." + tensor.Name);
        if (fixture.Has("grad.x"))
        {
            AssertClose(fixture.Floats("grad.x"), model.InputGradient, "grad.x");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_PyTorchFixture_MatchesOutputs(string name)
    {
        GoldenFixture fixture = GoldenFixture.Load(name);
        IRnnModel model = Prepare(fixture);
        var outputs = new float[model.OutputLength];

        Forward(model, fixture, outputs);

        float[] expected = fixture.Floats("output");
        if (fixture.Metadata["loss"] == "ce")
            Losses.Softmax(expected, int.Parse(fixture.Metadata["output"], System.Globalization.CultureInfo.InvariantCulture));
        AssertClose(expected, outputs, "output");
    }
}
