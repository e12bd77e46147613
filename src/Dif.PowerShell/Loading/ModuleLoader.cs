using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;

namespace Dif.PowerShell.Loading;

/// <summary>Runs when PowerShell imports the module: from then on, a request of PowerShell's default
/// load context for Dif.MLNet (made the first time a cmdlet's code touches a Dif.MLNet type) is
/// answered from the <see cref="DependencyLoadContext"/>. That is the only assembly bridged this way:
/// Dif.MLNet's own references (TorchSharp, ML.NET, ...) are then resolved by the isolated context
/// itself. So the cmdlet assembly must reference no third-party assembly but Dif.MLNet (a Pester spec
/// checks this), and the objects users see are types of this assembly.</summary>
public sealed class ModuleLoader : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private static readonly Lazy<DependencyLoadContext> Context = new(() =>
        new DependencyLoadContext(Path.Combine(Path.GetDirectoryName(typeof(ModuleLoader).Assembly.Location)!, "Dependencies")));

    /// <summary>The assemblies the cmdlet assembly may reference from the Dependencies folder.</summary>
    internal static readonly string[] BridgedAssemblies = ["Dif.MLNet"];

    /// <summary>Where the isolated dependencies load from.</summary>
    internal static string DependencyFolder => Context.Value.Folder;

    /// <inheritdoc />
    public void OnImport()
    {
        AssemblyLoadContext.Default.Resolving += Resolve;
        ConfigureNative();
    }

    /// <summary>Importing the module is the user's opt-in to Dif's native settings in this pwsh process
    /// (docs/performance.md, "PowerShell against the CLI"). A method of its own, so that Dif.MLNet is only resolved once the bridge is up.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void ConfigureNative() => Dif.Devices.NativeSetup.ConfigureProcess();

    /// <inheritdoc />
    public void OnRemove(PSModuleInfo module)
    {
        Infrastructure.DenoiserCache.Clear();
        AssemblyLoadContext.Default.Resolving -= Resolve;
    }

    private static Assembly? Resolve(AssemblyLoadContext requester, AssemblyName name)
    {
        if (name.Name is null || !BridgedAssemblies.Contains(name.Name, StringComparer.Ordinal)) return null;
        return Context.Value.LoadFromAssemblyName(name);
    }
}
