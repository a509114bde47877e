namespace RnnGen.Tests.Models;

// Declarations matching the PyTorch fixtures in Golden/cells (see docs/golden.md): same shapes, cells and losses.

[RnnModel(SequenceLength = 5, BatchSize = 3)]
[Input(4)]
[SimpleRnn(7)]
[Dense(6, Activation = DenseActivation.Softmax)]
public partial class RnnTanhL1 { }

[RnnModel(SequenceLength = 5, BatchSize = 2)]
[Input(3)]
[SimpleRnn(17, Activation = RnnActivation.Relu)]
[Dense(4)]
public partial class RnnReluL1 { }

[RnnModel(SequenceLength = 4, BatchSize = 3)]
[Input(5)]
[SimpleRnn(7)]
[SimpleRnn(3)]
[Dense(6, Activation = DenseActivation.Softmax)]
public partial class RnnTanhL2 { }

[RnnModel(SequenceLength = 6, BatchSize = 2)]
[Input(3)]
[SimpleRnn(8, Layers = 2, Activation = RnnActivation.Relu)]
[Dense(3)]
public partial class RnnReluL2 { }

[RnnModel(SequenceLength = 5, BatchSize = 3)]
[Input(4)]
[Lstm(7)]
[Dense(6, Activation = DenseActivation.Softmax)]
public partial class LstmL1 { }

[RnnModel(SequenceLength = 4, BatchSize = 2)]
[Input(3)]
[Lstm(9)]
[Dense(5)]
public partial class LstmL1Random { }

[RnnModel(SequenceLength = 5, BatchSize = 2)]
[Input(4)]
[Lstm(6)]
[Lstm(5)]
[Dense(6, Activation = DenseActivation.Softmax)]
public partial class LstmL2 { }

[RnnModel(SequenceLength = 4, BatchSize = 2)]
[Input(3)]
[Lstm(5, Bias = false)]
[Dense(4, Activation = DenseActivation.Softmax)]
public partial class LstmL1NoBias { }

[RnnModel(SequenceLength = 5, BatchSize = 3)]
[Input(4)]
[Gru(7)]
[Dense(6, Activation = DenseActivation.Softmax)]
public partial class GruL1 { }

[RnnModel(SequenceLength = 5, BatchSize = 2)]
[Input(4)]
[Gru(6)]
[Gru(5)]
[Dense(6)]
public partial class GruL2 { }

[RnnModel(SequenceLength = 4, BatchSize = 3)]
[Input(5)]
[Gru(33)]
[Dense(3, Activation = DenseActivation.Softmax)]
public partial class GruL1Random { }

[RnnModel(SequenceLength = 7, BatchSize = 3)]
[Input(4)]
[Lstm(6)]
[Dense(3, Activation = DenseActivation.Softmax, Steps = OutputSteps.LastStep)]
public partial class LstmLast { }

[RnnModel(SequenceLength = 6, BatchSize = 2)]
[Input(3)]
[Gru(5)]
[Dense(2, Steps = OutputSteps.LastStep)]
public partial class GruLast { }

[RnnModel(SequenceLength = 8, BatchSize = 2)]
[Input(3)]
[SimpleRnn(4)]
[Dense(3, Activation = DenseActivation.Softmax, Steps = OutputSteps.LastStep)]
public partial class RnnTanhLast { }

[RnnModel(SequenceLength = 6, BatchSize = 2)]
[Embedding(11, 5)]
[Lstm(7)]
[Dense(11, Activation = DenseActivation.Softmax)]
public partial class LstmEmbedding { }

[RnnModel(SequenceLength = 5, BatchSize = 3, Unroll = TimeUnrolling.Loop)]
[Input(4)]
[Lstm(7)]
[Dense(6, Activation = DenseActivation.Softmax)]
public partial class LstmL1Looped { }

[RnnModel(SequenceLength = 5, BatchSize = 2, Unroll = TimeUnrolling.Loop)]
[Input(4)]
[Gru(6)]
[Gru(5)]
[Dense(6)]
public partial class GruL2Looped { }
