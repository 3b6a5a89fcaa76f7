namespace EvalSig.Core.Diagnostics;

/// <summary>Which front end is running Core: the PowerShell module or the evalsig command line.</summary>
public enum CommandSurface
{
    PowerShell,
    Cli,
}

/// <summary>
/// Lets a Core message that tells the user what to type name the syntax of the surface they are on
/// (-StrictSchema:$false in pwsh, --no-strict-schema on the command line). One process runs one
/// surface: the CLI sets <see cref="Current"/> once at start-up, before any command runs; the module
/// leaves the default.
/// </summary>
public static class Surface
{
    public static CommandSurface Current { get; set; } = CommandSurface.PowerShell;

    /// <summary>The cmdlet text in PowerShell, the CLI text on the command line.</summary>
    public static string Say(string cmdlet, string cli) => Current == CommandSurface.Cli ? cli : cmdlet;
}
