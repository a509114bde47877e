using RnnGen;

namespace RnnGen.Samples.Latency;

// The streaming models: 32 sensor channels in, 32 predicted channels out (identity head), batch 1.
// SequenceLength only sizes Forward's workspace; Step needs nothing but a StepState.

/// <summary>LSTM I=32 H=64 + Linear 32: the design's first latency target (≤ 2 µs per step).</summary>
[RnnModel(SequenceLength = 16, BatchSize = 1)]
[Input(32)]
[Lstm(64)]
[Dense(32)]
public partial class SensorLstm { }

/// <summary>LSTM I=32 H=256 + Linear 32: the design's second latency target (≤ 12 µs per step).</summary>
[RnnModel(SequenceLength = 16, BatchSize = 1)]
[Input(32)]
[Lstm(256)]
[Dense(32)]
public partial class SensorLstmWide { }

/// <summary>GRU I=32 H=64 + Linear 32, for comparison with the LSTM of the same width.</summary>
[RnnModel(SequenceLength = 16, BatchSize = 1)]
[Input(32)]
[Gru(64)]
[Dense(32)]
public partial class SensorGru { }
