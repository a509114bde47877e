using System;

namespace RnnGen.Data;

/// <summary>
/// Cuts one token stream into fixed-shape training windows for truncated BPTT, as PyTorch's word_language_model does
/// with <c>batchify</c> and <c>get_batch</c>.
/// </summary>
/// <remarks>
/// <para>
/// The stream of N tokens is split into <see cref="BatchSize"/> B contiguous parallel streams of
/// <see cref="StreamLength"/> L = N / B tokens each; the last N mod B tokens are dropped. Stream b holds tokens
/// [b·L, (b+1)·L). Window w covers positions [w·T, w·T + T) of every stream and its targets are the next tokens,
/// positions [w·T + 1, w·T + T + 1). So window w + 1 continues exactly where window w stopped, and the hidden state
/// carried from one window to the next belongs to the same text. A trailing part shorter than T is dropped,
/// because the model's shapes are fixed.
/// </para>
/// <para>
/// Buffers are time-major, [T, B]: element (t, b) is at index <c>t * B + b</c>. The fill methods allocate nothing.
/// </para>
/// </remarks>
public sealed class TokenStreamBatcher
{
    private readonly int[] _tokens;

    /// <summary>Copies <paramref name="tokens"/> and fixes the window shape.</summary>
    /// <param name="tokens">The token stream; ids must be non-negative.</param>
    /// <param name="sequenceLength">Steps T per window; at least 1.</param>
    /// <param name="batchSize">Parallel streams B; at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">T or B is less than 1.</exception>
    /// <exception cref="ArgumentException">
    /// The stream is too short for one window (it needs at least B·(T + 1) tokens) or holds a negative id.
    /// </exception>
    public TokenStreamBatcher(ReadOnlySpan<int> tokens, int sequenceLength, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sequenceLength, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        long needed = (long)batchSize * (sequenceLength + 1L);
        if (tokens.Length < needed)
            throw new ArgumentException($"The stream has {tokens.Length} tokens; one window of {sequenceLength} steps over {batchSize} streams needs at least {needed} (B * (T + 1)).", nameof(tokens));
        for (int i = 0; i < tokens.Length; i++)
        {
            if (tokens[i] < 0)
                throw new ArgumentException($"Token id {tokens[i]} at index {i} is negative; ids must be >= 0.", nameof(tokens));
        }
        _tokens = tokens.ToArray();
        SequenceLength = sequenceLength;
        BatchSize = batchSize;
        StreamLength = tokens.Length / batchSize;
        WindowCount = (StreamLength - 1) / sequenceLength;
    }

    /// <summary>Steps T per window.</summary>
    public int SequenceLength { get; }

    /// <summary>Parallel streams B.</summary>
    public int BatchSize { get; }

    /// <summary>Tokens in the stream as given, including any remainder that <see cref="FillWindow"/> drops.</summary>
    public int TokenCount => _tokens.Length;

    /// <summary>Tokens L in each parallel stream: the token count divided by B, rounded down.</summary>
    public int StreamLength { get; }

    /// <summary>Contiguous windows per epoch, (L − 1) / T rounded down: one pass over every stream.</summary>
    public int WindowCount { get; }

    /// <summary>Elements in one inputs or targets buffer, T·B.</summary>
    public int WindowElementCount => SequenceLength * BatchSize;

    /// <summary>
    /// Fills window <paramref name="window"/> of the epoch. Windows in increasing order continue every stream, so a
    /// model can carry its hidden state from one to the next (detached, for truncated BPTT).
    /// </summary>
    /// <param name="window">Window index in [0, <see cref="WindowCount"/>).</param>
    /// <param name="inputs">Receives the tokens, [T, B] time-major; length T·B.</param>
    /// <param name="targets">Receives the next token of each input, [T, B] time-major; length T·B.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="window"/> is out of range.</exception>
    /// <exception cref="ArgumentException">A buffer's length is not T·B.</exception>
    public void FillWindow(int window, Span<int> inputs, Span<int> targets)
    {
        if ((uint)window >= (uint)WindowCount)
            throw new ArgumentOutOfRangeException(nameof(window), window, $"Window index must be in [0, {WindowCount}).");
        CheckBuffers(inputs, targets);
        int steps = SequenceLength;
        int batch = BatchSize;
        int streamLength = StreamLength;
        int position = window * steps;
        ReadOnlySpan<int> tokens = _tokens;
        for (int b = 0; b < batch; b++)
        {
            // Inputs and targets of stream b are one slice of T + 1 tokens, shifted by one.
            ReadOnlySpan<int> slice = tokens.Slice(b * streamLength + position, steps + 1);
            for (int t = 0; t < steps; t++)
            {
                inputs[t * batch + b] = slice[t];
                targets[t * batch + b] = slice[t + 1];
            }
        }
    }

    /// <summary>
    /// Fills a window whose B rows start at independent uniform offsets anywhere in the whole stream (the remainder
    /// included), like nanoGPT's <c>get_batch</c>. Rows are unrelated, so reset the hidden state before each one.
    /// </summary>
    /// <param name="random">Seeded generator; advanced by B draws.</param>
    /// <param name="inputs">Receives the tokens, [T, B] time-major; length T·B.</param>
    /// <param name="targets">Receives the next token of each input, [T, B] time-major; length T·B.</param>
    /// <exception cref="ArgumentException">A buffer's length is not T·B.</exception>
    public void FillRandomWindow(ref RnnRandom random, Span<int> inputs, Span<int> targets)
    {
        CheckBuffers(inputs, targets);
        int steps = SequenceLength;
        int batch = BatchSize;
        int startCount = _tokens.Length - steps; // starts 0 .. N - T - 1 keep the last target inside the stream
        ReadOnlySpan<int> tokens = _tokens;
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<int> slice = tokens.Slice(random.NextInt(startCount), steps + 1);
            for (int t = 0; t < steps; t++)
            {
                inputs[t * batch + b] = slice[t];
                targets[t * batch + b] = slice[t + 1];
            }
        }
    }

    /// <summary>
    /// Fills a window of <paramref name="length"/> ≤ T steps starting at <paramref name="position"/> of every stream, for
    /// truncated BPTT with a random truncation length. Steps past <paramref name="length"/> are padding: input 0 and
    /// target <see cref="Losses.IgnoreIndex"/>; give the model every sequence's length as <paramref name="length"/>.
    /// </summary>
    /// <param name="position">Step within each stream where the window starts.</param>
    /// <param name="length">Steps in the window, 1 to T; the last target must lie inside the stream.</param>
    /// <param name="inputs">Receives the tokens, [T, B] time-major; length T·B.</param>
    /// <param name="targets">Receives the next token of each input, [T, B] time-major; length T·B.</param>
    /// <exception cref="ArgumentOutOfRangeException">The window does not fit in the streams.</exception>
    /// <exception cref="ArgumentException">A buffer's length is not T·B.</exception>
    public void FillWindowAt(int position, int length, Span<int> inputs, Span<int> targets)
    {
        if (length < 1 || length > SequenceLength)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"Window length must be in [1, {SequenceLength}].");
        if (position < 0 || (long)position + length + 1 > StreamLength)
            throw new ArgumentOutOfRangeException(nameof(position), position, $"A window of {length} steps must start in [0, {StreamLength - length - 1}] so its last target stays inside the stream of {StreamLength} tokens.");
        CheckBuffers(inputs, targets);
        int batch = BatchSize;
        ReadOnlySpan<int> tokens = _tokens;
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<int> slice = tokens.Slice(b * StreamLength + position, length + 1);
            for (int t = 0; t < SequenceLength; t++)
            {
                inputs[t * batch + b] = t < length ? slice[t] : 0;
                targets[t * batch + b] = t < length ? slice[t + 1] : Losses.IgnoreIndex;
            }
        }
    }

    private void CheckBuffers(Span<int> inputs, Span<int> targets)
    {
        int expected = SequenceLength * BatchSize;
        if (inputs.Length != expected)
            throw new ArgumentException($"Inputs hold {inputs.Length} ids; expected {expected} (T = {SequenceLength} × B = {BatchSize}).", nameof(inputs));
        if (targets.Length != expected)
            throw new ArgumentException($"Targets hold {targets.Length} ids; expected {expected} (T = {SequenceLength} × B = {BatchSize}).", nameof(targets));
    }
}
