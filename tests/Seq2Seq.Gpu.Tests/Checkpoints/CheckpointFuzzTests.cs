using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using Seq2Seq.Gpu.Checkpoints;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Optimizers;
using Seq2Seq.Gpu.Tests.Infrastructure;
using Seq2Seq.Gpu.Training;

namespace Seq2Seq.Gpu.Tests.Checkpoints;

/// <summary>
/// Property tests: thousands of seeded mutations of one small valid training checkpoint (bit flips, byte overwrites,
/// truncations, insertions, header-length lies, edits of the header JSON and of the config, vocabulary and other
/// metadata), each loaded with a time limit. A load either succeeds with a model identical to the saved one, or throws
/// a <see cref="Seq2SeqException"/> naming the file, never anything else, never a hang, never a large allocation; and
/// every change to the tensor data is reported as corruption.
/// </summary>
public sealed class CheckpointFuzzTests
{
    private const int Cases = 2000;
    private const string Replay = "(20261202,1442695040888963407)";
    private static readonly TimeSpan CaseLimit = TimeSpan.FromSeconds(10);
    private static readonly string[] Numbers = ["-1", "0", "1", "2", "3", "7", "65537", "2000000000", "-2147483648", "2147483647", "9223372036854775807", "1e3", "0.5", "null", "\"3\"", "[]"];

    private string directory = string.Empty;
    private byte[] original = [];
    private long dataStart;
    private Seq2SeqModel reference = null!;
    private float[] referenceWeights = [];

    [OneTimeSetUp]
    public void SaveCheckpoint()
    {
        directory = Directory.CreateTempSubdirectory("seq2seq-fuzz-").FullName;
        List<SentencePair> pairs = [new("ab c", "c ba"), new("b a", "a b"), new("cab", "bac")];
        var text = TextEncoder.Build(pairs, TokenLevel.Character, VocabularyScheme.Standard);
        reference = Seq2SeqModel.Create(TestDevices.Cpu(), text, Seq2SeqConfig.ForText(text, 3, 4), seed: 11);
        reference.MaxSourceLength = 4;
        reference.MaxTargetLength = 6;
        reference.Weights.EnsureOptimizerSlots(1);
        string path = Path.Combine(directory, "valid.s2s");
        TrainingCheckpoint.Save(path, reference, Optimizer.Create("rmsprop", 1e-3f), new TrainingState(1, 0.5, 1, 0, 3, []));
        original = File.ReadAllBytes(path);
        dataStart = 8 + (long)BinaryPrimitives.ReadUInt64LittleEndian(original);
        referenceWeights = reference.Weights.Weights.ToArray();
    }

    [OneTimeTearDown]
    public void DeleteDirectory()
    {
        reference.Dispose();
        Directory.Delete(directory, recursive: true);
    }

#pragma warning disable NUnit1027 // FsCheck.NUnit's Property supplies the argument, which the analyzer cannot see.
    [FsCheck.NUnit.Property(MaxTest = Cases, Replay = Replay, QuietOnSuccess = true, Arbitrary = [typeof(CheckpointFuzzTests)])]
    public void A_mutated_checkpoint_loads_identically_or_fails_with_a_checkpoint_error(Mutation mutation)
#pragma warning restore NUnit1027
    {
        byte[] bytes = Apply(mutation, out bool dataChanged, out bool onlyData);
        string path = Path.Combine(directory, "mutated.s2s");
        File.WriteAllBytes(path, bytes);
        var device = TestDevices.Cpu();
        long deviceBefore = device.AllocatedBytes;
        device.ResetPeakMemory();

        var run = Bounded.Run(() => ModelCheckpoint.Load(device, path), CaseLimit, $"loading {mutation}");
        (Exception? error, long managed, Seq2SeqModel? model) = (run.Error, run.AllocatedBytes, run.Result?.Model);
        try
        {
            Assert.That(managed, Is.LessThan(16L << 20), $"{mutation}: the load allocated {managed:N0} managed bytes");
            Assert.That(device.PeakAllocatedBytes - deviceBefore, Is.LessThan(1L << 20), $"{mutation}: the load allocated device memory beyond the model");
            if (error is not null)
            {
                Assert.That(error, Is.InstanceOf<Seq2SeqException>(), $"{mutation}: {error}");
                Assert.That(error.Message, Does.Contain("mutated.s2s"), $"{mutation}: the message names the file");
                if (onlyData)
                {
                    Assert.That(error.Message, Does.Contain("corrupt"), $"{mutation}: a change of tensor data alone is reported as corruption");
                }

                return;
            }

            Assert.That(dataChanged, Is.False, $"{mutation}: a change of tensor data loaded");
            Assert.That(model!.Weights.Weights.ToArray(), Is.EqualTo(referenceWeights), mutation.ToString());
            if (mutation is { Kind: "metadata", Extra: 1 })
            {
                // No checksums, as in an older file: an edit that passes every metadata check may load, but consistently.
                Assert.That(model.Text.SourceVocabulary.Count, Is.EqualTo(model.Config.SourceVocabSize), mutation.ToString());
                Assert.That(model.Text.TargetVocabulary.Count, Is.EqualTo(model.Config.TargetVocabSize), mutation.ToString());
                Assert.That(model.MaxTargetLength, Is.InRange(0, CheckpointLimits.MaxSequenceLength), mutation.ToString());
                Assert.That(model.MaxSourceLength, Is.InRange(0, CheckpointLimits.MaxSequenceLength), mutation.ToString());
                return;
            }

            // Loaded with its checksums verified, so it is the saved model.
            Assert.That(model.Config, Is.EqualTo(reference.Config), mutation.ToString());
            Assert.That(model.MaxTargetLength, Is.EqualTo(reference.MaxTargetLength), mutation.ToString());
            Assert.That(model.Text.SourceVocabulary.Tokens, Is.EqualTo(reference.Text.SourceVocabulary.Tokens), mutation.ToString());
            Assert.That(model.Text.TargetVocabulary.Tokens, Is.EqualTo(reference.Text.TargetVocabulary.Tokens), mutation.ToString());
            Assert.That(model.Text.TargetVocabulary.SpecialTokens, Is.EqualTo(reference.Text.TargetVocabulary.SpecialTokens), mutation.ToString());
        }
        finally
        {
            model?.Dispose();
        }
    }

    /// <summary>The generator of mutations FsCheck draws from (found by the property's <c>Arbitrary</c>).</summary>
    public static Arbitrary<Mutation> Mutations()
    {
        return Gen.OneOf(
            Mutation.Of("flip-data", 7, 0),
            Mutation.Of("flip-data", 7, 0),
            Mutation.Of("flip-any", 7, 2),
            Mutation.Of("overwrite", 255, 3),
            Mutation.Of("truncate", 0, 0),
            Mutation.Of("insert", 255, 64),
            Mutation.Of("header-length", 8, 0),
            Mutation.Of("header-json", 13, 1),
            Mutation.Of("metadata", 1000, 1),
            Mutation.Of("metadata", 1000, 1)).ToArbitrary();
    }

    /// <summary>
    /// Applies <paramref name="m"/>. <paramref name="dataChanged"/>: the tensor data (or where it starts) changed, so
    /// the load must fail; <paramref name="onlyData"/>: bytes of the tensor data changed and nothing else, so the
    /// structure is intact and only the checksums can see it.
    /// </summary>
    private byte[] Apply(Mutation m, out bool dataChanged, out bool onlyData)
    {
        byte[] bytes = Mutate(m, out dataChanged);
        onlyData = dataChanged && bytes.Length == original.Length && m.Kind != "header-length"
            && bytes.AsSpan(0, (int)dataStart).SequenceEqual(original.AsSpan(0, (int)dataStart));
        return bytes;
    }

    private byte[] Mutate(Mutation m, out bool dataChanged)
    {
        byte[] bytes = (byte[])original.Clone();
        int dataLength = (int)(original.Length - dataStart);
        dataChanged = false;
        switch (m.Kind)
        {
            case "flip-data":
                bytes[dataStart + (m.Position % dataLength)] ^= (byte)(1 << m.Value);
                dataChanged = true;
                return bytes;
            case "flip-any":
                for (int i = 0; i <= m.Extra; i++)
                {
                    int at = (int)((m.Position + ((long)i * 7919)) % bytes.Length);
                    bytes[at] ^= (byte)(1 << ((m.Value + i) % 8));
                    dataChanged |= at >= dataStart;
                }

                return bytes;
            case "overwrite":
                for (int i = 0; i <= m.Extra; i++)
                {
                    int at = (int)((m.Position + ((long)i * 104729)) % bytes.Length);
                    byte value = (byte)(m.Value + (i * 37));
                    dataChanged |= at >= dataStart && bytes[at] != value;
                    bytes[at] = value;
                }

                return bytes;
            case "truncate":
                dataChanged = true;
                return bytes[..(m.Position % bytes.Length)];
            case "insert":
                int insertAt = m.Position % (bytes.Length + 1);
                byte[] inserted = [.. Enumerable.Range(0, m.Extra + 1).Select(i => (byte)(m.Value + i))];
                dataChanged = insertAt >= dataStart;
                return [.. bytes[..insertAt], .. inserted, .. bytes[insertAt..]];
            case "header-length":
                ulong length = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
                ulong[] lies = [0, 1, length - 1, length + 1, length - 8, length + 8, (ulong)bytes.Length, ulong.MaxValue, 100_000_001];
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, lies[m.Value]);
                dataChanged = true; // The data section no longer starts where it did.
                return bytes;
            case "header-json":
                return EditHeaderText(bytes, m);
            default:
                return EditMetadata(m);
        }
    }

    /// <summary>Deletes or inserts one JSON-significant character in the header, fixing the length prefix.</summary>
    private byte[] EditHeaderText(byte[] bytes, Mutation m)
    {
        string header = Encoding.UTF8.GetString(bytes, 8, (int)(dataStart - 8));
        int at = m.Position % header.Length;
        const string Alphabet = "{}[]\":,0-9e. \\a";
        header = m.Extra == 0 ? header.Remove(at, 1) : header.Insert(at, Alphabet[m.Value % Alphabet.Length].ToString());
        return Reassemble(Encoding.UTF8.GetBytes(header));
    }

    /// <summary>
    /// Rewrites one value inside a metadata entry (a number, a token, a field removed), re-serialising the header; on
    /// odd positions the checksums are dropped too, as in a file written before them, so that the metadata checks
    /// themselves are exercised.
    /// </summary>
    private byte[] EditMetadata(Mutation m)
    {
        string header = Encoding.UTF8.GetString(original, 8, (int)(dataStart - 8));
        JsonObject root = JsonNode.Parse(header)!.AsObject();
        JsonObject metadata = root["__metadata__"]!.AsObject();
        string[] keys = ["config", "source_vocab", "target_vocab", "special_tokens", "optimizer", "training", "format_version", "checksums"];
        string key = keys[m.Position % keys.Length];
        if (m.Extra == 1)
        {
            metadata.Remove("checksums");
        }

        if (metadata[key] is JsonNode value)
        {
            metadata[key] = EditValue(value.GetValue<string>(), m);
        }

        return Reassemble(Encoding.UTF8.GetBytes(root.ToJsonString()));
    }

    private static string EditValue(string json, Mutation m)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (System.Text.Json.JsonException)
        {
            return json + "x";
        }

        var containers = new List<JsonNode>();
        Collect(node, containers);
        if (containers.Count == 0)
        {
            return Numbers[m.Value % Numbers.Length];
        }

        JsonNode target = containers[(m.Position / 8) % containers.Count];
        string replacement = (m.Value % 3) switch
        {
            0 => Numbers[m.Value % Numbers.Length],
            1 => new[] { "\" \"", "\"<end>\"", "\"a\"", "\"\"", "\"\\t\"", "\"START_\"", "\"rmsprop\"", "\"word\"", "\"keras\"" }[m.Value % 9],
            _ => "null",
        };
        switch (target)
        {
            case JsonObject o when o.Count > 0:
                string field = o.ElementAt(m.Value % o.Count).Key;
                if (m.Value % 5 == 0)
                {
                    o.Remove(field);
                }
                else
                {
                    o[field] = JsonNode.Parse(replacement);
                }

                break;
            case JsonArray a when a.Count > 0:
                int index = m.Value % a.Count;
                if (m.Value % 5 == 0)
                {
                    a.RemoveAt(index);
                }
                else
                {
                    a[index] = JsonNode.Parse(replacement);
                }

                break;
        }

        return node!.ToJsonString();
    }

    private static void Collect(JsonNode? node, List<JsonNode> containers)
    {
        if (node is JsonObject o)
        {
            containers.Add(o);
            foreach (var item in o.ToList())
            {
                Collect(item.Value, containers);
            }
        }
        else if (node is JsonArray a)
        {
            containers.Add(a);
            foreach (var item in a.ToList())
            {
                Collect(item, containers);
            }
        }
    }

    private byte[] Reassemble(byte[] header)
    {
        byte[] bytes = new byte[8 + header.Length + (original.Length - dataStart)];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        original.AsSpan((int)dataStart).CopyTo(bytes.AsSpan(8 + header.Length));
        return bytes;
    }
}
