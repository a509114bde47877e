using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.Json;

namespace RnnGen.Tests.Golden;

/// <summary>
/// Sanity checks for the committed PyTorch golden files (made by make_cell_golden.py, described in
/// docs/golden.md): each parses as safetensors and holds exactly the tensors its metadata implies.
/// The header is parsed here by hand so that these checks do not depend on the runtime's reader.
/// </summary>
public sealed class GoldenFixtureTests
{
    private static readonly string[] CaseNames =
    [
        "rnn_tanh_l1", "rnn_relu_l1", "rnn_tanh_l2", "rnn_relu_l2",
        "lstm_l1", "lstm_l1_random", "lstm_l2", "lstm_l1_nobias",
        "gru_l1", "gru_l2", "gru_l1_random",
        "lstm_last", "gru_last", "rnn_tanh_last", "lstm_embedding",
    ];

    private static readonly string[] MetadataKeys =
    [
        "batch", "bias", "cell", "hidden", "input", "input_kind", "loss", "output", "seq_len", "state", "steps", "vocab",
    ];

    private static readonly string GoldenDirectory = Path.Combine(AppContext.BaseDirectory, "Golden");

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (string name in CaseNames)
        {
            data.Add(name);
        }

        return data;
    }

    [Fact]
    public void CellsDirectory_Listed_HoldsExactlyTheDocumentedCases()
    {
        var found = new List<string>();
        foreach (string path in Directory.GetFiles(Path.Combine(GoldenDirectory, "cells"), "*.safetensors"))
        {
            found.Add(Path.GetFileNameWithoutExtension(path));
        }

        found.Sort(StringComparer.Ordinal);
        var expected = new List<string>(CaseNames);
        expected.Sort(StringComparer.Ordinal);
        Assert.Equal(expected, found);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void CellFixture_Parsed_HasCompleteMetadata(string name)
    {
        GoldenFile file = GoldenFile.Read(CellPath(name));

        var keys = new List<string>(file.Metadata.Keys);
        keys.Sort(StringComparer.Ordinal);
        Assert.Equal(MetadataKeys, keys);
        Assert.Contains(file.Metadata["cell"], new[] { "rnn_tanh", "rnn_relu", "lstm", "gru" });
        Assert.Contains(file.Metadata["input_kind"], new[] { "vector", "embedding" });
        Assert.Contains(file.Metadata["steps"], new[] { "all", "last" });
        Assert.Contains(file.Metadata["loss"], new[] { "ce", "mse" });
        Assert.Contains(file.Metadata["bias"], new[] { "true", "false" });
        Assert.Contains(file.Metadata["state"], new[] { "zero", "random" });
        Assert.Equal(file.Metadata["input_kind"] == "embedding", int.Parse(file.Metadata["vocab"]) > 0);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void CellFixture_TensorShapes_MatchMetadata(string name)
    {
        GoldenFile file = GoldenFile.Read(CellPath(name));

        AssertSameTensors(ExpectedCellTensors(file.Metadata), file);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void CellFixture_IntegerTensors_AreValidIndices(string name)
    {
        GoldenFile file = GoldenFile.Read(CellPath(name));
        int vocabulary = int.Parse(file.Metadata["vocab"]);
        int output = int.Parse(file.Metadata["output"]);

        if (vocabulary > 0)
        {
            AssertAllInRange(file.ReadInt64("tokens"), vocabulary);
        }

        if (file.Metadata["loss"] == "ce")
        {
            AssertAllInRange(file.ReadInt64("targets"), output);
        }
    }

    [Fact]
    public void TorchInteropWeights_Parsed_AreExactlyTheLstmStateDict()
    {
        GoldenFile weights = GoldenFile.Read(Path.Combine(GoldenDirectory, "torch_interop", "lstm_torch_written.safetensors"));

        var expected = new Dictionary<string, (string Dtype, int[] Shape)>(StringComparer.Ordinal);
        for (int k = 0; k < 2; k++)
        {
            int input = k == 0 ? 4 : 7;
            expected[$"weight_ih_l{k}"] = ("F32", [28, input]);
            expected[$"weight_hh_l{k}"] = ("F32", [28, 7]);
            expected[$"bias_ih_l{k}"] = ("F32", [28]);
            expected[$"bias_hh_l{k}"] = ("F32", [28]);
        }

        expected["head.weight"] = ("F32", [3, 7]);
        expected["head.bias"] = ("F32", [3]);
        Assert.Empty(weights.Metadata);
        AssertSameTensors(expected, weights);
    }

    [Fact]
    public void TorchInteropExpected_Parsed_HoldsInputOutputAndFinalState()
    {
        GoldenFile file = GoldenFile.Read(Path.Combine(GoldenDirectory, "torch_interop", "lstm_torch_written.expected.safetensors"));

        var expected = new Dictionary<string, (string Dtype, int[] Shape)>(StringComparer.Ordinal)
        {
            ["x"] = ("F32", [5, 2, 4]),
            ["output"] = ("F32", [5, 2, 3]),
            ["h_n.l0"] = ("F32", [2, 7]),
            ["h_n.l1"] = ("F32", [2, 7]),
            ["c_n.l0"] = ("F32", [2, 7]),
            ["c_n.l1"] = ("F32", [2, 7]),
        };
        AssertSameTensors(expected, file);
        Assert.Equal("lstm", file.Metadata["cell"]);
        Assert.Equal("7,7", file.Metadata["hidden"]);
    }

    private static string CellPath(string name) => Path.Combine(GoldenDirectory, "cells", name + ".safetensors");

    /// <summary>The tensor names, dtypes and shapes that make_cell_golden.py writes for a case's metadata.</summary>
    private static Dictionary<string, (string Dtype, int[] Shape)> ExpectedCellTensors(IReadOnlyDictionary<string, string> metadata)
    {
        string cell = metadata["cell"];
        int gates = cell switch { "lstm" => 4, "gru" => 3, _ => 1 };
        int[] hidden = Array.ConvertAll(metadata["hidden"].Split(','), int.Parse);
        int input = int.Parse(metadata["input"]);
        int vocabulary = int.Parse(metadata["vocab"]);
        int output = int.Parse(metadata["output"]);
        int steps = int.Parse(metadata["seq_len"]);
        int batch = int.Parse(metadata["batch"]);
        bool lstm = cell == "lstm";
        bool bias = metadata["bias"] == "true";
        bool randomState = metadata["state"] == "random";

        var parameters = new Dictionary<string, int[]>(StringComparer.Ordinal);
        int previous = input;
        for (int k = 0; k < hidden.Length; k++)
        {
            int rows = gates * hidden[k];
            parameters[$"weight_ih_l{k}"] = [rows, previous];
            parameters[$"weight_hh_l{k}"] = [rows, hidden[k]];
            if (bias)
            {
                parameters[$"bias_ih_l{k}"] = [rows];
                parameters[$"bias_hh_l{k}"] = [rows];
            }

            previous = hidden[k];
        }

        parameters["head.weight"] = [output, previous];
        parameters["head.bias"] = [output];
        if (vocabulary > 0)
        {
            parameters["embedding.weight"] = [vocabulary, input];
        }

        var expected = new Dictionary<string, (string Dtype, int[] Shape)>(StringComparer.Ordinal);
        foreach (KeyValuePair<string, int[]> parameter in parameters)
        {
            expected["param." + parameter.Key] = ("F32", parameter.Value);
            expected["grad." + parameter.Key] = ("F32", parameter.Value);
        }

        if (vocabulary > 0)
        {
            expected["tokens"] = ("I64", [steps, batch]);
        }
        else
        {
            expected["x"] = ("F32", [steps, batch, input]);
            expected["grad.x"] = ("F32", [steps, batch, input]);
        }

        int[] outputShape = metadata["steps"] == "all" ? [steps, batch, output] : [batch, output];
        expected["output"] = ("F32", outputShape);
        expected["targets"] = metadata["loss"] == "ce" ? ("I64", outputShape[..^1]) : ("F32", outputShape);
        expected["loss"] = ("F32", [1]);

        for (int k = 0; k < hidden.Length; k++)
        {
            int[] state = [batch, hidden[k]];
            string[] prefixes = lstm ? ["h", "c"] : ["h"];
            foreach (string prefix in prefixes)
            {
                expected[$"{prefix}_n.l{k}"] = ("F32", state);
                if (randomState)
                {
                    expected[$"{prefix}0.l{k}"] = ("F32", state);
                    expected[$"grad.{prefix}0.l{k}"] = ("F32", state);
                }
            }
        }

        return expected;
    }

    private static void AssertSameTensors(Dictionary<string, (string Dtype, int[] Shape)> expected, GoldenFile file)
    {
        var expectedNames = new List<string>(expected.Keys);
        expectedNames.Sort(StringComparer.Ordinal);
        var actualNames = new List<string>(file.Tensors.Keys);
        actualNames.Sort(StringComparer.Ordinal);
        Assert.Equal(expectedNames, actualNames);

        foreach (KeyValuePair<string, (string Dtype, int[] Shape)> entry in expected)
        {
            GoldenTensor tensor = file.Tensors[entry.Key];
            Assert.True(entry.Value.Dtype == tensor.Dtype, $"{entry.Key}: dtype {tensor.Dtype}, expected {entry.Value.Dtype}");
            Assert.True(
                entry.Value.Shape.AsSpan().SequenceEqual(tensor.Shape),
                $"{entry.Key}: shape [{string.Join(",", tensor.Shape)}], expected [{string.Join(",", entry.Value.Shape)}]");
        }
    }

    private static void AssertAllInRange(long[] values, int exclusiveMaximum)
    {
        foreach (long value in values)
        {
            Assert.InRange(value, 0, exclusiveMaximum - 1);
        }
    }

    private sealed record GoldenTensor(string Dtype, int[] Shape, long Begin, long End);

    /// <summary>A safetensors file parsed and validated by hand: layout, dtypes, offsets and finite floats.</summary>
    private sealed class GoldenFile
    {
        private readonly byte[] _bytes;
        private readonly int _dataStart;

        private GoldenFile(byte[] bytes, int dataStart, Dictionary<string, GoldenTensor> tensors, Dictionary<string, string> metadata)
        {
            _bytes = bytes;
            _dataStart = dataStart;
            Tensors = tensors;
            Metadata = metadata;
        }

        public Dictionary<string, GoldenTensor> Tensors { get; }

        public Dictionary<string, string> Metadata { get; }

        public static GoldenFile Read(string path)
        {
            byte[] bytes = File.ReadAllBytes(path);
            Assert.True(bytes.Length >= 8, $"{path}: shorter than the 8-byte header length");
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            Assert.True(headerLength % 8 == 0, $"{path}: header length {headerLength} is not padded to 8 bytes");
            Assert.True(headerLength <= (ulong)(bytes.Length - 8), $"{path}: header length {headerLength} exceeds the file");
            int dataStart = 8 + (int)headerLength;

            var tensors = new Dictionary<string, GoldenTensor>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            string json = Encoding.UTF8.GetString(bytes, 8, (int)headerLength);
            using (JsonDocument document = JsonDocument.Parse(json))
            {
                Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
                foreach (JsonProperty property in document.RootElement.EnumerateObject())
                {
                    if (property.Name == "__metadata__")
                    {
                        foreach (JsonProperty item in property.Value.EnumerateObject())
                        {
                            Assert.Equal(JsonValueKind.String, item.Value.ValueKind);
                            metadata.Add(item.Name, item.Value.GetString()!);
                        }
                    }
                    else
                    {
                        tensors.Add(property.Name, ParseTensor(property.Name, property.Value));
                    }
                }
            }

            var file = new GoldenFile(bytes, dataStart, tensors, metadata);
            file.AssertDataLayout(path);
            return file;
        }

        public long[] ReadInt64(string name)
        {
            GoldenTensor tensor = Tensors[name];
            Assert.Equal("I64", tensor.Dtype);
            var values = new long[(tensor.End - tensor.Begin) / sizeof(long)];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = BinaryPrimitives.ReadInt64LittleEndian(_bytes.AsSpan(_dataStart + (int)tensor.Begin + (i * sizeof(long))));
            }

            return values;
        }

        private static GoldenTensor ParseTensor(string name, JsonElement element)
        {
            string dtype = element.GetProperty("dtype").GetString()!;
            Assert.True(dtype is "F32" or "I64", $"{name}: dtype {dtype}, expected F32 or I64");
            var shape = new List<int>();
            long count = 1;
            foreach (JsonElement dimension in element.GetProperty("shape").EnumerateArray())
            {
                int size = dimension.GetInt32();
                Assert.True(size > 0, $"{name}: dimension {size}, expected a positive size");
                shape.Add(size);
                count = checked(count * size);
            }

            JsonElement offsets = element.GetProperty("data_offsets");
            Assert.Equal(2, offsets.GetArrayLength());
            long begin = offsets[0].GetInt64();
            long end = offsets[1].GetInt64();
            Assert.True(end - begin == count * (dtype == "F32" ? 4 : 8), $"{name}: {end - begin} bytes for {count} {dtype} values");
            return new GoldenTensor(dtype, shape.ToArray(), begin, end);
        }

        /// <summary>Tensors sorted by name must tile the data section from 0 to its end without gaps.</summary>
        private void AssertDataLayout(string path)
        {
            var names = new List<string>(Tensors.Keys);
            names.Sort(StringComparer.Ordinal);
            long next = 0;
            foreach (string name in names)
            {
                GoldenTensor tensor = Tensors[name];
                Assert.True(tensor.Begin == next, $"{path}: {name} starts at {tensor.Begin}, expected {next}");
                if (tensor.Dtype == "F32")
                {
                    for (long at = tensor.Begin; at < tensor.End; at += sizeof(float))
                    {
                        float value = BinaryPrimitives.ReadSingleLittleEndian(_bytes.AsSpan(_dataStart + (int)at));
                        Assert.True(float.IsFinite(value), $"{path}: {name} holds {value}");
                    }
                }

                next = tensor.End;
            }

            Assert.True(_dataStart + next == _bytes.Length, $"{path}: data ends at {next}, file has {_bytes.Length - _dataStart} data bytes");
        }
    }
}
