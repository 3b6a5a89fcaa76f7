#Requires -Version 7.4
<#
.SYNOPSIS
    Runs (or only discovers) the Pester suites and writes one JSON record per test.

.DESCRIPTION
    Used by tests/EvalSig.Pester.Tests, which `dotnet test` runs: each Pester test becomes an xunit
    test case, so one test command runs xunit and Pester and a failing Pester case fails it.
    Also usable by hand:
        dotnet tool restore
        dotnet pwsh tests/Pester/Invoke-PesterSuite.ps1 -PesterModule ~/.nuget/packages/pester/5.7.1/tools/Pester.psd1
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)]
    [string] $PesterModule,

    [string] $ResultPath,

    [string[]] $Path = @($PSScriptRoot),

    [switch] $DiscoverOnly
)

$ErrorActionPreference = 'Stop'
Import-Module $PesterModule -Force

$config = New-PesterConfiguration
$config.Run.Path = $Path
$config.Run.PassThru = $true
$config.Run.SkipRun = [bool] $DiscoverOnly
$config.Output.Verbosity = if ($DiscoverOnly) { 'None' } else { 'Detailed' }
$config.Output.CIFormat = 'None'
$run = Invoke-Pester -Configuration $config

# A test's name with its -ForEach data filled in, the same in discovery and in the run (Pester itself
# expands names only when it runs them), so the two can be matched.
function Get-TestName($Test) {
    $name = $Test.Name
    $data = $Test.Data
    if ($data -is [System.Collections.IDictionary]) {
        foreach ($key in $data.Keys) {
            $name = $name.Replace("<$key>", (@($data[$key]) -join ' '))
        }
    }
    elseif ($null -ne $data) {
        $name = $name.Replace('<_>', (@($data) -join ' '))
    }

    (@($Test.Block.Path) + $name) -join '.'
}

function Get-ErrorText($Records) {
    @($Records | ForEach-Object { "$_`n$($_.ScriptStackTrace)" }) -join "`n"
}

$result = [ordered]@{
    Containers = @($run.Containers | ForEach-Object {
            [ordered]@{
                File   = [System.IO.Path]::GetFileName([string]$_.Item)
                Result = [string]$_.Result
                Error  = Get-ErrorText $_.ErrorRecord
            }
        })
    Tests      = @($run.Tests | ForEach-Object {
            [ordered]@{
                File     = [System.IO.Path]::GetFileName($_.ScriptBlock.File)
                Path     = Get-TestName $_
                Result   = [string]$_.Result
                Error    = Get-ErrorText $_.ErrorRecord
                Duration = [math]::Round($_.Duration.TotalMilliseconds)
            }
        })
}

$json = $result | ConvertTo-Json -Depth 5
if ($ResultPath) {
    # Atomic: the reader never sees half a file.
    $temp = "$ResultPath.tmp"
    [System.IO.File]::WriteAllText($temp, $json)
    Move-Item -LiteralPath $temp -Destination $ResultPath -Force
}
else {
    $json
}

if (-not $DiscoverOnly) {
    "Pester: $($run.PassedCount) passed, $($run.FailedCount) failed, $($run.SkippedCount) skipped, $($run.NotRunCount) not run" | Write-Host
}
