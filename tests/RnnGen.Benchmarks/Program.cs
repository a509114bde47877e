using System;
using System.Linq;
using BenchmarkDotNet.Running;
using RnnGen.Benchmarks;

// `-- --quick`: seconds-long Stopwatch medians, one JSON line per case (`--case <id prefix>` for some of them, without
// the generator run). Anything else goes to BenchmarkDotNet, e.g. `-- --filter *` for the full suite.
if (args.Contains("--quick"))
{
    int caseOption = Array.IndexOf(args, "--case");
    if (caseOption >= 0 && caseOption + 1 >= args.Length)
    {
        Console.Error.WriteLine("--case needs a case id prefix, e.g. --case train_");
        return 2;
    }
    return QuickRunner.Run(Console.Out, Console.Error, caseOption >= 0 ? args[caseOption + 1] : null);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
