using Seq2Seq.Gpu.Parameters;

namespace Seq2Seq.Gpu.Models;

/// <summary>The parameter layout of an encoder-decoder model, as its <see cref="Seq2SeqArchitecture"/> describes it.</summary>
internal static class ModelLayout
{
    /// <summary>Builds the layout of a model.</summary>
    public static ParameterLayout Create(Seq2SeqConfig config) => Seq2SeqArchitecture.For(config).CreateLayout();
}
