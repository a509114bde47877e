using System.IO;

namespace RnnGen.Tests.Models;

[RnnModel(SequenceLength = 5, BatchSize = 2)]
[Input(4)]
[Lstm(7, Layers = 2)]
[Dense(3)]
public partial class TorchWrittenLstm { }

/// <summary>Weight files cross between PyTorch and RnnGen in both directions.</summary>
public sealed class TorchInteropTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Golden", "torch_interop", name);

    [Fact]
    public void TorchWrittenStateDict_Loaded_ReproducesTorchOutputsAndStates()
    {
        var model = new TorchWrittenLstm();
        SafeTensors.Load(model.Parameters, Fixture("lstm_torch_written.safetensors"));
        SafeTensorsFile expected = SafeTensorsFile.Read(Fixture("lstm_torch_written.expected.safetensors"));
        var outputs = new float[TorchWrittenLstm.OutputLength];

        model.Forward(expected.GetSingle("x"), outputs);

        GoldenModelTests.AssertClose(expected.GetSingle("output"), outputs, "output");
        for (int layer = 0; layer < TorchWrittenLstm.LayerCount; layer++)
        {
            GoldenModelTests.AssertClose(expected.GetSingle($"h_n.l{layer}"), model.FinalHidden(layer), $"h_n.l{layer}");
            GoldenModelTests.AssertClose(expected.GetSingle($"c_n.l{layer}"), model.FinalCell(layer), $"c_n.l{layer}");
        }
    }

    [Fact]
    public void RnnGenWrittenFile_SavedAndReloaded_IsByteIdenticalAndTorchShaped()
    {
        var source = new TorchWrittenLstm();
        SafeTensors.Load(source.Parameters, Fixture("lstm_torch_written.safetensors"));
        string path = Path.Combine(Path.GetTempPath(), "rnngen-interop-" + Guid.NewGuid().ToString("N") + ".safetensors");
        try
        {
            SafeTensors.Save(source.Parameters, path);
            var copy = new TorchWrittenLstm(seed: 99);
            SafeTensors.Load(copy.Parameters, path);

            Assert.Equal(source.Parameters.Values.ToArray(), copy.Parameters.Values.ToArray());
            // PyTorch reads the same names and shapes it wrote (load_in_torch.py checks this with torch itself).
            SafeTensorsFile written = SafeTensorsFile.Read(path);
            SafeTensorsFile original = SafeTensorsFile.Read(Fixture("lstm_torch_written.safetensors"));
            Assert.Equal(original.Tensors.Count, written.Tensors.Count);
            foreach (SafeTensorInfo tensor in original.Tensors)
            {
                Assert.Equal(tensor.Shape.ToArray(), written.GetInfo(tensor.Name).Shape.ToArray());
                Assert.Equal(original.GetSingle(tensor.Name), written.GetSingle(tensor.Name));
            }
        }
        finally
        {
            File.Delete(path);
        }
    }
}
