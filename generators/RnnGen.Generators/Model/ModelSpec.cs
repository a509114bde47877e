using RnnGen.Generators.Helpers;

namespace RnnGen.Generators.Model;

/// <summary>Everything the emitter needs to write one model; plain equatable data, never a Roslyn symbol.</summary>
internal sealed record ModelSpec(
    TypeSpec Type,
    int SequenceLength,
    int BatchSize,
    InputSpec Input,
    EquatableArray<LayerSpec> Layers,
    HeadSpec? Head,
    bool VariableLength,
    bool Streaming,
    Unrolling Unroll)
{
    public LayerSpec TopLayer => Layers[Layers.Count - 1];

    /// <summary>An encoder has no head: its final states feed another model (a seq2seq decoder).</summary>
    public bool IsEncoder => Head is null;

    /// <summary>Whether the head reads only the final states (many-to-one).</summary>
    public bool HeadOnLastStep => Head is { Steps: HeadSteps.LastStep };

    public bool IsBidirectional
    {
        get
        {
            foreach (LayerSpec layer in Layers)
            {
                if (layer.Bidirectional)
                    return true;
            }
            return false;
        }
    }
}

/// <summary>The partial class to extend, with the chain of containing types it is nested in (outermost first).</summary>
internal sealed record TypeSpec(string? Namespace, string Name, string Accessibility, EquatableArray<ContainingTypeSpec> ContainingTypes)
{
    public string FullName
    {
        get
        {
            string prefix = Namespace is null ? "" : Namespace + ".";
            foreach (ContainingTypeSpec containing in ContainingTypes)
                prefix += containing.Name + ".";
            return prefix + Name;
        }
    }
}

/// <summary>A type that contains the model class; <see cref="Keyword"/> is <c>class</c>, <c>struct</c>, <c>record</c>...</summary>
internal sealed record ContainingTypeSpec(string Keyword, string Name);

internal enum InputKind
{
    Vector,
    Embedding,
    OneHot,
}

/// <summary>How one time step's input enters the first layer: a float vector, a token id looked up in a table, or a
/// token id expanded to a one-hot vector. <see cref="Size"/> is the width the first layer reads.</summary>
internal sealed record InputSpec(InputKind Kind, int Size, int Vocabulary)
{
    public bool IsTokens => Kind != InputKind.Vector;
}

internal enum CellKind
{
    SimpleRnn,
    Lstm,
    Gru,
}

internal enum Activation
{
    Tanh = 0,
    Relu = 1,
}

internal enum Unrolling
{
    Auto = 0,
    Full = 1,
    Loop = 2,
}

internal enum Merge
{
    Concat = 0,
    Sum = 1,
    Average = 2,
    Multiply = 3,
}

/// <summary>One recurrent layer after stacking is expanded: layer <see cref="Index"/> reads <see cref="InputSize"/> features.</summary>
internal sealed record LayerSpec(
    int Index,
    CellKind Cell,
    int InputSize,
    int HiddenSize,
    Activation Activation,
    bool Bias,
    int ProjectionSize,
    bool ResetAfter,
    bool Bidirectional,
    Merge Merge)
{
    /// <summary>Width of h: the projection size when the LSTM projects, the hidden size otherwise.</summary>
    public int StateSize => ProjectionSize > 0 ? ProjectionSize : HiddenSize;

    /// <summary>Width of the layer's output as the next layer reads it.</summary>
    public int OutputSize => Bidirectional && Merge == Merge.Concat ? 2 * StateSize : StateSize;

    public int DirectionCount => Bidirectional ? 2 : 1;

    public bool ResetBefore => Cell == CellKind.Gru && !ResetAfter;

    /// <summary>Gates per hidden unit: 1 for a vanilla RNN, 4 for LSTM (i,f,g,o), 3 for GRU (r,z,n).</summary>
    public int GateCount => Cell switch
    {
        CellKind.Lstm => 4,
        CellKind.Gru => 3,
        _ => 1,
    };

    public int GateWidth => GateCount * HiddenSize;

    public bool HasCellState => Cell == CellKind.Lstm;

    /// <summary>
    /// Whether batch-1 steps run on <c>RnnGen.Kernels.PackedCell</c>: LSTM (with or without projection) and GRU with
    /// the reset gate after the hidden product. The others keep the row-major GEMV path.
    /// </summary>
    public bool HasPackedKernel => Cell == CellKind.Lstm || (Cell == CellKind.Gru && ResetAfter);

    /// <summary>Floats of a packed copy of this layer's <c>[GateWidth, columns]</c> weight and bias.</summary>
    public long PackedLength(int columns) => BufferLayout.PackedCellFloats(GateCount, HiddenSize, columns);
}

internal enum HeadActivation
{
    Identity = 0,
    Softmax = 1,
}

internal enum HeadSteps
{
    AllSteps = 0,
    LastStep = 1,
}

/// <summary>The dense head on top of the recurrent stack, and therefore the loss.</summary>
internal sealed record HeadSpec(int OutputSize, HeadActivation Activation, HeadSteps Steps);
