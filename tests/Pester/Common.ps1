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
# ../shared/reference beside the checkout, or beside an ancestor (a git worktree sits deeper).
$script:ReferenceRoot = $null
for ($dir = Get-Item -LiteralPath $repoRoot; $null -ne $dir.Parent -and $null -eq $script:ReferenceRoot; $dir = $dir.Parent) {
    $candidate = Join-Path $dir.Parent.FullName 'shared/reference'
    if (Test-Path -LiteralPath $candidate) { $script:ReferenceRoot = (Resolve-Path -LiteralPath $candidate).Path }
}
if ($null -eq $script:ReferenceRoot) { $script:ReferenceRoot = (Resolve-Path -LiteralPath (Join-Path $repoRoot '../shared/reference')).Path }
$script:RepoRoot = $repoRoot
Import-Module $script:ModuleManifest -Force -ErrorAction Stop
