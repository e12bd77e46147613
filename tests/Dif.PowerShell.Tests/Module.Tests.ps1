# The module folder the build lays out: import, exports, dependency isolation, relocation.
param([string] $ModulePath)

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    if (-not $ModulePath) { $ModulePath = Join-Path $RepoRoot 'out/module/Dif' }
    $ModulePath = (Resolve-Path -LiteralPath $ModulePath).Path
    Import-DifUnderTest $ModulePath
    $module = Get-Module Dif
    $assembly = (Get-Command Get-DifResidual).ImplementingType.Assembly
}

Describe 'The built module folder' {
    It 'imports from the module folder, binary module and manifest together' {
        $module.ModuleBase | Should -Be $ModulePath
        $module.ModuleType | Should -Be 'Binary'
        $assembly.Location | Should -Be (Join-Path $ModulePath 'Dif.PowerShell.dll')
        Join-Path $ModulePath 'Dif.PowerShell.dll-Help.xml' | Should -Exist
        Join-Path $ModulePath 'Dif.format.ps1xml' | Should -Exist
    }

    It 'ships the project manifest unchanged' {
        (Get-FileHash (Join-Path $ModulePath 'Dif.psd1')).Hash | Should -Be (Get-FileHash (Join-Path $RepoRoot 'src/Dif.PowerShell/Dif.psd1')).Hash
    }

    It 'exports exactly the cmdlets its assembly defines' {
        $defined = $assembly.GetExportedTypes() |
            Where-Object { -not $_.IsAbstract -and $_.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false) } |
            ForEach-Object { $a = $_.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0]; "$($a.VerbName)-$($a.NounName)" }
        @($module.ExportedCmdlets.Keys | Sort-Object) | Should -Be @($defined | Sort-Object)
        foreach ($name in $module.ExportedCmdlets.Keys) { (Get-Verb ($name -split '-')[0]) | Should -Not -BeNullOrEmpty -Because "$name uses an approved verb" }
    }

    It 'declares an output type for every cmdlet' {
        foreach ($command in Get-Command -Module Dif) { $command.OutputType | Should -Not -BeNullOrEmpty -Because $command.Name }
    }
}

Describe 'The repository-root manifest' {
    It 'imports exactly as the README says, from the repository root in a fresh pwsh' {
        # The README's line, verbatim, in a process of its own (this one already holds the module).
        $readme = Get-Content -LiteralPath (Join-Path $RepoRoot 'README.md') -Raw
        $readme | Should -Match '(?m)^Import-Module \./Dif\.psd1$'
        $script = 'Import-Module ./Dif.psd1; $m = Get-Module Dif; "{0}|{1}|{2}" -f $m.ModuleBase, (@($m.ExportedCmdlets.Keys | Sort-Object) -join ","), (Get-Help Test-DifImage).Synopsis'
        Push-Location $RepoRoot
        try { $child = Invoke-ChildPwsh $script }
        finally { Pop-Location }
        $child.ExitCode | Should -Be 0 -Because ($child.Output -join "`n")
        $base, $cmdlets, $synopsis = ($child.Output | Select-Object -Last 1) -split '\|'
        $base | Should -Be (Join-Path $RepoRoot 'out/module/Dif')
        $cmdlets | Should -Be (@($module.ExportedCmdlets.Keys | Sort-Object) -join ',')
        $synopsis | Should -Not -BeNullOrEmpty
    }

    It 'lists the same cmdlets as the module manifest' {
        $root = Import-PowerShellDataFile -LiteralPath (Join-Path $RepoRoot 'Dif.psd1')
        $inner = Import-PowerShellDataFile -LiteralPath (Join-Path $RepoRoot 'src/Dif.PowerShell/Dif.psd1')
        @($root.CmdletsToExport | Sort-Object) | Should -Be @($inner.CmdletsToExport | Sort-Object)
        $root.ModuleVersion | Should -Be $inner.ModuleVersion
        $root.GUID | Should -Be $inner.GUID
    }
}

Describe 'Dependency isolation' {
    BeforeAll {
        # Load Dif.MLNet (and TorchSharp) by doing some work.
        $null = Get-DifResidual -LiteralPath (Join-Path $Photos 'chelsea.png') -CropSize 16
    }

    It 'loads Dif.MLNet and its dependencies into their own load context, from Dependencies/' {
        $alc = [System.Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -eq 'Dif.PowerShell.Dependencies'
        $alc | Should -Not -BeNullOrEmpty
        $names = $alc.Assemblies | ForEach-Object { $_.GetName().Name }
        $names | Should -Contain 'Dif.MLNet'
        $names | Should -Contain 'TorchSharp'
        foreach ($a in $alc.Assemblies) { $a.Location | Should -BeLike (Join-Path $ModulePath 'Dependencies' '*') }
    }

    It 'leaves PowerShell''s default load context without Dif''s dependencies' {
        $default = [System.Runtime.Loader.AssemblyLoadContext]::Default.Assemblies | ForEach-Object { $_.GetName().Name }
        $default | Should -Contain 'Dif.PowerShell'
        $default | Should -Not -Contain 'Dif.MLNet'
        $default | Should -Not -Contain 'TorchSharp'
    }

    It 'has the cmdlet assembly reference no third-party assembly but Dif.MLNet (the one bridged into the load context)' {
        # Anything else would be resolved by PowerShell's own context, defeating the isolation (README.md, "Adding a cmdlet").
        $others = $assembly.GetReferencedAssemblies().Name |
            Where-Object { $_ -notmatch '^(System(\..+)?|netstandard|Microsoft\.PowerShell\..+|Dif\.MLNet)$' }
        $others | Should -BeNullOrEmpty
    }

    It 'loads libtorch from the module folder' -Skip:(-not $IsLinux) {
        $maps = Get-Content /proc/self/maps | Where-Object { $_ -match 'libtorch_cpu' } | Select-Object -First 1
        $maps | Should -BeLike "*$(Join-Path $ModulePath 'Dependencies/runtimes')*"
    }
}

Describe 'A module folder installed elsewhere' {
    It 'imports and runs from a copy in another folder (natives resolve from the copy)' {
        $copy = Join-Path $TestDrive 'modules/Dif'
        Copy-FolderLinked $ModulePath $copy
        $image = Join-Path $Photos 'chelsea.png'
        $command = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$copy'
`$r = Get-DifResidual -LiteralPath '$image' -CropSize 32
'module=' + (Get-Module Dif).ModuleBase
'length=' + `$r.Residual.Length
if (`$IsLinux) { 'torch=' + ((Get-Content /proc/self/maps | Where-Object { `$_ -match 'libtorch_cpu' } | Select-Object -First 1) -replace '^.* (/.*)$', '`$1') }
"@
        $child = Invoke-ChildPwsh $command
        $child.ExitCode | Should -Be 0 -Because ($child.Output -join "`n")
        $child.Output | Should -Contain "module=$copy"
        $child.Output | Should -Contain 'length=3072'
        if ($IsLinux) { ($child.Output | Where-Object { $_ -like 'torch=*' }) | Should -BeLike "torch=$copy/Dependencies/runtimes/*" }
    }
}

Describe 'libtorch''s console' {
    It 'stays free of NNPACK notices while fitting in batches of 16 (libtorch prints one per convolution otherwise)' {
        $data = Join-Path $TestDrive 'batch16'
        $dif = Join-Path $RepoRoot 'src/Dif.Cli/bin/Release/net10.0/dif.dll'
        $null = & dotnet $dif make-dataset --out $data --size 32 --train 16 --test 1 --conditions png --only periodic 2>&1
        $LASTEXITCODE | Should -Be 0
        $command = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$ModulePath'
`$null = New-DifFingerprint -RealPath '$data/png/train/real' -FakePath '$data/png/train/fake/periodic' -CropSize 32 -Epochs 1 -MinSteps 0 -BatchSize 16 -OutFile '$TestDrive/batch16.dif.safetensors'
'fitted'
"@
        $child = Invoke-ChildPwsh $command
        $child.ExitCode | Should -Be 0 -Because ($child.Output -join "`n")
        $child.Output | Should -Contain 'fitted'
        $child.Output | Where-Object { $_ -match 'NNPACK' } | Should -BeNullOrEmpty
    }
}
