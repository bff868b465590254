using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Devices;

public sealed class ComputeDeviceTests
{
    [Test]
    public void Cpu_accelerator_is_always_listed_and_reports_its_shape()
    {
        var devices = ComputeDevice.ListAvailable();
        Assert.That(devices.Any(d => d.Kind == DeviceKind.Cpu), Is.True);
        var cpu = devices.First(d => d.Kind == DeviceKind.Cpu);
        Assert.That(cpu.WarpSize, Is.GreaterThan(0));
        Assert.That(cpu.ToString(), Does.Contain("Cpu"));
    }

    [TestCase(CpuSimulation.Default, 4)]
    [TestCase(CpuSimulation.Nvidia, 32)]
    public void Cpu_simulations_have_their_warp_sizes(CpuSimulation simulation, int warp)
    {
        var device = TestDevices.CpuIlgpu(simulation);
        Assert.That(device.Info.Kind, Is.EqualTo(DeviceKind.Cpu));
        Assert.That(device.Info.WarpSize, Is.EqualTo(warp));
    }

    [Test]
    public void Auto_picks_a_gpu_when_present_and_says_why()
    {
        using var device = ComputeDevice.Open(DeviceKind.Auto);
        bool gpuPresent = ComputeDevice.ListAvailable().Any(d => d.Kind != DeviceKind.Cpu);
        Assert.That(device.Info.Kind == DeviceKind.Cpu, Is.EqualTo(!gpuPresent));
        Assert.That(device.Selection, Does.StartWith("auto:"));
    }

    [Test]
    public void Asking_for_an_absent_kind_is_a_clear_error_listing_what_exists()
    {
        if (ComputeDevice.ListAvailable().Any(d => d.Kind == DeviceKind.OpenCL))
        {
            Assert.Ignore("this machine has an OpenCL device");
        }

        Assert.That(
            () => ComputeDevice.Open(DeviceKind.OpenCL),
            Throws.TypeOf<DeviceException>().With.Message.Contains("no OpenCL device found").And.Message.Contains("Cpu:"));
    }

    [Test]
    public void The_cpu_accelerator_runs_host_simd_kernels_unless_ilgpu_is_asked_for()
    {
        using var simd = ComputeDevice.Open(DeviceKind.Cpu);
        using var ilgpu = ComputeDevice.Open(DeviceKind.Cpu, cpuKernels: CpuKernels.Ilgpu);
        using var x = simd.Upload<float>([1f, 2f], "x");
        using var id = simd.Allocate<int>(1, "argmax");
        simd.Ops.Argmax(x.View, id.View, 1, 2);

        Assert.That(simd.CpuKernels, Is.EqualTo(CpuKernels.Simd));
        Assert.That(simd.Ops.Backend, Does.StartWith("simd"));
        Assert.That(simd.Ops.LoadedKernelCount, Is.Zero, "no ILGPU kernel was compiled for the host path");
        Assert.That(id.ToArray(), Is.EqualTo(new[] { 1 }));
        Assert.That(ilgpu.Ops.Backend, Does.StartWith("ilgpu (per-operation steps, per-step decode, products: own kernels"), "the CPU accelerator keeps the barrier-free kernels");
    }

    [Test]
    public void Memory_is_counted_and_released_on_dispose()
    {
        using var device = ComputeDevice.Open(DeviceKind.Cpu);
        long before = device.AllocatedBytes;
        var buffer = device.Allocate<float>(1000, "test");
        Assert.That(device.AllocatedBytes - before, Is.EqualTo(4000));
        buffer.Dispose();
        buffer.Dispose();
        Assert.That(device.AllocatedBytes, Is.EqualTo(before));
        Assert.That(device.PeakAllocatedBytes, Is.GreaterThanOrEqualTo(before + 4000));
        Assert.That(() => buffer.ToArray(), Throws.TypeOf<ObjectDisposedException>());
    }

    [Test]
    public void An_impossible_allocation_is_a_device_error_naming_the_purpose()
    {
        using var device = ComputeDevice.Open(DeviceKind.Cpu);
        Assert.That(
            () => device.Allocate<float>(long.MaxValue / 8, "an absurd tensor"),
            Throws.InstanceOf<Seq2SeqException>().With.Message.Contains("an absurd tensor"));
    }

    [Test]
    public void Kernels_are_loaded_once_per_device()
    {
        using var device = ComputeDevice.Open(DeviceKind.Cpu, cpuKernels: CpuKernels.Ilgpu);
        using var x = device.Upload<float>([1f, 2f, 3f], "x");
        using var id = device.Allocate<int>(1, "argmax");
        device.Ops.Argmax(x.View, id.View, 1, 3);
        int afterFirst = device.Ops.LoadedKernelCount;
        device.Ops.Argmax(x.View, id.View, 1, 3);
        device.Ops.Argmax(x.View, id.View, 1, 3);

        Assert.That(afterFirst, Is.EqualTo(1));
        Assert.That(device.Ops.LoadedKernelCount, Is.EqualTo(1));
        Assert.That(id.ToArray(), Is.EqualTo(new[] { 2 }));
    }
}
