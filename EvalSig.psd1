@{
    RootModule           = 'EvalSig.PowerShell.dll'
    # Loaded first: routes EvalSig.Core and its dependencies into the module's own load context.
    NestedModules        = @('EvalSig.Loader.dll')
    ModuleVersion        = '0.1.0'
    CompatiblePSEditions = @('Core')
    GUID                 = '6f0c5a3e-2d7b-4b8e-9a51-3c8e2f7d41a9'
    Author               = 'EvalSig contributors'
    CompanyName          = 'EvalSig'
    Copyright            = '(c) 2026 EvalSig contributors. MIT License.'
    Description          = 'Release gates for LLM evaluations with honest statistics (paired, clustered, exact and resampling tests) and a tamper-evident audit trail.'
    PowerShellVersion    = '7.4'
    FormatsToProcess     = @('EvalSig.Format.ps1xml')
    CmdletsToExport      = @(
        'Import-RunFrame'
        'Export-RunFrame'
        'Test-RunFrame'
        'Invoke-EvalGate'
        'Compare-EvalRun'
        'Measure-EvalPower'
        'Export-EvalReport'
        'Add-AuditRecord'
        'Get-AuditRecord'
        'Test-AuditChain'
        'Get-AuditProof'
        'Export-AuditCheckpoint'
        'Export-AuditLog'
        'New-AuditSignature'
        'Get-AuditStatus'
        'Repair-AuditLedger'
        'Update-AuditLedger'
        'New-AuditKey'
        'Register-AuditSchema'
        'Get-AuditSchema'
        'Save-EvalRun'
        'Get-EvalHistory'
        'Import-EvalRun'
        'Get-TrustScorecard'
        'New-Article30Record'
        'New-AuditEnvelope'
        'Test-AuditEnvelope'
        'Watch-EvalGate'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('evaluation', 'llm', 'statistics', 'release-gate', 'audit', 'compliance', 'lm-evaluation-harness', 'inspect-ai', 'helm', 'sequential-testing', 'transparency-log', 'merkle-tree', 'PSEdition_Core', 'Linux', 'Windows', 'MacOS')
            ProjectUri   = 'https://github.com/evalsig/evalsig'
            LicenseUri   = 'https://github.com/evalsig/evalsig/blob/main/LICENSE'
            ReleaseNotes = 'See https://github.com/evalsig/evalsig/blob/main/CHANGELOG.md'
        }
    }
}
