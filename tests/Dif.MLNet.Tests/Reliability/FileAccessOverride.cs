using System.Runtime.InteropServices;

namespace Dif.Tests.Reliability;

/// <summary>Makes file permission bits apply to the calling thread even when the tests run as root (as they
/// do in CI containers): root reads and writes anything through the capabilities CAP_DAC_OVERRIDE and
/// CAP_DAC_READ_SEARCH, so chmod alone proves nothing there. Linux capabilities are per thread; this drops
/// those two from the thread's effective set (kept in the permitted set) and restores them on dispose.
/// A no-op for other users, whose permissions already apply.</summary>
internal sealed class FileAccessOverride : IDisposable
{
    private const uint Version3 = 0x20080522;
    private const uint DacBits = (1u << 1) | (1u << 2); // CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH

    [StructLayout(LayoutKind.Sequential)]
    private struct Header { public uint Version; public int Pid; }

    [StructLayout(LayoutKind.Sequential)]
    private struct Data { public uint Effective, Permitted, Inheritable; }

    [DllImport("libc", SetLastError = true)] private static extern int capget(ref Header header, [Out] Data[] data);
    [DllImport("libc", SetLastError = true)] private static extern int capset(ref Header header, Data[] data);
    [DllImport("libc")] private static extern uint geteuid();

    private readonly Data[]? saved;

    private FileAccessOverride(Data[]? saved) => this.saved = saved;

    /// <summary>True when the process runs as root on Linux (permission bits would not stop it).</summary>
    public static bool RunningAsRoot => OperatingSystem.IsLinux() && geteuid() == 0;

    /// <summary>Drops the override on this thread until disposed.</summary>
    public static FileAccessOverride DropOnThisThread()
    {
        if (!RunningAsRoot) return new FileAccessOverride(null);
        var header = new Header { Version = Version3 };
        var data = new Data[2];
        if (capget(ref header, data) != 0) throw new InvalidOperationException($"capget failed ({Marshal.GetLastPInvokeError()}).");
        var dropped = (Data[])data.Clone();
        dropped[0].Effective &= ~DacBits;
        header = new Header { Version = Version3 };
        if (capset(ref header, dropped) != 0) throw new InvalidOperationException($"capset failed ({Marshal.GetLastPInvokeError()}).");
        return new FileAccessOverride(data);
    }

    public void Dispose()
    {
        if (saved is null) return;
        var header = new Header { Version = Version3 };
        capset(ref header, saved);
    }
}
