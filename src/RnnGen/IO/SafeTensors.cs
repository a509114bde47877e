using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace RnnGen;

/// <summary>
/// Saves and loads a model's <see cref="RnnParameters"/> as a safetensors file with PyTorch's <c>state_dict</c>
/// names, so <c>torch.nn.LSTM(...).load_state_dict(safetensors.torch.load_file(path))</c> reads what
/// <see cref="Save"/> writes, and <see cref="Load(RnnParameters, string, string?)"/> reads what
/// <c>safetensors.torch.save_file(module.state_dict(), path)</c> writes.
/// </summary>
public static class SafeTensors
{
    private const int MaxReportedProblems = 10;

    /// <summary>
    /// Writes every tensor of the block as F32, named <paramref name="prefix"/> + its PyTorch name, atomically
    /// (temporary file in the same directory, flushed, then renamed over <paramref name="path"/>).
    /// </summary>
    /// <param name="parameters">The model's parameters.</param>
    /// <param name="path">Destination file.</param>
    /// <param name="prefix">Prepended to every name, for example <c>rnn.</c> when the network is the <c>rnn</c> submodule of a larger PyTorch module.</param>
    /// <param name="metadata">Optional <c>__metadata__</c> string map.</param>
    /// <exception cref="IOException">The file cannot be written; an existing file is left untouched.</exception>
    public static void Save(RnnParameters parameters, string path, string? prefix = null, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentException.ThrowIfNullOrEmpty(path);
        SafeTensorsFile.Write(path, ToEntries(parameters, prefix), metadata);
    }

    /// <summary>The bytes <see cref="Save"/> would write.</summary>
    /// <param name="parameters">The model's parameters.</param>
    /// <param name="prefix">Prepended to every name.</param>
    /// <param name="metadata">Optional <c>__metadata__</c> string map.</param>
    public static byte[] Serialize(RnnParameters parameters, string? prefix = null, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return SafeTensorsFile.Serialize(ToEntries(parameters, prefix), metadata);
    }

    /// <summary>
    /// Loads a weight file into <see cref="RnnParameters.Values"/>, transactionally: the whole file is validated and
    /// converted into a staging buffer first, and the model is written only when everything is valid.
    /// </summary>
    /// <param name="parameters">The model's parameters; unchanged if this throws.</param>
    /// <param name="path">A safetensors file.</param>
    /// <param name="prefix">
    /// The names in the file are <paramref name="prefix"/> + the PyTorch names. Tensors outside the prefix belong to
    /// other parts of a larger module and are ignored; tensors under it must all be model parameters.
    /// </param>
    /// <returns>The file's <c>__metadata__</c>; empty when it has none.</returns>
    /// <exception cref="SafeTensorsFormatException">
    /// The file is malformed, or a parameter is missing, misshapen or not floating point, or a tensor under the
    /// prefix is not a parameter. The message names each problem and tensor.
    /// </exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static IReadOnlyDictionary<string, string> Load(RnnParameters parameters, string path, string? prefix = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Load(parameters, SafeTensorsFile.Read(path), prefix);
    }

    /// <summary>
    /// Loads the parameters from an already-read file (a checkpoint that also holds optimiser state, for example),
    /// with the same strictness and transactional guarantee as <see cref="Load(RnnParameters, string, string?)"/>.
    /// </summary>
    /// <param name="parameters">The model's parameters; unchanged if this throws.</param>
    /// <param name="file">The file.</param>
    /// <param name="prefix">The names in the file are <paramref name="prefix"/> + the PyTorch names.</param>
    /// <returns>The file's <c>__metadata__</c>; empty when it has none.</returns>
    /// <exception cref="SafeTensorsFormatException">A parameter is missing, misshapen or not floating point, or a tensor under the prefix is not a parameter.</exception>
    public static IReadOnlyDictionary<string, string> Load(RnnParameters parameters, SafeTensorsFile file, string? prefix = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(file);
        prefix ??= string.Empty;

        var staging = new float[parameters.Count];
        var problems = new List<string>();
        string? firstTensor = null;
        foreach (ParameterTensor tensor in parameters.Tensors)
        {
            string name = prefix + tensor.Name;
            string? problem = null;
            if (!file.TryGetInfo(name, out SafeTensorInfo? info))
                problem = $"missing tensor '{name}' (expected {tensor.ShapeText})";
            else if (!SafeTensorDType.IsFloatingPoint(info.DType))
                problem = $"tensor '{name}' has dtype {info.DType}; a parameter needs F32, F16, BF16 or F64";
            else if (!info.Shape.SequenceEqual(tensor.Shape))
                problem = $"tensor '{name}' has shape {info.ShapeText}, expected {tensor.ShapeText}";
            else
                file.CopySingle(info, staging.AsSpan(tensor.Offset, tensor.Length));
            if (problem is not null)
            {
                problems.Add(problem);
                firstTensor ??= name;
            }
        }
        foreach (SafeTensorInfo info in file.Tensors)
        {
            if (info.Name.StartsWith(prefix, StringComparison.Ordinal) && !parameters.TryGetTensor(info.Name[prefix.Length..], out _))
            {
                problems.Add($"unexpected tensor '{info.Name}' ({info.DType} {info.ShapeText}): the model has no parameter '{info.Name[prefix.Length..]}'");
                firstTensor ??= info.Name;
            }
        }
        if (problems.Count > 0)
            throw new SafeTensorsFormatException(Report(file, prefix, problems), firstTensor);

        staging.CopyTo(parameters.Values);
        return file.Metadata;
    }

    private static SafeTensorWriteEntry[] ToEntries(RnnParameters parameters, string? prefix)
    {
        // One snapshot of the block, so a concurrent training step cannot tear the file.
        float[] values = parameters.Values.ToArray();
        var entries = new SafeTensorWriteEntry[parameters.Tensors.Count];
        for (int i = 0; i < entries.Length; i++)
        {
            ParameterTensor tensor = parameters.Tensors[i];
            entries[i] = new SafeTensorWriteEntry(prefix + tensor.Name, tensor.Shape, values.AsMemory(tensor.Offset, tensor.Length));
        }
        return entries;
    }

    private static string Report(SafeTensorsFile file, string prefix, List<string> problems)
    {
        var message = new StringBuilder("Cannot load ").Append(file.Description);
        if (prefix.Length > 0)
            message.Append(" with prefix '").Append(prefix).Append('\'');
        message.Append(" into the model: ");
        for (int i = 0; i < problems.Count && i < MaxReportedProblems; i++)
            message.Append(i > 0 ? "; " : string.Empty).Append(problems[i]);
        if (problems.Count > MaxReportedProblems)
            message.Append("; and ").Append(problems.Count - MaxReportedProblems).Append(" more problems");
        return message.Append('.').ToString();
    }
}
