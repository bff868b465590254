using Seq2Seq.Gpu.Checkpoints;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Serving;

/// <summary>A tiny random character model shared by the serving tests (outputs up to 8 tokens), and its checkpoint file.</summary>
public static class ServingModel
{
    private static readonly Lazy<Seq2SeqModel> Shared = new(Create);
    private static readonly Lazy<string> File = new(Save);

    /// <summary>The model, on the shared CPU device.</summary>
    public static Seq2SeqModel Model => Shared.Value;

    /// <summary>The model saved once per run to a temporary file.</summary>
    public static string CheckpointPath => File.Value;

    /// <summary>Varied source sentences of the model's alphabet (and an unknown symbol now and then).</summary>
    public static List<string> Sentences(int count, ulong seed) =>
        TinyTasks.Reverse(count, 6, seed, alphabet: "abcdefz").Select(p => p.Source).ToList();

    /// <summary>Disposes the model and deletes the file (called once at the end of the run).</summary>
    public static void Release()
    {
        if (File.IsValueCreated)
        {
            System.IO.File.Delete(File.Value);
        }

        if (Shared.IsValueCreated)
        {
            Shared.Value.Dispose();
        }
    }

    /// <summary>A new model of the same shape (the caller disposes it), with attention and a bidirectional encoder if asked.</summary>
    public static Seq2SeqModel CreateModel(AttentionKind attention = AttentionKind.None, bool bidirectional = false)
    {
        var pairs = TinyTasks.Reverse(64, 6, 11, alphabet: "abcdef");
        var text = TextEncoder.Build(pairs, TokenLevel.Character, VocabularyScheme.Standard);
        var model = Seq2SeqModel.Create(TestDevices.Cpu(), text, Seq2SeqConfig.ForText(text, 8, 16, bidirectional: bidirectional, attention: attention), seed: 5);
        model.MaxTargetLength = 10;
        return model;
    }

    private static Seq2SeqModel Create() => CreateModel();

    private static string Save()
    {
        string path = Path.Combine(Path.GetTempPath(), $"seq2seq-serving-{Guid.NewGuid():N}.s2s");
        ModelCheckpoint.Save(path, Model);
        return path;
    }
}
