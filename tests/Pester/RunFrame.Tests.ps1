BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:TinyBaseline = Join-Path $ReferenceRoot 'tiny/baseline.json'
    $script:ClusteredBaseline = Join-Path $ReferenceRoot 'binary-clustered/baseline.json'
}

Describe 'Import-RunFrame' {
    It 'reads a reference RunFrame v1 JSON into a typed frame' {
        $f = Import-RunFrame -Path $TinyBaseline
        $f | Should -BeOfType ([EvalSig.Core.RunFrames.RunFrame])
        $f.RunId | Should -Be 'tiny-base'
        $f.ModelId | Should -Be 'model-a'
        $f.TaskId | Should -Be 'ref-task'
        $f.MetricName | Should -Be 'accuracy'
        $f.Count | Should -Be 13
        $f.Epochs | Should -Be @(0, 1)
        $f.ClusterCount | Should -Be 0
    }

    It 'counts clusters' {
        $f = Import-RunFrame $ClusteredBaseline
        $f.ClusterCount | Should -Be 600
        $f.Count | Should -Be 3001
    }

    It 'imports every file matched by a wildcard or piped from Get-ChildItem' {
        Copy-Item $TinyBaseline (Join-Path $TestDrive 'a.json')
        Copy-Item (Join-Path $ReferenceRoot 'tiny/candidate.json') (Join-Path $TestDrive 'b.json')
        @(Import-RunFrame (Join-Path $TestDrive '*.json')).Count | Should -Be 2
        Get-ChildItem (Join-Path $TestDrive '*.json') | Import-RunFrame | ForEach-Object RunId | Sort-Object | Should -Be @('tiny-base', 'tiny-cand')
    }

    It 'treats brackets in -LiteralPath literally' {
        $p = Join-Path $TestDrive 'run[1].json'
        Copy-Item -LiteralPath $TinyBaseline -Destination $p
        (Import-RunFrame -LiteralPath $p).RunId | Should -Be 'tiny-base'
    }

    It 'reports a missing file as RunFrameNotFound' {
        { Import-RunFrame -LiteralPath '/nonexistent/nothing.json' -ErrorAction Stop } |
            Should -Throw -ErrorId 'RunFrameNotFound,EvalSig.Commands.ImportRunFrameCommand'
    }

    It 'reports a wildcard that matches nothing as RunFrameNotFound' {
        { Import-RunFrame (Join-Path $TestDrive 'none-*.json') -ErrorAction Stop } |
            Should -Throw -ErrorId 'RunFrameNotFound,EvalSig.Commands.ImportRunFrameCommand'
    }

    It 'lists every problem of an invalid file and returns nothing' {
        $p = Join-Path $TestDrive 'bad.json'
        Set-Content -LiteralPath $p -Value @'
{"run_id":"r","model_id":"m","task_id":"t","metric_name":"acc","items":[
  {"item_id":"a","score":1.0},
  {"item_id":"b"},
  {"item_id":"c","score":0.5,"epoch":-1},
  {"item_id":"a","score":0.0},
  {"item_id":"d","score":"high"}
]}
'@
        $out = Import-RunFrame $p -ErrorVariable err -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -Be 'RunFrameInvalid,EvalSig.Commands.ImportRunFrameCommand'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $message = $err[0].ToString()
        $message | Should -Match '4 problems'
        $message | Should -Match ([regex]::Escape("item 1, field 'score': required field 'score' is missing"))
        $message | Should -Match ([regex]::Escape("item 2, field 'epoch'"))
        $message | Should -Match ([regex]::Escape("item 3, field 'item_id': duplicate (item_id, epoch) ('a', 0)"))
        $message | Should -Match ([regex]::Escape("item 4, field 'score': score must be a number"))
    }

    It 'reports empty items as RunFrameInvalid' {
        $p = Join-Path $TestDrive 'empty.json'
        Set-Content -LiteralPath $p -Value '{"run_id":"r","model_id":"m","task_id":"t","metric_name":"acc","items":[]}'
        { Import-RunFrame $p -ErrorAction Stop } | Should -Throw -ErrorId 'RunFrameInvalid,EvalSig.Commands.ImportRunFrameCommand'
    }

    It 'reports an unknown format as RunFrameFormatUnknown' {
        $p = Join-Path $TestDrive 'scores.txt'
        Set-Content -LiteralPath $p -Value "item,score`na,1"
        { Import-RunFrame $p -ErrorAction Stop } | Should -Throw -ErrorId 'RunFrameFormatUnknown,EvalSig.Commands.ImportRunFrameCommand'
    }

    It 'maps CSV columns and keeps other columns as metadata' {
        $p = Join-Path $TestDrive 'nightly.csv'
        Set-Content -LiteralPath $p -Value "question,correct,passage_id`nq1,1,p1`nq2,0,p1`nq3,1,p2"
        $f = Import-RunFrame $p -ItemColumn question -ScoreColumn correct -ModelId gpt-x
        $f.RunId | Should -Be 'nightly'
        $f.ModelId | Should -Be 'gpt-x'
        $f.MetricName | Should -Be 'correct'
        $f.Count | Should -Be 3
        @($f.Items)[2].Metadata['passage_id'] | Should -Be 'p2'
    }
}

Describe 'Test-RunFrame' {
    It 'returns every problem with item index and field' {
        $p = Join-Path $TestDrive 'bad.json'
        Set-Content -LiteralPath $p -Value @'
{"run_id":"r","model_id":"m","task_id":"t","metric_name":"acc","items":[
  {"item_id":"a","score":1e999},
  {"score":1.0},
  {"item_id":"c","score":0.5,"epoch":1.5}
]}
'@
        $v = Test-RunFrame $p
        $v.Valid | Should -BeFalse
        $v.ProblemCount | Should -Be 3
        $v.Problems[0].ItemIndex | Should -Be 0
        $v.Problems[0].Field | Should -Be 'score'
        $v.Problems[1].ItemIndex | Should -Be 1
        $v.Problems[1].Field | Should -Be 'item_id'
        $v.Problems[2].ItemIndex | Should -Be 2
        $v.Problems[2].Field | Should -Be 'epoch'
    }

    It 'says a valid file is valid, and -Quiet returns a Boolean' {
        (Test-RunFrame $TinyBaseline).Valid | Should -BeTrue
        Test-RunFrame $TinyBaseline -Quiet | Should -BeTrue
    }

    It 'gives line and byte for malformed JSON' {
        $p = Join-Path $TestDrive 'broken.json'
        [IO.File]::WriteAllText($p, "{`"run_id`":`"r`",`n`"items`":[`n{`"item_id`":`"a`" `"score`":1}`n]}")
        $problem = (Test-RunFrame $p).Problems[0]
        $problem.Line | Should -Be 3
        $problem.BytePosition | Should -Not -BeNullOrEmpty
        $problem.Message | Should -Match 'malformed JSON'
    }
}

Describe 'Export-RunFrame' {
    BeforeAll {
        $script:Source = Join-Path $TestDrive 'source.json'
        Set-Content -LiteralPath $Source -Value @'
{"run_id":"rt","model_id":"m","task_id":"t","metric_name":"acc","config_hash":"abc","items":[
  {"item_id":"a","score":0.1,"cluster_id":"c,1","epoch":0,"metadata":{"note":"quote \" and, comma","n":3,"nested":{"x":[1,2]}}},
  {"item_id":"b","score":0.3333333333333333,"cluster_id":null,"epoch":0,"metadata":{}},
  {"item_id":"b","score":1e-300,"cluster_id":"","epoch":2},
  {"item_id":"line\nbreak","score":-0.0,"cluster_id":"ü","epoch":1},
  {"item_id":"e","score":123456789.98765432,"cluster_id":"c,1"}
]}
'@
    }

    It 'round-trips scores bit for bit, ids, clusters, epochs and metadata through <Extension>' -ForEach @(
        @{ Extension = 'json' }, @{ Extension = 'jsonl' }, @{ Extension = 'csv' }, @{ Extension = 'parquet' }
    ) {
        $target = Join-Path $TestDrive "out.$Extension"
        $a = Import-RunFrame $Source
        $a | Export-RunFrame $target
        $b = Import-RunFrame $target
        $b.RunId | Should -Be $a.RunId
        $b.ConfigHash | Should -Be $a.ConfigHash
        ($b.Scores | ForEach-Object { [BitConverter]::DoubleToInt64Bits($_) }) | Should -Be ($a.Scores | ForEach-Object { [BitConverter]::DoubleToInt64Bits($_) })
        $b.ItemIds | Should -Be $a.ItemIds
        $b.ItemEpochs | Should -Be $a.ItemEpochs
        for ($i = 0; $i -lt $a.Count; $i++) {
            $b.ClusterIds[$i] | Should -Be $a.ClusterIds[$i]
            $b.MetadataJson[$i] | Should -Be $a.MetadataJson[$i]
        }
    }

    It 'fails with FileAlreadyExists under -NoClobber and leaves the file untouched' {
        $target = Join-Path $TestDrive 'exists.json'
        Set-Content -LiteralPath $target -Value 'keep me' -NoNewline
        { Import-RunFrame $TinyBaseline | Export-RunFrame $target -NoClobber -ErrorAction Stop } |
            Should -Throw -ErrorId 'FileAlreadyExists,EvalSig.Commands.ExportRunFrameCommand'
        Get-Content -LiteralPath $target -Raw | Should -Be 'keep me'
    }

    It 'writes nothing with -WhatIf and returns the file with -PassThru' {
        $f = Import-RunFrame $TinyBaseline
        $f | Export-RunFrame (Join-Path $TestDrive 'a.parquet') -WhatIf
        Join-Path $TestDrive 'a.parquet' | Should -Not -Exist
        ($f | Export-RunFrame (Join-Path $TestDrive 'b.parquet') -PassThru).FullName | Should -Be (Join-Path $TestDrive 'b.parquet')
    }

    It 'refuses an unknown extension without -Format' {
        { Import-RunFrame $TinyBaseline | Export-RunFrame (Join-Path $TestDrive 'a.dat') -ErrorAction Stop } |
            Should -Throw -ErrorId 'RunFrameFormatUnknown,EvalSig.Commands.ExportRunFrameCommand'
        Join-Path $TestDrive 'a.dat' | Should -Not -Exist
    }
}

Describe 'Hostile files' {
    # Issue 15: a damaged or oddly encoded file is RunFrameInvalid naming the file, never a raw library exception.
    It 'refuses <Name> with RunFrameInvalid naming the file' -ForEach @(
        @{ Name = 'lying.parquet'; Bytes = [byte[]](@(0x50, 0x41, 0x52, 0x31) + @(0) * 64 + @(0x19, 0xFC, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0, 8, 0, 0, 0, 0x50, 0x41, 0x52, 0x31)) }
        @{ Name = 'wide.csv'; Bytes = [System.Text.Encoding]::Unicode.GetBytes("item_id,score`na,1`nb,0`n") }
        @{ Name = 'cut.eval'; Bytes = [byte[]](0x50, 0x4B, 3, 4, 20, 0, 0, 0, 8, 0) }
    ) {
        $p = Join-Path $TestDrive $Name
        [System.IO.File]::WriteAllBytes($p, $Bytes)
        $out = Import-RunFrame -LiteralPath $p -ErrorVariable err -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -Be 'RunFrameInvalid,EvalSig.Commands.ImportRunFrameCommand'
        $err[0].Exception | Should -BeOfType ([EvalSig.Core.Diagnostics.EvalSigException])
        $err[0].ToString() | Should -Match ([regex]::Escape($p))
        { Invoke-EvalGate -Baseline $TinyBaseline -Candidate $p -ErrorAction Stop } |
            Should -Throw -ErrorId 'RunFrameInvalid,EvalSig.Commands.InvokeEvalGateCommand'
    }

    It 'reads a UTF-16 CSV that starts with a byte order mark like its UTF-8 twin' {
        $text = "item_id,score`nq000000,1`nq000001,0`n"
        $u8 = Join-Path $TestDrive 'u8.csv'
        $u16 = Join-Path $TestDrive 'u16.csv'
        [System.IO.File]::WriteAllText($u8, $text, [System.Text.UTF8Encoding]::new($false))
        [System.IO.File]::WriteAllText($u16, $text, [System.Text.Encoding]::Unicode)
        (Import-RunFrame $u16).ItemIds | Should -Be (Import-RunFrame $u8).ItemIds
    }
}
