using System;

namespace RnnGen;

/// <summary>Settings shared by every recurrent layer attribute.</summary>
public abstract class RecurrentLayerAttribute : Attribute
{
    private protected RecurrentLayerAttribute(int hiddenSize) => HiddenSize = hiddenSize;

    /// <summary>Width <c>H</c> of the hidden state.</summary>
    public int HiddenSize { get; }

    /// <summary>Number of stacked layers of this size (PyTorch <c>num_layers</c>); defaults to 1.</summary>
    public int Layers { get; set; } = 1;

    /// <summary>Whether the layer has <c>bias_ih</c> and <c>bias_hh</c> (PyTorch <c>bias</c>); defaults to true.</summary>
    public bool Bias { get; set; } = true;

    /// <summary>Whether each layer also reads the sequence backwards (PyTorch <c>bidirectional</c>); parameters of the
    /// reverse direction carry the suffix <c>_reverse</c>.</summary>
    public bool Bidirectional { get; set; }

    /// <summary>How a bidirectional layer combines its two directions; defaults to <see cref="BidirectionalMerge.Concat"/>.</summary>
    public BidirectionalMerge Merge { get; set; } = BidirectionalMerge.Concat;
}

/// <summary>Vanilla (Elman) RNN layer: <c>h' = act(W_ih x + b_ih + W_hh h + b_hh)</c>, PyTorch <c>nn.RNN</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SimpleRnnAttribute : RecurrentLayerAttribute
{
    /// <summary>Creates a vanilla RNN layer.</summary>
    /// <param name="hiddenSize">Width of the hidden state.</param>
    public SimpleRnnAttribute(int hiddenSize) : base(hiddenSize) { }

    /// <summary>Cell nonlinearity; defaults to <see cref="RnnActivation.Tanh"/>.</summary>
    public RnnActivation Activation { get; set; } = RnnActivation.Tanh;
}

/// <summary>LSTM layer with PyTorch's gate order i, f, g, o: <c>c' = f*c + i*g</c>, <c>h' = o*tanh(c')</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class LstmAttribute : RecurrentLayerAttribute
{
    /// <summary>Creates an LSTM layer.</summary>
    /// <param name="hiddenSize">Width of the cell state and hidden state.</param>
    public LstmAttribute(int hiddenSize) : base(hiddenSize) { }

    /// <summary>Width of the projected hidden state (PyTorch <c>proj_size</c>, parameter <c>weight_hr_l{k}</c>):
    /// <c>h' = W_hr (o*tanh(c'))</c>. 0, the default, means no projection; otherwise it must be below the hidden size.</summary>
    public int ProjectionSize { get; set; }
}

/// <summary>GRU layer with PyTorch's gate order r, z, n:
/// <c>n = tanh(W_in x + b_in + r*(W_hn h + b_hn))</c>, <c>h' = (1-z)*n + z*h</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class GruAttribute : RecurrentLayerAttribute
{
    /// <summary>Creates a GRU layer.</summary>
    /// <param name="hiddenSize">Width of the hidden state.</param>
    public GruAttribute(int hiddenSize) : base(hiddenSize) { }

    /// <summary>Whether the reset gate multiplies <c>W_hn h + b_hn</c> (true, PyTorch and cuDNN, the default) or
    /// <c>h</c> before the matrix product (false: ONNX <c>linear_before_reset=0</c>, Keras <c>reset_after=False</c>).</summary>
    public bool ResetAfter { get; set; } = true;
}

/// <summary>Fully connected head <c>y = W h + b</c> (PyTorch <c>nn.Linear</c>, parameters <c>head.weight</c>,
/// <c>head.bias</c>) on the last recurrent layer's output.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class DenseAttribute : Attribute
{
    /// <summary>Creates a dense head.</summary>
    /// <param name="outputSize">Number of outputs per step (classes, for softmax).</param>
    public DenseAttribute(int outputSize) => OutputSize = outputSize;

    /// <summary>Number of outputs per step.</summary>
    public int OutputSize { get; }

    /// <summary>Output nonlinearity, which also picks the loss; defaults to <see cref="DenseActivation.Identity"/>.</summary>
    public DenseActivation Activation { get; set; } = DenseActivation.Identity;

    /// <summary>Steps the head runs on; defaults to <see cref="OutputSteps.AllSteps"/>.</summary>
    public OutputSteps Steps { get; set; } = OutputSteps.AllSteps;
}
