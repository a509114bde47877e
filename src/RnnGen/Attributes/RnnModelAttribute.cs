using System;

namespace RnnGen;

/// <summary>
/// Marks a <see langword="partial"/> class as a recurrent network with fixed shapes. The RnnGen source generator
/// expands the class into forward, streaming-step and backpropagation-through-time code. The layer attributes on the
/// same class (<see cref="InputAttribute"/>, a recurrent layer such as <see cref="LstmAttribute"/>, then
/// <see cref="DenseAttribute"/>) describe the network, in source order.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class RnnModelAttribute : Attribute
{
    /// <summary>Number of time steps <c>T</c> in one training or inference sequence.</summary>
    public int SequenceLength { get; set; }

    /// <summary>Number of sequences <c>B</c> processed together; defaults to 1.</summary>
    public int BatchSize { get; set; } = 1;

    /// <summary>When true, <c>Forward</c> and <c>ComputeGradients</c> take per-sequence lengths (each 1 to
    /// <see cref="SequenceLength"/>): PyTorch's packed-sequence semantics without the packing. State stops at each
    /// sequence's end, padded outputs are zero and the loss ignores padding.</summary>
    public bool VariableLength { get; set; }

    /// <summary>Streaming <c>Step</c> is generated for every model that can stream (unidirectional models). Setting this
    /// to true makes it a requirement, so a bidirectional model reports RNN0013 instead of silently omitting it.</summary>
    public bool Streaming { get; set; }

    /// <summary>Declares a seq2seq encoder: no <see cref="DenseAttribute"/> head; <c>Forward</c> produces final states
    /// for a decoder, and <c>Backward</c> propagates the decoder's gradient with respect to them.</summary>
    public bool Encoder { get; set; }

    /// <summary>Whether the time loop is written out step by step or kept as a loop; <see cref="TimeUnrolling.Auto"/>
    /// by default.</summary>
    public TimeUnrolling Unroll { get; set; }
}

/// <summary>Float-vector input of <see cref="Size"/> features per time step.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class InputAttribute : Attribute
{
    /// <summary>Creates a float-vector input.</summary>
    /// <param name="size">Features per time step.</param>
    public InputAttribute(int size) => Size = size;

    /// <summary>Features per time step.</summary>
    public int Size { get; }
}

/// <summary>Token-id input looked up in a learned table of shape [<see cref="Vocabulary"/>, <see cref="Size"/>]
/// (PyTorch <c>nn.Embedding</c>, parameter <c>embedding.weight</c>).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class EmbeddingAttribute : Attribute
{
    /// <summary>Creates a token-id input through an embedding table.</summary>
    /// <param name="vocabulary">Number of distinct token ids.</param>
    /// <param name="size">Embedding width.</param>
    public EmbeddingAttribute(int vocabulary, int size)
    {
        Vocabulary = vocabulary;
        Size = size;
    }

    /// <summary>Number of distinct token ids.</summary>
    public int Vocabulary { get; }

    /// <summary>Embedding width.</summary>
    public int Size { get; }
}

/// <summary>Token-id input encoded as a one-hot vector of <see cref="Vocabulary"/> entries, so the first layer's
/// <c>weight_ih_l0</c> is [gates × hidden, vocabulary] (PyTorch: <c>F.one_hot(tokens, V).float()</c>).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class OneHotAttribute : Attribute
{
    /// <summary>Creates a one-hot token input.</summary>
    /// <param name="vocabulary">Number of distinct token ids.</param>
    public OneHotAttribute(int vocabulary) => Vocabulary = vocabulary;

    /// <summary>Number of distinct token ids.</summary>
    public int Vocabulary { get; }
}
