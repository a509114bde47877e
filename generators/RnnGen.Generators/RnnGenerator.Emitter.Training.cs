using RnnGen.Generators.Helpers;
using RnnGen.Generators.Model;

namespace RnnGen.Generators;

public sealed partial class RnnGenerator
{
    internal static partial class Emitter
    {
        private static void WriteTraining(EmitContext c)
        {
            ModelSpec m = c.Model;
            SourceWriter w = c.Writer;
            bool tokens = m.Input.IsTokens;
            string inputType = tokens ? IntSpan : ReadOnlySpan;
            string targetType = c.IsClassifier ? IntSpan : ReadOnlySpan;
            string[] docs =
            {
                tokens ? "/// <param name=\"inputs\">Token ids, [T, B] time-major.</param>" : "/// <param name=\"inputs\">Input vectors, [T, B, I] time-major.</param>",
                c.IsClassifier
                    ? "/// <param name=\"targets\">Class id per output row (<see cref=\"TargetLength\"/> ids); <see cref=\"global::RnnGen.Losses.IgnoreIndex\"/> skips a row.</param>"
                    : "/// <param name=\"targets\">Target values shaped like the outputs (<see cref=\"TargetLength\"/> floats).</param>",
                c.IsClassifier
                    ? "/// <returns>Mean softmax cross-entropy over the non-ignored rows, as PyTorch's <c>CrossEntropyLoss</c>.</returns>"
                    : "/// <returns>Mean squared error over all outputs, as PyTorch's <c>MSELoss</c>.</returns>",
            };

            if (m.IsEncoder)
            {
                WriteEncoderBackward(c);
            }
            else
            {
                WriteComputeGradients(c, docs, inputType, targetType);
            }

            w.Line();
            w.Line(tokens
                ? "/// <summary>Gradient of the latest training loss with respect to the encoded inputs (embedded or one-hot), [T, B, I] time-major.</summary>"
                : "/// <summary>Gradient of the latest training loss with respect to the inputs, [T, B, I] time-major.</summary>");
            if (c.Layout.UsesTokenTable)
                WriteDeferredInputGradient(c);
            else
                w.Line($"public global::System.ReadOnlySpan<float> InputGradient => Workspace.Slice(InputGradientOffset, SequenceLength * BatchSize * InputSize);");

            w.Line();
            w.Line("/// <summary>Backpropagation through time from dL/dy (already in the workspace) down to the parameters and inputs.</summary>");
            using (w.Block(c.Layout.UsesTokenTable
                ? $"private void RunBackward({IntSpan} tokens)"
                : m.Input.Kind == InputKind.Embedding
                    ? $"private void RunBackward({ReadOnlySpan} x, {IntSpan} tokens)"
                    : $"private void RunBackward({ReadOnlySpan} x)"))
            {
                w.Line($"{Span} ws = Workspace;");
                w.Line($"{ReadOnlySpan} p = Parameters.ReadOnlyValues;");
                w.Line($"{Span} g = Parameters.Gradients;");
                if (!m.IsEncoder)
                    w.Line($"{ReadOnlySpan} dy = ws.Slice(OutputGradientOffset, OutputLength);");
                if (m.VariableLength)
                    w.Line($"{IntSpan} lengths = new {IntSpan}(_intWorkspace, 0, BatchSize);");
                w.Line();
                if (m.IsEncoder)
                {
                    w.Line("// No head: the top layer's outputs get no gradient of their own; only the final states do (below).");
                    w.Line($"{LayerOutputGradient(c, m.TopLayer)}.Clear();");
                }
                else
                {
                    WriteHeadBackward(c);
                }
                for (int i = m.Layers.Count - 1; i >= 0; i--)
                {
                    w.Line();
                    WriteLayerBackward(c, m.Layers[i]);
                }
                if (c.Layout.UsesTokenTable)
                {
                    w.Line();
                    w.Line("// dx is computed when InputGradient is first read (the embedding gradient came from dP above).");
                    w.Line("_inputGradientPending = true;");
                }
                else if (m.Input.Kind == InputKind.Embedding)
                {
                    w.Line();
                    w.Line("// Embedding rows receive the gradient of every position that looked them up.");
                    w.Line($"{Kernels}.Embedding.ScatterAdd(ws.Slice(InputGradientOffset, SequenceLength * BatchSize * InputSize), tokens, {Param(c.Layout.Embedding!, "g")}, InputSize);");
                }
            }
        }

        /// <summary>
        /// With a token table the training pass needs no dx: the embedding gradient is dP W_ih over V rows. InputGradient
        /// still promises dx = dgates W_ih, so it is computed on the first read after each backward pass, from the dgates
        /// left in the workspace and the copy of W_ih taken then.
        /// </summary>
        private static void WriteDeferredInputGradient(EmitContext c)
        {
            SourceWriter w = c.Writer;
            LayerSpec layer = c.Model.Layers[0];
            w.Line("/// <remarks>Computed on the first read after each backward pass (the training pass itself needs no dx), from that pass's gate gradients and weights.</remarks>");
            using (w.Block("public global::System.ReadOnlySpan<float> InputGradient"))
            {
                using (w.Block("get"))
                {
                    using (w.Block("if (_inputGradientPending)"))
                    {
                        w.Line("ComputeInputGradient();");
                        w.Line("_inputGradientPending = false;");
                    }
                    w.Line("return Workspace.Slice(InputGradientOffset, SequenceLength * BatchSize * InputSize);");
                }
            }
            w.Line();
            w.Line("private bool _inputGradientPending;");
            w.Line();
            w.Line("/// <summary>dx = dgates W_ih for every position" + (layer.Bidirectional ? ", summed over both directions" : "") + ", with W_ih as of the latest backward pass.</summary>");
            using (w.Block("private void ComputeInputGradient()"))
            {
                w.Line($"{Span} ws = Workspace;");
                DirectionLayout[] directions = c.Layout.Layers[0].Directions;
                for (int i = 0; i < directions.Length; i++)
                {
                    string p = directions[i].Prefix;
                    w.Line($"{Kernels}.Gemm.Multiply(ws.Slice({p}GatesGradient, SequenceLength * {p}GateStride), ws.Slice({p}InputWeightCopy, {Int(layer.GateWidth * layer.InputSize)}), ws.Slice(InputGradientOffset, SequenceLength * BatchSize * InputSize), SequenceLength * BatchSize, InputSize, {Int(layer.GateWidth)}, {(i > 0 ? "true" : "false")});");
                }
            }
        }

        private static void WriteEncoderBackward(EmitContext c)
        {
            ModelSpec m = c.Model;
            SourceWriter w = c.Writer;
            w.Line("/// <summary>");
            w.Line("/// Backpropagation through time for the latest <see cref=\"Forward\"/>, driven only by the gradients placed in");
            w.Line("/// <see cref=\"FinalHiddenGradient\"/> (and <see cref=\"FinalCellGradient\"/>): a decoder's dL/dh0. Gradients are ADDED");
            w.Line("/// to <see cref=\"Parameters\"/>.");
            w.Line("/// </summary>");
            w.Line(m.Input.IsTokens
                ? "/// <param name=\"inputs\">The token ids given to the latest Forward.</param>"
                : "/// <param name=\"inputs\">The inputs given to the latest Forward.</param>");
            using (w.Block($"public void Backward({(m.Input.IsTokens ? IntSpan : ReadOnlySpan)} inputs)"))
            {
                w.Line("ValidateLength(inputs.Length, InputLength, nameof(inputs));");
                w.Line(c.Layout.UsesTokenTable ? "RunBackward(inputs);" : m.Input.Kind switch
                {
                    InputKind.Embedding => "RunBackward(Workspace.Slice(EncodedInputOffset, SequenceLength * BatchSize * InputSize), inputs);",
                    InputKind.OneHot => "RunBackward(Workspace.Slice(EncodedInputOffset, SequenceLength * BatchSize * InputSize));",
                    _ => "RunBackward(inputs);",
                });
            }
        }

        private static void WriteComputeGradients(EmitContext c, string[] docs, string inputType, string targetType)
        {
            ModelSpec m = c.Model;
            SourceWriter w = c.Writer;
            w.Line("/// <summary>");
            w.Line("/// One training pass: forward over the batch, the loss, then backpropagation through time. Gradients are");
            w.Line("/// ADDED to <see cref=\"Parameters\"/> (call <see cref=\"ZeroGradients\"/> between optimiser steps), and the");
            w.Line("/// gradients with respect to the initial state and the inputs are left in the workspace.");
            w.Line("/// </summary>");
            foreach (string doc in docs)
                w.Line(doc);
            using (w.Block($"public float ComputeGradients({inputType} inputs, {targetType} targets)"))
            {
                if (m.VariableLength)
                {
                    w.Line("new global::System.Span<int>(_intWorkspace, 0, BatchSize).Fill(SequenceLength);");
                    w.Line("return ComputeGradientsCore(inputs, targets);");
                }
                else
                {
                    WriteTrainingBody(c);
                }
            }

            if (m.VariableLength)
            {
                w.Line();
                w.Line("/// <summary>");
                w.Line("/// One training pass over sequences of different lengths (PyTorch's packed-sequence semantics): state stops");
                w.Line("/// after each sequence's last step and the loss ignores padded steps. Gradients are ADDED to <see cref=\"Parameters\"/>.");
                w.Line("/// </summary>");
                w.Line(docs[0]);
                w.Line("/// <param name=\"lengths\">Steps of each sequence, <see cref=\"BatchSize\"/> values in [1, <see cref=\"SequenceLength\"/>].</param>");
                w.Line(docs[1]);
                w.Line(c.IsClassifier
                    ? "/// <returns>Mean softmax cross-entropy over the valid, non-ignored rows.</returns>"
                    : "/// <returns>Mean squared error over the valid rows' outputs.</returns>");
                using (w.Block($"public float ComputeGradients({inputType} inputs, {IntSpan} lengths, {targetType} targets)"))
                {
                    w.Line($"{Kernels}.Sequence.ValidateLengths(lengths, BatchSize, SequenceLength);");
                    w.Line("lengths.CopyTo(new global::System.Span<int>(_intWorkspace, 0, BatchSize));");
                    w.Line("return ComputeGradientsCore(inputs, targets);");
                }
                w.Line();
                using (w.Block($"private float ComputeGradientsCore({inputType} inputs, {targetType} targets)"))
                    WriteTrainingBody(c);
            }
        }

        private static void WriteTrainingBody(EmitContext c)
        {
            ModelSpec m = c.Model;
            BufferLayout l = c.Layout;
            SourceWriter w = c.Writer;
            w.Line("ValidateLength(inputs.Length, InputLength, nameof(inputs));");
            w.Line("ValidateLength(targets.Length, TargetLength, nameof(targets));");
            if (l.UsesTokenTable)
            {
                WriteRunForwardCall(c);
            }
            else
            {
                w.Line($"{ReadOnlySpan} x = {(m.Input.IsTokens ? "Encode(inputs)" : "inputs")};");
                w.Line("RunForward(x);");
            }
            w.Line($"{Span} y = Workspace.Slice(OutputOffset, OutputLength);");
            w.Line($"{Span} dy = Workspace.Slice(OutputGradientOffset, OutputLength);");
            bool masked = m.VariableLength && !m.HeadOnLastStep;
            if (masked && c.IsClassifier)
            {
                w.Line($"global::System.Span<int> maskedTargets = new global::System.Span<int>(_intWorkspace, {Int(l.MaskedTargets)}, TargetLength);");
                w.Line($"{Kernels}.Sequence.MaskTargets(targets, maskedTargets, new {IntSpan}(_intWorkspace, 0, BatchSize), SequenceLength);");
                w.Line("float loss = global::RnnGen.Losses.SoftmaxCrossEntropy(y, maskedTargets, dy, OutputSize);");
            }
            else if (masked)
            {
                w.Line($"float loss = {Kernels}.Sequence.MaskedMeanSquaredError(y, targets, dy, new {IntSpan}(_intWorkspace, 0, BatchSize), SequenceLength, OutputSize);");
            }
            else
            {
                w.Line(c.IsClassifier
                    ? "float loss = global::RnnGen.Losses.SoftmaxCrossEntropy(y, targets, dy, OutputSize);"
                    : "float loss = global::RnnGen.Losses.MeanSquaredError(y, targets, dy);");
            }
            w.Line(l.UsesTokenTable ? "RunBackward(inputs);" : m.Input.Kind == InputKind.Embedding ? "RunBackward(x, inputs);" : "RunBackward(x);");
            w.Line("return loss;");
        }

        private static void WriteHeadBackward(EmitContext c)
        {
            ModelSpec m = c.Model;
            SourceWriter w = c.Writer;
            LayerSpec top = m.TopLayer;
            int width = top.OutputSize;
            if (!m.HeadOnLastStep)
            {
                w.Line("// Head: dW_head += dyᵀ h, db_head += Σ dy, dh = dy W_head (the top layer's output gradient).");
                w.Line($"{Kernels}.Gemm.MultiplyTransposedA(dy, {LayerOutput(c, top)}, {Param(c.Layout.HeadWeight, "g")}, OutputSize, {Int(width)}, SequenceLength * BatchSize, true);");
                w.Line($"{Kernels}.Gemm.AccumulateColumnSums(dy, {Param(c.Layout.HeadBias, "g")}, SequenceLength * BatchSize);");
                w.Line($"{Kernels}.Gemm.Multiply(dy, {Param(c.Layout.HeadWeight)}, {LayerOutputGradient(c, top)}, SequenceLength * BatchSize, {Int(width)}, OutputSize, false);");
                return;
            }

            LayerLayout ll = c.Layout.Layers[top.Index];
            w.Line("// Head on the final states: dW_head += dyᵀ h_n, db_head += Σ dy, dh_n = dy W_head; no other step gets a gradient from above.");
            w.Line($"{Kernels}.Gemm.MultiplyTransposedA(dy, {HeadInputLastStep(c)}, {Param(c.Layout.HeadWeight, "g")}, OutputSize, {Int(width)}, BatchSize, true);");
            w.Line($"{Kernels}.Gemm.AccumulateColumnSums(dy, {Param(c.Layout.HeadBias, "g")}, BatchSize);");
            foreach (DirectionLayout d in ll.Directions)
            {
                // Output slots other than the final one: forward 1..T-1, reverse 1..T-1.
                w.Line($"ws.Slice({d.Prefix}HiddenGradient + {d.Prefix}HiddenStride, (SequenceLength - 1) * {d.Prefix}HiddenStride).Clear();");
            }
            if (top.Bidirectional)
            {
                string dMerged = $"ws.Slice(L{Int(top.Index)}FinalMergedGradient, BatchSize * {Int(width)})";
                w.Line($"{Kernels}.Gemm.Multiply(dy, {Param(c.Layout.HeadWeight)}, {dMerged}, BatchSize, {Int(width)}, OutputSize, false);");
                w.Line($"{Kernels}.Bidirectional.MergeBackward({dMerged}, {FinalState(c, ll.Directions[0])}, {FinalState(c, ll.Directions[1])}, {FinalState(c, ll.Directions[0], "HiddenGradient")}, {FinalState(c, ll.Directions[1], "HiddenGradient")}, BatchSize, {Int(top.StateSize)}, global::RnnGen.BidirectionalMerge.{top.Merge});");
            }
            else
            {
                w.Line($"{Kernels}.Gemm.Multiply(dy, {Param(c.Layout.HeadWeight)}, {FinalState(c, ll.Directions[0], "HiddenGradient")}, BatchSize, {Int(width)}, OutputSize, false);");
            }
        }

        private static void WriteLayerBackward(EmitContext c, LayerSpec layer)
        {
            SourceWriter w = c.Writer;
            LayerLayout ll = c.Layout.Layers[layer.Index];
            w.Line($"// Layer {Int(layer.Index)} backward ({CellTitle(layer)}). Each step's dh holds dL/dh_t from above and from later");
            w.Line("// steps; the step adds dL/dh_{t-1} into the previous slot.");
            if (ll.MergedGradient >= 0)
            {
                w.Line($"{Kernels}.Bidirectional.MergeBackward({LayerOutputGradient(c, layer)}, {OutputRange(c, ll.Directions[0])}, {OutputRange(c, ll.Directions[1])}, {OutputRange(c, ll.Directions[0], "HiddenGradient")}, {OutputRange(c, ll.Directions[1], "HiddenGradient")}, SequenceLength * BatchSize, {Int(layer.StateSize)}, global::RnnGen.BidirectionalMerge.{layer.Merge});");
            }
            for (int i = 0; i < ll.Directions.Length; i++)
                WriteDirectionBackward(c, layer, ll.Directions[i], accumulateInputGradient: i > 0);
        }

        private static void WriteDirectionBackward(EmitContext c, LayerSpec layer, DirectionLayout d, bool accumulateInputGradient)
        {
            SourceWriter w = c.Writer;
            string p = d.Prefix;
            int h = layer.HiddenSize, gw = layer.GateWidth, so = layer.StateSize;
            bool varlen = c.Model.VariableLength;
            string dhOf(StepIndex t) => Slot(p + "HiddenGradient", p + "HiddenStride", t, d.Reverse ? 0 : 1);
            string dhPrevOf(StepIndex t) => Slot(p + "HiddenGradient", p + "HiddenStride", t, d.Reverse ? 1 : 0);
            string hOutOf(StepIndex t) => Slot(p + "Hidden", p + "HiddenStride", t, d.Reverse ? 0 : 1);
            string hPrevOf(StepIndex t) => Slot(p + "Hidden", p + "HiddenStride", t, d.Reverse ? 1 : 0);
            string cOutOf(StepIndex t) => Slot(p + "Cell", p + "CellStride", t, d.Reverse ? 0 : 1);
            string cPrevOf(StepIndex t) => Slot(p + "Cell", p + "CellStride", t, d.Reverse ? 1 : 0);
            string dCell = $"ws.Slice({p}CellGradient, {p}CellStride)";

            if (layer.Bidirectional)
                w.Line(d.Reverse ? "// Reverse direction: back through t = 0 up to T-1." : "// Forward direction: back through t = T-1 down to 0.");
            w.Line($"ws.Slice({SlotStart(p + "HiddenGradient", InitialSlot(c, d), p + "HiddenStride")}, {p}HiddenStride).Clear();");
            w.Line("// Add any gradient the caller supplied for h_n (FinalHiddenGradient), e.g. from a seq2seq decoder.");
            w.Line($"global::System.Numerics.Tensors.TensorPrimitives.Add({FinalState(c, d, "HiddenGradient")}, ws.Slice({p}FinalHiddenGradient, {p}HiddenStride), {FinalState(c, d, "HiddenGradient")});");
            if (layer.HasCellState)
                w.Line($"ws.Slice({p}FinalCellGradient, {p}CellStride).CopyTo({dCell});");
            if (varlen)
                w.Line("// Past a sequence's end the state was copied forward, so its gradient flows straight back (Sequence.PassThrough).");

            ForEachStep(c, layer, d, !d.Reverse, backward: true, t =>
            {
                string dCellRows = Block(t, p + "CellGradient", p + "CellStride");
                string dG = Slot(p + "GatesGradient", p + "GateStride", t, 0);
                string dh = dhOf(t), dhPrev = dhPrevOf(t);
                if (varlen)
                    w.Line($"{Kernels}.Sequence.PassThrough({dh}, {dhPrev}, lengths, {t.Plus(0)}, {Int(so)});");
                switch (layer.Cell)
                {
                    case CellKind.SimpleRnn:
                        w.Line($"{Kernels}.RnnCell.Backward({hOutOf(t)}, {dh}, {dG}, global::RnnGen.RnnActivation.{ActivationName(layer)});");
                        w.Line(RecurrentProduct(layer, d, t, dG, dhPrev, accumulate: true, backward: true));
                        break;
                    case CellKind.Lstm:
                        {
                            string save = Block(t, p + "CellGradientSave", p + "CellStride");
                            if (varlen)
                                w.Line($"{Kernels}.Sequence.CopyFrozenRows({dCellRows}, {save}, lengths, {t.Plus(0)}, {Int(h)});");
                            string dRaw = dh;
                            if (d.WeightHr is not null)
                            {
                                dRaw = Block(t, p + "RawGradient", p + "CellStride");
                                w.Line($"{Kernels}.Gemm.Multiply({dh}, {Param(d.WeightHr)}, {dRaw}, {t.Batch}, {Int(h)}, {Int(so)}, false);");
                            }
                            w.Line($"{Kernels}.LstmCell.Backward({Slot(p + "Gates", p + "GateStride", t, 0)}, {cPrevOf(t)}, {cOutOf(t)}, {dRaw}, {dCellRows}, {dG}, {t.Batch}, {Int(h)});");
                            if (varlen)
                            {
                                w.Line($"{Kernels}.Sequence.ClearFrozenRows({dG}, lengths, {t.Plus(0)}, {Int(gw)});");
                                w.Line($"{Kernels}.Sequence.CopyFrozenRows({save}, {dCellRows}, lengths, {t.Plus(0)}, {Int(h)});");
                            }
                            w.Line(RecurrentProduct(layer, d, t, dG, dhPrev, accumulate: true, backward: true));
                            break;
                        }
                    case CellKind.Gru when layer.ResetAfter:
                        {
                            string dGh = Slot(p + "HiddenGatesGradient", p + "GateStride", t, 0);
                            w.Line($"{Kernels}.GruCell.Backward({Slot(p + "Gates", p + "GateStride", t, 0)}, {Slot(p + "HiddenGates", p + "GateStride", t, 0)}, {hPrevOf(t)}, {dh}, {dG}, {dGh}, {dhPrev}, {t.Batch}, {Int(h)});");
                            w.Line(RecurrentProduct(layer, d, t, dGh, dhPrev, accumulate: true, backward: true));
                            break;
                        }
                    default:
                        {
                            string gate = Slot(p + "Gates", p + "GateStride", t, 0);
                            string dNg = Slot(p + "NewGateGradient", p + "CellStride", t, 0);
                            string dGhRz = Slot(p + "HiddenGatesGradient", p + "CellStride", t, 0, 2);
                            string dRh = Block(t, p + "ResetHiddenGradient", p + "CellStride");
                            w.Line($"{Kernels}.GruResetBeforeCell.BackwardOutput({gate}, {hPrevOf(t)}, {dh}, {dG}, {dNg}, {dhPrev}, {t.Batch}, {Int(h)});");
                            w.Line($"{Kernels}.Gemm.Multiply({dNg}, {ParamRows(d.WeightHh, 2 * h, h, so)}, {dRh}, {t.Batch}, {Int(h)}, {Int(h)}, false);");
                            w.Line($"{Kernels}.GruResetBeforeCell.BackwardReset({gate}, {hPrevOf(t)}, {dRh}, {dG}, {dGhRz}, {dhPrev}, {t.Batch}, {Int(h)});");
                            w.Line($"{Kernels}.Gemm.Multiply({dGhRz}, {ParamRows(d.WeightHh, 0, 2 * h, so)}, {dhPrev}, {t.Batch}, {Int(so)}, {Int(2 * h)}, true);");
                            break;
                        }
                }
            });

            string rows = "SequenceLength * BatchSize";
            string allGates = $"ws.Slice({p}GatesGradient, SequenceLength * {p}GateStride)";
            // dgates, the gradient of the input projection, also feeds b_ih: from the token table it is summed per token
            // first, so the bias sums read V rows instead of T·B.
            string inputProjectionGradient = allGates, inputRows = rows;
            // The LSTM's and the Elman cell's dW_hh product reads dgates itself, and sums the token table's dP on the way.
            bool scatterInWeightProduct = d.TokenTable >= 0 && layer.Cell is not CellKind.Gru;
            if (d.TokenTable >= 0)
            {
                inputProjectionGradient = TokenTable(layer, d);
                inputRows = "VocabularySize";
                w.Line("// Token table: dP[v] = Σ dgates over the positions holding token v, so dW_ih += dPᵀ E over V rows instead of T·B.");
                w.Line($"{inputProjectionGradient}.Clear();");
                if (scatterInWeightProduct)
                {
                    w.Line("// Weight gradients for the whole window as GEMMs: dW_hh += dgatesᵀ h_{t-1}, summing dP in the same pass over");
                    w.Line("// dgates; then dW_ih += dPᵀ E.");
                    w.Line($"{Kernels}.Gemm.MultiplyTransposedAAndScatter({allGates}, {PreviousRange(c, d)}, {Param(d.WeightHh, "g")}, {Int(gw)}, {Int(so)}, {rows}, true, tokens, {inputProjectionGradient});");
                }
                else
                {
                    w.Line($"{Kernels}.Embedding.ScatterAdd({allGates}, tokens, {inputProjectionGradient}, {Int(gw)});");
                    w.Line("// Weight gradients for the whole window as GEMMs: dW_ih += dPᵀ E, dW_hh += dgatesᵀ h_{t-1}.");
                }
                w.Line($"{Kernels}.Gemm.MultiplyTransposedA({inputProjectionGradient}, {Param(c.Layout.Embedding!)}, {Param(d.WeightIh, "g")}, {Int(gw)}, {Int(layer.InputSize)}, VocabularySize, true);");
                w.Line("// Embedding gradient from the table too: dE[v] += dP[v] W_ih, the sum of dx over the positions holding v.");
                w.Line($"{Kernels}.Gemm.Multiply({inputProjectionGradient}, {Param(d.WeightIh)}, {Param(c.Layout.Embedding!, "g")}, VocabularySize, {Int(layer.InputSize)}, {Int(gw)}, true);");
            }
            else
            {
                w.Line("// Weight gradients for the whole window as GEMMs: dW_ih += dgatesᵀ x, dW_hh += dgatesᵀ h_{t-1}.");
                w.Line($"{Kernels}.Gemm.MultiplyTransposedA({allGates}, {LayerInput(c, layer)}, {Param(d.WeightIh, "g")}, {Int(gw)}, {Int(layer.InputSize)}, {rows}, true);");
            }
            switch (layer.Cell)
            {
                case CellKind.Gru when layer.ResetAfter:
                    {
                        string allGh = $"ws.Slice({p}HiddenGatesGradient, SequenceLength * {p}GateStride)";
                        w.Line($"{Kernels}.Gemm.MultiplyTransposedA({allGh}, {PreviousRange(c, d)}, {Param(d.WeightHh, "g")}, {Int(gw)}, {Int(so)}, {rows}, true);");
                        if (d.BiasIh is not null && d.BiasHh is not null)
                        {
                            w.Line($"{Kernels}.Gemm.AccumulateColumnSums({inputProjectionGradient}, {Param(d.BiasIh, "g")}, {inputRows});");
                            w.Line($"{Kernels}.Gemm.AccumulateColumnSums({allGh}, {Param(d.BiasHh, "g")}, {rows});");
                        }
                        break;
                    }
                case CellKind.Gru:
                    {
                        string allRz = $"ws.Slice({p}HiddenGatesGradient, SequenceLength * 2 * {p}CellStride)";
                        string allNg = $"ws.Slice({p}NewGateGradient, SequenceLength * {p}CellStride)";
                        string allRh = $"ws.Slice({p}ResetHidden, SequenceLength * {p}CellStride)";
                        w.Line($"{Kernels}.Gemm.MultiplyTransposedA({allRz}, {PreviousRange(c, d)}, {ParamRows(d.WeightHh, 0, 2 * h, so, "g")}, {Int(2 * h)}, {Int(so)}, {rows}, true);");
                        w.Line($"{Kernels}.Gemm.MultiplyTransposedA({allNg}, {allRh}, {ParamRows(d.WeightHh, 2 * h, h, so, "g")}, {Int(h)}, {Int(h)}, {rows}, true);");
                        if (d.BiasIh is not null && d.BiasHh is not null)
                        {
                            w.Line($"{Kernels}.Gemm.AccumulateColumnSums({inputProjectionGradient}, {Param(d.BiasIh, "g")}, {inputRows});");
                            w.Line($"{Kernels}.Gemm.AccumulateColumnSums({allRz}, {ParamRows(d.BiasHh, 0, 2 * h, 1, "g")}, {rows});");
                            w.Line($"{Kernels}.Gemm.AccumulateColumnSums({allNg}, {ParamRows(d.BiasHh, 2 * h, h, 1, "g")}, {rows});");
                        }
                        break;
                    }
                default:
                    if (!scatterInWeightProduct)
                        w.Line($"{Kernels}.Gemm.MultiplyTransposedA({allGates}, {PreviousRange(c, d)}, {Param(d.WeightHh, "g")}, {Int(gw)}, {Int(so)}, {rows}, true);");
                    if (d.BiasIh is not null && d.BiasHh is not null)
                    {
                        w.Line("// db_ih and db_hh both receive Σ dgates over the window: one pass adds it to each.");
                        w.Line($"{Kernels}.Gemm.AccumulateColumnSums({inputProjectionGradient}, {Param(d.BiasIh, "g")}, {Param(d.BiasHh, "g")}, {inputRows});");
                    }
                    break;
            }
            if (d.WeightHr is not null)
            {
                w.Line("// Projection: dW_hr += dhᵀ (o ⊙ tanh(c)) over the window.");
                w.Line($"{Kernels}.Gemm.MultiplyTransposedA({OutputRange(c, d, "HiddenGradient")}, ws.Slice({p}Raw, SequenceLength * {p}CellStride), {Param(d.WeightHr, "g")}, {Int(so)}, {Int(h)}, {rows}, true);");
            }
            if (layer.HasCellState)
                w.Line("// After the last step back, the running cell gradient is dL/dc0, already in place for InitialCellGradient.");

            if (d.TokenTable >= 0)
            {
                w.Line("// Input gradient: deferred to InputGradient's first read, from this copy of W_ih.");
                w.Line($"{Param(d.WeightIh)}.CopyTo(ws.Slice({p}InputWeightCopy, {Int(gw * layer.InputSize)}));");
                return;
            }
            string inputGradient = layer.Index == 0
                ? $"ws.Slice(InputGradientOffset, {rows} * {Int(layer.InputSize)})"
                : LayerOutputGradient(c, c.Model.Layers[layer.Index - 1]);
            w.Line(layer.Index == 0
                ? "// Input gradient: dx = dgates W_ih" + (accumulateInputGradient ? ", added to the forward direction's." : ".")
                : $"// Gradient into layer {Int(layer.Index - 1)}'s outputs: dgates W_ih" + (accumulateInputGradient ? ", added to the forward direction's." : "."));
            w.Line($"{Kernels}.Gemm.Multiply({allGates}, {Param(d.WeightIh)}, {inputGradient}, {rows}, {Int(layer.InputSize)}, {Int(gw)}, {(accumulateInputGradient ? "true" : "false")});");
        }
    }
}
