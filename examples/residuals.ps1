#!/usr/bin/env pwsh
# DnCNN residuals of the bundled photos with the Dif PowerShell module.
# Run from the repository after ./run.sh or scripts/setup.sh:   dotnet pwsh examples/residuals.ps1
param(
    [string] $Photos = (Join-Path $PSScriptRoot '../data/photos/evaluation'),
    [string] $OutDirectory = (Join-Path $PSScriptRoot '../out/demo/ps-residuals')
)
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../out/module/Dif')

# Every file of the folder; a file that is not a usable image is reported and skipped.
$residuals = Get-ChildItem $Photos -File |
    Get-DifResidual -CropSize 256 -OutDirectory $OutDirectory -Force -ErrorAction Continue

$residuals | Sort-Object Rms -Descending | Format-Table
"Residual pictures are in $((Resolve-Path $OutDirectory).Path)."
