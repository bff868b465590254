using Seq2Seq.Gpu.Devices;

namespace Seq2Seq.Gpu.Tests.Distributed;

/// <summary>Where the NCCL path looks for <c>libnccl.so.2</c>: as for cuBLAS, including the folder of NVIDIA's pip wheel.</summary>
public sealed class NcclLibraryTests
{
    [Test]
    public void Nccl_is_found_in_the_pip_wheel_folder_under_a_prefix()
    {
        string prefix = Directory.CreateTempSubdirectory("seq2seq-nccl-").FullName;
        try
        {
            string folder = Path.Combine(prefix, "lib", "python3.11", "site-packages", "nvidia", "nccl", "lib");
            Directory.CreateDirectory(folder);
            string file = Path.Combine(folder, "libnccl.so.2");
            File.WriteAllText(file, string.Empty);
            Assert.That(CudaLibraryResolver.FindNvidiaLibrary("libnccl.so.2", "nccl", [Path.Combine(prefix, "missing"), prefix]), Is.EqualTo(file));
            Assert.That(CudaLibraryResolver.FindNvidiaLibrary("libnccl.so.2", "cublas", [prefix]), Is.Null, "another package's folder");
        }
        finally
        {
            Directory.Delete(prefix, recursive: true);
        }
    }
}
