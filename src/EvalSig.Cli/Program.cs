using System;
using System.Collections.Generic;
using System.Linq;
using System.CommandLine;
using System.IO;
using EvalSig.Core.Diagnostics;

namespace EvalSig.Cli;

/// <summary>
/// evalsig: exit codes gate 0 ALLOW / 1 REJECT / 2 INCONCLUSIVE; 64 bad usage, 65 bad input
/// data, 69 a storage service unreachable, 70 internal error, 77 storage credentials refused
/// (sysexits.h EX_UNAVAILABLE and EX_NOPERM). Errors go to stderr as "evalsig: error &lt;StableId&gt;: message".
/// </summary>
internal static class Program
{
    public const int Usage = 64;
    public const int DataError = 65;
    public const int Internal = 70;
    public const int Unavailable = 69;
    public const int NoPermission = 77;

    private static int Main(string[] args)
    {
        // Core's messages that tell the user what to type name this surface's flags (--no-strict-schema).
        Core.Diagnostics.Surface.Current = Core.Diagnostics.CommandSurface.Cli;
        return Run(args, Console.Out, Console.Error);
    }

    internal static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = Commands.Build(stdout, stderr, args.Length > 0 ? args[0] : null);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors)
            {
                stderr.WriteLine($"evalsig: error UsageError: {e.Message}");
            }

            stderr.WriteLine("Run 'evalsig --help' for usage.");
            return Usage;
        }

        try
        {
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = stdout, Error = stderr });
        }
        catch (CliUsageException ex)
        {
            stderr.WriteLine($"evalsig: error UsageError: {ex.Message}");
            return Usage;
        }
        catch (EvalSigException ex)
        {
            stderr.WriteLine($"evalsig: error {ex.Error}: {ex.Message}");
            return ExitCodeFor(ex.Kind);
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine("evalsig: cancelled");
            return 130;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            stderr.WriteLine($"evalsig: internal error {ex.GetType().Name}: {ex.Message}");
            return Internal;
        }
    }

    /// <summary>The command tree's parser alone: which command lines evalsig would accept, without running them.</summary>
    internal sealed class ParseOnly
    {
        private readonly RootCommand _root = Commands.Build(TextWriter.Null, TextWriter.Null);

        public IReadOnlyList<string> Errors(IReadOnlyList<string> args) => _root.Parse(args).Errors.Select(e => e.Message).ToList();
    }

    internal static int ExitCodeFor(EvalSigErrorKind kind) => kind switch
    {
        EvalSigErrorKind.InvalidArgument or EvalSigErrorKind.ResourceExists => Usage,
        EvalSigErrorKind.InvalidData or EvalSigErrorKind.ObjectNotFound or EvalSigErrorKind.ReadError => DataError,
        EvalSigErrorKind.ConnectionError => Unavailable,
        EvalSigErrorKind.PermissionDenied => NoPermission,
        _ => Internal,
    };
}
