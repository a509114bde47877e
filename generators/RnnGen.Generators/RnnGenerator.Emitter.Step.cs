using System.Collections.Generic;
using System.Linq;
using RnnGen.Generators.Helpers;
using RnnGen.Generators.Model;

namespace RnnGen.Generators;

public sealed partial class RnnGenerator
{
    internal static partial class Emitter
    {
        /// <summary>Where one layer's streaming state and scratch sit in a <c>StepState</c> buffer.</summary>
        private sealed class StepSlots
        {
            public int Hidden, Cell = -1, Gates, HiddenGates = -1, ResetHidden = -1, NewGate = -1, Raw = -1;
        }

        private static void WriteStep(EmitContext c)
        {
            ModelSpec m = c.Model;
            SourceWriter w = c.Writer;
            bool tokens = m.Input.IsTokens;

            // Per stream: h (and c) of every layer, then scratch for gate pre-activations (and a one-hot input).
            var slots = new StepSlots[m.Layers.Count];
            int size = 0;
            foreach (LayerSpec layer in m.Layers)
            {
                var s = new StepSlots { Hidden = size };
                size += layer.StateSize;
                if (layer.HasCellState)
                {
                    s.Cell = size;
                    size += layer.HiddenSize;
                }
                slots[layer.Index] = s;
            }
            int stateLength = size;
            bool packedLayers = m.Layers.Any(layer => layer.HasPackedKernel);
            foreach (LayerSpec layer in m.Layers)
            {
                StepSlots s = slots[layer.Index];
                if (layer.HasPackedKernel)
                {
                    // The packed kernels keep the gates in registers; scratch holds only the new state (or, when
                    // projecting, the cell output the projection reads).
                    if (layer.ProjectionSize > 0)
                        s.Raw = size;
                    else
                        s.Gates = size;
                    size += layer.HiddenSize;
                    continue;
                }
                s.Gates = size;
                size += layer.GateWidth;
                if (layer.ResetBefore)
                {
                    s.HiddenGates = size;
                    s.ResetHidden = size + 2 * layer.HiddenSize;
                    s.NewGate = size + 3 * layer.HiddenSize;
                    size += 4 * layer.HiddenSize;
                }
            }
            int oneHot = size;
            if (m.Input.Kind == InputKind.OneHot)
                size += m.Input.Size;


            w.Line("/// <summary>");
            w.Line("/// Recurrent state of one stream for <see cref=\"Step\"/>: the hidden (and LSTM cell) state of every layer plus");
            w.Line("/// scratch space. Owned by the caller; one model's weights serve any number of states on any number of threads.");
            w.Line("/// </summary>");
            using (w.Block("public sealed class StepState : global::RnnGen.IRnnStepState<StepState>"))
            {
                w.Line($"internal const int StateLength = {Int(stateLength)};");
                w.Line($"internal readonly float[] Buffer = new float[{Int(size)}];");
                if (packedLayers)
                {
                    w.Line();
                    w.Line("/// <summary>The packed kernels' panel order for this stream's next step; it flips every step (not state: results are the same either way).</summary>");
                    w.Line("internal bool ReversePanels;");
                }
                w.Line();
                w.Line("/// <summary>Zeroes the state, starting a new stream.</summary>");
                w.Line("public void Reset() => global::System.Array.Clear(Buffer, 0, StateLength);");
                w.Line();
                w.Line("/// <summary>Overwrites this state with <paramref name=\"source\"/>'s.</summary>");
                using (w.Block("public void CopyFrom(StepState source)"))
                {
                    w.Line("global::System.ArgumentNullException.ThrowIfNull(source);");
                    w.Line("global::System.Array.Copy(source.Buffer, Buffer, StateLength);");
                }
                w.Line();
                w.Line("/// <summary>A new state equal to this one, for forking a stream.</summary>");
                using (w.Block("public StepState Clone()"))
                {
                    w.Line("var clone = new StepState();");
                    w.Line("clone.CopyFrom(this);");
                    w.Line("return clone;");
                }
                w.Line();
                w.Line("/// <summary>The whole recurrent state as one vector (each layer's h, then c for LSTM layers), for saving or inspection.</summary>");
                w.Line($"public {Span} Values => new {Span}(Buffer, 0, StateLength);");
                WriteStateView(c, "Hidden", "Hidden state h of a layer.", slots, l => true, (l, s) => (s.Hidden, l.StateSize));
                WriteStateView(c, "Cell", "Cell state c of an LSTM layer.", slots, l => l.HasCellState, (l, s) => (s.Cell, l.HiddenSize));
            }

            w.Line();
            w.Line("/// <summary>Creates a zero state for <see cref=\"Step\"/>.</summary>");
            w.Line("public StepState CreateState() => new StepState();");
            if (!m.IsEncoder)
            {
                w.Line();
                w.Line($"int global::RnnGen.{(tokens ? "IRnnTokenStream" : "IRnnVectorStream")}<StepState>.StepOutputSize => OutputSize;");
            }
            w.Line();
            w.Line("/// <summary>");
            w.Line("/// Advances one stream by one time step: reads its input, updates <paramref name=\"state\"/> in place and writes");
            w.Line(m.IsEncoder ? "/// nothing else (an encoder has no head). Allocates nothing; safe to call concurrently with different states."
                : c.IsClassifier ? "/// the head's softmax probabilities. Allocates nothing; safe to call concurrently with different states."
                : "/// the head's outputs. Allocates nothing; safe to call concurrently with different states.");
            w.Line("/// </summary>");
            w.Line("/// <param name=\"state\">The stream's state, from <see cref=\"CreateState\"/>.</param>");
            w.Line(tokens ? "/// <param name=\"token\">Input token id, below <see cref=\"VocabularySize\"/>.</param>"
                          : "/// <param name=\"input\">Input vector of <see cref=\"InputSize\"/> floats.</param>");
            if (!m.IsEncoder)
                w.Line("/// <param name=\"output\">Receives <see cref=\"OutputSize\"/> floats.</param>");
            string output = m.IsEncoder ? "" : $", {Span} output";
            using (w.Block(tokens
                ? $"public void Step(StepState state, int token{output})"
                : $"public void Step(StepState state, {ReadOnlySpan} input{output})"))
            {
                w.Line("global::System.ArgumentNullException.ThrowIfNull(state);");
                if (tokens)
                {
                    w.Line("if ((uint)token >= VocabularySize)");
                    w.Line("    throw new global::System.ArgumentOutOfRangeException(nameof(token), token, \"Token ids must be in [0, \" + VocabularySize + \").\");");
                }
                else
                {
                    w.Line("ValidateLength(input.Length, InputSize, nameof(input));");
                }
                if (!m.IsEncoder)
                    w.Line("ValidateLength(output.Length, OutputSize, nameof(output));");
                w.Line($"{Span} s = state.Buffer;");
                w.Line($"{ReadOnlySpan} p = Parameters.ReadOnlyValues;");
                if (packedLayers || c.Layout.HeadPacked >= 0)
                    w.Line($"{ReadOnlySpan} packed = _packedWeights.Get();");
                if (packedLayers)
                {
                    w.Line("// The panel order alternates: each step starts on the packed panels the step before read last, still in L1.");
                    w.Line("bool reversePanels = state.ReversePanels;");
                    w.Line("state.ReversePanels = !reversePanels;");
                }
                if (m.Input.Kind == InputKind.Embedding)
                {
                    w.Line($"{ReadOnlySpan} input = p.Slice(EmbeddingWeightOffset + token * InputSize, InputSize);");
                }
                else if (m.Input.Kind == InputKind.OneHot)
                {
                    w.Line($"{Span} input = s.Slice({Int(oneHot)}, InputSize);");
                    w.Line("input.Clear();");
                    w.Line("input[token] = 1f;");
                }
                foreach (LayerSpec layer in m.Layers)
                    WriteLayerStep(c, layer, slots);
                if (m.IsEncoder)
                    return;
                w.Line();
                string top = $"s.Slice({Int(slots[m.TopLayer.Index].Hidden)}, {Int(m.TopLayer.StateSize)})";
                if (c.Layout.HeadPacked >= 0)
                {
                    w.Line("// Head: y = W_head h + b_head, each output the bias plus eight partial sums from the packed copy.");
                    w.Line($"{Kernels}.PackedCell.Dense(packed.Slice(HeadPacked, HeadPackedLength), {top}, output, OutputSize, {Int(m.TopLayer.StateSize)});");
                }
                else
                {
                    w.Line("// Head: y = h W_headᵀ + b_head (too large to pay for a packed copy).");
                    WriteGemmHead(c, top, "output", "1", m.TopLayer.StateSize);
                }
                if (c.IsClassifier)
                    w.Line("global::RnnGen.Losses.Softmax(output, OutputSize);");
            }
        }

        private static void WriteLayerStep(EmitContext c, LayerSpec layer, StepSlots[] slots)
        {
            SourceWriter w = c.Writer;
            DirectionLayout d = c.Layout.Layers[layer.Index].Directions[0];
            StepSlots s = slots[layer.Index];
            int h = layer.HiddenSize, gw = layer.GateWidth, so = layer.StateSize;
            string x = layer.Index == 0 ? "input" : $"s.Slice({Int(slots[layer.Index - 1].Hidden)}, {Int(c.Model.Layers[layer.Index - 1].StateSize)})";
            string hs = $"s.Slice({Int(s.Hidden)}, {Int(so)})";
            w.Line();
            w.Line($"// Layer {Int(layer.Index)}: {CellTitle(layer)}.");
            if (layer.HasPackedKernel)
            {
                WritePackedLayerStep(c, layer, d, s, x, hs);
                return;
            }
            string g = $"s.Slice({Int(s.Gates)}, {Int(gw)})";
            w.Line($"{Kernels}.Gemm.MultiplyTransposedB({x}, {Param(d.WeightIh)}, {g}, 1, {Int(gw)}, {Int(layer.InputSize)}, false);");
            if (d.BiasIh is not null)
                w.Line($"{Kernels}.Gemm.AddRowVector({g}, {Param(d.BiasIh)}, 1);");
            switch (layer.Cell)
            {
                case CellKind.SimpleRnn:
                    w.Line($"{Kernels}.Gemm.MultiplyTransposedB({hs}, {Param(d.WeightHh)}, {g}, 1, {Int(gw)}, {Int(so)}, true);");
                    if (d.BiasHh is not null)
                        w.Line($"{Kernels}.Gemm.AddRowVector({g}, {Param(d.BiasHh)}, 1);");
                    w.Line($"{Kernels}.RnnCell.Activate({g}, global::RnnGen.RnnActivation.{ActivationName(layer)});");
                    w.Line($"{g}.CopyTo({hs});");
                    break;
                default:
                    {
                        string ghRz = $"s.Slice({Int(s.HiddenGates)}, {Int(2 * h)})";
                        string rh = $"s.Slice({Int(s.ResetHidden)}, {Int(h)})";
                        string ng = $"s.Slice({Int(s.NewGate)}, {Int(h)})";
                        w.Line($"{Kernels}.Gemm.MultiplyTransposedB({hs}, {ParamRows(d.WeightHh, 0, 2 * h, so)}, {ghRz}, 1, {Int(2 * h)}, {Int(so)}, false);");
                        if (d.BiasHh is not null)
                            w.Line($"{Kernels}.Gemm.AddRowVector({ghRz}, {ParamRows(d.BiasHh, 0, 2 * h, 1)}, 1);");
                        w.Line($"{Kernels}.GruResetBeforeCell.Gates({g}, {ghRz}, {hs}, {rh}, 1, {Int(h)});");
                        w.Line($"{Kernels}.Gemm.MultiplyTransposedB({rh}, {ParamRows(d.WeightHh, 2 * h, h, so)}, {ng}, 1, {Int(h)}, {Int(h)}, false);");
                        if (d.BiasHh is not null)
                            w.Line($"{Kernels}.Gemm.AddRowVector({ng}, {ParamRows(d.BiasHh, 2 * h, h, 1)}, 1);");
                        w.Line($"{Kernels}.GruResetBeforeCell.Output({g}, {ng}, {hs}, {hs}, 1, {Int(h)});");
                        break;
                    }
            }
        }

        // The new state goes to scratch first: every unit reads the whole previous h, so it cannot be updated in place.
        private static void WritePackedLayerStep(EmitContext c, LayerSpec layer, DirectionLayout d, StepSlots s, string x, string hs)
        {
            SourceWriter w = c.Writer;
            int h = layer.HiddenSize;
            string ih = $"packed.Slice({d.Prefix}PackedIh, {d.Prefix}PackedIhLength)";
            string hh = $"packed.Slice({d.Prefix}PackedHh, {d.Prefix}PackedHhLength)";
            if (layer.Cell == CellKind.Lstm)
            {
                string cs = $"s.Slice({Int(s.Cell)}, {Int(h)})";
                string output = d.WeightHr is null ? $"s.Slice({Int(s.Gates)}, {Int(h)})" : $"s.Slice({Int(s.Raw)}, {Int(h)})";
                w.Line($"{Kernels}.PackedCell.LstmStep({ih}, {x}, {hh}, {hs}, {cs}, {output}, {Int(layer.InputSize)}, {Int(h)}, {Int(layer.StateSize)}, reversePanels);");
                if (d.WeightHr is null)
                    w.Line($"{output}.CopyTo({hs});");
                else
                    w.Line($"{Kernels}.Gemm.MultiplyTransposedB({output}, {Param(d.WeightHr)}, {hs}, 1, {Int(layer.StateSize)}, {Int(h)}, false);");
                return;
            }
            string next = $"s.Slice({Int(s.Gates)}, {Int(h)})";
            w.Line($"{Kernels}.PackedCell.GruStep({ih}, {x}, {hh}, {hs}, {next}, {Int(layer.InputSize)}, {Int(h)}, reversePanels);");
            w.Line($"{next}.CopyTo({hs});");
        }

        private delegate (int Offset, int Length) StateSlice(LayerSpec layer, StepSlots slots);

        private static void WriteStateView(EmitContext c, string name, string summary, StepSlots[] slots, System.Func<LayerSpec, bool> applies, StateSlice slice)
        {
            var arms = new List<(int Index, string View)>();
            foreach (LayerSpec layer in c.Model.Layers)
            {
                if (!applies(layer))
                    continue;
                (int offset, int length) = slice(layer, slots[layer.Index]);
                arms.Add((layer.Index, $"new {Span}(Buffer, {Int(offset)}, {Int(length)})"));
            }
            WriteLayerSwitch(c.Writer, name, summary, "Layer index.", arms);
        }

        private static void WriteValidation(EmitContext c)
        {
            SourceWriter w = c.Writer;
            using (w.Block("private static void ValidateLength(int actual, int expected, string name)"))
            {
                w.Line("if (actual != expected)");
                w.Line("    throw new global::System.ArgumentException(name + \" must hold exactly \" + expected + \" elements; it holds \" + actual + \".\", name);");
            }
        }
    }
}
