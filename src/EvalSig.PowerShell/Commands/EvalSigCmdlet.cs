using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using EvalSig.Core.Diagnostics;

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
                ThrowTerminatingError(record);
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
        _ => ErrorCategory.NotSpecified,
    };

    /// <summary>
    /// Resolves -Path (wildcards) or -LiteralPath to file-system paths. Each path that is missing
    /// or not on the file system gets its own non-terminating error.
    /// </summary>
    protected IEnumerable<string> ResolveInputPaths(IEnumerable<string> paths, bool literal, EvalSigError notFound)
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

                    if (!System.IO.File.Exists(full))
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

    /// <summary>A path to write: resolved against the current location, need not exist yet.</summary>
    protected string ResolveOutputPath(string path)
    {
        var full = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out var provider, out _);
        if (provider.ImplementingType != typeof(Microsoft.PowerShell.Commands.FileSystemProvider))
        {
            ThrowTerminatingError(Error(EvalSigError.PathNotFileSystem, EvalSigErrorKind.InvalidArgument, $"'{path}' is not a file-system path.", path));
        }

        return full;
    }
}
