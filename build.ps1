#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests and packages the EvalSig module.

.DESCRIPTION
    Orchestrates dotnet only, so every step is reachable without pwsh:
      build    dotnet build EvalSig.sln -c <Configuration>   (assembles out/EvalSig/<version>/)
      -Test    dotnet test EvalSig.sln -c <Configuration>, then Invoke-Pester tests/Pester in a child
               pwsh against the built folder when Pester 5 is installed
      -Package dotnet pack build/Package -c <Configuration>  (out/EvalSig.<version>.nupkg, accepted by
               Install-PSResource and Publish-PSResource)

.EXAMPLE
    ./build.ps1 -Configuration Release -Test -Package
#>
[CmdletBinding()]
param(
    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Debug',

    [switch] $Test,

    [switch] $Package
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

function Invoke-Dotnet {
    param([Parameter(ValueFromRemainingArguments)] [string[]] $Arguments)
    Write-Host "dotnet $($Arguments -join ' ')" -ForegroundColor Cyan
    & dotnet @Arguments
    if ($LASTEXITCODE -ne 0) {
        throw "dotnet $($Arguments[0]) failed with exit code $LASTEXITCODE"
    }
}

$root = $PSScriptRoot
[xml] $props = Get-Content -LiteralPath (Join-Path $root 'Directory.Build.props') -Raw
$version = @($props.Project.PropertyGroup | ForEach-Object { $_.VersionPrefix } | Where-Object { $_ })[0]
$module = Join-Path $root "out/EvalSig/$version"

Invoke-Dotnet build (Join-Path $root 'EvalSig.sln') -c $Configuration
Write-Host "Module folder: $module"

if ($Test) {
    Invoke-Dotnet test (Join-Path $root 'EvalSig.sln') -c $Configuration --no-build

    $pester = Get-Module -ListAvailable -Name Pester | Where-Object { $_.Version -ge [version]'5.0.0' } | Select-Object -First 1
    if ($pester) {
        # A child pwsh, so the module under test is loaded into a clean session.
        $command = "`$env:EVALSIG_MODULE = '$module'; Import-Module Pester -MinimumVersion 5.0.0; " +
            "`$c = New-PesterConfiguration; `$c.Run.Path = '$(Join-Path $root 'tests/Pester')'; `$c.Run.Exit = `$true; `$c.Output.Verbosity = 'Detailed'; Invoke-Pester -Configuration `$c"
        & (Get-Process -Id $PID).Path -NoProfile -NonInteractive -Command $command
        if ($LASTEXITCODE -ne 0) {
            throw "Pester failed with exit code $LASTEXITCODE"
        }
    }
    else {
        Write-Warning 'Pester 5 is not installed: tests/Pester skipped (Install-PSResource Pester to run them).'
    }
}

if ($Package) {
    Invoke-Dotnet pack (Join-Path $root 'build/Package/EvalSig.Package.csproj') -c $Configuration
    Get-ChildItem -LiteralPath (Join-Path $root 'out') -Filter "EvalSig.$version.nupkg"
}
