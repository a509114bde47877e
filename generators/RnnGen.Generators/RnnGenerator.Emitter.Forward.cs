using System;
using System.Globalization;
using System.Linq;
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
            string inputType = m.Input.IsTokens ? IntSpan : ReadOnlySpan;
            string inputDoc = m.Input.IsTokens
                ? "/// <param name=\"inputs\">Token ids, [T, B] time-major (<see cref=\"InputLength\"/> ids), each below <see cref=\"VocabularySize\"/>.</param>"
                : "/// <param name=\"inputs\">Input vectors, [T, B, I] time-major (<see cref=\"InputLength\"/> floats).</param>";
            string outputDoc = m.IsEncoder
                ? ""
                : "/// <param name=\"outputs\">Receives <see cref=\"OutputLength\"/> floats" + (m.HeadOnLastStep ? ", [B, O] for each sequence's last step." : ", [T, B, O] time-major.") + "</param>";
            string summary = m.IsEncoder
                ? "/// Leaves the final states in FinalHidden/FinalCell for a decoder. Uses this instance's workspace: one call at a time."
                : c.IsClassifier
                    ? "/// Writes softmax probabilities. Uses this instance's workspace: one call at a time per instance."
                    : "/// Writes the head's outputs. Uses this instance's workspace: one call at a time per instance.";
            string outputs = m.IsEncoder ? "" : $", {Span} outputs";
            string outputsArgument = m.IsEncoder ? "" : ", outputs";

            w.Line("/// <summary>");
            w.Line("/// Runs the network over one batch of whole sequences, starting from the initial state (zero unless set).");
            w.Line(summary);
            w.Line("/// </summary>");
            w.Line(inputDoc);
            if (!m.IsEncoder)
                w.Line(outputDoc);
            using (w.Block($"public void Forward({inputType} inputs{outputs})"))
            {
                if (m.VariableLength)
                {
                    w.Line("new global::System.Span<int>(_intWorkspace, 0, BatchSize).Fill(SequenceLength);");
                    w.Line($"ForwardCore(inputs{outputsArgument});");
                }
                else
                {
                    WriteForwardBody(c);
                }
            }

            if (m.VariableLength)
            {
                w.Line();
                w.Line("/// <summary>");
                w.Line("/// Runs the network over a batch of sequences of different lengths (PyTorch's packed-sequence semantics).");
                w.Line("/// Each sequence's state stops after its last step; outputs of padded steps are zero.");
                w.Line("/// </summary>");
                w.Line(inputDoc);
                w.Line("/// <param name=\"lengths\">Steps of each sequence, <see cref=\"BatchSize\"/> values in [1, <see cref=\"SequenceLength\"/>].</param>");
                if (!m.IsEncoder)
                    w.Line(outputDoc);
                using (w.Block($"public void Forward({inputType} inputs, {IntSpan} lengths{outputs})"))
                {
                    w.Line($"{Kernels}.Sequence.ValidateLengths(lengths, BatchSize, SequenceLength);");
                    w.Line("lengths.CopyTo(new global::System.Span<int>(_intWorkspace, 0, BatchSize));");
                    w.Line($"ForwardCore(inputs{outputsArgument});");
                }
                w.Line();
                using (w.Block($"private void ForwardCore({inputType} inputs{outputs})"))
                    WriteForwardBody(c);
            }

            if (m.Input.IsTokens && !c.Layout.UsesTokenTable)
            {
                w.Line();
                w.Line(m.Input.Kind == InputKind.Embedding
                    ? "/// <summary>Looks up each token's embedding row: x[t, b] = embedding.weight[token[t, b]].</summary>"
                    : "/// <summary>Expands each token id into its one-hot vector x[t, b].</summary>");
                using (w.Block($"private {ReadOnlySpan} Encode({IntSpan} tokens)"))
                {
                    w.Line($"{Kernels}.Embedding.ValidateTokens(tokens, VocabularySize, \"inputs\");");
                    w.Line($"{Span} encoded = Workspace.Slice(EncodedInputOffset, SequenceLength * BatchSize * InputSize);");
                    w.Line(m.Input.Kind == InputKind.Embedding
                        ? $"{Kernels}.Embedding.Gather(Parameters.ReadOnlyValues.Slice(EmbeddingWeightOffset, EmbeddingWeightLength), tokens, encoded, InputSize);"
                        : $"{Kernels}.OneHot.Encode(tokens, encoded, VocabularySize);");
                    w.Line("return encoded;");
                }
            }

            w.Line();
            if (c.Layout.UsesTokenTable)
            {
                w.Line("/// <summary>Forward pass over all steps and layers into the workspace; <paramref name=\"tokens\"/> are the validated token ids [T, B].</summary>");
                w.Line($"private void RunForward({IntSpan} tokens)");
            }
            else
            {
                w.Line("/// <summary>Forward pass over all steps and layers into the workspace; <paramref name=\"x\"/> is the first layer's input [T, B, I].</summary>");
                w.Line($"private void RunForward({ReadOnlySpan} x)");
            }
            using (w.Block())
            {
                w.Line($"{Span} ws = Workspace;");
                w.Line($"{ReadOnlySpan} p = Parameters.ReadOnlyValues;");
                if (c.Layout.Layers.Any(layer => layer.Directions.Any(d => UsesPackedForward(c, d))))
                    w.Line($"{ReadOnlySpan} packed = _packedWeights.Get();");
                if (m.VariableLength)
                    w.Line($"{IntSpan} lengths = new {IntSpan}(_intWorkspace, 0, BatchSize);");
                foreach (LayerSpec layer in m.Layers)
                {
                    w.Line();
                    WriteLayerForward(c, layer);
                }
                if (!m.IsEncoder)
                {
                    w.Line();
                    WriteHeadForward(c);
                }
            }
        }

        private static void WriteForwardBody(EmitContext c)
        {
            SourceWriter w = c.Writer;
            w.Line("ValidateLength(inputs.Length, InputLength, nameof(inputs));");
            if (!c.Model.IsEncoder)
                w.Line("ValidateLength(outputs.Length, OutputLength, nameof(outputs));");
            if (c.Layout.UsesTokenTable && c.Layout.Layers[0].Directions[0].GradientOverwritesGates)
            {
                w.Line("// The pass overwrites the gate gradients that a pending InputGradient is computed from: compute it first.");
                using (w.Block("if (_inputGradientPending)"))
                {
                    w.Line("ComputeInputGradient();");
                    w.Line("_inputGradientPending = false;");
                }
            }
            WriteRunForwardCall(c);
            if (c.Model.IsEncoder)
                return;
            w.Line("Workspace.Slice(OutputOffset, OutputLength).CopyTo(outputs);");
            if (c.IsClassifier)
            {
                w.Line("global::RnnGen.Losses.Softmax(outputs, OutputSize);");
                if (c.Model.VariableLength && !c.Model.HeadOnLastStep)
                    w.Line($"{Kernels}.Sequence.ClearPadding(outputs, new {IntSpan}(_intWorkspace, 0, BatchSize), SequenceLength, OutputSize);");
            }
        }

        /// <summary>The forward call on <c>inputs</c>. Encode checks token ids; with a token table they are checked here, before any work.</summary>
        private static void WriteRunForwardCall(EmitContext c)
        {
            SourceWriter w = c.Writer;
            if (c.Layout.UsesTokenTable)
            {
                w.Line($"{Kernels}.Embedding.ValidateTokens(inputs, VocabularySize, nameof(inputs));");
                w.Line("RunForward(inputs);");
            }
            else
            {
                w.Line(c.Model.Input.IsTokens ? "RunForward(Encode(inputs));" : "RunForward(inputs);");
            }
        }

        private static void WriteLayerForward(EmitContext c, LayerSpec layer)
        {
            SourceWriter w = c.Writer;
            LayerLayout ll = c.Layout.Layers[layer.Index];
            w.Line($"// Layer {Int(layer.Index)}: {LayerTitle(layer)}.");
            foreach (string equation in Equations(layer))
                w.Line("//   " + equation);
            foreach (DirectionLayout d in ll.Directions)
                WriteDirectionForward(c, layer, d);
            if (ll.Merged >= 0)
            {
                w.Line($"// Merge the directions ({layer.Merge.ToString().ToLowerInvariant()}) into the layer output.");
                w.Line($"{Kernels}.Bidirectional.Merge({OutputRange(c, ll.Directions[0])}, {OutputRange(c, ll.Directions[1])}, ws.Slice(L{Int(layer.Index)}Merged, SequenceLength * BatchSize * {Int(layer.OutputSize)}), SequenceLength * BatchSize, {Int(layer.StateSize)}, global::RnnGen.BidirectionalMerge.{layer.Merge});");
            }
        }

        private static void WriteDirectionForward(EmitContext c, LayerSpec layer, DirectionLayout d)
        {
            SourceWriter w = c.Writer;
            string p = d.Prefix;
            string x = LayerInput(c, layer);
            int h = layer.HiddenSize, so = layer.StateSize;
            string direction = layer.Bidirectional ? (d.Reverse ? "Reverse direction, t = T-1 down to 0. " : "Forward direction. ") : "";
            string hPrevOf(StepIndex t) => Slot(p + "Hidden", p + "HiddenStride", t, d.Reverse ? 1 : 0);
            string hOutOf(StepIndex t) => Slot(p + "Hidden", p + "HiddenStride", t, d.Reverse ? 0 : 1);
            string cPrevOf(StepIndex t) => Slot(p + "Cell", p + "CellStride", t, d.Reverse ? 1 : 0);
            string cOutOf(StepIndex t) => Slot(p + "Cell", p + "CellStride", t, d.Reverse ? 0 : 1);
            void Freeze(StepIndex t)
            {
                if (!c.Model.VariableLength)
                    return;
                w.Line($"{Kernels}.Sequence.Freeze({hOutOf(t)}, {hPrevOf(t)}, lengths, {t.Plus(0)}, {Int(so)});");
                if (layer.HasCellState)
                    w.Line($"{Kernels}.Sequence.Freeze({cOutOf(t)}, {cPrevOf(t)}, lengths, {t.Plus(0)}, {Int(h)});");
            }

            switch (layer.Cell)
            {
                case CellKind.SimpleRnn:
                    {
                        string pre = OutputRange(c, d);
                        WriteInputProjection(c, layer, d, x, pre, packed: false,
                            $"// {direction}Input projection for every step in one GEMM, written straight into the outputs: x_t W_ihᵀ + b_ih + b_hh.", includeHiddenBias: true);
                        ForEachStep(c, layer, d, d.Reverse, backward: false, t =>
                        {
                            WriteStepGather(c, layer, d, t, hOutOf(t));
                            w.Line(RecurrentProduct(layer, d, t, hPrevOf(t), hOutOf(t), accumulate: true));
                            w.Line($"{Kernels}.RnnCell.Activate({hOutOf(t)}, global::RnnGen.RnnActivation.{ActivationName(layer)});");
                            Freeze(t);
                        });
                        break;
                    }
                case CellKind.Lstm:
                    {
                        string gates = $"ws.Slice({p}Gates, SequenceLength * {p}GateStride)";
                        bool packed = UsesPackedForward(c, d);
                        WriteInputProjection(c, layer, d, x, gates, packed, packed
                            ? $"// {direction}Input projection for every step from the packed W_ih: gates_t = x_t W_ihᵀ + b_ih (the step kernel adds b_hh)."
                            : $"// {direction}Input projection for every step in one GEMM: gates_t = x_t W_ihᵀ + b_ih + b_hh.", includeHiddenBias: true);
                        if (packed)
                            w.Line(PanelOrderComment);
                        ForEachStep(c, layer, d, d.Reverse, backward: false, t =>
                        {
                            string gate = Slot(p + "Gates", p + "GateStride", t, 0);
                            string cellOutput = d.WeightHr is null ? hOutOf(t) : Slot(p + "Raw", p + "CellStride", t, 0);
                            if (packed)
                            {
                                w.Line($"{Kernels}.PackedCell.LstmForward({gate}, {PackedRecurrent(d)}, {hPrevOf(t)}, {cPrevOf(t)}, {cOutOf(t)}, {cellOutput}, {Int(h)}, {Int(so)}, reversePanels: {t.Odd});");
                            }
                            else
                            {
                                WriteStepGather(c, layer, d, t, gate);
                                w.Line(RecurrentProduct(layer, d, t, hPrevOf(t), gate, accumulate: true));
                                w.Line($"{Kernels}.LstmCell.Forward({gate}, {cPrevOf(t)}, {cOutOf(t)}, {cellOutput}, {t.Batch}, {Int(h)});");
                            }
                            if (d.WeightHr is not null)
                                w.Line($"{Kernels}.Gemm.MultiplyTransposedB({cellOutput}, {Param(d.WeightHr)}, {hOutOf(t)}, {t.Batch}, {Int(so)}, {Int(h)}, false);");
                            Freeze(t);
                        });
                        break;
                    }
                case CellKind.Gru when layer.ResetAfter:
                    {
                        string gates = $"ws.Slice({p}Gates, SequenceLength * {p}GateStride)";
                        bool packed = UsesPackedForward(c, d);
                        WriteInputProjection(c, layer, d, x, gates, packed, packed
                            ? $"// {direction}Input projection for every step from the packed W_ih: gx_t = x_t W_ihᵀ + b_ih (b_hn must stay inside r ⊙ (...))."
                            : $"// {direction}Input projection for every step in one GEMM: gx_t = x_t W_ihᵀ + b_ih (b_hn must stay inside r ⊙ (...)).", includeHiddenBias: false);
                        if (packed)
                            w.Line(PanelOrderComment);
                        ForEachStep(c, layer, d, d.Reverse, backward: false, t =>
                        {
                            string gate = Slot(p + "Gates", p + "GateStride", t, 0);
                            if (packed)
                            {
                                // Backward reads only the n part of W_hh h + b_hh; r and z are consumed inside the kernel.
                                string candidate = SlotPart(p + "HiddenGates", p + "GateStride", t, 2 * h, h);
                                w.Line($"{Kernels}.PackedCell.GruForward({gate}, {candidate}, {PackedRecurrent(d)}, {hPrevOf(t)}, {hOutOf(t)}, {Int(h)}, reversePanels: {t.Odd});");
                            }
                            else
                            {
                                WriteStepGather(c, layer, d, t, gate);
                                string gh = Slot(p + "HiddenGates", p + "GateStride", t, 0);
                                w.Line(RecurrentProduct(layer, d, t, hPrevOf(t), gh, accumulate: false));
                                if (d.BiasHh is not null)
                                    w.Line($"{Kernels}.Gemm.AddRowVector({gh}, {Param(d.BiasHh)}, {t.Batch});");
                                w.Line($"{Kernels}.GruCell.Forward({gate}, {gh}, {hPrevOf(t)}, {hOutOf(t)}, {t.Batch}, {Int(h)});");
                            }
                            Freeze(t);
                        });
                        break;
                    }
                default:
                    {
                        string gates = $"ws.Slice({p}Gates, SequenceLength * {p}GateStride)";
                        WriteInputProjection(c, layer, d, x, gates, packed: false,
                            $"// {direction}Input projection for every step in one GEMM: gx_t = x_t W_ihᵀ + b_ih.", includeHiddenBias: false);
                        w.Line("// The hidden product is split: r and z read W_h{r,z} h + b_h{r,z}; n reads W_hn (r ⊙ h) + b_hn once r is known.");
                        ForEachStep(c, layer, d, d.Reverse, backward: false, t =>
                        {
                            string ghRz = Slot(p + "HiddenGates", p + "CellStride", t, 0, 2);
                            string rh = Slot(p + "ResetHidden", p + "CellStride", t, 0);
                            string ng = Slot(p + "NewGate", p + "CellStride", t, 0);
                            string gate = Slot(p + "Gates", p + "GateStride", t, 0);
                            w.Line($"{Kernels}.Gemm.MultiplyTransposedB({hPrevOf(t)}, {ParamRows(d.WeightHh, 0, 2 * h, so)}, {ghRz}, {t.Batch}, {Int(2 * h)}, {Int(so)}, false);");
                            if (d.BiasHh is not null)
                                w.Line($"{Kernels}.Gemm.AddRowVector({ghRz}, {ParamRows(d.BiasHh, 0, 2 * h, 1)}, {t.Batch});");
                            w.Line($"{Kernels}.GruResetBeforeCell.Gates({gate}, {ghRz}, {hPrevOf(t)}, {rh}, {t.Batch}, {Int(h)});");
                            w.Line($"{Kernels}.Gemm.MultiplyTransposedB({rh}, {ParamRows(d.WeightHh, 2 * h, h, so)}, {ng}, {t.Batch}, {Int(h)}, {Int(h)}, false);");
                            if (d.BiasHh is not null)
                                w.Line($"{Kernels}.Gemm.AddRowVector({ng}, {ParamRows(d.BiasHh, 2 * h, h, 1)}, {t.Batch});");
                            w.Line($"{Kernels}.GruResetBeforeCell.Output({gate}, {ng}, {hPrevOf(t)}, {hOutOf(t)}, {t.Batch}, {Int(h)});");
                            Freeze(t);
                        });
                        break;
                    }
            }
        }

        /// <summary>
        /// Packs W_hh into GEMM panels before a batched layer's time loop (see <see cref="Limits.RecurrentPanelSteps"/>):
        /// transposed for the forward product h W_hhᵀ, as stored for the backward product dgates W_hh.
        /// </summary>
        private static void WriteRecurrentPanels(EmitContext c, LayerSpec layer, DirectionLayout d, bool backward)
        {
            if (!d.PacksRecurrent)
                return;
            SourceWriter w = c.Writer;
            (int columns, int depth) = RecurrentShape(layer, backward);
            string panels = RecurrentPanels(d);
            w.Line(backward
                ? "// W_hh packed once into GEMM panels for dgates W_hh, in this thread's own buffer; every step multiplies by them."
                : "// W_hhᵀ packed once into GEMM panels for h W_hhᵀ, in this thread's own buffer; every step multiplies by them.");
            w.Line($"{Span} {panels} = {Kernels}.Gemm.ThreadPanels({Int((int)BufferLayout.GemmPanels(columns, depth))});");
            w.Line(backward
                ? $"{Kernels}.Gemm.PackB({Param(d.WeightHh)}, {panels}, {Int(layer.StateSize)}, {Int(layer.GateWidth)});"
                : $"{Kernels}.Gemm.PackTransposedB({Param(d.WeightHh)}, {panels}, {Int(layer.GateWidth)}, {Int(layer.StateSize)});");
        }

        /// <summary>
        /// A step's product with W_hh into <paramref name="target"/>, on the packed panels when the layer has them:
        /// h_{t-1} W_hhᵀ forward, dgates W_hh (always accumulated into dh_{t-1}) backward.
        /// </summary>
        private static string RecurrentProduct(LayerSpec layer, DirectionLayout d, StepIndex t, string operand, string target, bool accumulate, bool backward = false)
        {
            (int columns, int depth) = RecurrentShape(layer, backward);
            string shape = $"{t.Batch}, {Int(columns)}, {Int(depth)}, {(accumulate ? "true" : "false")}";
            if (d.PacksRecurrent)
                return $"{Kernels}.Gemm.MultiplyPacked({operand}, {RecurrentPanels(d)}, {target}, {shape});";
            return $"{Kernels}.Gemm.{(backward ? "Multiply" : "MultiplyTransposedB")}({operand}, {Param(d.WeightHh)}, {target}, {shape});";
        }

        /// <summary>The local holding a direction's packed W_hh.</summary>
        private static string RecurrentPanels(DirectionLayout d) => "panels" + d.Prefix;

        /// <summary>Columns and depth of a step's product with W_hh: G·H deep H forward, H deep G·H backward.</summary>
        private static (int Columns, int Depth) RecurrentShape(LayerSpec layer, bool backward) =>
            backward ? (layer.StateSize, layer.GateWidth) : (layer.GateWidth, layer.StateSize);

        private const string PanelOrderComment = "// Odd steps stream the packed W_hh panels last to first: each step starts on the panels the step before read last, still in L1.";

        /// <summary>Batch-1 forward passes run the recurrence on the packed kernels (larger batches use GEMMs).</summary>
        private static bool UsesPackedForward(EmitContext c, DirectionLayout d) => c.Model.BatchSize == 1 && d.PackedHh >= 0;

        /// <summary>
        /// x_t W_ihᵀ + b_ih for every step: from the packed W_ih at batch 1, gathered from the token table (see
        /// <see cref="BufferLayout.UsesTokenTable"/>), or one GEMM plus bias rows.
        /// </summary>
        private static void WriteInputProjection(EmitContext c, LayerSpec layer, DirectionLayout d, string x, string gates, bool packed,
            string comment, bool includeHiddenBias)
        {
            SourceWriter w = c.Writer;
            if (d.TokenTable >= 0)
            {
                string table = TokenTable(layer, d);
                string projected = includeHiddenBias ? "E[v] W_ihᵀ + b_ih + b_hh" : "E[v] W_ihᵀ + b_ih";
                w.Line($"// Token table: P[v] = {projected} for each of the V tokens, since x_t is row token_t of E; every step then");
                w.Line("// gathers its rows. V·G·I multiply-adds instead of T·B·G·I.");
                w.Line($"{Kernels}.Gemm.MultiplyTransposedB({Param(c.Layout.Embedding!)}, {Param(d.WeightIh)}, {table}, VocabularySize, {Int(layer.GateWidth)}, {Int(layer.InputSize)}, false);");
                WriteBiases(c, d, table, "VocabularySize", includeHiddenBias);
                if (!GathersPerStep(c, d))
                {
                    w.Line($"{Kernels}.Embedding.Gather({table}, tokens, {gates}, {Int(layer.GateWidth)});");
                }
                else if (!d.Reverse)
                {
                    w.Line("// The time loop gathers each step's rows right before its recurrent product adds to them, so they are read");
                    w.Line("// from cache rather than written for all steps first and read back from memory; it reads the ids from here.");
                    w.Line($"tokens.CopyTo(new global::System.Span<int>(_intWorkspace, {Int(c.Layout.TokenIds)}, InputLength));");
                }
                return;
            }
            w.Line(comment);
            if (packed)
            {
                w.Line($"{Kernels}.PackedCell.ProjectInputs(packed.Slice({d.Prefix}PackedIh, {d.Prefix}PackedIhLength), {x}, {gates}, SequenceLength * BatchSize, {Int(layer.GateCount)}, {Int(layer.HiddenSize)}, {Int(layer.InputSize)});");
                return;
            }
            w.Line($"{Kernels}.Gemm.MultiplyTransposedB({x}, {Param(d.WeightIh)}, {gates}, SequenceLength * BatchSize, {Int(layer.GateWidth)}, {Int(layer.InputSize)}, false);");
            WriteBiases(c, d, gates, "SequenceLength * BatchSize", includeHiddenBias);
        }

        /// <summary>Whether a direction's banded forward loop gathers each step's rows of the token table itself (<see cref="BufferLayout.TokenIds"/>).</summary>
        private static bool GathersPerStep(EmitContext c, DirectionLayout d) => d.TokenTable >= 0 && c.Layout.TokenIds >= 0 && d.Banded;

        /// <summary>Step <paramref name="t"/>'s rows of the band, x_t W_ihᵀ + biases, gathered from the token table into <paramref name="target"/>.</summary>
        private static void WriteStepGather(EmitContext c, LayerSpec layer, DirectionLayout d, StepIndex t, string target)
        {
            if (!GathersPerStep(c, d))
                return;
            string table = TokenTable(layer, d, "Workspace");
            string step = t.Plus(0) == "0" ? "first" : $"{t.Plus(0)} * BatchSize + first";
            string start = c.Layout.TokenIds == 0 ? step : $"{Int(c.Layout.TokenIds)} + {step}";
            string ids = $"new {IntSpan}(_intWorkspace, {start}, rows)";
            c.Writer.Line($"{Kernels}.Embedding.Gather({table}, {ids}, {target}, {Int(layer.GateWidth)});");
        }

        /// <summary>The first layer's [V][G·H] token table of a direction (P in the forward pass, dP in the backward pass).</summary>
        /// <param name="workspace">The expression for the workspace: the local <c>ws</c>, or <c>Workspace</c> in a band method.</param>
        private static string TokenTable(LayerSpec layer, DirectionLayout d, string workspace = "ws") =>
            $"{workspace}.Slice({d.Prefix}TokenTable, VocabularySize * {Int(layer.GateWidth)})";

        private static string PackedRecurrent(DirectionLayout d) => $"packed.Slice({d.Prefix}PackedHh, {d.Prefix}PackedHhLength)";

        private static void WriteBiases(EmitContext c, DirectionLayout d, string target, string rows, bool includeHiddenBias)
        {
            if (d.BiasIh is not null)
                c.Writer.Line($"{Kernels}.Gemm.AddRowVector({target}, {Param(d.BiasIh)}, {rows});");
            if (includeHiddenBias && d.BiasHh is not null)
                c.Writer.Line($"{Kernels}.Gemm.AddRowVector({target}, {Param(d.BiasHh)}, {rows});");
        }

        private static void WriteHeadForward(EmitContext c)
        {
            ModelSpec m = c.Model;
            SourceWriter w = c.Writer;
            string y = "ws.Slice(OutputOffset, OutputLength)";
            int width = m.TopLayer.OutputSize;
            if (!m.HeadOnLastStep)
            {
                w.Line("// Head on every step in one GEMM: y_t = h_t W_headᵀ + b_head.");
                WriteGemmHead(c, LayerOutput(c, m.TopLayer), y, "SequenceLength * BatchSize", width);
                if (m.VariableLength)
                    w.Line($"{Kernels}.Sequence.ClearPadding({y}, lengths, SequenceLength, OutputSize);");
            }
            else
            {
                if (m.TopLayer.Bidirectional)
                {
                    LayerLayout top = c.Layout.Layers[m.TopLayer.Index];
                    w.Line("// Head on the final states (many-to-one): y = merge(h_n forward, h_n reverse) W_headᵀ + b_head.");
                    w.Line($"{Kernels}.Bidirectional.Merge({FinalState(c, top.Directions[0])}, {FinalState(c, top.Directions[1])}, {FinalMerged(c)}, BatchSize, {Int(m.TopLayer.StateSize)}, global::RnnGen.BidirectionalMerge.{m.TopLayer.Merge});");
                }
                else
                {
                    w.Line("// Head on the final state (many-to-one): y = h_n W_headᵀ + b_head.");
                }
                WriteGemmHead(c, HeadInputLastStep(c), y, "BatchSize", width);
            }
        }

        // y = x W_headᵀ + b_head over `rows` rows of `width` inputs: one GEMM, then the bias on every row.
        private static void WriteGemmHead(EmitContext c, string input, string output, string rows, int width)
        {
            c.Writer.Line($"{Kernels}.Gemm.MultiplyTransposedB({input}, {Param(c.Layout.HeadWeight)}, {output}, {rows}, OutputSize, {Int(width)}, false);");
            c.Writer.Line($"{Kernels}.Gemm.AddRowVector({output}, {Param(c.Layout.HeadBias)}, {rows});");
        }

        private static string FinalMerged(EmitContext c) =>
            $"ws.Slice(L{Int(c.Model.TopLayer.Index)}FinalMerged, BatchSize * {Int(c.Model.TopLayer.OutputSize)})";

        private static string HeadInputLastStep(EmitContext c) =>
            c.Model.TopLayer.Bidirectional ? FinalMerged(c) : FinalState(c, c.Layout.Layers[c.Model.TopLayer.Index].Directions[0]);

        /// <summary>h_n of a direction: slot T forward, slot 0 reverse.</summary>
        private static string FinalState(EmitContext c, DirectionLayout d, string buffer = "Hidden") =>
            $"ws.Slice({SlotStart(d.Prefix + buffer, FinalSlot(c, d), d.Prefix + "HiddenStride")}, {d.Prefix}HiddenStride)";

        /// <summary>Start of slot <paramref name="slot"/> of a buffer, without a "+ 0 *" term for slot 0.</summary>
        private static string SlotStart(string buffer, int slot, string stride) =>
            slot == 0 ? buffer : $"{buffer} + {Int(slot)} * {stride}";

        /// <summary>h_t for every t, contiguous: slots 1..T forward, 0..T-1 reverse.</summary>
        private static string OutputRange(EmitContext c, DirectionLayout d, string buffer = "Hidden") =>
            d.Reverse
                ? $"ws.Slice({d.Prefix}{buffer}, SequenceLength * {d.Prefix}HiddenStride)"
                : $"ws.Slice({d.Prefix}{buffer} + {d.Prefix}HiddenStride, SequenceLength * {d.Prefix}HiddenStride)";

        /// <summary>h_{t-1} for every t (the recurrent inputs): slots 0..T-1 forward, 1..T reverse.</summary>
        private static string PreviousRange(EmitContext c, DirectionLayout d) =>
            d.Reverse
                ? $"ws.Slice({d.Prefix}Hidden + {d.Prefix}HiddenStride, SequenceLength * {d.Prefix}HiddenStride)"
                : $"ws.Slice({d.Prefix}Hidden, SequenceLength * {d.Prefix}HiddenStride)";

        /// <summary>What the layer above (or the head) reads for every step.</summary>
        private static string LayerOutput(EmitContext c, LayerSpec layer)
        {
            LayerLayout ll = c.Layout.Layers[layer.Index];
            return ll.Merged >= 0
                ? $"ws.Slice(L{Int(layer.Index)}Merged, SequenceLength * BatchSize * {Int(layer.OutputSize)})"
                : OutputRange(c, ll.Directions[0]);
        }

        private static string LayerOutputGradient(EmitContext c, LayerSpec layer)
        {
            LayerLayout ll = c.Layout.Layers[layer.Index];
            return ll.MergedGradient >= 0
                ? $"ws.Slice(L{Int(layer.Index)}MergedGradient, SequenceLength * BatchSize * {Int(layer.OutputSize)})"
                : OutputRange(c, ll.Directions[0], "HiddenGradient");
        }

        /// <summary>The first layer reads the model input; each later layer reads the layer below's output.</summary>
        private static string LayerInput(EmitContext c, LayerSpec layer) =>
            layer.Index == 0 ? "x" : LayerOutput(c, c.Model.Layers[layer.Index - 1]);

        private static string[] Equations(LayerSpec layer) => layer.Cell switch
        {
            CellKind.Lstm => layer.ProjectionSize > 0
                ? new[]
                {
                    "Gates in PyTorch order i, f, g, o (rows of W_ih and W_hh):",
                    "i_t = σ(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)",
                    "f_t = σ(W_if x_t + b_if + W_hf h_{t-1} + b_hf)",
                    "g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)",
                    "o_t = σ(W_io x_t + b_io + W_ho h_{t-1} + b_ho)",
                    "c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t",
                    "h_t = W_hr (o_t ⊙ tanh(c_t))",
                }
                : new[]
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
                layer.ResetAfter
                    ? "n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn))"
                    : "n_t = tanh(W_in x_t + b_in + W_hn (r_t ⊙ h_{t-1}) + b_hn)",
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

        /// <summary>Rows [first, first + count) of a row-major parameter with <paramref name="columns"/> columns.</summary>
        private static string ParamRows(ParameterSlot slot, int first, int count, int columns, string block = "p") =>
            first == 0
                ? $"{block}.Slice({slot.PropertyName}Offset, {Int(count * columns)})"
                : $"{block}.Slice({slot.PropertyName}Offset + {Int(first * columns)}, {Int(count * columns)})";

        /// <summary>
        /// Slot <c>t + shift</c> of a per-step buffer, <paramref name="strides"/> strides wide. Unrolled steps give a
        /// literal index, so each slice is a constant expression the JIT folds; looped steps give <c>t + shift</c>.
        /// </summary>
        private static string Slot(string buffer, string stride, StepIndex t, int shift, int strides = 1)
        {
            string width = strides == 1 ? stride : $"{Int(strides)} * {stride}";
            return Block(t, StepStart(buffer, width, t.Plus(shift)), width);
        }

        /// <summary>
        /// The <c>[BatchSize, width / BatchSize]</c> block at <paramref name="start"/>: all of it, or inside a band method
        /// (see <see cref="ForEachStep"/>) only the band's rows.
        /// </summary>
        private static string Block(StepIndex t, string start, string width) =>
            t.Banded ? $"BandRows({start}, {width}, first, rows)" : $"ws.Slice({start}, {width})";

        /// <summary>Elements [offset, offset + length) of slot <c>t + 0</c> of a per-step buffer.</summary>
        private static string SlotPart(string buffer, string stride, StepIndex t, int offset, int length) =>
            $"ws.Slice({StepStart(buffer, stride, t.Plus(0))} + {Int(offset)}, {Int(length)})";

        /// <summary>Start of slot <paramref name="index"/> of a buffer whose slots are <paramref name="width"/> apart.</summary>
        private static string StepStart(string buffer, string width, string index) =>
            index == "0" ? buffer : $"{buffer} + {index} * {width}";

        /// <summary>
        /// Writes <paramref name="body"/> for every time step, unrolled or as a loop (see <see cref="Limits.UnrollBudget"/>).
        /// When the direction's steps run on the packed recurrent panels (<see cref="DirectionLayout.Banded"/>) they go into a method of
        /// their own, <c>L{k}ForwardSteps</c> or <c>L{k}BackwardSteps</c>, over a band of batch rows: rows never read one another, so
        /// <c>KernelThreading.ForEachBatchBand</c> can run the whole time loop as one band per thread, handing work over
        /// once instead of at every step's product and cell.
        /// </summary>
        /// <remarks>
        /// The packed W_hh the steps multiply by is packed first, by the thread that runs them (a band packs its own).
        /// </remarks>
        /// <param name="backward">Whether the loop runs back through time (W_hh packed as stored, not transposed).</param>
        private static void ForEachStep(EmitContext c, LayerSpec layer, DirectionLayout d, bool reverse, bool backward, Action<StepIndex> body)
        {
            SourceWriter w = c.Writer;
            bool banded = d.Banded;
            if (!banded)
            {
                WriteRecurrentPanels(c, layer, d, backward);
                WriteSteps(c, reverse, banded, body);
                return;
            }
            string bandMethod = d.Prefix + (backward ? "BackwardSteps" : "ForwardSteps");
            string direction = layer.Bidirectional ? (d.Reverse ? " reverse direction" : " forward direction") : "";
            string bandSummary = $"Layer {Int(layer.Index)}{direction}: {(backward ? "back through time" : "the forward time loop")}";
            // The recurrent products' operations decide whether splitting pays (KernelThreading.MinimumParallelFlops).
            long flops = 2L * c.Model.SequenceLength * c.Model.BatchSize * layer.GateWidth * layer.StateSize;
            w.Line($"// Batch rows never read one another: the time loop runs in bands of rows, one per thread under KernelThreading.Enable ({bandMethod}).");
            w.Line($"RunStepBands({Int(c.BandLoops.Count)}, {flops.ToString(CultureInfo.InvariantCulture)}L);");
            SourceWriter.Diversion diversion = w.Divert(0);
            using (diversion)
            {
                WriteRecurrentPanels(c, layer, d, backward);
                WriteSteps(c, reverse, banded, body);
            }
            c.BandLoops.Add(new BandLoop(bandMethod, bandSummary, diversion.Text));
        }

        private static void WriteSteps(EmitContext c, bool reverse, bool banded, Action<StepIndex> body)
        {
            SourceWriter w = c.Writer;
            int steps = c.Model.SequenceLength;
            if (c.Unrolled)
            {
                for (int i = 0; i < steps; i++)
                {
                    int t = reverse ? steps - 1 - i : i;
                    w.Line($"// t = {Int(t)}");
                    body(new StepIndex(t, banded));
                }
                return;
            }
            string header = reverse ? "for (int t = SequenceLength - 1; t >= 0; t--)" : "for (int t = 0; t < SequenceLength; t++)";
            using (w.Block(header))
                body(new StepIndex(null, banded));
        }

        /// <summary>
        /// Writes the band methods that <see cref="ForEachStep"/> collected, the <c>RunStepBands</c> dispatcher and the
        /// <c>BandRows</c> slicer they use.
        /// </summary>
        private static void WriteStepBands(EmitContext c)
        {
            SourceWriter w = c.Writer;
            string model = c.Model.Type.Name;
            w.Line("/// <summary>Runs time loop <paramref name=\"loop\"/> over the batch in bands of rows (see <see cref=\"global::RnnGen.Kernels.KernelThreading.ForEachBatchBand\"/>).</summary>");
            using (w.Block("private void RunStepBands(int loop, long flops)"))
            {
                w.Line("var bands = new StepBands(this, loop);");
                w.Line($"{Kernels}.KernelThreading.ForEachBatchBand(ref bands, BatchSize, flops);");
            }
            w.Line();
            w.Line("/// <summary>Rows [first, first + count) of the [BatchSize, stride / BatchSize] workspace block at <paramref name=\"offset\"/>.</summary>");
            w.Line($"private {Span} BandRows(int offset, int stride, int first, int count) => new {Span}(_workspace, _workspaceStart + offset + first * (stride / BatchSize), count * (stride / BatchSize));");
            w.Line();
            w.Line("/// <summary>One of the time loops, as a job over bands of batch rows.</summary>");
            using (w.Block($"private readonly struct StepBands : {Kernels}.KernelThreading.IBatchBandJob"))
            {
                w.Line($"private readonly {model} _model;");
                w.Line("private readonly int _loop;");
                w.Line();
                using (w.Block($"public StepBands({model} model, int loop)"))
                {
                    w.Line("_model = model;");
                    w.Line("_loop = loop;");
                }
                w.Line();
                using (w.Block("public void Run(int first, int rows)"))
                {
                    using (w.Block("switch (_loop)"))
                    {
                        for (int i = 0; i < c.BandLoops.Count; i++)
                        {
                            w.Line($"case {Int(i)}:");
                            w.Indent();
                            w.Line($"_model.{c.BandLoops[i].Method}(first, rows);");
                            w.Line("break;");
                            w.Unindent();
                        }
                    }
                }
            }
            foreach (BandLoop loop in c.BandLoops)
            {
                w.Line();
                w.Line($"/// <summary>{loop.Summary}, for batch rows [first, first + rows).</summary>");
                // Every banded step reads the workspace through BandRows and the packed W_hh it packs from p; variable
                // lengths are sliced to the band's rows.
                using (w.Block($"private void {loop.Method}(int first, int rows)"))
                {
                    w.Line($"{ReadOnlySpan} p = Parameters.ReadOnlyValues;");
                    if (c.Model.VariableLength)
                        w.Line($"{IntSpan} lengths = new {IntSpan}(_intWorkspace, first, rows);");
                    foreach (string line in loop.Steps.TrimEnd('\n').Split('\n'))
                    {
                        if (line.Length == 0)
                            w.Line();
                        else
                            w.Line(line);
                    }
                }
            }
        }

        /// <summary>A time step: a literal when unrolled, the loop variable <c>t</c> otherwise.</summary>
        private readonly struct StepIndex
        {
            private readonly int? _literal;

            public StepIndex(int? literal, bool banded)
            {
                _literal = literal;
                Banded = banded;
            }

            /// <summary>Whether the step is written inside a band method, over batch rows [first, first + rows).</summary>
            public bool Banded { get; }

            /// <summary>The rows a step's kernels run on.</summary>
            public string Batch => Banded ? "rows" : "BatchSize";

            /// <summary>Whether the step is odd, when the packed kernels stream their panels last to first (see <see cref="PanelOrderComment"/>).</summary>
            public string Odd => _literal is int t ? (t % 2 == 1 ? "true" : "false") : "(t & 1) != 0";

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
