using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.IO;

namespace Seq2Seq.Gpu.Training.Reporting;

/// <summary>
/// Renders per-epoch training curves as a self-contained SVG image: a loss panel (train loss and, where present,
/// validation loss over the epochs) and optionally an accuracy panel, each with axes, ticks with labels, grid lines
/// and a legend, under a title.
/// </summary>
/// <remarks>
/// Each series is one <c>&lt;polyline&gt;</c> with a <c>data-series</c> attribute (<c>train_loss</c>,
/// <c>validation_loss</c>, <c>train_accuracy</c>, <c>validation_accuracy</c>) and one point per epoch whose value is
/// finite; NaN, infinite and missing (null) values are left out of the line, and a series with no such value is not
/// drawn. Points also get a small circle when a series has at most 100 of them, so a single epoch is visible.
/// Axis ranges are widened to "nice" tick steps (1, 2 or 5 × 10^k; whole numbers on the epoch axis); a range of
/// equal values (a single epoch, a constant loss) is padded so that nothing divides by zero.
/// </remarks>
internal static class TrainingCurves
{
    private const double TitleHeight = 40;
    private const double MarginLeft = 72;
    private const double MarginRight = 24;
    private const double PanelTitleHeight = 28;
    private const double MarginBottom = 48;
    private const int TargetTicks = 6;
    private const int MaxMarkedPoints = 100;
    private const double PlottableLimit = 1e300;
    private const double LegendWidth = 170;
    private const double LegendRowHeight = 18;

    private const string TrainColor = "#1f77b4";
    private const string ValidationColor = "#d62728";
    private const string ValidationDash = "6 4";

    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    /// <summary>Renders the curves as SVG text (UTF-8 XML with its declaration).</summary>
    /// <param name="epochs">The epochs, in any order (points are drawn in epoch order).</param>
    /// <param name="options">Drawing options; null for the defaults.</param>
    /// <exception cref="ArgumentException">There is no epoch.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The width or panel height is out of range.</exception>
    public static string RenderSvg(IReadOnlyList<EpochMetrics> epochs, TrainingCurvesOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        if (epochs.Count == 0)
        {
            throw new ArgumentException("there are no epochs to plot.", nameof(epochs));
        }

        options ??= new TrainingCurvesOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Width, 240, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Width, 10000, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.PanelHeight, 160, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.PanelHeight, 10000, nameof(options));

        List<EpochMetrics> ordered = [.. epochs.OrderBy(e => e.Epoch)];
        var lossSeries = new[]
        {
            new Series("train_loss", "train loss", TrainColor, null, Points(ordered, e => e.TrainLoss)),
            new Series("validation_loss", "validation loss", ValidationColor, ValidationDash, Points(ordered, e => e.ValidationLoss)),
        };
        var accuracySeries = new[]
        {
            new Series("train_accuracy", "train accuracy", TrainColor, null, Points(ordered, e => e.TrainAccuracy)),
            new Series("validation_accuracy", "validation accuracy", ValidationColor, ValidationDash, Points(ordered, e => e.ValidationAccuracy)),
        };
        bool withAccuracy = options.IncludeAccuracy && accuracySeries.Any(s => s.Points.Count > 0);

        double width = options.Width;
        double panelHeight = options.PanelHeight;
        double height = TitleHeight + (panelHeight * (withAccuracy ? 2 : 1));
        var root = new XElement(
            Svg + "svg",
            new XAttribute("width", Num(width)),
            new XAttribute("height", Num(height)),
            new XAttribute("viewBox", $"0 0 {Num(width)} {Num(height)}"),
            new XAttribute("font-family", "sans-serif"),
            new XAttribute("font-size", "12"),
            new XElement(Svg + "title", Clean(options.Title)),
            new XElement(Svg + "rect", new XAttribute("width", "100%"), new XAttribute("height", "100%"), new XAttribute("fill", "white")),
            Text(width / 2, 26, Clean(options.Title), "middle", new XAttribute("font-size", "16"), new XAttribute("font-weight", "bold")));

        (double firstEpoch, double lastEpoch) = (ordered[0].Epoch, ordered[^1].Epoch);
        Scale xScale = Scale.Nice(firstEpoch, lastEpoch, TargetTicks, integerStep: true);
        root.Add(Panel("loss", "Loss", "loss", TitleHeight, width, panelHeight, xScale, lossSeries));
        if (withAccuracy)
        {
            root.Add(Panel("accuracy", "Accuracy", "accuracy", TitleHeight + panelHeight, width, panelHeight, xScale, accuracySeries));
        }

        return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n" + root.ToString(SaveOptions.None) + "\n";
    }

    /// <summary>Renders the curves and writes them to <paramref name="path"/> atomically (temporary file, then rename).</summary>
    /// <param name="path">The SVG file; its folder must exist.</param>
    /// <param name="epochs">The epochs.</param>
    /// <param name="options">Drawing options; null for the defaults.</param>
    /// <exception cref="ArgumentException">There is no epoch.</exception>
    /// <exception cref="Seq2SeqException">The file cannot be written; the message names it.</exception>
    public static void WriteSvg(string path, IReadOnlyList<EpochMetrics> epochs, TrainingCurvesOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string svg = RenderSvg(epochs, options);
        try
        {
            AtomicFile.WriteAllText(path, svg);
        }
        catch (IOException e)
        {
            throw new Seq2SeqException($"training curves '{path}': cannot write the file: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new Seq2SeqException($"training curves '{path}': cannot write the file: {e.Message}", e);
        }
    }

    private static List<(double X, double Y)> Points(List<EpochMetrics> epochs, Func<EpochMetrics, double?> select)
    {
        var points = new List<(double X, double Y)>(epochs.Count);
        foreach (EpochMetrics epoch in epochs)
        {
            if (select(epoch) is { } y && double.IsFinite(y) && Math.Abs(y) <= PlottableLimit)
            {
                points.Add((epoch.Epoch, y));
            }
        }

        return points;
    }

    private static XElement Panel(
        string id, string title, string yLabel, double top, double width, double height, Scale xScale, Series[] series)
    {
        double left = MarginLeft;
        double right = width - MarginRight;
        double plotTop = top + PanelTitleHeight;
        double bottom = top + height - MarginBottom;

        Series[] drawn = [.. series.Where(s => s.Points.Count > 0)];
        IEnumerable<double> values = drawn.SelectMany(s => s.Points.Select(p => p.Y));
        Scale yScale = drawn.Length == 0
            ? Scale.Nice(0, 1, TargetTicks, integerStep: false)
            : Scale.Nice(values.Min(), values.Max(), TargetTicks, integerStep: false);

        double X(double v) => left + ((v - xScale.Min) / (xScale.Max - xScale.Min) * (right - left));
        double Y(double v) => bottom - ((v - yScale.Min) / (yScale.Max - yScale.Min) * (bottom - plotTop));

        var panel = new XElement(Svg + "g", new XAttribute("class", "panel"), new XAttribute("data-panel", id));
        panel.Add(Text((left + right) / 2, top + 18, title, "middle", new XAttribute("font-size", "14"), new XAttribute("font-weight", "bold")));

        var grid = new XElement(Svg + "g", new XAttribute("class", "grid"), new XAttribute("stroke", "#e0e0e0"), new XAttribute("stroke-width", "1"));
        var ticks = new XElement(Svg + "g", new XAttribute("class", "ticks"), new XAttribute("stroke", "black"));
        var labels = new XElement(Svg + "g", new XAttribute("class", "tick-labels"), new XAttribute("fill", "black"));
        foreach (double t in yScale.Ticks())
        {
            double y = Y(t);
            grid.Add(Line(left, y, right, y));
            ticks.Add(Line(left - 5, y, left, y));
            labels.Add(Text(left - 8, y + 4, yScale.Label(t), "end"));
        }

        foreach (double t in xScale.Ticks())
        {
            double x = X(t);
            grid.Add(Line(x, plotTop, x, bottom));
            ticks.Add(Line(x, bottom, x, bottom + 5));
            labels.Add(Text(x, bottom + 18, xScale.Label(t), "middle"));
        }

        panel.Add(grid);
        panel.Add(new XElement(
            Svg + "g",
            new XAttribute("class", "axes"),
            new XAttribute("stroke", "black"),
            new XAttribute("stroke-width", "1"),
            Line(left, bottom, right, bottom),
            Line(left, plotTop, left, bottom)));
        panel.Add(ticks, labels);
        panel.Add(Text((left + right) / 2, bottom + 38, "epoch", "middle"));
        double yMid = (plotTop + bottom) / 2;
        panel.Add(Text(18, yMid, yLabel, "middle", new XAttribute("transform", $"rotate(-90 {Num(18)} {Num(yMid)})")));

        foreach (Series s in drawn)
        {
            var line = new XElement(
                Svg + "polyline",
                new XAttribute("class", "series"),
                new XAttribute("data-series", s.Id),
                new XAttribute("fill", "none"),
                new XAttribute("stroke", s.Color),
                new XAttribute("stroke-width", "2"),
                new XAttribute("stroke-linejoin", "round"),
                new XAttribute("points", string.Join(' ', s.Points.Select(p => $"{Num(X(p.X))},{Num(Y(p.Y))}"))));
            if (s.Dash is not null)
            {
                line.Add(new XAttribute("stroke-dasharray", s.Dash));
            }

            panel.Add(line);
            if (s.Points.Count <= MaxMarkedPoints)
            {
                var markers = new XElement(Svg + "g", new XAttribute("class", "markers"), new XAttribute("data-series", s.Id), new XAttribute("fill", s.Color));
                foreach ((double px, double py) in s.Points)
                {
                    markers.Add(new XElement(Svg + "circle", new XAttribute("cx", Num(X(px))), new XAttribute("cy", Num(Y(py))), new XAttribute("r", "3")));
                }

                panel.Add(markers);
            }
        }

        if (drawn.Length > 0)
        {
            // The legend goes into the corner of the plot that covers the fewest data points (top right on a tie).
            List<(double X, double Y)> pixels = [.. drawn.SelectMany(s => s.Points.Select(p => (X(p.X), Y(p.Y))))];
            double legendHeight = LegendHeight(drawn.Length);
            (double X, double Y)[] corners =
            [
                (right - LegendWidth - 8, plotTop + 8),
                (right - LegendWidth - 8, bottom - legendHeight - 8),
                (left + 8, plotTop + 8),
                (left + 8, bottom - legendHeight - 8),
            ];
            (double X, double Y) corner = corners.MinBy(c => pixels.Count(p =>
                p.X >= c.X - 4 && p.X <= c.X + LegendWidth + 4 && p.Y >= c.Y - 4 && p.Y <= c.Y + legendHeight + 4));
            panel.Add(Legend(drawn, corner.X, corner.Y));
        }

        return panel;
    }

    private static double LegendHeight(int rows) => (rows * LegendRowHeight) + 8;

    private static XElement Legend(Series[] series, double x, double y)
    {
        var legend = new XElement(
            Svg + "g",
            new XAttribute("class", "legend"),
            new XElement(
                Svg + "rect",
                new XAttribute("x", Num(x)),
                new XAttribute("y", Num(y)),
                new XAttribute("width", Num(LegendWidth)),
                new XAttribute("height", Num(LegendHeight(series.Length))),
                new XAttribute("fill", "white"),
                new XAttribute("fill-opacity", "0.85"),
                new XAttribute("stroke", "#999999")));
        for (int i = 0; i < series.Length; i++)
        {
            double rowY = y + 4 + (LegendRowHeight * i) + (LegendRowHeight / 2);
            XElement sample = Line(x + 8, rowY, x + 38, rowY);
            sample.Add(new XAttribute("stroke", series[i].Color), new XAttribute("stroke-width", "2"));
            if (series[i].Dash is not null)
            {
                sample.Add(new XAttribute("stroke-dasharray", series[i].Dash!));
            }

            legend.Add(sample, Text(x + 46, rowY + 4, series[i].Label, "start"));
        }

        return legend;
    }

    private static XElement Line(double x1, double y1, double x2, double y2) => new(
        Svg + "line",
        new XAttribute("x1", Num(x1)),
        new XAttribute("y1", Num(y1)),
        new XAttribute("x2", Num(x2)),
        new XAttribute("y2", Num(y2)));

    private static XElement Text(double x, double y, string text, string anchor, params XAttribute[] extra) => new(
        Svg + "text",
        new XAttribute("x", Num(x)),
        new XAttribute("y", Num(y)),
        new XAttribute("text-anchor", anchor),
        extra,
        text);

    private static string Num(double value) => Math.Round(value, 2).ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>Drops the characters XML 1.0 cannot hold (control characters, lone surrogates).</summary>
    private static string Clean(string text)
    {
        var builder = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(c).Append(text[++i]);
            }
            else if (XmlConvert.IsXmlChar(c))
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private sealed record Series(string Id, string Label, string Color, string? Dash, List<(double X, double Y)> Points);

    /// <summary>An axis range widened to whole tick steps.</summary>
    private readonly record struct Scale(double Min, double Max, double Step)
    {
        public static Scale Nice(double low, double high, int targetTicks, bool integerStep)
        {
            if (!(high > low))
            {
                double pad = low == 0 ? 1 : Math.Abs(low) * 0.1;
                if (integerStep)
                {
                    pad = Math.Max(1, Math.Ceiling(pad));
                }

                low -= pad;
                high += pad;
            }

            double range = NiceNumber(high - low, round: false);
            double step = NiceNumber(range / (targetTicks - 1), round: true);
            if (integerStep)
            {
                step = Math.Max(1, Math.Round(step));
            }

            return new Scale(Math.Floor(low / step) * step, Math.Ceiling(high / step) * step, step);
        }

        public IEnumerable<double> Ticks()
        {
            double steps = Math.Round((Max - Min) / Step);
            if (!(steps >= 0 && steps <= 1000))
            {
                // Only reachable at the edge of double precision: label the ends rather than loop without end.
                yield return Min;
                yield return Max;
                yield break;
            }

            int count = (int)steps;
            for (int k = 0; k <= count; k++)
            {
                double value = Math.Round((Min / Step) + k) * Step;
                yield return Math.Abs(value) < Step * 1e-9 ? 0 : value;
            }
        }

        public string Label(double value)
        {
            int decimals = Step >= 1 ? 0 : Math.Min(12, (int)Math.Ceiling(-Math.Log10(Step) - 1e-9));
            return value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        }

        private static double NiceNumber(double value, bool round)
        {
            double exponent = Math.Floor(Math.Log10(value));
            double magnitude = Math.Pow(10, exponent);
            double fraction = value / magnitude;
            double nice = round
                ? fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
                : fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
            return nice * magnitude;
        }
    }
}
