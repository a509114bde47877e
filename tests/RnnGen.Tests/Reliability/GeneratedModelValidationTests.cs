namespace RnnGen.Tests.Reliability;

/// <summary>
/// Every generated entry point refuses wrong lengths, out-of-vocabulary token ids, bad class ids, null states and
/// layer indices outside the stack, naming the parameter and the accepted value, and leaves the model untouched.
/// </summary>
public sealed class GeneratedModelValidationTests
{
    private static TokenLstm Token()
    {
        var model = new TokenLstm(7);
        Rejection.SeedGradients(model);
        return model;
    }

    private static VectorGruRnn Vector()
    {
        var model = new VectorGruRnn(7);
        Rejection.SeedGradients(model);
        return model;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(TokenLstm.InputLength - 1)]
    [InlineData(TokenLstm.InputLength + 1)]
    public void Forward_TokenInputsOfWrongLength_ThrowsNamingInputsAndLength(int length)
    {
        TokenLstm model = Token();
        Rejection.AssertUnchanged(model, () => model.Forward(new int[length], new float[TokenLstm.OutputLength]), "inputs", TokenLstm.InputLength.ToString());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(TokenLstm.OutputLength - 1)]
    [InlineData(TokenLstm.OutputLength + 1)]
    public void Forward_OutputsOfWrongLength_ThrowsNamingOutputsAndLength(int length)
    {
        TokenLstm model = Token();
        Rejection.AssertUnchanged(model, () => model.Forward(new int[TokenLstm.InputLength], new float[length]), "outputs", TokenLstm.OutputLength.ToString());
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(TokenLstm.VocabularySize)]
    [InlineData(int.MaxValue)]
    [InlineData(int.MinValue)]
    [InlineData(Losses.IgnoreIndex)]
    public void Forward_TokenOutsideVocabulary_ThrowsNamingInputsAndVocabulary(int token)
    {
        TokenLstm model = Token();
        var inputs = new int[TokenLstm.InputLength];
        inputs[TokenLstm.InputLength - 1] = token;
        var outputs = new float[TokenLstm.OutputLength];
        Rejection.AssertUnchanged(model, () => model.Forward(inputs, outputs), "inputs", TokenLstm.VocabularySize.ToString());
        Assert.All(outputs, o => Assert.Equal(0f, o));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(TokenLstm.VocabularySize)]
    public void ComputeGradients_TokenOutsideVocabulary_ThrowsAndLeavesGradients(int token)
    {
        TokenLstm model = Token();
        var inputs = new int[TokenLstm.InputLength];
        inputs[2] = token;
        Rejection.AssertUnchanged(model, () => model.ComputeGradients(inputs, new int[TokenLstm.TargetLength]), "inputs", TokenLstm.VocabularySize.ToString());
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(TokenLstm.OutputSize)]
    [InlineData(-101)]
    [InlineData(int.MinValue)]
    public void ComputeGradients_ClassIdOutsideHead_ThrowsNamingTargetsAndClassCount(int target)
    {
        TokenLstm model = Token();
        var targets = new int[TokenLstm.TargetLength];
        targets[TokenLstm.TargetLength - 1] = target;
        Rejection.AssertUnchanged(model, () => model.ComputeGradients(new int[TokenLstm.InputLength], targets), "targets", TokenLstm.OutputSize.ToString());
    }

    [Fact]
    public void ComputeGradients_TargetsOfWrongLength_ThrowsNamingTargetsAndLength()
    {
        TokenLstm model = Token();
        Rejection.AssertUnchanged(model, () => model.ComputeGradients(new int[TokenLstm.InputLength], new int[TokenLstm.TargetLength + 1]), "targets", TokenLstm.TargetLength.ToString());
        VectorGruRnn vector = Vector();
        Rejection.AssertUnchanged(vector, () => vector.ComputeGradients(new float[VectorGruRnn.InputLength], new float[VectorGruRnn.TargetLength - 1]), "targets", VectorGruRnn.TargetLength.ToString());
        var lastStep = new VectorLstmLastStep(3);
        Rejection.AssertUnchanged(lastStep, () => lastStep.ComputeGradients(new float[VectorLstmLastStep.InputLength], new int[VectorLstmLastStep.SequenceLength * VectorLstmLastStep.BatchSize]), "targets", VectorLstmLastStep.TargetLength.ToString());
    }

    [Fact]
    public void ComputeGradients_VectorInputsOfWrongLength_ThrowsNamingInputsAndLength()
    {
        VectorGruRnn model = Vector();
        Rejection.AssertUnchanged(model, () => model.ComputeGradients(new float[VectorGruRnn.InputLength - 1], new float[VectorGruRnn.TargetLength]), "inputs", VectorGruRnn.InputLength.ToString());
        Rejection.AssertUnchanged(model, () => model.Forward(new float[VectorGruRnn.InputLength + 3], new float[VectorGruRnn.OutputLength]), "inputs", VectorGruRnn.InputLength.ToString());
    }

    [Fact]
    public void Step_NullState_ThrowsArgumentNullNamingState()
    {
        TokenLstm token = Token();
        Rejection.AssertUnchanged(token, () => token.Step(null!, 1, new float[TokenLstm.OutputSize]), "state", null);
        VectorGruRnn vector = Vector();
        Rejection.AssertUnchanged(vector, () => vector.Step(null!, new float[VectorGruRnn.InputSize], new float[VectorGruRnn.OutputSize]), "state", null);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(TokenLstm.VocabularySize)]
    [InlineData(int.MaxValue)]
    public void Step_TokenOutsideVocabulary_ThrowsAndLeavesStateAndOutput(int token)
    {
        TokenLstm model = Token();
        TokenLstm.StepState state = model.CreateState();
        var output = new float[TokenLstm.OutputSize];
        model.Step(state, 3, output);
        ulong stateBefore = Rejection.Checksum(state.Values);
        ulong outputBefore = Rejection.Checksum(output);
        Rejection.AssertUnchanged(model, () => model.Step(state, token, output), "token", TokenLstm.VocabularySize.ToString());
        Assert.Equal(stateBefore, Rejection.Checksum(state.Values));
        Assert.Equal(outputBefore, Rejection.Checksum(output));
    }

    [Theory]
    [InlineData(0, VectorGruRnn.OutputSize)]
    [InlineData(VectorGruRnn.InputSize - 1, VectorGruRnn.OutputSize)]
    [InlineData(VectorGruRnn.InputSize + 1, VectorGruRnn.OutputSize)]
    [InlineData(VectorGruRnn.InputSize, 0)]
    [InlineData(VectorGruRnn.InputSize, VectorGruRnn.OutputSize + 1)]
    public void Step_VectorSpansOfWrongLength_ThrowsNamingSpanAndLength(int inputLength, int outputLength)
    {
        VectorGruRnn model = Vector();
        VectorGruRnn.StepState state = model.CreateState();
        state.Values.Fill(0.5f);
        string name = inputLength != VectorGruRnn.InputSize ? "input" : "output";
        string expected = (inputLength != VectorGruRnn.InputSize ? VectorGruRnn.InputSize : VectorGruRnn.OutputSize).ToString();
        Rejection.AssertUnchanged(model, () => model.Step(state, new float[inputLength], new float[outputLength]), name, expected);
        Assert.All(state.Values.ToArray(), v => Assert.Equal(0.5f, v));
    }

    [Fact]
    public void Step_TokenOutputOfWrongLength_ThrowsNamingOutput()
    {
        TokenLstm model = Token();
        Rejection.AssertUnchanged(model, () => model.Step(model.CreateState(), 1, new float[TokenLstm.OutputSize - 1]), "output", TokenLstm.OutputSize.ToString());
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(TokenLstm.LayerCount)]
    [InlineData(int.MinValue)]
    public void StateAccessors_LayerOutsideStack_ThrowNamingLayerAndRange(int layer)
    {
        TokenLstm model = Token();
        Rejection.AssertUnchanged(model, () => model.InitialHidden(layer), "layer", "0, 1");
        Rejection.AssertUnchanged(model, () => model.FinalHidden(layer), "layer", "0, 1");
        Rejection.AssertUnchanged(model, () => model.InitialHiddenGradient(layer), "layer", "0, 1");
        Rejection.AssertUnchanged(model, () => model.InitialCell(layer), "layer", "0, 1");
        Rejection.AssertUnchanged(model, () => model.FinalCell(layer), "layer", "0, 1");
        Rejection.AssertUnchanged(model, () => model.InitialCellGradient(layer), "layer", "0, 1");
        TokenLstm.StepState state = model.CreateState();
        Rejection.Assert(() => state.Hidden(layer), "layer", "1");
        Rejection.Assert(() => state.Cell(layer), "layer", "0, 1");
    }

    [Fact]
    public void CellAccessors_ModelWithoutLstm_ThrowNamingLayer()
    {
        VectorGruRnn model = Vector();
        Rejection.AssertUnchanged(model, () => model.InitialCell(0), "layer", "LSTM");
        Rejection.AssertUnchanged(model, () => model.FinalCell(1), "layer", "LSTM");
        Rejection.AssertUnchanged(model, () => model.InitialCellGradient(0), "layer", "LSTM");
        Rejection.AssertUnchanged(model, () => model.InitialHidden(VectorGruRnn.LayerCount), "layer", "0, 1");
    }

    [Fact]
    public void StepState_CopyFromNull_ThrowsArgumentNullNamingSource()
    {
        TokenLstm.StepState state = Token().CreateState();
        state.Values.Fill(2f);
        Rejection.Assert(() => state.CopyFrom(null!), "source", null);
        Assert.All(state.Values.ToArray(), v => Assert.Equal(2f, v));
    }

    [Fact]
    public void InterfaceEntryPoints_WrongLengths_ValidateLikeTheTypedMembers()
    {
        IRnnModel<int, int> model = Token();
        Rejection.AssertUnchanged(model, () => model.Forward(new int[1], new float[TokenLstm.OutputLength]), "inputs", TokenLstm.InputLength.ToString());
        Rejection.AssertUnchanged(model, () => model.ComputeGradients(new int[TokenLstm.InputLength], new int[1]), "targets", TokenLstm.TargetLength.ToString());
    }
}
