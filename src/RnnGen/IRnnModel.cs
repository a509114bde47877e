using System;

namespace RnnGen;

/// <summary>
/// What every generated model offers regardless of its shapes: its parameters, its batch state and the shape constants.
/// Training loops, checkpoints and tests are written once against this interface.
/// </summary>
public interface IRnnModel
{
    /// <summary>All parameters and gradients, each in one contiguous block with PyTorch names.</summary>
    RnnParameters Parameters { get; }

    /// <summary>Time steps per sequence, T.</summary>
    int SequenceLength { get; }

    /// <summary>Sequences per batch, B.</summary>
    int BatchSize { get; }

    /// <summary>Recurrent layers in the stack.</summary>
    int LayerCount { get; }

    /// <summary>Elements in one batch of inputs.</summary>
    int InputLength { get; }

    /// <summary>Floats in one batch of outputs.</summary>
    int OutputLength { get; }

    /// <summary>Elements in one batch of targets.</summary>
    int TargetLength { get; }

    /// <summary>dL/dx after the latest training pass, [T, B, I] (for token inputs: the embedded rows, [T, B, E]).</summary>
    ReadOnlySpan<float> InputGradient { get; }

    /// <summary>Initial hidden state h0 of a layer, [B, H].</summary>
    Span<float> InitialHidden(int layer);

    /// <summary>Final hidden state h_n of a layer after the latest pass, [B, H].</summary>
    Span<float> FinalHidden(int layer);

    /// <summary>dL/dh0 of a layer after the latest training pass, [B, H].</summary>
    Span<float> InitialHiddenGradient(int layer);

    /// <summary>Extra gradient with respect to h_n of a layer, [B, H], added by every training pass until cleared:
    /// where a seq2seq decoder's dL/dh0 enters its encoder. Zero until set.</summary>
    Span<float> FinalHiddenGradient(int layer);

    /// <summary>Extra gradient with respect to c_n of an LSTM layer, [B, H]; throws for other cells.</summary>
    Span<float> FinalCellGradient(int layer);

    /// <summary>Initial cell state c0 of an LSTM layer, [B, H]; throws for other cells.</summary>
    Span<float> InitialCell(int layer);

    /// <summary>Final cell state c_n of an LSTM layer, [B, H]; throws for other cells.</summary>
    Span<float> FinalCell(int layer);

    /// <summary>dL/dc0 of an LSTM layer after the latest training pass, [B, H]; throws for other cells.</summary>
    Span<float> InitialCellGradient(int layer);

    /// <summary>Zeroes every layer's initial state.</summary>
    void ResetState();

    /// <summary>Copies the final state of the latest pass into the initial state (stateful truncated BPTT).</summary>
    void CarryState();

    /// <summary>Sets every gradient to zero.</summary>
    void ZeroGradients();
}

/// <summary>A generated model's batch entry points, typed by its input (<see cref="float"/> vectors or <see cref="int"/>
/// token ids) and its targets (<see cref="int"/> classes for softmax heads, <see cref="float"/> values otherwise).</summary>
/// <typeparam name="TInput">Element type of the inputs.</typeparam>
/// <typeparam name="TTarget">Element type of the targets.</typeparam>
public interface IRnnModel<TInput, TTarget> : IRnnModel
{
    /// <summary>Runs the network over one batch of sequences.</summary>
    void Forward(ReadOnlySpan<TInput> inputs, Span<float> outputs);

    /// <summary>Forward, loss and BPTT over one batch; adds to the gradients and returns the loss.</summary>
    float ComputeGradients(ReadOnlySpan<TInput> inputs, ReadOnlySpan<TTarget> targets);
}

/// <summary>A generated model declared with <c>VariableLength = true</c>: batch entry points that take each
/// sequence's length (PyTorch's packed-sequence semantics).</summary>
/// <typeparam name="TInput">Element type of the inputs.</typeparam>
/// <typeparam name="TTarget">Element type of the targets.</typeparam>
public interface IVariableLengthRnnModel<TInput, TTarget> : IRnnModel<TInput, TTarget>
{
    /// <summary>Runs the network over sequences of the given lengths; padded outputs are zero.</summary>
    void Forward(ReadOnlySpan<TInput> inputs, ReadOnlySpan<int> lengths, Span<float> outputs);

    /// <summary>Forward, loss over the valid steps, and BPTT; adds to the gradients and returns the loss.</summary>
    float ComputeGradients(ReadOnlySpan<TInput> inputs, ReadOnlySpan<int> lengths, ReadOnlySpan<TTarget> targets);
}

/// <summary>A generated seq2seq encoder (<c>[RnnModel(Encoder = true)]</c>): no head; its final states seed a decoder,
/// and the decoder's gradient with respect to them comes back through <see cref="IRnnModel.FinalHiddenGradient"/>.</summary>
/// <typeparam name="TInput">Element type of the inputs.</typeparam>
public interface IRnnEncoder<TInput> : IRnnModel
{
    /// <summary>Runs the encoder over one batch; the result is <see cref="IRnnModel.FinalHidden"/> (and FinalCell).</summary>
    void Forward(ReadOnlySpan<TInput> inputs);

    /// <summary>BPTT for the latest Forward from the gradients in FinalHiddenGradient/FinalCellGradient; adds to the gradients.</summary>
    void Backward(ReadOnlySpan<TInput> inputs);
}
