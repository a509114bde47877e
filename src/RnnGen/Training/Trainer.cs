using System;
using System.Collections.Generic;

namespace RnnGen;

/// <summary>
/// Trains a generated model with an <see cref="Optimizer"/>, one batch per call: zero the gradients, run the training
/// pass, check that the loss and every gradient are finite, clip, set the scheduled learning rate, step. A non-finite
/// loss or gradient skips the optimiser step, so the weights are never poisoned. Each call allocates nothing.
/// </summary>
/// <remarks>
/// <para>
/// <b>Truncated BPTT.</b> The model's <see cref="IRnnModel.SequenceLength"/> T is the truncation length k. To train on a
/// long stream, cut it into consecutive windows of T steps (<see cref="Data.TokenStreamBatcher.FillWindow"/>) and call
/// <see cref="TrainWindow(ReadOnlySpan{TInput}, ReadOnlySpan{TTarget})"/> for each in order: every window starts from the
/// previous window's final state, copied in as a constant (<see cref="IRnnModel.CarryState"/>), so gradients stop at
/// the window boundary, like <c>h = h.detach()</c> in PyTorch. For randomised windows, reset the state and call
/// <see cref="TrainBatch"/> (or use <see cref="TrainerTokenStreams.TrainRandomWindow"/>). Only window <i>offsets</i> can
/// be random: the window <i>length</i> is the model's compile-time T, so randomised truncation lengths would need
/// variable-length sequences.
/// </para>
/// <para>
/// The learning-rate schedule is a function of the optimiser's completed steps; a skipped step does not advance it.
/// </para>
/// </remarks>
/// <typeparam name="TInput">The model's input element: <see cref="float"/> vectors or <see cref="int"/> token ids.</typeparam>
/// <typeparam name="TTarget">The model's target element: <see cref="int"/> classes or <see cref="float"/> values.</typeparam>
public sealed class Trainer<TInput, TTarget>
{
    private readonly StateSlot[] _stateSlots;
    private RnnRandom _random;

    /// <summary>Binds a model and an optimiser of its parameters.</summary>
    /// <param name="model">The model to train.</param>
    /// <param name="optimizer">An optimiser created over <c>model.Parameters</c>.</param>
    /// <param name="seed">Seed of <see cref="Random"/>, which orders the data of randomised windows.</param>
    /// <exception cref="ArgumentException"><paramref name="optimizer"/> updates a different parameter block.</exception>
    public Trainer(IRnnModel<TInput, TTarget> model, Optimizer optimizer, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        if (!ReferenceEquals(optimizer.Parameters, model.Parameters))
            throw new ArgumentException("The optimizer must be created over model.Parameters; it updates a different parameter block.", nameof(optimizer));
        Model = model;
        Optimizer = optimizer;
        _random = new RnnRandom(seed);
        _stateSlots = DescribeState(model);
        InputBuffer = new TInput[model.InputLength];
        TargetBuffer = new TTarget[model.TargetLength];
        OutputBuffer = new float[model.OutputLength];
        LengthBuffer = new int[model.BatchSize];
    }

    /// <summary>The model being trained.</summary>
    public IRnnModel<TInput, TTarget> Model { get; }

    /// <summary>The optimiser; its <see cref="Optimizer.StepCount"/> counts the steps taken.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Learning-rate schedule applied before every step, or <see langword="null"/> to keep <see cref="Optimizer.LearningRate"/>.</summary>
    public LearningRateSchedule? Schedule { get; set; }

    /// <summary>Gradient clipping applied before every step; <see cref="TrainerClipping.None"/> by default.</summary>
    public TrainerClipping Clipping { get; set; }

    /// <summary>Steps skipped because the loss or a gradient was NaN or infinite.</summary>
    public long SkippedSteps { get; internal set; }

    /// <summary>
    /// The trainer's seeded generator, for data order (random window offsets, shuffling). Checkpoints store its state,
    /// so a resumed run draws the same data. Pass it by reference: <c>batcher.FillRandomWindow(ref trainer.Random, …)</c>.
    /// </summary>
    public ref RnnRandom Random => ref _random;

    /// <summary>The model's initial state tensors, in checkpoint order: h0 of every layer, then c0 of every LSTM layer.</summary>
    internal ReadOnlySpan<StateSlot> StateSlots => _stateSlots;

    internal TInput[] InputBuffer { get; }

    internal TTarget[] TargetBuffer { get; }

    internal float[] OutputBuffer { get; }

    internal int[] LengthBuffer { get; }

    /// <summary>
    /// One step on one batch of independent sequences, starting from the model's initial state as it is (zero unless
    /// set; call <see cref="IRnnModel.ResetState"/> first when a previous pass changed it).
    /// </summary>
    /// <param name="inputs">One batch of inputs, <see cref="IRnnModel.InputLength"/> elements.</param>
    /// <param name="targets">One batch of targets, <see cref="IRnnModel.TargetLength"/> elements.</param>
    /// <returns>The loss, the gradient norm before clipping, whether the step was skipped and the learning rate.</returns>
    /// <exception cref="ArgumentException">A span has the wrong length (thrown by the model).</exception>
    public TrainerStepResult TrainBatch(ReadOnlySpan<TInput> inputs, ReadOnlySpan<TTarget> targets) => Train(inputs, targets);

    /// <summary>
    /// One stateful truncated-BPTT step: trains on the window from the model's initial state, then carries the final
    /// state into the initial state for the next window. The carried state is a constant of the next pass, so the
    /// gradient is detached at the boundary. After a skipped step the state is still carried if it is finite, and reset
    /// to zero if it is not.
    /// </summary>
    /// <param name="inputs">The window's inputs, <see cref="IRnnModel.InputLength"/> elements.</param>
    /// <param name="targets">The window's targets, <see cref="IRnnModel.TargetLength"/> elements.</param>
    /// <returns>The loss, the gradient norm before clipping, whether the step was skipped and the learning rate.</returns>
    /// <exception cref="ArgumentException">A span has the wrong length (thrown by the model).</exception>
    public TrainerStepResult TrainWindow(ReadOnlySpan<TInput> inputs, ReadOnlySpan<TTarget> targets)
    {
        TrainerStepResult result = Train(inputs, targets);
        if (!result.Skipped || FinalStateIsFinite())
            Model.CarryState();
        else
            Model.ResetState();
        return result;
    }

    /// <summary>
    /// <see cref="TrainWindow(ReadOnlySpan{TInput}, ReadOnlySpan{TTarget})"/> for a model declared with
    /// <c>VariableLength = true</c>: every sequence stops after its own length, so the carried state is the state at that
    /// step. This is truncated BPTT with a window length chosen per call, at most the model's T.
    /// </summary>
    /// <param name="inputs">The window's inputs, padded to <see cref="IRnnModel.InputLength"/> elements.</param>
    /// <param name="lengths">Steps of each sequence, B values in [1, T].</param>
    /// <param name="targets">The window's targets; padded steps are ignored.</param>
    /// <exception cref="InvalidOperationException">The model was not declared with <c>VariableLength = true</c>.</exception>
    public TrainerStepResult TrainWindow(ReadOnlySpan<TInput> inputs, ReadOnlySpan<int> lengths, ReadOnlySpan<TTarget> targets)
    {
        if (Model is not IVariableLengthRnnModel<TInput, TTarget>)
            throw new InvalidOperationException($"{Model.GetType().Name} takes no per-sequence lengths; declare it with [RnnModel(VariableLength = true)].");
        TrainerStepResult result = Train(inputs, targets, lengths, variableLength: true);
        if (!result.Skipped || FinalStateIsFinite())
            Model.CarryState();
        else
            Model.ResetState();
        return result;
    }

    private TrainerStepResult Train(ReadOnlySpan<TInput> inputs, ReadOnlySpan<TTarget> targets) => Train(inputs, targets, default, variableLength: false);

    private TrainerStepResult Train(ReadOnlySpan<TInput> inputs, ReadOnlySpan<TTarget> targets, ReadOnlySpan<int> lengths, bool variableLength)
    {
        Schedule?.Apply(Optimizer);
        float learningRate = Optimizer.LearningRate;

        Model.ZeroGradients();
        float loss = variableLength
            ? ((IVariableLengthRnnModel<TInput, TTarget>)Model).ComputeGradients(inputs, lengths, targets)
            : Model.ComputeGradients(inputs, targets);
        Span<float> gradients = Model.Parameters.Gradients;
        TrainerClipping clipping = Clipping;
        // One pass gives both the reported norm and the finiteness guard: the norm is finite exactly when every
        // gradient is (and the block's norm fits a float). Norm clipping leaves a non-finite block unscaled.
        float norm = clipping.Mode == TrainerClipMode.GlobalNorm
            ? GradientClipping.ClipByGlobalNorm(gradients, clipping.Threshold)
            : GradientClipping.GlobalNorm(gradients);
        if (!float.IsFinite(loss) || !float.IsFinite(norm))
        {
            SkippedSteps++;
            return new TrainerStepResult(loss, norm, skipped: true, learningRate);
        }
        if (clipping.Mode == TrainerClipMode.Value)
            GradientClipping.ClipByValue(gradients, clipping.Threshold);
        Optimizer.Step();
        return new TrainerStepResult(loss, norm, skipped: false, learningRate);
    }

    private bool FinalStateIsFinite()
    {
        foreach (StateSlot slot in _stateSlots)
        {
            if (!GradientClipping.AllFinite(FinalState(slot)))
                return false;
        }
        return true;
    }

    /// <summary>The initial (carried) state tensor of a slot, [B, H].</summary>
    internal Span<float> InitialState(StateSlot slot) => slot.IsCell ? Model.InitialCell(slot.Layer) : Model.InitialHidden(slot.Layer);

    private Span<float> FinalState(StateSlot slot) => slot.IsCell ? Model.FinalCell(slot.Layer) : Model.FinalHidden(slot.Layer);

    private static StateSlot[] DescribeState(IRnnModel model)
    {
        var slots = new List<StateSlot>(2 * model.LayerCount);
        for (int layer = 0; layer < model.LayerCount; layer++)
            slots.Add(new StateSlot(layer, IsCell: false));
        for (int layer = 0; layer < model.LayerCount; layer++)
        {
            if (HasCell(model, layer))
                slots.Add(new StateSlot(layer, IsCell: true));
        }
        return slots.ToArray();
    }

    // The model interface promises that the cell accessors throw for layers without a cell (GRU and vanilla RNN).
    private static bool HasCell(IRnnModel model, int layer)
    {
        try
        {
            model.InitialCell(layer);
            return true;
        }
        catch (ArgumentOutOfRangeException)
        {
            return false;
        }
        catch (NotSupportedException)
        {
            return false;
        }
    }
}

/// <summary>One initial-state tensor of a model: the hidden state h0 or the LSTM cell state c0 of a layer.</summary>
/// <param name="Layer">Layer index.</param>
/// <param name="IsCell">True for c0, false for h0.</param>
internal readonly record struct StateSlot(int Layer, bool IsCell)
{
    /// <summary>Checkpoint tensor name, without prefix: <c>h0_l{layer}</c> or <c>c0_l{layer}</c>.</summary>
    public string Name => (IsCell ? "c0_l" : "h0_l") + Layer.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
