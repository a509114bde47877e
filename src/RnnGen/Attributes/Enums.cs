namespace RnnGen;

/// <summary>Nonlinearity of a vanilla (Elman) RNN cell: <c>h' = act(W_ih x + b_ih + W_hh h + b_hh)</c>.</summary>
public enum RnnActivation
{
    /// <summary>Hyperbolic tangent, PyTorch's default <c>nonlinearity='tanh'</c>.</summary>
    Tanh = 0,
    /// <summary>Rectified linear unit, PyTorch's <c>nonlinearity='relu'</c>.</summary>
    Relu = 1,
}

/// <summary>Output nonlinearity of the dense head; it also chooses the training loss.</summary>
public enum DenseActivation
{
    /// <summary>Raw linear outputs; trained with mean squared error against float targets.</summary>
    Identity = 0,
    /// <summary>Softmax over the outputs; trained with cross-entropy against token-id targets.</summary>
    Softmax = 1,
}

/// <summary>Which time steps the dense head runs on.</summary>
public enum OutputSteps
{
    /// <summary>Aligned many-to-many: one output per input step.</summary>
    AllSteps = 0,
    /// <summary>Many-to-one: a single output after the last step.</summary>
    LastStep = 1,
}

/// <summary>How the generated code walks the time steps.</summary>
public enum TimeUnrolling
{
    /// <summary>Written out step by step up to 32 steps × directions, a loop beyond it (longer unrolled methods exhaust the JIT's inlining budget and run slower).</summary>
    Auto = 0,
    /// <summary>Every step written out with literal buffer offsets, whatever the length.</summary>
    Full = 1,
    /// <summary>A loop over constant strides, whatever the length: the smallest code.</summary>
    Loop = 2,
}

/// <summary>How a bidirectional layer combines its forward and reverse outputs.</summary>
public enum BidirectionalMerge
{
    /// <summary>[forward | reverse], twice the hidden width: PyTorch's <c>bidirectional=True</c>.</summary>
    Concat = 0,
    /// <summary>forward + reverse.</summary>
    Sum = 1,
    /// <summary>(forward + reverse) / 2.</summary>
    Average = 2,
    /// <summary>forward ⊙ reverse.</summary>
    Multiply = 3,
}
