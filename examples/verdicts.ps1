#!/usr/bin/env pwsh
# From nothing to a verdict table with the Dif PowerShell module, on data made from the bundled photos.
# Run from the repository after ./run.sh or scripts/setup.sh:   dotnet pwsh examples/verdicts.ps1
# About 5 minutes on 2 CPU cores at the default sizes (measured: 5 min 28 s, when this fit ran 300 steps; it now runs at
# least 400, the step budget, so expect the fit to take a third longer; not re-timed). -Crop 128 -Train 24 is quicker.
# On Linux, fits run faster with one malloc arena: GLIBC_TUNABLES=glibc.malloc.arena_max=1 dotnet pwsh ... (docs/performance.md, "PowerShell against the CLI").
param(
    [int] $Crop = 256,
    [int] $Train = 32,
    [int] $Test = 16,
    [int] $Epochs = 100,
    # Small batches give a small training set more optimisation steps per epoch (docs/accuracy.md, "The evaluation harness").
    [int] $BatchSize = 16,
    [string] $Work = (Join-Path $PSScriptRoot '../out/verdicts')
)
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../out/module/Dif')

# 1. Evaluation images: real crops of the bundled photos, and images re-synthesised by the project's
#    transposed-convolution generator (real/ and fake/tconv/ folders, PNG for both classes).
$data = Join-Path $Work 'data'
$dif = Join-Path $PSScriptRoot '../src/Dif.Cli/bin/Release/net10.0/dif.dll'
dotnet $dif make-dataset --out $data --size $Crop --train $Train --test $Test --conditions png --only tconv
if ($LASTEXITCODE -ne 0) { throw "make-dataset failed" }

# 2. Fit the generator's fingerprint (progress bar per epoch; Ctrl+C then -Resume continues).
$fingerprint = New-DifFingerprint -RealPath "$data/png/train/real" -FakePath "$data/png/train/fake/tconv" `
    -CropSize $Crop -Epochs $Epochs -BatchSize $BatchSize -OutFile (Join-Path $Work 'tconv.dif.safetensors') -Force
$fingerprint | Format-List Name, CropSize, RealCentre, FakeCentre, CalibrationSource, Path

# 3. Verdicts on held-out images the fingerprint has not seen.
$verdicts = Get-ChildItem "$data/png/test/real", "$data/png/test/fake/tconv" -File |
    Test-DifImage -Fingerprint $fingerprint
$verdicts | Format-Table

# 4. How good is it on the held-out images? And the pictures of the fingerprint and its spectrum.
Measure-DifDetector -Fingerprint $fingerprint -RealPath "$data/png/test/real" -FakePath "$data/png/test/fake/tconv" | Format-Table
$fingerprint | Export-DifFingerprintImage -OutDirectory $Work -Force | ForEach-Object { "Wrote $($_.FullName)" }
