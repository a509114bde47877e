using System;

namespace RnnGen.Samples.Latency;

/// <summary>
/// One stream on one model: a model reference plus the stream's own state. Each generated model has its own
/// <c>StepState</c> type, so a small struct per model lets one generic loop time them all without boxing or
/// virtual calls (the JIT specialises generic code for each struct).
/// </summary>
public interface IFrameStream
{
    /// <summary>Frame width.</summary>
    int InputSize { get; }

    /// <summary>Output width.</summary>
    int OutputSize { get; }

    /// <summary>Advances the stream by one frame.</summary>
    void Step(ReadOnlySpan<float> frame, Span<float> output);

    /// <summary>Zeroes the stream's state.</summary>
    void Reset();
}

/// <summary>A stream on <see cref="SensorLstm"/>.</summary>
public readonly struct LstmStream(SensorLstm model) : IFrameStream
{
    private readonly SensorLstm.StepState _state = model.CreateState();

    /// <inheritdoc/>
    public int InputSize => SensorLstm.InputSize;

    /// <inheritdoc/>
    public int OutputSize => SensorLstm.OutputSize;

    /// <inheritdoc/>
    public void Step(ReadOnlySpan<float> frame, Span<float> output) => model.Step(_state, frame, output);

    /// <inheritdoc/>
    public void Reset() => _state.Reset();
}

/// <summary>A stream on <see cref="SensorLstmWide"/>.</summary>
public readonly struct LstmWideStream(SensorLstmWide model) : IFrameStream
{
    private readonly SensorLstmWide.StepState _state = model.CreateState();

    /// <inheritdoc/>
    public int InputSize => SensorLstmWide.InputSize;

    /// <inheritdoc/>
    public int OutputSize => SensorLstmWide.OutputSize;

    /// <inheritdoc/>
    public void Step(ReadOnlySpan<float> frame, Span<float> output) => model.Step(_state, frame, output);

    /// <inheritdoc/>
    public void Reset() => _state.Reset();
}

/// <summary>A stream on <see cref="SensorGru"/>.</summary>
public readonly struct GruStream(SensorGru model) : IFrameStream
{
    private readonly SensorGru.StepState _state = model.CreateState();

    /// <inheritdoc/>
    public int InputSize => SensorGru.InputSize;

    /// <inheritdoc/>
    public int OutputSize => SensorGru.OutputSize;

    /// <inheritdoc/>
    public void Step(ReadOnlySpan<float> frame, Span<float> output) => model.Step(_state, frame, output);

    /// <inheritdoc/>
    public void Reset() => _state.Reset();
}
