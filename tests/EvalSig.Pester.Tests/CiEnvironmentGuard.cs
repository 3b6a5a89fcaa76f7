using System;
using System.Runtime.CompilerServices;

namespace EvalSig.Pester.Tests;

/// <summary>The pwsh that runs the suites must not inherit a CI job's provider variables from this process.</summary>
internal static class CiEnvironmentGuard
{
    [ModuleInitializer]
    internal static void Clear()
    {
        foreach (var v in new[] { "TF_BUILD", "GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "AGENT_TEMPDIRECTORY", "EVALSIG_CI_STATUS_SECONDS" })
        {
            Environment.SetEnvironmentVariable(v, null);
        }
    }
}
