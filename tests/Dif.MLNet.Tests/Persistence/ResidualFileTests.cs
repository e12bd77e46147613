using Dif.Persistence;

namespace Dif.Tests.Persistence;

public sealed class ResidualFileTests : IDisposable
{
    private readonly TestFiles files = new();
    public void Dispose() => files.Dispose();

    [Fact]
    public void Rows_read_back_as_written_in_any_order()
    {
        using var file = new ResidualFile(5, files.Root);
        var rows = Enumerable.Range(0, 4).Select(i => Enumerable.Range(0, 5).Select(j => i * 10f + j + 0.5f).ToArray()).ToList();
        foreach (var r in rows) file.Add(r);

        Assert.Equal(4, file.Count);
        Assert.Equal(rows[3], file[3]);
        Assert.Equal(rows[0], file[0]);
        Assert.Equal(rows, file.ToList());
    }

    [Fact]
    public void The_file_is_deleted_when_disposed()
    {
        string path;
        using (var file = new ResidualFile(3, files.Root))
        {
            file.Add([1f, 2f, 3f]);
            path = file.Path;
            Assert.True(File.Exists(path));
        }
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void A_row_of_the_wrong_length_is_refused()
    {
        using var file = new ResidualFile(3, files.Root);
        Assert.Throws<ArgumentException>(() => file.Add([1f, 2f]));
    }

    [Fact]
    public void A_missing_spill_folder_is_a_clear_error_naming_it()
    {
        var missing = Path.Combine(files.Root, "no-such-folder");
        var e = Assert.Throws<DifOutputException>(() => new ResidualFile(3, missing));
        Assert.Contains("no-such-folder", e.Message);
    }
}
