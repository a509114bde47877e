using System;

namespace RnnGen;

/// <summary>
/// Weight initialisers beyond PyTorch's default (which is <see cref="RnnParameters.InitializeDefault"/>): Glorot
/// uniform, orthogonal, and the LSTM forget-gate bias. All draw from a caller-owned <see cref="RnnRandom"/>, so the
/// same seed and call order always give the same weights.
/// </summary>
/// <remarks>
/// Matrices use PyTorch's orientation: a recurrent weight is <c>[G·H, in]</c> with the G gate blocks stacked along
/// the rows (gate order i, f, g, o for an LSTM; r, z, n for a GRU). With <c>gates = G</c> each <c>[H, in]</c> block is
/// initialised on its own, as if each gate had its own matrix; with <c>gates = 1</c> the whole matrix is one block.
/// </remarks>
public static class Initializers
{
    /// <summary>
    /// Glorot (Xavier) uniform: every element of each gate block <c>[rows / gates, cols]</c> is drawn from
    /// U(-a, a) with <c>a = √(6 / (rows / gates + cols))</c>.
    /// </summary>
    /// <remarks>
    /// Keras' <c>glorot_uniform</c> on a fused LSTM kernel <c>[in, 4·H]</c> uses fan_out = 4·H, which is
    /// <paramref name="gates"/> = 1 here; <paramref name="gates"/> = 4 uses the per-gate fan_out = H.
    /// </remarks>
    /// <param name="weights">Row-major <c>[rows, cols]</c> matrix; its length must be <c>rows × cols</c>.</param>
    /// <param name="rows">Number of rows (<c>G·H</c> for a gate-stacked recurrent weight).</param>
    /// <param name="cols">Number of columns (the layer's input width).</param>
    /// <param name="random">Generator the values are drawn from; it advances.</param>
    /// <param name="gates">Number of gate blocks stacked along the rows; must divide <paramref name="rows"/>.</param>
    public static void GlorotUniform(Span<float> weights, int rows, int cols, ref RnnRandom random, int gates = 1)
    {
        int blockRows = ValidateMatrix(weights.Length, rows, cols, gates);
        float limit = (float)Math.Sqrt(6.0 / (blockRows + cols));
        for (int g = 0; g < gates; g++)
            random.FillUniform(weights.Slice(g * blockRows * cols, blockRows * cols), -limit, limit);
    }

    /// <summary>Glorot uniform on the 2-D parameter <paramref name="name"/>; see the span overload.</summary>
    /// <param name="parameters">Parameter block that holds the tensor.</param>
    /// <param name="name">PyTorch name of a 2-D tensor, for example <c>weight_ih_l0</c>.</param>
    /// <param name="random">Generator the values are drawn from; it advances.</param>
    /// <param name="gates">Number of gate blocks stacked along the rows; must divide the row count.</param>
    public static void GlorotUniform(RnnParameters parameters, string name, ref RnnRandom random, int gates = 1)
    {
        ParameterTensor tensor = Matrix(parameters, name);
        GlorotUniform(parameters.Values.Slice(tensor.Offset, tensor.Length), tensor.Shape[0], tensor.Shape[1], ref random, gates);
    }

    /// <summary>
    /// Orthogonal initialisation, as <c>torch.nn.init.orthogonal_</c> does it, applied to each gate block
    /// <c>[rows / gates, cols]</c>: the QR factorisation of a standard normal matrix, with each column of Q multiplied
    /// by the sign of R's diagonal so that the result is uniformly distributed, then scaled by <paramref name="gain"/>.
    /// A tall or square block gets orthonormal columns (WᵀW = gain²·I); a wide block gets orthonormal rows
    /// (WWᵀ = gain²·I).
    /// </summary>
    /// <remarks>Householder QR in double precision; allocates a few <c>rows × cols</c> double buffers per call.</remarks>
    /// <param name="weights">Row-major <c>[rows, cols]</c> matrix; its length must be <c>rows × cols</c>.</param>
    /// <param name="rows">Number of rows (<c>G·H</c> for a gate-stacked recurrent weight).</param>
    /// <param name="cols">Number of columns.</param>
    /// <param name="random">Generator the normal matrix is drawn from; it advances.</param>
    /// <param name="gain">Scale of the result; must be finite.</param>
    /// <param name="gates">Number of gate blocks stacked along the rows; must divide <paramref name="rows"/>.</param>
    public static void Orthogonal(Span<float> weights, int rows, int cols, ref RnnRandom random, float gain = 1f, int gates = 1)
    {
        int blockRows = ValidateMatrix(weights.Length, rows, cols, gates);
        if (!float.IsFinite(gain))
            throw new ArgumentOutOfRangeException(nameof(gain), gain, "The gain must be a finite number.");

        // Like PyTorch, factor the tall orientation: a wide block is drawn row-major and then transposed.
        bool wide = blockRows < cols;
        int m = wide ? cols : blockRows;
        int n = wide ? blockRows : cols;
        var a = new double[m * n];
        var q = new double[m * n];
        var drawn = new double[blockRows * cols];
        for (int g = 0; g < gates; g++)
        {
            FillNormal(drawn, ref random);
            for (int i = 0; i < blockRows; i++)
            {
                for (int j = 0; j < cols; j++)
                {
                    if (wide)
                        a[j * n + i] = drawn[i * cols + j];
                    else
                        a[i * n + j] = drawn[i * cols + j];
                }
            }

            OrthonormalFactor(a, q, m, n);
            Span<float> block = weights.Slice(g * blockRows * cols, blockRows * cols);
            for (int i = 0; i < blockRows; i++)
            {
                for (int j = 0; j < cols; j++)
                    block[i * cols + j] = (float)(gain * (wide ? q[j * n + i] : q[i * n + j]));
            }
        }
    }

    /// <summary>Orthogonal initialisation of the 2-D parameter <paramref name="name"/>; see the span overload.</summary>
    /// <param name="parameters">Parameter block that holds the tensor.</param>
    /// <param name="name">PyTorch name of a 2-D tensor, for example <c>weight_hh_l0</c>.</param>
    /// <param name="random">Generator the normal matrix is drawn from; it advances.</param>
    /// <param name="gain">Scale of the result; must be finite.</param>
    /// <param name="gates">Number of gate blocks stacked along the rows; must divide the row count.</param>
    public static void Orthogonal(RnnParameters parameters, string name, ref RnnRandom random, float gain = 1f, int gates = 1)
    {
        ParameterTensor tensor = Matrix(parameters, name);
        Orthogonal(parameters.Values.Slice(tensor.Offset, tensor.Length), tensor.Shape[0], tensor.Shape[1], ref random, gain, gates);
    }

    /// <summary>
    /// Sets the forget-gate bias of LSTM layer <paramref name="layer"/>: the slice <c>[H, 2H)</c> (gate order i, f, g, o)
    /// of <c>bias_ih_l{k}</c> becomes <paramref name="value"/> and the same slice of <c>bias_hh_l{k}</c> becomes 0.
    /// Other gates are left as they are.
    /// </summary>
    /// <remarks>
    /// PyTorch adds both biases inside the gate, so the effective forget bias is exactly <paramref name="value"/>
    /// (Keras' <c>unit_forget_bias</c> is <paramref name="value"/> = 1). H is read from <c>weight_hr_l{k}</c> when the
    /// layer has a projection and from <c>weight_hh_l{k}</c> otherwise.
    /// </remarks>
    /// <param name="parameters">Parameter block of an LSTM model with biases.</param>
    /// <param name="layer">Layer index k, from 0.</param>
    /// <param name="value">The forget-gate bias; must be finite.</param>
    /// <param name="reverse">Whether to set the reverse direction (<c>bias_ih_l{k}_reverse</c>, …) of a bidirectional layer.</param>
    public static void SetForgetGateBias(RnnParameters parameters, int layer, float value, bool reverse = false)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentOutOfRangeException.ThrowIfNegative(layer);
        if (!float.IsFinite(value))
            throw new ArgumentOutOfRangeException(nameof(value), value, "The forget-gate bias must be a finite number.");

        string suffix = $"_l{layer}" + (reverse ? "_reverse" : "");
        if (!parameters.TryGetTensor("bias_ih" + suffix, out ParameterTensor biasIh)
            || !parameters.TryGetTensor("bias_hh" + suffix, out ParameterTensor biasHh)
            || !parameters.TryGetTensor("weight_hh" + suffix, out ParameterTensor weightHh))
        {
            throw new ArgumentException(
                $"The model has no 'bias_ih{suffix}', 'bias_hh{suffix}' and 'weight_hh{suffix}'; expected an LSTM layer {layer} with biases"
                + (reverse ? " and a reverse direction." : "."),
                reverse ? nameof(reverse) : nameof(layer));
        }

        int hidden = parameters.TryGetTensor("weight_hr" + suffix, out ParameterTensor projection)
            ? projection.Shape[^1]
            : weightHh.Shape[^1];
        if (biasIh.Length != 4 * hidden || biasHh.Length != 4 * hidden)
        {
            throw new ArgumentException(
                $"'bias_ih{suffix}' has {biasIh.Length} elements; an LSTM layer with hidden size {hidden} has 4 × {hidden} = {4 * hidden}.",
                nameof(layer));
        }

        parameters.Values.Slice(biasIh.Offset + hidden, hidden).Fill(value);
        parameters.Values.Slice(biasHh.Offset + hidden, hidden).Clear();
    }

    /// <summary>Checks a <c>[rows, cols]</c> matrix split into <paramref name="gates"/> row blocks; returns the block's row count.</summary>
    private static int ValidateMatrix(int length, int rows, int cols, int gates)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cols);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(gates);
        if ((long)rows * cols != length)
            throw new ArgumentException($"The weights hold {length} values; a [{rows}, {cols}] matrix needs {(long)rows * cols}.", "weights");
        if (rows % gates != 0)
            throw new ArgumentException($"{rows} rows cannot be split into {gates} gate blocks; expected a multiple of {gates}.", nameof(gates));
        return rows / gates;
    }

    private static ParameterTensor Matrix(RnnParameters parameters, string name)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(name);
        if (!parameters.TryGetTensor(name, out ParameterTensor tensor))
            throw new ArgumentException($"The model has no parameter '{name}'.", nameof(name));
        if (tensor.Shape.Length != 2)
            throw new ArgumentException($"'{name}' has shape {tensor.ShapeText}; expected a 2-D [rows, cols] matrix.", nameof(name));
        return tensor;
    }

    /// <summary>Standard normal values by Box–Muller, in double so the factorisation starts from full precision.</summary>
    private static void FillNormal(Span<double> destination, ref RnnRandom random)
    {
        for (int i = 0; i < destination.Length; i += 2)
        {
            double radius = Math.Sqrt(-2.0 * Math.Log(1.0 - random.NextDouble()));
            double angle = 2 * Math.PI * random.NextDouble();
            destination[i] = radius * Math.Cos(angle);
            if (i + 1 < destination.Length)
                destination[i + 1] = radius * Math.Sin(angle);
        }
    }

    /// <summary>
    /// Householder QR of the tall <c>[m, n]</c> matrix <paramref name="a"/> (m ≥ n, overwritten); writes into
    /// <paramref name="q"/> the thin factor Q <c>[m, n]</c> whose columns are signed so that R's diagonal is
    /// non-negative. That makes Q unique, which is torch's sign correction.
    /// </summary>
    private static void OrthonormalFactor(double[] a, double[] q, int m, int n)
    {
        // Reflector k is stored in column k of a, rows k..m-1 (unit length); diagonal holds R's diagonal.
        var diagonal = new double[n];
        for (int k = 0; k < n; k++)
        {
            double norm = 0;
            for (int i = k; i < m; i++)
                norm += a[i * n + k] * a[i * n + k];
            norm = Math.Sqrt(norm);
            double x0 = a[k * n + k];
            double alpha = x0 >= 0 ? -norm : norm;
            diagonal[k] = alpha;

            // v = x - alpha·e1, normalised; a zero column leaves a zero reflector (the identity).
            a[k * n + k] = x0 - alpha;
            double vNorm = 0;
            for (int i = k; i < m; i++)
                vNorm += a[i * n + k] * a[i * n + k];
            vNorm = Math.Sqrt(vNorm);
            for (int i = k; i < m; i++)
                a[i * n + k] = vNorm > 0 ? a[i * n + k] / vNorm : 0;

            for (int j = k + 1; j < n; j++)
                Reflect(a, n, m, k, a, n, j);
        }

        // Q = H_0 H_1 … H_{n-1} applied to the first n columns of the identity.
        Array.Clear(q);
        for (int i = 0; i < n; i++)
            q[i * n + i] = 1;
        for (int k = n - 1; k >= 0; k--)
        {
            for (int j = 0; j < n; j++)
                Reflect(a, n, m, k, q, n, j);
        }

        for (int j = 0; j < n; j++)
        {
            if (diagonal[j] < 0)
            {
                for (int i = 0; i < m; i++)
                    q[i * n + j] = -q[i * n + j];
            }
        }
    }

    /// <summary>Applies reflector k (column k of <paramref name="v"/>) to column j of <paramref name="target"/>, rows k..m-1.</summary>
    private static void Reflect(double[] v, int vStride, int m, int k, double[] target, int stride, int j)
    {
        double dot = 0;
        for (int i = k; i < m; i++)
            dot += v[i * vStride + k] * target[i * stride + j];
        dot *= 2;
        for (int i = k; i < m; i++)
            target[i * stride + j] -= dot * v[i * vStride + k];
    }
}
