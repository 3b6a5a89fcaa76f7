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
        (Get-Help Import-RunFrame -Examples).examples.example.code | Should -Match ([regex]::Escape('Import-RunFrame ./runs/baseline.json'))
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

    It 'loads Core and its dependencies in its own load context' {
        $frame = Import-RunFrame (Join-Path $ReferenceRoot 'tiny/baseline.json')
        [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($frame.GetType().Assembly).Name | Should -Be 'EvalSig'
    }

    It 'imports by name from a PSModulePath entry' {
        $root = Join-Path $TestDrive 'modules'
        $target = Join-Path $root "EvalSig/$(Split-Path $ModuleDirectory -Leaf)"
        New-Item -ItemType Directory -Path $target -Force | Out-Null
        Copy-Item -Path (Join-Path $ModuleDirectory '*') -Destination $target -Recurse
        $base = pwsh -NoProfile -NonInteractive -Command "`$env:PSModulePath = '$root' + [IO.Path]::PathSeparator + `$env:PSModulePath; Import-Module EvalSig -ErrorAction Stop; (Get-Module EvalSig).ModuleBase"
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
