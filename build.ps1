#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests and packages the EvalSig module.

.DESCRIPTION
    Orchestrates dotnet only, so every step is reachable without pwsh:
      build    dotnet build EvalSig.sln -c <Configuration>   (assembles out/EvalSig/<version>/)
      -Test    dotnet test EvalSig.sln -c <Configuration>: xunit and the Pester suites (in real pwsh
               7.6.9 from the tool manifest, Pester 5.7.1 from NuGet, against the built folder)
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
    # The README's test command: tests/EvalSig.Pester.Tests runs the Pester suites as test cases.
    Invoke-Dotnet test (Join-Path $root 'EvalSig.sln') -c $Configuration --no-build
}

if ($Package) {
    Invoke-Dotnet pack (Join-Path $root 'build/Package/EvalSig.Package.csproj') -c $Configuration
    Get-ChildItem -LiteralPath (Join-Path $root 'out') -Filter "EvalSig.$version.nupkg"
}
