using RnnGen;

namespace RnnGen.Samples.OneToMany;

/// <summary>
/// Spells a number one character at a time. Its initial state comes from the number's feature vector through a
/// <see cref="RnnGen.Sequences.StateSeeder"/>; its inputs are its own previous characters (teacher-forced in training).
/// </summary>
[RnnModel(SequenceLength = Numbers.Steps, BatchSize = Numbers.Batch)]
[Embedding(Numbers.Vocabulary, 16)]
[Lstm(128)]
[Dense(Numbers.Vocabulary, Activation = DenseActivation.Softmax)]
public partial class Speller { }
