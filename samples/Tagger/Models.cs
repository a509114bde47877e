using RnnGen;

namespace RnnGen.Samples.Tagger;

// Aligned many-to-many over digit sequences of 6 to 24 digits: one tag per digit, padded steps ignored.

/// <summary>Bidirectional GRU tagger: each digit's tag depends on the digit before and the digit after it.</summary>
[RnnModel(SequenceLength = TagData.Steps, BatchSize = TagData.Batch, VariableLength = true)]
[Embedding(10, 8)]
[Gru(32, Bidirectional = true)]
[Dense(TagData.Tags, Activation = DenseActivation.Softmax)]
public partial class BiGruTagger { }

/// <summary>A forward-only GRU as wide as the bidirectional output (64): it cannot see the next digit when it tags the current one.</summary>
[RnnModel(SequenceLength = TagData.Steps, BatchSize = TagData.Batch, VariableLength = true)]
[Embedding(10, 8)]
[Gru(64)]
[Dense(TagData.Tags, Activation = DenseActivation.Softmax)]
public partial class ForwardGruTagger { }
