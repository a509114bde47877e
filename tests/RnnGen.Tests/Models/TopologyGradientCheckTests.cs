namespace RnnGen.Tests.Models;

[RnnModel(SequenceLength = 4, BatchSize = 2)]
[Input(3)]
[Lstm(7, ProjectionSize = 3, Layers = 2)]
[Dense(3, Activation = DenseActivation.Softmax)]
public partial class FdLstmProjection { }

[RnnModel(SequenceLength = 4, BatchSize = 3)]
[Input(3)]
[Gru(5, ResetAfter = false)]
[Gru(4, ResetAfter = false)]
[Dense(2)]
public partial class FdGruResetBefore { }

[RnnModel(SequenceLength = 4, BatchSize = 2)]
[Input(3)]
[Lstm(5, Bidirectional = true)]
[Gru(4, Bidirectional = true, Merge = BidirectionalMerge.Multiply)]
[Dense(3, Activation = DenseActivation.Softmax)]
public partial class FdBidirectionalStack { }

[RnnModel(SequenceLength = 5, BatchSize = 2)]
[Input(2)]
[SimpleRnn(4, Bidirectional = true, Merge = BidirectionalMerge.Sum)]
[SimpleRnn(3, Bidirectional = true, Merge = BidirectionalMerge.Average)]
[Dense(2, Steps = OutputSteps.LastStep)]
public partial class FdBidirectionalLast { }

[RnnModel(SequenceLength = 5, BatchSize = 3, VariableLength = true)]
[Input(3)]
[Lstm(4, Bidirectional = true)]
[Lstm(3)]
[Dense(3, Activation = DenseActivation.Softmax)]
public partial class FdVariableLengthLstm { }

[RnnModel(SequenceLength = 5, BatchSize = 3, VariableLength = true)]
[Input(2)]
[Gru(4, ResetAfter = false)]
[Gru(3, Bidirectional = true)]
[Dense(2, Steps = OutputSteps.LastStep)]
public partial class FdVariableLengthGruLast { }

[RnnModel(SequenceLength = 4, BatchSize = 2, VariableLength = true)]
[Input(2)]
[Lstm(6, ProjectionSize = 2)]
[Dense(2)]
public partial class FdVariableLengthProjection { }

[RnnModel(SequenceLength = 4, BatchSize = 2)]
[OneHot(5)]
[SimpleRnn(4)]
[Dense(5, Activation = DenseActivation.Softmax)]
public partial class FdOneHot { }

/// <summary>
/// Central finite differences agree with BPTT for bidirectional stacks (every merge mode), variable-length batches,
/// LSTM projections, reset-before GRUs and one-hot inputs: every parameter, the inputs and every initial state.
/// </summary>
public sealed class TopologyGradientCheckTests
{
    private static readonly int[] s_lengths3 = { 5, 2, 4 };
    private static readonly int[] s_lengths2 = { 1, 4 };

    public static TheoryData<string> Models => new()
    {
        "lstm_projection", "gru_reset_before", "bidirectional_stack", "bidirectional_last",
        "varlen_lstm", "varlen_gru_last", "varlen_projection", "one_hot",
    };

    private static IRnnModel Create(string name) => name switch
    {
        "lstm_projection" => new FdLstmProjection(21),
        "gru_reset_before" => new FdGruResetBefore(22),
        "bidirectional_stack" => new FdBidirectionalStack(23),
        "bidirectional_last" => new FdBidirectionalLast(24),
        "varlen_lstm" => new FdVariableLengthLstm(25),
        "varlen_gru_last" => new FdVariableLengthGruLast(26),
        "varlen_projection" => new FdVariableLengthProjection(27),
        "one_hot" => new FdOneHot(28),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static float Loss(IRnnModel model, float[] inputs, int[] tokens, int[] classes, float[] values) => model switch
    {
        FdVariableLengthLstm m => m.ComputeGradients(inputs, s_lengths3, classes),
        FdVariableLengthGruLast m => m.ComputeGradients(inputs, s_lengths3, values),
        FdVariableLengthProjection m => m.ComputeGradients(inputs, s_lengths2, values),
        IRnnModel<float, int> m => m.ComputeGradients(inputs, classes),
        IRnnModel<float, float> m => m.ComputeGradients(inputs, values),
        IRnnModel<int, int> m => m.ComputeGradients(tokens, classes),
        _ => throw new InvalidOperationException(),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Gradients_EveryTensorInputAndState_MatchFiniteDifferences(string name)
    {
        IRnnModel model = Create(name);
        var random = new RnnRandom(99);
        float[] inputs = Array.Empty<float>();
        int[] tokens = Array.Empty<int>();
        if (model is IRnnModel<int, int>)
        {
            tokens = new int[model.InputLength];
            for (int i = 0; i < tokens.Length; i++)
                tokens[i] = random.NextInt(5);
        }
        else
        {
            inputs = new float[model.InputLength];
            random.FillUniform(inputs, -1, 1);
        }
        int[] classes = new int[model.TargetLength];
        float[] values = new float[model.TargetLength];
        int outputs = model.OutputLength / model.TargetLength;
        for (int i = 0; i < classes.Length; i++)
            classes[i] = random.NextInt(Math.Max(outputs, 1));
        random.FillUniform(values, -1, 1);
        int directions = name.StartsWith("bidirectional", StringComparison.Ordinal) || name is "varlen_lstm" or "varlen_gru_last" ? 2 : 1;
        var states = new System.Collections.Generic.List<int>();
        for (int index = 0; index < model.LayerCount * directions; index++)
        {
            try
            {
                random.FillUniform(model.InitialHidden(index), -0.5f, 0.5f);
                states.Add(index);
            }
            catch (ArgumentOutOfRangeException)
            {
                // Only some layers of a mixed stack are bidirectional.
            }
        }

        model.ZeroGradients();
        Loss(model, inputs, tokens, classes, values);
        float[] gradients = model.Parameters.Gradients.ToArray();
        float[] inputGradient = model.InputGradient.ToArray();
        var stateGradients = states.ConvertAll(i => model.InitialHiddenGradient(i).ToArray());

        float Evaluate() => Loss(model, inputs, tokens, classes, values);
        FiniteDifferences.CheckParameters(Evaluate, model.Parameters, gradients);
        if (inputs.Length > 0)
            FiniteDifferences.Check(Evaluate, inputs, inputGradient, "inputs");
        for (int i = 0; i < states.Count; i++)
            FiniteDifferences.Check(Evaluate, model.InitialHidden(states[i]), stateGradients[i], "h0[" + states[i] + "]");
    }
}
