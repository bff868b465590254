using Seq2Seq.Gpu.Checkpoints;

namespace Seq2Seq.Gpu.Tests.Checkpoints;

/// <summary>
/// A checkpoint write killed between creating its temporary file and renaming it leaves <c>.NAME.GUID.tmp</c>
/// behind; the next write to the same target removes such files, but never another target's, never one that is
/// fresh, and never one a live writer holds open.
/// </summary>
public sealed class StaleTemporaryFileTests
{
    private string directory = string.Empty;

    [SetUp]
    public void CreateDirectory() => directory = Directory.CreateTempSubdirectory("seq2seq-stale-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(directory, recursive: true);

    [Test]
    public void The_next_write_removes_only_stale_unlocked_temporaries_of_its_own_target()
    {
        string target = Path.Combine(directory, "m.last.s2s");
        string stale = Temp("m.last.s2s", ageMinutes: 60);
        string staleToo = Temp("m.last.s2s", ageMinutes: 5);
        string fresh = Temp("m.last.s2s", ageMinutes: 0);
        string held = Temp("m.last.s2s", ageMinutes: 60);
        string otherTarget = Temp("m.s2s", ageMinutes: 60);
        string longerName = Temp("xm.last.s2s", ageMinutes: 60);
        string notOurs = Path.Combine(directory, ".m.last.s2s.backup.tmp");
        File.WriteAllText(notOurs, "keep");
        File.SetLastWriteTimeUtc(notOurs, DateTime.UtcNow.AddHours(-1));

        // A live writer (another process, or another thread) holds its temporary file open exclusively, as AtomicFile does.
        using (new FileStream(held, FileMode.Open, FileAccess.Write, FileShare.None))
        {
            SafeTensorsFile.Write(target, null, [new NamedTensor("a", [1], [1f])]);
        }

        Assert.Multiple(() =>
        {
            Assert.That(File.Exists(stale), Is.False, "an hour-old temporary file of the target is removed");
            Assert.That(File.Exists(staleToo), Is.False, "a five-minute-old one too");
            Assert.That(File.Exists(fresh), Is.True, "a fresh one may be a write that has not locked its file yet");
            Assert.That(File.Exists(held), Is.True, "one held open is being written");
            Assert.That(File.Exists(otherTarget), Is.True, "another target's temporary file is not this write's business");
            Assert.That(File.Exists(longerName), Is.True, "nor is one of a target whose name ends like this one's");
            Assert.That(File.Exists(notOurs), Is.True, "a name that is not the temporary pattern is kept");
            Assert.That(SafeTensorsFile.Read(target).GetFloat32("a", [1]), Is.EqualTo(new[] { 1f }));
        });
    }

    private string Temp(string target, int ageMinutes)
    {
        string path = Path.Combine(directory, $".{target}.{Guid.NewGuid():N}.tmp");
        File.WriteAllBytes(path, new byte[1024]);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-ageMinutes));
        return path;
    }
}
