using System;
using System.Numerics.Tensors;
using RnnGen.Data;

namespace RnnGen;

/// <summary>
/// Language-model training on one token stream with a <see cref="TokenStreamBatcher"/>: contiguous windows with
/// carried state (stateful truncated BPTT), randomised windows, and validation loss. Each method uses buffers the
/// trainer allocated once; training steps allocate nothing.
/// </summary>
public static class TrainerTokenStreams
{
    /// <summary>
    /// Trains on contiguous window <paramref name="window"/> of the epoch with stateful truncated BPTT
    /// (<see cref="Trainer{TInput, TTarget}.TrainWindow(ReadOnlySpan{TInput}, ReadOnlySpan{TTarget})"/>). Window 0 starts every stream from a zero state; each later
    /// window continues from the state the previous one left, so call the windows of an epoch in increasing order.
    /// </summary>
    /// <param name="trainer">The trainer of a token model.</param>
    /// <param name="batcher">The training stream, cut with the model's T and B.</param>
    /// <param name="window">Window index in [0, <see cref="TokenStreamBatcher.WindowCount"/>).</param>
    /// <exception cref="ArgumentException">The batcher's window shape differs from the model's.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="window"/> is out of range.</exception>
    public static TrainerStepResult TrainWindow(this Trainer<int, int> trainer, TokenStreamBatcher batcher, int window)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        RequireShape(trainer, batcher);
        batcher.FillWindow(window, trainer.InputBuffer, trainer.TargetBuffer);
        if (window == 0)
            trainer.Model.ResetState();
        return trainer.TrainWindow(trainer.InputBuffer, trainer.TargetBuffer);
    }

    /// <summary>
    /// Trains on a batch of windows at random offsets drawn from <see cref="Trainer{TInput, TTarget}.Random"/>
    /// (<see cref="TokenStreamBatcher.FillRandomWindow"/>), each starting from a zero state. The window length is
    /// always the model's T.
    /// </summary>
    /// <param name="trainer">The trainer of a token model.</param>
    /// <param name="batcher">The training stream, cut with the model's T and B.</param>
    /// <exception cref="ArgumentException">The batcher's window shape differs from the model's.</exception>
    public static TrainerStepResult TrainRandomWindow(this Trainer<int, int> trainer, TokenStreamBatcher batcher)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        RequireShape(trainer, batcher);
        batcher.FillRandomWindow(ref trainer.Random, trainer.InputBuffer, trainer.TargetBuffer);
        trainer.Model.ResetState();
        return trainer.TrainBatch(trainer.InputBuffer, trainer.TargetBuffer);
    }

    /// <summary>
    /// Stateful truncated BPTT with a random truncation length: trains on a window of k steps starting at
    /// <paramref name="position"/> of every stream, k drawn uniformly from [<paramref name="minimumLength"/>, T] with
    /// <see cref="Trainer{TInput, TTarget}.Random"/>, carries the state at step k into the next window, and advances
    /// <paramref name="position"/> by k. Position 0 starts every stream from a zero state. The model must be declared with
    /// <c>VariableLength = true</c>, which lets one compiled shape run windows of any length up to T.
    /// </summary>
    /// <param name="trainer">The trainer of a variable-length token model.</param>
    /// <param name="batcher">The training stream, cut with the model's T and B.</param>
    /// <param name="position">Where the window starts in each stream; advanced past it on return.</param>
    /// <param name="minimumLength">Shortest window, 1 to T.</param>
    /// <param name="result">The step's result when one was taken.</param>
    /// <returns>False, with nothing trained, once the streams are exhausted: start the next epoch at position 0.</returns>
    public static bool TryTrainRandomLengthWindow(this Trainer<int, int> trainer, TokenStreamBatcher batcher, ref int position, int minimumLength, out TrainerStepResult result)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        RequireShape(trainer, batcher);
        int steps = trainer.Model.SequenceLength;
        if (minimumLength < 1 || minimumLength > steps)
            throw new ArgumentOutOfRangeException(nameof(minimumLength), minimumLength, $"The shortest window must be in [1, {steps}].");
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        int remaining = batcher.StreamLength - 1 - position;
        if (remaining < 1)
        {
            result = default;
            return false;
        }
        int length = Math.Min(minimumLength + trainer.Random.NextInt(steps - minimumLength + 1), remaining);
        batcher.FillWindowAt(position, length, trainer.InputBuffer, trainer.TargetBuffer);
        trainer.LengthBuffer.AsSpan().Fill(length);
        if (position == 0)
            trainer.Model.ResetState();
        position += length;
        result = trainer.TrainWindow(trainer.InputBuffer, trainer.LengthBuffer, trainer.TargetBuffer);
        return true;
    }

    /// <summary>
    /// Mean cross-entropy, in nats per token, of the model on every contiguous window of <paramref name="batcher"/>,
    /// run with <see cref="IRnnModel{TInput, TTarget}.Forward"/> from a zero state carried from window to window.
    /// Perplexity is <c>Math.Exp</c> of the result. The model's initial state (the training stream's carried state) is
    /// restored afterwards, so training can continue where it stopped.
    /// </summary>
    /// <param name="trainer">The trainer of a token model with a softmax head.</param>
    /// <param name="batcher">The validation stream, cut with the model's T and B.</param>
    /// <exception cref="ArgumentException">The batcher's window shape differs from the model's.</exception>
    public static double EvaluateCrossEntropy(this Trainer<int, int> trainer, TokenStreamBatcher batcher)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        RequireShape(trainer, batcher);
        IRnnModel<int, int> model = trainer.Model;
        float[] saved = SaveInitialState(trainer);
        int classes = model.OutputLength / model.TargetLength;
        double total = 0;
        long count = 0;
        model.ResetState();
        for (int window = 0; window < batcher.WindowCount; window++)
        {
            batcher.FillWindow(window, trainer.InputBuffer, trainer.TargetBuffer);
            model.Forward(trainer.InputBuffer, trainer.OutputBuffer);
            model.CarryState();
            // Forward writes softmax probabilities; their logarithms are logits whose softmax is the same
            // distribution, so the cross-entropy of the logarithms is -log p[target].
            TensorPrimitives.Log(trainer.OutputBuffer, trainer.OutputBuffer);
            total += Losses.CrossEntropySum(trainer.OutputBuffer, trainer.TargetBuffer, classes, out int rows);
            count += rows;
        }
        RestoreInitialState(trainer, saved);
        return count == 0 ? double.NaN : total / count;
    }

    private static void RequireShape(Trainer<int, int> trainer, TokenStreamBatcher batcher)
    {
        ArgumentNullException.ThrowIfNull(batcher);
        IRnnModel model = trainer.Model;
        if (batcher.SequenceLength != model.SequenceLength || batcher.BatchSize != model.BatchSize
            || model.InputLength != batcher.WindowElementCount || model.TargetLength != batcher.WindowElementCount)
            throw new ArgumentException(
                $"The batcher cuts windows of T = {batcher.SequenceLength}, B = {batcher.BatchSize}; expected the model's T = {model.SequenceLength}, B = {model.BatchSize} with one target per input step.",
                nameof(batcher));
    }

    private static float[] SaveInitialState(Trainer<int, int> trainer)
    {
        int length = 0;
        foreach (StateSlot slot in trainer.StateSlots)
            length += trainer.InitialState(slot).Length;
        var saved = new float[length];
        int offset = 0;
        foreach (StateSlot slot in trainer.StateSlots)
        {
            Span<float> state = trainer.InitialState(slot);
            state.CopyTo(saved.AsSpan(offset));
            offset += state.Length;
        }
        return saved;
    }

    private static void RestoreInitialState(Trainer<int, int> trainer, float[] saved)
    {
        int offset = 0;
        foreach (StateSlot slot in trainer.StateSlots)
        {
            Span<float> state = trainer.InitialState(slot);
            saved.AsSpan(offset, state.Length).CopyTo(state);
            offset += state.Length;
        }
    }
}
