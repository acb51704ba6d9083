using System.Text;

namespace Dispatcher.Submitter.Tests.Batches;

/// <summary>A bulk-submit file in the temp folder, deleted on dispose.</summary>
internal sealed class TempBatchFile : IDisposable
{
    private TempBatchFile(string path) => Path = path;

    public string Path { get; }

    /// <summary>A file holding <paramref name="lines"/>, each ended by "\n".</summary>
    public static TempBatchFile FromLines(params IEnumerable<string> lines) =>
        FromText(string.Concat(lines.Select(l => l + "\n")));

    /// <summary>A file holding <paramref name="text"/> as UTF-8 without BOM.</summary>
    public static TempBatchFile FromText(string text) => FromBytes(Encoding.UTF8.GetBytes(text));

    public static TempBatchFile FromBytes(byte[] bytes)
    {
        var file = Empty();
        File.WriteAllBytes(file.Path, bytes);
        return file;
    }

    /// <summary>A file written by <paramref name="write"/>, for content too large to build in memory.</summary>
    public static TempBatchFile Write(Action<Stream> write)
    {
        var file = Empty();
        using var stream = File.Create(file.Path);
        write(stream);
        return file;
    }

    /// <summary>A unique path with nothing there yet.</summary>
    public static TempBatchFile Missing() =>
        new(System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"batch-{Guid.NewGuid():N}.jsonl"));

    public void Dispose()
    {
        if (File.Exists(Path))
        {
            File.Delete(Path);
        }
    }

    private static TempBatchFile Empty()
    {
        var file = Missing();
        File.WriteAllBytes(file.Path, []);
        return file;
    }
}
