# Dif in a source checkout: `Import-Module ./Dif.psd1` from the repository root, once bash scripts/setup.sh
# (or ./run.sh) has built the module folder out/module/Dif. This manifest only forwards to that folder's own
# manifest (src/Dif.PowerShell/Dif.psd1, copied by the build), so help, formats and the isolated dependencies
# all load from there. To install the module elsewhere, copy out/module/Dif, not this file.
@{
    RootModule        = 'out/module/Dif/Dif.psd1'
    ModuleVersion     = '0.1.0'
    GUID              = '6f1d3c52-8a0e-4f7b-9d2a-3b5e1c7a9f40'
    Author            = 'Dif developers'
    Description       = 'Deep Image Fingerprint (source checkout): forwards to the built module in out/module/Dif.'
    PowerShellVersion = '7.6'
    CompatiblePSEditions = @('Core')
    FunctionsToExport = @()
    CmdletsToExport   = @(
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
    VariablesToExport = @()
    AliasesToExport   = @()
}
