@{
    # Dif: Deep Image Fingerprint for .NET. The build (scripts/setup.sh, or dotnet build Dif.sln)
    # lays this manifest out with the module in out/module/Dif/; see src/Dif.PowerShell/README.md.
    RootModule           = 'Dif.PowerShell.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '6f1d3c52-8a0e-4f7b-9d2a-3b5e1c7a9f40'
    Author               = 'Dif developers'
    CompanyName          = 'Dif'
    Copyright            = '(c) Dif developers. MIT licence.'
    Description          = 'Deep Image Fingerprint: detect images made by a generative model and trace model lineage.'
    # Dif.MLNet targets .NET 10, which PowerShell 7.6 runs on.
    PowerShellVersion    = '7.6'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('Dif.format.ps1xml')
    FunctionsToExport    = @()
    CmdletsToExport      = @(
        'Get-DifResidual'
        'New-DifFingerprint'
        'Test-DifImage'
        'Measure-DifDetector'
        'Export-DifFingerprintImage'
        'New-DifDenoiser'
        'Get-DifLineage'
        'Find-DifSource'
        'Import-DifCheckpoint'
    )
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('forensics', 'deepfake', 'fingerprint', 'ml.net', 'torchsharp')
            LicenseUri = 'https://opensource.org/licenses/MIT'
        }
    }
}
