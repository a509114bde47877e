using System.Collections.Generic;

namespace RnnGen.Generators.Model;

/// <summary>
/// Where every activation and gradient buffer of a model sits in its workspace, and where every parameter sits in its
/// parameter block. Derived from a <see cref="ModelSpec"/>; all offsets are compile-time constants of the emitted code.
/// Buffers are time-major: element [t][b][j] of a [T][B][W] buffer is at t*B*W + b*W + j.
/// </summary>
internal sealed class BufferLayout
{
    private readonly List<ParameterSlot> _parameters = new();
    private long _parameterCount;
    private long _workspace;

    private BufferLayout(ModelSpec model)
    {
        int t = model.SequenceLength, b = model.BatchSize;
        if (model.Input.Kind == InputKind.Embedding)
        {
            AddParameter("embedding.weight", "EmbeddingWeight", "Embedding", 0f, model.Input.Vocabulary, model.Input.Size);
            EmbeddedInput = Reserve((long)t * b * model.Input.Size);
        }
        InputGradient = Reserve((long)t * b * model.Input.Size);

        Layers = new LayerLayout[model.Layers.Count];
        foreach (LayerSpec layer in model.Layers)
        {
            int k = layer.Index;
            float bound = 1f / (float)System.Math.Sqrt(layer.HiddenSize);
            var l = new LayerLayout
            {
                WeightIh = AddParameter($"weight_ih_l{k}", $"WeightIhL{k}", "InputWeight", bound, layer.GateWidth, layer.InputSize),
                WeightHh = AddParameter($"weight_hh_l{k}", $"WeightHhL{k}", "RecurrentWeight", bound, layer.GateWidth, layer.HiddenSize),
            };
            if (layer.Bias)
            {
                l.BiasIh = AddParameter($"bias_ih_l{k}", $"BiasIhL{k}", "RecurrentBias", bound, layer.GateWidth);
                l.BiasHh = AddParameter($"bias_hh_l{k}", $"BiasHhL{k}", "RecurrentBias", bound, layer.GateWidth);
            }
            long stateSlot = (long)b * layer.HiddenSize;
            l.Hidden = Reserve((t + 1) * stateSlot);
            l.HiddenGradient = Reserve((t + 1) * stateSlot);
            if (layer.HasCellState)
            {
                l.Cell = Reserve((t + 1) * stateSlot);
                l.CellGradient = Reserve(stateSlot);
            }
            if (layer.Cell != CellKind.SimpleRnn)
                l.Gates = Reserve((long)t * b * layer.GateWidth);
            if (layer.Cell == CellKind.Gru)
            {
                l.HiddenGates = Reserve((long)t * b * layer.GateWidth);
                l.HiddenGatesGradient = Reserve((long)t * b * layer.GateWidth);
            }
            l.GatesGradient = Reserve((long)t * b * layer.GateWidth);
            Layers[k] = l;
        }

        HiddenSizeTop = model.TopLayer.HiddenSize;
        float headBound = 1f / (float)System.Math.Sqrt(HiddenSizeTop);
        HeadWeight = AddParameter("head.weight", "HeadWeight", "LinearWeight", headBound, model.Head.OutputSize, HiddenSizeTop);
        HeadBias = AddParameter("head.bias", "HeadBias", "LinearBias", headBound, model.Head.OutputSize);
        long outputRows = (model.Head.Steps == HeadSteps.AllSteps ? (long)t : 1) * b;
        Output = Reserve(outputRows * model.Head.OutputSize);
        OutputGradient = Reserve(outputRows * model.Head.OutputSize);
    }

    public static BufferLayout For(ModelSpec model) => new(model);

    /// <summary>Workspace plus parameters, in floats; the parser refuses models whose total exceeds <see cref="Limits.WorkspaceFloats"/>.</summary>
    public static long TotalFloats(ModelSpec model)
    {
        var layout = new BufferLayout(model);
        return layout._workspace + 2 * layout._parameterCount;
    }

    public IReadOnlyList<ParameterSlot> Parameters => _parameters;

    public int ParameterCount => (int)_parameterCount;

    public int WorkspaceSize => (int)_workspace;

    public int EmbeddedInput { get; } = -1;

    public int InputGradient { get; }

    public LayerLayout[] Layers { get; }

    public int HiddenSizeTop { get; }

    public ParameterSlot HeadWeight { get; }

    public ParameterSlot HeadBias { get; }

    public int Output { get; }

    public int OutputGradient { get; }

    private int Reserve(long floats)
    {
        long start = _workspace;
        _workspace += floats;
        return (int)System.Math.Min(start, int.MaxValue);
    }

    private ParameterSlot AddParameter(string name, string propertyName, string role, float initBound, params int[] shape)
    {
        long length = 1;
        foreach (int dim in shape)
            length *= dim;
        var slot = new ParameterSlot(name, propertyName, role, initBound, shape, (int)System.Math.Min(_parameterCount, int.MaxValue), (int)System.Math.Min(length, int.MaxValue));
        _parameterCount += length;
        _parameters.Add(slot);
        return slot;
    }
}

/// <summary>Offsets of one recurrent layer's parameters and buffers (-1 when the layer has no such buffer).</summary>
internal sealed class LayerLayout
{
    public ParameterSlot WeightIh { get; set; } = null!;
    public ParameterSlot WeightHh { get; set; } = null!;
    public ParameterSlot? BiasIh { get; set; }
    public ParameterSlot? BiasHh { get; set; }

    /// <summary>[T+1][B][H]: slot 0 is the initial state h0, slot t+1 is h_t.</summary>
    public int Hidden { get; set; } = -1;
    /// <summary>[T+1][B][H]: slot 0 receives dL/dh0.</summary>
    public int HiddenGradient { get; set; } = -1;
    /// <summary>[T+1][B][H] (LSTM): slot 0 is c0.</summary>
    public int Cell { get; set; } = -1;
    /// <summary>[B][H] (LSTM): the running dL/dc, which ends as dL/dc0.</summary>
    public int CellGradient { get; set; } = -1;
    /// <summary>[T][B][G·H]: input projections, then gate activations (LSTM, GRU).</summary>
    public int Gates { get; set; } = -1;
    /// <summary>[T][B][3H] (GRU): W_hh h + b_hh, kept for the reset gate's backward.</summary>
    public int HiddenGates { get; set; } = -1;
    public int HiddenGatesGradient { get; set; } = -1;
    /// <summary>[T][B][G·H]: pre-activation gate gradients.</summary>
    public int GatesGradient { get; set; } = -1;
}

/// <summary>One parameter tensor: PyTorch name, C# property name, role, initialisation bound, shape and block position.</summary>
internal sealed class ParameterSlot
{
    public ParameterSlot(string name, string propertyName, string role, float initBound, int[] shape, int offset, int length)
    {
        Name = name;
        PropertyName = propertyName;
        Role = role;
        InitBound = initBound;
        Shape = shape;
        Offset = offset;
        Length = length;
    }

    public string Name { get; }
    public string PropertyName { get; }
    public string Role { get; }
    public float InitBound { get; }
    public int[] Shape { get; }
    public int Offset { get; }
    public int Length { get; }
}
