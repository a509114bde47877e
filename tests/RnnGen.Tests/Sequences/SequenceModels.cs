namespace RnnGen.Tests.Sequences;

// Encoders and decoders matching Golden/seq2seq (see docs/golden.md): same shapes, cells and vocabularies.

[RnnModel(SequenceLength = 5, BatchSize = 3, Encoder = true)]
[Embedding(7, 3)]
[Lstm(6)]
[Lstm(5)]
public partial class GoldenLstmEncoder { }

[RnnModel(SequenceLength = 4, BatchSize = 3)]
[Embedding(9, 4)]
[Lstm(6)]
[Lstm(5)]
[Dense(9, Activation = DenseActivation.Softmax)]
public partial class GoldenLstmDecoder { }

[RnnModel(SequenceLength = 4, BatchSize = 2, Encoder = true)]
[Embedding(5, 3)]
[Gru(7)]
public partial class GoldenGruEncoder { }

[RnnModel(SequenceLength = 6, BatchSize = 2)]
[Embedding(6, 3)]
[Gru(7)]
[Dense(6, Activation = DenseActivation.Softmax)]
public partial class GoldenGruDecoder { }

[RnnModel(SequenceLength = 4, BatchSize = 3)]
[Embedding(8, 3)]
[Lstm(6)]
[Lstm(5)]
[Dense(8, Activation = DenseActivation.Softmax)]
public partial class GoldenSeededLstmDecoder { }

[RnnModel(SequenceLength = 5, BatchSize = 2)]
[Embedding(6, 4)]
[Gru(7)]
[Dense(6, Activation = DenseActivation.Softmax)]
public partial class GoldenSeededGruDecoder { }

// Mixed stack (GRU under LSTM) for the finite-difference checks: only layer 1 hands over a cell state.

[RnnModel(SequenceLength = 4, BatchSize = 2, Encoder = true)]
[Embedding(7, 3)]
[Gru(7)]
[Lstm(17)]
public partial class FdEncoder { }

[RnnModel(SequenceLength = 3, BatchSize = 2)]
[Embedding(5, 3)]
[Gru(7)]
[Lstm(17)]
[Dense(5, Activation = DenseActivation.Softmax)]
public partial class FdDecoder { }

// A tiny vocabulary for exhaustive beam-search checks: 3 ids, so every sequence of up to 4 ids can be listed.

[RnnModel(SequenceLength = 4, BatchSize = 1)]
[Embedding(3, 4)]
[Lstm(5)]
[Dense(3, Activation = DenseActivation.Softmax)]
public partial class TinyDecoder { }

// Shapes that must not combine with FdEncoder, one mismatch each.

[RnnModel(SequenceLength = 3, BatchSize = 3)]
[Embedding(5, 3)]
[Gru(7)]
[Lstm(17)]
[Dense(5, Activation = DenseActivation.Softmax)]
public partial class WrongBatchDecoder { }

[RnnModel(SequenceLength = 3, BatchSize = 2)]
[Embedding(5, 3)]
[Gru(7)]
[Dense(5, Activation = DenseActivation.Softmax)]
public partial class WrongLayerCountDecoder { }

[RnnModel(SequenceLength = 3, BatchSize = 2)]
[Embedding(5, 3)]
[Gru(7)]
[Lstm(16)]
[Dense(5, Activation = DenseActivation.Softmax)]
public partial class WrongWidthDecoder { }

[RnnModel(SequenceLength = 3, BatchSize = 2)]
[Embedding(5, 3)]
[Gru(7)]
[Gru(17)]
[Dense(5, Activation = DenseActivation.Softmax)]
public partial class WrongCellDecoder { }

[RnnModel(SequenceLength = 3, BatchSize = 2)]
[Embedding(4, 3)]
[Gru(7)]
[Lstm(17)]
[Dense(5, Activation = DenseActivation.Softmax)]
public partial class SmallVocabularyDecoder { }

[RnnModel(SequenceLength = 3, BatchSize = 2)]
[Embedding(5, 3)]
[Gru(7)]
[Lstm(17)]
[Dense(5, Activation = DenseActivation.Softmax, Steps = OutputSteps.LastStep)]
public partial class LastStepDecoder { }
