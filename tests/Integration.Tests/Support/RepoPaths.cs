namespace Integration.Tests.Support;

/// <summary>Where the built programs are, found from the test assembly's own location.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The build configuration the tests were built with (Debug or Release).</summary>
    public static string Configuration { get; } = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;

    /// <summary>The main assembly of one of the src programs, built in the same configuration as the tests.</summary>
    public static string Program(string project) =>
        Path.Combine(Root, "src", project, "bin", Configuration, "net10.0", project + ".dll");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Dispatcher.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Dispatcher.sln not found above " + AppContext.BaseDirectory);
    }
}
