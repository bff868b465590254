using Seq2Seq.Cli.Commands;

namespace Seq2Seq.Gpu.Tests.Cli;

/// <summary>The batches <c>translate</c> reads standard input in: what has arrived, in order, never more than a batch ahead of the output.</summary>
public sealed class LineBatchReaderTests
{
    [Test]
    public async Task A_batch_is_what_has_arrived_without_waiting_for_a_full_one()
    {
        using var input = new FedReader();
        using var reader = new LineBatchReader(input, batchSize: 64);

        input.Feed("a", "b", "", "d", "e");
        await input.ReadBegun(6); // the reader has every fed line and waits for a sixth, as on a terminal
        Assert.That(reader.NextBatch(CancellationToken.None), Is.EqualTo(new[] { "a", "b", "", "d", "e" }));
        reader.Written(5);

        input.Feed("f", "g");
        await input.ReadBegun(8);
        Assert.That(reader.NextBatch(CancellationToken.None), Is.EqualTo(new[] { "f", "g" }));
        reader.Written(2);

        input.End();
        Assert.That(reader.NextBatch(CancellationToken.None), Is.Null);
    }

    [Test]
    public void Every_line_comes_once_in_order_in_batches_of_at_most_the_batch_size_never_read_more_than_a_batch_ahead()
    {
        const int BatchSize = 3;
        using var input = new FedReader(limitAhead: BatchSize);
        using var reader = new LineBatchReader(input, BatchSize);
        var fed = Enumerable.Range(0, 20).Select(i => $"line {i}").ToArray();
        input.Feed(fed);
        input.End();

        var got = new List<string>();
        while (reader.NextBatch(CancellationToken.None) is { } batch)
        {
            Assert.That(batch, Has.Count.InRange(1, BatchSize));
            got.AddRange(batch);
            input.Written(batch.Count); // before the reader may go on
            reader.Written(batch.Count);
        }

        Assert.That(got, Is.EqualTo(fed));
        Assert.That(input.MostAhead, Is.InRange(1, BatchSize), "read at most a batch beyond what was written");
    }

    [Test]
    public void An_error_reading_the_input_comes_after_the_lines_read_before_it()
    {
        using var reader = new LineBatchReader(new FailingReader(["a", "b"]), batchSize: 8);

        var got = new List<string>();
        Assert.That(
            () =>
            {
                while (reader.NextBatch(CancellationToken.None) is { } batch)
                {
                    got.AddRange(batch);
                    reader.Written(batch.Count);
                }
            },
            Throws.TypeOf<IOException>().With.Message.EqualTo("the input is gone"));
        Assert.That(got, Is.EqualTo(new[] { "a", "b" }));
    }

    [Test]
    public void Cancelling_stops_a_wait_for_input()
    {
        using var input = new FedReader();
        using var reader = new LineBatchReader(input, batchSize: 8);
        using var cancellation = new CancellationTokenSource();

        var waiting = Task.Run(() => reader.NextBatch(cancellation.Token));
        cancellation.Cancel();

        Assert.That(async () => await waiting, Throws.InstanceOf<OperationCanceledException>());
        input.End();
    }
}
