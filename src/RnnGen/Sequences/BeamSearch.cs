using System;

namespace RnnGen.Sequences;

/// <summary>
/// Beam search over a streaming token model: keeps the <see cref="BeamWidth"/> most likely partial sequences at every
/// step and returns up to <see cref="BeamWidth"/> finished ones, best first. All buffers, including one step state per
/// beam and per candidate beam, are allocated in the constructor; <see cref="Search"/> allocates nothing.
/// </summary>
/// <remarks>
/// <para>A hypothesis's log-probability is the sum of <c>ln p</c> of its tokens, accumulated in double. Its score is
/// <c>logP / length^α</c> with α = <see cref="LengthPenalty"/>: α = 0 ranks by plain log-probability (which favours
/// short sequences), α = 1 by the mean log-probability per token, and values in between (GNMT uses about 0.6) trade
/// the two. The length counts the end token.</para>
/// <para>End handling: each step extends every live hypothesis by every token and keeps the best
/// <see cref="BeamWidth"/> extensions by log-probability (at one step all have the same length, so this is also the
/// score order). An extension by the end token is finished and leaves the beam, which shrinks; the others stay live.
/// Hypotheses still live after <see cref="MaxLength"/> tokens are finished as they are, without an end token. The
/// search stops when no hypothesis is live or, for α = 0, as soon as <see cref="BeamWidth"/> finished hypotheses all
/// score at least the best live one (log-probabilities only fall, so none could overtake them). Ties keep the
/// earlier beam and the lower token id, so width 1 reproduces greedy decoding exactly.</para>
/// </remarks>
/// <typeparam name="TState">The model's step state.</typeparam>
public sealed class BeamSearch<TState> where TState : class, IRnnStepState<TState>
{
    private readonly int _vocabulary;
    private TState[] _states;
    private TState[] _nextStates;
    private int[] _tokens;
    private int[] _nextTokens;
    private double[] _logProbabilities;
    private double[] _nextLogProbabilities;
    private readonly float[] _probabilities;
    private readonly int[] _candidateBeam;
    private readonly int[] _candidateToken;
    private readonly double[] _candidateLogProbability;
    private readonly int[] _finishedTokens;
    private readonly int[] _finishedLength;
    private readonly double[] _finishedScore;
    private readonly double[] _finishedLogProbability;

    /// <summary>Preallocates a search.</summary>
    /// <param name="model">The decoder to search.</param>
    /// <param name="beamWidth">Hypotheses kept per step and returned; at least 1.</param>
    /// <param name="maxLength">Most tokens in a hypothesis (the end token included); at least 1.</param>
    /// <param name="lengthPenalty">α of the score <c>logP / length^α</c>; finite and &gt;= 0; 0 ranks by plain log-probability.</param>
    public BeamSearch(IRnnTokenStream<TState> model, int beamWidth, int maxLength, float lengthPenalty = 0f)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (beamWidth < 1)
            throw new ArgumentOutOfRangeException(nameof(beamWidth), beamWidth, $"'{nameof(beamWidth)}' must be at least 1.");
        if (maxLength < 1)
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, $"'{nameof(maxLength)}' must be at least 1.");
        if (!float.IsFinite(lengthPenalty) || lengthPenalty < 0f)
            throw new ArgumentOutOfRangeException(nameof(lengthPenalty), lengthPenalty, $"'{nameof(lengthPenalty)}' must be finite and >= 0.");
        Model = model;
        BeamWidth = beamWidth;
        MaxLength = maxLength;
        LengthPenalty = lengthPenalty;
        _vocabulary = model.StepOutputSize;
        _states = new TState[beamWidth];
        _nextStates = new TState[beamWidth];
        for (int i = 0; i < beamWidth; i++)
        {
            _states[i] = model.CreateState();
            _nextStates[i] = model.CreateState();
        }
        _tokens = new int[beamWidth * maxLength];
        _nextTokens = new int[beamWidth * maxLength];
        _logProbabilities = new double[beamWidth];
        _nextLogProbabilities = new double[beamWidth];
        _probabilities = new float[beamWidth * _vocabulary];
        _candidateBeam = new int[beamWidth];
        _candidateToken = new int[beamWidth];
        _candidateLogProbability = new double[beamWidth];
        _finishedTokens = new int[beamWidth * maxLength];
        _finishedLength = new int[beamWidth];
        _finishedScore = new double[beamWidth];
        _finishedLogProbability = new double[beamWidth];
    }

    /// <summary>The decoder searched.</summary>
    public IRnnTokenStream<TState> Model { get; }

    /// <summary>Hypotheses kept per step and returned.</summary>
    public int BeamWidth { get; }

    /// <summary>Most tokens in a hypothesis, the end token included.</summary>
    public int MaxLength { get; }

    /// <summary>α of the score <c>logP / length^α</c>; 0 ranks by plain log-probability.</summary>
    public float LengthPenalty { get; }

    /// <summary>Hypotheses found by the latest <see cref="Search"/>, at most <see cref="BeamWidth"/>.</summary>
    public int Count { get; private set; }

    /// <summary>The tokens of a hypothesis of the latest search (ending with the end token unless it hit <see cref="MaxLength"/>).</summary>
    /// <param name="rank">0 for the best, up to <see cref="Count"/> − 1.</param>
    public ReadOnlySpan<int> Sequence(int rank)
    {
        ValidateRank(rank);
        return new ReadOnlySpan<int>(_finishedTokens, rank * MaxLength, _finishedLength[rank]);
    }

    /// <summary>The score <c>logP / length^α</c> of a hypothesis; scores fall with rank.</summary>
    /// <param name="rank">0 for the best, up to <see cref="Count"/> − 1.</param>
    public double Score(int rank)
    {
        ValidateRank(rank);
        return _finishedScore[rank];
    }

    /// <summary>The log-probability (natural log) of a hypothesis under the model.</summary>
    /// <param name="rank">0 for the best, up to <see cref="Count"/> − 1.</param>
    public double LogProbability(int rank)
    {
        ValidateRank(rank);
        return _finishedLogProbability[rank];
    }

    /// <summary>Runs the search; the results are read with <see cref="Sequence"/>, <see cref="Score"/> and <see cref="LogProbability"/>.</summary>
    /// <param name="start">The starting state (for example seeded from an encoder); copied, not changed.</param>
    /// <param name="firstToken">The first input, usually a begin-of-sequence id.</param>
    /// <param name="endToken">The id that finishes a hypothesis; a negative id never does, so every hypothesis runs to <see cref="MaxLength"/>.</param>
    /// <returns>The number of hypotheses found (<see cref="Count"/>), at most <see cref="BeamWidth"/>; 0 only if the model's outputs are NaN.</returns>
    public int Search(TState start, int firstToken, int endToken)
    {
        ArgumentNullException.ThrowIfNull(start);
        if (endToken >= _vocabulary)
            throw new ArgumentOutOfRangeException(nameof(endToken), endToken, $"'{nameof(endToken)}' must be below {_vocabulary} (the model's StepOutputSize), or negative for none.");

        Count = 0;
        _states[0].CopyFrom(start);
        _logProbabilities[0] = 0;
        int live = 1;
        for (int t = 0; t < MaxLength && live > 0; t++)
        {
            int candidates = 0;
            for (int beam = 0; beam < live; beam++)
            {
                Span<float> probabilities = _probabilities.AsSpan(beam * _vocabulary, _vocabulary);
                Model.Step(_states[beam], t == 0 ? firstToken : _tokens[beam * MaxLength + t - 1], probabilities);
                double logProbability = _logProbabilities[beam];
                for (int token = 0; token < _vocabulary; token++)
                    candidates = Offer(candidates, beam, token, logProbability + Math.Log(probabilities[token]));
            }

            int nextLive = 0;
            for (int c = 0; c < candidates; c++)
            {
                int beam = _candidateBeam[c];
                int token = _candidateToken[c];
                if (token == endToken)
                {
                    Finish(_tokens.AsSpan(beam * MaxLength, t), token, _candidateLogProbability[c]);
                    continue;
                }
                _nextStates[nextLive].CopyFrom(_states[beam]);
                Span<int> tokens = _nextTokens.AsSpan(nextLive * MaxLength, t + 1);
                _tokens.AsSpan(beam * MaxLength, t).CopyTo(tokens);
                tokens[t] = token;
                _nextLogProbabilities[nextLive] = _candidateLogProbability[c];
                nextLive++;
            }
            (_states, _nextStates) = (_nextStates, _states);
            (_tokens, _nextTokens) = (_nextTokens, _tokens);
            (_logProbabilities, _nextLogProbabilities) = (_nextLogProbabilities, _logProbabilities);
            live = nextLive;

            // Live hypotheses are in descending order, so index 0 is the best; its log-probability can only fall.
            if (LengthPenalty == 0f && live > 0 && Count == BeamWidth && _finishedScore[Count - 1] >= _logProbabilities[0])
                live = 0;
            else if (t == MaxLength - 1)
            {
                for (int beam = 0; beam < live; beam++)
                    Finish(_tokens.AsSpan(beam * MaxLength, MaxLength - 1), _tokens[beam * MaxLength + MaxLength - 1], _logProbabilities[beam]);
            }
        }
        return Count;
    }

    // Inserts a candidate into the descending top-BeamWidth list unless it ranks below all of them. Strict comparisons
    // keep earlier candidates (lower beam, then lower token) ahead of equal later ones; NaN never gets in.
    private int Offer(int count, int beam, int token, double logProbability)
    {
        if (double.IsNaN(logProbability))
            return count;
        if (count == BeamWidth)
        {
            if (!(logProbability > _candidateLogProbability[count - 1]))
                return count;
            count--;
        }
        int position = count;
        while (position > 0 && logProbability > _candidateLogProbability[position - 1])
        {
            _candidateBeam[position] = _candidateBeam[position - 1];
            _candidateToken[position] = _candidateToken[position - 1];
            _candidateLogProbability[position] = _candidateLogProbability[position - 1];
            position--;
        }
        _candidateBeam[position] = beam;
        _candidateToken[position] = token;
        _candidateLogProbability[position] = logProbability;
        return count + 1;
    }

    // Adds prefix + last to the descending top-BeamWidth finished list when it ranks high enough.
    private void Finish(ReadOnlySpan<int> prefix, int last, double logProbability)
    {
        int length = prefix.Length + 1;
        double score = LengthPenalty == 0f ? logProbability : logProbability / Math.Pow(length, LengthPenalty);
        if (Count == BeamWidth && !(score > _finishedScore[Count - 1]))
            return;
        int position = Count == BeamWidth ? Count - 1 : Count;
        while (position > 0 && score > _finishedScore[position - 1])
        {
            _finishedTokens.AsSpan((position - 1) * MaxLength, _finishedLength[position - 1]).CopyTo(_finishedTokens.AsSpan(position * MaxLength));
            _finishedLength[position] = _finishedLength[position - 1];
            _finishedScore[position] = _finishedScore[position - 1];
            _finishedLogProbability[position] = _finishedLogProbability[position - 1];
            position--;
        }
        Span<int> tokens = _finishedTokens.AsSpan(position * MaxLength, length);
        prefix.CopyTo(tokens);
        tokens[length - 1] = last;
        _finishedLength[position] = length;
        _finishedScore[position] = score;
        _finishedLogProbability[position] = logProbability;
        if (Count < BeamWidth)
            Count++;
    }

    private void ValidateRank(int rank)
    {
        if ((uint)rank >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"'{nameof(rank)}' must be in [0, {Count}) (the hypotheses found).");
    }
}
