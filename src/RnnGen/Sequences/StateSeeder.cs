using System;
using System.Numerics.Tensors;
using RnnGen.Kernels;

namespace RnnGen.Sequences;

/// <summary>
/// One-to-many: seeds a generated model's initial state from an input vector through a dense layer,
/// <c>s = tanh(v Wᵀ + b)</c>, whose columns are split into each layer's h0 (then, optionally, each LSTM layer's c0).
/// Its parameters are PyTorch's <c>seed = nn.Linear(F, S)</c>: <c>seed.weight</c> [S, F] and <c>seed.bias</c> [S].
/// </summary>
/// <remarks>
/// <para>Training: <see cref="Forward"/> writes the target's <see cref="IRnnModel.InitialHidden"/> (and
/// <see cref="IRnnModel.InitialCell"/>), the target's training pass runs, and <see cref="Backward"/> carries its
/// <see cref="IRnnModel.InitialHiddenGradient"/> (and <see cref="IRnnModel.InitialCellGradient"/>) back through the
/// tanh into <c>seed.weight</c>, <c>seed.bias</c> and <see cref="VectorGradient"/>. Inference: <see cref="SeedState"/>
/// seeds one stream's step state, and the outputs are fed back (see <see cref="Decoding"/>).</para>
/// <para>Layout of s per sequence: h0 of layer 0, layer 1, …, then (with <see cref="SeedsCells"/>) c0 of each LSTM
/// layer in layer order. Without it, LSTM cells start at zero. Only forward directions are seeded.</para>
/// <para>Allocation-free after construction; one call at a time per instance.</para>
/// </remarks>
public sealed class StateSeeder
{
    private const int WeightOffset = 0;

    private readonly int _batch;
    private readonly int[] _hiddenWidth;
    private readonly int[] _cellWidth;
    private readonly float[] _vectors;
    private readonly float[] _seeded;
    private readonly float[] _seededGradient;
    private readonly float[] _derivative;
    private readonly float[] _vectorGradient;
    private readonly float[] _row;

    /// <summary>Creates a seeder for a model's state, with PyTorch's default <c>nn.Linear</c> initialisation U(±1/√F).</summary>
    /// <param name="target">The model whose initial state is seeded (a one-to-many decoder).</param>
    /// <param name="vectorSize">F, the features of one input vector; at least 1.</param>
    /// <param name="seedCells">Whether LSTM layers' c0 are seeded too (otherwise they are zero).</param>
    /// <param name="seed">Seed of the initialisation.</param>
    public StateSeeder(IRnnModel target, int vectorSize, bool seedCells = false, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (vectorSize < 1)
            throw new ArgumentOutOfRangeException(nameof(vectorSize), vectorSize, $"'{nameof(vectorSize)}' must be at least 1.");
        Target = target;
        VectorSize = vectorSize;
        SeedsCells = seedCells;
        _batch = target.BatchSize;
        _hiddenWidth = new int[target.LayerCount];
        _cellWidth = new int[target.LayerCount];
        int size = 0;
        for (int layer = 0; layer < _hiddenWidth.Length; layer++)
        {
            _hiddenWidth[layer] = StateLayout.HiddenWidth(target, layer);
            _cellWidth[layer] = StateLayout.CellWidth(target, layer);
            size += _hiddenWidth[layer] + (seedCells ? _cellWidth[layer] : 0);
        }
        SeedSize = size;

        float bound = 1f / MathF.Sqrt(vectorSize);
        Parameters = new RnnParameters(new[]
        {
            new ParameterTensor("seed.weight", new[] { size, vectorSize }, WeightOffset, ParameterRole.LinearWeight, bound),
            new ParameterTensor("seed.bias", new[] { size }, size * vectorSize, ParameterRole.LinearBias, bound),
        });
        Parameters.InitializeDefault(seed);
        _vectors = new float[_batch * vectorSize];
        _seeded = new float[_batch * size];
        _seededGradient = new float[_batch * size];
        _derivative = new float[_batch * size];
        _vectorGradient = new float[_batch * vectorSize];
        _row = new float[size];
    }

    /// <summary>The model whose initial state is seeded.</summary>
    public IRnnModel Target { get; }

    /// <summary>F, the features of one input vector.</summary>
    public int VectorSize { get; }

    /// <summary>Whether LSTM layers' c0 are seeded too.</summary>
    public bool SeedsCells { get; }

    /// <summary>S, the seeded values per sequence (the rows of <c>seed.weight</c>).</summary>
    public int SeedSize { get; }

    /// <summary>Elements in one batch of vectors, [B, F].</summary>
    public int InputLength => _batch * VectorSize;

    /// <summary><c>seed.weight</c> [S, F] and <c>seed.bias</c> [S], with their gradients.</summary>
    public RnnParameters Parameters { get; }

    /// <summary><c>seed.weight</c>, shape [S, F].</summary>
    public Span<float> Weight => Parameters.Values.Slice(WeightOffset, SeedSize * VectorSize);

    /// <summary><c>seed.bias</c>, shape [S].</summary>
    public Span<float> Bias => Parameters.Values.Slice(SeedSize * VectorSize, SeedSize);

    /// <summary>dL/dv after the latest <see cref="Backward"/>, [B, F].</summary>
    public ReadOnlySpan<float> VectorGradient => _vectorGradient;

    /// <summary>Sets the seeder's gradients to zero.</summary>
    public void ZeroGradients() => Parameters.ZeroGradients();

    /// <summary>Computes <c>s = tanh(v Wᵀ + b)</c> for a batch and writes it into the target's initial states.</summary>
    /// <param name="vectors">One vector per sequence, [B, F] (<see cref="InputLength"/> floats).</param>
    public void Forward(ReadOnlySpan<float> vectors)
    {
        if (vectors.Length != InputLength)
            throw new ArgumentException($"'{nameof(vectors)}' must have length {InputLength} (BatchSize × VectorSize) but has length {vectors.Length}.", nameof(vectors));
        vectors.CopyTo(_vectors);
        Project(vectors, _seeded, _batch);
        int offset = 0;
        for (int layer = 0; layer < _hiddenWidth.Length; layer++)
        {
            Scatter(offset, _hiddenWidth[layer], Target.InitialHidden(layer));
            offset += _hiddenWidth[layer];
        }
        for (int layer = 0; layer < _cellWidth.Length; layer++)
        {
            if (_cellWidth[layer] == 0)
                continue;
            if (SeedsCells)
            {
                Scatter(offset, _cellWidth[layer], Target.InitialCell(layer));
                offset += _cellWidth[layer];
            }
            else
            {
                Target.InitialCell(layer).Clear();
            }
        }
    }

    /// <summary>
    /// Backpropagates the target's dL/dh0 (and dL/dc0) of its latest training pass through the seeding of the latest
    /// <see cref="Forward"/>: ADDS to the gradients of <c>seed.weight</c> and <c>seed.bias</c> and writes <see cref="VectorGradient"/>.
    /// </summary>
    public void Backward()
    {
        int offset = 0;
        for (int layer = 0; layer < _hiddenWidth.Length; layer++)
        {
            Gather(Target.InitialHiddenGradient(layer), offset, _hiddenWidth[layer]);
            offset += _hiddenWidth[layer];
        }
        if (SeedsCells)
        {
            for (int layer = 0; layer < _cellWidth.Length; layer++)
            {
                if (_cellWidth[layer] == 0)
                    continue;
                Gather(Target.InitialCellGradient(layer), offset, _cellWidth[layer]);
                offset += _cellWidth[layer];
            }
        }

        // Through the tanh: dz = ds ⊙ (1 − s²), as torch's tanh_backward.
        Span<float> dz = _seededGradient;
        TensorPrimitives.Multiply(_seeded, _seeded, _derivative);
        TensorPrimitives.Subtract(1f, _derivative, _derivative);
        TensorPrimitives.Multiply(dz, _derivative, dz);
        Span<float> gradients = Parameters.Gradients;
        Gemm.MultiplyTransposedA(dz, _vectors, gradients.Slice(WeightOffset, SeedSize * VectorSize), SeedSize, VectorSize, _batch, true);
        Gemm.AccumulateColumnSums(dz, gradients.Slice(SeedSize * VectorSize, SeedSize), _batch);
        Gemm.Multiply(dz, Weight, _vectorGradient, _batch, VectorSize, SeedSize, false);
    }

    /// <summary>Seeds one stream's step state from one vector, for autoregressive generation.</summary>
    /// <typeparam name="TState">The target's step state.</typeparam>
    /// <param name="vector">The input vector, <see cref="VectorSize"/> floats.</param>
    /// <param name="state">A step state of the target model; its h (and c) are overwritten.</param>
    public void SeedState<TState>(ReadOnlySpan<float> vector, TState state) where TState : class, IRnnStepState<TState>
    {
        ArgumentNullException.ThrowIfNull(state);
        if (vector.Length != VectorSize)
            throw new ArgumentException($"'{nameof(vector)}' must have length {VectorSize} (VectorSize) but has length {vector.Length}.", nameof(vector));
        Project(vector, _row, 1);
        int offset = 0;
        for (int layer = 0; layer < _hiddenWidth.Length; layer++)
        {
            _row.AsSpan(offset, _hiddenWidth[layer]).CopyTo(state.Hidden(layer));
            offset += _hiddenWidth[layer];
        }
        for (int layer = 0; layer < _cellWidth.Length; layer++)
        {
            if (_cellWidth[layer] == 0)
                continue;
            if (SeedsCells)
            {
                _row.AsSpan(offset, _cellWidth[layer]).CopyTo(state.Cell(layer));
                offset += _cellWidth[layer];
            }
            else
            {
                state.Cell(layer).Clear();
            }
        }
    }

    private void Project(ReadOnlySpan<float> vectors, Span<float> seeded, int rows)
    {
        Gemm.MultiplyTransposedB(vectors, Weight, seeded, rows, SeedSize, VectorSize, false);
        Gemm.AddRowVector(seeded, Bias, rows);
        TensorPrimitives.Tanh(seeded, seeded);
    }

    // Copies columns [offset, offset + width) of every row of s into a [B, width] state.
    private void Scatter(int offset, int width, Span<float> state)
    {
        for (int b = 0; b < _batch; b++)
            _seeded.AsSpan(b * SeedSize + offset, width).CopyTo(state.Slice(b * width, width));
    }

    // Copies a [B, width] state gradient into columns [offset, offset + width) of every row of ds.
    private void Gather(ReadOnlySpan<float> gradient, int offset, int width)
    {
        for (int b = 0; b < _batch; b++)
            gradient.Slice(b * width, width).CopyTo(_seededGradient.AsSpan(b * SeedSize + offset, width));
    }
}
