namespace RnnGen.Tests.Reliability;

// Small models whose shapes cross no special case, so every rejection below is about the argument alone.

[RnnModel(SequenceLength = 3, BatchSize = 2)]
[Embedding(vocabulary: 11, size: 4)]
[Lstm(5, Layers = 2)]
[Dense(11, Activation = DenseActivation.Softmax)]
public partial class TokenLstm { }

[RnnModel(SequenceLength = 4, BatchSize = 3)]
[Input(3)]
[Gru(6)]
[SimpleRnn(7, Activation = RnnActivation.Relu)]
[Dense(2)]
public partial class VectorGruRnn { }

[RnnModel(SequenceLength = 5, BatchSize = 2)]
[Input(7)]
[Lstm(17)]
[Dense(3, Activation = DenseActivation.Softmax, Steps = OutputSteps.LastStep)]
public partial class VectorLstmLastStep { }

[RnnModel(SequenceLength = 8, BatchSize = 1)]
[Embedding(vocabulary: 61, size: 16)]
[Lstm(33, Layers = 2)]
[Dense(61, Activation = DenseActivation.Softmax)]
public partial class StreamingLstm { }

[RnnModel(SequenceLength = 8, BatchSize = 1)]
[Input(15)]
[Gru(31)]
[SimpleRnn(16)]
[Dense(7)]
public partial class StreamingGru { }
