using NUnit.Framework;
using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Training.Reporting;

namespace Seq2Seq.Gpu.Tests.Training.Reporting;

[TestFixture]
public sealed class MetricsLogTests
{
    private string _dir = string.Empty;

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "s2s-metrics-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private string LogPath => Path.Combine(_dir, "metrics.csv");

    internal static List<EpochMetrics> SampleEpochs() =>
    [
        new(1, 1.2345678901234567, 0.1, 1.5, 0.09, 12345.678, 3.25, 1e-3),
        new(2, 0.1 + 0.2, 1.0 / 3, null, null, 1e-300, double.Epsilon, 0.00012345678901234),
        new(3, 0.5, 0.75, 0.6, 0.7, 1e20, 60, 5e-4),
    ];

    [Test]
    public void Csv_round_trip_is_exact()
    {
        List<EpochMetrics> epochs = SampleEpochs();
        MetricsLog.Write(LogPath, epochs);

        IReadOnlyList<EpochMetrics> read = MetricsLog.Read(LogPath);

        Assert.That(read, Is.EqualTo(epochs));
        Assert.That(Directory.GetFiles(_dir), Is.EqualTo(new[] { LogPath }), "no temporary file is left");
    }

    [Test]
    public void Csv_text_is_invariant_with_empty_fields_for_missing_validation()
    {
        string csv = MetricsLog.ToCsv([new EpochMetrics(7, 0.5, 0.25, null, null, 1000, 1.5, 0.001)]);
        Assert.That(csv, Is.EqualTo(
            "epoch,train_loss,train_accuracy,validation_loss,validation_accuracy,tokens_per_second,seconds,learning_rate\n" +
            "7,0.5,0.25,,,1000,1.5,0.001\n"));
    }

    [Test]
    public void Non_finite_values_round_trip()
    {
        EpochMetrics diverged = new(4, double.NaN, 0.5, double.PositiveInfinity, double.NegativeInfinity, 1, 1, 1);
        MetricsLog.Write(LogPath, [diverged]);
        EpochMetrics read = MetricsLog.Read(LogPath).Single();
        Assert.That(double.IsNaN(read.TrainLoss), Is.True);
        Assert.That(read.ValidationLoss, Is.EqualTo(double.PositiveInfinity));
        Assert.That(read.ValidationAccuracy, Is.EqualTo(double.NegativeInfinity));
    }

    [Test]
    public void Append_creates_the_header_then_adds_lines()
    {
        List<EpochMetrics> epochs = SampleEpochs();
        foreach (EpochMetrics epoch in epochs)
        {
            MetricsLog.Append(LogPath, epoch);
        }

        Assert.That(File.ReadAllText(LogPath), Is.EqualTo(MetricsLog.ToCsv(epochs)));
        Assert.That(MetricsLog.Read(LogPath), Is.EqualTo(epochs));
        Assert.That(Directory.GetFiles(_dir), Is.EqualTo(new[] { LogPath }));
    }

    [Test]
    public void Append_refuses_a_file_that_is_not_a_metrics_log_and_leaves_it()
    {
        File.WriteAllText(LogPath, "source\ttarget\n");
        Assert.That(() => MetricsLog.Append(LogPath, SampleEpochs()[0]),
            Throws.TypeOf<DataFormatException>().With.Message.Contains(LogPath).And.Message.Contains("line 1"));
        Assert.That(File.ReadAllText(LogPath), Is.EqualTo("source\ttarget\n"));
    }

    [Test]
    public void Read_accepts_crlf_and_a_missing_final_newline()
    {
        string csv = MetricsLog.ToCsv(SampleEpochs()).Replace("\n", "\r\n", StringComparison.Ordinal).TrimEnd();
        Assert.That(MetricsLog.Parse(csv, "x.csv"), Is.EqualTo(SampleEpochs()));
    }

    [TestCase("epoch,loss\n1,2\n", "line 1")]
    [TestCase(MetricsLog.Header + "\n1,0.5,0.5,,,1,1\n", "line 2: 7 fields, expected 8")]
    [TestCase(MetricsLog.Header + "\n1,0.5,0.5,,,1,1,1\nx,0.5,0.5,,,1,1,1\n", "line 3: epoch 'x' is not an integer")]
    [TestCase(MetricsLog.Header + "\n1,0.5,abc,,,1,1,1\n", "line 2: train_accuracy 'abc' is not a number")]
    [TestCase(MetricsLog.Header + "\n1,0.5,0.5,,,1,,1\n", "line 2: seconds is empty")]
    [TestCase(MetricsLog.Header + "\n1,0,5,0.5,,,1,1,1\n", "line 2: 9 fields")]
    [TestCase(MetricsLog.Header + "\n\n1,0.5,0.5,,,1,1,1\n", "line 2: empty line")]
    public void Malformed_log_is_a_data_format_error_naming_file_and_line(string csv, string fragment)
    {
        File.WriteAllText(LogPath, csv);
        Assert.That(() => MetricsLog.Read(LogPath),
            Throws.TypeOf<DataFormatException>().With.Message.Contains($"metrics log '{LogPath}'").And.Message.Contains(fragment));
    }

    [Test]
    public void Missing_file_is_a_project_error()
    {
        Assert.That(() => MetricsLog.Read(Path.Combine(_dir, "absent.csv")),
            Throws.InstanceOf<Seq2SeqException>().With.Message.Contains("absent.csv"));
        Assert.That(() => MetricsLog.Write(Path.Combine(_dir, "no", "m.csv"), SampleEpochs()),
            Throws.InstanceOf<Seq2SeqException>().With.Message.Contains("m.csv"));
    }
}
