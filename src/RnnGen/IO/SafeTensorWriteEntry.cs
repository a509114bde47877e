using System;

namespace RnnGen;

/// <summary>
/// One tensor to write with <see cref="SafeTensorsFile.Write"/>: a name, a shape and either <see cref="float"/>
/// data (stored as F32) or <see cref="long"/> data (stored as I64, for step counters and generator state).
/// The data is referenced, not copied, until the file is written.
/// </summary>
public readonly struct SafeTensorWriteEntry
{
    private readonly int[] _shape;

    /// <summary>An F32 tensor.</summary>
    /// <param name="name">Tensor name, for example <c>weight_ih_l0</c>; not empty and not <c>__metadata__</c>.</param>
    /// <param name="shape">Row-major shape; empty for a scalar.</param>
    /// <param name="data">Exactly the product of <paramref name="shape"/> values, row-major.</param>
    public SafeTensorWriteEntry(string name, ReadOnlySpan<int> shape, ReadOnlyMemory<float> data)
    {
        _shape = Validate(name, shape, data.Length);
        Name = name;
        DType = SafeTensorDType.F32;
        SingleData = data;
    }

    /// <summary>An I64 tensor.</summary>
    /// <param name="name">Tensor name; not empty and not <c>__metadata__</c>.</param>
    /// <param name="shape">Row-major shape; empty for a scalar.</param>
    /// <param name="data">Exactly the product of <paramref name="shape"/> values, row-major.</param>
    public SafeTensorWriteEntry(string name, ReadOnlySpan<int> shape, ReadOnlyMemory<long> data)
    {
        _shape = Validate(name, shape, data.Length);
        Name = name;
        DType = SafeTensorDType.I64;
        Int64Data = data;
    }

    /// <summary>Tensor name; <see langword="null"/> only for a <see langword="default"/> entry, which cannot be written.</summary>
    public string Name { get; }

    /// <summary>Element type in the file: <c>F32</c> or <c>I64</c>.</summary>
    public string DType { get; }

    /// <summary>Row-major shape.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    internal ReadOnlyMemory<float> SingleData { get; }

    internal ReadOnlyMemory<long> Int64Data { get; }

    /// <summary>Bytes the data occupies in the file.</summary>
    internal long ByteLength => DType == SafeTensorDType.I64 ? Int64Data.Length * 8L : SingleData.Length * 4L;

    private static int[] Validate(string name, ReadOnlySpan<int> shape, int dataLength)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name == "__metadata__")
            throw new ArgumentException("'__metadata__' is reserved for the metadata map and cannot name a tensor.", nameof(name));
        RequireWellFormed(name, nameof(name));
        long count = 1;
        foreach (int dim in shape)
        {
            if (dim < 0)
                throw new ArgumentException($"Tensor '{name}' has a negative dimension {dim} in shape {SafeTensorInfo.FormatShape(shape)}.", nameof(shape));
            count *= dim;
            if (count > int.MaxValue)
                throw new ArgumentException($"Tensor '{name}' with shape {SafeTensorInfo.FormatShape(shape)} has more than {int.MaxValue} elements.", nameof(shape));
        }
        if (count != dataLength)
            throw new ArgumentException($"Tensor '{name}' with shape {SafeTensorInfo.FormatShape(shape)} needs {count} values; the data holds {dataLength}.", "data");
        return shape.ToArray();
    }

    /// <summary>Rejects strings with unpaired surrogates, which have no UTF-8 form.</summary>
    internal static void RequireWellFormed(string text, string paramName)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                i++;
            else if (char.IsSurrogate(text[i]))
                throw new ArgumentException($"'{text}' has an unpaired surrogate at index {i}; safetensors headers are UTF-8.", paramName);
        }
    }
}
