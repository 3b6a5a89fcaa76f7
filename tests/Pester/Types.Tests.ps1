# EvalSig's types can be named in real pwsh: type literals, -is, casts, enum literals, typed
# parameters of script functions and typed catch clauses. (PowerShell hides the types of assemblies
# loaded in other load contexts, so this pins where Core is loaded, as docs/architecture.md says.)

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:Base = Join-Path $ReferenceRoot 'tiny/baseline.json'
    $script:Cand = Join-Path $ReferenceRoot 'tiny/candidate.json'
}

Describe 'EvalSig types in scripts' {
    It 'names the gate report, the comparison and the RunFrame' {
        $report = Invoke-EvalGate $Base $Cand
        $report | Should -BeOfType ([EvalSig.Core.Gating.GateReport])
        $report.Comparison | Should -BeOfType ([EvalSig.Core.Gating.Comparison])
        $report -is [EvalSig.Core.Gating.GateReport] | Should -BeTrue
        Import-RunFrame $Base | Should -BeOfType ([EvalSig.Core.RunFrames.RunFrame])
        ([type] 'EvalSig.Core.Gating.GateReport').Assembly.GetName().Name | Should -Be 'EvalSig.Core'
    }

    It 'compares verdicts with enum literals and casts text to them' {
        $report = Invoke-EvalGate $Base $Cand -Method PairedT
        $report.Verdict | Should -BeOfType ([EvalSig.Core.Gating.GateVerdict])
        $report.Verdict -in [EvalSig.Core.Gating.GateVerdict]::ALLOW, [EvalSig.Core.Gating.GateVerdict]::REJECT, [EvalSig.Core.Gating.GateVerdict]::INCONCLUSIVE | Should -BeTrue
        [EvalSig.Core.Gating.GateVerdict] 'REJECT' | Should -Be ([EvalSig.Core.Gating.GateVerdict]::REJECT)
        $report.Options.Inference.Method | Should -Be ([EvalSig.Core.Gating.InferenceMethod]::PairedT)
        [EvalSig.Core.RunFrames.RunFrameFormat]::Parquet | Should -BeOfType ([enum])
    }

    It 'binds an EvalSig object to a typed parameter of a script function' {
        function Get-Size([Parameter(Mandatory, ValueFromPipeline)] [EvalSig.Core.RunFrames.RunFrame] $Frame) {
            process { $Frame.Count }
        }
        function Get-Verdict([EvalSig.Core.Gating.GateReport] $Report) { [string] $Report.Verdict }

        Import-RunFrame $Base | Get-Size | Should -Be 13
        Get-Verdict -Report (Invoke-EvalGate $Base $Cand) | Should -BeIn 'ALLOW', 'REJECT', 'INCONCLUSIVE'
        { Get-Size -Frame 'not a frame' } | Should -Throw -ErrorId 'ParameterArgumentTransformationError,Get-Size'
    }

    It 'catches EvalSig errors by their exception type' {
        $caught = try {
            Import-RunFrame (Join-Path $TestDrive 'missing.json') -ErrorAction Stop
            'not caught'
        }
        catch [EvalSig.Core.Diagnostics.EvalSigException] {
            $_.Exception.Error
        }
        $caught | Should -Be ([EvalSig.Core.Diagnostics.EvalSigError]::RunFrameNotFound)

        $bad = Join-Path $TestDrive 'bad.json'
        Set-Content -LiteralPath $bad -Value '{"run_id": 1'
        $invalid = try { Import-RunFrame $bad -ErrorAction Stop } catch [EvalSig.Core.RunFrames.RunFrameInvalidException] { $_.Exception.Problems.Count }
        $invalid | Should -BeGreaterThan 0
    }

    It 'catches a failed gate by its exception type, without -ErrorAction Stop' {
        $id = try { Invoke-EvalGate $Base (Join-Path $TestDrive 'missing.json') } catch [EvalSig.Core.Diagnostics.EvalSigException] { $_.FullyQualifiedErrorId }
        $id | Should -Be 'RunFrameNotFound,EvalSig.Commands.InvokeEvalGateCommand'
    }
}

Describe 'A gate that cannot read its inputs' {
    It 'gives exactly one error, RunFrameNotFound, for a missing baseline' {
        $Error.Clear()
        try { Invoke-EvalGate (Join-Path $TestDrive 'missing.json') $Cand } catch { }
        @($Error).Count | Should -Be 1
        $Error[0].FullyQualifiedErrorId | Should -Be 'RunFrameNotFound,EvalSig.Commands.InvokeEvalGateCommand'
    }

    It 'stops <Command> with the specific id for <Case>' -ForEach @(
        @{ Command = 'Invoke-EvalGate'; Case = 'a missing candidate'; Candidate = 'missing.json'; Id = 'RunFrameNotFound' }
        @{ Command = 'Compare-EvalRun'; Case = 'a missing candidate'; Candidate = 'missing.json'; Id = 'RunFrameNotFound' }
        @{ Command = 'Invoke-EvalGate'; Case = 'an unreadable candidate'; Candidate = 'bad.json'; Id = 'RunFrameInvalid' }
    ) {
        Set-Content -LiteralPath (Join-Path $TestDrive 'bad.json') -Value 'not json'
        { & $Command $Base (Join-Path $TestDrive $Candidate) -ErrorAction SilentlyContinue } |
            Should -Throw -ErrorId "$Id,EvalSig.Commands.$($Command -replace '-')Command"
    }
}
