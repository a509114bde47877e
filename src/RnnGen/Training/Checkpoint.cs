using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;

namespace RnnGen;

/// <summary>
/// Saves and resumes a whole training run as one safetensors file, so that training 10 steps, saving, and training 10
/// more gives bit-identical weights to loading the file into a fresh model and optimiser and training 10 steps.
/// </summary>
/// <remarks>
/// <para>The file holds:</para>
/// <list type="table">
/// <item><term><c>model.{name}</c></term><description>F32 parameters under their PyTorch names, so
/// <c>module.load_state_dict({k[6:]: v for k, v in load_file(p).items() if k.startswith("model.")})</c> reads them.</description></item>
/// <item><term><c>optimizer.{buffer}</c></term><description>F32 optimiser state (<c>exp_avg</c>, <c>momentum_buffer</c>, …),
/// one flat tensor over the whole parameter block in block order.</description></item>
/// <item><term><c>optimizer.step</c>, <c>optimizer.lr</c></term><description>I64 completed steps and F32 learning rate (scalars).</description></item>
/// <item><term><c>trainer.schedule_step</c>, <c>trainer.skipped_steps</c></term><description>I64 scalars: the
/// schedule's position (the completed steps it is evaluated at) and the count of skipped steps.</description></item>
/// <item><term><c>trainer.random</c></term><description>I64 [4]: the data-order generator's xoshiro256** state.</description></item>
/// <item><term><c>state.h0_l{k}</c>, <c>state.c0_l{k}</c></term><description>F32 [B, H]: the model's initial state of
/// each layer, which holds the carried state of stateful truncated BPTT (c0 for LSTM layers only).</description></item>
/// </list>
/// <para>
/// <c>__metadata__</c> holds <c>format</c> = <c>rnngen.checkpoint</c>, <c>format_version</c> = <c>1</c>,
/// <c>optimizer</c> = the optimiser's PyTorch class name, and any caller entries.
/// </para>
/// <para>
/// Configuration is code, not state: hyper-parameters, <see cref="Trainer{TInput, TTarget}.Clipping"/> and
/// <see cref="Trainer{TInput, TTarget}.Schedule"/> are set up again before loading. So is the position of a
/// contiguous-window loop, which follows from <see cref="Optimizer.StepCount"/> plus
/// <see cref="Trainer{TInput, TTarget}.SkippedSteps"/> (or can be kept in the metadata).
/// </para>
/// </remarks>
public static class Checkpoint
{
    /// <summary>The value of the <c>format</c> metadata entry.</summary>
    public const string Format = "rnngen.checkpoint";

    /// <summary>The value of the <c>format_version</c> metadata entry this library writes and reads.</summary>
    public const int FormatVersion = 1;

    private const string FormatKey = "format";
    private const string VersionKey = "format_version";
    private const string OptimizerKey = "optimizer";
    private const string ModelPrefix = "model.";
    private const string OptimizerPrefix = "optimizer.";
    private const string StatePrefix = "state.";
    private const string StepName = "optimizer.step";
    private const string LearningRateName = "optimizer.lr";
    private const string ScheduleStepName = "trainer.schedule_step";
    private const string SkippedStepsName = "trainer.skipped_steps";
    private const string RandomName = "trainer.random";
    private const int MaxReportedProblems = 10;

    /// <summary>
    /// Writes the trainer's whole state to <paramref name="path"/> atomically (a temporary file in the same directory,
    /// flushed, then renamed), so a crash never leaves a half-written checkpoint.
    /// </summary>
    /// <param name="trainer">The trainer whose model, optimiser, counters and generator are saved.</param>
    /// <param name="path">Destination file, conventionally <c>*.safetensors</c>.</param>
    /// <param name="metadata">
    /// Extra <c>__metadata__</c> entries, for example a vocabulary as JSON; the keys <c>format</c>,
    /// <c>format_version</c> and <c>optimizer</c> are reserved.
    /// </param>
    /// <exception cref="ArgumentException"><paramref name="metadata"/> uses a reserved key.</exception>
    /// <exception cref="IOException">The file cannot be written; an existing file is left untouched.</exception>
    public static void Save<TInput, TTarget>(Trainer<TInput, TTarget> trainer, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentException.ThrowIfNullOrEmpty(path);
        SafeTensorsFile.Write(path, Entries(trainer), Metadata(trainer, metadata));
    }

    /// <summary>
    /// Restores a checkpoint written by <see cref="Save"/> into a trainer whose model and optimiser have the same
    /// shapes and kind. Transactional: the whole file is read and validated first, and nothing is changed unless every
    /// tensor is present, well-typed and well-shaped.
    /// </summary>
    /// <param name="trainer">The trainer to restore; unchanged if this throws.</param>
    /// <param name="path">A checkpoint file.</param>
    /// <returns>The file's <c>__metadata__</c>, including the caller entries given to <see cref="Save"/>.</returns>
    /// <exception cref="SafeTensorsFormatException">
    /// The file is malformed, is not a checkpoint, was written for another optimiser, or a tensor is missing,
    /// unexpected, mistyped or misshapen; the message names every problem (up to ten).
    /// </exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static IReadOnlyDictionary<string, string> Load<TInput, TTarget>(Trainer<TInput, TTarget> trainer, string path)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentException.ThrowIfNullOrEmpty(path);
        SafeTensorsFile file = SafeTensorsFile.Read(path);
        var problems = new List<string>();
        string? firstTensor = null;
        void Problem(string tensor, string message)
        {
            problems.Add(message);
            firstTensor ??= tensor;
        }

        CheckMetadata(trainer, file, problems);

        // Parameters: staged in a scratch block by the strict parameter loader.
        var parameters = new RnnParameters(trainer.Model.Parameters.Tensors);
        try
        {
            SafeTensors.Load(parameters, file, ModelPrefix);
        }
        catch (SafeTensorsFormatException e)
        {
            Problem(e.TensorName ?? ModelPrefix, e.Message);
        }

        // Optimiser buffers, counters and generator.
        Optimizer optimizer = trainer.Optimizer;
        var stateTensors = new List<OptimizerStateTensor>(optimizer.StateTensors.Count);
        foreach (OptimizerStateTensor own in optimizer.StateTensors)
        {
            float[]? values = ReadSingle(file, OptimizerPrefix + own.Name, [own.Length], Problem);
            if (values is not null)
                stateTensors.Add(new OptimizerStateTensor(own.Name, values));
        }
        long? step = ReadScalar(file, StepName, Problem);
        long? scheduleStep = ReadScalar(file, ScheduleStepName, Problem);
        long? skipped = ReadScalar(file, SkippedStepsName, Problem);
        float[]? learningRate = ReadSingle(file, LearningRateName, [], Problem);
        long[]? random = ReadInt64(file, RandomName, [4], Problem);
        if (step < 0)
            Problem(StepName, $"'{StepName}' is {step}; expected >= 0");
        if (skipped < 0)
            Problem(SkippedStepsName, $"'{SkippedStepsName}' is {skipped}; expected >= 0");
        if (scheduleStep is not null && step is not null && scheduleStep != step)
            Problem(ScheduleStepName, $"'{ScheduleStepName}' is {scheduleStep}; expected {step}, the completed optimiser steps the schedule follows");
        if (learningRate is not null && !(float.IsFinite(learningRate[0]) && learningRate[0] >= 0f))
            Problem(LearningRateName, $"'{LearningRateName}' is {learningRate[0].ToString(CultureInfo.InvariantCulture)}; expected a finite value >= 0");
        if (random is not null && (random[0] | random[1] | random[2] | random[3]) == 0)
            Problem(RandomName, $"'{RandomName}' is all zero, which is not a xoshiro256** state");

        // Carried model state.
        var states = new List<float[]>();
        foreach (StateSlot slot in trainer.StateSlots)
        {
            int length = trainer.InitialState(slot).Length;
            float[]? values = ReadSingle(file, StatePrefix + slot.Name, [trainer.Model.BatchSize, length / trainer.Model.BatchSize], Problem);
            if (values is not null)
                states.Add(values);
        }

        CheckUnexpected(trainer, file, Problem);
        if (problems.Count > 0)
            throw new SafeTensorsFormatException(Report(path, problems), firstTensor);

        // Everything is valid: apply.
        optimizer.RestoreState(new OptimizerState(optimizer.Name, step!.Value, learningRate![0], stateTensors));
        trainer.Model.Parameters.CopyValuesFrom(parameters);
        ReadOnlySpan<StateSlot> slots = trainer.StateSlots;
        for (int i = 0; i < slots.Length; i++)
            states[i].CopyTo(trainer.InitialState(slots[i]));
        Span<ulong> words = stackalloc ulong[4];
        for (int i = 0; i < 4; i++)
            words[i] = unchecked((ulong)random![i]);
        trainer.Random = RnnRandom.FromState(words);
        trainer.SkippedSteps = skipped!.Value;
        return file.Metadata;
    }

    private static List<SafeTensorWriteEntry> Entries<TInput, TTarget>(Trainer<TInput, TTarget> trainer)
    {
        var entries = new List<SafeTensorWriteEntry>();
        RnnParameters parameters = trainer.Model.Parameters;
        float[] values = parameters.Values.ToArray();
        foreach (ParameterTensor tensor in parameters.Tensors)
            entries.Add(new SafeTensorWriteEntry(ModelPrefix + tensor.Name, tensor.Shape, values.AsMemory(tensor.Offset, tensor.Length)));

        Optimizer optimizer = trainer.Optimizer;
        foreach (OptimizerStateTensor state in optimizer.StateTensors)
            entries.Add(new SafeTensorWriteEntry(OptimizerPrefix + state.Name, [state.Length], state.Values.ToArray()));
        entries.Add(new SafeTensorWriteEntry(StepName, [], new[] { optimizer.StepCount }));
        entries.Add(new SafeTensorWriteEntry(LearningRateName, [], new[] { optimizer.LearningRate }));
        entries.Add(new SafeTensorWriteEntry(ScheduleStepName, [], new[] { optimizer.StepCount }));
        entries.Add(new SafeTensorWriteEntry(SkippedStepsName, [], new[] { trainer.SkippedSteps }));
        Span<ulong> words = stackalloc ulong[4];
        trainer.Random.GetState(words);
        var random = new long[4];
        for (int i = 0; i < 4; i++)
            random[i] = unchecked((long)words[i]);
        entries.Add(new SafeTensorWriteEntry(RandomName, [4], random));

        int batch = trainer.Model.BatchSize;
        foreach (StateSlot slot in trainer.StateSlots)
        {
            float[] state = trainer.InitialState(slot).ToArray();
            entries.Add(new SafeTensorWriteEntry(StatePrefix + slot.Name, [batch, state.Length / batch], state));
        }
        return entries;
    }

    private static Dictionary<string, string> Metadata<TInput, TTarget>(Trainer<TInput, TTarget> trainer, IReadOnlyDictionary<string, string>? extra)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [FormatKey] = Format,
            [VersionKey] = FormatVersion.ToString(CultureInfo.InvariantCulture),
            [OptimizerKey] = trainer.Optimizer.Name,
        };
        if (extra is not null)
        {
            foreach (KeyValuePair<string, string> pair in extra)
            {
                if (!metadata.TryAdd(pair.Key, pair.Value))
                    throw new ArgumentException($"Metadata key '{pair.Key}' is reserved; the checkpoint writes '{FormatKey}', '{VersionKey}' and '{OptimizerKey}' itself.", nameof(extra));
            }
        }
        return metadata;
    }

    private static void CheckMetadata<TInput, TTarget>(Trainer<TInput, TTarget> trainer, SafeTensorsFile file, List<string> problems)
    {
        string expectedVersion = FormatVersion.ToString(CultureInfo.InvariantCulture);
        if (!file.Metadata.TryGetValue(FormatKey, out string? format) || format != Format)
            problems.Add($"metadata '{FormatKey}' is {Quote(format)}; expected '{Format}'");
        if (!file.Metadata.TryGetValue(VersionKey, out string? version) || version != expectedVersion)
            problems.Add($"metadata '{VersionKey}' is {Quote(version)}; expected '{expectedVersion}'");
        if (!file.Metadata.TryGetValue(OptimizerKey, out string? optimizer) || optimizer != trainer.Optimizer.Name)
            problems.Add($"metadata '{OptimizerKey}' is {Quote(optimizer)}; the trainer's optimizer is '{trainer.Optimizer.Name}'");
    }

    private static void CheckUnexpected<TInput, TTarget>(Trainer<TInput, TTarget> trainer, SafeTensorsFile file, Action<string, string> problem)
    {
        var expected = new HashSet<string>(StringComparer.Ordinal) { StepName, LearningRateName, ScheduleStepName, SkippedStepsName, RandomName };
        foreach (OptimizerStateTensor state in trainer.Optimizer.StateTensors)
            expected.Add(OptimizerPrefix + state.Name);
        foreach (StateSlot slot in trainer.StateSlots)
            expected.Add(StatePrefix + slot.Name);
        foreach (SafeTensorInfo info in file.Tensors)
        {
            // Parameters under "model." are checked by the parameter loader.
            if (!info.Name.StartsWith(ModelPrefix, StringComparison.Ordinal) && !expected.Contains(info.Name))
                problem(info.Name, $"unexpected tensor '{info.Name}' ({info.DType} {info.ShapeText})");
        }
    }

    private static float[]? ReadSingle(SafeTensorsFile file, string name, int[] shape, Action<string, string> problem) =>
        Check(file, name, shape, floatingPoint: true, problem) ? file.GetSingle(name) : null;

    private static long[]? ReadInt64(SafeTensorsFile file, string name, int[] shape, Action<string, string> problem) =>
        Check(file, name, shape, floatingPoint: false, problem) ? file.GetInt64(name) : null;

    private static long? ReadScalar(SafeTensorsFile file, string name, Action<string, string> problem) =>
        ReadInt64(file, name, [], problem) is { } values ? values[0] : null;

    private static bool Check(SafeTensorsFile file, string name, int[] shape, bool floatingPoint, Action<string, string> problem)
    {
        string expected = SafeTensorInfo.FormatShape(shape);
        if (!file.TryGetInfo(name, out SafeTensorInfo? info))
        {
            problem(name, $"missing tensor '{name}' (expected {(floatingPoint ? "F32" : "I64")} {expected})");
            return false;
        }
        if (floatingPoint ? !SafeTensorDType.IsFloatingPoint(info.DType) : !SafeTensorDType.IsInteger(info.DType))
        {
            problem(name, $"tensor '{name}' has dtype {info.DType}; expected {(floatingPoint ? "F32" : "I64")}");
            return false;
        }
        if (!info.Shape.SequenceEqual(shape))
        {
            problem(name, $"tensor '{name}' has shape {info.ShapeText}, expected {expected}");
            return false;
        }
        return true;
    }

    private static string Quote(string? value) => value is null ? "missing" : "'" + value + "'";

    private static string Report(string path, List<string> problems)
    {
        var message = new StringBuilder("Cannot load checkpoint '").Append(path).Append("': ");
        for (int i = 0; i < problems.Count && i < MaxReportedProblems; i++)
            message.Append(i > 0 ? "; " : string.Empty).Append(problems[i]);
        if (problems.Count > MaxReportedProblems)
            message.Append("; and ").Append(problems.Count - MaxReportedProblems).Append(" more problems");
        return message.Append('.').ToString();
    }
}
