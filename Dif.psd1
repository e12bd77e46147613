@{
    # Dif: Deep Image Fingerprint for .NET. The binary module (src/Dif.PowerShell) is not built
    # yet; this manifest is the one that will ship with it.
    ModuleVersion        = '0.1.0'
    GUID                 = '6f1d3c52-8a0e-4f7b-9d2a-3b5e1c7a9f40'
    Author               = 'Dif developers'
    CompanyName          = 'Dif'
    Copyright            = '(c) Dif developers. MIT licence.'
    Description          = 'Deep Image Fingerprint: detect images made by a generative model and trace model lineage.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    FunctionsToExport    = @()
    CmdletsToExport      = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('forensics', 'deepfake', 'fingerprint', 'ml.net', 'torchsharp')
            LicenseUri = 'https://opensource.org/licenses/MIT'
        }
    }
}
