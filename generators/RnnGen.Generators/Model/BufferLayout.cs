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
    private const int CacheLineFloats = 16;

    private long _workspace;
    private long _packed;

    private BufferLayout(ModelSpec model)
    {
        long t = model.SequenceLength, b = model.BatchSize;
        if (model.Input.Kind == InputKind.Embedding)
            Embedding = AddParameter("embedding.weight", "EmbeddingWeight", "Embedding", 0f, model.Input.Vocabulary, model.Input.Size);
        UsesTokenTable = TokenTableApplies(model);
        if (model.Input.IsTokens && !UsesTokenTable)
            EncodedInput = Reserve(t * b * model.Input.Size);
        InputGradient = Reserve(t * b * model.Input.Size);
        if (model.VariableLength)
        {
            Lengths = ReserveInts(b);
            if (model.Head is not null)
                MaskedTargets = ReserveInts((model.Head.Steps == HeadSteps.AllSteps ? t : 1) * b * (model.Head.Activation == HeadActivation.Softmax ? 1 : model.Head.OutputSize));
        }

        Layers = new LayerLayout[model.Layers.Count];
        foreach (LayerSpec layer in model.Layers)
        {
            var directions = new DirectionLayout[layer.DirectionCount];
            for (int d = 0; d < directions.Length; d++)
                directions[d] = AddDirection(model, layer, reverse: d == 1);
            var l = new LayerLayout(directions);
            bool top = layer.Index == model.Layers.Count - 1;
            if (layer.Bidirectional && !(top && model.HeadOnLastStep))
            {
                l.Merged = Reserve(t * b * layer.OutputSize);
                l.MergedGradient = Reserve(t * b * layer.OutputSize);
            }
            if (layer.Bidirectional && top && model.HeadOnLastStep)
            {
                l.FinalMerged = Reserve(b * layer.OutputSize);
                l.FinalMergedGradient = Reserve(b * layer.OutputSize);
            }
            Layers[layer.Index] = l;
        }
        // Banded time loops gather their own rows of the token table step by step, from the token ids kept here.
        if (UsesTokenTable && Layers[0].Directions[0].Banded)
            TokenIds = ReserveInts(t * b);

        if (model.Head is null)
            return;
        int headInput = model.TopLayer.OutputSize;
        float headBound = 1f / (float)System.Math.Sqrt(headInput);
        HeadWeight = AddParameter("head.weight", "HeadWeight", "LinearWeight", headBound, model.Head.OutputSize, headInput);
        HeadBias = AddParameter("head.bias", "HeadBias", "LinearBias", headBound, model.Head.OutputSize);
        // Step's head reads a packed copy (PackedCell.Dense) where one pays for itself: a batch-1 row of dot products
        // would end each in a horizontal sum.
        long headPackedLength = PackedCellFloats(1, model.Head.OutputSize, headInput);
        if (!model.IsBidirectional && headPackedLength <= Limits.PackedHeadFloats)
        {
            HeadPackedLength = (int)headPackedLength;
            HeadPacked = ReservePacked(HeadPackedLength);
        }
        long outputRows = (model.Head.Steps == HeadSteps.AllSteps ? t : 1) * b;
        Output = Reserve(outputRows * model.Head.OutputSize);
        OutputGradient = Reserve(outputRows * model.Head.OutputSize);
    }

    private DirectionLayout AddDirection(ModelSpec model, LayerSpec layer, bool reverse)
    {
        long t = model.SequenceLength, b = model.BatchSize;
        int k = layer.Index;
        string suffix = reverse ? "_reverse" : "";
        string property = reverse ? "Reverse" : "";
        float bound = 1f / (float)System.Math.Sqrt(layer.HiddenSize);
        var d = new DirectionLayout(reverse, $"L{k}{(reverse ? "R" : "")}")
        {
            WeightIh = AddParameter($"weight_ih_l{k}{suffix}", $"WeightIhL{k}{property}", "InputWeight", bound, layer.GateWidth, layer.InputSize),
            WeightHh = AddParameter($"weight_hh_l{k}{suffix}", $"WeightHhL{k}{property}", "RecurrentWeight", bound, layer.GateWidth, layer.StateSize),
        };
        if (layer.Bias)
        {
            d.BiasIh = AddParameter($"bias_ih_l{k}{suffix}", $"BiasIhL{k}{property}", "RecurrentBias", bound, layer.GateWidth);
            d.BiasHh = AddParameter($"bias_hh_l{k}{suffix}", $"BiasHhL{k}{property}", "RecurrentBias", bound, layer.GateWidth);
        }
        if (layer.ProjectionSize > 0)
            d.WeightHr = AddParameter($"weight_hr_l{k}{suffix}", $"WeightHrL{k}{property}", "RecurrentWeight", bound, layer.ProjectionSize, layer.HiddenSize);

        long state = b * layer.StateSize, cell = b * layer.HiddenSize, gates = b * layer.GateWidth;
        d.Hidden = Reserve((t + 1) * state);
        d.HiddenGradient = Reserve((t + 1) * state);
        d.FinalHiddenGradient = Reserve(state);
        if (layer.HasCellState)
        {
            d.Cell = Reserve((t + 1) * cell);
            d.CellGradient = Reserve(cell);
            d.FinalCellGradient = Reserve(cell);
            if (model.VariableLength)
                d.CellGradientSave = Reserve(cell);
        }
        if (layer.Cell != CellKind.SimpleRnn)
            d.Gates = Reserve(t * gates);
        // An LSTM's backward step reads its gate activations only to compute their gradients (LstmCell.Backward reads
        // each unit's four gates before it writes them), so the gradients take their place: T·B·G·H fewer floats,
        // and no second window of that size for the backward loop to write through memory.
        d.GatesGradient = layer.Cell == CellKind.Lstm ? d.Gates : Reserve(t * gates);
        if (layer.Cell == CellKind.Gru && layer.ResetAfter)
        {
            d.HiddenGates = Reserve(t * gates);
            d.HiddenGatesGradient = Reserve(t * gates);
        }
        if (layer.ResetBefore)
        {
            d.HiddenGates = Reserve(t * 2 * cell);
            d.HiddenGatesGradient = Reserve(t * 2 * cell);
            d.NewGate = Reserve(t * cell);
            d.NewGateGradient = Reserve(t * cell);
            d.ResetHidden = Reserve(t * cell);
            d.ResetHiddenGradient = Reserve(cell);
        }
        // Batch-1 forward passes and streaming steps run packed layers on a packed copy of their weights.
        if (layer.HasPackedKernel && (b == 1 || !model.IsBidirectional))
        {
            d.PackedIhLength = (int)System.Math.Min(layer.PackedLength(layer.InputSize), int.MaxValue);
            d.PackedIh = ReservePacked(d.PackedIhLength);
            d.PackedHhLength = (int)System.Math.Min(layer.PackedLength(layer.StateSize), int.MaxValue);
            d.PackedHh = ReservePacked(d.PackedHhLength);
        }
        d.PacksRecurrent = b > 1 && model.SequenceLength >= Limits.RecurrentPanelSteps && !layer.ResetBefore;
        if (k == 0 && UsesTokenTable)
        {
            d.TokenTable = Reserve((long)model.Input.Vocabulary * layer.GateWidth);
            d.InputWeightCopy = Reserve((long)layer.GateWidth * layer.InputSize);
        }
        if (layer.ProjectionSize > 0)
        {
            d.Raw = Reserve(t * cell);
            d.RawGradient = Reserve(cell);
        }
        return d;
    }

    public static BufferLayout For(ModelSpec model) => new(model);

    /// <summary>
    /// Floats of a <c>[gateCount·units, columns]</c> weight and its bias packed for <c>PackedCell</c>; mirrors
    /// <c>PackedCell.PackedLength</c>: panels of 16 units, each a bias row plus one row per column.
    /// </summary>
    public static long PackedCellFloats(int gateCount, int units, int columns) => (columns + 1L) * gateCount * ((units + 15) / 16 * 16);

    /// <summary>Floats of a right operand packed for <c>Gemm.MultiplyPacked</c>; mirrors <c>Gemm.PackedLength</c>.</summary>
    public static long GemmPanels(int columns, int depth) => (long)(columns + 15) / 16 * 16 * depth;

    /// <summary>
    /// Whether the first layer projects embedded tokens through a per-token table: x_t W_ihᵀ depends only on the token,
    /// so P = E W_ihᵀ + biases costs V·G·I multiply-adds instead of T·B·G·I and each step gathers its rows, and the
    /// backward pass sums dgates per token (dP) for dW_ih = dPᵀ E. Chosen when the vocabulary has no more rows than the
    /// window has positions; batch-1 packed layers keep their fused projection.
    /// </summary>
    private static bool TokenTableApplies(ModelSpec model) =>
        model.Input.Kind == InputKind.Embedding
        && model.Layers.Count > 0
        && model.Input.Vocabulary <= (long)model.SequenceLength * model.BatchSize
        && !(model.BatchSize == 1 && model.Layers[0].HasPackedKernel);

    /// <summary>See <see cref="TokenTableApplies"/>; the encoded-input buffer is then not needed.</summary>
    public bool UsesTokenTable { get; }

    /// <summary>Workspace plus parameters, in floats; the parser refuses models whose total exceeds <see cref="Limits.WorkspaceFloats"/>.</summary>
    public static long TotalFloats(ModelSpec model)
    {
        var layout = new BufferLayout(model);
        return layout._workspace + 2 * layout._parameterCount + layout._packed;
    }

    public IReadOnlyList<ParameterSlot> Parameters => _parameters;

    public int ParameterCount => (int)_parameterCount;

    public int WorkspaceSize => (int)_workspace;

    /// <summary>Floats of the packed weight copy (0 when no layer runs on the packed kernels).</summary>
    public int PackedLength => (int)_packed;

    public ParameterSlot? Embedding { get; }

    /// <summary>[T][B][I]: embedded or one-hot encoded token inputs.</summary>
    public int EncodedInput { get; } = -1;

    public int InputGradient { get; }

    /// <summary>[B] per-sequence lengths, in the int workspace.</summary>
    public int Lengths { get; } = -1;

    /// <summary>Targets with padded rows masked, in the int workspace (class ids) or float workspace (values).</summary>
    public int MaskedTargets { get; } = -1;

    /// <summary>[T, B] token ids of the latest forward pass, in the int workspace, when the first layer's banded time loops gather from the token table.</summary>
    public int TokenIds { get; } = -1;

    public int IntWorkspaceSize { get; private set; }

    public LayerLayout[] Layers { get; }

    public ParameterSlot HeadWeight { get; } = null!;

    public ParameterSlot HeadBias { get; } = null!;

    /// <summary>Offset of the head's packed copy for <c>Step</c>, or -1 when the model does not stream, has no head, or its head is larger than <see cref="Limits.PackedHeadFloats"/>.</summary>
    public int HeadPacked { get; } = -1;

    /// <summary><c>PackedCell.PackedLength(1, outputs, inputs)</c> of the head.</summary>
    public int HeadPackedLength { get; }

    public int Output { get; } = -1;

    public int OutputGradient { get; } = -1;

    // Every buffer starts on a cache line of the page-aligned workspace, so rows whose width is a multiple of 16 floats
    // are whole 64-byte vectors.
    private int Reserve(long floats)
    {
        long start = (_workspace + CacheLineFloats - 1) / CacheLineFloats * CacheLineFloats;
        _workspace = start + floats;
        return (int)System.Math.Min(start, int.MaxValue);
    }

    private int ReservePacked(long floats)
    {
        long start = _packed;
        _packed += floats;
        return (int)System.Math.Min(start, int.MaxValue);
    }

    private int ReserveInts(long count)
    {
        int start = IntWorkspaceSize;
        IntWorkspaceSize = (int)System.Math.Min(IntWorkspaceSize + count, int.MaxValue);
        return start;
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

/// <summary>One recurrent layer: its directions and, when bidirectional, the merged output buffers.</summary>
internal sealed class LayerLayout
{
    public LayerLayout(DirectionLayout[] directions) => Directions = directions;

    public DirectionLayout[] Directions { get; }

    /// <summary>[T][B][W]: merged bidirectional output (-1 when the layer is unidirectional).</summary>
    public int Merged { get; set; } = -1;
    public int MergedGradient { get; set; } = -1;

    /// <summary>[B][W]: merged final states feeding a last-step head (bidirectional top layer only).</summary>
    public int FinalMerged { get; set; } = -1;
    public int FinalMergedGradient { get; set; } = -1;
}

/// <summary>
/// Offsets of one direction's parameters and buffers (-1 when absent). Hidden and cell buffers have T+1 slots: the
/// forward direction keeps h0 in slot 0 and h_t in slot t+1; the reverse direction keeps h0 in slot T and h_t in slot t.
/// </summary>
internal sealed class DirectionLayout
{
    public DirectionLayout(bool reverse, string prefix)
    {
        Reverse = reverse;
        Prefix = prefix;
    }

    public bool Reverse { get; }

    /// <summary>Prefix of the emitted constants, e.g. <c>L0</c> or <c>L0R</c>.</summary>
    public string Prefix { get; }

    public ParameterSlot WeightIh { get; set; } = null!;
    public ParameterSlot WeightHh { get; set; } = null!;
    public ParameterSlot? BiasIh { get; set; }
    public ParameterSlot? BiasHh { get; set; }
    public ParameterSlot? WeightHr { get; set; }

    public int Hidden { get; set; } = -1;
    public int HiddenGradient { get; set; } = -1;
    /// <summary>[B][H]: gradient with respect to h_n supplied by the caller (a seq2seq decoder's dL/dh0), added in backward.</summary>
    public int FinalHiddenGradient { get; set; } = -1;
    /// <summary>[B][H] (LSTM): gradient with respect to c_n supplied by the caller.</summary>
    public int FinalCellGradient { get; set; } = -1;
    public int Cell { get; set; } = -1;
    /// <summary>[B][H] (LSTM): the running dL/dc, which ends as dL/dc0.</summary>
    public int CellGradient { get; set; } = -1;
    /// <summary>[B][H] (LSTM, variable length): frozen rows' dc, kept across the cell's backward.</summary>
    public int CellGradientSave { get; set; } = -1;
    /// <summary>[T][B][G·H]: input projections, then gate activations (LSTM, GRU).</summary>
    public int Gates { get; set; } = -1;
    /// <summary>[T][B][G·H] gradients of the gate pre-activations; an LSTM's overwrite its <see cref="Gates"/> in place.</summary>
    public int GatesGradient { get; set; } = -1;
    /// <summary>Whether <see cref="GatesGradient"/> is <see cref="Gates"/>, so that a forward pass overwrites the gate gradients.</summary>
    public bool GradientOverwritesGates => Gates >= 0 && GatesGradient == Gates;
    /// <summary>GRU: [T][B][3H] W_hh h + b_hh (reset after), or [T][B][2H] for r and z only (reset before).</summary>
    public int HiddenGates { get; set; } = -1;
    /// <summary>Offsets in the packed weight copy of W_ih with b_ih and of W_hh with b_hh (-1 when not packed).</summary>
    public int PackedIh { get; set; } = -1;
    public int PackedIhLength { get; set; }
    public int PackedHh { get; set; } = -1;
    public int PackedHhLength { get; set; }
    public int HiddenGatesGradient { get; set; } = -1;
    /// <summary>GRU reset before: [T][B][H] W_hn (r ⊙ h) + b_hn, and r ⊙ h.</summary>
    public int NewGate { get; set; } = -1;
    public int NewGateGradient { get; set; } = -1;
    public int ResetHidden { get; set; } = -1;
    public int ResetHiddenGradient { get; set; } = -1;
    /// <summary>
    /// First layer with a token table: [V][G·H] P[v] = E[v] W_ihᵀ + biases in the forward pass, then dP[v], the sum of
    /// dgates over the positions holding token v, in the backward pass.
    /// </summary>
    public int TokenTable { get; set; } = -1;
    /// <summary>
    /// First layer with a token table: [G·H][I] W_ih as of the latest backward pass, from which InputGradient computes
    /// dx = dgates W_ih when it is first read, so that a step of the optimiser in between does not change it.
    /// </summary>
    public int InputWeightCopy { get; set; } = -1;
    /// <summary>
    /// Batched layers over enough steps multiply by W_hh packed for Gemm.MultiplyPacked once per loop, into the
    /// packing thread's own buffer (Gemm.ThreadPanels), not the workspace.
    /// </summary>
    public bool PacksRecurrent { get; set; }
    /// <summary>
    /// Whether the direction's time loops run in bands of batch rows: only on the packed recurrent panels (batches, at
    /// least <see cref="Limits.RecurrentPanelSteps"/> steps, not the reset-before GRU) and without an LSTM projection.
    /// Those products compute every element of C the same way for any number of rows, so a band gives bit-for-bit
    /// the rows the whole batch would; the unpacked products pick a different summation for a few rows.
    /// </summary>
    public bool Banded => PacksRecurrent && WeightHr is null;
    /// <summary>LSTM projection: [T][B][H] o ⊙ tanh(c) before W_hr.</summary>
    public int Raw { get; set; } = -1;
    public int RawGradient { get; set; } = -1;
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
