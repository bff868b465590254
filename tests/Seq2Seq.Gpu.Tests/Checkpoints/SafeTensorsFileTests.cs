using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Seq2Seq.Gpu.Checkpoints;
using NUnit.Framework;
using Seq2Seq.Gpu.Errors;

namespace Seq2Seq.Gpu.Tests.Checkpoints;

[TestFixture]
public sealed class SafeTensorsFileTests
{
    private string _dir = string.Empty;

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "s2s-safetensors-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private string File(string name = "model.safetensors") => Path.Combine(_dir, name);

    /// <summary>A file laid out by hand, byte by byte, per the spec: u64 LE header length, header, data.</summary>
    private static byte[] Raw(string header, byte[] data, ulong? headerLength = null)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        return Raw(json, data, headerLength);
    }

    private static byte[] Raw(byte[] header, byte[] data, ulong? headerLength = null)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLength ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    private static byte[] Floats(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        }

        return bytes;
    }

    private static List<NamedTensor> SampleTensors() =>
    [
        new("encoder.embedding", [2, 3], [1f, -2.5f, 3.25f, float.Epsilon, -0f, float.MaxValue]),
        new("scalar", [], [42.5f]),
        new("empty", [0, 4], Array.Empty<float>()),
        new("ids", [3], [7, -1, int.MaxValue]),
        new("optimizer.step", [1], [long.MinValue + 1]),
        new("output.bias", [4], [0.1f, 0.2f, 0.3f, 0.4f]),
    ];

    private static Dictionary<string, string> SampleMetadata() => new()
    {
        ["format_version"] = "1",
        ["config"] = "{\"hidden\": 256, \"name\": \"a \\\"quoted\\\" name\", \"list\": [1, 2]}",
        ["vocabulary"] = "[\"é\", \"ü\", \"日本\", \"😀\", \"\u202F!\", \"\\t\", \"\\n\"]",
        ["ünïcode key 🔑"] = "line1\nline2\ttab \\ backslash \u0001 control",
    };

    [Test]
    public void Round_trip_keeps_tensors_metadata_and_order()
    {
        List<NamedTensor> tensors = SampleTensors();
        Dictionary<string, string> metadata = SampleMetadata();
        SafeTensorsFile.Write(File(), metadata, tensors);

        SafeTensorsFile read = SafeTensorsFile.Read(File());

        Assert.That(read.Metadata, Is.EquivalentTo(metadata));
        Assert.That(read.Tensors.Select(t => t.Name), Is.EqualTo(tensors.Select(t => t.Name)));
        foreach (NamedTensor expected in tensors)
        {
            NamedTensor actual = read.GetTensor(expected.Name);
            Assert.That(actual.DType, Is.EqualTo(expected.DType), expected.Name);
            Assert.That(actual.Shape, Is.EqualTo(expected.Shape), expected.Name);
            switch (expected.DType)
            {
                case SafeTensorsDType.F32:
                    // Bitwise: -0 stays -0, denormals survive.
                    Assert.That(
                        actual.AsFloat32().Select(BitConverter.SingleToInt32Bits),
                        Is.EqualTo(expected.AsFloat32().Select(BitConverter.SingleToInt32Bits)),
                        expected.Name);
                    break;
                case SafeTensorsDType.I32:
                    Assert.That(actual.AsInt32(), Is.EqualTo(expected.AsInt32()));
                    break;
                default:
                    Assert.That(actual.AsInt64(), Is.EqualTo(expected.AsInt64()));
                    break;
            }
        }

        Assert.That(read.GetFloat32("encoder.embedding", [2, 3]), Has.Length.EqualTo(6));
        Assert.That(read.GetInt32("ids", [3]), Is.EqualTo(new[] { 7, -1, int.MaxValue }));
        Assert.That(read.GetInt64("optimizer.step", [1]), Is.EqualTo(new[] { long.MinValue + 1 }));
        Assert.That(read.GetFloat32("scalar", []), Is.EqualTo(new[] { 42.5f }));
        Assert.That(read.GetMetadata("format_version"), Is.EqualTo("1"));
    }

    [Test]
    public void Written_file_follows_the_spec_byte_for_byte()
    {
        SafeTensorsFile.Write(File(), null, [new NamedTensor("a", [2], [1f, 2f])]);

        byte[] bytes = System.IO.File.ReadAllBytes(File());
        const string json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        string padded = json + new string(' ', 56 - json.Length); // 54 bytes of JSON, padded to 56: 8 + 56 = 64.
        Assert.That(bytes, Is.EqualTo(Raw(padded, Floats(1f, 2f))));
    }

    [Test]
    public void Header_is_padded_to_eight_bytes_and_is_plain_json()
    {
        SafeTensorsFile.Write(File(), SampleMetadata(), SampleTensors());

        byte[] bytes = System.IO.File.ReadAllBytes(File());
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.That((8 + n) % 8, Is.Zero);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.That(header, Does.StartWith("{\"__metadata__\":{"));
        using JsonDocument doc = JsonDocument.Parse(header);
        JsonElement bias = doc.RootElement.GetProperty("output.bias");
        Assert.That(bias.GetProperty("dtype").GetString(), Is.EqualTo("F32"));
        long begin = bias.GetProperty("data_offsets")[0].GetInt64();
        long end = bias.GetProperty("data_offsets")[1].GetInt64();
        Assert.That(end - begin, Is.EqualTo(16));
        Assert.That(8 + n + end, Is.EqualTo(bytes.Length), "output.bias is the last tensor and ends the file");
        Assert.That(BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan((int)(8 + n + begin))), Is.EqualTo(0.1f));
        Assert.That(doc.RootElement.GetProperty("__metadata__").GetProperty("ünïcode key 🔑").GetString(),
            Is.EqualTo(SampleMetadata()["ünïcode key 🔑"]));
    }

    [Test]
    public void Reads_a_file_written_by_hand_as_python_safetensors_writes_it()
    {
        // Python's writer lists tensors in its own order, pads the header with spaces, and puts the metadata anywhere.
        string header =
            "{\"b\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[8,16]}," +
            "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}," +
            "\"__metadata__\":{\"format\":\"np\"}}   ";
        var data = new byte[16];
        Floats(1f, 2f).CopyTo(data, 0);
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(8), 12345);
        System.IO.File.WriteAllBytes(File(), Raw(header, data));

        SafeTensorsFile read = SafeTensorsFile.Read(File());

        Assert.That(read.Tensors.Select(t => t.Name), Is.EqualTo(new[] { "a", "b" }), "ordered by offset");
        Assert.That(read.GetFloat32("a", [2]), Is.EqualTo(new[] { 1f, 2f }));
        Assert.That(read.GetInt64("b", []), Is.EqualTo(new[] { 12345L }));
        Assert.That(read.Metadata["format"], Is.EqualTo("np"));
    }

    [Test]
    public void Reads_the_minimal_spec_example()
    {
        System.IO.File.WriteAllBytes(File(), Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", Floats(1.5f, -3f)));

        SafeTensorsFile read = SafeTensorsFile.Read(File());

        Assert.That(read.Metadata, Is.Empty);
        Assert.That(read.GetTensor("a").AsFloat32(), Is.EqualTo(new[] { 1.5f, -3f }));
    }

    [Test]
    public void Empty_file_with_no_tensors_round_trips()
    {
        SafeTensorsFile.Write(File(), new Dictionary<string, string>(), []);
        SafeTensorsFile read = SafeTensorsFile.Read(File());
        Assert.That(read.Tensors, Is.Empty);
        Assert.That(read.Metadata, Is.Empty);
    }

    [Test]
    public void Every_truncation_is_a_checkpoint_error()
    {
        SafeTensorsFile.Write(File("full"), SampleMetadata(), SampleTensors());
        byte[] full = System.IO.File.ReadAllBytes(File("full"));
        string cut = File("cut");

        for (int length = 0; length < full.Length; length++)
        {
            System.IO.File.WriteAllBytes(cut, full.AsSpan(0, length).ToArray());
            Assert.That(() => SafeTensorsFile.Read(cut),
                Throws.TypeOf<CheckpointException>().With.Message.Contains(cut), $"cut at {length} of {full.Length}");
        }
    }

    [Test]
    public void Random_byte_damage_gives_a_checkpoint_error_or_reads_exactly_the_damaged_bytes()
    {
        SafeTensorsFile.Write(File("full"), SampleMetadata(), SampleTensors());
        byte[] full = System.IO.File.ReadAllBytes(File("full"));
        int dataStart = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(full);
        var random = new Random(12345);
        string damaged = File("damaged");
        string rewritten = File("rewritten");
        int read = 0;
        for (int trial = 0; trial < 500; trial++)
        {
            byte[] bytes = (byte[])full.Clone();
            int flips = random.Next(1, 4);
            for (int f = 0; f < flips; f++)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            bool headerIntact = bytes.AsSpan(0, dataStart).SequenceEqual(full.AsSpan(0, dataStart));
            System.IO.File.WriteAllBytes(damaged, bytes);
            SafeTensorsFile file;
            try
            {
                file = SafeTensorsFile.Read(damaged);
            }
            catch (CheckpointException e)
            {
                Assert.That(e.Message, Does.StartWith($"checkpoint '{damaged}': "), $"trial {trial}");
                if (headerIntact)
                {
                    // With the header intact the structure is valid: only a value the reader refuses can fail it.
                    Assert.That(e.Message, Does.Contain("non-finite"), $"trial {trial}");
                }

                continue;
            }

            // Read: writing what was read gives back a file that reads the same; with the header intact, the very bytes.
            read++;
            SafeTensorsFile.Write(rewritten, file.Metadata, file.Tensors);
            if (headerIntact)
            {
                Assert.That(System.IO.File.ReadAllBytes(rewritten), Is.EqualTo(bytes), $"trial {trial}: the data read is the data in the file");
            }
            else
            {
                SafeTensorsFile again = SafeTensorsFile.Read(rewritten);
                Assert.That(again.Metadata, Is.EquivalentTo(file.Metadata), $"trial {trial}");
                Assert.That(again.Tensors.Select(t => t.ToString()), Is.EqualTo(file.Tensors.Select(t => t.ToString())), $"trial {trial}");
            }
        }

        Assert.That(read, Is.GreaterThan(0), "some damage (inside the data) leaves a readable file");
    }

    private static IEnumerable<TestCaseData> CorruptFiles()
    {
        byte[] eight = Floats(1f, 2f);
        const string a = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

        static TestCaseData Case(string name, byte[] file, string fragment) =>
            new TestCaseData(file, fragment).SetName("Corrupt: " + name);

        yield return Case("shorter than 8 bytes", [1, 2, 3], "too short");
        yield return Case("absurd header length", Raw("{}", [], ulong.MaxValue), "larger than the limit");
        yield return Case("header length past the end", Raw("{" + a + "}", eight, 4000), "runs past the end");
        yield return Case("empty header", Raw("", []), "header is empty");
        yield return Case("header not UTF-8", Raw([(byte)'{', 0xC3, 0x28, (byte)'}'], []), "not valid UTF-8");
        yield return Case("header not JSON", Raw("{\"a\":", []), "not valid JSON");
        yield return Case("header with trailing garbage", Raw("{}x", []), "not valid JSON");
        yield return Case("header not an object", Raw("[1,2]", []), "does not start with '{'");
        yield return Case("header padded with NUL", Raw("{}\0\0", []), "not valid JSON");
        yield return Case("entry not an object", Raw("{\"a\":[1]}", []), "not an object");
        yield return Case("unknown dtype", Raw("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", [0, 0, 0, 0]), "dtype 'F16' is not supported");
        yield return Case("dtype not a string", Raw("{\"a\":{\"dtype\":4,\"shape\":[2],\"data_offsets\":[0,8]}}", eight), "'dtype' is a JSON number");
        yield return Case("negative dimension", Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", eight), "negative");
        yield return Case("fractional dimension", Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", eight), "not an integer");
        yield return Case("huge dimension", Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,8]}}", eight), "not an integer");
        yield return Case("too many elements", Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,8]}}", eight), "more elements");
        yield return Case("shape not an array", Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}", eight), "'shape' is a JSON number");
        yield return Case("missing shape", Raw("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", eight), "'shape' is missing");
        yield return Case("missing dtype", Raw("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", eight), "'dtype' is missing");
        yield return Case("missing offsets", Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", eight), "'data_offsets' is missing");
        yield return Case("extra field", Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":1}}", eight), "unexpected field 'x'");
        yield return Case("field twice", Raw("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", eight), "appears twice");
        yield return Case("offsets of three", Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,8]}}", eight), "two integers");
        yield return Case("negative offset", Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", eight), "non-negative");
        yield return Case("offset beyond long", Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,18446744073709551615]}}", eight), "non-negative");
        yield return Case("end before begin", Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", eight), "end before they begin");
        yield return Case("offsets not size x count", Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", [0, 0, 0, 0]), "needs 8");
        yield return Case("I64 offsets not size x count", Raw("{\"a\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,8]}}", eight), "needs 16");
        yield return Case("offsets out of the data", Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", eight), "past the end of the data section");
        yield return Case("overlapping tensors", Raw("{" + a + ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12]), "overlaps tensor 'a'");
        yield return Case("gap between tensors", Raw("{" + a + ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}", new byte[20]), "belong to no tensor");
        yield return Case("gap before the first tensor", Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12]), "4 bytes before tensor 'a'");
        yield return Case("trailing bytes", Raw("{" + a + "}", new byte[12]), "last 4 bytes");
        yield return Case("data but no tensors", Raw("{}", new byte[4]), "last 4 bytes");
        yield return Case("duplicate tensor", Raw("{" + a + "," + a + "}", eight), "names 'a' twice");
        yield return Case("metadata value not a string", Raw("{\"__metadata__\":{\"k\":1}}", []), "metadata 'k' is a JSON number");
        yield return Case("metadata not an object", Raw("{\"__metadata__\":\"x\"}", []), "not an object");
        yield return Case("metadata key twice", Raw("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", []), "appears twice");
        yield return Case("lone surrogate in metadata", Raw("{\"__metadata__\":{\"k\":\"\\ud800\"}}", []), "not valid Unicode");
        yield return Case("lone surrogate in a name", Raw("{\"\\udc00\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", eight), "not valid Unicode");
        yield return Case("NaN weight", Raw("{" + a + "}", Floats(1f, float.NaN)), "non-finite value (NaN) at element 1");
        yield return Case("infinite weight", Raw("{" + a + "}", Floats(float.NegativeInfinity, 1f)), "non-finite");
        yield return Case("deeply nested header", Raw("{\"__metadata__\":" + new string('[', 100) + new string(']', 100) + "}", []), "not valid JSON");
    }

    [TestCaseSource(nameof(CorruptFiles))]
    public void Corrupt_file_is_a_checkpoint_error_naming_file_and_problem(byte[] file, string fragment)
    {
        System.IO.File.WriteAllBytes(File(), file);
        Assert.That(() => SafeTensorsFile.Read(File()),
            Throws.TypeOf<CheckpointException>()
                .With.Message.StartsWith($"checkpoint '{File()}': ")
                .And.Message.Contains(fragment));
    }

    [Test]
    public void Missing_file_is_a_checkpoint_error()
    {
        Assert.That(() => SafeTensorsFile.Read(File("absent")),
            Throws.TypeOf<CheckpointException>().With.Message.Contains("no such file").And.Message.Contains(File("absent")));
        Assert.That(() => SafeTensorsFile.Read(Path.Combine(_dir, "no-such-folder", "m")),
            Throws.TypeOf<CheckpointException>().With.Message.Contains("no such file").And.Message.Contains("does not exist"));
    }

    [Test]
    public void A_folder_is_named_as_a_folder_not_a_checkpoint_file()
    {
        Assert.That(() => SafeTensorsFile.Read(_dir),
            Throws.TypeOf<CheckpointException>().With.Message.Contains($"'{_dir}' is a folder, not a checkpoint file"));
    }

    [Test]
    public void Lookups_name_the_file_and_the_tensor()
    {
        SafeTensorsFile.Write(File(), SampleMetadata(), SampleTensors());
        SafeTensorsFile read = SafeTensorsFile.Read(File());

        Assert.That(() => read.GetTensor("x"),
            Throws.TypeOf<CheckpointException>().With.Message.EqualTo($"checkpoint '{File()}': tensor 'x' is missing."));
        Assert.That(() => read.GetFloat32("output.bias", [5]),
            Throws.TypeOf<CheckpointException>().With.Message.Contains("tensor 'output.bias' has shape [4], expected [5]"));
        Assert.That(() => read.GetFloat32("ids", [3]),
            Throws.TypeOf<CheckpointException>().With.Message.Contains("tensor 'ids' is I32, expected F32"));
        Assert.That(() => read.GetTensor("ids").AsInt64(), Throws.TypeOf<CheckpointException>());
        Assert.That(() => read.GetMetadata("nope"),
            Throws.TypeOf<CheckpointException>().With.Message.Contains("metadata 'nope' is missing"));
        Assert.That(read.Contains("ids"), Is.True);
        Assert.That(read.TryGetTensor("nope", out _), Is.False);
    }

    private static IEnumerable<TestCaseData> BadWrites()
    {
        static TestCaseData Case(string name, NamedTensor[] tensors, string fragment) =>
            new TestCaseData(tensors, fragment).SetName("Refused write: " + name);

        NamedTensor good = new("good", [1], [1f]);
        yield return Case("NaN", [good, new NamedTensor("w", [3], [1f, float.NaN, 2f])], "tensor 'w' holds a non-finite value (NaN) at element 1");
        yield return Case("+Inf", [new NamedTensor("w", [1], [float.PositiveInfinity])], "tensor 'w' holds a non-finite value");
        yield return Case("duplicate name", [good, new NamedTensor("good", [1], [2f])], "tensor 'good' appears twice");
        yield return Case("shape mismatch", [new NamedTensor("w", [2, 3], new float[5])], "tensor 'w' has shape [2, 3] (6 elements) but 5 data elements");
        yield return Case("int shape mismatch", [new NamedTensor("n", [2], new long[3])], "tensor 'n' has shape [2]");
        yield return Case("overflowing shape", [new NamedTensor("w", [65536, 65536, 65536], new float[1])], "tensor 'w' has shape");
        yield return Case("negative dim", [new NamedTensor("w", [-1], new float[1])], "negative dimension");
        yield return Case("empty name", [new NamedTensor("", [1], [1f])], "empty name");
        yield return Case("reserved name", [new NamedTensor("__metadata__", [1], [1f])], "reserved");
        yield return Case("lone surrogate name", [new NamedTensor("w\uD800", [1], [1f])], "not valid Unicode");
    }

    // The tensors travel as object: NamedTensor is internal, and a public test's parameters must not be.
    [TestCaseSource(nameof(BadWrites))]
    public void Refused_write_keeps_the_old_file_and_leaves_no_temp_file(object boxedTensors, string fragment)
    {
        var tensors = (NamedTensor[])boxedTensors;
        SafeTensorsFile.Write(File(), SampleMetadata(), SampleTensors());
        byte[] before = System.IO.File.ReadAllBytes(File());

        Assert.That(() => SafeTensorsFile.Write(File(), null, tensors),
            Throws.TypeOf<CheckpointException>().With.Message.Contains(fragment).And.Message.Contains(File()));

        Assert.That(System.IO.File.ReadAllBytes(File()), Is.EqualTo(before));
        Assert.That(Directory.GetFiles(_dir), Is.EqualTo(new[] { File() }));
    }

    [Test]
    public void Refused_metadata_is_a_checkpoint_error()
    {
        var lone = new Dictionary<string, string> { ["k"] = "\uDC00" };
        Assert.That(() => SafeTensorsFile.Write(File(), lone, []),
            Throws.TypeOf<CheckpointException>().With.Message.Contains("metadata 'k'"));
        var nullValue = new Dictionary<string, string> { ["k"] = null! };
        Assert.That(() => SafeTensorsFile.Write(File(), nullValue, []),
            Throws.TypeOf<CheckpointException>().With.Message.Contains("metadata 'k' is null"));
        Assert.That(Directory.GetFiles(_dir), Is.Empty);
    }

    [Test]
    public void Write_replaces_the_old_file_and_leaves_no_temp_file()
    {
        SafeTensorsFile.Write(File(), SampleMetadata(), SampleTensors());
        SafeTensorsFile.Write(File(), new Dictionary<string, string> { ["v"] = "2" }, [new NamedTensor("only", [1], [5f])]);

        Assert.That(Directory.GetFiles(_dir), Is.EqualTo(new[] { File() }));
        SafeTensorsFile read = SafeTensorsFile.Read(File());
        Assert.That(read.Tensors.Select(t => t.Name), Is.EqualTo(new[] { "only" }));
        Assert.That(read.Metadata["v"], Is.EqualTo("2"));
    }

    [Test]
    public void Write_into_a_missing_folder_is_a_checkpoint_error_and_leaves_nothing()
    {
        string path = Path.Combine(_dir, "missing", "m.safetensors");
        Assert.That(() => SafeTensorsFile.Write(path, null, [new NamedTensor("a", [1], [1f])]),
            Throws.TypeOf<CheckpointException>().With.Message.Contains(path));
        Assert.That(Directory.GetFileSystemEntries(_dir), Is.Empty);
    }

    [Test]
    public void Write_over_a_folder_is_a_checkpoint_error_and_leaves_no_temp_file()
    {
        string path = Path.Combine(_dir, "taken");
        Directory.CreateDirectory(path);
        Assert.That(() => SafeTensorsFile.Write(path, null, [new NamedTensor("a", [1], [1f])]),
            Throws.TypeOf<CheckpointException>().With.Message.Contains(path));
        Assert.That(Directory.GetFiles(_dir), Is.Empty);
    }
}
