using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Pipelines;
using EvalSig.Core.RunFrames;

namespace EvalSig.Commands;

/// <summary>
/// What every EvalSig cmdlet shares: Ctrl+C cancels the Core call through a token, and Core's
/// errors become ErrorRecords with their stable id and a specific category.
/// </summary>
public abstract class EvalSigCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _cancel = new();

    protected CancellationToken Cancellation => _cancel.Token;

    public void Dispose()
    {
        _cancel.Dispose();
        GC.SuppressFinalize(this);
    }

    protected override void StopProcessing() => _cancel.Cancel();

    /// <summary>
    /// True for cmdlets whose failure must stop the calling script (the release gate). PowerShell
    /// makes a cmdlet's terminating error end only the statement, so a script without
    /// <c>$ErrorActionPreference = 'Stop'</c> would carry on with <c>$report = $null</c>, and
    /// <c>exit $report.ExitCode</c> would exit 0 - "ship". Such cmdlets end the script the way a
    /// <c>throw</c> statement does; try/catch and trap still catch the error, with its own id.
    /// </summary>
    protected virtual bool FailClosed => false;

    /// <summary>Stops the command (and, when <see cref="FailClosed"/>, the script) with this error.</summary>
    protected void Terminate(ErrorRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (FailClosed)
        {
            // Thrown past the engine, the record is not decorated the way ThrowTerminatingError
            // decorates it: qualify its id with the command's type ("RunFrameNotFound,EvalSig.Commands.
            // InvokeEvalGateCommand", as for every other EvalSig error) and name the cmdlet in the view.
            var qualified = new ErrorRecord(record.Exception, record.FullyQualifiedErrorId + "," + GetType().FullName, record.CategoryInfo.Category, record.TargetObject)
            {
                ErrorDetails = record.ErrorDetails,
            };
            qualified.CategoryInfo.Activity = MyInvocation.MyCommand.Name;
            throw new FailClosedException(qualified);
        }

        ThrowTerminatingError(record);
    }

    /// <summary>Runs Core work; EvalSig errors are written (or thrown, when terminating) as ErrorRecords.</summary>
    protected bool Try(Action action, bool terminating = false)
    {
        try
        {
            action();
            return true;
        }
        catch (EvalSigException ex)
        {
            var record = ToErrorRecord(ex);
            if (terminating)
            {
                Terminate(record);
            }

            WriteError(record);
            return false;
        }
        catch (OperationCanceledException) when (_cancel.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }

    protected static ErrorRecord ToErrorRecord(EvalSigException ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        return new ErrorRecord(ex, ex.Error.ToString(), Category(ex.Kind), ex.Target)
        {
            ErrorDetails = new ErrorDetails(ex.Message),
        };
    }

    protected static ErrorRecord Error(EvalSigError id, EvalSigErrorKind kind, string message, object? target)
        => ToErrorRecord(new EvalSigException(id, kind, message, target));

    protected static ErrorCategory Category(EvalSigErrorKind kind) => kind switch
    {
        EvalSigErrorKind.InvalidData => ErrorCategory.InvalidData,
        EvalSigErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        EvalSigErrorKind.ObjectNotFound => ErrorCategory.ObjectNotFound,
        EvalSigErrorKind.ResourceExists => ErrorCategory.ResourceExists,
        EvalSigErrorKind.WriteError => ErrorCategory.WriteError,
        EvalSigErrorKind.ReadError => ErrorCategory.ReadError,
        EvalSigErrorKind.InvalidOperation => ErrorCategory.InvalidOperation,
        EvalSigErrorKind.ConnectionError => ErrorCategory.ConnectionError,
        EvalSigErrorKind.PermissionDenied => ErrorCategory.PermissionDenied,
        _ => ErrorCategory.NotSpecified,
    };

    /// <summary>
    /// Resolves -Path (wildcards) or -LiteralPath to file-system paths. Each path that is missing
    /// or not on the file system gets its own non-terminating error.
    /// </summary>
    protected IEnumerable<string> ResolveInputPaths(IEnumerable<string> paths, bool literal, EvalSigError notFound, bool allowDirectories = false)
    {
        foreach (var p in paths)
        {
            var resolved = new List<string>();
            try
            {
                if (literal)
                {
                    var full = SessionState.Path.GetUnresolvedProviderPathFromPSPath(p, out var provider, out _);
                    if (provider.ImplementingType != typeof(Microsoft.PowerShell.Commands.FileSystemProvider))
                    {
                        WriteError(Error(EvalSigError.PathNotFileSystem, EvalSigErrorKind.InvalidArgument, $"'{p}' is not a file-system path.", p));
                        continue;
                    }

                    if (!System.IO.File.Exists(full) && !(allowDirectories && System.IO.Directory.Exists(full)))
                    {
                        WriteError(Error(notFound, EvalSigErrorKind.ObjectNotFound, $"The file '{full}' does not exist.", p));
                        continue;
                    }

                    resolved.Add(full);
                }
                else
                {
                    var found = SessionState.Path.GetResolvedProviderPathFromPSPath(p, out var provider);
                    if (provider.ImplementingType != typeof(Microsoft.PowerShell.Commands.FileSystemProvider))
                    {
                        WriteError(Error(EvalSigError.PathNotFileSystem, EvalSigErrorKind.InvalidArgument, $"'{p}' is not a file-system path.", p));
                        continue;
                    }

                    if (found.Count == 0)
                    {
                        WriteError(Error(notFound, EvalSigErrorKind.ObjectNotFound, $"No file matches '{p}'.", p));
                        continue;
                    }

                    resolved.AddRange(found);
                }
            }
            catch (ItemNotFoundException)
            {
                WriteError(Error(notFound, EvalSigErrorKind.ObjectNotFound, $"No file matches '{p}'.", p));
                continue;
            }

            foreach (var r in resolved)
            {
                yield return r;
            }
        }
    }

    /// <summary>
    /// A date parameter: DateTime (unspecified kind is UTC), DateTimeOffset, DateOnly or ISO-8601 text,
    /// converted by Core's <see cref="Core.Time.DateBound"/> rule (a plain date as an upper bound includes
    /// that whole UTC day); anything else is a terminating AuditQueryInvalid.
    /// </summary>
    protected DateTimeOffset? ToInstant(object? value, string parameterName, bool upperBound = false)
    {
        var v = value is PSObject p ? p.BaseObject : value;
        if (Core.Time.DateBound.TryConvert(v, upperBound, out var result))
        {
            return result;
        }

        ThrowTerminatingError(Error(EvalSigError.AuditQueryInvalid, EvalSigErrorKind.InvalidArgument, $"-{parameterName} '{v}' is not a date and time: give a DateTime or ISO-8601 text such as 2026-01-01 (a whole UTC day) or 2026-01-01T09:30:00Z.", v));
        return null;
    }

    /// <summary>A run store root: object storage (az://, s3://, gs://, r2://) as given, else a directory path.</summary>
    protected Core.RunStore.IRunStore OpenStore(string root)
    {
        Core.RunStore.IRunStore? store = null;
        var where = Core.ObjectStorage.ObjectStoreLocation.IsObjectStoreUri(root) ? root : ResolveOutputPath(root);
        Try(() => store = Core.RunStore.RunStores.Open(where), terminating: true);
        return store!;
    }

    /// <summary>A path to write: resolved against the current location, need not exist yet.</summary>
    protected string ResolveOutputPath(string path)
    {
        var full = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out var provider, out _);
        if (provider.ImplementingType != typeof(Microsoft.PowerShell.Commands.FileSystemProvider))
        {
            ThrowTerminatingError(Error(EvalSigError.PathNotFileSystem, EvalSigErrorKind.InvalidArgument, $"'{path}' is not a file-system path.", path));
        }

        WriteVerbose($"Path '{path}' is '{full}'.");
        return full;
    }

    /// <summary>
    /// After a file was written: a verbose line with its size and, with -PassThru, the file as the
    /// FileSystem provider returns it (Get-Item's object, with PSPath/PSParentPath), so it renders
    /// in Get-Item's grouped table instead of as a bare FileInfo.
    /// </summary>
    protected void FileWritten(string path, bool passThru)
    {
        var info = new FileInfo(path);
        WriteVerbose(info.Exists ? $"Wrote '{path}' ({info.Length} bytes)." : $"Wrote '{path}'.");
        if (passThru)
        {
            foreach (var item in InvokeProvider.Item.Get(new[] { path }, force: true, literalPath: true))
            {
                WriteObject(item);
            }
        }
    }

    /// <summary>
    /// A RunFrame parameter may hold a RunFrame, a path (string, FileInfo, or DirectoryInfo for a HELM
    /// run folder) or RunFrame text (a string starting with { or [, as Get-Content -Raw gives); a path
    /// or text is read (and fully validated) here. A run that cannot be read stops the command with one
    /// terminating error carrying the specific id (RunFrameNotFound, RunFrameInvalid...): a comparison
    /// without one of its runs must never look like a result (fail closed).
    /// </summary>
    protected RunFrame ResolveRunFrame(object? input, string parameterName, RunFrameReadOptions options)
    {
        var value = input is PSObject pso ? pso.BaseObject : input;
        switch (value)
        {
            case RunFrame frame:
                return frame;
            case FileSystemInfo file:
                return ReadFrame(file.FullName, options);
            case string text when RunFrameFile.LooksLikeContent(text):
                RunFrame? fromText = null;
                Try(() => fromText = RunFrameFile.ReadText(text, options, Cancellation), terminating: true);
                return fromText!;
            case string path:
                string[] files;
                try
                {
                    files = new List<string>(SessionState.Path.GetResolvedProviderPathFromPSPath(path, out _)).ToArray();
                }
                catch (ItemNotFoundException)
                {
                    files = Array.Empty<string>();
                }

                if (files.Length != 1)
                {
                    Terminate(Error(EvalSigError.RunFrameNotFound, EvalSigErrorKind.ObjectNotFound, files.Length == 0 ? $"The {parameterName} RunFrame file '{path}' does not exist." : $"-{parameterName} '{path}' matches {files.Length} files; give exactly one.", path));
                }

                return ReadFrame(files[0], options);
            default:
                Terminate(Error(EvalSigError.RunFrameInvalid, EvalSigErrorKind.InvalidArgument, $"-{parameterName} takes a RunFrame (from Import-RunFrame), the path of a RunFrame file, tool log or HELM run folder, or RunFrame JSON text, not {value?.GetType().Name ?? "null"}.", value));
                return null!; // not reached: Terminate throws
        }
    }

    private RunFrame ReadFrame(string path, RunFrameReadOptions options)
    {
        RunFrame? frame = null;
        WriteVerbose($"Reading '{path}'.");
        Try(() => frame = RunFrameFile.Read(path, options, Cancellation), terminating: true);
        WriteVerbose($"Read run '{frame!.RunId}': {frame.Count} items from '{path}'.");
        return frame!;
    }

    /// <summary>
    /// Runs long Core work on a worker thread while this (pipeline) thread writes its progress;
    /// Ctrl+C cancels the work through the token.
    /// </summary>
    protected T RunWithProgress<T>(string activity, Func<IProgress<double>, CancellationToken, T> work, StatusTicker? status = null)
    {
        using var queue = new BlockingCollection<double>();
        var progress = new QueueProgress(queue);
        var task = Task.Run(() =>
        {
            try
            {
                return work(progress, Cancellation);
            }
            finally
            {
                queue.CompleteAdding();
            }
        });
        var record = new ProgressRecord(1, activity, "Resampling");
        var last = -1;
        foreach (var fraction in queue.GetConsumingEnumerable())
        {
            if (status?.Report(fraction) is { } line)
            {
                WriteHostLine(line);
            }

            var percent = (int)Math.Clamp(fraction * 100, 0, 100);
            if (percent != last)
            {
                record.PercentComplete = percent;
                record.StatusDescription = $"{percent}% of resamples";
                WriteProgress(record);
                last = percent;
            }
        }

        if (last >= 0)
        {
            record.RecordType = ProgressRecordType.Completed;
            WriteProgress(record);
        }

        var result = task.GetAwaiter().GetResult();
        if (status?.Complete() is { } done)
        {
            WriteHostLine(done);
        }

        return result;
    }

    /// <summary>
    /// A line for the host, as Write-Host writes it (the information stream, tagged PSHOST): pipelines
    /// read it from stdout, where the agents look for logging commands; objects stay in the output.
    /// </summary>
    protected void WriteHostLine(string line)
        => WriteInformation(new HostInformationMessage { Message = line, NoNewLine = false }, HostTags);

    private static readonly string[] HostTags = { "PSHOST" };

    /// <summary>The reporter for -CiProvider (Auto detects TF_BUILD / GITHUB_ACTIONS); its lines go to the host.</summary>
    protected CiReporter PipelineReporter(CiProvider provider)
    {
        CiReporter? reporter = null;
        Try(() => reporter = new CiReporter(CiContext.Resolve(provider), WriteHostLine), terminating: true);
        return reporter!;
    }

    private sealed class QueueProgress : IProgress<double>
    {
        private readonly BlockingCollection<double> _queue;

        public QueueProgress(BlockingCollection<double> queue) => _queue = queue;

        public void Report(double value)
        {
            try
            {
                _queue.TryAdd(value);
            }
            catch (InvalidOperationException)
            {
                // Completed: a late report from a worker thread after the result is in.
            }
        }
    }
}
