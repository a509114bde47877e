namespace RnnGen;

/// <summary>The safetensors element types this library reads and writes.</summary>
internal static class SafeTensorDType
{
    internal const string F32 = "F32";
    internal const string F16 = "F16";
    internal const string BF16 = "BF16";
    internal const string F64 = "F64";
    internal const string I64 = "I64";
    internal const string I32 = "I32";

    internal const string SupportedList = "F32, F16, BF16, F64, I64, I32";

    /// <summary>Bytes per element, or 0 for a type this library does not read.</summary>
    internal static int SizeOf(string dtype) => dtype switch
    {
        F32 => 4,
        F16 => 2,
        BF16 => 2,
        F64 => 8,
        I64 => 8,
        I32 => 4,
        _ => 0,
    };

    internal static bool IsFloatingPoint(string dtype) => dtype is F32 or F16 or BF16 or F64;

    internal static bool IsInteger(string dtype) => dtype is I64 or I32;
}
