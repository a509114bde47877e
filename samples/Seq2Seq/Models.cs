using RnnGen;

namespace RnnGen.Samples.Seq2Seq;

// Encoder and decoder of the date translator. Their final/initial states hand over layer by layer, so the two
// recurrent stacks have the same layer count and widths; the source and target lengths differ.

/// <summary>Reads a left-padded date string of up to 18 characters.</summary>
[RnnModel(SequenceLength = Dates.SourceSteps, BatchSize = Dates.Batch, Encoder = true)]
[Embedding(Dates.SourceVocabulary, 16)]
[Lstm(128)]
public partial class DateEncoder { }

/// <summary>Writes "YYYY-MM-DD" and an end token, starting from the encoder's final state.</summary>
[RnnModel(SequenceLength = Dates.TargetSteps, BatchSize = Dates.Batch)]
[Embedding(Dates.TargetVocabulary, 16)]
[Lstm(128)]
[Dense(Dates.TargetVocabulary, Activation = DenseActivation.Softmax)]
public partial class DateDecoder { }
