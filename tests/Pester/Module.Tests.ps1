BeforeDiscovery {
    # -ForEach below enumerates the module's cmdlets while Pester discovers tests.
    . (Join-Path $PSScriptRoot 'Common.ps1')
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
}

Describe 'EvalSig module' {
    It 'passes Test-ModuleManifest on the built folder' {
        $m = Test-ModuleManifest -Path $ModuleManifest
        $m.Name | Should -Be 'EvalSig'
        $m.PowerShellVersion | Should -Be ([version]'7.4')
        $m.CompatiblePSEditions | Should -Contain 'Core'
    }

    It 'exports exactly the cmdlets the manifest lists' {
        $exported = (Test-ModuleManifest -Path $ModuleManifest).ExportedCmdlets.Keys | Sort-Object
        $loaded = Get-Command -Module EvalSig | ForEach-Object Name | Sort-Object
        $loaded | Should -Be $exported
    }

    It '<Name> has [OutputType] and help with a synopsis and an example' -ForEach @(
        Get-Command -Module EvalSig | ForEach-Object { @{ Name = $_.Name } }
    ) {
        (Get-Command $Name).OutputType | Should -Not -BeNullOrEmpty
        $help = Get-Help $Name -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -BeLike "$Name*"
        @($help.examples.example).Count | Should -BeGreaterOrEqual 1
    }

    It 'shows the markdown examples in Get-Help -Examples' {
        $code = @((Get-Help Import-RunFrame -Examples).examples.example.code)
        $code.Count | Should -BeGreaterThan 1
        $code | Where-Object { $_ -match [regex]::Escape('Import-RunFrame ./runs/baseline.json') } | Should -Not -BeNullOrEmpty
    }

    It 'ships native SQLite for five platforms and no copy of PowerShell' {
        $native = Join-Path $ModuleDirectory 'Dependencies/runtimes'
        Join-Path $native 'linux-x64/native/libe_sqlite3.so' | Should -Exist
        Join-Path $native 'linux-arm64/native/libe_sqlite3.so' | Should -Exist
        Join-Path $native 'win-x64/native/e_sqlite3.dll' | Should -Exist
        Join-Path $native 'osx-x64/native/libe_sqlite3.dylib' | Should -Exist
        Join-Path $native 'osx-arm64/native/libe_sqlite3.dylib' | Should -Exist
        Join-Path $ModuleDirectory 'en-US/about_EvalSig.help.txt' | Should -Exist
        Join-Path $ModuleDirectory 'Dependencies/System.Management.Automation.dll' | Should -Not -Exist
    }

    It 'loads its own types in the default load context and third-party libraries in its own' {
        $frame = Import-RunFrame (Join-Path $ReferenceRoot 'tiny/baseline.json')
        $frame | Export-RunFrame (Join-Path $TestDrive 'alc.parquet')
        [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($frame.GetType().Assembly).Name | Should -Be 'Default'
        $contexts = @{}
        [System.AppDomain]::CurrentDomain.GetAssemblies() | ForEach-Object { $contexts[$_.GetName().Name] = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($_).Name }
        $contexts['EvalSig.Core'] | Should -Be 'Default'
        $contexts['EvalSig.PowerShell'] | Should -Be 'Default'
        $contexts['EvalSig.Bridge'] | Should -Be 'EvalSig'
        $contexts['Parquet'] | Should -Be 'EvalSig'
    }

    It 'imports, gates, reads YAML, writes Parquet and queries its SQLite index after other versions of its dependencies were loaded' {
        $out = & $Pwsh -NoProfile -NonInteractive -File (Join-Path $PSScriptRoot 'Scenarios/DependencyIsolation.ps1') `
            -NuGetPackages $NuGetPackages -Manifest $ModuleManifest -ReferenceDirectory $ReferenceRoot -Work $TestDrive 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n")
        $r = ConvertFrom-KeyValueLines $out
        $r.otherMathNet | Should -Be '4.15.0.0'
        $r.otherSqliteAssembly | Should -Be '8.0.30.0'
        $r.otherSqliteVersion | Should -Match '^3\.'
        $r.gateIsTyped | Should -Be 'True'
        $r.gateVerdict | Should -BeIn 'ALLOW', 'REJECT', 'INCONCLUSIVE'
        $r.parquetCount | Should -Be '13'
        $r.indexedQuery | Should -Be '1'
        $r.chainValid | Should -Be 'True'
        $r.otherYamlDotNet | Should -Be '11.0.0.0'
        $r.otherYamlValue | Should -Be '42'
        $r.yamlRelease | Should -Be 'tiny'
        $r.otherBouncyCastle | Should -Be '2.4.0'
        $r.otherSha256Size | Should -Be '32'
        $r.signedHeadValid | Should -Be 'True'
        $r.otherAwsCore | Should -Be '3.3.0.0' # the assembly version of every AWSSDK.Core 3.x package (3.7.402 here)
        $r.otherAwsRegion | Should -Be 'us-east-1'
        $r.azureStatus | Should -Be 'degraded'
        $r.s3Status | Should -Be 'degraded'
        # name@version:context for every copy loaded: both versions side by side, each in its context.
        $contexts = $r.contexts -split ','
        foreach ($expected in @(
                '^EvalSig\.Core@[^:]+:Default$', '^EvalSig\.PowerShell@[^:]+:Default$', '^EvalSig\.Bridge@[^:]+:EvalSig$',
                '^MathNet\.Numerics@4\.15\.0\.0:Default$', '^MathNet\.Numerics@5\.[^:]+:EvalSig$',
                '^Microsoft\.Data\.Sqlite@8\.0\.30\.0:Default$', '^Microsoft\.Data\.Sqlite@9\.[^:]+:EvalSig$',
                '^Parquet@[^:]+:Default$', '^Parquet@[^:]+:EvalSig$',
                '^YamlDotNet@11\.[^:]+:Default$', '^YamlDotNet@16\.[^:]+:EvalSig$',
                '^BouncyCastle\.Cryptography@[^:]+:Default$', '^BouncyCastle\.Cryptography@[^:]+:EvalSig$',
                '^EvalSig\.Bridge\.Cloud@[^:]+:EvalSig$', '^AWSSDK\.Core@3\.[^:]+:Default$', '^AWSSDK\.Core@4\.[^:]+:EvalSig$', '^Azure\.Storage\.Blobs@[^:]+:EvalSig$')) {
            @($contexts -match $expected).Count | Should -Be 1 -Because "one assembly should match $expected in $($r.contexts)"
        }
    }

    It 'imports by name from a PSModulePath entry' {
        $root = Join-Path $TestDrive 'modules'
        $target = Join-Path $root "EvalSig/$(Split-Path $ModuleDirectory -Leaf)"
        New-Item -ItemType Directory -Path $target -Force | Out-Null
        Copy-Item -Path (Join-Path $ModuleDirectory '*') -Destination $target -Recurse
        $base = & $Pwsh -NoProfile -NonInteractive -Command "`$env:PSModulePath = '$root' + [IO.Path]::PathSeparator + `$env:PSModulePath; Import-Module EvalSig -ErrorAction Stop; (Get-Module EvalSig).ModuleBase"
        $LASTEXITCODE | Should -Be 0
        $base | Should -Be (Resolve-Path $target).Path
    }

    It 'every .ps1/.psm1/.psd1 in the repository parses' {
        $files = Get-ChildItem -LiteralPath $RepoRoot -Recurse -File -Include *.ps1, *.psm1, *.psd1 |
            Where-Object { $_.FullName -notmatch '[\\/](out|bin|obj)[\\/]' }
        $files | Should -Not -BeNullOrEmpty
        foreach ($f in $files) {
            $errors = $null
            [System.Management.Automation.Language.Parser]::ParseFile($f.FullName, [ref]$null, [ref]$errors) | Out-Null
            $errors | Should -BeNullOrEmpty -Because $f.FullName
        }
    }
}
