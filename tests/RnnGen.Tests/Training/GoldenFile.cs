using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.Json;

namespace RnnGen.Tests.Training;

/// <summary>
/// Reads the committed safetensors fixtures under Golden/optim. Deliberately independent of the runtime's weight-file
/// code, so the optimiser tests do not trust the code another suite tests.
/// </summary>
internal sealed class GoldenFile
{
    private readonly Dictionary<string, (string DType, int[] Shape, byte[] Data)> _tensors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _metadata = new(StringComparer.Ordinal);

    private GoldenFile(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        int headerLength = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        int dataStart = 8 + headerLength;
        using JsonDocument header = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, headerLength));
        foreach (JsonProperty entry in header.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__")
            {
                foreach (JsonProperty item in entry.Value.EnumerateObject())
                    _metadata[item.Name] = item.Value.GetString()!;
                continue;
            }
            var shape = new List<int>();
            foreach (JsonElement dim in entry.Value.GetProperty("shape").EnumerateArray())
                shape.Add(dim.GetInt32());
            JsonElement offsets = entry.Value.GetProperty("data_offsets");
            int begin = offsets[0].GetInt32(), end = offsets[1].GetInt32();
            _tensors[entry.Name] = (entry.Value.GetProperty("dtype").GetString()!, shape.ToArray(),
                bytes.AsSpan(dataStart + begin, end - begin).ToArray());
        }
    }

    public static GoldenFile Open(string name) =>
        new(Path.Combine(AppContext.BaseDirectory, "Golden", "optim", name + ".safetensors"));

    public int[] Shape(string name) => _tensors[name].Shape;

    public float[] Floats(string name)
    {
        (string dtype, _, byte[] data) = _tensors[name];
        Assert.Equal("F32", dtype);
        var values = new float[data.Length / 4];
        for (int i = 0; i < values.Length; i++)
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan(4 * i));
        return values;
    }

    public double[] Doubles(string name)
    {
        (string dtype, _, byte[] data) = _tensors[name];
        Assert.Equal("F64", dtype);
        var values = new double[data.Length / 8];
        for (int i = 0; i < values.Length; i++)
            values[i] = BinaryPrimitives.ReadDoubleLittleEndian(data.AsSpan(8 * i));
        return values;
    }

    public bool HasMetadata(string key) => _metadata.ContainsKey(key);

    /// <summary>A hyper-parameter written as Python's repr of a double; the fixtures use float32-exact values.</summary>
    public float Float(string key) => (float)double.Parse(_metadata[key], System.Globalization.CultureInfo.InvariantCulture);

    public double Double(string key) => double.Parse(_metadata[key], System.Globalization.CultureInfo.InvariantCulture);

    public int Int(string key) => int.Parse(_metadata[key], System.Globalization.CultureInfo.InvariantCulture);

    public bool Bool(string key) => _metadata.TryGetValue(key, out string? text) && text == "True";

    public string Text(string key) => _metadata[key];
}
