using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RnnGen.Kernels;

/// <summary>
/// The one switch for the 512-bit kernel paths: the GEMM pair tiles, the packed input projection's gate pairs and the
/// 512-bit activations in the fused cell rows. Each repeats its 256-bit twin operation for operation, so results are
/// bit-identical whichever runs.
/// </summary>
internal static class WideVectors
{
    /// <summary>
    /// Whether the 512-bit paths run. The runtime reports <see cref="Vector512"/> as accelerated only where 512-bit
    /// instructions do not slow the core down (and <c>DOTNET_EnableAVX512=0</c> turns them off for testing).
    /// </summary>
    public static readonly bool IsAccelerated = Vector512.IsHardwareAccelerated && Avx512F.IsSupported;
}
