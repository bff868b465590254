using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Devices;

/// <summary>
/// Host copies of <see cref="DeviceBuffer{T}"/> while the garbage collector compacts the heap. ILGPU 1.5.3's
/// <c>CopyToCPU(ref T, long)</c> and <c>CopyFromCPU(ref T, long)</c> turn the reference into a raw pointer without
/// pinning it (<c>CPUMemoryBuffer.Create</c> takes <c>Unsafe.AsPointer</c>), then allocate before copying: a
/// collection in between moves a young host array, and the copy goes to (or comes from) its old address. A read-back
/// then leaves the fresh array all zeros, which is how the flaky register-blocked product test failed under load.
/// Here a second thread forces a compacting collection every few microseconds (a pause between them lets the copying
/// thread run; back to back they starve it). Unpinned, about one round trip in 200 came back all zeros on this
/// machine kind, or the process died of the corrupted heap; the engine pins before it copies, and every round trip
/// must come back intact.
/// </summary>
public sealed class DeviceBufferCopyTests
{
    private const int RoundTrips = 20_000;

    // Bounds the test on a loaded machine; fewer trips then, but a lost copy still fails it.
    private static readonly TimeSpan MaxDuration = TimeSpan.FromSeconds(5);

    [Test]
    public void Round_trips_survive_compacting_collections()
    {
        var device = TestDevices.Cpu();
        const int length = 4690; // the size of the C that came back as zeros (70x67)
        using var buffer = device.Allocate<float>(length, "copy test");
        using var stop = new CancellationTokenSource();
        var collector = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect(0, GCCollectionMode.Forced, blocking: true, compacting: true);
                Thread.SpinWait(5000);
            }
        })
        { IsBackground = true, Name = "compacting collector" };
        collector.Start();

        int downloadsLost = 0, uploadsLost = 0, trips = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            for (int trip = 0; trip < RoundTrips && (trip < 100 || clock.Elapsed < MaxDuration); trip++, trips++)
            {
                // A young array is what a compacting collection moves: allocate each one just before its copy.
                var upload = new float[length];
                upload.AsSpan().Fill(trip + 1);
                buffer.CopyFrom(upload);

                var download = buffer.ToArray();
                if (download[0] == 0f && download[^1] == 0f)
                {
                    downloadsLost++;
                }
                else if (download.Any(v => v != trip + 1))
                {
                    uploadsLost++;
                }
            }
        }
        finally
        {
            stop.Cancel();
            collector.Join();
        }

        Assert.Multiple(() =>
        {
            Assert.That(downloadsLost, Is.Zero, $"read-backs that returned an untouched (all-zero) array, of {trips}");
            Assert.That(uploadsLost, Is.Zero, $"uploads whose data did not arrive, of {trips}");
        });
    }
}
