using System;
using System.Globalization;
using System.IO;
using EvalSig.Core.Diagnostics;

namespace EvalSig.Core.Pipelines;

/// <summary>
/// The CI provider a command reports to and the environment it reads (the provider's variables and
/// files). Resolved once per command: Auto becomes AzureDevOps when TF_BUILD is True (the agent sets
/// it in every Azure Pipelines step), GitHubActions when GITHUB_ACTIONS is true (set by the runner),
/// otherwise None - so nothing extra is printed outside a pipeline unless asked.
/// </summary>
public sealed class CiContext
{
    /// <summary>Seconds between status lines for long operations; EVALSIG_CI_STATUS_SECONDS overrides it (0: every percent).</summary>
    public const double DefaultStatusSeconds = 10;

    private readonly Func<string, string?> _environment;

    private CiContext(CiProvider provider, Func<string, string?> environment, TimeProvider clock)
    {
        Provider = provider;
        _environment = environment;
        Clock = clock;
        var seconds = environment("EVALSIG_CI_STATUS_SECONDS");
        StatusInterval = TimeSpan.FromSeconds(
            seconds is not null && double.TryParse(seconds, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s >= 0 && s < 86400 ? s : DefaultStatusSeconds);
    }

    /// <summary>AzureDevOps, GitHubActions or None (never Auto).</summary>
    public CiProvider Provider { get; }

    public bool IsActive => Provider != CiProvider.None;

    public TimeSpan StatusInterval { get; }

    public TimeProvider Clock { get; }

    /// <summary>The process environment, no provider (for callers that never report to a pipeline).</summary>
    public static CiContext None { get; } = new(CiProvider.None, Environment.GetEnvironmentVariable, TimeProvider.System);

    /// <summary>Resolves <paramref name="requested"/> (Auto detects) against an environment (default: the process's).</summary>
    public static CiContext Resolve(CiProvider requested, Func<string, string?>? environment = null, TimeProvider? clock = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var provider = requested switch
        {
            CiProvider.Auto => Detect(environment),
            CiProvider.None or CiProvider.AzureDevOps or CiProvider.GitHubActions => requested,
            _ => throw new EvalSigException(EvalSigError.InvalidMethod, EvalSigErrorKind.InvalidArgument, "The CI provider must be Auto, None, AzureDevOps or GitHubActions.", requested),
        };
        return new CiContext(provider, environment, clock ?? TimeProvider.System);
    }

    /// <summary>TF_BUILD=True: Azure Pipelines; GITHUB_ACTIONS=true: GitHub Actions (values compared without case).</summary>
    public static CiProvider Detect(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (string.Equals(environment("TF_BUILD"), "True", StringComparison.OrdinalIgnoreCase))
        {
            return CiProvider.AzureDevOps;
        }

        if (string.Equals(environment("GITHUB_ACTIONS"), "true", StringComparison.OrdinalIgnoreCase))
        {
            return CiProvider.GitHubActions;
        }

        return CiProvider.None;
    }

    /// <summary>auto, none, azure-devops (azure-pipelines, azure), github-actions (github), in any case; anything else is a usage error.</summary>
    public static CiProvider ParseProvider(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Replace("-", string.Empty, StringComparison.Ordinal).Replace("_", string.Empty, StringComparison.Ordinal).ToUpperInvariant() switch
        {
            "AUTO" => CiProvider.Auto,
            "NONE" => CiProvider.None,
            "AZUREDEVOPS" or "AZUREPIPELINES" or "AZURE" => CiProvider.AzureDevOps,
            "GITHUBACTIONS" or "GITHUB" => CiProvider.GitHubActions,
            _ => throw new EvalSigException(EvalSigError.InvalidMethod, EvalSigErrorKind.InvalidArgument, $"Unknown CI provider '{text}': use auto, none, azure-devops or github-actions.", text),
        };
    }

    public string? Variable(string name) => _environment(name);

    /// <summary>
    /// Text for the log that is not a command: under Azure Pipelines "##vso[" and "##[" anywhere in a
    /// line are commands, under GitHub Actions "::" at the start of a line is; data-derived text (run
    /// ids, cluster keys) is broken up so it can never act as one.
    /// </summary>
    public string Neutralize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Provider switch
        {
            CiProvider.AzureDevOps => text.Replace("##vso[", "## vso[", StringComparison.OrdinalIgnoreCase).Replace("##[", "## [", StringComparison.Ordinal),
            CiProvider.GitHubActions => NeutralizeGitHub(text),
            _ => text,
        };
    }

    /// <summary>The runner trims a line before looking for "::" (actions/runner ActionCommand.TryParseV2), so break the "::" itself.</summary>
    private static string NeutralizeGitHub(string text)
    {
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var start = lines[i].Length - lines[i].TrimStart().Length;
            if (string.CompareOrdinal(lines[i], start, "::", 0, 2) == 0)
            {
                lines[i] = lines[i][..start] + ": :" + lines[i][(start + 2)..];
            }
        }

        return string.Join('\n', lines);
    }

    /// <summary>A folder for files the agent uploads later (Agent.TempDirectory under Azure, cleaned after the job; else the system temp folder).</summary>
    internal string TempDirectory()
    {
        var agent = _environment("AGENT_TEMPDIRECTORY");
        return !string.IsNullOrEmpty(agent) && Directory.Exists(agent) ? agent : Path.GetTempPath();
    }
}
