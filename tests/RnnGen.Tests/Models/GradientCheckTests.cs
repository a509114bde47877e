using System.Collections.Generic;

namespace RnnGen.Tests.Models;

[RnnModel(SequenceLength = 3, BatchSize = 1)]
[Input(1)]
[SimpleRnn(17)]
[SimpleRnn(7)]
[Dense(3, Activation = DenseActivation.Softmax)]
public partial class FdRnnTanh { }

[RnnModel(SequenceLength = 3, BatchSize = 2)]
[Input(3)]
[SimpleRnn(7, Activation = RnnActivation.Relu)]
[Dense(1)]
public partial class FdRnnRelu { }

[RnnModel(SequenceLength = 4, BatchSize = 3)]
[Input(7)]
[Lstm(33)]
[Dense(1)]
public partial class FdLstm { }

[RnnModel(SequenceLength = 5, BatchSize = 2)]
[Input(3)]
[Gru(7)]
[Gru(17)]
[Dense(7, Activation = DenseActivation.Softmax)]
public partial class FdGru { }

[RnnModel(SequenceLength = 6, BatchSize = 1)]
[Input(3)]
[Lstm(7, Layers = 2)]
[Dense(3, Activation = DenseActivation.Softmax, Steps = OutputSteps.LastStep)]
public partial class FdLstmLast { }

[RnnModel(SequenceLength = 4, BatchSize = 3)]
[Embedding(7, 3)]
[Gru(3)]
[Dense(7, Activation = DenseActivation.Softmax)]
public partial class FdGruEmbedding { }

// Embedded tokens through the token table (vocabulary ≤ T·B) for every cell branch: LSTM in both directions with
// a projection-free bidirectional merge, the reset-before GRU and a plain RNN.
[RnnModel(SequenceLength = 4, BatchSize = 2)]
[Embedding(7, 3)]
[Lstm(5, Bidirectional = true)]
[Dense(7, Activation = DenseActivation.Softmax)]
public partial class FdBiLstmEmbedding { }

[RnnModel(SequenceLength = 3, BatchSize = 3)]
[Embedding(7, 4)]
[Gru(5, ResetAfter = false)]
[Dense(7, Activation = DenseActivation.Softmax)]
public partial class FdGruBeforeEmbedding { }

[RnnModel(SequenceLength = 3, BatchSize = 3)]
[Embedding(7, 2)]
[SimpleRnn(5)]
[SimpleRnn(3)]
[Dense(7, Activation = DenseActivation.Softmax)]
public partial class FdRnnEmbedding { }

// Batched layers over at least Limits.RecurrentPanelSteps steps multiply by W_hh packed once per pass.
[RnnModel(SequenceLength = 8, BatchSize = 2)]
[Input(3)]
[Lstm(17, ProjectionSize = 5)]
[Dense(2)]
public partial class FdLstmPanels { }

[RnnModel(SequenceLength = 8, BatchSize = 3)]
[Input(2)]
[Gru(9, Bidirectional = true)]
[Dense(3, Activation = DenseActivation.Softmax)]
public partial class FdBiGruPanels { }

[RnnModel(SequenceLength = 9, BatchSize = 4)]
[Input(3)]
[SimpleRnn(13)]
[Dense(2)]
public partial class FdRnnPanels { }

/// <summary>
/// Central finite differences of the loss agree with BPTT for every parameter tensor, the inputs and the initial
/// states, on shapes with odd sizes (1, 3, 7, 17, 33).
/// </summary>
public sealed class GradientCheckTests
{
    public static TheoryData<string> Models => new() { "rnn_tanh", "rnn_relu", "lstm", "gru", "lstm_last", "gru_embedding", "bilstm_embedding", "gru_before_embedding", "rnn_embedding", "lstm_panels", "bigru_panels", "rnn_panels" };

    private static IRnnModel Create(string name) => name switch
    {
        "rnn_tanh" => new FdRnnTanh(11),
        "rnn_relu" => new FdRnnRelu(12),
        "lstm" => new FdLstm(13),
        "gru" => new FdGru(14),
        "lstm_last" => new FdLstmLast(15),
        "gru_embedding" => new FdGruEmbedding(16),
        "bilstm_embedding" => new FdBiLstmEmbedding(17),
        "gru_before_embedding" => new FdGruBeforeEmbedding(18),
        "rnn_embedding" => new FdRnnEmbedding(19),
        "lstm_panels" => new FdLstmPanels(20),
        "bigru_panels" => new FdBiGruPanels(21),
        "rnn_panels" => new FdRnnPanels(22),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    /// <summary>Random inputs and targets for a model, and a closure-free way to evaluate its loss.</summary>
    private sealed class Problem
    {
        private readonly IRnnModel _model;
        private readonly float[] _inputs = Array.Empty<float>();
        private readonly int[] _tokens = Array.Empty<int>();
        private readonly int[] _classes = Array.Empty<int>();
        private readonly float[] _values = Array.Empty<float>();

        public Problem(IRnnModel model, int seed)
        {
            _model = model;
            var random = new RnnRandom((ulong)seed);
            if (model is IRnnModel<int, int>)
            {
                _tokens = new int[model.InputLength];
                for (int i = 0; i < _tokens.Length; i++)
                    _tokens[i] = random.NextInt(7);
            }
            else
            {
                _inputs = new float[model.InputLength];
                random.FillUniform(_inputs, -1, 1);
            }
            if (model is IRnnModel<float, float>)
            {
                _values = new float[model.TargetLength];
                random.FillUniform(_values, -1, 1);
            }
            else
            {
                _classes = new int[model.TargetLength];
                int classes = model.OutputLength / model.TargetLength;
                for (int i = 0; i < _classes.Length; i++)
                    _classes[i] = random.NextInt(classes);
            }
            for (int layer = 0; layer < model.LayerCount; layer++)
            {
                random.FillUniform(model.InitialHidden(layer), -0.5f, 0.5f);
                if (model is FdLstm or FdLstmLast or FdLstmPanels)
                    random.FillUniform(model.InitialCell(layer), -0.5f, 0.5f);
            }
        }

        public Span<float> Inputs => _inputs;

        public float Loss() => _model switch
        {
            IRnnModel<float, int> m => m.ComputeGradients(_inputs, _classes),
            IRnnModel<float, float> m => m.ComputeGradients(_inputs, _values),
            IRnnModel<int, int> m => m.ComputeGradients(_tokens, _classes),
            _ => throw new InvalidOperationException(),
        };
    }

    // With a token table the backward pass leaves dx = dgates W_ih to InputGradient's first read, and takes the
    // embedding gradient from dP W_ih instead of scattering dx: the read must still give that pass's dx after the
    // weights change, and dE must still be dx summed per token.
    [Fact]
    public void InputGradient_TokenTable_IsThePassGradientAfterAnUpdate_AndSumsToTheEmbeddingGradient()
    {
        var eager = new FdBiLstmEmbedding(5);
        var deferred = new FdBiLstmEmbedding(5);
        var random = new RnnRandom(23);
        int[] tokens = new int[FdBiLstmEmbedding.InputLength];
        int[] classes = new int[FdBiLstmEmbedding.TargetLength];
        for (int i = 0; i < tokens.Length; i++)
            tokens[i] = random.NextInt(FdBiLstmEmbedding.VocabularySize);
        for (int i = 0; i < classes.Length; i++)
            classes[i] = random.NextInt(FdBiLstmEmbedding.OutputSize);

        eager.ComputeGradients(tokens, classes);
        float[] expected = eager.InputGradient.ToArray();
        deferred.ComputeGradients(tokens, classes);
        deferred.Parameters.GetValues("weight_ih_l0").Fill(0.5f);
        deferred.Parameters.GetValues("weight_ih_l0_reverse").Fill(-0.5f);
        deferred.Parameters.MarkValuesChanged();

        Assert.Equal(expected, deferred.InputGradient.ToArray());
        Assert.Equal(expected, deferred.InputGradient.ToArray());
        int size = FdBiLstmEmbedding.InputSize;
        double[] perToken = new double[FdBiLstmEmbedding.VocabularySize * size];
        for (int position = 0; position < tokens.Length; position++)
        {
            for (int j = 0; j < size; j++)
                perToken[tokens[position] * size + j] += expected[position * size + j];
        }
        RnnGen.Tests.Kernels.CellTestMath.AssertClose(perToken, eager.Parameters.GetGradients("embedding.weight"), 1e-5, "embedding.weight");
    }

    // An LSTM's gate gradients overwrite its gate activations, so the next forward pass overwrites them in turn: a
    // Forward call between the backward pass and InputGradient's first read must not change what the read gives.
    [Fact]
    public void InputGradient_TokenTable_IsThePassGradientAfterAnotherForwardPass()
    {
        var reference = new FdBiLstmEmbedding(5);
        var model = new FdBiLstmEmbedding(5);
        var random = new RnnRandom(29);
        int[] tokens = new int[FdBiLstmEmbedding.InputLength], otherTokens = new int[FdBiLstmEmbedding.InputLength];
        int[] classes = new int[FdBiLstmEmbedding.TargetLength];
        for (int i = 0; i < tokens.Length; i++)
        {
            tokens[i] = random.NextInt(FdBiLstmEmbedding.VocabularySize);
            otherTokens[i] = random.NextInt(FdBiLstmEmbedding.VocabularySize);
        }
        for (int i = 0; i < classes.Length; i++)
            classes[i] = random.NextInt(FdBiLstmEmbedding.OutputSize);

        reference.ComputeGradients(tokens, classes);
        float[] expected = reference.InputGradient.ToArray();
        model.ComputeGradients(tokens, classes);
        model.Forward(otherTokens, new float[FdBiLstmEmbedding.OutputLength]);

        Assert.Equal(expected, model.InputGradient.ToArray());
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Gradients_EveryTensorInputAndState_MatchFiniteDifferences(string name)
    {
        IRnnModel model = Create(name);
        var problem = new Problem(model, seed: name.Length);
        model.ZeroGradients();
        problem.Loss();
        float[] gradients = model.Parameters.Gradients.ToArray();
        float[] inputGradient = model.InputGradient.ToArray();
        var stateGradients = new List<(int Layer, bool Cell, float[] Gradient)>();
        for (int layer = 0; layer < model.LayerCount; layer++)
        {
            stateGradients.Add((layer, false, model.InitialHiddenGradient(layer).ToArray()));
            if (model is FdLstm or FdLstmLast or FdLstmPanels)
                stateGradients.Add((layer, true, model.InitialCellGradient(layer).ToArray()));
        }

        FiniteDifferences.CheckParameters(problem.Loss, model.Parameters, gradients);
        if (model is not IRnnModel<int, int>)
            FiniteDifferences.Check(problem.Loss, problem.Inputs, inputGradient, "inputs");
        foreach ((int layer, bool cell, float[] gradient) in stateGradients)
            FiniteDifferences.Check(problem.Loss, cell ? model.InitialCell(layer) : model.InitialHidden(layer), gradient, (cell ? "c0.l" : "h0.l") + layer);
    }
}
