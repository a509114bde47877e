using System;

namespace RnnGen.Sequences;

/// <summary>Per-layer state shapes of a generated model, read through <see cref="IRnnModel"/>.</summary>
internal static class StateLayout
{
    /// <summary>Whether a layer carries an LSTM cell state.</summary>
    /// <remarks><see cref="IRnnModel"/> has no per-layer query for this; its cell accessors throw
    /// <see cref="ArgumentOutOfRangeException"/> for layers without a cell, which is the documented contract.</remarks>
    internal static bool HasCell(IRnnModel model, int layer)
    {
        try
        {
            _ = model.InitialCell(layer);
            return true;
        }
        catch (ArgumentOutOfRangeException)
        {
            return false;
        }
    }

    /// <summary>Width of a layer's hidden state (h), per sequence.</summary>
    internal static int HiddenWidth(IRnnModel model, int layer) => model.InitialHidden(layer).Length / model.BatchSize;

    /// <summary>Width of a layer's cell state (c), per sequence; 0 when the layer has none.</summary>
    internal static int CellWidth(IRnnModel model, int layer) =>
        HasCell(model, layer) ? model.InitialCell(layer).Length / model.BatchSize : 0;
}
