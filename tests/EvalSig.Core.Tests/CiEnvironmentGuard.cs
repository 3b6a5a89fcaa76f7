using System;
using System.Runtime.CompilerServices;

namespace EvalSig.Core.Tests;

/// <summary>
/// The tests must behave the same on a developer's machine and inside a CI job: a test process
/// never inherits the CI provider's variables (a test that wants a provider says so explicitly).
/// </summary>
internal static class CiEnvironmentGuard
{
    public static readonly string[] Variables = { "TF_BUILD", "GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "AGENT_TEMPDIRECTORY", "EVALSIG_CI_STATUS_SECONDS" };

    [ModuleInitializer]
    internal static void Clear()
    {
        foreach (var v in Variables)
        {
            Environment.SetEnvironmentVariable(v, null);
        }
    }
}
