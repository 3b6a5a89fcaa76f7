using System;
using System.IO;
using System.Text;
using EvalSig.Core.Files;
using EvalSig.Core.Pipelines;

namespace EvalSig.Cli;

/// <summary>
/// The command line's side of pipeline output: --ci resolved against the environment, the CI
/// lines written to stdout (where both agents read commands) under one lock, status lines for long
/// work, and files written atomically.
/// </summary>
internal sealed class CiOutput
{
    private readonly TextWriter _stdout;
    private readonly object _gate = new();

    private CiOutput(CiContext context, TextWriter stdout)
    {
        _stdout = stdout;
        Reporter = new CiReporter(context, WriteLine);
    }

    public CiReporter Reporter { get; }

    public CiContext Context => Reporter.Context;

    /// <summary>
    /// --ci auto|none|azure-devops|github-actions. The report on stdout (--json, --markdown) and
    /// logging commands cannot share stdout: asked for explicitly, that is a usage error; detected,
    /// pipeline output steps aside (with a note on stderr) so `--json &gt; report.json` keeps working.
    /// </summary>
    public static CiOutput Create(string? ci, bool reportOnStdout, TextWriter stdout, TextWriter stderr)
    {
        var requested = ci is null ? CiProvider.Auto : CiContext.ParseProvider(ci);
        var context = CiContext.Resolve(requested);
        if (context.IsActive && reportOnStdout)
        {
            if (requested != CiProvider.Auto)
            {
                throw new CliUsageException($"--ci {ci} writes logging commands to stdout, which --json or --markdown use for the report: write the report with --output FILE (or --junit FILE) instead, or drop --ci.");
            }

            stderr.WriteLine($"evalsig: note: {context.Provider} detected, but --json/--markdown print the report on stdout, so no pipeline output is written; use --output FILE for the report to get it.");
            context = CiContext.Resolve(CiProvider.None);
        }

        return new CiOutput(context, stdout);
    }

    public void WriteLine(string line)
    {
        lock (_gate)
        {
            _stdout.WriteLine(line);
        }
    }

    /// <summary>Text for stdout: data-derived text cannot act as a logging command under a provider.</summary>
    public void WriteText(string text)
    {
        lock (_gate)
        {
            _stdout.Write(Context.Neutralize(text));
        }
    }

    /// <summary>Progress for long work: status lines under a provider, nothing otherwise.</summary>
    public (IProgress<double>? Progress, Action Done) Status(string activity)
    {
        var ticker = Reporter.Status(activity);
        if (ticker is null)
        {
            return (null, () => { });
        }

        return (new Ticker(ticker, this), () =>
        {
            if (ticker.Complete() is { } done)
            {
                WriteLine(done);
            }
        });
    }

    public static void WriteFile(FileInfo file, string text)
    {
        var bytes = new UTF8Encoding(false).GetBytes(text);
        AtomicFile.Write(file.FullName, s => s.Write(bytes), noClobber: false);
    }

    private sealed class Ticker : IProgress<double>
    {
        private readonly StatusTicker _ticker;
        private readonly CiOutput _output;

        public Ticker(StatusTicker ticker, CiOutput output) => (_ticker, _output) = (ticker, output);

        public void Report(double value)
        {
            if (_ticker.Report(value) is { } line)
            {
                _output.WriteLine(line);
            }
        }
    }
}

/// <summary>A command line that cannot be run as given: exit 64 with "evalsig: error UsageError: ...".</summary>
internal sealed class CliUsageException : Exception
{
    public CliUsageException(string message)
        : base(message)
    {
    }

    public CliUsageException()
    {
    }

    public CliUsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
