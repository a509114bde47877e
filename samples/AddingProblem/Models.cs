using RnnGen;

namespace RnnGen.Samples.AddingProblem;

// Many-to-one: two features per step (a value and a marker), one regression output after the last step.

/// <summary>LSTM H=32 reading 60 steps; the head sees only the final state.</summary>
[RnnModel(SequenceLength = AddingData.Steps, BatchSize = AddingData.Batch)]
[Input(2)]
[Lstm(32)]
[Dense(1, Steps = OutputSteps.LastStep)]
public partial class LstmAdder { }

/// <summary>The same with a vanilla tanh RNN, whose gradient over 60 steps vanishes.</summary>
[RnnModel(SequenceLength = AddingData.Steps, BatchSize = AddingData.Batch)]
[Input(2)]
[SimpleRnn(32)]
[Dense(1, Steps = OutputSteps.LastStep)]
public partial class RnnAdder { }
