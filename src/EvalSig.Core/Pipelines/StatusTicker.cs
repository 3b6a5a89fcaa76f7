using System;
using System.Globalization;

namespace EvalSig.Core.Pipelines;

/// <summary>
/// Periodic plain status lines for long work under a CI provider, where progress bars are not shown
/// (Azure's PowerShell@2 drops Write-Progress; a log has no bar): at most one line per interval,
/// "EvalSig: &lt;activity&gt;: 42% (12 s)", and a closing line only if any status was printed.
/// Thread-safe: resampling reports from worker threads.
/// </summary>
public sealed class StatusTicker
{
    private readonly object _gate = new();
    private readonly string _activity;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _clock;
    private readonly long _started;
    private long _last;
    private int _lastPercent = -1;
    private bool _printed;

    public StatusTicker(string activity, TimeSpan interval, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(activity);
        ArgumentNullException.ThrowIfNull(clock);
        _activity = activity;
        _interval = interval;
        _clock = clock;
        _started = _last = clock.GetTimestamp();
    }

    /// <summary>A status line when one is due, else null.</summary>
    public string? Report(double fraction)
    {
        lock (_gate)
        {
            var now = _clock.GetTimestamp();
            var percent = (int)Math.Clamp(Math.Floor(fraction * 100), 0, 100);
            if (percent == _lastPercent || _clock.GetElapsedTime(_last, now) < _interval || percent >= 100)
            {
                return null;
            }

            _last = now;
            _lastPercent = percent;
            _printed = true;
            return string.Create(CultureInfo.InvariantCulture, $"EvalSig: {_activity}: {percent}% ({Seconds(now)} s)");
        }
    }

    /// <summary>The closing line ("done") when status lines were printed, else null.</summary>
    public string? Complete()
    {
        lock (_gate)
        {
            return _printed ? string.Create(CultureInfo.InvariantCulture, $"EvalSig: {_activity}: done ({Seconds(_clock.GetTimestamp())} s)") : null;
        }
    }

    private long Seconds(long now) => (long)Math.Round(_clock.GetElapsedTime(_started, now).TotalSeconds);
}
