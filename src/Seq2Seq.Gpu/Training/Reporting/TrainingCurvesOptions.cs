namespace Seq2Seq.Gpu.Training.Reporting;

/// <summary>How <see cref="TrainingCurves"/> draws the training curves. Every property has a usable default.</summary>
internal sealed record TrainingCurvesOptions
{
    /// <summary>The chart title. Default <c>"Training curves"</c>.</summary>
    public string Title { get; init; } = "Training curves";

    /// <summary>The image width in pixels, 240..10000. Default 800.</summary>
    public int Width { get; init; } = 800;

    /// <summary>The height of each panel in pixels, 160..10000. Default 320.</summary>
    public int PanelHeight { get; init; } = 320;

    /// <summary>
    /// Whether to add a second panel with train and validation accuracy below the loss panel (drawn only when some
    /// epoch has a finite accuracy). Default true.
    /// </summary>
    public bool IncludeAccuracy { get; init; } = true;
}
