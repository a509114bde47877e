using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;

namespace RnnGen.Samples;

/// <summary>
/// Collects training and validation losses and draws them as a self-contained SVG line chart: title, axes with
/// "nice" ticks (1, 2 or 5 × 10^k), grid, axis labels and a legend.
/// </summary>
public sealed class LossCurve
{
    private const string TrainColor = "#1f77b4";
    private const string ValidationColor = "#ff7f0e";

    private readonly List<(double X, double Loss)> _train = [];
    private readonly List<(double X, double Loss)> _validation = [];

    /// <summary>Starts an empty chart.</summary>
    /// <param name="title">Chart title.</param>
    /// <param name="xAxisLabel">Label of the horizontal axis, for example "step" or "epoch".</param>
    /// <param name="yAxisLabel">Label of the vertical axis.</param>
    public LossCurve(string title, string xAxisLabel = "step", string yAxisLabel = "loss")
    {
        ArgumentNullException.ThrowIfNull(title);
        ArgumentNullException.ThrowIfNull(xAxisLabel);
        ArgumentNullException.ThrowIfNull(yAxisLabel);
        Title = title;
        XAxisLabel = xAxisLabel;
        YAxisLabel = yAxisLabel;
    }

    /// <summary>Chart title.</summary>
    public string Title { get; }

    /// <summary>Label of the horizontal axis.</summary>
    public string XAxisLabel { get; }

    /// <summary>Label of the vertical axis.</summary>
    public string YAxisLabel { get; }

    /// <summary>Training points recorded so far.</summary>
    public int TrainCount => _train.Count;

    /// <summary>Validation points recorded so far.</summary>
    public int ValidationCount => _validation.Count;

    /// <summary>Records a training loss. Non-finite points (a skipped, diverged step) are ignored.</summary>
    public void AddTrain(double x, double loss) => Add(_train, x, loss);

    /// <summary>Records a validation loss. Non-finite points are ignored.</summary>
    public void AddValidation(double x, double loss) => Add(_validation, x, loss);

    private static void Add(List<(double, double)> series, double x, double loss)
    {
        if (double.IsFinite(x) && double.IsFinite(loss))
            series.Add((x, loss));
    }

    /// <summary>Writes the chart to <paramref name="path"/> atomically: a temporary file next to it, then a rename.</summary>
    /// <param name="path">Destination .svg file; an existing file is replaced.</param>
    /// <param name="width">Image width in pixels; at least 200.</param>
    /// <param name="height">Image height in pixels; at least 150.</param>
    public void Save(string path, int width = 800, int height = 480)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string svg = ToSvg(width, height);
        string full = Path.GetFullPath(path);
        string temporary = full + ".tmp";
        try
        {
            File.WriteAllText(temporary, svg, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Renders the chart as SVG text.</summary>
    /// <param name="width">Image width in pixels; at least 200.</param>
    /// <param name="height">Image height in pixels; at least 150.</param>
    public string ToSvg(int width = 800, int height = 480)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 200);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 150);

        const double left = 70, right = 20, top = 44, bottom = 56;
        double plotWidth = width - left - right;
        double plotHeight = height - top - bottom;
        (double xMin, double xMax) = Range(point => point.X);
        (double yMin, double yMax) = Range(point => point.Loss);
        Axis xAxis = Axis.Create(xMin, xMax, maxTicks: Math.Max(2, (int)(plotWidth / 90)));
        Axis yAxis = Axis.Create(yMin, yMax, maxTicks: Math.Max(2, (int)(plotHeight / 50)));
        double PixelX(double x) => left + (x - xAxis.Min) / (xAxis.Max - xAxis.Min) * plotWidth;
        double PixelY(double y) => top + plotHeight - (y - yAxis.Min) / (yAxis.Max - yAxis.Min) * plotHeight;

        StringBuilder svg = new();
        svg.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append($"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n");
        svg.Append($"<text x=\"{F(width / 2.0)}\" y=\"26\" text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\">{Escape(Title)}</text>\n");

        svg.Append("<g stroke=\"#e5e5e5\" stroke-width=\"1\">\n");
        foreach (double tick in xAxis.Ticks)
            svg.Append($"<line x1=\"{F(PixelX(tick))}\" y1=\"{F(top)}\" x2=\"{F(PixelX(tick))}\" y2=\"{F(top + plotHeight)}\"/>\n");
        foreach (double tick in yAxis.Ticks)
            svg.Append($"<line x1=\"{F(left)}\" y1=\"{F(PixelY(tick))}\" x2=\"{F(left + plotWidth)}\" y2=\"{F(PixelY(tick))}\"/>\n");
        svg.Append("</g>\n");

        svg.Append($"<g stroke=\"black\" stroke-width=\"1\"><line x1=\"{F(left)}\" y1=\"{F(top + plotHeight)}\" x2=\"{F(left + plotWidth)}\" y2=\"{F(top + plotHeight)}\"/><line x1=\"{F(left)}\" y1=\"{F(top)}\" x2=\"{F(left)}\" y2=\"{F(top + plotHeight)}\"/></g>\n");
        svg.Append("<g text-anchor=\"middle\">\n");
        foreach (double tick in xAxis.Ticks)
            svg.Append($"<line x1=\"{F(PixelX(tick))}\" y1=\"{F(top + plotHeight)}\" x2=\"{F(PixelX(tick))}\" y2=\"{F(top + plotHeight + 5)}\" stroke=\"black\"/><text x=\"{F(PixelX(tick))}\" y=\"{F(top + plotHeight + 18)}\">{xAxis.Label(tick)}</text>\n");
        svg.Append("</g>\n<g text-anchor=\"end\">\n");
        foreach (double tick in yAxis.Ticks)
            svg.Append($"<line x1=\"{F(left - 5)}\" y1=\"{F(PixelY(tick))}\" x2=\"{F(left)}\" y2=\"{F(PixelY(tick))}\" stroke=\"black\"/><text x=\"{F(left - 8)}\" y=\"{F(PixelY(tick) + 4)}\">{yAxis.Label(tick)}</text>\n");
        svg.Append("</g>\n");
        svg.Append($"<text x=\"{F(left + plotWidth / 2)}\" y=\"{F(height - 14.0)}\" text-anchor=\"middle\">{Escape(XAxisLabel)}</text>\n");
        svg.Append($"<text transform=\"translate(18 {F(top + plotHeight / 2)}) rotate(-90)\" text-anchor=\"middle\">{Escape(YAxisLabel)}</text>\n");

        AppendSeries(_train, TrainColor, markers: false);
        AppendSeries(_validation, ValidationColor, markers: true);

        double legendY = top + 14;
        double legendX = left + plotWidth - 110;
        int entries = (_train.Count > 0 ? 1 : 0) + (_validation.Count > 0 ? 1 : 0);
        if (entries > 0)
            svg.Append($"<rect x=\"{F(legendX - 8)}\" y=\"{F(legendY - 10)}\" width=\"110\" height=\"{F(entries * 18 + 2.0)}\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#cccccc\"/>\n");
        foreach ((string name, string color, int count) in new[] { ("train", TrainColor, _train.Count), ("validation", ValidationColor, _validation.Count) })
        {
            if (count == 0)
                continue;
            svg.Append($"<line x1=\"{F(legendX)}\" y1=\"{F(legendY)}\" x2=\"{F(legendX + 24)}\" y2=\"{F(legendY)}\" stroke=\"{color}\" stroke-width=\"2\"/><text x=\"{F(legendX + 30)}\" y=\"{F(legendY + 4)}\">{name}</text>\n");
            legendY += 18;
        }
        svg.Append("</svg>\n");
        return svg.ToString();

        void AppendSeries(List<(double X, double Loss)> series, string color, bool markers)
        {
            if (series.Count == 0)
                return;
            svg.Append($"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\" stroke-linejoin=\"round\" points=\"");
            foreach ((double x, double loss) in series)
                svg.Append(F(PixelX(x))).Append(',').Append(F(PixelY(loss))).Append(' ');
            svg.Append("\"/>\n");
            // A lone point draws no line, so it gets a marker too.
            if (!markers && series.Count > 1)
                return;
            foreach ((double x, double loss) in series)
                svg.Append($"<circle cx=\"{F(PixelX(x))}\" cy=\"{F(PixelY(loss))}\" r=\"3\" fill=\"{color}\"/>\n");
        }
    }

    private (double Min, double Max) Range(Func<(double X, double Loss), double> select)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach ((double, double) point in _train)
        {
            min = Math.Min(min, select(point));
            max = Math.Max(max, select(point));
        }
        foreach ((double, double) point in _validation)
        {
            min = Math.Min(min, select(point));
            max = Math.Max(max, select(point));
        }
        return min <= max ? (min, max) : (0, 1);
    }

    private static string F(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Escape(string text) =>
        text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;");

    /// <summary>An axis whose ends and ticks sit on multiples of a step of 1, 2 or 5 × 10^k.</summary>
    private readonly record struct Axis(double Min, double Max, double Step, int Decimals)
    {
        public static Axis Create(double min, double max, int maxTicks)
        {
            if (max - min < 1e-12 * Math.Max(1, Math.Abs(max)))
            {
                // A single value still needs a visible span around it.
                double pad = Math.Abs(min) > 0 ? Math.Abs(min) * 0.1 : 1;
                min -= pad;
                max += pad;
            }
            double rough = (max - min) / (maxTicks - 1);
            double magnitude = Math.Pow(10, Math.Floor(Math.Log10(rough)));
            double fraction = rough / magnitude;
            double step = (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * magnitude;
            int decimals = Math.Max(0, -(int)Math.Floor(Math.Log10(step) + 1e-9));
            return new Axis(Math.Floor(min / step) * step, Math.Ceiling(max / step) * step, step, decimals);
        }

        public IEnumerable<double> Ticks
        {
            get
            {
                int count = (int)Math.Round((Max - Min) / Step);
                for (int i = 0; i <= count; i++)
                {
                    double tick = Min + i * Step;
                    // Rounding can leave -1e-17 where zero belongs, which would print as "-0.00".
                    yield return Math.Abs(tick) < Step * 1e-9 ? 0 : tick;
                }
            }
        }

        public string Label(double tick) => tick.ToString("F" + Decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }
}
