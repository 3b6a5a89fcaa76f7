using System;
using System.Runtime.CompilerServices;
using Xunit;

namespace EvalSig.PowerShell.Tests;

/// <summary>
/// The hosted engine shares this process's environment: a test run inside a CI job must not inherit
/// the job's TF_BUILD or GITHUB_ACTIONS (the cmdlets would report to that pipeline).
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

/// <summary>Tests that set CI variables in this process run alone, after every parallel test.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessEnvironmentTests
{
    public const string Name = "Process environment";
}
