using System;

namespace RnnGen;

/// <summary>The recurrent state of one stream of a generated model (its nested <c>StepState</c>).</summary>
/// <typeparam name="TSelf">The concrete state type.</typeparam>
public interface IRnnStepState<TSelf> where TSelf : class, IRnnStepState<TSelf>
{
    /// <summary>The whole recurrent state (each layer's h, then c for LSTM layers).</summary>
    Span<float> Values { get; }

    /// <summary>Zeroes the state.</summary>
    void Reset();

    /// <summary>Overwrites this state with another's.</summary>
    void CopyFrom(TSelf source);

    /// <summary>Hidden state h of a layer.</summary>
    Span<float> Hidden(int layer);

    /// <summary>Cell state c of an LSTM layer; throws for other cells.</summary>
    Span<float> Cell(int layer);
}

/// <summary>A generated model that streams token ids one step at a time (unidirectional, token input, with a head):
/// what decoders, samplers and beam search are written against.</summary>
/// <typeparam name="TState">The model's <c>StepState</c>.</typeparam>
public interface IRnnTokenStream<TState> where TState : class, IRnnStepState<TState>
{
    /// <summary>Outputs per step (the vocabulary, for a language model or decoder).</summary>
    int StepOutputSize { get; }

    /// <summary>Creates a zero state.</summary>
    TState CreateState();

    /// <summary>Advances one stream by one token and writes the head's outputs (probabilities for softmax heads).</summary>
    void Step(TState state, int token, Span<float> output);
}

/// <summary>A generated model that streams float vectors one step at a time (unidirectional, vector input, with a head).</summary>
/// <typeparam name="TState">The model's <c>StepState</c>.</typeparam>
public interface IRnnVectorStream<TState> where TState : class, IRnnStepState<TState>
{
    /// <summary>Outputs per step.</summary>
    int StepOutputSize { get; }

    /// <summary>Creates a zero state.</summary>
    TState CreateState();

    /// <summary>Advances one stream by one input vector and writes the head's outputs.</summary>
    void Step(TState state, ReadOnlySpan<float> input, Span<float> output);
}
