namespace Dif.PowerShell.Infrastructure;

/// <summary>An IProgress that calls back on the reporting thread. Cmdlets must write (progress, verbose)
/// from the pipeline thread; the library reports from the thread doing the work, which is that thread, so
/// Progress&lt;T&gt; (which posts to the thread pool) would be wrong here.</summary>
internal sealed class CallbackProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
