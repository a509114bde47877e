using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace RnnGen.Tests.Models;

/// <summary>One PyTorch reference case from Golden/cells, read with RnnGen's own safetensors reader.</summary>
internal sealed class GoldenFixture
{
    private readonly SafeTensorsFile _file;

    private GoldenFixture(string name, SafeTensorsFile file)
    {
        Name = name;
        _file = file;
    }

    public static GoldenFixture Load(string name, string folder = "cells") =>
        new(name, SafeTensorsFile.Read(Path.Combine(AppContext.BaseDirectory, "Golden", folder, name + ".safetensors")));

    public string Name { get; }

    public IReadOnlyDictionary<string, string> Metadata => _file.Metadata;

    public bool Has(string tensor) => _file.Contains(tensor);

    public float[] Floats(string tensor) => _file.GetSingle(tensor);

    public int[] Ints(string tensor) => _file.GetInt64(tensor).Select(v => checked((int)v)).ToArray();

    public IEnumerable<string> ParameterNames =>
        _file.Tensors.Select(t => t.Name).Where(n => n.StartsWith("param.", StringComparison.Ordinal)).Select(n => n["param.".Length..]);
}
