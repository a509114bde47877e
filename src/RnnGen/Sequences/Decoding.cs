using System;
using RnnGen.Inference;

namespace RnnGen.Sequences;

/// <summary>
/// Autoregressive decoding on a streaming token model (a seq2seq decoder, a one-to-many generator or a language
/// model): each step's chosen token is the next step's input. Allocation-free; the caller owns the state and buffers.
/// </summary>
public static class Decoding
{
    /// <summary>
    /// Greedy decoding: feeds <paramref name="firstToken"/>, then always the most likely token, until
    /// <paramref name="endToken"/> is produced or <paramref name="tokens"/> is full.
    /// </summary>
    /// <typeparam name="TState">The model's step state.</typeparam>
    /// <param name="model">The decoder.</param>
    /// <param name="state">The starting state (for example seeded from an encoder); advanced in place.</param>
    /// <param name="firstToken">The first input, usually a begin-of-sequence id.</param>
    /// <param name="endToken">The id that ends the sequence (it is written and counted); a negative id never ends it.</param>
    /// <param name="tokens">Receives the produced ids; its length is the most that are produced. Entries past the returned count are left as they were.</param>
    /// <param name="probabilities">Scratch for one step's output; length <see cref="IRnnTokenStream{TState}.StepOutputSize"/>.</param>
    /// <returns>The number of ids written, including the end id when it was produced.</returns>
    public static int Greedy<TState>(IRnnTokenStream<TState> model, TState state, int firstToken, int endToken, Span<int> tokens, Span<float> probabilities)
        where TState : class, IRnnStepState<TState>
    {
        Validate(model, state, endToken, tokens, probabilities);
        int token = firstToken;
        for (int t = 0; t < tokens.Length; t++)
        {
            model.Step(state, token, probabilities);
            token = Sampling.Greedy(probabilities);
            tokens[t] = token;
            if (token == endToken)
                return t + 1;
        }
        return tokens.Length;
    }

    /// <summary>
    /// Sampled decoding: like <see cref="Greedy{TState}"/>, but each next token is drawn from the step's
    /// probabilities sharpened or flattened by <paramref name="temperature"/>
    /// (<see cref="Sampling.SampleWithTemperature"/>).
    /// </summary>
    /// <typeparam name="TState">The model's step state.</typeparam>
    /// <param name="model">The decoder.</param>
    /// <param name="state">The starting state; advanced in place.</param>
    /// <param name="firstToken">The first input, usually a begin-of-sequence id.</param>
    /// <param name="endToken">The id that ends the sequence (it is written and counted); a negative id never ends it.</param>
    /// <param name="tokens">Receives the produced ids; its length is the most that are produced.</param>
    /// <param name="probabilities">Scratch for one step's output; length <see cref="IRnnTokenStream{TState}.StepOutputSize"/>.</param>
    /// <param name="temperature">T &gt; 0 and finite; 1 samples the model's distribution as it is.</param>
    /// <param name="random">The generator; advanced by one draw per token.</param>
    /// <param name="scratch">Working memory for the tempered weights; length <see cref="IRnnTokenStream{TState}.StepOutputSize"/>.</param>
    /// <returns>The number of ids written, including the end id when it was produced.</returns>
    public static int Sample<TState>(IRnnTokenStream<TState> model, TState state, int firstToken, int endToken, Span<int> tokens,
        Span<float> probabilities, float temperature, ref RnnRandom random, Span<float> scratch)
        where TState : class, IRnnStepState<TState>
    {
        Validate(model, state, endToken, tokens, probabilities);
        int token = firstToken;
        for (int t = 0; t < tokens.Length; t++)
        {
            model.Step(state, token, probabilities);
            token = Sampling.SampleWithTemperature(probabilities, temperature, ref random, scratch);
            tokens[t] = token;
            if (token == endToken)
                return t + 1;
        }
        return tokens.Length;
    }

    /// <summary>
    /// The teacher-forced decoder inputs for a batch of targets: <paramref name="beginToken"/> at step 0, then the
    /// previous step's target. A previous target of <see cref="Losses.IgnoreIndex"/> (padding after the end of a
    /// shorter sequence) becomes <paramref name="endToken"/>, so every input is a valid id; its loss is ignored anyway.
    /// </summary>
    /// <param name="targets">Target ids, [T, B] time-major; ids or <see cref="Losses.IgnoreIndex"/>.</param>
    /// <param name="batchSize">B; at least 1 and a divisor of <c>targets.Length</c>.</param>
    /// <param name="beginToken">The input at step 0.</param>
    /// <param name="endToken">The input after a padded target.</param>
    /// <param name="inputs">Receives the inputs, [T, B] time-major; the same length as <paramref name="targets"/>.</param>
    public static void TeacherForcedInputs(ReadOnlySpan<int> targets, int batchSize, int beginToken, int endToken, Span<int> inputs)
    {
        if (batchSize < 1 || targets.Length % batchSize != 0)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"'{nameof(batchSize)}' must be at least 1 and divide targets.Length ({targets.Length}).");
        if (inputs.Length != targets.Length)
            throw new ArgumentException($"'{nameof(inputs)}' must have length {targets.Length} (targets.Length) but has length {inputs.Length}.", nameof(inputs));
        if (inputs.IsEmpty)
            return;
        inputs.Slice(0, batchSize).Fill(beginToken);
        for (int i = batchSize; i < inputs.Length; i++)
        {
            int previous = targets[i - batchSize];
            inputs[i] = previous == Losses.IgnoreIndex ? endToken : previous;
        }
    }

    private static void Validate<TState>(IRnnTokenStream<TState> model, TState state, int endToken, Span<int> tokens, Span<float> probabilities)
        where TState : class, IRnnStepState<TState>
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(state);
        if (endToken >= model.StepOutputSize)
            throw new ArgumentOutOfRangeException(nameof(endToken), endToken, $"'{nameof(endToken)}' must be below {model.StepOutputSize} (the model's StepOutputSize), or negative for none.");
        if (tokens.IsEmpty)
            throw new ArgumentException($"'{nameof(tokens)}' must have length 1 or more but is empty.", nameof(tokens));
        if (probabilities.Length != model.StepOutputSize)
            throw new ArgumentException($"'{nameof(probabilities)}' must have length {model.StepOutputSize} (the model's StepOutputSize) but has length {probabilities.Length}.", nameof(probabilities));
    }
}
