using System;

namespace RnnGen;

/// <summary>Name, element type and shape of one tensor in a <see cref="SafeTensorsFile"/>.</summary>
public sealed class SafeTensorInfo
{
    private readonly int[] _shape;

    internal SafeTensorInfo(string name, string dtype, int[] shape, int elementCount, long dataBegin, long dataEnd)
    {
        Name = name;
        DType = dtype;
        _shape = shape;
        ElementCount = elementCount;
        DataBegin = dataBegin;
        DataEnd = dataEnd;
    }

    /// <summary>The tensor's name, for example <c>weight_ih_l0</c>.</summary>
    public string Name { get; }

    /// <summary>The element type as the file spells it: <c>F32</c>, <c>F16</c>, <c>BF16</c>, <c>F64</c>, <c>I64</c> or <c>I32</c>.</summary>
    public string DType { get; }

    /// <summary>Row-major shape; empty for a scalar.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>Number of elements (the product of <see cref="Shape"/>).</summary>
    public int ElementCount { get; }

    /// <summary>The shape written as PyTorch prints it, for example <c>[256, 32]</c>.</summary>
    public string ShapeText => FormatShape(_shape);

    /// <summary>First byte of the tensor's data, relative to the start of the data buffer.</summary>
    internal long DataBegin { get; }

    /// <summary>One past the last byte of the tensor's data, relative to the start of the data buffer.</summary>
    internal long DataEnd { get; }

    /// <inheritdoc />
    public override string ToString() => Name + " " + DType + " " + ShapeText;

    internal static string FormatShape(ReadOnlySpan<int> shape)
    {
        var text = new System.Text.StringBuilder("[");
        for (int i = 0; i < shape.Length; i++)
        {
            if (i > 0)
                text.Append(", ");
            text.Append(shape[i].ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return text.Append(']').ToString();
    }
}
