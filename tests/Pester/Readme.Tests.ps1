# The README's instructions, run as written: the install steps (pack both packages, install the tool,
# install the module with PSResourceGet into a clean home, import it) and the example pipeline with a
# missing candidate (the gate must fail closed under plain pwsh -File).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:Readme = Get-Content -LiteralPath (Join-Path $RepoRoot 'README.md') -Raw

    # The fenced code blocks of the README section headed $Heading, as arrays of lines.
    function Get-ReadmeBlocks([string] $Heading, [string] $Language) {
        $section = [regex]::Match($Readme, ('(?ms)^## {0}\s*$(.*?)(?=^## |\z)' -f [regex]::Escape($Heading))).Groups[1].Value
        $section | Should -Not -BeNullOrEmpty -Because "the README has a section '## $Heading'"
        foreach ($m in [regex]::Matches($section, ('(?ms)^```{0}\s*$(.*?)^```' -f $Language))) {
            , @($m.Groups[1].Value -split "`r?`n" | Where-Object { $_.Trim() })
        }
    }

    # A line of a README bash block without its trailing comment, ~ pointing into the test's home.
    function ConvertFrom-BashLine([string] $Line, [string] $HomeDirectory) {
        $command = ($Line -replace '\s+#\s.*$', '').Trim()
        $command -replace '(^|\s)~/', "`$1$HomeDirectory/"
    }
}

Describe 'README install instructions' {
    BeforeAll {
        $script:TestHome = Join-Path $TestDrive 'home'
        New-Item -ItemType Directory -Path $TestHome | Out-Null
        # A NuGet cache of its own, so the tool is installed from the packages just packed.
        $script:Env = @{ HOME = $TestHome; NUGET_PACKAGES = (Join-Path $TestDrive 'nuget'); DOTNET_CLI_TELEMETRY_OPTOUT = '1' }
    }

    It 'packs both packages, installs the evalsig tool and runs it' {
        $bash = @(Get-ReadmeBlocks 'Install' 'bash')
        $bash.Count | Should -Be 1
        $lines = $bash[0]
        $lines | Should -Contain ($lines | Where-Object { $_ -like 'dotnet tool install EvalSig.Cli*' })
        foreach ($line in $lines) {
            $command = ConvertFrom-BashLine $line $TestHome
            if ($command -like 'dotnet build *') {
                continue # the test command has just built the solution; building again while tests run would race
            }
            $r = Invoke-ChildPwsh -Environment $Env -WorkingDirectory $RepoRoot -Arguments '-Command', "$command; exit `$LASTEXITCODE"
            $r.ExitCode | Should -Be 0 -Because "'$command' printed: $($r.Text)"
        }
        $r.Output | Select-Object -Last 1 | Should -Match '^evalsig \d+\.\d+\.\d+'

        Join-Path $RepoRoot 'out/EvalSig.Cli.*.nupkg' | Should -Exist
        Join-Path $RepoRoot 'out/EvalSig.*.nupkg' | Should -Exist
    }

    It 'installs the module with PSResourceGet into a clean home and imports it' {
        $ps = @(Get-ReadmeBlocks 'Install' 'powershell')
        $ps.Count | Should -Be 1
        $script = ($ps[0] -join "`n") + "`n'imported=' + (Get-Module EvalSig).ModuleBase`n'commands=' + @(Get-Command -Module EvalSig).Count"
        $file = Join-Path $TestDrive 'install.ps1'
        Set-Content -LiteralPath $file -Value $script
        $run = Invoke-ChildPwsh -Environment $Env -WorkingDirectory $RepoRoot -Arguments '-File', $file
        $run.ExitCode | Should -Be 0 -Because $run.Text
        $r = ConvertFrom-KeyValueLines $run.Output
        $r.imported | Should -BeLike "$TestHome*EvalSig*"
        [int] $r.commands | Should -Be @((Test-ModuleManifest -Path $ModuleManifest).ExportedCmdlets.Keys).Count
    }
}

Describe 'README pipeline' {
    BeforeAll {
        $blocks = @(Get-ReadmeBlocks 'A pipeline' 'powershell')
        $blocks.Count | Should -Be 1
        $script:Pipeline = $blocks[0]
        $script:ModuleParent = Split-Path (Split-Path $ModuleDirectory -Parent) -Parent
    }

    It 'ends the script with a non-zero exit code when the candidate is missing, <Case>' -ForEach @(
        @{ Case = 'as written'; Strip = $false }
        @{ Case = 'without $ErrorActionPreference = Stop'; Strip = $true }
    ) {
        $work = Join-Path $TestDrive "pipeline-$Strip"
        New-Item -ItemType Directory -Path (Join-Path $work 'runs'), (Join-Path $work 'home') -Force | Out-Null
        Copy-Item (Join-Path $RepoRoot 'examples/baseline.json') (Join-Path $work 'runs/base.json')
        $lines = $Pipeline | Where-Object { -not ($Strip -and $_ -match '^\$ErrorActionPreference') }
        $file = Join-Path $work 'pipeline.ps1'
        Set-Content -LiteralPath $file -Value (($lines + "'after the gate'") -join "`n")
        $run = Invoke-ChildPwsh -Environment @{ PSModulePath = $ModuleParent + [IO.Path]::PathSeparator + $env:PSModulePath; HOME = (Join-Path $work 'home') } -WorkingDirectory $work -Arguments '-File', $file
        ($output, $exit) = ($run.Output, $run.ExitCode)
        $exit | Should -Not -Be 0 -Because ($output -join "`n")
        ($output -join "`n") | Should -Match 'RunFrame file .*cand\.json.* does not exist'
        $output | Should -Not -Contain 'after the gate'
        Join-Path $work 'home/.evalsig/ledger' | Should -Not -Exist
    }

    It 'exits with the verdict''s exit code when both runs are there' {
        $work = Join-Path $TestDrive 'pipeline-ok'
        New-Item -ItemType Directory -Path (Join-Path $work 'runs'), (Join-Path $work 'home'), (Join-Path $work 'artifacts') -Force | Out-Null
        Copy-Item (Join-Path $RepoRoot 'examples/baseline.json') (Join-Path $work 'runs/base.json')
        Copy-Item (Join-Path $RepoRoot 'examples/candidate.json') (Join-Path $work 'runs/cand.json')
        $file = Join-Path $work 'pipeline.ps1'
        Set-Content -LiteralPath $file -Value ($Pipeline -join "`n")
        $run = Invoke-ChildPwsh -Environment @{ PSModulePath = $ModuleParent + [IO.Path]::PathSeparator + $env:PSModulePath; HOME = (Join-Path $work 'home') } -WorkingDirectory $work -Arguments '-File', $file
        ($output, $exit) = ($run.Output, $run.ExitCode)
        $expected = (Invoke-EvalGate -Baseline (Join-Path $work 'runs/base.json') -Candidate (Join-Path $work 'runs/cand.json') -MinDelta 0.005 -OneSided).ExitCode
        $exit | Should -Be $expected -Because ($output -join "`n")
        Join-Path $work 'artifacts/audit.csv.gz' | Should -Exist
        Join-Path $work 'gate.md' | Should -Exist
    }
}
