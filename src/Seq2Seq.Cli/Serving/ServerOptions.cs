using System.Net;

namespace Seq2Seq.Cli.Serving;

/// <summary>Where a <see cref="TranslationServer"/> listens and what it accepts (documented in docs/serving.md).</summary>
internal sealed record ServerOptions
{
    /// <summary>The address to bind: the loopback interface unless told otherwise.</summary>
    public IPAddress Host { get; init; } = IPAddress.Loopback;

    /// <summary>The TCP port; 0 picks a free one (see <see cref="TranslationServer.Address"/>).</summary>
    public int Port { get; init; } = 8080;

    /// <summary>Largest request body, in bytes (limit <c>max_body_bytes</c>, 413).</summary>
    public int MaxBodyBytes { get; init; } = 1 << 20;

    /// <summary>Most sentences in one request (limit <c>max_sentences</c>, 413).</summary>
    public int MaxSentences { get; init; } = 256;

    /// <summary>Longest sentence, in Unicode characters (code points) (limit <c>max_sentence_length</c>, 413).</summary>
    public int MaxSentenceLength { get; init; } = 1000;

    /// <summary>How long a stop waits for requests in flight before it closes their connections.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
