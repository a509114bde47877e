using System;
using RnnGen.Generators.Helpers;
using RnnGen.Generators.Model;

namespace RnnGen.Generators;

public sealed partial class RnnGenerator
{
    internal static partial class Emitter
    {
        private static void WriteForward(EmitContext c)
        {
            ModelSpec m = c.Model;
            SourceWriter w = c.Writer;
            bool tokens = m.Input.Kind == InputKind.Embedding;
            string inputType = tokens ? "global::System.ReadOnlySpan<int>" : ReadOnlySpan;

            w.Line("/// <summary>");
            w.Line("/// Runs the network over one batch of whole sequences, starting from the initial state (zero unless set).");
            w.Line(c.IsClassifier
                ? "/// Writes softmax probabilities. Uses this instance's workspace: one call at a time per instance."
                : "/// Writes the head's outputs. Uses this instance's workspace: one call at a time per instance.");
            w.Line("/// </summary>");
            w.Line(tokens
                ? "/// <param name=\"inputs\">Token ids, [T, B] time-major (<see cref=\"InputLength\"/> ids), each below <see cref=\"VocabularySize\"/>.</param>"
                : "/// <param name=\"inputs\">Input vectors, [T, B, I] time-major (<see cref=\"InputLength\"/> floats).</param>");
            w.Line("/// <param name=\"outputs\">Receives <see cref=\"OutputLength\"/> floats" + (m.Head.Steps == HeadSteps.AllSteps ? ", [T, B, O] time-major." : ", [B, O] for the last step.") + "</param>");
            using (w.Block($"public void Forward({inputType} inputs, {Span} outputs)"))
            {
                w.Line("ValidateLength(inputs.Length, InputLength, nameof(inputs));");
                w.Line("ValidateLength(outputs.Length, OutputLength, nameof(outputs));");
                w.Line(tokens ? "RunForward(Embed(inputs));" : "RunForward(inputs);");
                w.Line("new global::System.Span<float>(_workspace, OutputOffset, OutputLength).CopyTo(outputs);");
                if (c.IsClassifier)
                    w.Line("global::RnnGen.Losses.Softmax(outputs, OutputSize);");
            }

            if (tokens)
            {
                w.Line();
                w.Line("/// <summary>Looks up each token's embedding row: x[t, b] = embedding.weight[token[t, b]].</summary>");
                using (w.Block($"private {ReadOnlySpan} Embed(global::System.ReadOnlySpan<int> tokens)"))
                {
                    w.Line($"{Span} embedded = new global::System.Span<float>(_workspace, EmbeddedInputOffset, SequenceLength * BatchSize * InputSize);");
                    w.Line($"{Kernels}.Embedding.Gather(Parameters.Values.Slice({c.Layout.Parameters[0].PropertyName}Offset, {c.Layout.Parameters[0].PropertyName}Length), tokens, embedded, InputSize);");
                    w.Line("return embedded;");
                }
            }

            w.Line();
            w.Line("/// <summary>Forward pass over all steps and layers into the workspace; <paramref name=\"x\"/> is the first layer's input [T, B, I].</summary>");
            using (w.Block($"private void RunForward({ReadOnlySpan} x)"))
            {
                w.Line($"{Span} ws = _workspace;");
                w.Line($"{ReadOnlySpan} p = Parameters.Values;");
                foreach (LayerSpec layer in m.Layers)
                {
                    w.Line();
                    WriteLayerForward(c, layer);
                }
                w.Line();
                WriteHeadForward(c);
            }
        }

        private static void WriteLayerForward(EmitContext c, LayerSpec layer)
        {
            SourceWriter w = c.Writer;
            LayerLayout ll = c.Layout.Layers[layer.Index];
            string p = "L" + Int(layer.Index);
            string x = LayerInput(c, layer);
            w.Line($"// Layer {Int(layer.Index)}: {CellTitle(layer)}, {Int(layer.InputSize)} -> {Int(layer.HiddenSize)}.");
            foreach (string equation in Equations(layer))
                w.Line("//   " + equation);

            string rows = "SequenceLength * BatchSize";
            string weightIh = Param(ll.WeightIh);
            string weightHh = Param(ll.WeightHh);
            switch (layer.Cell)
            {
                case CellKind.SimpleRnn:
                    {
                        string pre = $"ws.Slice({p}Hidden + {p}StateStride, SequenceLength * {p}StateStride)";
                        w.Line("// Input projection for every step in one GEMM, written straight into h[1..T]: x_t W_ihᵀ + b_ih + b_hh.");
                        w.Line($"{Kernels}.Gemm.MultiplyTransposedB({x}, {weightIh}, {pre}, {rows}, {Int(layer.GateWidth)}, {Int(layer.InputSize)}, false);");
                        WriteBiases(c, ll, pre, rows, includeHiddenBias: true);
                        ForEachStep(c, reverse: false, t =>
                        {
                            string hPrev = Slot(p + "Hidden", p + "StateStride", t, 0);
                            string h = Slot(p + "Hidden", p + "StateStride", t, 1);
                            w.Line($"{Kernels}.Gemm.MultiplyTransposedB({hPrev}, {weightHh}, {h}, BatchSize, {Int(layer.GateWidth)}, {Int(layer.HiddenSize)}, true);");
                            w.Line($"{Kernels}.RnnCell.Activate({h}, global::RnnGen.RnnActivation.{ActivationName(layer)});");
                        });
                        break;
                    }
                case CellKind.Lstm:
                    {
                        string gates = $"ws.Slice({p}Gates, SequenceLength * {p}GateStride)";
                        w.Line("// Input projection for every step in one GEMM: gates_t = x_t W_ihᵀ + b_ih + b_hh.");
                        w.Line($"{Kernels}.Gemm.MultiplyTransposedB({x}, {weightIh}, {gates}, {rows}, {Int(layer.GateWidth)}, {Int(layer.InputSize)}, false);");
                        WriteBiases(c, ll, gates, rows, includeHiddenBias: true);
                        ForEachStep(c, reverse: false, t =>
                        {
                            string gate = Slot(p + "Gates", p + "GateStride", t, 0);
                            w.Line($"{Kernels}.Gemm.MultiplyTransposedB({Slot(p + "Hidden", p + "StateStride", t, 0)}, {weightHh}, {gate}, BatchSize, {Int(layer.GateWidth)}, {Int(layer.HiddenSize)}, true);");
                            w.Line($"{Kernels}.LstmCell.Forward({gate}, {Slot(p + "Cell", p + "StateStride", t, 0)}, {Slot(p + "Cell", p + "StateStride", t, 1)}, {Slot(p + "Hidden", p + "StateStride", t, 1)}, BatchSize, {Int(layer.HiddenSize)});");
                        });
                        break;
                    }
                case CellKind.Gru:
                    {
                        string gates = $"ws.Slice({p}Gates, SequenceLength * {p}GateStride)";
                        w.Line("// Input projection for every step in one GEMM: gx_t = x_t W_ihᵀ + b_ih (b_hn must stay inside r ⊙ (...)).");
                        w.Line($"{Kernels}.Gemm.MultiplyTransposedB({x}, {weightIh}, {gates}, {rows}, {Int(layer.GateWidth)}, {Int(layer.InputSize)}, false);");
                        WriteBiases(c, ll, gates, rows, includeHiddenBias: false);
                        ForEachStep(c, reverse: false, t =>
                        {
                            string gh = Slot(p + "HiddenGates", p + "GateStride", t, 0);
                            w.Line($"{Kernels}.Gemm.MultiplyTransposedB({Slot(p + "Hidden", p + "StateStride", t, 0)}, {weightHh}, {gh}, BatchSize, {Int(layer.GateWidth)}, {Int(layer.HiddenSize)}, false);");
                            if (ll.BiasHh is not null)
                                w.Line($"{Kernels}.Gemm.AddRowVector({gh}, {Param(ll.BiasHh)}, BatchSize);");
                            w.Line($"{Kernels}.GruCell.Forward({Slot(p + "Gates", p + "GateStride", t, 0)}, {gh}, {Slot(p + "Hidden", p + "StateStride", t, 0)}, {Slot(p + "Hidden", p + "StateStride", t, 1)}, BatchSize, {Int(layer.HiddenSize)});");
                        });
                        break;
                    }
            }
        }

        private static void WriteBiases(EmitContext c, LayerLayout ll, string target, string rows, bool includeHiddenBias)
        {
            if (ll.BiasIh is not null)
                c.Writer.Line($"{Kernels}.Gemm.AddRowVector({target}, {Param(ll.BiasIh)}, {rows});");
            if (includeHiddenBias && ll.BiasHh is not null)
                c.Writer.Line($"{Kernels}.Gemm.AddRowVector({target}, {Param(ll.BiasHh)}, {rows});");
        }

        private static void WriteHeadForward(EmitContext c)
        {
            ModelSpec m = c.Model;
            SourceWriter w = c.Writer;
            string top = "L" + Int(m.TopLayer.Index);
            string y = "ws.Slice(OutputOffset, OutputLength)";
            if (m.Head.Steps == HeadSteps.AllSteps)
            {
                w.Line("// Head on every step in one GEMM: y_t = h_t W_headᵀ + b_head.");
                w.Line($"{Kernels}.Gemm.MultiplyTransposedB({TopHiddenAllSteps(c)}, {Param(c.Layout.HeadWeight)}, {y}, SequenceLength * BatchSize, OutputSize, {Int(m.TopLayer.HiddenSize)}, false);");
                w.Line($"{Kernels}.Gemm.AddRowVector({y}, {Param(c.Layout.HeadBias)}, SequenceLength * BatchSize);");
            }
            else
            {
                w.Line("// Head on the last step only (many-to-one): y = h_T W_headᵀ + b_head.");
                w.Line($"{Kernels}.Gemm.MultiplyTransposedB(ws.Slice({top}Hidden + SequenceLength * {top}StateStride, {top}StateStride), {Param(c.Layout.HeadWeight)}, {y}, BatchSize, OutputSize, {Int(m.TopLayer.HiddenSize)}, false);");
                w.Line($"{Kernels}.Gemm.AddRowVector({y}, {Param(c.Layout.HeadBias)}, BatchSize);");
            }
        }

        private static string TopHiddenAllSteps(EmitContext c)
        {
            string top = "L" + Int(c.Model.TopLayer.Index);
            return $"ws.Slice({top}Hidden + {top}StateStride, SequenceLength * {top}StateStride)";
        }

        /// <summary>The first layer reads the model input; each later layer reads h[1..T] of the layer below.</summary>
        private static string LayerInput(EmitContext c, LayerSpec layer)
        {
            if (layer.Index == 0)
                return "x";
            string below = "L" + Int(layer.Index - 1);
            return $"ws.Slice({below}Hidden + {below}StateStride, SequenceLength * {below}StateStride)";
        }

        private static string[] Equations(LayerSpec layer) => layer.Cell switch
        {
            CellKind.Lstm => new[]
            {
                "Gates in PyTorch order i, f, g, o (rows of W_ih and W_hh):",
                "i_t = σ(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)",
                "f_t = σ(W_if x_t + b_if + W_hf h_{t-1} + b_hf)",
                "g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)",
                "o_t = σ(W_io x_t + b_io + W_ho h_{t-1} + b_ho)",
                "c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t",
                "h_t = o_t ⊙ tanh(c_t)",
            },
            CellKind.Gru => new[]
            {
                "Gates in PyTorch order r, z, n (rows of W_ih and W_hh):",
                "r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)",
                "z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)",
                "n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn))",
                "h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}",
            },
            _ => new[]
            {
                $"h_t = {(layer.Activation == Activation.Relu ? "relu" : "tanh")}(W_ih x_t + b_ih + W_hh h_{{t-1}} + b_hh)",
            },
        };

        private static string ActivationName(LayerSpec layer) => layer.Activation == Activation.Relu ? "Relu" : "Tanh";

        /// <summary>A parameter tensor as a slice of the block <c>p</c> (or the gradient block <c>g</c>).</summary>
        private static string Param(ParameterSlot slot, string block = "p") => $"{block}.Slice({slot.PropertyName}Offset, {slot.PropertyName}Length)";

        /// <summary>
        /// Slot <c>t + shift</c> of a per-step buffer. Unrolled steps give a literal index, so each slice is a constant
        /// expression the JIT folds; looped steps give <c>t + shift</c> over the same constant stride.
        /// </summary>
        private static string Slot(string buffer, string stride, StepIndex t, int shift)
        {
            string index = t.Plus(shift);
            return index == "0" ? $"ws.Slice({buffer}, {stride})" : $"ws.Slice({buffer} + {index} * {stride}, {stride})";
        }

        /// <summary>Writes <paramref name="body"/> for every time step, unrolled or as a loop (see <see cref="Limits.UnrollBudget"/>).</summary>
        private static void ForEachStep(EmitContext c, bool reverse, Action<StepIndex> body)
        {
            SourceWriter w = c.Writer;
            int steps = c.Model.SequenceLength;
            if (c.Unrolled)
            {
                for (int i = 0; i < steps; i++)
                {
                    int t = reverse ? steps - 1 - i : i;
                    w.Line($"// t = {Int(t)}");
                    body(new StepIndex(t));
                }
                return;
            }
            string header = reverse ? "for (int t = SequenceLength - 1; t >= 0; t--)" : "for (int t = 0; t < SequenceLength; t++)";
            using (w.Block(header))
                body(new StepIndex(null));
        }

        /// <summary>A time step: a literal when unrolled, the loop variable <c>t</c> otherwise.</summary>
        private readonly struct StepIndex
        {
            private readonly int? _literal;

            public StepIndex(int? literal) => _literal = literal;

            public string Plus(int shift)
            {
                if (_literal is int t)
                    return Int(t + shift);
                return shift switch
                {
                    0 => "t",
                    > 0 => $"(t + {Int(shift)})",
                    _ => $"(t - {Int(-shift)})",
                };
            }
        }
    }
}
