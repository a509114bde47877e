using System.Collections.Generic;
using System.IO;

namespace RnnGen.Tests.Golden;

/// <summary>
/// Sanity checks for the committed topology golden files (made by make_topology_golden.py, described in
/// docs/golden.md): each holds exactly the tensors its metadata implies, and the parts that need no recurrent
/// computation agree with the documented conventions (padded outputs are zero, the loss ignores padded positions,
/// a "last" head reads the merged final state).
/// </summary>
public sealed class TopologyFixtureTests
{
    private static readonly string[] CaseNames =
    [
        "lstm_proj_l1", "lstm_proj_l2", "gru_reset_before_l1", "gru_reset_before_l2",
        "bi_lstm_concat_l1", "bi_gru_concat_l2", "bi_rnn_sum_l1", "bi_lstm_average_l2", "bi_gru_multiply_l1",
        "bi_lstm_concat_last", "varlen_lstm_l2", "varlen_gru_mse", "varlen_bi_lstm_concat", "varlen_bi_gru_last",
        "varlen_rnn_relu_last", "onehot_lstm", "onehot_gru_last",
    ];

    private static readonly string[] MetadataKeys =
    [
        "batch", "bias", "bidirectional", "cell", "hidden", "input", "input_kind", "lengths", "loss", "merge", "output",
        "proj", "reset_after", "seq_len", "state", "steps", "vocab",
    ];

    private const long IgnoredTarget = -100;

    private static readonly string TopologyDirectory = Path.Combine(AppContext.BaseDirectory, "Golden", "topologies");

    public static TheoryData<string> Cases() => new(CaseNames);

    /// <summary>Variable-length cases with the head on every step, whose outputs have padded rows.</summary>
    public static TheoryData<string> PaddedCases() => CasesWhere(f => f.VariableLength && f.AllSteps);

    /// <summary>
    /// Cases whose output rows can be recomputed from the top layer's final state: every "last" case, and the last
    /// valid step of a unidirectional "all" case. (In a bidirectional "all" case the reverse half of the last step
    /// is the reverse direction's first step, not its final state.)
    /// </summary>
    public static TheoryData<string> FinalStateCases() => CasesWhere(f => !f.AllSteps || !f.Bidirectional);

    private static TheoryData<string> CasesWhere(Predicate<Fixture> include)
    {
        var data = new TheoryData<string>();
        foreach (string name in CaseNames)
        {
            if (include(Fixture.Read(name)))
            {
                data.Add(name);
            }
        }

        return data;
    }

    [Fact]
    public void TopologiesDirectory_Listed_HoldsExactlyTheDocumentedCases()
    {
        var found = new List<string>();
        foreach (string path in Directory.GetFiles(TopologyDirectory, "*.safetensors"))
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
    public void TopologyFixture_Parsed_HasCompleteConsistentMetadata(string name)
    {
        Fixture f = Fixture.Read(name);
        IReadOnlyDictionary<string, string> m = f.File.Metadata;

        var keys = new List<string>(m.Keys);
        keys.Sort(StringComparer.Ordinal);
        Assert.Equal(MetadataKeys, keys);
        Assert.Contains(f.Cell, new[] { "rnn_tanh", "rnn_relu", "lstm", "gru" });
        Assert.Contains(m["input_kind"], new[] { "vector", "onehot" });
        Assert.Contains(m["steps"], new[] { "all", "last" });
        Assert.Contains(m["loss"], new[] { "ce", "mse" });
        Assert.Equal("true", m["bias"]);
        Assert.Contains(m["state"], new[] { "zero", "random" });
        Assert.Contains(m["lengths"], new[] { "fixed", "variable" });
        Assert.Contains(m["reset_after"], new[] { "true", "false" });
        Assert.Contains(f.Merge, f.Bidirectional ? new[] { "concat", "sum", "average", "multiply" } : new[] { "none" });
        Assert.True(f.Projection == 0 || f.Cell == "lstm", "only an LSTM has a projection");
        Assert.True(m["reset_after"] == "true" || f.Cell == "gru", "only a GRU has reset_after=false");
        Assert.Equal(f.OneHot, f.Vocabulary > 0);
        if (f.OneHot)
        {
            Assert.Equal(f.Vocabulary, f.Input);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TopologyFixture_TensorShapes_MatchMetadata(string name)
    {
        Fixture f = Fixture.Read(name);

        Dictionary<string, (string Dtype, int[] Shape)> expected = ExpectedTensors(f);

        var expectedNames = new List<string>(expected.Keys);
        expectedNames.Sort(StringComparer.Ordinal);
        var actualNames = new List<string>();
        foreach (SafeTensorInfo info in f.File.Tensors)
        {
            actualNames.Add(info.Name);
        }

        actualNames.Sort(StringComparer.Ordinal);
        Assert.Equal(expectedNames, actualNames);
        foreach (KeyValuePair<string, (string Dtype, int[] Shape)> entry in expected)
        {
            SafeTensorInfo info = f.File.GetInfo(entry.Key);
            Assert.True(entry.Value.Dtype == info.DType, $"{entry.Key}: dtype {info.DType}, expected {entry.Value.Dtype}");
            Assert.True(entry.Value.Shape.AsSpan().SequenceEqual(info.Shape), $"{entry.Key}: shape {info.ShapeText}, expected [{string.Join(", ", entry.Value.Shape)}]");
            if (entry.Value.Dtype == "F32")
            {
                Assert.All(f.File.GetSingle(entry.Key), value => Assert.True(float.IsFinite(value), $"{entry.Key} holds {value}"));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TopologyFixture_IntegerTensors_AreValidAndIgnoreExactlyThePaddedSteps(string name)
    {
        Fixture f = Fixture.Read(name);

        if (f.OneHot)
        {
            Assert.All(f.File.GetInt64("tokens"), token => Assert.InRange(token, 0, f.Vocabulary - 1));
        }

        if (f.VariableLength)
        {
            Assert.All(f.Lengths, length => Assert.InRange(length, 1, f.Steps));
            Assert.Contains(f.Lengths, length => length < f.Steps);
        }

        if (f.Loss == "ce")
        {
            long[] targets = f.File.GetInt64("targets");
            for (int i = 0; i < targets.Length; i++)
            {
                bool valid = !f.AllSteps || f.IsValid(i / f.Batch, i % f.Batch);
                if (valid)
                {
                    Assert.InRange(targets[i], 0, f.Output - 1);
                }
                else
                {
                    Assert.Equal(IgnoredTarget, targets[i]);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(PaddedCases))]
    public void TopologyFixture_PaddedOutputRows_ArePositiveZero(string name)
    {
        Fixture f = Fixture.Read(name);

        float[] output = f.File.GetSingle("output");
        int padded = 0;
        for (int t = 0; t < f.Steps; t++)
        {
            for (int b = 0; b < f.Batch; b++)
            {
                for (int o = 0; o < f.Output; o++)
                {
                    float value = output[(t * f.Batch + b) * f.Output + o];
                    if (f.IsValid(t, b))
                    {
                        Assert.NotEqual(0f, value);
                    }
                    else
                    {
                        Assert.Equal(0, BitConverter.SingleToInt32Bits(value));
                        padded++;
                    }
                }
            }
        }

        Assert.True(padded > 0, "a variable-length case must have padded positions");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TopologyFixture_Loss_EqualsTheDocumentedReductionOverValidPositions(string name)
    {
        Fixture f = Fixture.Read(name);
        float[] output = f.File.GetSingle("output");
        int rows = output.Length / f.Output;

        double sum = 0;
        int counted = 0;
        if (f.Loss == "ce")
        {
            long[] targets = f.File.GetInt64("targets");
            for (int row = 0; row < rows; row++)
            {
                if (targets[row] == IgnoredTarget)
                {
                    continue;
                }

                ReadOnlySpan<float> logits = output.AsSpan(row * f.Output, f.Output);
                double max = double.NegativeInfinity;
                foreach (float logit in logits)
                {
                    max = Math.Max(max, logit);
                }

                double partition = 0;
                foreach (float logit in logits)
                {
                    partition += Math.Exp(logit - max);
                }

                sum += max + Math.Log(partition) - logits[(int)targets[row]];
                counted++;
            }
        }
        else
        {
            float[] targets = f.File.GetSingle("targets");
            for (int row = 0; row < rows; row++)
            {
                if (f.AllSteps && !f.IsValid(row / f.Batch, row % f.Batch))
                {
                    continue;
                }

                for (int o = 0; o < f.Output; o++)
                {
                    double error = output[row * f.Output + o] - targets[row * f.Output + o];
                    sum += error * error;
                }

                counted += f.Output;
            }
        }

        float loss = f.File.GetSingle("loss")[0];
        AssertClose(sum / counted, loss, "loss");
    }

    [Theory]
    [MemberData(nameof(FinalStateCases))]
    public void TopologyFixture_HeadOnFinalState_ReproducesOutput(string name)
    {
        Fixture f = Fixture.Read(name);
        float[] weight = f.File.GetSingle("param.head.weight");
        float[] bias = f.File.GetSingle("param.head.bias");
        float[] output = f.File.GetSingle("output");
        int top = f.Hidden.Length - 1;
        float[] forward = f.File.GetSingle($"h_n.l{top}");
        float[] reverse = f.Bidirectional ? f.File.GetSingle($"h_n.l{top}_reverse") : [];
        int width = forward.Length / f.Batch;
        int headInput = weight.Length / f.Output;
        var merged = new float[headInput];
        for (int b = 0; b < f.Batch; b++)
        {
            for (int j = 0; j < width; j++)
            {
                float h = forward[b * width + j];
                if (!f.Bidirectional)
                {
                    merged[j] = h;
                    continue;
                }

                float r = reverse[b * width + j];
                switch (f.Merge)
                {
                    case "concat": merged[j] = h; merged[width + j] = r; break;
                    case "sum": merged[j] = h + r; break;
                    case "average": merged[j] = (h + r) / 2; break;
                    default: merged[j] = h * r; break;
                }
            }

            // In "all" cases the last valid step of a unidirectional stack is its final state.
            int row = f.AllSteps ? (f.LengthOf(b) - 1) * f.Batch + b : b;
            for (int o = 0; o < f.Output; o++)
            {
                double expected = bias[o];
                for (int j = 0; j < headInput; j++)
                {
                    expected += (double)weight[o * headInput + j] * merged[j];
                }

                AssertClose(expected, output[row * f.Output + o], $"output row {row}, column {o}");
            }
        }
    }

    private static void AssertClose(double expected, float actual, string what)
    {
        double tolerance = 1e-6 + 1e-5 * Math.Abs(expected);
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"{what}: {actual}, expected {expected}");
    }

    /// <summary>The tensor names, dtypes and shapes that make_topology_golden.py writes for a case's metadata.</summary>
    private static Dictionary<string, (string Dtype, int[] Shape)> ExpectedTensors(Fixture f)
    {
        int gates = f.Cell switch { "lstm" => 4, "gru" => 3, _ => 1 };
        bool lstm = f.Cell == "lstm";
        string[] directions = f.Bidirectional ? ["", "_reverse"] : [""];

        var parameters = new Dictionary<string, int[]>(StringComparer.Ordinal);
        int previous = f.Input;
        for (int k = 0; k < f.Hidden.Length; k++)
        {
            int hidden = f.Hidden[k];
            int state = f.Projection > 0 ? f.Projection : hidden;
            foreach (string suffix in directions)
            {
                parameters[$"weight_ih_l{k}{suffix}"] = [gates * hidden, previous];
                parameters[$"weight_hh_l{k}{suffix}"] = [gates * hidden, state];
                parameters[$"bias_ih_l{k}{suffix}"] = [gates * hidden];
                parameters[$"bias_hh_l{k}{suffix}"] = [gates * hidden];
                if (f.Projection > 0)
                {
                    parameters[$"weight_hr_l{k}{suffix}"] = [f.Projection, hidden];
                }
            }

            previous = f.Bidirectional && f.Merge == "concat" ? 2 * state : state;
        }

        parameters["head.weight"] = [f.Output, previous];
        parameters["head.bias"] = [f.Output];

        var expected = new Dictionary<string, (string Dtype, int[] Shape)>(StringComparer.Ordinal);
        foreach (KeyValuePair<string, int[]> parameter in parameters)
        {
            expected["param." + parameter.Key] = ("F32", parameter.Value);
            expected["grad." + parameter.Key] = ("F32", parameter.Value);
        }

        if (f.OneHot)
        {
            expected["tokens"] = ("I64", [f.Steps, f.Batch]);
        }
        else
        {
            expected["x"] = ("F32", [f.Steps, f.Batch, f.Input]);
            expected["grad.x"] = ("F32", [f.Steps, f.Batch, f.Input]);
        }

        if (f.VariableLength)
        {
            expected["lengths"] = ("I64", [f.Batch]);
        }

        int[] outputShape = f.AllSteps ? [f.Steps, f.Batch, f.Output] : [f.Batch, f.Output];
        expected["output"] = ("F32", outputShape);
        expected["targets"] = f.Loss == "ce" ? ("I64", outputShape[..^1]) : ("F32", outputShape);
        expected["loss"] = ("F32", [1]);

        for (int k = 0; k < f.Hidden.Length; k++)
        {
            foreach (string suffix in directions)
            {
                int[] h = [f.Batch, f.Projection > 0 ? f.Projection : f.Hidden[k]];
                int[] c = [f.Batch, f.Hidden[k]];
                var states = new List<(string Prefix, int[] Shape)> { ("h", h) };
                if (lstm)
                {
                    states.Add(("c", c));
                }

                foreach ((string prefix, int[] shape) in states)
                {
                    expected[$"{prefix}_n.l{k}{suffix}"] = ("F32", shape);
                    if (f.RandomState)
                    {
                        expected[$"{prefix}0.l{k}{suffix}"] = ("F32", shape);
                        expected[$"grad.{prefix}0.l{k}{suffix}"] = ("F32", shape);
                    }
                }
            }
        }

        return expected;
    }

    /// <summary>A fixture file with its metadata parsed.</summary>
    private sealed class Fixture
    {
        private Fixture(SafeTensorsFile file)
        {
            File = file;
            IReadOnlyDictionary<string, string> m = file.Metadata;
            Cell = m["cell"];
            Hidden = Array.ConvertAll(m["hidden"].Split(','), int.Parse);
            Input = int.Parse(m["input"]);
            Vocabulary = int.Parse(m["vocab"]);
            Output = int.Parse(m["output"]);
            Steps = int.Parse(m["seq_len"]);
            Batch = int.Parse(m["batch"]);
            Projection = int.Parse(m["proj"]);
            Loss = m["loss"];
            Merge = m["merge"];
            AllSteps = m["steps"] == "all";
            Bidirectional = m["bidirectional"] == "true";
            OneHot = m["input_kind"] == "onehot";
            RandomState = m["state"] == "random";
            VariableLength = m["lengths"] == "variable";
            Lengths = VariableLength ? file.GetInt64("lengths") : [];
        }

        public SafeTensorsFile File { get; }

        public string Cell { get; }

        public int[] Hidden { get; }

        public int Input { get; }

        public int Vocabulary { get; }

        public int Output { get; }

        public int Steps { get; }

        public int Batch { get; }

        public int Projection { get; }

        public string Loss { get; }

        public string Merge { get; }

        public bool AllSteps { get; }

        public bool Bidirectional { get; }

        public bool OneHot { get; }

        public bool RandomState { get; }

        public bool VariableLength { get; }

        public long[] Lengths { get; }

        public static Fixture Read(string name) => new(SafeTensorsFile.Read(Path.Combine(TopologyDirectory, name + ".safetensors")));

        public int LengthOf(int b) => VariableLength ? (int)Lengths[b] : Steps;

        public bool IsValid(int t, int b) => t < LengthOf(b);
    }
}
