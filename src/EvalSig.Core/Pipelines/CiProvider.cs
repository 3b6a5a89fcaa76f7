namespace EvalSig.Core.Pipelines;

/// <summary>The CI system a command reports to, beyond its usual output.</summary>
public enum CiProvider
{
    /// <summary>Detect: Azure Pipelines when TF_BUILD is True, GitHub Actions when GITHUB_ACTIONS is true, otherwise none.</summary>
    Auto,

    /// <summary>No pipeline output, even inside a pipeline.</summary>
    None,

    /// <summary>Azure Pipelines logging commands (##vso[...]).</summary>
    AzureDevOps,

    /// <summary>GitHub Actions workflow commands (::error::) and its GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files.</summary>
    GitHubActions,
}
