using System;
using RnnGen;

namespace PackageConsumer;

/// <summary>Predicts the next sample of a sine wave; declared exactly as a package user would.</summary>
[RnnModel(SequenceLength = 16, BatchSize = 8)]
[Input(1)]
[Lstm(12)]
[Dense(1)]
public partial class SineModel { }

/// <summary>
/// Smoke test of the packed RnnGen: the generator from analyzers/dotnet/cs must have expanded <see cref="SineModel"/>,
/// training must lower the loss, and streaming Step must reproduce Forward. Exits non-zero on any failure.
/// </summary>
public static class Program
{
    private const int TrainingSteps = 60;
    private const float Tolerance = 1e-4f;

    /// <summary>Runs the smoke test.</summary>
    /// <returns>0 when every check passes, 1 otherwise.</returns>
    public static int Main()
    {
        var model = new SineModel(seed: 42);
        var optimizer = new Adam(model.Parameters, learningRate: 0.02f);
        var inputs = new float[SineModel.InputLength];
        var targets = new float[SineModel.TargetLength];
        var random = new Random(7);

        float firstLoss = 0, lastLoss = 0;
        for (int step = 0; step < TrainingSteps; step++)
        {
            FillBatch(random, inputs, targets);
            model.ZeroGradients();
            float loss = model.ComputeGradients(inputs, targets);
            optimizer.Step();
            if (!float.IsFinite(loss))
                return Fail($"loss at step {step} is {loss}");
            if (step == 0)
                firstLoss = loss;
            lastLoss = loss;
            if (step % 10 == 0 || step == TrainingSteps - 1)
                Console.WriteLine($"step {step,3}  loss {loss:F6}");
        }
        if (!(lastLoss < 0.5f * firstLoss))
            return Fail($"loss did not decrease enough: {firstLoss:F6} -> {lastLoss:F6}");

        // Forward over a fresh batch, then Step through batch row 0 on a caller-owned state: both paths must agree.
        FillBatch(random, inputs, targets);
        var outputs = new float[SineModel.OutputLength];
        model.Forward(inputs, outputs);
        SineModel.StepState state = model.CreateState();
        var stepOutput = new float[SineModel.OutputSize];
        float worst = 0;
        for (int t = 0; t < SineModel.SequenceLength; t++)
        {
            int row = t * SineModel.BatchSize;
            model.Step(state, inputs.AsSpan(row * SineModel.InputSize, SineModel.InputSize), stepOutput);
            worst = MathF.Max(worst, MathF.Abs(stepOutput[0] - outputs[row * SineModel.OutputSize]));
        }
        Console.WriteLine($"Forward vs Step max |difference| {worst:E2}");
        if (!(worst <= Tolerance))
            return Fail($"Step differs from Forward by {worst} (tolerance {Tolerance})");

        Console.WriteLine($"package smoke test passed: loss {firstLoss:F6} -> {lastLoss:F6}, {SineModel.ParameterCount} parameters");
        return 0;
    }

    // Time-major [T, B, 1] windows of sin at random phases; the target is the next sample.
    private static void FillBatch(Random random, float[] inputs, float[] targets)
    {
        const float dt = 0.3f;
        for (int b = 0; b < SineModel.BatchSize; b++)
        {
            float phase = (float)(random.NextDouble() * 2 * Math.PI);
            for (int t = 0; t < SineModel.SequenceLength; t++)
            {
                int i = t * SineModel.BatchSize + b;
                inputs[i] = MathF.Sin(phase + t * dt);
                targets[i] = MathF.Sin(phase + (t + 1) * dt);
            }
        }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"package smoke test FAILED: {message}");
        return 1;
    }
}
