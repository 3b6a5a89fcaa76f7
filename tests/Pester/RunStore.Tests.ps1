BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    function Ref([string] $Name, [string] $File) { Join-Path $ReferenceRoot "$Name/$File" }
}

Describe 'Save-EvalRun' {
    It 'saves both runs of a gate report, and history shows the verdict and the full path' {
        $root = Join-Path $TestDrive 'store1'
        Invoke-EvalGate (Ref 'binary-unclustered' 'baseline.json') (Ref 'binary-unclustered' 'candidate.json') -MinDelta 0.005 |
            Save-EvalRun -Root $root -Project mmlu-pro
        $history = Get-EvalHistory -Root $root -Project mmlu-pro
        $history.Count | Should -Be 2
        $history[0] | Should -BeOfType ([EvalSig.Core.RunStore.StoredRun])
        $cand = $history | Where-Object RunId -EQ 'binary-unclustered-cand'
        $cand.Verdict | Should -Be 'ALLOW'
        $cand.ParentRunId | Should -Be 'binary-unclustered-base'
        $cand.NItems | Should -Be 400
        $cand.Path | Should -Exist
        $cand.Path | Should -BeLike (Join-Path $root 'mmlu-pro/year=*')
    }

    It 'refuses conflicting content with RunAlreadyExists, and -Force keeps the old version' {
        $root = Join-Path $TestDrive 'store2'
        Import-RunFrame (Ref 'tiny' 'baseline.json') | Save-EvalRun $root p
        Import-RunFrame (Ref 'tiny' 'baseline.json') | Save-EvalRun $root p
        { Import-RunFrame (Ref 'tiny' 'candidate.json') -RunId tiny-base | Save-EvalRun $root p -ErrorAction Stop } |
            Should -Throw -ErrorId 'RunAlreadyExists,EvalSig.Commands.SaveEvalRunCommand'
        (Import-RunFrame (Ref 'tiny' 'candidate.json') -RunId tiny-base | Save-EvalRun $root p -Force -PassThru).Version | Should -Be 2
        @(Get-EvalHistory $root p).Count | Should -Be 1
        @(Get-EvalHistory $root p -IncludeSuperseded).Count | Should -Be 2
    }

    It 'writes nothing with -WhatIf' {
        $root = Join-Path $TestDrive 'store3'
        Import-RunFrame (Ref 'tiny' 'baseline.json') | Save-EvalRun $root p -WhatIf
        $root | Should -Not -Exist
    }
}

Describe 'Import-EvalRun' {
    It 'returns the run exactly as saved, by id and from history' {
        $root = Join-Path $TestDrive 'store4'
        $f = Import-RunFrame (Ref 'continuous-clustered' 'baseline.json')
        $f | Save-EvalRun $root proj
        foreach ($back in @((Import-EvalRun $root proj $f.RunId), (Get-EvalHistory $root proj | Import-EvalRun))) {
            ($back.Scores | ForEach-Object { [BitConverter]::DoubleToInt64Bits($_) }) | Should -Be ($f.Scores | ForEach-Object { [BitConverter]::DoubleToInt64Bits($_) })
            $back.ProjectId | Should -Be 'proj'
            for ($i = 0; $i -lt $f.Count; $i++) { $back.MetadataJson[$i] | Should -Be $f.MetadataJson[$i] }
        }
    }
}

Describe 'Run store errors' {
    BeforeAll {
        $script:Root = Join-Path $TestDrive 'store5'
        Import-RunFrame (Ref 'tiny' 'baseline.json') | Save-EvalRun $Root p
    }

    It 'fails with <Id>' -ForEach @(
        @{ Script = { Import-RunFrame (Ref 'tiny' 'baseline.json') | Save-EvalRun $Root '../escape' -ErrorAction Stop }; Id = 'InvalidIdentifier,EvalSig.Commands.SaveEvalRunCommand' }
        @{ Script = { Import-RunFrame (Ref 'tiny' 'baseline.json') -RunId 'a/b' | Save-EvalRun $Root p -ErrorAction Stop }; Id = 'InvalidIdentifier,EvalSig.Commands.SaveEvalRunCommand' }
        @{ Script = { Get-EvalHistory $Root nope -ErrorAction Stop }; Id = 'RunNotFound,EvalSig.Commands.GetEvalHistoryCommand' }
        @{ Script = { Get-EvalHistory $Root p -Since 'soon' -ErrorAction Stop }; Id = 'AuditQueryInvalid,EvalSig.Commands.GetEvalHistoryCommand' }
        @{ Script = { Import-EvalRun $Root p missing-run -ErrorAction Stop }; Id = 'RunNotFound,EvalSig.Commands.ImportEvalRunCommand' }
        @{ Script = { 42 | Save-EvalRun $Root p -ErrorAction Stop }; Id = 'RunStoreInvalid,EvalSig.Commands.SaveEvalRunCommand' }
        @{ Script = { 'no-such-run.json' | Save-EvalRun $Root p -ErrorAction Stop }; Id = 'RunFrameNotFound,EvalSig.Commands.SaveEvalRunCommand' }
    ) {
        $Script | Should -Throw -ErrorId $Id
        Join-Path (Split-Path $Root -Parent) 'escape' | Should -Not -Exist
    }
}

Describe 'Get-EvalHistory' {
    It 'compares dates as instants and filters' {
        $a = Join-Path $TestDrive 'a.csv'
        $b = Join-Path $TestDrive 'b.csv'
        Set-Content -LiteralPath $a -Value "run_id,model_id,task_id,metric_name,ts,item_id,score`na,m1,t,acc,2026-01-01T23:30:00Z,x,1"
        Set-Content -LiteralPath $b -Value "run_id,model_id,task_id,metric_name,ts,item_id,score`nb,m2,t,acc,2026-01-02T00:30:00+02:00,x,1"
        $root = Join-Path $TestDrive 'store6'
        Import-RunFrame $a, $b | Save-EvalRun $root p
        (Get-EvalHistory $root p).RunId | Should -Be @('b', 'a')
        (Get-EvalHistory $root p -Since '2026-01-01T23:00:00Z').RunId | Should -Be 'a'
        (Get-EvalHistory $root p -Model m2).RunId | Should -Be 'b'
        @(Get-EvalHistory $root p -Verdict ALLOW).Count | Should -Be 0
    }

    It 'completes -Project and -RunId with Tab' {
        $root = Join-Path $TestDrive 'store7'
        Import-RunFrame (Ref 'tiny' 'baseline.json') | Save-EvalRun $root mmlu-pro
        Import-RunFrame (Ref 'tiny' 'baseline.json') | Save-EvalRun $root math-500
        $line = "Get-EvalHistory -Root '$root' -Project mm"
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be 'mmlu-pro'
        $line = "Import-EvalRun -Root '$root' -Project mmlu-pro -RunId ti"
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be 'tiny-base'
    }
}

Describe 'Run store containment and content checks' {
    It 'refuses a stored file changed after it was saved, by id, from history and by path' {
        $root = Join-Path $TestDrive 'store8'
        $f = Import-RunFrame (Ref 'tiny' 'baseline.json')
        $f | Save-EvalRun $root p
        $h = Get-EvalHistory $root p
        Import-RunFrame (Ref 'tiny' 'candidate.json') -RunId $f.RunId | Export-RunFrame -Path $h.Path -Format Parquet
        foreach ($load in @({ Import-EvalRun $root p $f.RunId -ErrorAction Stop }, { $h | Import-EvalRun -ErrorAction Stop }, { Import-EvalRun -Path $h.Path -ErrorAction Stop })) {
            $err = $null
            try { & $load } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -Be 'RunStoreCorrupt,EvalSig.Commands.ImportEvalRunCommand'
            "$err" | Should -Match 'content_sha256'
        }
    }

    It 'calls a malformed or escaping manifest RunStoreCorrupt: <Name>' -ForEach @(
        @{ Name = 'not JSON'; Manifest = '{' }
        @{ Name = 'an entry without a path'; Manifest = '{"runs":[{"run_id":"tiny-base","n_items":3}]}' }
        @{ Name = 'a path outside the root'; Manifest = '{"runs":[{"run_id":"tiny-base","n_items":3,"path":"../../outside.parquet"}]}' }
    ) {
        $root = Join-Path $TestDrive ([guid]::NewGuid().ToString('n'))
        Import-RunFrame (Ref 'tiny' 'baseline.json') | Save-EvalRun $root p
        Set-Content -LiteralPath (Join-Path $root 'p/manifest.json') -Value $Manifest -NoNewline
        { Get-EvalHistory $root p -ErrorAction Stop } | Should -Throw -ErrorId 'RunStoreCorrupt,EvalSig.Commands.GetEvalHistoryCommand'
        { Import-RunFrame (Ref 'tiny' 'baseline.json') | Save-EvalRun $root p -Force -ErrorAction Stop } | Should -Throw -ErrorId 'RunStoreCorrupt,EvalSig.Commands.SaveEvalRunCommand'
        Join-Path $TestDrive 'outside.parquet' | Should -Not -Exist
    }

    It 'never overwrites a stored run when the manifest is lost' {
        $root = Join-Path $TestDrive 'store9'
        $saved = Import-RunFrame (Ref 'tiny' 'baseline.json') | Save-EvalRun $root p -PassThru
        $bytes = [IO.File]::ReadAllBytes($saved.Path)
        Remove-Item -LiteralPath (Join-Path $root 'p/manifest.json')
        { Import-RunFrame (Ref 'tiny' 'candidate.json') -RunId tiny-base | Save-EvalRun $root p -ErrorAction Stop } |
            Should -Throw -ErrorId 'RunAlreadyExists,EvalSig.Commands.SaveEvalRunCommand'
        [IO.File]::ReadAllBytes($saved.Path) | Should -Be $bytes
        (Get-EvalHistory $root p).ContentSha256 | Should -Be $saved.ContentSha256
    }

    It 'refuses a run id ending in a newline (InvalidIdentifier)' {
        $root = Join-Path $TestDrive 'store10'
        { Import-RunFrame (Ref 'tiny' 'baseline.json') -RunId "legit`n" | Save-EvalRun $root p -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidIdentifier,EvalSig.Commands.SaveEvalRunCommand'
        @(Get-ChildItem -LiteralPath $TestDrive -Recurse -Filter '*legit*').Count | Should -Be 0
    }
}
