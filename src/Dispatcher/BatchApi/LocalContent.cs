namespace Dispatcher.BatchApi;

/// <summary>A file's bytes at a path on this machine (<see cref="FileStore.LocalAsync"/>); a temporary copy is deleted on dispose.</summary>
internal sealed class LocalContent(string path, bool temporary) : IDisposable
{
    /// <summary>Where the bytes are.</summary>
    public string Path { get; } = path;

    /// <inheritdoc />
    public void Dispose()
    {
        if (temporary)
        {
            File.Delete(Path);
        }
    }
}
