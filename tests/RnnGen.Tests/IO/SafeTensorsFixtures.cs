using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text;
using RnnGen;

namespace RnnGen.Tests.IO;

/// <summary>Small models, raw file builders and temporary folders shared by the safetensors tests.</summary>
internal static class SafeTensorsFixtures
{
    /// <summary>A 56-value block shaped like a one-layer RNN with hidden size 2 plus a linear head.</summary>
    public static RnnParameters SmallModel(ulong seed = 7)
    {
        var parameters = new RnnParameters(new[]
        {
            new ParameterTensor("weight_ih_l0", [8, 3], 0, ParameterRole.InputWeight, 0.5f),
            new ParameterTensor("weight_hh_l0", [8, 2], 24, ParameterRole.RecurrentWeight, 0.5f),
            new ParameterTensor("bias_ih_l0", [8], 40, ParameterRole.RecurrentBias, 0.5f),
            new ParameterTensor("head.weight", [4, 2], 48, ParameterRole.LinearWeight, 0.7f),
        });
        parameters.InitializeDefault(seed);
        return parameters;
    }

    /// <summary>FNV-1a over the bit patterns, so NaN payloads and signed zeros count.</summary>
    public static ulong Checksum(ReadOnlySpan<float> values)
    {
        ulong hash = 14695981039346656037UL;
        foreach (float value in values)
            hash = (hash ^ (uint)BitConverter.SingleToInt32Bits(value)) * 1099511628211UL;
        return hash;
    }

    /// <summary>A file whose header is exactly <paramref name="headerJson"/> (no padding) followed by <paramref name="data"/>.</summary>
    public static byte[] RawFile(string headerJson, ReadOnlySpan<byte> data, ulong? declaredHeaderLength = null)
    {
        byte[] header = Encoding.UTF8.GetBytes(headerJson);
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredHeaderLength ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes.AsSpan(8 + header.Length));
        return bytes;
    }

    /// <summary>A raw file with a pattern-filled data buffer of <paramref name="dataLength"/> bytes.</summary>
    public static byte[] RawFile(string headerJson, int dataLength)
    {
        var data = new byte[dataLength];
        for (int i = 0; i < data.Length; i++)
            data[i] = (byte)(i * 37 + 11);
        return RawFile(headerJson, data);
    }

    /// <summary>A file holding one tensor with the given dtype, shape and little-endian bytes.</summary>
    public static byte[] SingleTensorFile(string name, string dtype, string shapeJson, byte[] data) =>
        RawFile($"{{\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shapeJson},\"data_offsets\":[0,{data.Length}]}}}}", data);

    /// <summary>The little-endian bytes of the values, as a tensor's data.</summary>
    public static byte[] Bytes(ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        return bytes;
    }

    /// <summary>A folder under the system temp path, deleted on dispose.</summary>
    public sealed class TempDirectory : IDisposable
    {
        public TempDirectory()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "rnngen-safetensors-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }

        public string File(string name) => System.IO.Path.Combine(Path, name);

        /// <summary>Every entry in the folder, by name, sorted.</summary>
        public List<string> Entries()
        {
            var names = new List<string>();
            foreach (string entry in Directory.EnumerateFileSystemEntries(Path))
                names.Add(System.IO.Path.GetFileName(entry));
            names.Sort(StringComparer.Ordinal);
            return names;
        }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
