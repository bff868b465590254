namespace Seq2Seq.Gpu.Tests.Infrastructure;

/// <summary>What <see cref="Bounded.Run{T}"/> gave: the function's result or its exception, and the managed bytes it allocated.</summary>
/// <typeparam name="T">The result type.</typeparam>
public sealed record BoundedRun<T>(T? Result, Exception? Error, long AllocatedBytes);
