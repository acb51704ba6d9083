using Dispatcher.Bench.Processes;
using Dispatcher.Bench.Reporting;
using Dispatcher.Testing;

namespace Dispatcher.Bench.Cli;

/// <summary>
/// What a broker benchmark needs around it: the built programs, a private RabbitMQ node of its own
/// (stopped, with its data, when the session ends) and a temporary work folder (deleted too).
/// </summary>
internal sealed class BenchSession : IAsyncDisposable
{
    private BenchSession(RepoLayout repo, PrivateRabbitNode node, string workFolder)
    {
        Repo = repo;
        Node = node;
        WorkFolder = workFolder;
    }

    /// <summary>Where the product's programs are.</summary>
    public RepoLayout Repo { get; }

    /// <summary>The private broker.</summary>
    public PrivateRabbitNode Node { get; }

    /// <summary>Generated files, ledgers and the programs' logs.</summary>
    public string WorkFolder { get; }

    /// <summary>Prints the machine, checks the build, starts the node.</summary>
    public static async Task<BenchSession> StartAsync(TextWriter log, CancellationToken ct)
    {
        var repo = RepoLayout.Locate();
        PrintHeader(repo, log);
        log.WriteLine("starting a private RabbitMQ node…");
        var node = await PrivateRabbitNode.StartAsync(cancellationToken: ct);
        log.WriteLine($"  {node} ready in {node.StartupDuration.TotalSeconds:0.0} s");
        var folder = Directory.CreateTempSubdirectory("dispatcher-bench-").FullName;
        return new BenchSession(repo, node, folder);
    }

    /// <summary>Prints the machine and warns about a non-optimized build.</summary>
    public static void PrintHeader(RepoLayout repo, TextWriter log)
    {
        foreach (var line in MachineInfo.Describe())
        {
            log.WriteLine(line);
        }

        log.WriteLine($"build: {repo.Configuration}");
        if (!repo.IsRelease)
        {
            log.WriteLine("warning: not a Release build; figures are not representative (dotnet run -c Release --project bench/Bench -- …)");
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            await Node.DisposeAsync();
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(WorkFolder, recursive: true);
        }
    }
}
