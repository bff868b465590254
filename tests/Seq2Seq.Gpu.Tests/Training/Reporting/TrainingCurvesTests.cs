using System.Globalization;
using System.Xml.Linq;
using NUnit.Framework;
using Seq2Seq.Gpu.Training.Reporting;

namespace Seq2Seq.Gpu.Tests.Training.Reporting;

[TestFixture]
public sealed class TrainingCurvesTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private static XDocument Render(IReadOnlyList<EpochMetrics> epochs, TrainingCurvesOptions? options = null)
    {
        string svg = TrainingCurves.RenderSvg(epochs, options);
        XDocument doc = XDocument.Parse(svg); // Throws if not well-formed.
        Assert.That(doc.Root!.Name, Is.EqualTo(Svg + "svg"));
        AssertAllCoordinatesFinite(doc);
        return doc;
    }

    private static Dictionary<string, (double X, double Y)[]> Polylines(XDocument doc) =>
        doc.Descendants(Svg + "polyline").ToDictionary(
            p => (string)p.Attribute("data-series")!,
            p => ((string)p.Attribute("points")!).Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Select(pair => pair.Split(','))
                .Select(xy => (double.Parse(xy[0], CultureInfo.InvariantCulture), double.Parse(xy[1], CultureInfo.InvariantCulture)))
                .ToArray());

    private static void AssertAllCoordinatesFinite(XDocument doc)
    {
        foreach (XAttribute attribute in doc.Descendants().Attributes())
        {
            Assert.That(attribute.Value, Does.Not.Contain("NaN").And.Not.Contain("Infinity").And.Not.Contain("∞"),
                $"{attribute.Parent!.Name.LocalName}@{attribute.Name}");
        }
    }

    private static List<EpochMetrics> Epochs(int count, bool validation = true) =>
        [.. Enumerable.Range(1, count).Select(e => new EpochMetrics(
            e, 2.0 / e, 1 - (0.5 / e), validation ? 2.2 / e : null, validation ? 0.9 - (0.5 / e) : null, 1000, 1, 1e-3))];

    [Test]
    public void One_polyline_per_series_with_one_point_per_epoch()
    {
        XDocument doc = Render(Epochs(12));

        Dictionary<string, (double X, double Y)[]> lines = Polylines(doc);
        Assert.That(lines.Keys, Is.EquivalentTo(new[] { "train_loss", "validation_loss", "train_accuracy", "validation_accuracy" }));
        Assert.That(lines.Values.Select(points => points.Length), Is.All.EqualTo(12));

        // Epochs run left to right; a falling loss goes down the page (SVG y grows downwards).
        (double X, double Y)[] train = lines["train_loss"];
        Assert.That(train.Select(p => p.X), Is.Ordered.Ascending);
        Assert.That(train.Select(p => p.Y), Is.Ordered.Ascending);
        Assert.That(doc.Descendants(Svg + "g").Count(g => (string?)g.Attribute("class") == "panel"), Is.EqualTo(2));
        Assert.That(doc.Descendants(Svg + "g").Count(g => (string?)g.Attribute("class") == "legend"), Is.EqualTo(2));
        Assert.That(doc.Descendants(Svg + "text").Select(t => t.Value), Does.Contain("epoch").And.Contain("loss").And.Contain("validation loss"));
    }

    [Test]
    public void Points_stay_inside_the_image()
    {
        XDocument doc = Render(Epochs(30));
        double width = double.Parse((string)doc.Root!.Attribute("width")!, CultureInfo.InvariantCulture);
        double height = double.Parse((string)doc.Root!.Attribute("height")!, CultureInfo.InvariantCulture);
        foreach ((double x, double y) in Polylines(doc).Values.SelectMany(p => p))
        {
            Assert.That(x, Is.InRange(0, width));
            Assert.That(y, Is.InRange(0, height));
        }
    }

    [Test]
    public void Without_validation_only_train_series_are_drawn()
    {
        Dictionary<string, (double X, double Y)[]> lines = Polylines(Render(Epochs(5, validation: false)));
        Assert.That(lines.Keys, Is.EquivalentTo(new[] { "train_loss", "train_accuracy" }));
        Assert.That(lines["train_loss"], Has.Length.EqualTo(5));
    }

    [Test]
    public void Accuracy_panel_can_be_left_out()
    {
        XDocument doc = Render(Epochs(5), new TrainingCurvesOptions { IncludeAccuracy = false, Title = "Run 7" });
        Assert.That(Polylines(doc).Keys, Is.EquivalentTo(new[] { "train_loss", "validation_loss" }));
        Assert.That(doc.Root!.Element(Svg + "title")!.Value, Is.EqualTo("Run 7"));
    }

    [Test]
    public void A_single_epoch_is_one_point_with_a_visible_marker()
    {
        XDocument doc = Render(Epochs(1));
        Assert.That(Polylines(doc).Values.Select(p => p.Length), Is.All.EqualTo(1));
        Assert.That(doc.Descendants(Svg + "circle").Count(), Is.EqualTo(4));
    }

    [Test]
    public void Constant_values_do_not_divide_by_zero()
    {
        List<EpochMetrics> flat = [.. Enumerable.Range(1, 4).Select(e => new EpochMetrics(e, 0.7, 0, 0.7, 0, 1, 1, 1))];
        Dictionary<string, (double X, double Y)[]> lines = Polylines(Render(flat));
        Assert.That(lines["train_loss"].Select(p => p.Y).Distinct().Count(), Is.EqualTo(1), "a flat line");
        Assert.That(lines["train_accuracy"], Has.Length.EqualTo(4));
    }

    [Test]
    public void Non_finite_values_are_left_out_of_the_line()
    {
        List<EpochMetrics> epochs = Epochs(6);
        epochs[4] = epochs[4] with { TrainLoss = double.NaN, ValidationLoss = double.PositiveInfinity };
        epochs[5] = epochs[5] with { TrainLoss = double.NaN, ValidationLoss = null };
        Dictionary<string, (double X, double Y)[]> lines = Polylines(Render(epochs));
        Assert.That(lines["train_loss"], Has.Length.EqualTo(4));
        Assert.That(lines["validation_loss"], Has.Length.EqualTo(4));
        Assert.That(lines["train_accuracy"], Has.Length.EqualTo(6));
    }

    [Test]
    public void Title_with_markup_and_control_characters_stays_well_formed()
    {
        XDocument doc = Render(Epochs(3), new TrainingCurvesOptions { Title = "fra<->eng & \"quotes\" \u0001 😀" });
        Assert.That(doc.Root!.Element(Svg + "title")!.Value, Is.EqualTo("fra<->eng & \"quotes\"  😀"));
    }

    [Test]
    public void Ticks_are_labelled()
    {
        XDocument doc = Render(Epochs(10));
        string[] labels = [.. doc.Descendants(Svg + "g").Where(g => (string?)g.Attribute("class") == "tick-labels")
            .SelectMany(g => g.Elements(Svg + "text")).Select(t => t.Value)];
        Assert.That(labels, Does.Contain("2").And.Contain("10"), "epoch ticks");
        Assert.That(labels, Does.Contain("0.5"), "loss / accuracy ticks");
    }

    [Test]
    public void No_epochs_is_an_argument_error()
    {
        Assert.That(() => TrainingCurves.RenderSvg([]), Throws.ArgumentException);
        Assert.That(() => TrainingCurves.RenderSvg(Epochs(2), new TrainingCurvesOptions { Width = 10 }), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void WriteSvg_writes_atomically_a_parsable_file()
    {
        string dir = Path.Combine(Path.GetTempPath(), "s2s-curves-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string path = Path.Combine(dir, "curves.svg");
            TrainingCurves.WriteSvg(path, Epochs(3));
            TrainingCurves.WriteSvg(path, Epochs(4));

            Assert.That(Directory.GetFiles(dir), Is.EqualTo(new[] { path }));
            XDocument doc = XDocument.Load(path);
            Assert.That(Polylines(doc)["train_loss"], Has.Length.EqualTo(4));
            Assert.That(File.ReadAllBytes(path)[0], Is.EqualTo((byte)'<'), "UTF-8 without a byte order mark");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
