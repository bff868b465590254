using System.Collections.Concurrent;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Logging;

namespace Seq2Seq.Gpu.Devices;

/// <summary>
/// One compute device: an ILGPU context and accelerator, the kernels loaded on it (once), and the memory
/// allocated on it. Open it with <c>Open</c>, share it between models, dispose it last.
/// </summary>
public sealed class ComputeDevice : IDisposable
{
    private readonly Context context;
    private readonly Accelerator accelerator;
    private readonly ConcurrentDictionary<Type, Lazy<IDisposable>> components = new();
    private readonly object exclusive = new();
    private const long LargeAllocationBytes = 64L << 20;
    private long allocatedBytes;
    private long peakAllocatedBytes;
    private bool disposed;

    private ComputeDevice(Context context, Accelerator accelerator, DeviceInfo info, string selection, KernelPolicy policy, ILogger logger)
    {
        this.context = context;
        this.accelerator = accelerator;
        Info = info;
        Selection = selection;
        Policy = policy.Resolve(info);
        Logger = logger;
    }

    /// <summary>What the device is.</summary>
    public DeviceInfo Info { get; }

    /// <summary>Why this device was chosen (for logs and the command line).</summary>
    public string Selection { get; }

    /// <summary>Which kernels run the operations, fixed when the device was opened (every choice resolved).</summary>
    public KernelPolicy Policy { get; }

    /// <summary>On the CPU accelerator, whether host SIMD kernels or the ILGPU kernels run the operations (<see cref="CpuKernels.Ilgpu"/> on GPUs).</summary>
    public CpuKernels CpuKernels => Policy.CpuKernels;

    /// <summary>True for ILGPU's CPU accelerator.</summary>
    public bool IsCpu => Info.Kind == DeviceKind.Cpu;

    /// <summary>Bytes currently allocated through this device.</summary>
    public long AllocatedBytes => Interlocked.Read(ref allocatedBytes);

    /// <summary>Most bytes allocated at once through this device since it was opened (or since <see cref="ResetPeakMemory"/>).</summary>
    public long PeakAllocatedBytes => Interlocked.Read(ref peakAllocatedBytes);

    /// <summary>
    /// Memory free for new buffers now, in bytes: on CUDA what the driver reports free on the device; on OpenCL the
    /// device's memory less what this device object allocated; on ILGPU's CPU accelerator, whose buffers are host
    /// memory, the host's available memory (Linux: <c>MemAvailable</c> of <c>/proc/meminfo</c>, or less when the
    /// process's cgroup has a lower limit). <see cref="MemoryEstimate.EnsureFits"/> and large allocations check it.
    /// </summary>
    public long AvailableMemoryBytes => AvailableMemory().Bytes;

    /// <summary>Where <see cref="AvailableMemoryBytes"/> comes from, for messages (e.g. "host MemAvailable").</summary>
    public string AvailableMemorySource => AvailableMemory().Source;

    /// <summary>Where the device and the components on it log (<see cref="DeviceOpenOptions.Logger"/>, or nothing).</summary>
    internal ILogger Logger { get; }

    internal Accelerator Accelerator
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return accelerator;
        }
    }

    /// <summary>
    /// Opens a device. <see cref="DeviceKind.Auto"/> takes CUDA, then OpenCL, then the CPU accelerator; any other
    /// kind is that kind or a <see cref="DeviceException"/> that lists what exists.
    /// </summary>
    /// <param name="kind">Which kind of device.</param>
    /// <param name="cpuSimulation">The GPU shape the CPU accelerator simulates, when it is chosen.</param>
    /// <param name="cpuKernels">On the CPU accelerator: host SIMD kernels (default) or the ILGPU kernels.</param>
    public static ComputeDevice Open(DeviceKind kind = DeviceKind.Auto, CpuSimulation cpuSimulation = CpuSimulation.Default, CpuKernels cpuKernels = CpuKernels.Auto) =>
        Open(kind, cpuSimulation, KernelPolicy.Default with { CpuKernels = cpuKernels });

    /// <summary>
    /// Opens a device whose operations run the kernels <paramref name="policy"/> asks for (its unset choices take the
    /// device's defaults); a choice the device cannot run is a <see cref="DeviceException"/> (see <see cref="KernelPolicy.Resolve"/>).
    /// </summary>
    /// <param name="kind">Which kind of device.</param>
    /// <param name="cpuSimulation">The GPU shape the CPU accelerator simulates, when it is chosen.</param>
    /// <param name="policy">Which kernels run the operations.</param>
    public static ComputeDevice Open(DeviceKind kind, CpuSimulation cpuSimulation, KernelPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return Open(kind, new DeviceOpenOptions { CpuSimulation = cpuSimulation, Policy = policy });
    }

    /// <summary>
    /// Opens a device as <paramref name="options"/> say (the CPU accelerator's shape, the kernel policy) and logs to
    /// their logger which device it chose and why, and why CUDA was not used when it was not.
    /// </summary>
    /// <param name="kind">Which kind of device.</param>
    /// <param name="options">How to open it.</param>
    public static ComputeDevice Open(DeviceKind kind, DeviceOpenOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Policy);
        if (options.Index is { } index && (index < 0 || kind is not (DeviceKind.Cuda or DeviceKind.OpenCL)))
        {
            throw new ArgumentException($"a device index ({index}) needs a non-negative index and the kind Cuda or OpenCL (got {kind})", nameof(options));
        }

        ILogger logger = options.Logger ?? NullLogger.Instance;
        CudaLibraryResolver.Install();
        var cpuDevice = options.CpuSimulation switch
        {
            CpuSimulation.Nvidia => CPUDevice.GetDevice(CPUDeviceKind.Nvidia),
            CpuSimulation.NvidiaMultiprocessors => new CPUDevice(numThreadsPerWarp: 32, numWarpsPerMultiprocessor: 4, numMultiprocessors: 3),
            _ => CPUDevice.GetDevice(CPUDeviceKind.Default),
        };
        Context context = Context.Create(builder => builder.Cuda().OpenCL().CPU(cpuDevice).EnableAlgorithms().Optimize(OptimizationLevel.O1));
        try
        {
            var (device, reason) = Choose(context, kind, options.Index, logger);
            Accelerator accelerator;
            try
            {
                accelerator = device.CreateAccelerator(context);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                throw new DeviceException($"could not start device '{device.Name}' ({device.AcceleratorType}): {ex.Message}", ex);
            }

            try
            {
                var opened = new ComputeDevice(context, accelerator, Describe(device), reason, options.Policy, logger);
                EngineLog.DeviceOpened(logger, opened.Info.Name, opened.Info.Kind, reason);
                return opened;
            }
            catch
            {
                accelerator.Dispose();
                throw;
            }
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>Every device ILGPU finds on this machine, GPUs first.</summary>
    public static IReadOnlyList<DeviceInfo> ListAvailable()
    {
        CudaLibraryResolver.Install();
        using Context context = Context.Create(builder => builder.Cuda().OpenCL().DefaultCPU());
        return context.Devices.OrderBy(d => Rank(KindOf(d.AcceleratorType))).Select(Describe).ToList();
    }

    /// <summary>
    /// Takes the device for a sequence of launches from this thread (trainers and translators do this for each
    /// call, so concurrent callers never interleave their work on the one stream). Reentrant; dispose to release.
    /// </summary>
    internal ExclusiveScope EnterExclusive() => TryEnterExclusive() ?? throw new ObjectDisposedException(GetType().FullName);

    /// <summary>
    /// <see cref="EnterExclusive"/>, or null once the device is disposed (its buffers are then freed with it and no
    /// call can be running on it): for owners releasing their buffers, which may outlive the device.
    /// </summary>
    internal ExclusiveScope? TryEnterExclusive()
    {
        Monitor.Enter(exclusive);
        if (disposed)
        {
            Monitor.Exit(exclusive);
            return null;
        }

        try
        {
            Accelerator.Bind();
        }
        catch
        {
            Monitor.Exit(exclusive);
            throw;
        }

        return new ExclusiveScope(exclusive);
    }

    /// <summary>Waits until every kernel launched on the device has finished.</summary>
    public void Synchronize() => Accelerator.Synchronize();

    /// <summary>Allocates a zero-filled buffer of <paramref name="length"/> elements; <paramref name="purpose"/> names it in errors.</summary>
    internal DeviceBuffer<T> Allocate<T>(long length, string purpose)
        where T : unmanaged
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (length < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(length), $"{purpose}: negative length {length}");
        }

        long requested = Math.Max(length, 1) * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        if (requested >= LargeAllocationBytes)
        {
            // Checked before asking: an allocation the memory cannot hold may still be granted (Linux overcommits host
            // memory) and only fail, or bring in the OOM killer, when its pages are zeroed.
            var (available, source) = AvailableMemory();
            if (requested > available)
            {
                throw new DeviceException(
                    $"out of memory on {Info.Name}: {purpose} needs {MemoryEstimate.FormatBytes(requested)} but {MemoryEstimate.FormatBytes(available)} is available ({source}), with {MemoryEstimate.FormatBytes(AllocatedBytes)} already allocated here");
            }
        }

        MemoryBuffer1D<T, Stride1D.Dense> raw;
        try
        {
            raw = accelerator.Allocate1D<T>(Math.Max(length, 1));
        }
        catch (Exception ex) when (ex is OutOfMemoryException or AcceleratorException or InvalidOperationException)
        {
            long bytes = length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
            throw new DeviceException(
                $"out of memory on {Info.Name}: allocating {purpose} ({bytes:N0} bytes) with {AllocatedBytes:N0} bytes already in use: {ex.Message}", ex);
        }

        raw.MemSetToZero();
        long total = Interlocked.Add(ref allocatedBytes, raw.LengthInBytes);
        long peak;
        do
        {
            peak = Interlocked.Read(ref peakAllocatedBytes);
        }
        while (total > peak && Interlocked.CompareExchange(ref peakAllocatedBytes, total, peak) != peak);

        return new DeviceBuffer<T>(this, raw);
    }

    /// <summary>Allocates a buffer holding a copy of <paramref name="data"/>.</summary>
    internal DeviceBuffer<T> Upload<T>(ReadOnlySpan<T> data, string purpose)
        where T : unmanaged
    {
        var buffer = Allocate<T>(data.Length, purpose);
        buffer.CopyFrom(data);
        return buffer;
    }

    /// <summary>Restarts peak-memory tracking from the current allocation.</summary>
    public void ResetPeakMemory() => Interlocked.Exchange(ref peakAllocatedBytes, AllocatedBytes);

    /// <inheritdoc />
    public void Dispose()
    {
        // Under the exclusive lock: a call running on another thread finishes first, and TryEnterExclusive sees the flag.
        lock (exclusive)
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
        }

        foreach (var component in components.Values.Where(c => c.IsValueCreated))
        {
            component.Value.Dispose();
        }

        components.Clear();

        accelerator.Dispose();
        context.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() => Info.ToString();

    /// <summary>
    /// The device's one component of type <typeparamref name="T"/>, created by <paramref name="create"/> on first use
    /// and disposed with the device, before its accelerator: how the layers above (the operations of
    /// <c>DeviceOps</c>) keep per-device state without this layer knowing them.
    /// </summary>
    internal T Component<T>(Func<ComputeDevice, T> create)
        where T : class, IDisposable
    {
        // Read on every operation (device.Ops): a lock-free lookup; Lazy makes the component once even when two threads race.
        ObjectDisposedException.ThrowIf(disposed, this);
        return (T)components.GetOrAdd(typeof(T), _ => new Lazy<IDisposable>(() => create(this), LazyThreadSafetyMode.ExecutionAndPublication)).Value;
    }

    internal void OnFreed(long bytes) => Interlocked.Add(ref allocatedBytes, -bytes);

    private (long Bytes, string Source) AvailableMemory()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        switch (accelerator)
        {
            case CudaAccelerator:
                lock (exclusive)
                {
                    accelerator.Bind();
                    var error = CudaAPI.CurrentAPI.GetMemoryInfo(out long free, out long _);
                    return error == CudaError.CUDA_SUCCESS
                        ? (free, "free device memory reported by CUDA")
                        : (Math.Max(Info.MemoryBytes - AllocatedBytes, 0), $"device memory less this engine's allocations (CUDA's figure failed: {error})");
                }

            case CPUAccelerator:
                return HostMemory.Available();
            default:
                return (Math.Max(Info.MemoryBytes - AllocatedBytes, 0), "device memory less this engine's allocations");
        }
    }

    private static (Device Device, string Reason) Choose(Context context, DeviceKind kind, int? index, ILogger logger)
    {
        var devices = context.Devices.ToList();
        if (kind == DeviceKind.Auto)
        {
            // An OpenCL runtime on the CPU (PoCL, Intel's CPU runtime) is not a GPU: the CPU accelerator with the host
            // SIMD kernels is the faster way to use a CPU, so auto passes such a device over.
            foreach (var cpuOpenCl in devices.Where(IsOpenClOnCpu))
            {
                EngineLog.OpenClPassedOver(logger, cpuOpenCl.Name, "it runs on the CPU, where ILGPU's CPU accelerator with the host SIMD kernels is faster");
            }

            var best = devices.Where(d => !IsOpenClOnCpu(d)).OrderBy(d => Rank(KindOf(d.AcceleratorType))).First();
            if (KindOf(best.AcceleratorType) != DeviceKind.Cuda && logger.IsEnabled(LogLevel.Information))
            {
                string why = CudaLibraryResolver.WhyNoCuda();
                EngineLog.CudaNotUsed(logger, why);
            }

            string reason = KindOf(best.AcceleratorType) == DeviceKind.Cpu
                ? "auto: no CUDA or OpenCL GPU found, using ILGPU's CPU accelerator"
                : $"auto: {KindOf(best.AcceleratorType)} GPU found";
            return (best, reason);
        }

        var matches = devices.Where(d => KindOf(d.AcceleratorType) == kind).ToList();
        if (matches.Count == 0)
        {
            string present = string.Join(", ", devices.Select(d => $"{KindOf(d.AcceleratorType)}: {d.Name}"));
            throw new DeviceException($"no {kind} device found; devices present: {present}");
        }

        if (index is { } n)
        {
            if (n >= matches.Count)
            {
                string numbered = string.Join(", ", matches.Select((d, i) => $"{i}: {d.Name}"));
                throw new DeviceException($"no {kind} device {n}; the {kind} devices are {numbered}");
            }

            return (matches[n], $"{kind} device {n} requested");
        }

        return (matches[0], $"{kind} requested");
    }

    private static bool IsOpenClOnCpu(Device device) =>
        device is CLDevice cl && cl.DeviceType.HasFlag(CLDeviceType.CL_DEVICE_TYPE_CPU);

    private static DeviceKind KindOf(AcceleratorType type) => type switch
    {
        AcceleratorType.Cuda => DeviceKind.Cuda,
        AcceleratorType.OpenCL => DeviceKind.OpenCL,
        _ => DeviceKind.Cpu,
    };

    private static int Rank(DeviceKind kind) => kind switch
    {
        DeviceKind.Cuda => 0,
        DeviceKind.OpenCL => 1,
        _ => 2,
    };

    private static DeviceInfo Describe(Device device) => new(
        device.Name,
        KindOf(device.AcceleratorType),
        device.MemorySize,
        device.WarpSize,
        device.NumMultiprocessors,
        device.MaxNumThreadsPerGroup,
        device.MaxSharedMemoryPerGroup);
}
