namespace RnnGen.Generators;

/// <summary>Names of the tracked pipeline steps; the incrementality tests collect every constant here by reflection.</summary>
public static class TrackingNames
{
    /// <summary>Attributed classes parsed into a model and diagnostics.</summary>
    public const string Parse = "RnnGen.Parse";

    /// <summary>Valid models only; cached unless the network itself changes.</summary>
    public const string Models = "RnnGen.Models";

    /// <summary>Diagnostics only, reported from their own output.</summary>
    public const string Diagnostics = "RnnGen.Diagnostics";
}
