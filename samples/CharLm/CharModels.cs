using System;
using RnnGen;

// Shapes are compile-time constants in RnnGen, so each --hidden/--layers choice is its own declaration. The generator
// turns each into a class with Forward, the training pass and a streaming Step specialised to its sizes.

/// <summary>Advances one text stream by one character: reads a token id and writes next-character probabilities.</summary>
internal delegate void CharStream(int token, Span<float> probabilities);

/// <summary>A character model: the training interface plus a streaming view for sampling.</summary>
internal interface ICharModel : IRnnModel<int, int>
{
    /// <summary>Starts a stream from a zero state.</summary>
    CharStream StartStream();
}

internal static class CharModels
{
    /// <summary>Token ids the models accept: enough for any corpus of up to 96 distinct characters (KJV has 62).</summary>
    public const int Vocabulary = 96;

    public const int EmbeddingSize = 32;

    public static ICharModel Create(int hidden, int layers, ulong seed) => (hidden, layers) switch
    {
        (256, 2) => new Lstm256x2(seed),
        (256, 1) => new Lstm256x1(seed),
        (128, 2) => new Lstm128x2(seed),
        (128, 1) => new Lstm128x1(seed),
        _ => throw new ArgumentException($"No model is compiled for --hidden {hidden} --layers {layers}; choose hidden 128 or 256 and 1 or 2 layers, or declare another size in CharModels.cs."),
    };
}

[RnnModel(SequenceLength = 64, BatchSize = 32)]
[Embedding(CharModels.Vocabulary, CharModels.EmbeddingSize)]
[Lstm(256, Layers = 2)]
[Dense(CharModels.Vocabulary, Activation = DenseActivation.Softmax)]
internal sealed partial class Lstm256x2 : ICharModel
{
    public CharStream StartStream()
    {
        StepState state = CreateState();
        return (token, probabilities) => Step(state, token, probabilities);
    }
}

[RnnModel(SequenceLength = 64, BatchSize = 32)]
[Embedding(CharModels.Vocabulary, CharModels.EmbeddingSize)]
[Lstm(256)]
[Dense(CharModels.Vocabulary, Activation = DenseActivation.Softmax)]
internal sealed partial class Lstm256x1 : ICharModel
{
    public CharStream StartStream()
    {
        StepState state = CreateState();
        return (token, probabilities) => Step(state, token, probabilities);
    }
}

[RnnModel(SequenceLength = 64, BatchSize = 32)]
[Embedding(CharModels.Vocabulary, CharModels.EmbeddingSize)]
[Lstm(128, Layers = 2)]
[Dense(CharModels.Vocabulary, Activation = DenseActivation.Softmax)]
internal sealed partial class Lstm128x2 : ICharModel
{
    public CharStream StartStream()
    {
        StepState state = CreateState();
        return (token, probabilities) => Step(state, token, probabilities);
    }
}

[RnnModel(SequenceLength = 64, BatchSize = 32)]
[Embedding(CharModels.Vocabulary, CharModels.EmbeddingSize)]
[Lstm(128)]
[Dense(CharModels.Vocabulary, Activation = DenseActivation.Softmax)]
internal sealed partial class Lstm128x1 : ICharModel
{
    public CharStream StartStream()
    {
        StepState state = CreateState();
        return (token, probabilities) => Step(state, token, probabilities);
    }
}
