using System;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Threading;

namespace RnnGen.Kernels;

/// <summary>
/// A copy of some of a model's parameters in a kernel's layout (see <see cref="PackedCell"/>), packed on first use
/// and packed again whenever <see cref="RnnParameters.Version"/> says the values may have changed since.
/// </summary>
/// <remarks>
/// Readers on any number of threads share one copy. Repacking happens under a lock, and a reader only sees the copy
/// once the version it was packed from is published, so a step never reads a half-packed buffer unless the
/// parameters are written while steps run, which is a data race on the parameters themselves.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public sealed class PackedWeights
{
    /// <summary>Writes the packed copy of <paramref name="parameters"/> into <paramref name="packed"/>.</summary>
    /// <param name="parameters">The whole parameter block.</param>
    /// <param name="packed">The packed buffer, of the length given to the constructor.</param>
    public delegate void Packer(ReadOnlySpan<float> parameters, Span<float> packed);

    private readonly RnnParameters _parameters;
    private readonly Packer _pack;
    private readonly int _length;

    private readonly Lock _gate = new();
    private float[]? _packed;
    private int _start;
    private long _packedVersion = -1;

    /// <summary>Creates an empty cache; nothing is allocated or packed until the first <see cref="Get"/>.</summary>
    /// <param name="parameters">The parameters the copy is made from.</param>
    /// <param name="length">Floats of the packed copy.</param>
    /// <param name="pack">Fills the copy from the parameter block.</param>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/> or <paramref name="pack"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is not positive.</exception>
    public PackedWeights(RnnParameters parameters, int length, Packer pack)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(pack);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        _parameters = parameters;
        _length = length;
        _pack = pack;
    }

    /// <summary>
    /// The packed copy of the current parameter values. The first call allocates the buffer; a call after the
    /// parameters may have changed repacks it in place (O(parameters), no allocation).
    /// </summary>
    public ReadOnlySpan<float> Get()
    {
        float[]? packed = Volatile.Read(ref _packed);
        if (packed is not null && Volatile.Read(ref _packedVersion) == _parameters.Version)
            return packed.AsSpan(_start, _length);
        return Repack();
    }

    private Span<float> Repack()
    {
        lock (_gate)
        {
            // Read the version before packing: a change made while packing leaves the versions unequal, so the
            // next call packs again instead of trusting a copy that may predate the change.
            long version = _parameters.Version;
            if (_packed is null)
                Allocate();
            Span<float> packed = _packed.AsSpan(_start, _length);
            // Readers compare against the already-advanced parameter version, so the old copy's version cannot match
            // while this one is being written.
            if (_packedVersion != version)
            {
                _pack(_parameters.ReadOnlyValues, packed);
                Volatile.Write(ref _packedVersion, version);
            }
            return packed;
        }
    }

    // The kernels stream 32-byte vectors through the copy; at the wrong offset of an array every other load straddles
    // two cache lines (measured: a batch-1 LSTM H=64 step 1.5× slower), so the copy starts on a cache line, and a large
    // one on a huge page (AlignedBuffer.AllocateStreamed).
    [MemberNotNull(nameof(_packed))]
    private void Allocate()
    {
        float[] buffer = AlignedBuffer.AllocateStreamed(_length, out _start);
        Volatile.Write(ref _packed, buffer);
    }
}
