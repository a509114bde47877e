using System;
using System.Numerics.Tensors;
using RnnGen.Inference;

namespace RnnGen.Sequences;

/// <summary>
/// A seq2seq encoder-decoder built from two generated models: an encoder (<c>[RnnModel(Encoder = true)]</c>) reads
/// the source, and its final states become the initial states of a token decoder with a softmax head on every step,
/// layer by layer. Trains with teacher forcing (and a teacher-forcing ratio); decodes greedily or by beam search.
/// </summary>
/// <remarks>
/// <para>The source length is the encoder's <see cref="IRnnModel.SequenceLength"/> and the target length the
/// decoder's; both models have the same <see cref="IRnnModel.BatchSize"/>, the same number of layers and, layer by
/// layer, the same hidden (and LSTM cell) widths. Only forward directions hand over: a bidirectional encoder's reverse
/// states are not used. The decoder's head must predict ids the decoder also reads (its vocabulary is at least its
/// <see cref="IRnnTokenStream{TState}.StepOutputSize"/>), because decoding feeds predictions back.</para>
/// <para>Everything is allocated in the constructor; training and decoding allocate nothing. One call at a time per
/// instance, as for the models themselves.</para>
/// </remarks>
/// <typeparam name="TEncoder">The generated encoder.</typeparam>
/// <typeparam name="TDecoder">The generated decoder (token input, softmax head on every step, streaming).</typeparam>
/// <typeparam name="TState">The decoder's <c>StepState</c>.</typeparam>
public sealed class Seq2Seq<TEncoder, TDecoder, TState>
    where TEncoder : class, IRnnEncoder<int>
    where TDecoder : class, IRnnModel<int, int>, IRnnTokenStream<TState>
    where TState : class, IRnnStepState<TState>
{
    private readonly int _batch;
    private readonly int _targetSteps;
    private readonly bool[] _hasCell;
    private readonly int[] _decoderInputs;
    private readonly bool[] _teacherForced;
    private readonly int[] _rowTokens;
    private readonly float[] _probabilities;
    private readonly TState _state;
    private float _teacherForcingRatio = 1f;
    private bool _encoded;

    /// <summary>Joins an encoder and a decoder and checks that their states hand over.</summary>
    /// <param name="encoder">The encoder; its final states seed the decoder.</param>
    /// <param name="decoder">The decoder; its dL/dh0 (and dL/dc0) flows back into the encoder.</param>
    /// <param name="beginToken">The decoder's first input (begin of sequence), a target id.</param>
    /// <param name="endToken">The id that ends a decoded sequence (end of sequence), a target id.</param>
    /// <param name="seed">Seed of the generator behind the teacher-forcing coin flips.</param>
    /// <exception cref="ArgumentException">The models' batch sizes, layer counts or state widths differ, or the decoder has no head on every step or cannot read the ids its head predicts.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="beginToken"/> or <paramref name="endToken"/> is not a target id.</exception>
    public Seq2Seq(TEncoder encoder, TDecoder decoder, int beginToken, int endToken, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(decoder);
        int vocabulary = decoder.StepOutputSize;
        if ((uint)beginToken >= (uint)vocabulary)
            throw new ArgumentOutOfRangeException(nameof(beginToken), beginToken, $"'{nameof(beginToken)}' must be in [0, {vocabulary}) (the decoder's StepOutputSize).");
        if ((uint)endToken >= (uint)vocabulary)
            throw new ArgumentOutOfRangeException(nameof(endToken), endToken, $"'{nameof(endToken)}' must be in [0, {vocabulary}) (the decoder's StepOutputSize).");
        if (encoder.BatchSize != decoder.BatchSize)
            throw new ArgumentException($"'{nameof(decoder)}' must have BatchSize {encoder.BatchSize} (the encoder's) but has {decoder.BatchSize}.", nameof(decoder));
        if (encoder.LayerCount != decoder.LayerCount)
            throw new ArgumentException($"'{nameof(decoder)}' must have {encoder.LayerCount} layers (the encoder's LayerCount) so final states hand over layer by layer, but has {decoder.LayerCount}.", nameof(decoder));
        _batch = decoder.BatchSize;
        _targetSteps = decoder.SequenceLength;
        if (decoder.TargetLength != _targetSteps * _batch || decoder.OutputLength != decoder.TargetLength * vocabulary)
            throw new ArgumentException($"'{nameof(decoder)}' must have a softmax head on every step (Steps = OutputSteps.AllSteps): {_targetSteps * _batch} targets of {vocabulary} classes per batch.", nameof(decoder));

        _hasCell = new bool[encoder.LayerCount];
        for (int layer = 0; layer < _hasCell.Length; layer++)
        {
            int encoderHidden = StateLayout.HiddenWidth(encoder, layer), decoderHidden = StateLayout.HiddenWidth(decoder, layer);
            if (encoderHidden != decoderHidden)
                throw new ArgumentException($"'{nameof(decoder)}' layer {layer} must have hidden width {encoderHidden} (the encoder's layer {layer}) but has {decoderHidden}.", nameof(decoder));
            int encoderCell = StateLayout.CellWidth(encoder, layer), decoderCell = StateLayout.CellWidth(decoder, layer);
            if (encoderCell != decoderCell)
                throw new ArgumentException(
                    $"'{nameof(decoder)}' layer {layer} must have cell width {encoderCell} (the encoder's layer {layer}; 0 = no LSTM cell) but has {decoderCell}.", nameof(decoder));
            _hasCell[layer] = encoderCell > 0;
        }

        Encoder = encoder;
        Decoder = decoder;
        BeginToken = beginToken;
        EndToken = endToken;
        Random = new RnnRandom(seed);
        _decoderInputs = new int[_targetSteps * _batch];
        _teacherForced = new bool[_targetSteps * _batch];
        _rowTokens = new int[_targetSteps];
        _probabilities = new float[vocabulary];
        _state = decoder.CreateState();

        // Decoding feeds predictions back as inputs; a step on the largest predicted id proves the decoder reads it.
        try
        {
            decoder.Step(_state, vocabulary - 1, _probabilities);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new ArgumentException($"'{nameof(decoder)}' must read every id its head predicts (0 to {vocabulary - 1}); its vocabulary is smaller than its StepOutputSize.", nameof(decoder), e);
        }
    }

    /// <summary>The encoder.</summary>
    public TEncoder Encoder { get; }

    /// <summary>The decoder.</summary>
    public TDecoder Decoder { get; }

    /// <summary>The decoder's first input (begin of sequence).</summary>
    public int BeginToken { get; }

    /// <summary>The id that ends a decoded sequence.</summary>
    public int EndToken { get; }

    /// <summary>Sequences per batch, B (both models').</summary>
    public int BatchSize => _batch;

    /// <summary>Source ids per batch, [T_source, B] time-major (the encoder's <see cref="IRnnModel.InputLength"/>).</summary>
    public int SourceLength => Encoder.InputLength;

    /// <summary>Target ids per batch, [T_target, B] time-major (the decoder's <see cref="IRnnModel.TargetLength"/>).</summary>
    public int TargetLength => Decoder.TargetLength;

    /// <summary>Most ids a decoded sequence has, T_target (the decoder's <see cref="IRnnModel.SequenceLength"/>).</summary>
    public int MaxTargetSteps => _targetSteps;

    /// <summary>
    /// Probability that a decoder input during training is the previous target (teacher forcing) rather than the
    /// decoder's own previous prediction; 1 (the default) always forces. In [0, 1].
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside [0, 1] or NaN.</exception>
    public float TeacherForcingRatio
    {
        get => _teacherForcingRatio;
        set
        {
            if (!(value >= 0f && value <= 1f))
                throw new ArgumentOutOfRangeException(nameof(TeacherForcingRatio), value, $"'{nameof(TeacherForcingRatio)}' must be in [0, 1].");
            _teacherForcingRatio = value;
        }
    }

    /// <summary>The generator behind the teacher-forcing coin flips; get and set it to checkpoint and resume.</summary>
    public RnnRandom Random { get; set; }

    /// <summary>The decoder inputs of the latest <see cref="ComputeGradients"/>, [T_target, B] time-major.</summary>
    public ReadOnlySpan<int> DecoderInputs => _decoderInputs;

    /// <summary>
    /// One training pass over a batch: encoder forward, decoder forward from the encoder's final states, mean
    /// cross-entropy over the target steps, decoder BPTT, and encoder BPTT from the decoder's dL/dh0 (and dL/dc0).
    /// Gradients are ADDED to both models' parameters.
    /// </summary>
    /// <remarks>
    /// The decoder input at step 0 is <see cref="BeginToken"/>. At step t &gt; 0 it is the target at t − 1 with
    /// probability <see cref="TeacherForcingRatio"/> (one coin per sequence and step, drawn from <see cref="Random"/>
    /// as in PyTorch's <c>random.random() &lt; teacher_forcing_ratio</c>), and otherwise the argmax of the decoder's own
    /// prediction at t − 1, found by stepping that sequence from its encoder state. As in PyTorch, the argmax choice
    /// is not differentiated: the decoder then trains on the chosen inputs. A previous target of
    /// <see cref="Losses.IgnoreIndex"/> (padding) gives the input <see cref="EndToken"/>.
    /// </remarks>
    /// <param name="source">Source ids, [T_source, B] time-major (<see cref="SourceLength"/> ids).</param>
    /// <param name="target">Target ids, [T_target, B] time-major (<see cref="TargetLength"/> ids), each a class id or <see cref="Losses.IgnoreIndex"/>.</param>
    /// <returns>The mean cross-entropy over the non-ignored target positions (PyTorch's <c>CrossEntropyLoss</c>).</returns>
    public float ComputeGradients(ReadOnlySpan<int> source, ReadOnlySpan<int> target)
    {
        ValidateLength(source.Length, SourceLength, nameof(source));
        ValidateLength(target.Length, TargetLength, nameof(target));
        Encode(source);
        Decoding.TeacherForcedInputs(target, _batch, BeginToken, EndToken, _decoderInputs);
        if (_teacherForcingRatio < 1f)
            ChooseFreeRunningInputs();

        for (int layer = 0; layer < _hasCell.Length; layer++)
        {
            Encoder.FinalHidden(layer).CopyTo(Decoder.InitialHidden(layer));
            if (_hasCell[layer])
                Encoder.FinalCell(layer).CopyTo(Decoder.InitialCell(layer));
        }
        float loss = Decoder.ComputeGradients(_decoderInputs, target);
        for (int layer = 0; layer < _hasCell.Length; layer++)
        {
            Decoder.InitialHiddenGradient(layer).CopyTo(Encoder.FinalHiddenGradient(layer));
            if (_hasCell[layer])
                Decoder.InitialCellGradient(layer).CopyTo(Encoder.FinalCellGradient(layer));
        }
        Encoder.Backward(source);
        return loss;
    }

    /// <summary>Sets both models' gradients to zero.</summary>
    public void ZeroGradients()
    {
        Encoder.ZeroGradients();
        Decoder.ZeroGradients();
    }

    /// <summary>
    /// <c>clip_grad_norm_</c> over both models' gradients together: the norm is taken over the union, and both are
    /// scaled by <c>maxNorm / (total + 1e-6)</c> when that is below 1. A non-finite norm scales nothing.
    /// </summary>
    /// <param name="maxNorm">Largest allowed norm; finite and &gt;= 0.</param>
    /// <returns>The joint norm before clipping.</returns>
    public float ClipGradients(float maxNorm)
    {
        if (!float.IsFinite(maxNorm) || maxNorm < 0f)
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, $"'{nameof(maxNorm)}' must be finite and >= 0.");
        Span<float> encoder = Encoder.Parameters.Gradients, decoder = Decoder.Parameters.Gradients;
        double encoderNorm = GradientClipping.GlobalNorm(encoder), decoderNorm = GradientClipping.GlobalNorm(decoder);
        float total = (float)Math.Sqrt(encoderNorm * encoderNorm + decoderNorm * decoderNorm);
        if (!float.IsFinite(total))
            return total;
        float coefficient = 1f / (total + 1e-6f) * maxNorm;
        if (coefficient < 1f)
        {
            TensorPrimitives.Multiply(encoder, coefficient, encoder);
            TensorPrimitives.Multiply(decoder, coefficient, decoder);
        }
        return total;
    }

    /// <summary>Runs the encoder over a batch of sources; the decoding methods that take a row then read its final states.</summary>
    /// <param name="source">Source ids, [T_source, B] time-major (<see cref="SourceLength"/> ids).</param>
    public void Encode(ReadOnlySpan<int> source)
    {
        ValidateLength(source.Length, SourceLength, nameof(source));
        Encoder.Forward(source);
        _encoded = true;
    }

    /// <summary>Writes one row's encoder final states (every layer's h, and c for LSTM layers) into a decoder state.</summary>
    /// <param name="row">Batch row of the latest <see cref="Encode"/> (or training pass), 0 to B − 1.</param>
    /// <param name="state">A decoder state; overwritten.</param>
    public void SeedState(int row, TState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        ValidateRow(row);
        for (int layer = 0; layer < _hasCell.Length; layer++)
        {
            Span<float> hidden = state.Hidden(layer);
            Encoder.FinalHidden(layer).Slice(row * hidden.Length, hidden.Length).CopyTo(hidden);
            if (_hasCell[layer])
            {
                Span<float> cell = state.Cell(layer);
                Encoder.FinalCell(layer).Slice(row * cell.Length, cell.Length).CopyTo(cell);
            }
        }
    }

    /// <summary>Greedy decoding of one row of the latest <see cref="Encode"/>: <see cref="BeginToken"/> first, then the argmax fed back, until <see cref="EndToken"/>.</summary>
    /// <param name="row">Batch row, 0 to B − 1.</param>
    /// <param name="tokens">Receives the decoded ids; <see cref="MaxTargetSteps"/> long. Entries past the returned count are <see cref="Losses.IgnoreIndex"/>.</param>
    /// <returns>The number of ids decoded, including the end id when it was produced.</returns>
    public int Greedy(int row, Span<int> tokens)
    {
        ValidateRow(row);
        ValidateLength(tokens.Length, _targetSteps, nameof(tokens));
        SeedState(row, _state);
        int count = Decoding.Greedy(Decoder, _state, BeginToken, EndToken, tokens, _probabilities);
        tokens.Slice(count).Fill(Losses.IgnoreIndex);
        return count;
    }

    /// <summary>Encodes a batch and decodes every row greedily, laid out like training targets.</summary>
    /// <param name="source">Source ids, [T_source, B] time-major (<see cref="SourceLength"/> ids).</param>
    /// <param name="tokens">Receives the decoded ids, [T_target, B] time-major (<see cref="TargetLength"/> ids), <see cref="Losses.IgnoreIndex"/> after each sequence's end: equal to targets padded that way exactly when every id matches.</param>
    /// <param name="lengths">Receives each row's decoded length (including the end id), B entries.</param>
    public void Greedy(ReadOnlySpan<int> source, Span<int> tokens, Span<int> lengths)
    {
        ValidateLength(tokens.Length, TargetLength, nameof(tokens));
        ValidateLength(lengths.Length, _batch, nameof(lengths));
        Encode(source);
        for (int row = 0; row < _batch; row++)
        {
            lengths[row] = Greedy(row, _rowTokens);
            for (int t = 0; t < _targetSteps; t++)
                tokens[t * _batch + row] = _rowTokens[t];
        }
    }

    /// <summary>Beam search for one row of the latest <see cref="Encode"/>, starting from <see cref="BeginToken"/> and ending hypotheses at <see cref="EndToken"/>.</summary>
    /// <param name="row">Batch row, 0 to B − 1.</param>
    /// <param name="search">A beam search built on <see cref="Decoder"/>; it receives the hypotheses, best first.</param>
    /// <returns>The number of hypotheses found (<see cref="BeamSearch{TState}.Count"/>).</returns>
    public int BeamSearch(int row, BeamSearch<TState> search)
    {
        ArgumentNullException.ThrowIfNull(search);
        if (!ReferenceEquals(search.Model, Decoder))
            throw new ArgumentException($"'{nameof(search)}' must be built on this Seq2Seq's Decoder.", nameof(search));
        ValidateRow(row);
        SeedState(row, _state);
        return search.Search(_state, BeginToken, EndToken);
    }

    // Per sequence, steps the decoder from its encoder state over the inputs chosen so far and replaces each input
    // whose coin said "no teacher" by the argmax of the step before it. Steps stop after the last such input.
    private void ChooseFreeRunningInputs()
    {
        RnnRandom random = Random;
        _teacherForced.AsSpan(0, _batch).Fill(true);
        for (int i = _batch; i < _teacherForced.Length; i++)
            _teacherForced[i] = random.NextDouble() < _teacherForcingRatio;
        Random = random;

        for (int row = 0; row < _batch; row++)
        {
            int lastFree = 0;
            for (int t = 1; t < _targetSteps; t++)
            {
                if (!_teacherForced[t * _batch + row])
                    lastFree = t;
            }
            if (lastFree == 0)
                continue;
            SeedState(row, _state);
            for (int t = 0; t < lastFree; t++)
            {
                Decoder.Step(_state, _decoderInputs[t * _batch + row], _probabilities);
                int next = (t + 1) * _batch + row;
                if (!_teacherForced[next])
                    _decoderInputs[next] = Sampling.Greedy(_probabilities);
            }
        }
    }

    private void ValidateRow(int row)
    {
        if ((uint)row >= (uint)_batch)
            throw new ArgumentOutOfRangeException(nameof(row), row, $"'{nameof(row)}' must be in [0, {_batch}) (the batch size).");
        if (!_encoded)
            throw new InvalidOperationException("Call Encode (or ComputeGradients) before decoding a row: the decoder starts from the encoder's final states.");
    }

    private static void ValidateLength(int actual, int expected, string name)
    {
        if (actual != expected)
            throw new ArgumentException($"'{name}' must have length {expected} but has length {actual}.", name);
    }
}
