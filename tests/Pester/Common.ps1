# Shared setup for the Pester suites: import the BUILT module folder (as a user would) and locate
# the reference cases. build.ps1 -Test sets $env:EVALSIG_MODULE; otherwise the newest out/EvalSig/<version>.
$repoRoot = (Resolve-Path -LiteralPath (Join-Path $PSScriptRoot '../..')).Path
$script:ModuleDirectory = if ($env:EVALSIG_MODULE) {
    $env:EVALSIG_MODULE
}
else {
    Get-ChildItem -LiteralPath (Join-Path $repoRoot 'out/EvalSig') -Directory |
        Sort-Object { [version]$_.Name } -Descending |
        Select-Object -First 1 -ExpandProperty FullName
}
$script:ModuleManifest = Join-Path $script:ModuleDirectory 'EvalSig.psd1'
$script:ReferenceRoot = (Resolve-Path -LiteralPath (Join-Path $repoRoot '../shared/reference')).Path
$script:RepoRoot = $repoRoot
Import-Module $script:ModuleManifest -Force -ErrorAction Stop

# Builds an Inspect .eval log (zip) from the real Inspect .json log of the same run, in inspect_ai's
# EvalRecorder layout; the layout lives once, in tests/Shared/Harness/InspectEvalLog.cs (also compiled
# into the xunit projects). -Unfinished leaves out header.json, summaries.json and reductions.json, as
# on disk while the evaluation is still running. Returns the path written.
function New-InspectEvalLog {
    param(
        [Parameter(Mandatory)] [string] $JsonLog,
        [Parameter(Mandatory)] [string] $Destination,
        [switch] $Unfinished
    )
    if (-not ('EvalSig.Testing.InspectEvalLog' -as [type])) {
        Add-Type -Path (Join-Path $script:RepoRoot 'tests/Shared/Harness/InspectEvalLog.cs')
    }
    [EvalSig.Testing.InspectEvalLog]::WriteFromJson($JsonLog, $Destination, -not $Unfinished)
}
