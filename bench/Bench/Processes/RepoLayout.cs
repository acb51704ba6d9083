namespace Dispatcher.Bench.Processes;

/// <summary>
/// Where the product's built programs are: found from the bench's own location, in the build
/// configuration the bench itself was built with, so a Release bench runs Release programs.
/// </summary>
internal sealed class RepoLayout
{
    private RepoLayout(string root, string configuration)
    {
        Root = root;
        Configuration = configuration;
    }

    /// <summary>The repository root (the folder holding Dispatcher.sln).</summary>
    public string Root { get; }

    /// <summary>Debug or Release: the bench's own build configuration.</summary>
    public string Configuration { get; }

    /// <summary>Whether the bench (and so the programs it runs) is an optimized build.</summary>
    public bool IsRelease => string.Equals(Configuration, "Release", StringComparison.OrdinalIgnoreCase);

    /// <summary>Finds the layout from <see cref="AppContext.BaseDirectory"/> (bench/Bench/bin/CONFIG/net10.0/).</summary>
    public static RepoLayout Locate()
    {
        var output = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory));
        var configuration = output.Parent?.Name ?? "Release";
        for (var dir = output; dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Dispatcher.sln")))
            {
                return new RepoLayout(dir.FullName, configuration);
            }
        }

        throw new InvalidOperationException("Dispatcher.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The main assembly of one of the src programs (Dispatcher, Workers, Submitter).</summary>
    public string Program(string project)
    {
        var dll = Path.Combine(Root, "src", project, "bin", Configuration, "net10.0", project + ".dll");
        return File.Exists(dll)
            ? dll
            : throw new FileNotFoundException($"{project} is not built at {dll}; build the solution in {Configuration} first", dll);
    }
}
