# Evaluation tools' logs (lm-evaluation-harness, Inspect, HELM; real files under tests/data/harness),
# RunFrame text from the pipeline, unpaired runs, and the sequential watch - as a pwsh user runs them.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:Harness = Join-Path $RepoRoot 'tests/data/harness'
    $script:Neg1604 = Join-Path $Harness 'lm-eval/negotiationtom-qwen3-8b/samples_negotiationtom_intention_2026-07-08T16-04-34.219874.jsonl'
    $script:Neg1815 = Join-Path $Harness 'lm-eval/negotiationtom-qwen3-8b/samples_negotiationtom_intention_2026-07-08T18-15-33.115417.jsonl'
    $script:Truthful = Join-Path $Harness 'lm-eval/truthfulqa-gpt-neo-125m/samples_truthfulqa_gen_2025-05-31T14-30-51.983293.jsonl'
    $script:PopJson = Join-Path $Harness 'inspect/2025-05-12T20-28-13-04-00_popularity.json'
    $script:LogFormatsJson = Join-Path $Harness 'inspect/log_formats.json'
    $script:BbqGemini = Join-Path $Harness 'helm/bbq_google_gemini-1.5-pro-001'
    $script:RedTeamQwen = Join-Path $Harness 'helm/anthropic_red_team_qwen_qwen2-72b-instruct'
    $script:RedTeamLlama = Join-Path $Harness 'helm/anthropic_red_team_meta_llama-3-70b'
    $script:Examples = Join-Path $RepoRoot 'examples'

    # No .eval log is committed: the .eval containers are built here from the real JSON log of the same run,
    # in inspect_ai's EvalRecorder layout (New-InspectEvalLog in Common.ps1, tests/Shared/Harness/InspectEvalLog.cs).
    $script:EvalDir = New-Item -ItemType Directory -Path (Join-Path ([System.IO.Path]::GetTempPath()) ('evalsig-pester-eval-' + [guid]::NewGuid()))
    $script:PopEval = New-InspectEvalLog $PopJson (Join-Path $EvalDir 'popularity.eval')
    $script:LogFormatsEval = New-InspectEvalLog $LogFormatsJson (Join-Path $EvalDir 'log_formats.eval')
}

AfterAll {
    Remove-Item -LiteralPath $EvalDir -Recurse -Force
}

Describe 'Import-RunFrame' {
    It 'reads <Name> with its tool and version in the provenance' -ForEach @(
        @{ Name = 'lm-eval samples'; File = 'lm-eval/negotiationtom-qwen3-8b/samples_negotiationtom_intention_2026-07-08T16-04-34.219874.jsonl'; Extra = @{}; Count = 20; Mean = 0.2; Tool = 'lm-evaluation-harness'; Version = '0.4.13.dev0' }
        @{ Name = 'an Inspect .eval log (built from the real JSON log)'; File = 'popularity.eval'; Extra = @{}; Count = 3; Mean = 2 / 3; Tool = 'Inspect'; Version = '0.3.95.dev16+g6527d0861' }
        @{ Name = 'an Inspect .json log'; File = 'inspect/2025-05-12T20-28-13-04-00_popularity.json'; Extra = @{}; Count = 3; Mean = 2 / 3; Tool = 'Inspect'; Version = '0.3.95.dev16+g6527d0861' }
        @{ Name = 'a HELM run folder'; File = 'helm/anthropic_red_team_meta_llama-3-70b'; Extra = @{ Stat = 'art_score' }; Count = 2; Mean = 0.875; Tool = 'HELM'; Version = $null }
    ) {
        $extra = $Extra
        $path = if ($File -like '*.eval') { Join-Path $EvalDir $File } else { Join-Path $Harness $File }
        $f = Import-RunFrame -LiteralPath $path @extra
        $f.Count | Should -Be $Count
        $f.MeanScore | Should -BeGreaterOrEqual ($Mean - 1e-12)
        $f.MeanScore | Should -BeLessOrEqual ($Mean + 1e-12)
        $f.Provenance.Tool | Should -Be $Tool
        $f.Provenance.ToolVersion | Should -Be $Version
    }

    It 'refuses a log with several metrics and names them, with RunFrameInvalid' {
        { Import-RunFrame $Truthful -ErrorAction Stop } | Should -Throw -ErrorId 'RunFrameInvalid,EvalSig.Commands.ImportRunFrameCommand'
        $err = $null
        Import-RunFrame $Truthful -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].Exception.Message | Should -Match "per-item metrics 'bleu_max', 'bleu_acc'.*choose one with -Metric"
        (Import-RunFrame $Truthful -Metric bleu_acc).MeanScore | Should -Be 0.5
    }

    It 'reads an unfinished .eval log (journal only) with a note' {
        $running = New-InspectEvalLog $PopJson (Join-Path $EvalDir 'running.eval') -Unfinished
        $f = Import-RunFrame -LiteralPath $running
        $f.Count | Should -Be 3
        $f.Provenance.Notes | Should -Contain 'the log has no header.json (the evaluation did not finish): run fields from _journal/start.json'
    }

    It 'takes -Scorer and -Stat as aliases of -Metric' {
        (Import-RunFrame $PopEval -Scorer match).MetricName | Should -Be 'match'
        (Import-RunFrame $BbqGemini -Stat quasi_exact_match).MetricName | Should -Be 'quasi_exact_match'
    }
}

Describe 'Test-RunFrame' {
    It 'lists the stat choices of a HELM run folder' {
        $v = Test-RunFrame $BbqGemini
        $v.Valid | Should -BeFalse
        $v.Problems[0].Message | Should -Match "choose one with -Stat or --stat"
        Test-RunFrame $BbqGemini -Stat exact_match -Quiet | Should -BeTrue
    }
}

Describe 'Invoke-EvalGate' {
    It 'gates between two real lm-evaluation-harness runs' {
        $r = Invoke-EvalGate $Neg1604 $Neg1815
        $r.Comparison.NPairs | Should -Be 20
        $r.Comparison.Delta | Should -Be 0
        $r.ExitCode | Should -Be ([int]$r.Verdict)
    }

    It 'gates between two real HELM runs with -Stat' {
        $r = Invoke-EvalGate $RedTeamQwen $RedTeamLlama -Stat art_score
        $r.Comparison.NPairs | Should -Be 2
        $r.Comparison.Delta | Should -Be -0.125
    }

    It 'gates between an Inspect .eval log and an Inspect .json log of another run' {
        $r = Invoke-EvalGate $LogFormatsEval $PopJson
        $r.Comparison.NPairs | Should -Be 1
        $r.Comparison.OnlyInBaseline | Should -Be 0
        $r.Comparison.OnlyInCandidate | Should -Be 2
        $r.Comparison.Delta | Should -Be 1
    }

    It 'accepts RunFrame JSON text piped from Get-Content -Raw' {
        $r = Get-Content -Raw (Join-Path $Examples 'candidate.json') | Invoke-EvalGate -Baseline (Join-Path $Examples 'baseline.json') -MinDelta 0.005
        $r.Verdict | Should -Be 'ALLOW'
        $r.CandidateRunId | Should -Not -BeNullOrEmpty
    }

    It 'says a comparison of runs without shared items is unpaired' {
        # One -Stat for both runs fits neither: the gate stops (fail closed) instead of returning nothing.
        { Invoke-EvalGate $PopEval $BbqGemini -Stat match -ErrorAction SilentlyContinue } | Should -Throw -ErrorId 'RunFrameInvalid,EvalSig.Commands.InvokeEvalGateCommand'
        $inspect = Import-RunFrame $PopEval
        $helm = Import-RunFrame $BbqGemini -Stat exact_match
        $u = Invoke-EvalGate $inspect $helm
        $u.Comparison.Unpaired | Should -BeTrue
        $u.Comparison.Method | Should -Be 'newcombe'
    }
}

Describe 'Save-EvalRun' {
    It 'saves a tool log given by path' {
        $root = Join-Path $TestDrive 'store'
        $s = Get-Item $PopEval | Save-EvalRun $root 'p' -PassThru
        $s.RunId | Should -Not -BeNullOrEmpty
        (Import-EvalRun $root 'p' $s.RunId).Count | Should -Be 3
    }
}

Describe 'Watch-EvalGate' {
    BeforeAll {
        $script:CandidateLines = Join-Path $TestDrive 'candidate.jsonl'
        $items = (Get-Content -Raw (Join-Path $Examples 'candidate.json') | ConvertFrom-Json).items
        $items | ForEach-Object { [pscustomobject]@{ item_id = $_.item_id; score = $_.score } | ConvertTo-Json -Compress } |
            Set-Content -LiteralPath $CandidateLines
    }

    It 'stops early with ALLOW on a file of candidate items' {
        $r = Watch-EvalGate (Join-Path $Examples 'baseline.json') $CandidateLines
        $r.Verdict | Should -Be 'ALLOW'
        $r.Reason | Should -Be 'Improved'
        $r.ExitCode | Should -Be 0
        $r.StoppedEarly | Should -BeTrue
        $r.Comparison.Method | Should -Be 'betting_cs'
    }

    It 'takes items from the pipeline, as JSON lines or objects' {
        $a = Get-Content -LiteralPath $CandidateLines | Watch-EvalGate -Baseline (Join-Path $Examples 'baseline.json') -Sequence Asymptotic -NoCluster
        $a.Verdict | Should -Be 'ALLOW'
        $b = Get-Content -LiteralPath $CandidateLines | ConvertFrom-Json | Watch-EvalGate -Baseline (Join-Path $Examples 'baseline.json')
        $b.Verdict | Should -Be 'ALLOW'
    }

    It 'ends INCONCLUSIVE with reason StreamEnded on two identical lm-eval runs' {
        $r = Watch-EvalGate $Neg1604 $Neg1815
        $r.Verdict | Should -Be 'INCONCLUSIVE'
        $r.Reason | Should -Be 'StreamEnded'
        $r.Matched | Should -Be 20
    }

    It 'refuses scores outside [0, 1] for the betting sequence with WatchInvalid' {
        { Watch-EvalGate $Truthful $Truthful -Metric bleu_max -ErrorAction Stop } |
            Should -Throw -ErrorId 'WatchInvalid,EvalSig.Commands.WatchEvalGateCommand'
    }

    It 'reports a bad candidate line as RunFrameInvalid' {
        $bad = Join-Path $TestDrive 'bad.jsonl'
        Set-Content -LiteralPath $bad -Value '{"item_id": "q0000", "score": 1}', 'not json'
        { Watch-EvalGate (Join-Path $Examples 'baseline.json') $bad -ErrorAction Stop } |
            Should -Throw -ErrorId 'RunFrameInvalid,EvalSig.Commands.WatchEvalGateCommand'
    }
}
