using System.IO;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace RnnGen.Generators.Tests.Infrastructure;

/// <summary>
/// A small stand-in for Verify.SourceGenerators with the same file convention: the accepted text lives in
/// <c>{Class}.{Method}#{HintName}.verified.cs</c> beside the test; a mismatch writes <c>.received.cs</c> and fails
/// with the first differing line. Set <c>RNNGEN_ACCEPT_SNAPSHOTS=1</c> to accept received output.
/// </summary>
internal static class Snapshot
{
    public const string AcceptVariable = "RNNGEN_ACCEPT_SNAPSHOTS";

    public static void Verify(string actual, string hintName, [CallerFilePath] string testFile = "", [CallerMemberName] string method = "")
    {
        string directory = Path.Combine(Path.GetDirectoryName(testFile)!, "Snapshots");
        string stem = Path.Combine(directory, $"{Path.GetFileNameWithoutExtension(testFile)}.{method}#{Path.GetFileNameWithoutExtension(hintName)}");
        string verifiedPath = stem + ".verified.cs";
        string receivedPath = stem + ".received.cs";
        string scrubbed = Scrub(actual);

        string? verified = File.Exists(verifiedPath) ? File.ReadAllText(verifiedPath) : null;
        if (verified == scrubbed)
        {
            File.Delete(receivedPath);
            return;
        }
        if (Environment.GetEnvironmentVariable(AcceptVariable) == "1")
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(verifiedPath, scrubbed);
            File.Delete(receivedPath);
            return;
        }
        Directory.CreateDirectory(directory);
        File.WriteAllText(receivedPath, scrubbed);
        Assert.Fail(verified is null
            ? $"No snapshot yet: review {receivedPath} and accept it (rename to .verified.cs or rerun with {AcceptVariable}=1)."
            : $"Snapshot differs from {verifiedPath}: {FirstDifference(verified, scrubbed)}. Received output: {receivedPath}.");
    }

    /// <summary>The generator version changes every release; snapshots should not.</summary>
    public static string Scrub(string text) =>
        Regex.Replace(text, @"(RnnGen |""RnnGen"", "")\d+\.\d+\.\d+\.\d+", "${1}{version}");

    private static string FirstDifference(string expected, string actual)
    {
        string[] e = expected.Split('\n'), a = actual.Split('\n');
        for (int i = 0; i < Math.Max(e.Length, a.Length); i++)
        {
            string left = i < e.Length ? e[i] : "<end of file>";
            string right = i < a.Length ? a[i] : "<end of file>";
            if (left != right)
                return $"line {i + 1}: expected `{left.Trim()}`, got `{right.Trim()}`";
        }
        return "line endings differ";
    }
}
