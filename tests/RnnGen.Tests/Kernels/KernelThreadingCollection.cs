namespace RnnGen.Tests.Kernels;

/// <summary>
/// The classes that run kernels on several threads. The worker pool serves one product at a time (a second caller
/// computes alone), and the tests assert whether a call ran in parallel by counting the pool's runs, so they must not
/// run alongside each other.
/// </summary>
[CollectionDefinition(Name)]
public sealed class KernelThreadingCollection
{
    public const string Name = "Kernel threading";
}
