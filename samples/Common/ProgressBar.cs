using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;

namespace RnnGen.Samples;

/// <summary>
/// One-line console progress for training loops: bar, percent, throughput, ETA and the latest loss, redrawn in place
/// with <c>\r</c>. When output is redirected (a log file, CI) it prints a plain line at every tenth of the work and
/// at least every 30 seconds instead, so logs stay readable.
/// </summary>
public sealed class ProgressBar
{
    private const int BarWidth = 24;
    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(30);

    private readonly long _total;
    private readonly string _unit;
    private readonly TextWriter _output;
    private readonly bool _inPlace;
    private readonly long _start = Stopwatch.GetTimestamp();
    private TimeSpan? _lastWrite;
    private long _lastTenth = -1;
    private long _lastCompleted = -1;
    private int _lastLength;

    /// <summary>Starts the clock for a job of <paramref name="total"/> units.</summary>
    /// <param name="total">Units of work in the whole job, for example tokens; at least 1.</param>
    /// <param name="unit">Unit name shown in the rate, for example "tok".</param>
    /// <param name="output">Where to write; the console by default.</param>
    /// <param name="inPlace">
    /// Whether to redraw one line in place; by default only when writing to a console that is not redirected.
    /// </param>
    public ProgressBar(long total, string unit = "tok", TextWriter? output = null, bool? inPlace = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(total, 1);
        ArgumentNullException.ThrowIfNull(unit);
        _total = total;
        _unit = unit;
        _output = output ?? Console.Out;
        _inPlace = inPlace ?? (output is null && !Console.IsOutputRedirected);
    }

    /// <summary>Reports that <paramref name="completed"/> units are done; writes only when a redraw is due.</summary>
    /// <param name="completed">Units done so far, in [0, total].</param>
    /// <param name="loss">Latest loss, or NaN to leave it out.</param>
    public void Report(long completed, double loss = double.NaN)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(completed);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(completed, _total);
        TimeSpan elapsed = Stopwatch.GetElapsedTime(_start);
        long tenth = completed * 10 / _total;
        TimeSpan sinceWrite = _lastWrite is { } last ? elapsed - last : TimeSpan.MaxValue;
        bool due = _inPlace
            ? sinceWrite >= RedrawInterval || completed == _total
            : tenth > _lastTenth || sinceWrite >= LogInterval;
        if (!due)
            return;
        _lastWrite = elapsed;
        _lastTenth = tenth;
        _lastCompleted = completed;
        Write(Format(completed, loss, elapsed));
    }

    /// <summary>Writes the final state and ends the line.</summary>
    /// <param name="loss">Final loss, or NaN to leave it out.</param>
    public void Complete(double loss = double.NaN)
    {
        // A log already holding the 100% line does not need it twice; an in-place line is redrawn anyway.
        if (_inPlace || _lastCompleted != _total)
            Write(Format(_total, loss, Stopwatch.GetElapsedTime(_start)));
        if (_inPlace)
            _output.WriteLine();
        _output.Flush();
    }

    private void Write(string line)
    {
        if (!_inPlace)
        {
            _output.WriteLine(line);
            return;
        }
        // Pad over the remains of a longer previous line.
        _output.Write('\r');
        _output.Write(line.PadRight(_lastLength));
        _output.Flush();
        _lastLength = line.Length;
    }

    private string Format(long completed, double loss, TimeSpan elapsed)
    {
        double fraction = (double)completed / _total;
        int filled = (int)(fraction * BarWidth);
        string bar = new string('=', filled) + (filled < BarWidth ? ">" + new string(' ', BarWidth - filled - 1) : "");
        double rate = elapsed.TotalSeconds > 0 ? completed / elapsed.TotalSeconds : 0;
        string eta = rate > 0 ? Duration(TimeSpan.FromSeconds((_total - completed) / rate)) : "--:--";
        string line = string.Create(CultureInfo.InvariantCulture,
            $"[{bar}] {fraction * 100,5:F1}%  {Count(rate)} {_unit}/s  elapsed {Duration(elapsed)}  ETA {eta}");
        return double.IsNaN(loss) ? line : string.Create(CultureInfo.InvariantCulture, $"{line}  loss {loss:F4}");
    }

    private static string Count(double value) =>
        value >= 1e6 ? (value / 1e6).ToString("F2", CultureInfo.InvariantCulture) + "M"
        : value >= 1e3 ? (value / 1e3).ToString("F1", CultureInfo.InvariantCulture) + "k"
        : value.ToString("F0", CultureInfo.InvariantCulture);

    private static string Duration(TimeSpan span) =>
        span.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalHours}:{span.Minutes:D2}:{span.Seconds:D2}")
            : string.Create(CultureInfo.InvariantCulture, $"{span.Minutes:D2}:{span.Seconds:D2}");
}
