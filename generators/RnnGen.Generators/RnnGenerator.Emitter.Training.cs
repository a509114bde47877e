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
            bool tokens = m.Input.Kind == InputKind.Embedding;
            string inputType = tokens ? "global::System.ReadOnlySpan<int>" : ReadOnlySpan;
            string targetType = c.IsClassifier ? "global::System.ReadOnlySpan<int>" : ReadOnlySpan;

            w.Line("/// <summary>");
            w.Line("/// One training pass: forward over the batch, the loss, then backpropagation through time. Gradients are");
            w.Line("/// ADDED to <see cref=\"Parameters\"/> (call <see cref=\"ZeroGradients\"/> between optimiser steps), and the");
            w.Line("/// gradients with respect to the initial state" + (tokens ? "" : " and the inputs") + " are left in the workspace.");
            w.Line("/// </summary>");
            w.Line(tokens
                ? "/// <param name=\"inputs\">Token ids, [T, B] time-major.</param>"
                : "/// <param name=\"inputs\">Input vectors, [T, B, I] time-major.</param>");
            w.Line(c.IsClassifier
                ? "/// <param name=\"targets\">Class id per output row (<see cref=\"TargetLength\"/> ids); <see cref=\"global::RnnGen.Losses.IgnoreIndex\"/> skips a row.</param>"
                : "/// <param name=\"targets\">Target values shaped like the outputs (<see cref=\"TargetLength\"/> floats).</param>");
            w.Line(c.IsClassifier
                ? "/// <returns>Mean softmax cross-entropy over the non-ignored rows, as PyTorch's <c>CrossEntropyLoss</c>.</returns>"
                : "/// <returns>Mean squared error over all outputs, as PyTorch's <c>MSELoss</c>.</returns>");
            using (w.Block($"public float ComputeGradients({inputType} inputs, {targetType} targets)"))
            {
                w.Line("ValidateLength(inputs.Length, InputLength, nameof(inputs));");
                w.Line("ValidateLength(targets.Length, TargetLength, nameof(targets));");
                w.Line($"{ReadOnlySpan} x = {(tokens ? "Embed(inputs)" : "inputs")};");
                w.Line("RunForward(x);");
                w.Line($"{Span} y = new global::System.Span<float>(_workspace, OutputOffset, OutputLength);");
                w.Line($"{Span} dy = new global::System.Span<float>(_workspace, OutputGradientOffset, OutputLength);");
                w.Line(c.IsClassifier
                    ? "float loss = global::RnnGen.Losses.SoftmaxCrossEntropy(y, targets, dy, OutputSize);"
                    : "float loss = global::RnnGen.Losses.MeanSquaredError(y, targets, dy);");
                w.Line(tokens ? "RunBackward(x, inputs);" : "RunBackward(x);");
                w.Line("return loss;");
            }

            w.Line();
            w.Line(tokens
                ? "/// <summary>Gradient of the latest training loss with respect to the embedded inputs, [T, B, E] time-major.</summary>"
                : "/// <summary>Gradient of the latest training loss with respect to the inputs, [T, B, I] time-major.</summary>");
            w.Line($"public global::System.ReadOnlySpan<float> InputGradient => new global::System.Span<float>(_workspace, InputGradientOffset, SequenceLength * BatchSize * InputSize);");

            w.Line();
            w.Line("/// <summary>Backpropagation through time from dL/dy (already in the workspace) down to the parameters and inputs.</summary>");
            using (w.Block(tokens
                ? $"private void RunBackward({ReadOnlySpan} x, global::System.ReadOnlySpan<int> tokens)"
                : $"private void RunBackward({ReadOnlySpan} x)"))
            {
                w.Line($"{Span} ws = _workspace;");
                w.Line($"{ReadOnlySpan} p = Parameters.Values;");
                w.Line($"{Span} g = Parameters.Gradients;");
                w.Line($"{ReadOnlySpan} dy = ws.Slice(OutputGradientOffset, OutputLength);");
                w.Line();
                WriteHeadBackward(c);
                for (int i = m.Layers.Count - 1; i >= 0; i--)
                {
                    w.Line();
                    WriteLayerBackward(c, m.Layers[i]);
                }
                if (tokens)
                {
                    w.Line();
                    w.Line("// Embedding rows receive the gradient of every position that looked them up.");
                    w.Line($"{Kernels}.Embedding.ScatterAdd(ws.Slice(InputGradientOffset, SequenceLength * BatchSize * InputSize), tokens, {Param(c.Layout.Parameters[0], "g")}, InputSize);");
                }
            }
        }

        private static void WriteHeadBackward(EmitContext c)
        {
            ModelSpec m = c.Model;
            SourceWriter w = c.Writer;
            string top = "L" + Int(m.TopLayer.Index);
            int hidden = m.TopLayer.HiddenSize;
            if (m.Head.Steps == HeadSteps.AllSteps)
            {
                w.Line("// Head: dW_head += dyᵀ h[1..T], db_head += Σ dy, dh_t = dy_t W_head (the top layer's gradient from above).");
                w.Line($"{Kernels}.Gemm.MultiplyTransposedA(dy, {TopHiddenAllSteps(c)}, {Param(c.Layout.HeadWeight, "g")}, OutputSize, {Int(hidden)}, SequenceLength * BatchSize, true);");
                w.Line($"{Kernels}.Gemm.AccumulateColumnSums(dy, {Param(c.Layout.HeadBias, "g")}, SequenceLength * BatchSize);");
                w.Line($"{Kernels}.Gemm.Multiply(dy, {Param(c.Layout.HeadWeight)}, ws.Slice({top}HiddenGradient + {top}StateStride, SequenceLength * {top}StateStride), SequenceLength * BatchSize, {Int(hidden)}, OutputSize, false);");
            }
            else
            {
                w.Line("// Head on the last step: dW_head += dyᵀ h_T, db_head += Σ dy, dh_T = dy W_head; earlier steps get nothing from above.");
                w.Line($"{Kernels}.Gemm.MultiplyTransposedA(dy, ws.Slice({top}Hidden + SequenceLength * {top}StateStride, {top}StateStride), {Param(c.Layout.HeadWeight, "g")}, OutputSize, {Int(hidden)}, BatchSize, true);");
                w.Line($"{Kernels}.Gemm.AccumulateColumnSums(dy, {Param(c.Layout.HeadBias, "g")}, BatchSize);");
                w.Line($"ws.Slice({top}HiddenGradient + {top}StateStride, (SequenceLength - 1) * {top}StateStride).Clear();");
                w.Line($"{Kernels}.Gemm.Multiply(dy, {Param(c.Layout.HeadWeight)}, ws.Slice({top}HiddenGradient + SequenceLength * {top}StateStride, {top}StateStride), BatchSize, {Int(hidden)}, OutputSize, false);");
            }
        }

        private static void WriteLayerBackward(EmitContext c, LayerSpec layer)
        {
            SourceWriter w = c.Writer;
            LayerLayout ll = c.Layout.Layers[layer.Index];
            string p = "L" + Int(layer.Index);
            int h = layer.HiddenSize, gw = layer.GateWidth;
            w.Line($"// Layer {Int(layer.Index)} backward ({CellTitle(layer)}). dh[t+1] holds dL/dh_t from above; the step adds dL/dh_{{t-1}} into dh[t].");
            w.Line($"ws.Slice({p}HiddenGradient, {p}StateStride).Clear();");
            if (layer.HasCellState)
                w.Line($"ws.Slice({p}CellGradient, {p}StateStride).Clear();");
            string weightHh = Param(ll.WeightHh);
            string recurrentGradient = layer.Cell == CellKind.Gru ? p + "HiddenGatesGradient" : p + "GatesGradient";
            ForEachStep(c, reverse: true, t =>
            {
                string dG = Slot(p + "GatesGradient", p + "GateStride", t, 0);
                string dhPrev = Slot(p + "HiddenGradient", p + "StateStride", t, 0);
                string dh = Slot(p + "HiddenGradient", p + "StateStride", t, 1);
                switch (layer.Cell)
                {
                    case CellKind.SimpleRnn:
                        w.Line($"{Kernels}.RnnCell.Backward({Slot(p + "Hidden", p + "StateStride", t, 1)}, {dh}, {dG}, global::RnnGen.RnnActivation.{ActivationName(layer)});");
                        break;
                    case CellKind.Lstm:
                        w.Line($"{Kernels}.LstmCell.Backward({Slot(p + "Gates", p + "GateStride", t, 0)}, {Slot(p + "Cell", p + "StateStride", t, 0)}, {Slot(p + "Cell", p + "StateStride", t, 1)}, {dh}, ws.Slice({p}CellGradient, {p}StateStride), {dG}, BatchSize, {Int(h)});");
                        break;
                    case CellKind.Gru:
                        w.Line($"{Kernels}.GruCell.Backward({Slot(p + "Gates", p + "GateStride", t, 0)}, {Slot(p + "HiddenGates", p + "GateStride", t, 0)}, {Slot(p + "Hidden", p + "StateStride", t, 0)}, {dh}, {dG}, {Slot(p + "HiddenGatesGradient", p + "GateStride", t, 0)}, {dhPrev}, BatchSize, {Int(h)});");
                        break;
                }
                w.Line($"{Kernels}.Gemm.Multiply({Slot(recurrentGradient, p + "GateStride", t, 0)}, {weightHh}, {dhPrev}, BatchSize, {Int(h)}, {Int(gw)}, true);");
            });

            string rows = "SequenceLength * BatchSize";
            string allGates = $"ws.Slice({p}GatesGradient, SequenceLength * {p}GateStride)";
            string allRecurrent = $"ws.Slice({recurrentGradient}, SequenceLength * {p}GateStride)";
            w.Line("// Weight gradients for the whole window as GEMMs: dW_ih += dgatesᵀ x, dW_hh += dgatesᵀ h[0..T-1].");
            w.Line($"{Kernels}.Gemm.MultiplyTransposedA({allGates}, {LayerInput(c, layer)}, {Param(ll.WeightIh, "g")}, {Int(gw)}, {Int(layer.InputSize)}, {rows}, true);");
            w.Line($"{Kernels}.Gemm.MultiplyTransposedA({allRecurrent}, ws.Slice({p}Hidden, SequenceLength * {p}StateStride), {Param(ll.WeightHh, "g")}, {Int(gw)}, {Int(h)}, {rows}, true);");
            if (ll.BiasIh is not null && ll.BiasHh is not null)
            {
                w.Line($"{Kernels}.Gemm.AccumulateColumnSums({allGates}, {Param(ll.BiasIh, "g")}, {rows});");
                w.Line($"{Kernels}.Gemm.AccumulateColumnSums({allRecurrent}, {Param(ll.BiasHh, "g")}, {rows});");
            }
            if (layer.HasCellState)
                w.Line($"// After step 0 the running cell gradient is dL/dc0, already in place for InitialCellGradient.");

            string inputGradient = layer.Index == 0
                ? $"ws.Slice(InputGradientOffset, {rows} * {Int(layer.InputSize)})"
                : $"ws.Slice(L{Int(layer.Index - 1)}HiddenGradient + L{Int(layer.Index - 1)}StateStride, SequenceLength * L{Int(layer.Index - 1)}StateStride)";
            w.Line(layer.Index == 0
                ? "// Input gradient: dx = dgates W_ih."
                : $"// Gradient into layer {Int(layer.Index - 1)}'s outputs: dh[1..T] = dgates W_ih.");
            w.Line($"{Kernels}.Gemm.Multiply({allGates}, {Param(ll.WeightIh)}, {inputGradient}, {rows}, {Int(layer.InputSize)}, {Int(gw)}, false);");
        }
    }
}
