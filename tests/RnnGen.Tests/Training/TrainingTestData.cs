using System.Collections.Generic;

namespace RnnGen.Tests.Training;

/// <summary>Parameter blocks and gradient streams shared by the training tests.</summary>
internal static class TrainingTestData
{
    /// <summary>A block of <paramref name="count"/> values split into a weight and a bias, so steps must span tensors.</summary>
    public static RnnParameters Block(int count)
    {
        int weight = (count + 1) / 2;
        var tensors = new List<ParameterTensor> { new("weight", new[] { weight }, 0, ParameterRole.LinearWeight, 0.5f) };
        if (count > weight)
            tensors.Add(new ParameterTensor("bias", new[] { count - weight }, weight, ParameterRole.LinearBias, 0.5f));
        return new RnnParameters(tensors);
    }

    /// <summary>Fills the gradients with a seeded, step-dependent pattern.</summary>
    public static void FillGradients(RnnParameters parameters, ulong seed, long step)
    {
        var random = new RnnRandom(seed * 7919 + (ulong)step);
        random.FillNormal(parameters.Gradients, 0f, 1f);
    }

    /// <summary>Every optimiser in every state-bearing configuration, by a readable name.</summary>
    public static Optimizer Create(string kind, RnnParameters parameters) => kind switch
    {
        "SGD" => new SGD(parameters, 0.05f),
        "SGD momentum" => new SGD(parameters, 0.05f, momentum: 0.9f, dampening: 0.1f, weightDecay: 0.01f),
        "SGD nesterov" => new SGD(parameters, 0.05f, momentum: 0.9f, nesterov: true),
        "Adam" => new Adam(parameters),
        "Adam amsgrad" => new Adam(parameters, 0.01f, weightDecay: 0.1f, amsgrad: true),
        "AdamW" => new AdamW(parameters),
        "AdamW amsgrad" => new AdamW(parameters, amsgrad: true),
        "RMSprop" => new RMSprop(parameters),
        "RMSprop centered momentum" => new RMSprop(parameters, weightDecay: 0.01f, momentum: 0.5f, centered: true),
        "Adagrad" => new Adagrad(parameters, learningRateDecay: 0.01f, weightDecay: 0.01f, initialAccumulatorValue: 0.1f),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown optimiser configuration."),
    };

    public static TheoryData<string> Kinds() => new()
    {
        "SGD", "SGD momentum", "SGD nesterov", "Adam", "Adam amsgrad", "AdamW", "AdamW amsgrad", "RMSprop",
        "RMSprop centered momentum", "Adagrad",
    };
}
