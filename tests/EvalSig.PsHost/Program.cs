using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace EvalSig.PsHost;

/// <summary>
/// <c>EvalSig.PsHost script.ps1 [args...]</c>: runs the script in a PowerShell 7.6 runspace and
/// prints its output (ToString of each object) to stdout and its errors, by FullyQualifiedErrorId,
/// to stderr. Exit 0 if no error was written, 1 otherwise.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length < 1 || !File.Exists(args[0]))
        {
            Console.Error.WriteLine("usage: EvalSig.PsHost <script.ps1> [arguments...]");
            return 64;
        }

        var iss = InitialSessionState.CreateDefault2();
        using var runspace = RunspaceFactory.CreateRunspace(iss);
        runspace.Open();
        using var ps = PowerShell.Create(runspace);
        ps.AddCommand(Path.GetFullPath(args[0]));
        foreach (var a in args.Skip(1))
        {
            ps.AddArgument(a);
        }

        try
        {
            foreach (var o in ps.Invoke())
            {
                Console.WriteLine(o?.ToString());
            }
        }
        catch (RuntimeException ex)
        {
            Console.Error.WriteLine($"{ex.ErrorRecord.FullyQualifiedErrorId}: {ex.Message}");
            return 1;
        }

        foreach (var e in ps.Streams.Error)
        {
            Console.Error.WriteLine($"{e.FullyQualifiedErrorId}: {e}");
        }

        return ps.Streams.Error.Count == 0 ? 0 : 1;
    }
}
