BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:VerdictCases = foreach ($name in 'tiny', 'binary-unclustered', 'binary-clustered', 'continuous-clustered', 'partial-overlap') {
        $expected = Get-Content -LiteralPath (Join-Path $ReferenceRoot "$name/expected.json") -Raw | ConvertFrom-Json
        foreach ($p in $expected.evalsig_verdicts.PSObject.Properties) {
            $parts = $p.Name -split '\|'
            @{
                Name     = $name
                Method   = if ($parts[0] -eq 'paired_t') { 'PairedT' } else { 'ClusteredT' }
                MinDelta = [double]($parts[2] -split '=')[1]
                Verdict  = $p.Value
            }
        }
    }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    function Ref([string] $Name, [string] $File) { Join-Path $ReferenceRoot "$Name/$File" }
    function Expected([string] $Name) { Get-Content -LiteralPath (Ref $Name 'expected.json') -Raw | ConvertFrom-Json }
}

Describe 'Invoke-EvalGate' {
    It '<Name> <Method> min-delta <MinDelta> gives <Verdict>' -ForEach $VerdictCases {
        $report = Invoke-EvalGate -Baseline (Ref $Name 'baseline.json') -Candidate (Ref $Name 'candidate.json') -Method $Method -MinDelta $MinDelta -OneSided
        $report.Verdict | Should -Be $Verdict
        $report.ExitCode | Should -Be @{ ALLOW = 0; REJECT = 1; INCONCLUSIVE = 2 }[$Verdict]
    }

    It 'matches the reference numbers through the cmdlet' {
        $x = (Expected 'binary-clustered').clustered_t
        $c = (Invoke-EvalGate (Import-RunFrame (Ref 'binary-clustered' 'baseline.json')) (Import-RunFrame (Ref 'binary-clustered' 'candidate.json')) -Method ClusteredT -Alternative TwoSided).Comparison
        $c.Se | Should -BeGreaterOrEqual ($x.se - 1e-12)
        $c.Se | Should -BeLessOrEqual ($x.se + 1e-12)
        [math]::Abs($c.PValue - $x.p_two_sided) | Should -BeLessOrEqual 1e-12
        $c.NClusters | Should -Be 600
        $c.Method | Should -Be 'clustered_t'
    }

    It 'calls a significant regression REJECT / Regressed under <Alternative>' -ForEach @(
        @{ Alternative = 'Greater' }
        @{ Alternative = 'TwoSided' }
    ) {
        $b = Import-RunFrame (Join-Path $RepoRoot 'examples/baseline.json')
        $zero = Join-Path $TestDrive 'zero.csv'
        $b.Items | ForEach-Object { [pscustomobject]@{ item_id = $_.ItemId; score = 0.0; cluster_id = $_.ClusterId } } |
            ConvertTo-Csv -NoTypeInformation | Set-Content -LiteralPath $zero
        $report = Invoke-EvalGate $b $zero -MinDelta 0.01 -Alternative $Alternative
        $report.Verdict | Should -Be 'REJECT'
        $report.Reason | Should -Be 'Regressed'
        $report.ExitCode | Should -Be 1
        $report.Explanation | Should -Match 'significantly worse'
        $report.Explanation | Should -Not -Match 'improvement is real|Not enough evidence'
        ($report | Export-EvalReport Json | ConvertFrom-Json).reason | Should -Be 'regressed'
        ($report | Out-String) | Should -Match 'Reason\s+: Regressed:'
    }

    It 'gates each candidate from the pipeline' {
        $ids = Import-RunFrame (Ref 'binary-unclustered' 'candidate.json'), (Ref 'binary-unclustered' 'baseline.json') |
            Invoke-EvalGate -Baseline (Ref 'binary-unclustered' 'baseline.json') -MinDelta 0.005 |
            ForEach-Object CandidateRunId
        $ids | Should -Be @('binary-unclustered-cand', 'binary-unclustered-base')
    }

    It 'uses exact McNemar for 0/1 scores without clusters, with the reference counts' {
        $x = (Expected 'binary-unclustered').mcnemar
        $c = (Invoke-EvalGate (Ref 'binary-unclustered' 'baseline.json') (Ref 'binary-unclustered' 'candidate.json')).Comparison
        $c.Method | Should -Be 'mcnemar_exact'
        $c.McNemarB | Should -Be $x.b
        $c.McNemarC | Should -Be $x.c
        [math]::Abs($c.PValue - $x.p_one_sided) | Should -BeLessOrEqual 1e-12
    }

    It 'suggests the items needed when INCONCLUSIVE' {
        $report = Invoke-EvalGate (Ref 'tiny' 'baseline.json') (Ref 'tiny' 'candidate.json') -MinDelta 0.02
        $report.Verdict | Should -Be 'INCONCLUSIVE'
        $report.Suggestion | Should -Match ([regex]::Escape('paired items in total (now 12)'))
    }

    It 'allows a clear win under non-inferiority' {
        (Invoke-EvalGate (Ref 'binary-unclustered' 'baseline.json') (Ref 'binary-unclustered' 'candidate.json') -Decision NonInferiority -Margin 0.01).Verdict | Should -Be 'ALLOW'
    }

    It 'fails with <Id> for <Arguments>' -ForEach @(
        @{ Arguments = @{ Alpha = 0 }; Id = 'InvalidAlpha' }
        @{ Arguments = @{ Alpha = 1.5 }; Id = 'InvalidAlpha' }
        @{ Arguments = @{ Power = 1 }; Id = 'InvalidPower' }
        @{ Arguments = @{ MinDelta = -0.1 }; Id = 'InvalidMinDelta' }
        @{ Arguments = @{ Decision = 'NonInferiority' }; Id = 'InvalidMargin' }
        @{ Arguments = @{ Decision = 'NonInferiority'; Margin = -1 }; Id = 'InvalidMargin' }
        @{ Arguments = @{ Margin = 0.1 }; Id = 'InvalidMargin' }
        @{ Arguments = @{ Resamples = 10 }; Id = 'InvalidResamples' }
        @{ Arguments = @{ Cluster = 'cluster_id'; NoCluster = $true }; Id = 'InvalidMethod' }
        @{ Arguments = @{ OneSided = $true; Alternative = 'TwoSided' }; Id = 'InvalidMethod' }
        @{ Arguments = @{ Method = 'McNemarExact' }; Id = 'MethodNotApplicable' }
        @{ Arguments = @{ Method = 'ClusteredT' }; Id = 'MethodNotApplicable' }
        @{ Arguments = @{ Cluster = 'passage_id' }; Id = 'ClusterKeyNotFound' }
    ) {
        { Invoke-EvalGate (Ref 'tiny' 'baseline.json') (Ref 'tiny' 'candidate.json') @Arguments -ErrorAction Stop } |
            Should -Throw -ErrorId "$Id,EvalSig.Commands.InvokeEvalGateCommand"
    }

    It 'reports runs without shared items as NoOverlappingItems' {
        $other = Join-Path $TestDrive 'other.csv'
        Set-Content -LiteralPath $other -Value "item_id,score`nx1,1`nx2,0"
        { Invoke-EvalGate (Ref 'tiny' 'baseline.json') $other -ErrorAction Stop } |
            Should -Throw -ErrorId 'NoOverlappingItems,EvalSig.Commands.InvokeEvalGateCommand'
    }

    It 'reports a missing baseline file as RunFrameNotFound' {
        { Invoke-EvalGate /nonexistent/base.json (Ref 'tiny' 'candidate.json') -ErrorAction Stop } |
            Should -Throw -ErrorId 'RunFrameNotFound,EvalSig.Commands.InvokeEvalGateCommand'
    }

    It 'is reproducible with a seed and writes progress while resampling' {
        $b = Ref 'continuous-clustered' 'baseline.json'
        $c = Ref 'continuous-clustered' 'candidate.json'
        $first = (Invoke-EvalGate $b $c -Method PairedBootstrap -Resamples 5000 -Seed 3).Comparison.CiLower
        $second = (Invoke-EvalGate $b $c -Method PairedBootstrap -Resamples 5000 -Seed 3).Comparison.CiLower
        $second | Should -Be $first
    }
}

Describe 'Compare-EvalRun' {
    It 'is two-sided by default and reports the paired Cohen''s d' {
        $x = Expected 'continuous-clustered'
        $cmp = Compare-EvalRun (Ref 'continuous-clustered' 'baseline.json') (Ref 'continuous-clustered' 'candidate.json') -Method PairedT -NoCluster
        $cmp | Should -BeOfType ([EvalSig.Core.Gating.RunComparison])
        [math]::Abs($cmp.Comparison.PValue - $x.paired_t.p_two_sided) | Should -BeLessOrEqual 1e-12
        $d = $x.delta / ($x.paired_t.se * [math]::Sqrt($x.n_pairs))
        [math]::Abs($cmp.CohensD - $d) | Should -BeLessOrEqual 1e-9
        $cmp.CliffsDelta | Should -Not -BeNullOrEmpty
    }

    It 'has no Cliff''s delta for 0/1 scores' {
        (Compare-EvalRun (Ref 'binary-unclustered' 'baseline.json') (Ref 'binary-unclustered' 'candidate.json')).CliffsDelta | Should -BeNullOrEmpty
    }
}

Describe 'Measure-EvalPower' {
    It 'plans from a design and measures from runs' {
        $design = Measure-EvalPower -StdDev 0.5 -N 400 -TargetMde 0.05 -Alternative TwoSided
        $design.Mde | Should -BeGreaterThan 0.06
        $design.Mde | Should -BeLessThan 0.08
        $design.RequiredN | Should -BeGreaterThan 700
        $design.RequiredN | Should -BeLessThan 900
        $runs = Measure-EvalPower (Ref 'binary-clustered' 'baseline.json') (Ref 'binary-clustered' 'candidate.json') -TargetMde 0.01
        $runs.N | Should -Be 3000
        $runs.DesignEffect | Should -BeGreaterThan 1
        $runs.RequiredClusters | Should -Not -BeNullOrEmpty
    }

    It 'fails with <Id> for <Arguments>' -ForEach @(
        @{ Arguments = @{ StdDev = -1; N = 10 }; Id = 'InvalidPowerInput' }
        @{ Arguments = @{ StdDev = 1; N = 1 }; Id = 'InvalidPowerInput' }
        @{ Arguments = @{ StdDev = 1; N = 10; Icc = 2 }; Id = 'InvalidPowerInput' }
        @{ Arguments = @{ StdDev = 1; N = 10; TargetMde = 0 }; Id = 'InvalidPowerInput' }
        @{ Arguments = @{ StdDev = 1; N = 10; Alpha = 2 }; Id = 'InvalidAlpha' }
        @{ Arguments = @{ StdDev = 1; N = 10; Power = 0 }; Id = 'InvalidPower' }
    ) {
        { Measure-EvalPower @Arguments -ErrorAction Stop } | Should -Throw -ErrorId "$Id,EvalSig.Commands.MeasureEvalPowerCommand"
    }
}

Describe 'Export-EvalReport' {
    It 'renders JSON, Markdown and text' {
        $g = Invoke-EvalGate (Ref 'binary-unclustered' 'baseline.json') (Ref 'binary-unclustered' 'candidate.json') -MinDelta 0.005
        $json = $g | Export-EvalReport Json | ConvertFrom-Json
        $json.verdict | Should -Be 'ALLOW'
        $json.comparison.ci[1] | Should -BeNullOrEmpty
        $g | Export-EvalReport Markdown | Should -Match '^## EvalSig gate: \*\*ALLOW\*\*'
        $g | Export-EvalReport -Format Text | Should -Match '^Verdict      ALLOW \(exit 0\)'
    }

    It 'writes a file atomically and respects -NoClobber' {
        $target = Join-Path $TestDrive 'gate.json'
        $g = Invoke-EvalGate (Ref 'tiny' 'baseline.json') (Ref 'tiny' 'candidate.json')
        ($g | Export-EvalReport Json -Path $target -PassThru).Name | Should -Be 'gate.json'
        { $g | Export-EvalReport Json -Path $target -NoClobber -ErrorAction Stop } |
            Should -Throw -ErrorId 'FileAlreadyExists,EvalSig.Commands.ExportEvalReportCommand'
        (Get-Content -LiteralPath $target -Raw | ConvertFrom-Json).verdict | Should -Be 'INCONCLUSIVE'
    }
}
