using RnnGen.Generators.Helpers;
using RnnGen.Generators.Model;

namespace RnnGen.Generators;

public sealed partial class RnnGenerator
{
    internal static partial class Emitter
    {
        private static void WriteStep(EmitContext c)
        {
            ModelSpec m = c.Model;
            SourceWriter w = c.Writer;
            bool tokens = m.Input.Kind == InputKind.Embedding;

            // Per stream: h (and c) of every layer, then per-layer scratch for the gate pre-activations.
            var hidden = new int[m.Layers.Count];
            var cell = new int[m.Layers.Count];
            var gates = new int[m.Layers.Count];
            var hiddenGates = new int[m.Layers.Count];
            int size = 0;
            foreach (LayerSpec layer in m.Layers)
            {
                hidden[layer.Index] = size;
                size += layer.HiddenSize;
                cell[layer.Index] = layer.HasCellState ? size : -1;
                size += layer.HasCellState ? layer.HiddenSize : 0;
            }
            int stateLength = size;
            foreach (LayerSpec layer in m.Layers)
            {
                gates[layer.Index] = size;
                size += layer.GateWidth;
                hiddenGates[layer.Index] = layer.Cell == CellKind.Gru ? size : -1;
                size += layer.Cell == CellKind.Gru ? layer.GateWidth : 0;
            }

            w.Line("/// <summary>");
            w.Line("/// Recurrent state of one stream for <see cref=\"Step\"/>: the hidden (and LSTM cell) state of every layer plus");
            w.Line("/// scratch space. Owned by the caller; one model's weights serve any number of states on any number of threads.");
            w.Line("/// </summary>");
            using (w.Block("public sealed class StepState"))
            {
                w.Line($"internal const int StateLength = {Int(stateLength)};");
                w.Line($"internal readonly float[] Buffer = new float[{Int(size)}];");
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
                w.Line("/// <summary>The whole recurrent state as one vector (every layer's h, then c for LSTM layers), for saving or inspection.</summary>");
                w.Line($"public {Span} Values => new global::System.Span<float>(Buffer, 0, StateLength);");
                w.Line();
                w.Line("/// <summary>Hidden state h of a layer.</summary>");
                w.Line("/// <param name=\"layer\">Layer index.</param>");
                w.Line($"public {Span} Hidden(int layer) => layer switch");
                w.Line("{");
                w.Indent();
                foreach (LayerSpec layer in m.Layers)
                    w.Line($"{Int(layer.Index)} => new global::System.Span<float>(Buffer, {Int(hidden[layer.Index])}, {Int(layer.HiddenSize)}),");
                w.Line($"_ => throw new global::System.ArgumentOutOfRangeException(nameof(layer), layer, \"Layer must be 0 to {Int(m.Layers.Count - 1)}.\"),");
                w.Unindent();
                w.Line("};");
                if (c.HasLstm)
                {
                    w.Line();
                    w.Line("/// <summary>Cell state c of an LSTM layer.</summary>");
                    w.Line("/// <param name=\"layer\">Layer index of an LSTM layer.</param>");
                    w.Line($"public {Span} Cell(int layer) => layer switch");
                    w.Line("{");
                    w.Indent();
                    foreach (LayerSpec layer in m.Layers)
                    {
                        if (layer.HasCellState)
                            w.Line($"{Int(layer.Index)} => new global::System.Span<float>(Buffer, {Int(cell[layer.Index])}, {Int(layer.HiddenSize)}),");
                    }
                    w.Line($"_ => throw new global::System.ArgumentOutOfRangeException(nameof(layer), layer, \"Cell exists for LSTM layers: {LayerList(c, l => l.HasCellState)}.\"),");
                    w.Unindent();
                    w.Line("};");
                }
            }

            w.Line();
            w.Line("/// <summary>Creates a zero state for <see cref=\"Step\"/>.</summary>");
            w.Line("public StepState CreateState() => new StepState();");
            w.Line();
            w.Line("/// <summary>");
            w.Line("/// Advances one stream by one time step: reads its input, updates <paramref name=\"state\"/> in place and writes");
            w.Line(c.IsClassifier ? "/// the head's softmax probabilities. Allocates nothing; safe to call concurrently with different states."
                                  : "/// the head's outputs. Allocates nothing; safe to call concurrently with different states.");
            w.Line("/// </summary>");
            w.Line("/// <param name=\"state\">The stream's state, from <see cref=\"CreateState\"/>.</param>");
            w.Line(tokens ? "/// <param name=\"token\">Input token id, below <see cref=\"VocabularySize\"/>.</param>"
                          : "/// <param name=\"input\">Input vector of <see cref=\"InputSize\"/> floats.</param>");
            w.Line("/// <param name=\"output\">Receives <see cref=\"OutputSize\"/> floats.</param>");
            using (w.Block(tokens
                ? $"public void Step(StepState state, int token, {Span} output)"
                : $"public void Step(StepState state, {ReadOnlySpan} input, {Span} output)"))
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
                w.Line("ValidateLength(output.Length, OutputSize, nameof(output));");
                w.Line($"{Span} s = state.Buffer;");
                w.Line($"{ReadOnlySpan} p = Parameters.Values;");
                if (tokens)
                    w.Line($"{ReadOnlySpan} input = p.Slice({c.Layout.Parameters[0].PropertyName}Offset + token * InputSize, InputSize);");
                foreach (LayerSpec layer in m.Layers)
                {
                    LayerLayout ll = c.Layout.Layers[layer.Index];
                    int hd = layer.HiddenSize, gw = layer.GateWidth;
                    string x = layer.Index == 0 ? "input" : $"s.Slice({Int(hidden[layer.Index - 1])}, {Int(m.Layers[layer.Index - 1].HiddenSize)})";
                    string h = $"s.Slice({Int(hidden[layer.Index])}, {Int(hd)})";
                    string g = $"s.Slice({Int(gates[layer.Index])}, {Int(gw)})";
                    w.Line();
                    w.Line($"// Layer {Int(layer.Index)}: {CellTitle(layer)}.");
                    w.Line($"{Kernels}.Gemm.MultiplyTransposedB({x}, {Param(ll.WeightIh)}, {g}, 1, {Int(gw)}, {Int(layer.InputSize)}, false);");
                    if (ll.BiasIh is not null)
                        w.Line($"{Kernels}.Gemm.AddRowVector({g}, {Param(ll.BiasIh)}, 1);");
                    switch (layer.Cell)
                    {
                        case CellKind.SimpleRnn:
                            w.Line($"{Kernels}.Gemm.MultiplyTransposedB({h}, {Param(ll.WeightHh)}, {g}, 1, {Int(gw)}, {Int(hd)}, true);");
                            if (ll.BiasHh is not null)
                                w.Line($"{Kernels}.Gemm.AddRowVector({g}, {Param(ll.BiasHh)}, 1);");
                            w.Line($"{Kernels}.RnnCell.Activate({g}, global::RnnGen.RnnActivation.{ActivationName(layer)});");
                            w.Line($"{g}.CopyTo({h});");
                            break;
                        case CellKind.Lstm:
                            string cs = $"s.Slice({Int(cell[layer.Index])}, {Int(hd)})";
                            w.Line($"{Kernels}.Gemm.MultiplyTransposedB({h}, {Param(ll.WeightHh)}, {g}, 1, {Int(gw)}, {Int(hd)}, true);");
                            if (ll.BiasHh is not null)
                                w.Line($"{Kernels}.Gemm.AddRowVector({g}, {Param(ll.BiasHh)}, 1);");
                            w.Line("// The cell reads c and h element by element before overwriting them, so the update is in place.");
                            w.Line($"{Kernels}.LstmCell.Forward({g}, {cs}, {cs}, {h}, 1, {Int(hd)});");
                            break;
                        case CellKind.Gru:
                            string gh = $"s.Slice({Int(hiddenGates[layer.Index])}, {Int(gw)})";
                            w.Line($"{Kernels}.Gemm.MultiplyTransposedB({h}, {Param(ll.WeightHh)}, {gh}, 1, {Int(gw)}, {Int(hd)}, false);");
                            if (ll.BiasHh is not null)
                                w.Line($"{Kernels}.Gemm.AddRowVector({gh}, {Param(ll.BiasHh)}, 1);");
                            w.Line($"{Kernels}.GruCell.Forward({g}, {gh}, {h}, {h}, 1, {Int(hd)});");
                            break;
                    }
                }
                w.Line();
                w.Line("// Head: y = h W_headᵀ + b_head.");
                w.Line($"{Kernels}.Gemm.MultiplyTransposedB(s.Slice({Int(hidden[m.TopLayer.Index])}, {Int(m.TopLayer.HiddenSize)}), {Param(c.Layout.HeadWeight)}, output, 1, OutputSize, {Int(m.TopLayer.HiddenSize)}, false);");
                w.Line($"{Kernels}.Gemm.AddRowVector(output, {Param(c.Layout.HeadBias)}, 1);");
                if (c.IsClassifier)
                    w.Line("global::RnnGen.Losses.Softmax(output, OutputSize);");
            }
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
