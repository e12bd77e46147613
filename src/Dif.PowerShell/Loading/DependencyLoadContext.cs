using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace Dif.PowerShell.Loading;

/// <summary>The one assembly load context that holds Dif.MLNet and everything it needs (TorchSharp,
/// ML.NET, ImageSharp, ...), loaded from the module's <c>Dependencies</c> folder. PowerShell ships its
/// own copies of some of those assemblies (Newtonsoft.Json, System.CodeDom, ...); keeping ours apart
/// means neither side sees the other's version. Native libraries (libtorch) resolve from
/// <c>Dependencies/runtimes/RID/native</c>, wherever the module folder is.</summary>
internal sealed class DependencyLoadContext : AssemblyLoadContext
{
    private readonly string folder;
    private readonly string[] nativeFolders;

    internal DependencyLoadContext(string folder) : base("Dif.PowerShell.Dependencies", isCollectible: false)
    {
        this.folder = folder;
        nativeFolders = NativeFolders(folder).Where(Directory.Exists).ToArray();
    }

    /// <summary>The folder the context loads from.</summary>
    internal string Folder => folder;

    /// <summary>Loads <paramref name="name"/> from the Dependencies folder, or returns null so the
    /// framework's own copy (System.*, loaded by the default context) is shared.</summary>
    protected override Assembly? Load(AssemblyName name)
    {
        if (name.Name is null) return null;
        var path = Path.Combine(folder, name.Name + ".dll");
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }

    /// <summary>Resolves a native library (a DllImport of an assembly in this context, or a
    /// NativeLibrary.Load by name) from the module's runtimes folders.</summary>
    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        if (Path.IsPathRooted(unmanagedDllName)) return IntPtr.Zero;
        foreach (var dir in nativeFolders)
            foreach (var candidate in Candidates(unmanagedDllName))
            {
                var path = Path.Combine(dir, candidate);
                if (File.Exists(path) && NativeLibrary.TryLoad(path, out var handle)) return handle;
            }
        return IntPtr.Zero; // fall back to the platform's own search (system libraries)
    }

    private static IEnumerable<string> Candidates(string name)
    {
        yield return name;
        string prefix = OperatingSystem.IsWindows() ? "" : "lib";
        string suffix = OperatingSystem.IsWindows() ? ".dll" : OperatingSystem.IsMacOS() ? ".dylib" : ".so";
        bool hasSuffix = name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) || name.Contains(".so.", StringComparison.Ordinal);
        if (!hasSuffix) yield return name + suffix;
        if (prefix.Length > 0 && !name.StartsWith(prefix, StringComparison.Ordinal))
        {
            yield return prefix + name;
            if (!hasSuffix) yield return prefix + name + suffix;
        }
    }

    private static IEnumerable<string> NativeFolders(string folder)
    {
        var runtimes = Path.Combine(folder, "runtimes");
        yield return Path.Combine(runtimes, RuntimeInformation.RuntimeIdentifier, "native");
        string os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        string arch = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        yield return Path.Combine(runtimes, $"{os}-{arch}", "native");
        yield return Path.Combine(runtimes, os, "native");
        yield return folder;
    }
}
