using System.Management.Automation;
using Dif.Denoising;
using Dif.Imaging;
using Microsoft.PowerShell.Commands;

namespace Dif.PowerShell.Infrastructure;

/// <summary>Base of every Dif cmdlet: cancellation wired to Ctrl+C (StopProcessing), file-system path
/// resolution for -Path/-LiteralPath and pipeline input, output-path checks, denoiser loading with
/// proper terminating errors, and disposal. Cmdlets derive from it and stay thin: each calls a public
/// Dif.MLNet API (README.md here, "Adding a cmdlet").</summary>
public abstract class DifCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource stopping = new();
    private readonly List<IDisposable> owned = [];

    /// <summary>Cancelled when the user presses Ctrl+C or the pipeline is stopped; pass it to library
    /// calls that take one, and call <see cref="ThrowIfStopping"/> between work items.</summary>
    protected CancellationToken Cancellation => stopping.Token;

    /// <inheritdoc />
    protected override void StopProcessing() => stopping.Cancel();

    /// <summary>Ends the cmdlet quietly (as PowerShell does on Ctrl+C) when stopping was requested.</summary>
    protected void ThrowIfStopping()
    {
        if (stopping.IsCancellationRequested) throw new PipelineStoppedException();
    }

    /// <summary>Disposes <paramref name="resource"/> when the cmdlet ends (also after Ctrl+C or an error).</summary>
    protected T Own<T>(T resource) where T : IDisposable
    {
        owned.Add(resource);
        return resource;
    }

    /// <summary>Resolves the paths a cmdlet was given to existing files. <paramref name="literal"/> paths
    /// are taken as written (pipeline input from Get-ChildItem binds here through PSPath); others expand
    /// wildcards through the provider. A folder yields the images directly in it
    /// (<see cref="ImageFiles.In"/>) when <paramref name="expandFolders"/> is set, and the images in it and below it
    /// (<see cref="ImageFiles.Under"/>) when <paramref name="recurseFolders"/> is set too. Paths that name
    /// nothing, or lie outside the file system, get a non-terminating error and are skipped.</summary>
    protected IEnumerable<string> ResolveInputFiles(IEnumerable<string>? paths, bool literal, bool expandFolders = true, bool recurseFolders = false)
    {
        foreach (var given in paths ?? [])
        {
            if (string.IsNullOrWhiteSpace(given)) continue;
            List<string> resolved;
            ProviderInfo provider;
            try
            {
                if (literal)
                {
                    var one = SessionState.Path.GetUnresolvedProviderPathFromPSPath(given, out provider, out _);
                    resolved = File.Exists(one) || Directory.Exists(one) ? [one] : [];
                }
                else
                {
                    resolved = [.. GetResolvedProviderPathFromPSPath(given, out provider)];
                }
            }
            catch (Exception e) when (e is ItemNotFoundException or System.Management.Automation.DriveNotFoundException or ProviderNotFoundException)
            {
                WriteError(DifErrors.Record(e, ErrorIds.PathNotFound, ErrorCategory.ObjectNotFound, given));
                continue;
            }
            catch (Exception e) when (e is PSArgumentException or NotSupportedException or PSNotSupportedException or ArgumentException)
            {
                WriteError(DifErrors.Record(e, ErrorIds.PathNotFound, ErrorCategory.InvalidArgument, given));
                continue;
            }

            if (provider.ImplementingType != typeof(FileSystemProvider))
            {
                WriteError(DifErrors.Record(new PSArgumentException($"{given}: is a {provider.Name} path; Dif reads image files from the file system."),
                    ErrorIds.PathNotFileSystem, ErrorCategory.InvalidArgument, given));
                continue;
            }
            if (resolved.Count == 0)
            {
                var why = literal || !WildcardPattern.ContainsWildcardCharacters(given)
                    ? $"{given}: no such file or folder."
                    : $"{given}: the wildcard pattern matches no file (use -LiteralPath for names containing [ ] * ?).";
                WriteError(DifErrors.Record(new ItemNotFoundException(why), ErrorIds.PathNotFound, ErrorCategory.ObjectNotFound, given));
                continue;
            }
            foreach (var path in resolved)
            {
                if (Directory.Exists(path))
                {
                    if (!expandFolders) continue;
                    WriteVerbose(recurseFolders ? $"{path}: a folder; reading the images in it and below it." : $"{path}: a folder; reading the images in it.");
                    foreach (var file in recurseFolders ? ImageFiles.Under(path) : ImageFiles.In(path)) yield return file;
                }
                else yield return path;
            }
        }
    }

    /// <summary>The input files of one ProcessRecord call (<see cref="ResolveInputFiles"/>), one at a time, with
    /// a stop check before each and a progress tick around each. Given as arguments, the files are all known
    /// up front and the bar shows a percentage; from the pipeline it counts.</summary>
    private protected IEnumerable<string> EachInputFile(IEnumerable<string>? paths, bool literal, ProgressReporter progress)
    {
        var files = ResolveInputFiles(paths, literal);
        if (!MyInvocation.ExpectingInput)
        {
            var list = files.ToList();
            progress.Total = list.Count;
            files = list;
        }
        foreach (var file in files)
        {
            ThrowIfStopping();
            progress.Starting(System.IO.Path.GetFileName(file));
            yield return file;
            progress.Finished();
        }
    }

    /// <summary>Residuals of the images <paramref name="paths"/> resolve to (wildcards expanded, folders read),
    /// one progress tick per image; unusable images get a non-terminating error naming them and are left out.</summary>
    private protected List<float[]> ExtractResiduals(IEnumerable<string> paths, Denoiser denoiser, ImageLoadOptions options, ProgressReporter progress)
        => ExtractResidualsOf(ResolveInputFiles(paths, literal: false).ToList(), denoiser, options, progress);

    /// <summary>Residuals of files already resolved (<see cref="ResolveInputFiles"/>), as <see cref="ExtractResiduals"/>.</summary>
    private protected List<float[]> ExtractResidualsOf(IReadOnlyList<string> files, Denoiser denoiser, ImageLoadOptions options, ProgressReporter progress)
        => ResidualExtraction.FromFiles(denoiser, files, options,
                e => WriteError(DifErrors.FromDif(e, e.FilePath)),
                new CallbackProgress<int>(_ => { progress.Finished(); progress.Starting($"{progress.Done} images"); }), Cancellation)
            .Select(r => r.Residual).ToList();

    /// <summary>A file-system path for an output the cmdlet will create (need not exist yet).</summary>
    protected string ResolveOutputPath(string path)
    {
        var resolved = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out var provider, out _);
        if (provider.ImplementingType != typeof(FileSystemProvider))
            ThrowTerminatingError(DifErrors.Terminating($"{path}: is a {provider.Name} path; Dif writes to the file system.",
                ErrorIds.PathNotFileSystem, ErrorCategory.InvalidArgument, path));
        return resolved;
    }

    /// <summary>The denoiser at <paramref name="path"/> (the bundled default when null) on
    /// <paramref name="device"/>, or a terminating error that says why it cannot be had. Loaded
    /// denoisers are kept for the module's lifetime (<see cref="DenoiserCache"/>): do not dispose them.</summary>
    protected Denoiser LoadDenoiser(string? path, string? device, InferencePrecision precision = InferencePrecision.Float32)
    {
        string? file = path is null ? null : ResolveOutputPath(path);
        device = string.IsNullOrWhiteSpace(device) ? "auto" : device.Trim().ToLowerInvariant();
        try
        {
            if (file is not null && !File.Exists(file))
                throw new DifModelFileException(file, Directory.Exists(file) ? "is a folder, not a model file." : "file not found.");
            var denoiser = DenoiserCache.Get(file, device, precision);
            WriteVerbose($"Denoiser: {file ?? "the bundled default"} (identity {denoiser.Identity[..16]}…), device '{device}', {precision}.");
            return denoiser;
        }
        catch (DifModelFileException e)
        {
            var category = file is not null && !File.Exists(file) ? ErrorCategory.ObjectNotFound : ErrorCategory.InvalidData;
            ThrowTerminatingError(DifErrors.Record(e, ErrorIds.DenoiserUnreadable, category, file ?? "default denoiser"));
        }
        catch (DifDeviceException e)
        {
            ThrowTerminatingError(DifErrors.Record(e, ErrorIds.DeviceUnavailable, ErrorCategory.DeviceError, device));
        }
        catch (DifException e)
        {
            ThrowTerminatingError(DifErrors.Record(e, ErrorIds.DenoiserUnreadable, ErrorCategory.InvalidData, file ?? "default denoiser"));
        }
        throw new InvalidOperationException("unreachable: ThrowTerminatingError throws");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        for (int i = owned.Count - 1; i >= 0; i--) owned[i].Dispose();
        owned.Clear();
        stopping.Dispose();
        GC.SuppressFinalize(this);
    }
}
