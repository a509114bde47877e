using System;
using System.Diagnostics;
using RnnGen;
using RnnGen.Samples.AddingProblem;

// The adding problem, T = 60: the same training budget for an LSTM and a vanilla RNN (Adam, gradient clipping),
// then the MSE of each on held-out batches against the 0.167 of always answering 1.
// Usage: AddingProblem [steps]   (default 2500 optimiser steps per model)
int steps = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 2500;
const int testBatches = 50;

Console.WriteLine($"adding problem: T = {AddingData.Steps}, batch {AddingData.Batch}, {steps} Adam steps per model, " +
    $"{testBatches * AddingData.Batch} held-out sequences; baseline MSE (always 1) = {AddingData.Baseline:F3}");
double lstm = Train("LSTM H=32", new LstmAdder(1), steps, testBatches);
double rnn = Train("RNN  H=32", new RnnAdder(1), steps, testBatches);
Console.WriteLine();
Console.WriteLine($"held-out MSE: LSTM {lstm:F4}, vanilla RNN {rnn:F4}, baseline {AddingData.Baseline:F3}");
Console.WriteLine(lstm < 0.1 * AddingData.Baseline && lstm < rnn
    ? "the LSTM solved the long dependency; the vanilla RNN did not get far below the baseline"
    : "the LSTM did not clearly beat the vanilla RNN with this budget; try more steps");
return 0;

static double Train(string name, IRnnModel<float, float> model, int steps, int testBatches)
{
    var optimizer = new Adam(model.Parameters, learningRate: 3e-3f);
    var inputs = new float[model.InputLength];
    var targets = new float[model.TargetLength];
    var outputs = new float[model.OutputLength];
    var train = new RnnRandom(2);
    var clock = Stopwatch.StartNew();
    double running = 0;
    for (int step = 1; step <= steps; step++)
    {
        AddingData.Fill(ref train, inputs, targets);
        model.ZeroGradients();
        float loss = model.ComputeGradients(inputs, targets);
        GradientClipping.ClipByGlobalNorm(model.Parameters.Gradients, 1f);
        optimizer.Step();
        running = step == 1 ? loss : 0.98 * running + 0.02 * loss;
        if (step % (steps / 5) == 0)
            Console.WriteLine($"  {name}  step {step,5}  train MSE (smoothed) {running:F4}  {clock.Elapsed.TotalSeconds,5:F1} s");
    }

    // Held-out batches come from their own seed, so no test sequence was trained on.
    var test = new RnnRandom(3);
    double total = 0;
    for (int batch = 0; batch < testBatches; batch++)
    {
        AddingData.Fill(ref test, inputs, targets);
        model.Forward(inputs, outputs);
        for (int i = 0; i < outputs.Length; i++)
            total += (outputs[i] - targets[i]) * (double)(outputs[i] - targets[i]);
    }
    return total / (testBatches * outputs.Length);
}
