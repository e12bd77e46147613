using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.CompilerServices;
using Dif.Devices;
using Xunit;

namespace Dif.MLNet.Tests.Devices;

public sealed class NativeSetupTests
{
    /// <summary>The test host owns its process and runs the suite with the same settings as the CLI.</summary>
#pragma warning disable CA2255 // the test host is an application, and opting in is what applications do
    [ModuleInitializer]
    internal static void OptInForTheTestHost() => NativeSetup.ConfigureProcess();
#pragma warning restore CA2255

    [Fact]
    public void LoadingTheLibraryRunsNoCodeOfItsOwn()
    {
        // A module initialiser compiles to a static constructor of <Module>: none may exist, so that loading
        // Dif.MLNet into a host (a web service, pwsh) changes nothing process-wide until the host asks.
        using var pe = new PEReader(File.OpenRead(typeof(NativeSetup).Assembly.Location));
        var md = pe.GetMetadataReader();
        var module = md.TypeDefinitions.Select(md.GetTypeDefinition).Single(t => md.GetString(t.Name) == "<Module>");
        var methods = module.GetMethods().Select(h => md.GetString(md.GetMethodDefinition(h).Name)).ToList();
        Assert.DoesNotContain(".cctor", methods);
    }

    [Fact]
    public void ConfigureProcessIsIdempotentAndSaysItRan()
    {
        NativeSetup.ConfigureProcess();
        NativeSetup.ConfigureProcess();
        Assert.True(NativeSetup.IsConfigured);
    }
}
