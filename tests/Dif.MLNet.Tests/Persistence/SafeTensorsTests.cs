using System.Buffers.Binary;
using System.Text;
using Dif.Persistence;

namespace Dif.Tests.Persistence;

public sealed class SafeTensorsTests : IDisposable
{
    private readonly TestFiles files = new();
    public void Dispose() => files.Dispose();

    private static byte[] FileWithHeader(string json, int dataBytes)
    {
        var header = Encoding.UTF8.GetBytes(json);
        var bytes = new byte[8 + header.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        return bytes;
    }

    [Fact]
    public void Round_trip_keeps_tensors_and_metadata()
    {
        var path = files.PathOf("t.safetensors");
        SafeTensors.Write(path,
            new Dictionary<string, SafeTensor>
            {
                ["a"] = SafeTensor.FromFloats([1f, -2f, 3.5f, 4f], 2, 2),
                ["n"] = SafeTensor.FromInt64([7L], 1),
            },
            new Dictionary<string, string> { ["format"] = "x", ["note"] = "ünïcode" });
        var (tensors, meta) = SafeTensors.Read(path);
        Assert.Equal([1f, -2f, 3.5f, 4f], tensors["a"].ToFloats());
        Assert.Equal([2L, 2L], tensors["a"].Shape);
        Assert.Equal([7L], tensors["n"].ToInt64());
        Assert.Equal("ünïcode", meta["note"]);
        Assert.Empty(Directory.GetFiles(files.Root, "*.tmp")); // no temporary left behind
    }

    [Fact]
    public void File_is_readable_as_standard_safetensors_layout()
    {
        // The layout other tools (Python's safetensors) read: u64 header length, JSON, data.
        var path = files.PathOf("t.safetensors");
        SafeTensors.Write(path, new Dictionary<string, SafeTensor> { ["w"] = SafeTensor.FromFloats([1f, 2f], 2) }, new Dictionary<string, string>());
        var bytes = File.ReadAllBytes(path);
        var n = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var json = Encoding.UTF8.GetString(bytes, 8, n);
        Assert.Contains("\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", json);
        Assert.Equal(0, n % 8);
        Assert.Equal(8 + n + 8, bytes.Length);
    }

    [Fact]
    public void Header_length_larger_than_the_file_is_refused()
    {
        var bytes = FileWithHeader("{}", 0);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1UL << 40);
        var e = Assert.Throws<DifModelFileException>(() => SafeTensors.Read(bytes, "lying.safetensors"));
        Assert.Contains("lying.safetensors", e.Message);
        Assert.Contains("header claims", e.Message);
    }

    [Fact]
    public void Offsets_outside_the_data_are_refused()
        => Assert.Contains("outside", Assert.Throws<DifModelFileException>(() => SafeTensors.Read(
            FileWithHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8), "f")).Message);

    [Fact]
    public void Byte_count_not_matching_shape_is_refused()
        => Assert.Contains("needs", Assert.Throws<DifModelFileException>(() => SafeTensors.Read(
            FileWithHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8), "f")).Message);

    [Fact]
    public void Unsupported_dtype_is_refused()
        => Assert.Contains("unsupported dtype", Assert.Throws<DifModelFileException>(() => SafeTensors.Read(
            FileWithHeader("{\"w\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8), "f")).Message);

    [Fact]
    public void Overlapping_tensors_are_refused()
        => Assert.Contains("overlap", Assert.Throws<DifModelFileException>(() => SafeTensors.Read(
            FileWithHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "f")).Message);

    [Fact]
    public void Header_that_is_not_json_is_refused()
        => Assert.Contains("not JSON", Assert.Throws<DifModelFileException>(() => SafeTensors.Read(FileWithHeader("{nope", 0), "f")).Message);

    [Fact]
    public void Too_short_file_is_refused()
        => Assert.Contains("too short", Assert.Throws<DifModelFileException>(() => SafeTensors.Read(new byte[3], "f")).Message);

    [Fact]
    public void Failed_write_leaves_the_previous_file_intact()
    {
        var path = files.PathOf("keep.safetensors");
        File.WriteAllText(path, "previous");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[100]);
            throw new InvalidOperationException("simulated failure mid-write");
        }));
        Assert.Equal("previous", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(files.Root));
    }
}
