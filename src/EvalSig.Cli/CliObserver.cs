using System;
using System.IO;
using EvalSig.Core.Audit;

namespace EvalSig.Cli;

/// <summary>
/// Core's warnings and progress on stderr: "evalsig: warning: ...", and a status line for long
/// work (index catch-up) - rewritten in place on a terminal, one line per tenth when redirected.
/// </summary>
internal sealed class CliObserver : IAuditObserver
{
    private readonly TextWriter _stderr;
    private readonly bool _terminal;
    private int _lastTenth = -1;
    private bool _open;

    public CliObserver(TextWriter stderr, bool terminal)
    {
        _stderr = stderr;
        _terminal = terminal;
    }

    public static CliObserver ForConsole(TextWriter stderr) => new(stderr, ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected);

    public void Warning(string message)
    {
        EndLine();
        _stderr.WriteLine("evalsig: warning: " + message);
    }

    public void Progress(string activity, string status, double fraction)
    {
        var line = $"evalsig: {activity}: {status}";
        if (_terminal)
        {
            _stderr.Write("\r" + line.PadRight(72));
            _open = fraction < 1;
            if (!_open)
            {
                _stderr.WriteLine();
            }

            return;
        }

        var tenth = (int)Math.Floor(fraction * 10);
        if (tenth != _lastTenth)
        {
            _lastTenth = tenth;
            _stderr.WriteLine(line);
        }
    }

    public void Keyring(AuditKeyring? ring)
    {
        foreach (var w in ring?.Warnings ?? Array.Empty<string>())
        {
            Warning(w);
        }
    }

    private void EndLine()
    {
        if (_open)
        {
            _stderr.WriteLine();
            _open = false;
        }
    }
}
