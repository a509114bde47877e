using RnnGen;

namespace RnnGen.Benchmarks;

// The shapes of the anchor cases in ../shared/anchors (torch_bench.py), so every figure has a PyTorch and ONNX
// Runtime counterpart measured the same way.

/// <summary>Streaming case (a): LSTM I=32 H=64 + Linear 32, batch 1.</summary>
[RnnModel(SequenceLength = 1)]
[Input(32)]
[Lstm(64)]
[Dense(32)]
public partial class StepLstmH64 { }

/// <summary>Streaming case (a): LSTM I=32 H=256 + Linear 32, batch 1.</summary>
[RnnModel(SequenceLength = 1)]
[Input(32)]
[Lstm(256)]
[Dense(32)]
public partial class StepLstmH256 { }

/// <summary>Streaming case (a): GRU I=32 H=128 + Linear 32, batch 1.</summary>
[RnnModel(SequenceLength = 1)]
[Input(32)]
[Gru(128)]
[Dense(32)]
public partial class StepGruH128 { }

/// <summary>Sequence case (b): LSTM I=32 H=128, T=64, batch 1, Linear 32 on every step.</summary>
[RnnModel(SequenceLength = 64)]
[Input(32)]
[Lstm(128)]
[Dense(32)]
public partial class SeqLstmH128T64 { }

/// <summary>Sequence case (b): GRU I=32 H=128, T=64, batch 1, Linear 32 on every step.</summary>
[RnnModel(SequenceLength = 64)]
[Input(32)]
[Gru(128)]
[Dense(32)]
public partial class SeqGruH128T64 { }

/// <summary>Training case (d): char LM, vocabulary 65, embedding 32, LSTM H=256, T=64, B=32, softmax on every step.</summary>
[RnnModel(SequenceLength = 64, BatchSize = 32)]
[Embedding(65, 32)]
[Lstm(256)]
[Dense(65, Activation = DenseActivation.Softmax)]
public partial class CharLmLstmH256 { }
