using System.Diagnostics;
using System.Management.Automation;

namespace Dif.PowerShell.Infrastructure;

/// <summary>One progress bar for a cmdlet's work items. The total is often unknown (pipeline input);
/// then the bar shows a count instead of a percentage. Updates are throttled.</summary>
internal sealed class ProgressReporter(Cmdlet cmdlet, int activityId, string activity)
{
    private readonly Stopwatch sinceLast = Stopwatch.StartNew();
    private bool shown;

    /// <summary>Items finished so far.</summary>
    public int Done { get; private set; }

    /// <summary>Total items, when known.</summary>
    public int? Total { get; set; }

    /// <summary>Shows that <paramref name="item"/> is being worked on.</summary>
    public void Starting(string item)
    {
        if (shown && sinceLast.ElapsedMilliseconds < 200) return;
        sinceLast.Restart();
        shown = true;
        var record = new ProgressRecord(activityId, activity,
            Total is int t ? $"{Done} of {t} done: {item}" : $"{Done} done: {item}");
        if (Total is int total && total > 0) record.PercentComplete = Math.Min(100, 100 * Done / total);
        cmdlet.WriteProgress(record);
    }

    /// <summary>Counts one finished item.</summary>
    public void Finished() => Done++;

    /// <summary>Removes the bar.</summary>
    public void Complete()
    {
        if (!shown) return;
        cmdlet.WriteProgress(new ProgressRecord(activityId, activity, "done") { RecordType = ProgressRecordType.Completed });
        shown = false;
    }
}
