#!/usr/bin/env pwsh
# Model lineage and attribution with the Dif PowerShell module: which of these models are related, and
# which of them made each image? Data made from the bundled photos by the project's generators (the
# transposed-conv parent, its child fine-tuned with the decoder frozen, an unrelated twin, a bilinear model).
# Run from the repository after ./run.sh or scripts/setup.sh:   dotnet pwsh examples/lineage.ps1
# About 2 minutes on 2 idle CPU cores at these small defaults (measured: 1 min 46 s, when each fit ran 180 steps; fits now
# run at least 400, the step budget, so expect them to take about twice as long; not re-timed). They show every surface but
# give noisy verdicts; -Crop 256 -Train 64 -Test 64 -Epochs 100 -BatchSize 32 took 20 minutes. The lineage
# study in docs/accuracy.md uses 128 images per class at 256 px (dif lineage).
# On Linux, fits run faster with one malloc arena: GLIBC_TUNABLES=glibc.malloc.arena_max=1 dotnet pwsh ... (docs/performance.md, "PowerShell against the CLI").
param(
    [int] $Crop = 128,
    [int] $Train = 32,
    [int] $Test = 16,
    [int] $Epochs = 60,
    # Small batches give a small training set more optimisation steps per epoch (docs/accuracy.md, "The evaluation harness").
    [int] $BatchSize = 16,
    [string[]] $Models = @('tconv', 'tconv-frozen', 'tconv-twin', 'bilinear'),
    [string] $Work = (Join-Path $PSScriptRoot '../out/lineage-example')
)
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../out/module/Dif')

# 1. Images of every model (real/ and fake/MODEL/ folders, train and test splits).
$data = Join-Path $Work 'data'
$dif = Join-Path $PSScriptRoot '../src/Dif.Cli/bin/Release/net10.0/dif.dll'
dotnet $dif make-dataset --out $data --size $Crop --train $Train --test $Test --conditions png --only ($Models -join ',')
if ($LASTEXITCODE -ne 0) { throw "make-dataset failed" }

# 2. One fingerprint per model, named after it (the lineage cmdlet finds each model's test folder by that name).
$fingerprints = foreach ($model in $Models) {
    New-DifFingerprint -RealPath "$data/png/train/real" -FakePath "$data/png/train/fake/$model" -Name $model `
        -CropSize $Crop -Epochs $Epochs -BatchSize $BatchSize -OutFile (Join-Path $Work "$model.dif.safetensors") -Force
}

# 3. Cross-detection: every fingerprint on every model's test images; a verdict per pair, with its reasoning.
#    The Markdown/JSON/CSV report and the heatmaps go to $Work/report.
Get-DifLineage -Fingerprint $fingerprints -RealPath "$data/png/test/real" -FakeRoot "$data/png/test/fake" `
    -OutDirectory (Join-Path $Work 'report') | Format-Table -Wrap

# 4. Attribution: for each test image of the first two models and some real ones, the most likely source
#    among the library of fingerprints, or none of them.
$images = foreach ($folder in "$data/png/test/fake/$($Models[0])", "$data/png/test/fake/$($Models[1])", "$data/png/test/real") {
    Get-ChildItem $folder -File | Select-Object -First 4
}
$images | Find-DifSource -Library $fingerprints | Format-Table Name, Source, BestCandidate, Probability
