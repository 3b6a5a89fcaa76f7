# Invoke-EvalGate, Export-EvalReport and Test-AuditChain as pipeline steps run them: real pwsh child
# processes with TF_BUILD=True (Azure Pipelines) or GITHUB_ACTIONS=true plus temporary GITHUB_OUTPUT
# and GITHUB_STEP_SUMMARY files, for ALLOW, REJECT and INCONCLUSIVE; and the multi-task release gate.

BeforeDiscovery {
    $script:Providers = foreach ($provider in 'AzureDevOps', 'GitHubActions') {
        @{ Provider = $provider; Name = 'binary-unclustered'; MinDelta = 0.02; Verdict = 'ALLOW'; Exit = 0 }
        @{ Provider = $provider; Name = 'binary-clustered'; MinDelta = 0.02; Verdict = 'REJECT'; Exit = 1 }
        @{ Provider = $provider; Name = 'tiny'; MinDelta = 0.005; Verdict = 'INCONCLUSIVE'; Exit = 2 }
    }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    function Ref([string] $Name, [string] $File) { Join-Path $ReferenceRoot "$Name/$File" }
    $script:Inv = [cultureinfo]::InvariantCulture

    # The gate step as a pipeline would run it: pwsh -File, the report kept as JSON, exit with the step's code.
    function New-GateScript([string] $Name, [double] $MinDelta, [string] $Json, [string] $Extra = '') {
        $file = Join-Path $TestDrive "gate-$([guid]::NewGuid().ToString('N')).ps1"
        Set-Content -LiteralPath $file -Value @"
`$ErrorActionPreference = 'Stop'
Import-Module '$ModuleManifest'
`$report = Invoke-EvalGate -Baseline '$(Ref $Name 'baseline.json')' -Candidate '$(Ref $Name 'candidate.json')' -Method PairedT -MinDelta $($MinDelta.ToString($Inv)) $Extra
`$report | Export-EvalReport -Format Json -Path '$Json'
exit `$report.StepExitCode
"@
        $file
    }

    # Every CI variable, unset unless given: the child sees exactly this environment's provider.
    function Get-CiEnvironment([hashtable] $Set = @{}) {
        $env = @{ TF_BUILD = $null; GITHUB_ACTIONS = $null; GITHUB_OUTPUT = $null; GITHUB_STEP_SUMMARY = $null; AGENT_TEMPDIRECTORY = $null; EVALSIG_CI_STATUS_SECONDS = $null }
        foreach ($k in $Set.Keys) { $env[$k] = $Set[$k] }
        $env
    }

    function Format-Signed([double] $v) { $v.ToString('+0.######;-0.######;0', $Inv) }
    # Interval bounds as EvalSig writes every interval: signed, six decimals.
    function Format-Bound([double] $v) { $v.ToString('+0.000000;-0.000000;0.000000', $Inv) }
    function Format-R([double] $v) { $v.ToString('R', $Inv) }
    function ConvertTo-Pascal([string] $snake) { -join ($snake -split '_' | ForEach-Object { $_.Substring(0, 1).ToUpperInvariant() + $_.Substring(1) }) }

    # The lines the step must print, from its JSON report, with each provider's documented escaping.
    function Get-ExpectedLines([string] $Provider, $Report, [string] $Summary) {
        $c = $Report.comparison
        $reason = ConvertTo-Pascal $Report.reason
        $upper = if ($null -eq $c.ci[1]) { '+inf)' } else { (Format-Bound $c.ci[1]) + ']' }
        "EvalSig gate: $($Report.verdict) ($reason) delta $(Format-Signed $c.delta), $(($c.ci_level * 100).ToString('0.##', $Inv))% CI [$(Format-Bound $c.ci[0]), $upper, p $(([double]$c.p_value).ToString('G4', $Inv)) (one-sided), MDE $(([double]$c.mde).ToString('G4', $Inv)), method paired_t, exit code $($Report.step_exit_code)"
        $message = "EvalSig gate $($Report.verdict) ($reason): $($Report.explanation)" + $(if ($null -ne $Report.suggestion) { "`n" + $Report.suggestion })
        $issue = @{ REJECT = 'error'; INCONCLUSIVE = 'warning' }[$Report.verdict]
        if ($Provider -eq 'AzureDevOps') {
            if ($issue) { "##vso[task.logissue type=$issue]" + $message.Replace('%', '%AZP25').Replace("`r", '%0D').Replace("`n", '%0A') }
            $vars = [ordered]@{ verdict = $Report.verdict; reason = $Report.reason; exit_code = "$($Report.step_exit_code)"; delta = Format-R $c.delta; ci_lower = Format-R $c.ci[0]; ci_upper = 'Infinity'; p_value = Format-R $c.p_value; mde = Format-R $c.mde; method = 'paired_t' }
            foreach ($k in $vars.Keys) { "##vso[task.setvariable variable=$k;isOutput=true]$($vars[$k])" }
            "##vso[task.uploadsummary]$Summary"
            if ($Report.verdict -eq 'INCONCLUSIVE') { '##vso[task.complete result=Failed]EvalSig: INCONCLUSIVE treated as Failed' }
        }
        elseif ($issue) {
            "::$issue title=EvalSig gate $($Report.verdict)::" + $message.Replace('%', '%25').Replace("`r", '%0D').Replace("`n", '%0A')
        }
    }
}

Describe 'Invoke-EvalGate in a pipeline (real pwsh)' {
    It '<Provider>: <Verdict> prints exactly the provider''s commands and exits <Exit>' -ForEach $Providers {
        $work = Join-Path $TestDrive "$Provider-$Verdict"
        $agent = Join-Path $work 'agent'
        New-Item -ItemType Directory -Path $agent -Force | Out-Null
        $json = Join-Path $work 'gate.json'
        $set = if ($Provider -eq 'AzureDevOps') { @{ TF_BUILD = 'True'; AGENT_TEMPDIRECTORY = $agent } }
        else { @{ GITHUB_ACTIONS = 'true'; GITHUB_OUTPUT = (Join-Path $work 'github_output'); GITHUB_STEP_SUMMARY = (Join-Path $work 'summary.md') } }
        $run = Invoke-ChildPwsh -Environment (Get-CiEnvironment $set) -WorkingDirectory $work -Arguments '-File', (New-GateScript $Name $MinDelta $json)
        $run.ExitCode | Should -Be $Exit -Because $run.Text
        $report = Get-Content -LiteralPath $json -Raw | ConvertFrom-Json
        $report.verdict | Should -Be $Verdict
        $summaries = @(Get-ChildItem -LiteralPath $agent -Recurse -Filter '*.md')
        $expected = @(Get-ExpectedLines $Provider $report ($summaries | Select-Object -First 1 -ExpandProperty FullName))
        ($run.Output -join "`n") | Should -BeExactly ($expected -join "`n")

        $markdown = ((Invoke-EvalGate -Baseline (Ref $Name 'baseline.json') -Candidate (Ref $Name 'candidate.json') -Method PairedT -MinDelta $MinDelta | Export-EvalReport Markdown) -split "`n" | Where-Object { $_ -notlike '<sub>EvalSig *' }) -join "`n"
        if ($Provider -eq 'AzureDevOps') {
            $summaries.Count | Should -Be 1
            $summaries[0].Name | Should -Be 'EvalSig gate.md'
            ((Get-Content -LiteralPath $summaries[0].FullName -Raw) -split "`n" | Where-Object { $_ -notlike '<sub>EvalSig *' }) -join "`n" | Should -BeExactly $markdown
        }
        else {
            $c = $report.comparison
            Get-Content -LiteralPath $set.GITHUB_OUTPUT -Raw | Should -BeExactly ("verdict=$Verdict`nreason=$($report.reason)`nexit_code=$Exit`ndelta=$(Format-R $c.delta)`nci_lower=$(Format-R $c.ci[0])`nci_upper=Infinity`np_value=$(Format-R $c.p_value)`nmde=$(Format-R $c.mde)`nmethod=paired_t`n")
            ((Get-Content -LiteralPath $set.GITHUB_STEP_SUMMARY -Raw) -split "`n" | Where-Object { $_ -notlike '<sub>EvalSig *' }) -join "`n" | Should -BeExactly ($markdown + "`n")
        }
    }

    It 'prints nothing extra with neither variable set: <Verdict>' -ForEach ($Providers | Where-Object Provider -EQ 'AzureDevOps') {
        $work = Join-Path $TestDrive "none-$Verdict"
        New-Item -ItemType Directory -Path $work -Force | Out-Null
        $run = Invoke-ChildPwsh -Environment (Get-CiEnvironment) -WorkingDirectory $work -Arguments '-File', (New-GateScript $Name $MinDelta (Join-Path $work 'gate.json'))
        $run.ExitCode | Should -Be $Exit
        $run.Output | Should -BeNullOrEmpty
        @(Get-ChildItem -LiteralPath $work -Recurse -Filter '*.md') | Should -BeNullOrEmpty
    }

    It 'maps INCONCLUSIVE to SucceededWithIssues: task.complete and exit 0' {
        $work = Join-Path $TestDrive 'swi'
        New-Item -ItemType Directory -Path $work -Force | Out-Null
        $run = Invoke-ChildPwsh -Environment (Get-CiEnvironment @{ TF_BUILD = 'True'; AGENT_TEMPDIRECTORY = $work }) -WorkingDirectory $work -Arguments '-File', (New-GateScript 'tiny' 0.005 (Join-Path $work 'gate.json') '-InconclusiveAs SucceededWithIssues')
        $run.ExitCode | Should -Be 0 -Because $run.Text
        $run.Output[-1] | Should -BeExactly '##vso[task.complete result=SucceededWithIssues]EvalSig: INCONCLUSIVE treated as SucceededWithIssues'
        $run.Output | Should -Contain '##vso[task.setvariable variable=exit_code;isOutput=true]0'
        $run.Output[0] | Should -BeLikeExactly 'EvalSig gate: INCONCLUSIVE (Underpowered) delta *, exit code 0 (INCONCLUSIVE treated as SucceededWithIssues)'
    }
}

Describe 'Invoke-EvalGate multi-task release gates' {
    BeforeAll {
        $script:PAdjust = (Get-Content -LiteralPath (Join-Path $RepoRoot 'tests/data/multitest/p_adjust.json') -Raw | ConvertFrom-Json).reference_tasks
    }

    It 'adjusts the tasks'' p-values like R''s p.adjust: <Correction>' -ForEach @(
        @{ Correction = 'Holm'; R = 'holm' }
        @{ Correction = 'BenjaminiHochberg'; R = 'BH' }
        @{ Correction = 'Bonferroni'; R = 'bonferroni' }
    ) {
        $pairs = foreach ($n in $PAdjust.names) { @{ Name = $n; Baseline = (Ref $n 'baseline.json'); Candidate = (Ref $n 'candidate.json'); Method = 'PairedT' } }
        $release = Invoke-EvalGate -Pair $pairs -ReleaseDecision AnyImproves -Correction $Correction
        $release | Should -BeOfType ([EvalSig.Core.Release.ReleaseReport])
        $release.Correction | Should -Be ([EvalSig.Core.Release.MultipleTestingCorrection]$Correction)
        for ($i = 0; $i -lt $PAdjust.names.Count; $i++) {
            $release.Tasks[$i] | Should -BeOfType ([EvalSig.Core.Gating.GateReport])
            $release.Tasks[$i].Task | Should -Be $PAdjust.names[$i]
            [math]::Abs($release.Tasks[$i].AdjustedPValue - $PAdjust.$R[$i]) | Should -BeLessOrEqual (1e-9 * $PAdjust.$R[$i])
        }
    }

    It 'REJECTs under AllMustPass when any task REJECTs (piped pairs)' {
        $release = @(
            [pscustomobject]@{ Name = 'mmlu'; Baseline = (Ref 'binary-unclustered' 'baseline.json'); Candidate = (Ref 'binary-unclustered' 'candidate.json'); MinDelta = 0.02 }
            [pscustomobject]@{ Name = 'gsm8k'; Baseline = (Import-RunFrame (Ref 'binary-clustered' 'baseline.json')); Candidate = (Ref 'binary-clustered' 'candidate.json'); MinDelta = 0.02 }
            [pscustomobject]@{ Name = 'math'; Baseline = (Ref 'continuous-clustered' 'baseline.json'); Candidate = (Ref 'continuous-clustered' 'candidate.json'); MinDelta = 0.005 }
        ) | Invoke-EvalGate -ReleaseDecision AllMustPass
        $release.Verdict | Should -Be ([EvalSig.Core.Gating.GateVerdict]::REJECT)
        $release.ExitCode | Should -Be 1
        $release.Tasks.Verdict | Should -Be @('ALLOW', 'REJECT', 'ALLOW')
        $release.Explanation | Should -BeExactly "AllMustPass: 1 of 3 tasks REJECT - gsm8k REJECT ($($release.Tasks[1].Reason))."
    }

    It 'reads a YAML manifest, relative paths from its folder, and writes JUnit that validates' {
        $dir = Join-Path $TestDrive 'manifest'
        New-Item -ItemType Directory -Path $dir -Force | Out-Null
        foreach ($n in 'binary-unclustered', 'tiny') { Copy-Item -LiteralPath (Join-Path $ReferenceRoot $n) -Destination (Join-Path $dir $n) -Recurse }
        Set-Content -LiteralPath (Join-Path $dir 'gates.yml') -Value @'
release_decision: all_must_pass
inconclusive_as: succeeded_with_issues
defaults:
  method: paired_t
tasks:
  - name: mmlu-pro
    baseline: binary-unclustered/baseline.json
    candidate: binary-unclustered/candidate.json
    min_delta: 0.02
  - name: safety
    baseline: tiny/baseline.json
    candidate: tiny/candidate.json
    decision: non_inferiority
    margin: 0.01
'@
        $release = Invoke-EvalGate -Manifest (Join-Path $dir 'gates.yml')
        $release.Tasks.Task | Should -Be @('mmlu-pro', 'safety')
        $release.Tasks[1].Decision | Should -Be ([EvalSig.Core.Gating.GateDecision]::NonInferiority)
        $release.InconclusiveAs | Should -Be ([EvalSig.Core.Gating.InconclusiveOutcome]::SucceededWithIssues)
        $xml = $release | Export-EvalReport -Format JUnit
        Test-JUnitXml $xml | Should -BeNullOrEmpty
        ([xml]$xml).testsuites.testsuite.testcase.name | Should -Be @('mmlu-pro', 'safety', 'release (AllMustPass)')
    }

    It 'stops the script with <Id> for <Case>' -ForEach @(
        @{ Case = 'a missing manifest'; Id = 'ManifestNotFound'; Script = { Invoke-EvalGate -Manifest (Join-Path $TestDrive 'none.json') } }
        @{ Case = 'a pair without a candidate'; Id = 'ManifestInvalid'; Script = { Invoke-EvalGate -Pair @{ Name = 'a'; Baseline = (Ref 'tiny' 'baseline.json') } } }
        @{ Case = 'a correction AllMustPass does not need'; Id = 'InvalidCorrection'; Script = { Invoke-EvalGate -Pair @{ Name = 'a'; Baseline = (Ref 'tiny' 'baseline.json'); Candidate = (Ref 'tiny' 'candidate.json') } -Correction Holm } }
    ) {
        { & $Script } | Should -Throw -ErrorId "$Id,EvalSig.Commands.InvokeEvalGateCommand"
    }
}

Describe 'Export-EvalReport -Format JUnit' {
    It 'writes one file for every piped gate report, valid against both schemas' {
        $reports = @(
            Invoke-EvalGate (Ref 'binary-unclustered' 'baseline.json') (Ref 'binary-unclustered' 'candidate.json') -MinDelta 0.02
            Invoke-EvalGate (Ref 'binary-clustered' 'baseline.json') (Ref 'binary-clustered' 'candidate.json') -MinDelta 0.02
            Invoke-EvalGate (Ref 'tiny' 'baseline.json') (Ref 'tiny' 'candidate.json') -MinDelta 0.005
        )
        $file = $reports | Export-EvalReport -Format JUnit -Path (Join-Path $TestDrive 'gates.xml') -PassThru
        $file | Should -BeOfType ([System.IO.FileInfo])
        $xml = Get-Content -LiteralPath $file.FullName -Raw
        Test-JUnitXml $xml | Should -BeNullOrEmpty
        $suite = ([xml]$xml).testsuites.testsuite
        $suite.tests | Should -Be '3'
        $suite.failures | Should -Be '2'
        @($suite.testcase)[1].failure.type | Should -BeLike 'REJECT.*'
    }
}

Describe 'Test-AuditChain in a pipeline' {
    It 'reports a tampered ledger as an error annotation, and as a failing JUnit case' {
        $ledger = Join-Path $TestDrive 'ledger'
        $key = Join-Path $TestDrive 'audit.key'
        New-AuditKey -Path $key | Out-Null
        Add-AuditRecord -Ledger $ledger -KeyPath $key -SchemaKey halluccheck.score.v1 -Payload @{ score = 0.5 } | Out-Null
        Add-AuditRecord -Ledger $ledger -KeyPath $key -SchemaKey halluccheck.score.v1 -Payload @{ score = 0.93 } | Out-Null
        $path = Join-Path $ledger 'ledger.jsonl'
        $lines = Get-Content -LiteralPath $path
        $lines[1] = $lines[1].Replace('0.93', '0.99')
        Set-Content -LiteralPath $path -Value $lines
        $script = Join-Path $TestDrive 'verify.ps1'
        Set-Content -LiteralPath $script -Value @"
`$ErrorActionPreference = 'Stop'
Import-Module '$ModuleManifest'
`$v = Test-AuditChain -Ledger '$ledger' -KeyPath '$key'
`$v | Export-EvalReport -Format JUnit -Path '$(Join-Path $TestDrive 'audit.xml')'
exit ([int](-not `$v.Valid))
"@
        $run = Invoke-ChildPwsh -Environment (Get-CiEnvironment @{ GITHUB_ACTIONS = 'true' }) -Arguments '-File', $script
        $run.ExitCode | Should -Be 1
        $run.Output[0] | Should -BeLikeExactly 'EvalSig audit chain: INVALID - verified 1, tampered 1, *'
        $run.Output[1] | Should -BeLikeExactly "::error title=EvalSig audit chain INVALID::EvalSig audit chain INVALID ($ledger): *"
        $xml = Get-Content -LiteralPath (Join-Path $TestDrive 'audit.xml') -Raw
        Test-JUnitXml $xml | Should -BeNullOrEmpty
        ([xml]$xml).testsuites.testsuite.testcase.failure | Should -Not -BeNullOrEmpty
    }
}
