using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Diagnostics.CodeAnalysis;
using System.IO;
using System.Text.Json;
using System.Text.Unicode;

namespace RnnGen;

/// <summary>
/// A safetensors file held in memory: its tensors (name, dtype, shape, data) and its <c>__metadata__</c>.
/// The whole file is validated when it is read, so a <see cref="SafeTensorsFile"/> that exists is well formed.
/// Used for model weights (<see cref="SafeTensors"/>), test fixtures and training checkpoints.
/// </summary>
/// <remarks>
/// Reading follows the reference (Rust) implementation and is as strict: the header is at most 100 MB of UTF-8
/// JSON holding one object; every tensor has exactly <c>dtype</c>, <c>shape</c> and <c>data_offsets</c>;
/// names are unique; offsets match dtype size times element count; and the tensors tile the data buffer exactly,
/// with no overlap, hole or trailing byte. Supported element types: F32, F16, BF16, F64, I64 and I32.
/// </remarks>
public sealed partial class SafeTensorsFile
{
    /// <summary>Largest header accepted, as in the reference implementation.</summary>
    internal const int MaxHeaderLength = 100_000_000;

    private const string MetadataKey = "__metadata__";

    private readonly byte[] _bytes;
    private readonly int _dataStart;
    private readonly Dictionary<string, SafeTensorInfo> _byName;
    private readonly string? _source;

    private SafeTensorsFile(byte[] bytes, int dataStart, SafeTensorInfo[] tensors, Dictionary<string, string> metadata, string? source)
    {
        _bytes = bytes;
        _dataStart = dataStart;
        _source = source;
        _byName = new Dictionary<string, SafeTensorInfo>(tensors.Length, StringComparer.Ordinal);
        foreach (SafeTensorInfo tensor in tensors)
            _byName.Add(tensor.Name, tensor);
        Tensors = Array.AsReadOnly(tensors);
        Metadata = new ReadOnlyDictionary<string, string>(metadata);
    }

    /// <summary>The free-form string map stored under <c>__metadata__</c>; empty when the file has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensors, in the order of their data in the file.</summary>
    public IReadOnlyList<SafeTensorInfo> Tensors { get; }

    /// <summary>Reads and validates a whole file.</summary>
    /// <param name="path">Path of a <c>.safetensors</c> file.</param>
    /// <exception cref="SafeTensorsFormatException">The file is malformed; the message names the problem.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static SafeTensorsFile Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Parses and validates the bytes of a whole file. The data is copied, so the span may be reused.</summary>
    /// <exception cref="SafeTensorsFormatException">The bytes are malformed; the message names the problem.</exception>
    public static SafeTensorsFile Parse(ReadOnlySpan<byte> bytes) => Parse(bytes.ToArray(), null);

    /// <summary>Whether the file holds a tensor with this name.</summary>
    public bool Contains(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _byName.ContainsKey(name);
    }

    /// <summary>Tries to find a tensor by name.</summary>
    public bool TryGetInfo(string name, [MaybeNullWhen(false)] out SafeTensorInfo info)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _byName.TryGetValue(name, out info);
    }

    /// <summary>Finds a tensor by name.</summary>
    /// <exception cref="SafeTensorsFormatException">The file has no tensor with this name.</exception>
    public SafeTensorInfo GetInfo(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _byName.TryGetValue(name, out SafeTensorInfo? info)
            ? info
            : throw new SafeTensorsFormatException($"{Describe(_source)} has no tensor '{name}'.", name);
    }

    /// <summary>
    /// The values of a floating-point tensor as <see cref="float"/>, row-major. F32 is copied; F16 and BF16 widen
    /// exactly; F64 rounds to nearest, as PyTorch's <c>.float()</c> does.
    /// </summary>
    /// <exception cref="SafeTensorsFormatException">The tensor is missing or is not F32, F16, BF16 or F64.</exception>
    public float[] GetSingle(string name)
    {
        SafeTensorInfo info = GetInfo(name);
        var values = new float[info.ElementCount];
        CopySingle(info, values);
        return values;
    }

    /// <summary>The values of an integer tensor (I64, or I32 widened) as <see cref="long"/>, row-major.</summary>
    /// <exception cref="SafeTensorsFormatException">The tensor is missing or is not I64 or I32.</exception>
    public long[] GetInt64(string name)
    {
        SafeTensorInfo info = GetInfo(name);
        ReadOnlySpan<byte> data = DataOf(info);
        var values = new long[info.ElementCount];
        switch (info.DType)
        {
            case SafeTensorDType.I64:
                for (int i = 0; i < values.Length; i++)
                    values[i] = BinaryPrimitives.ReadInt64LittleEndian(data.Slice(8 * i));
                break;
            case SafeTensorDType.I32:
                for (int i = 0; i < values.Length; i++)
                    values[i] = BinaryPrimitives.ReadInt32LittleEndian(data.Slice(4 * i));
                break;
            default:
                throw WrongKind(info, "an integer tensor (I64 or I32)");
        }
        return values;
    }

    /// <summary>Converts a floating-point tensor into <paramref name="destination"/>, which holds exactly its elements.</summary>
    internal void CopySingle(SafeTensorInfo info, Span<float> destination)
    {
        ReadOnlySpan<byte> data = DataOf(info);
        switch (info.DType)
        {
            case SafeTensorDType.F32:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = BinaryPrimitives.ReadSingleLittleEndian(data.Slice(4 * i));
                break;
            case SafeTensorDType.F16:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(data.Slice(2 * i));
                break;
            case SafeTensorDType.BF16:
                // bfloat16 is the top half of a float32, so widening is a shift and exact.
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(data.Slice(2 * i)) << 16);
                break;
            case SafeTensorDType.F64:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(data.Slice(8 * i));
                break;
            default:
                throw WrongKind(info, "a floating-point tensor (F32, F16, BF16 or F64)");
        }
    }

    /// <summary>How messages name this file: its path, or "safetensors data" when it was parsed from memory.</summary>
    internal string Description => Describe(_source);

    private ReadOnlySpan<byte> DataOf(SafeTensorInfo info) =>
        _bytes.AsSpan(_dataStart + (int)info.DataBegin, (int)(info.DataEnd - info.DataBegin));

    private SafeTensorsFormatException WrongKind(SafeTensorInfo info, string expected) =>
        new($"Tensor '{info.Name}' in {Describe(_source)} has dtype {info.DType}; expected {expected}.", info.Name);

    private static string Describe(string? source) => source is null ? "the safetensors data" : $"safetensors file '{source}'";

    private static SafeTensorsFormatException Invalid(string? source, string? tensor, string problem, Exception? inner = null)
    {
        string subject = source is null ? "Invalid safetensors data" : $"Invalid safetensors file '{source}'";
        return new SafeTensorsFormatException($"{subject}: {problem}", tensor, inner);
    }

    private static SafeTensorsFile Parse(byte[] bytes, string? source)
    {
        if (bytes.Length < 8)
            throw Invalid(source, null, $"it is {bytes.Length} bytes long, shorter than the 8-byte header length that starts every safetensors file (truncated).");
        ulong declared = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (declared > MaxHeaderLength)
            throw Invalid(source, null, $"the header length {declared} exceeds the limit of {MaxHeaderLength} bytes (100 MB).");
        int headerLength = (int)declared;
        if (headerLength > bytes.Length - 8)
            throw Invalid(source, null, $"the header length {headerLength} is larger than the {bytes.Length - 8} bytes that follow it (truncated file or corrupt header length).");
        ReadOnlySpan<byte> header = bytes.AsSpan(8, headerLength);
        if (!Utf8.IsValid(header))
            throw Invalid(source, null, "the header is not valid UTF-8.");
        if (headerLength == 0 || header[0] != (byte)'{')
            throw Invalid(source, null, "bad header JSON: the header must be a JSON object starting with '{'.");

        int dataStart = 8 + headerLength;
        long dataLength = bytes.Length - dataStart;
        var tensors = new List<SafeTensorInfo>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            ParseHeader(header, dataLength, source, tensors, metadata);
        }
        catch (JsonException e)
        {
            throw Invalid(source, null, $"bad header JSON: {e.Message}", e);
        }

        SafeTensorInfo[] ordered = tensors.ToArray();
        CheckTiling(ordered, dataLength, source);
        return new SafeTensorsFile(bytes, dataStart, ordered, metadata, source);
    }

    private static void ParseHeader(ReadOnlySpan<byte> header, long dataLength, string? source, List<SafeTensorInfo> tensors, Dictionary<string, string> metadata)
    {
        var reader = new Utf8JsonReader(header, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        reader.Read();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string key = ReadString(ref reader, source, null);
            if (!seen.Add(key))
                throw Invalid(source, key, key == MetadataKey ? "'__metadata__' appears twice in the header." : $"tensor '{key}' appears twice in the header.");
            reader.Read();
            if (key == MetadataKey)
                ReadMetadata(ref reader, source, metadata);
            else
                tensors.Add(ReadTensor(ref reader, key, dataLength, source));
        }
        // Only whitespace may follow the root object; the reader itself throws on most other content.
        if (reader.Read())
            throw Invalid(source, null, "bad header JSON: content follows the header object.");
    }

    private static void ReadMetadata(ref Utf8JsonReader reader, string? source, Dictionary<string, string> metadata)
    {
        if (reader.TokenType == JsonTokenType.Null)
            return;
        if (reader.TokenType != JsonTokenType.StartObject)
            throw Invalid(source, null, $"'__metadata__' must be an object of strings; found {reader.TokenType}.");
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string key = ReadString(ref reader, source, null);
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
                throw Invalid(source, null, $"'__metadata__' entry '{key}' must be a string; found {reader.TokenType}.");
            if (!metadata.TryAdd(key, ReadString(ref reader, source, null)))
                throw Invalid(source, null, $"'__metadata__' entry '{key}' appears twice.");
        }
    }

    private static SafeTensorInfo ReadTensor(ref Utf8JsonReader reader, string name, long dataLength, string? source)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw Invalid(source, name, $"tensor '{name}' must be an object with dtype, shape and data_offsets; found {reader.TokenType}.");
        string? dtype = null;
        int[]? shape = null;
        long begin = 0, end = 0;
        bool hasOffsets = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string field = ReadString(ref reader, source, name);
            reader.Read();
            switch (field)
            {
                case "dtype" when dtype is null:
                    if (reader.TokenType != JsonTokenType.String)
                        throw Invalid(source, name, $"tensor '{name}' has a dtype that is not a string ({reader.TokenType}).");
                    dtype = ReadString(ref reader, source, name);
                    break;
                case "shape" when shape is null:
                    shape = ReadShape(ref reader, name, source);
                    break;
                case "data_offsets" when !hasOffsets:
                    ReadOffsets(ref reader, name, source, out begin, out end);
                    hasOffsets = true;
                    break;
                case "dtype" or "shape" or "data_offsets":
                    throw Invalid(source, name, $"tensor '{name}' has '{field}' twice.");
                default:
                    throw Invalid(source, name, $"tensor '{name}' has an unknown field '{field}'; expected dtype, shape and data_offsets.");
            }
        }
        if (dtype is null || shape is null || !hasOffsets)
        {
            string missing = dtype is null ? "dtype" : shape is null ? "shape" : "data_offsets";
            throw Invalid(source, name, $"tensor '{name}' has no '{missing}'.");
        }
        return CreateInfo(name, dtype, shape, begin, end, dataLength, source);
    }

    private static int[] ReadShape(ref Utf8JsonReader reader, string name, string? source)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            throw Invalid(source, name, $"tensor '{name}' has a shape that is not an array ({reader.TokenType}).");
        var shape = new List<int>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long dim) || dim < 0 || dim > int.MaxValue)
                throw Invalid(source, name, $"tensor '{name}' has shape dimension {TokenText(ref reader)}; dimensions must be integers from 0 to {int.MaxValue}.");
            shape.Add((int)dim);
        }
        return shape.ToArray();
    }

    private static void ReadOffsets(ref Utf8JsonReader reader, string name, string? source, out long begin, out long end)
    {
        if (reader.TokenType == JsonTokenType.StartArray
            && ReadOffset(ref reader, out begin)
            && ReadOffset(ref reader, out end)
            && reader.Read() && reader.TokenType == JsonTokenType.EndArray)
        {
            return;
        }
        throw Invalid(source, name, $"tensor '{name}' has data_offsets that are not two non-negative integers [begin, end] (at {TokenText(ref reader)}).");
    }

    private static bool ReadOffset(ref Utf8JsonReader reader, out long offset)
    {
        offset = 0;
        return reader.Read() && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out offset) && offset >= 0;
    }

    private static string TokenText(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.Number => System.Text.Encoding.UTF8.GetString(reader.ValueSpan),
        JsonTokenType.String => "\"" + System.Text.Encoding.UTF8.GetString(reader.ValueSpan) + "\"",
        _ => reader.TokenType.ToString(),
    };

    private static string ReadString(ref Utf8JsonReader reader, string? source, string? tensor)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException e)
        {
            // An escaped lone surrogate (\ud800) is valid JSON text but not a valid string.
            throw Invalid(source, tensor, "bad header JSON: a string holds an invalid escape or unpaired surrogate.", e);
        }
    }

    private static SafeTensorInfo CreateInfo(string name, string dtype, int[] shape, long begin, long end, long dataLength, string? source)
    {
        int size = SafeTensorDType.SizeOf(dtype);
        if (size == 0)
            throw Invalid(source, name, $"tensor '{name}' has dtype '{dtype}', which is not supported (supported: {SafeTensorDType.SupportedList}).");
        string shapeText = SafeTensorInfo.FormatShape(shape);
        long count = 1;
        foreach (int dim in shape)
        {
            if (dim != 0 && count > long.MaxValue / dim)
                throw Invalid(source, name, $"tensor '{name}' has shape {shapeText}, whose element count overflows.");
            count *= dim;
        }
        if (count > long.MaxValue / size)
            throw Invalid(source, name, $"tensor '{name}' has shape {shapeText}, whose byte size overflows.");
        if (end < begin)
            throw Invalid(source, name, $"tensor '{name}' has data_offsets [{begin}, {end}] that end before they begin.");
        if (end - begin != count * size)
            throw Invalid(source, name, $"tensor '{name}' has data_offsets [{begin}, {end}] holding {end - begin} bytes, but {dtype} {shapeText} needs {count * size} bytes.");
        if (end > dataLength)
            throw Invalid(source, name, $"tensor '{name}' has data_offsets [{begin}, {end}] past the end of the {dataLength}-byte data buffer (truncated data or out-of-range offsets).");
        return new SafeTensorInfo(name, dtype, shape, (int)count, begin, end);
    }

    /// <summary>Requires the tensors to cover the data buffer exactly, as the reference implementation does.</summary>
    private static void CheckTiling(SafeTensorInfo[] tensors, long dataLength, string? source)
    {
        Array.Sort(tensors, static (a, b) =>
        {
            int order = a.DataBegin.CompareTo(b.DataBegin);
            if (order == 0)
                order = a.DataEnd.CompareTo(b.DataEnd);
            return order != 0 ? order : string.CompareOrdinal(a.Name, b.Name);
        });
        long covered = 0;
        for (int i = 0; i < tensors.Length; i++)
        {
            SafeTensorInfo tensor = tensors[i];
            if (tensor.DataBegin < covered)
                throw Invalid(source, tensor.Name, $"tensor '{tensor.Name}' (data_offsets [{tensor.DataBegin}, {tensor.DataEnd}]) overlaps tensor '{tensors[i - 1].Name}', which ends at {covered}.");
            if (tensor.DataBegin > covered)
                throw Invalid(source, tensor.Name, $"{tensor.DataBegin - covered} bytes before tensor '{tensor.Name}' (data_offsets [{tensor.DataBegin}, {tensor.DataEnd}]) belong to no tensor; the data buffer must have no holes.");
            covered = tensor.DataEnd;
        }
        if (covered != dataLength)
            throw Invalid(source, null, $"{dataLength - covered} trailing bytes follow the last tensor; the data buffer must end where the last tensor ends.");
    }
}
