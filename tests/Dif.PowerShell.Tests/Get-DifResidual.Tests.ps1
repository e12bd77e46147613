# Get-DifResidual: inputs, outputs, errors, writes, cancellation.
param([string] $ModulePath)

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-DifUnderTest $ModulePath
    $Crop = 32   # small crops keep the specs fast

    # A batch folder: two photos, a corrupt file between them (in name order), and a file whose name has wildcard characters.
    $batch = Join-Path $TestDrive 'batch'
    $null = New-Item -ItemType Directory $batch
    Copy-Item (Join-Path $Photos 'chelsea.png') (Join-Path $batch 'a-chelsea.png')
    [IO.File]::WriteAllBytes((Join-Path $batch 'b-corrupt.png'), [byte[]](137, 80, 78, 71, 13, 10, 26, 10) + [byte[]](1..200))
    Copy-Item (Join-Path $Photos 'rocket.jpg') (Join-Path $batch 'c-rocket.jpg')
    $literal = Join-Path $TestDrive 'literal'
    $null = New-Item -ItemType Directory $literal
    Copy-Item (Join-Path $Photos 'grass.png') -Destination (Join-Path $literal 'a[1].png')
    Copy-Item (Join-Path $Photos 'chelsea.png') -Destination (Join-Path $literal 'a1.png')
}

Describe 'Get-DifResidual inputs' {
    It 'binds Get-ChildItem output by property name (PSPath) and emits one object per image' {
        $r = Get-ChildItem (Join-Path $Photos '*.png') -File | Get-DifResidual -CropSize $Crop
        $r.Count | Should -Be 2
        $r[0] | Should -BeOfType Dif.PowerShell.DifResidual
        $r.Name | Should -Be @('chelsea.png', 'grass.png')
        $r[0].Path | Should -Be (Join-Path $Photos 'chelsea.png')
        $r[0].Width | Should -Be 451
        $r[0].Height | Should -Be 300
        $r[0].CropSize | Should -Be $Crop
        $r[0].Residual.Length | Should -Be (3 * $Crop * $Crop)
        $r[0].Residual.GetType() | Should -Be ([float[]])
        $r[0].Rms | Should -BeGreaterThan 0
        $r[0].DenoiserIdentity | Should -Match '^[0-9a-f]{64}$'
        $r[0].OutFile | Should -BeNullOrEmpty
    }

    It 'gives the same residual whichever way the image arrives' {
        $file = Join-Path $Photos 'chelsea.png'
        $a = Get-DifResidual -Path $file -CropSize $Crop
        $b = $file | Get-DifResidual -CropSize $Crop
        $c = Get-Item $file | Get-DifResidual -CropSize $Crop
        $b.Residual | Should -Be $a.Residual
        $c.Residual | Should -Be $a.Residual
    }

    It 'expands wildcards in -Path' {
        $r = Get-DifResidual -Path (Join-Path $Photos '*.jpg') -CropSize $Crop
        $r.Name | Should -Be @('hubble_deep_field.jpg', 'retina.jpg', 'rocket.jpg')
    }

    It 'reads a folder given as a path' {
        (Get-DifResidual -Path $Photos -CropSize $Crop).Count | Should -Be 5
    }

    It 'takes -LiteralPath as written, where -Path reads [1] as a wildcard' {
        $viaLiteral = Get-DifResidual -LiteralPath (Join-Path $literal 'a[1].png') -CropSize $Crop
        $viaLiteral.Name | Should -Be 'a[1].png'
        $viaWildcard = Get-DifResidual -Path (Join-Path $literal 'a[1].png') -CropSize $Crop
        $viaWildcard.Name | Should -Be 'a1.png'
        (Get-ChildItem -LiteralPath $literal | Where-Object Name -eq 'a[1].png' | Get-DifResidual -CropSize $Crop).Name | Should -Be 'a[1].png'
        # A FileInfo made by .NET has no PSPath; it binds through FullName, still literally.
        ([IO.DirectoryInfo]::new($literal).GetFiles() | Where-Object Name -eq 'a[1].png' | Get-DifResidual -CropSize $Crop).Name | Should -Be 'a[1].png'
    }

    It 'reports a path that names nothing as DifPathNotFound and goes on' {
        $missing = Join-Path $TestDrive 'nope.png'
        $r = Get-DifResidual -LiteralPath $missing, (Join-Path $Photos 'grass.png') -CropSize $Crop -ErrorVariable errs -ErrorAction SilentlyContinue
        $r.Name | Should -Be 'grass.png'
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'DifPathNotFound,*'
        $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'refuses paths outside the file system' {
        $null = Get-DifResidual -Path 'variable:PWD' -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'DifPathNotFileSystem,*'
    }

    It 'validates -CropSize and -Device before doing any work' {
        { Get-DifResidual -Path $Photos -CropSize 100 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,Dif.PowerShell.Commands.GetDifResidualCommand'
        { Get-DifResidual -Path $Photos -Device gpu } | Should -Throw -ErrorId 'ParameterArgumentValidationError,Dif.PowerShell.Commands.GetDifResidualCommand'
    }

    It 'fails clearly when CUDA is asked for and absent' -Skip:([bool](Get-Command nvidia-smi -ErrorAction Ignore)) {
        { Get-DifResidual -Path $Photos -Device cuda } | Should -Throw -ErrorId 'DifDeviceUnavailable,Dif.PowerShell.Commands.GetDifResidualCommand'
    }

    It 'refuses a damaged denoiser file with a terminating DifDenoiserUnreadable error naming it' {
        $bad = Join-Path $TestDrive 'bad.safetensors'
        Set-Content -LiteralPath $bad -Value 'not a model'
        $err = { Get-DifResidual -Path $Photos -Denoiser $bad } | Should -Throw -ErrorId 'DifDenoiserUnreadable,Dif.PowerShell.Commands.GetDifResidualCommand' -PassThru
        $err.TargetObject | Should -Be $bad
        $err.Exception.Message | Should -BeLike "$bad*"
    }
}

Describe 'Get-DifResidual errors in a batch' {
    It 'writes a non-terminating DifImageUnreadable error for a corrupt file mid-batch and goes on' {
        $r = Get-ChildItem $batch -File | Get-DifResidual -CropSize $Crop -ErrorVariable errs -ErrorAction SilentlyContinue
        $r.Name | Should -Be @('a-chelsea.png', 'c-rocket.jpg')
        $errs.Count | Should -Be 1
        $e = $errs[0]
        $e | Should -BeOfType System.Management.Automation.ErrorRecord
        $e.FullyQualifiedErrorId | Should -Be 'DifImageUnreadable,Dif.PowerShell.Commands.GetDifResidualCommand'
        $e.CategoryInfo.Category | Should -Be 'InvalidData'
        $e.TargetObject | Should -Be (Join-Path $batch 'b-corrupt.png')
        $e.Exception.Message | Should -BeLike "$(Join-Path $batch 'b-corrupt.png')*"
    }

    It 'stops at the corrupt file under -ErrorAction Stop' {
        { Get-ChildItem $batch -File | Get-DifResidual -CropSize $Crop -ErrorAction Stop } |
            Should -Throw -ErrorId 'DifImageUnreadable,Dif.PowerShell.Commands.GetDifResidualCommand'
    }

    It 'refuses an image smaller than the crop, naming its size' {
        $null = Get-DifResidual -LiteralPath (Join-Path $Photos 'chelsea.png') -CropSize 320 -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'DifImageUnreadable,*'
        $errs[0].Exception.Message | Should -BeLike '*451×300*'
    }
}

Describe 'Get-DifResidual writes' {
    It 'writes NAME.residual.png pictures of the crop size into -OutDirectory, creating it' {
        $out = Join-Path $TestDrive 'out-dir/nested'
        $r = Get-ChildItem $batch -File | Get-DifResidual -CropSize $Crop -OutDirectory $out -ErrorAction SilentlyContinue
        $r.OutFile | Should -Be @((Join-Path $out 'a-chelsea.residual.png'), (Join-Path $out 'c-rocket.residual.png'))
        @(Get-ChildItem $out -Force).Name | Should -Be @('a-chelsea.residual.png', 'c-rocket.residual.png')
        foreach ($file in $r.OutFile) {
            $size = Get-PngSize $file
            $size.Width | Should -Be $Crop
            $size.Height | Should -Be $Crop
        }
    }

    It 'writes one picture with -OutFile' {
        $target = Join-Path $TestDrive 'one.png'
        $r = Get-DifResidual -LiteralPath (Join-Path $Photos 'grass.png') -CropSize $Crop -OutFile $target
        $r.OutFile | Should -Be $target
        (Get-PngSize $target).Width | Should -Be $Crop
    }

    It 'refuses -OutFile for more than one image' {
        { Get-DifResidual -Path $Photos -CropSize $Crop -OutFile (Join-Path $TestDrive 'many.png') } |
            Should -Throw -ErrorId 'DifOutFileNeedsOneImage,Dif.PowerShell.Commands.GetDifResidualCommand'
    }

    It 'writes nothing under -WhatIf, still emitting the residuals' {
        $out = Join-Path $TestDrive 'whatif'
        $r = Get-DifResidual -Path (Join-Path $Photos '*.png') -CropSize $Crop -OutDirectory $out -WhatIf
        $r.Count | Should -Be 2
        foreach ($one in $r) { $one.OutFile | Should -BeNullOrEmpty }
        $out | Should -Not -Exist
        $one = Join-Path $TestDrive 'whatif.png'
        $null = Get-DifResidual -LiteralPath (Join-Path $Photos 'grass.png') -CropSize $Crop -OutFile $one -WhatIf
        $one | Should -Not -Exist
    }

    It 'keeps an existing picture unless -Force is given' {
        $out = Join-Path $TestDrive 'existing'
        $null = New-Item -ItemType Directory $out
        $target = Join-Path $out 'grass.residual.png'
        Set-Content -LiteralPath $target -Value 'keep me'
        $null = Get-DifResidual -LiteralPath (Join-Path $Photos 'grass.png') -CropSize $Crop -OutDirectory $out -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'DifOutputExists,*'
        $errs[0].TargetObject | Should -Be $target
        Get-Content -LiteralPath $target | Should -Be 'keep me'
        $r = Get-DifResidual -LiteralPath (Join-Path $Photos 'grass.png') -CropSize $Crop -OutDirectory $out -Force
        $r.OutFile | Should -Be $target
        (Get-PngSize $target).Width | Should -Be $Crop
    }

    It 'does not let two images of one call write the same picture' {
        $out = Join-Path $TestDrive 'collide'
        $twin = Join-Path $TestDrive 'twin'
        $null = New-Item -ItemType Directory $twin
        Copy-Item (Join-Path $Photos 'grass.png') (Join-Path $twin 'chelsea.jpg')
        $r = Get-DifResidual -LiteralPath (Join-Path $Photos 'chelsea.png'), (Join-Path $twin 'chelsea.jpg') -CropSize $Crop -OutDirectory $out -ErrorVariable errs -ErrorAction SilentlyContinue
        $r.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'DifOutputCollision,*'
    }

    It 'tells what it does under -Verbose' {
        $verbose = Get-DifResidual -LiteralPath (Join-Path $Photos 'grass.png') -CropSize $Crop -OutDirectory (Join-Path $TestDrive 'verbose') -Verbose 4>&1 |
            Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message
        ($verbose -join "`n") | Should -BeLike '*Denoiser: the bundled default*'
        ($verbose -join "`n") | Should -BeLike '*grass.png: reading and cropping to 32×32.*'
        ($verbose -join "`n") | Should -BeLike '*residual picture written to*grass.residual.png*'
    }
}

Describe 'Get-DifResidual and Ctrl+C' {
    It 'stops promptly when the pipeline is stopped and leaves no half-written file' {
        $count = 40
        $many = Join-Path $TestDrive 'many'
        $null = New-Item -ItemType Directory $many
        foreach ($i in 1..$count) { Copy-Item (Join-Path $Photos 'grass.png') (Join-Path $many ('g{0:D2}.png' -f $i)) }
        $out = Join-Path $TestDrive 'stopped'
        $ps = [powershell]::Create()
        $null = $ps.AddScript("Import-Module '$((Get-Module Dif).ModuleBase)'; Get-DifResidual -Path '$many' -CropSize 128 -OutDirectory '$out'")
        $sinceStart = [Diagnostics.Stopwatch]::StartNew()
        $handle = $ps.BeginInvoke()
        while (-not (Test-Path (Join-Path $out 'g01.residual.png')) -and $sinceStart.Elapsed.TotalSeconds -lt 60) { Start-Sleep -Milliseconds 20 }
        $firstImage = $sinceStart.Elapsed.TotalSeconds   # import + one image: an upper bound on one image's time
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $ps.Stop()   # what Ctrl+C does to a pipeline
        $clock.Stop()
        $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        # At most the image under way finishes (a busy machine makes one image slow, hence the relative bound).
        $clock.Elapsed.TotalSeconds | Should -BeLessThan ([Math]::Max(3, 2 * $firstImage))
        $written = @(Get-ChildItem $out -Force)
        $written.Count | Should -BeLessThan $count
        Start-Sleep -Milliseconds 500
        @(Get-ChildItem $out -Force).Count | Should -Be $written.Count -Because 'nothing runs on after the stop'
        foreach ($file in $written) {
            $file.Name | Should -BeLike '*.residual.png' -Because 'no temporary file may be left behind'
            (Get-PngSize $file.FullName).Width | Should -Be 128
        }
        $ps.Dispose()
    }
}
