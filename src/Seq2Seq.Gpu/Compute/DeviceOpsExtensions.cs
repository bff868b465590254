using Seq2Seq.Gpu.Devices;

namespace Seq2Seq.Gpu.Compute;

/// <summary>A device's operations, as a property of the device.</summary>
internal static class DeviceOpsExtensions
{
    extension(ComputeDevice device)
    {
        /// <summary>
        /// The operations of this device: its kernels, each compiled and loaded once, behind typed, shape-checked
        /// methods, run by the backend its <see cref="ComputeDevice.Policy"/> chose. One instance a device, disposed with it.
        /// </summary>
        public DeviceOps Ops => device.Component(static d => new DeviceOps(ComputeBackends.Create(d, d.Policy)));
    }
}
