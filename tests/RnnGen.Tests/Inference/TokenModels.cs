namespace RnnGen.Tests.Inference;

// Token models for generation: one per cell type, batch 1, with vocabularies and widths that cross vector sizes.
// SequenceLength is the length of the sequence the tests check against Forward.

[RnnModel(SequenceLength = 24, BatchSize = 1)]
[Embedding(33, 8)]
[Lstm(17)]
[Dense(33, Activation = DenseActivation.Softmax)]
public partial class LstmTokenModel { }

[RnnModel(SequenceLength = 24, BatchSize = 1)]
[Embedding(17, 7)]
[Gru(31)]
[Dense(17, Activation = DenseActivation.Softmax)]
public partial class GruTokenModel { }

[RnnModel(SequenceLength = 24, BatchSize = 1)]
[Embedding(64, 15)]
[SimpleRnn(33)]
[SimpleRnn(16)]
[Dense(64, Activation = DenseActivation.Softmax)]
public partial class RnnTokenModel { }
