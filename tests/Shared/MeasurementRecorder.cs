using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Dispatcher.Tests.Support;

/// <summary>Sums every measurement of the given meters' instruments, by instrument name and tags.</summary>
public sealed class MeasurementRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, double> _sums = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);

    public MeasurementRecorder(params Meter[] meters)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (meters.Contains(instrument.Meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Add(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Add(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Add(i, v, tags));
        _listener.Start();
    }

    /// <summary>The sum of an instrument's measurements whose tags include every one given (as key=value).</summary>
    public double Sum(string instrument, params string[] tags) =>
        _sums.Where(s => Matches(s.Key, instrument, tags)).Sum(s => s.Value);

    /// <summary>How many measurements an instrument took whose tags include every one given.</summary>
    public int Count(string instrument, params string[] tags) =>
        _counts.Where(s => Matches(s.Key, instrument, tags)).Sum(s => s.Value);

    /// <summary>Runs the observable instruments' callbacks now.</summary>
    public void Observe() => _listener.RecordObservableInstruments();

    /// <summary>Forgets everything recorded so far (gauges are re-read by <see cref="Observe"/>).</summary>
    public void Clear()
    {
        _sums.Clear();
        _counts.Clear();
    }

    public void Dispose() => _listener.Dispose();

    private static bool Matches(string key, string instrument, string[] tags)
    {
        var parts = key.Split('|');
        return parts[0] == instrument && tags.All(t => parts.Skip(1).Contains(t));
    }

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var key = instrument.Name;
        foreach (var tag in tags)
        {
            key += $"|{tag.Key}={tag.Value}";
        }

        _sums.AddOrUpdate(key, value, (_, old) => old + value);
        _counts.AddOrUpdate(key, 1, (_, old) => old + 1);
    }
}
