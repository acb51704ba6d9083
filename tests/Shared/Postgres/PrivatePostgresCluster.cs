using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Dispatcher.Testing;

/// <summary>
/// A PostgreSQL cluster of its own for one test run: <c>initdb</c> into a private temp directory, a
/// server on a free port of 127.0.0.1 with its unix socket in that directory, trust authentication
/// for the <c>postgres</c> superuser over loopback, and nothing left behind when disposed. It runs
/// beside any other cluster on the machine (including the package's default one). Roles made with
/// <see cref="CreateRoleAsync"/> must give their password, as a production server would ask.
/// </summary>
/// <remarks>
/// PostgreSQL refuses to run as root: started by root, every PostgreSQL program runs as the
/// <c>postgres</c> user Debian's package creates (through <c>runuser</c>), and the directory is
/// handed to that user. Durability is turned off (<c>fsync</c>, <c>synchronous_commit</c>): the
/// data lives as long as the test run. The including project must reference Npgsql.
/// </remarks>
public sealed class PrivatePostgresCluster : IAsyncDisposable
{
    private const string LoopbackHost = "127.0.0.1";
    private const string Superuser = "postgres";
    private const string ServiceUser = "postgres";

    // Below Linux's ephemeral range (32768+) and apart from the private RabbitMQ nodes' ranges.
    private static readonly (int From, int To) Ports = (24000, 25500);
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan KillTimeout = TimeSpan.FromSeconds(10);

    // The superuser without a password over the socket and loopback (the tests' own connections);
    // every other role with its password, checked by SCRAM.
    private const string HostBasedAuthentication = """
        local all all trust
        host all postgres 127.0.0.1/32 trust
        host all all 127.0.0.1/32 scram-sha-256

        """;

    private const string NotInstalledMessage =
        "initdb and pg_ctl were found neither on PATH nor in /usr/lib/postgresql/*/bin. The ledger tests start a " +
        "private PostgreSQL cluster and need the Debian package: run ./test.sh from the repository root (it installs " +
        "postgresql), or apt-get install -y postgresql.";

    private readonly string _binDirectory;
    private bool _disposed;

    private PrivatePostgresCluster(string binDirectory)
    {
        _binDirectory = binDirectory;
        Port = PickFreePort();
        Directory = System.IO.Directory.CreateTempSubdirectory("postgres-cluster-").FullName;
    }

    /// <summary>The port the server listens on, on 127.0.0.1 only.</summary>
    public int Port { get; }

    /// <summary>The cluster's own directory: its data (<c>data/</c>), unix socket and log. Deleted on dispose.</summary>
    public string Directory { get; }

    /// <summary>
    /// The pid of the server's postmaster, the parent of every other process of the server (its
    /// sessions' backends, its writers); null when it is not running.
    /// </summary>
    public int? ServerProcessId => ReadPostmasterPid();

    /// <summary>The server's log.</summary>
    public string LogFilePath => Path.Combine(Directory, "postgres.log");

    private string DataDirectory => Path.Combine(Directory, "data");

    /// <summary>
    /// Creates the cluster and starts its server; returns once it accepts connections. Throws a clear
    /// exception when PostgreSQL is not installed, and one carrying the server's log when it does not start.
    /// </summary>
    public static async Task<PrivatePostgresCluster> StartAsync(CancellationToken cancellationToken = default)
    {
        var bin = FindBinDirectory() ?? throw new InvalidOperationException(NotInstalledMessage);
        var cluster = new PrivatePostgresCluster(bin);
        try
        {
            if (Environment.IsPrivilegedProcess)
            {
                await RunAsync("chown", [$"{ServiceUser}:{ServiceUser}", cluster.Directory], asService: false, cancellationToken);
            }

            await cluster.RunToolAsync("initdb", ["-D", cluster.DataDirectory, "-U", Superuser, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"], cancellationToken);

            // Written over initdb's file, which keeps its owner and mode.
            await File.WriteAllTextAsync(Path.Combine(cluster.DataDirectory, "pg_hba.conf"), HostBasedAuthentication, cancellationToken);
            var options = string.Create(
                CultureInfo.InvariantCulture,
                $"-p {cluster.Port} -k {cluster.Directory} -c listen_addresses={LoopbackHost} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200");
            await cluster.RunToolAsync("pg_ctl", ["start", "-D", cluster.DataDirectory, "-w", "-t", "60", "-l", cluster.LogFilePath, "-o", options], cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>A connection string for <paramref name="database"/> as the superuser, over TCP on loopback.</summary>
    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = LoopbackHost,
        Port = Port,
        Username = Superuser,
        Database = database,
    }.ConnectionString;

    /// <summary>
    /// Creates a database named <paramref name="name"/> (letters, digits and underscores), owned by
    /// <paramref name="owner"/> when given, and returns its connection string as the superuser.
    /// </summary>
    public async Task<string> CreateDatabaseAsync(string name, string? owner = null, CancellationToken cancellationToken = default)
    {
        await ExecuteAsync("postgres", $"CREATE DATABASE \"{CheckName(name)}\"" + (owner is null ? "" : $" OWNER \"{CheckName(owner)}\""), cancellationToken);
        return ConnectionString(name);
    }

    /// <summary>Creates a login role that must give <paramref name="password"/> (letters and digits) over TCP.</summary>
    public Task CreateRoleAsync(string name, string password, CancellationToken cancellationToken = default) =>
        ExecuteAsync("postgres", $"CREATE ROLE \"{CheckName(name)}\" LOGIN PASSWORD '{CheckName(password)}'", cancellationToken);

    /// <summary>
    /// Creates a schema named <paramref name="name"/> in <paramref name="database"/> and returns a
    /// connection string whose search path is that schema alone: a store of its own inside the database.
    /// </summary>
    public async Task<string> CreateSchemaAsync(string database, string name, CancellationToken cancellationToken = default)
    {
        await ExecuteAsync(database, $"CREATE SCHEMA \"{CheckName(name)}\"", cancellationToken);
        return new NpgsqlConnectionStringBuilder(ConnectionString(database)) { SearchPath = name }.ConnectionString;
    }

    /// <summary>Stops the server (fast shutdown, then a kill of its postmaster if it lingers) and deletes the directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        NpgsqlConnection.ClearAllPools();
        var postmaster = ReadPostmasterPid();
        if (postmaster is not null)
        {
            try
            {
                await RunToolAsync("pg_ctl", ["stop", "-D", DataDirectory, "-m", "fast", "-w", "-t", "30"], CancellationToken.None);
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException)
            {
                // The kill below ends it.
            }

            Kill(postmaster.Value);
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Never created.
        }
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"PostgreSQL on {LoopbackHost}:{Port} ({Directory})");

    private async Task ExecuteAsync(string database, string sql, CancellationToken cancellationToken)
    {
        // Unpooled: a test that ends sessions on the database never leaves this one dead in a pool.
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString(database)) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task RunToolAsync(string tool, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        try
        {
            await RunAsync(Path.Combine(_binDirectory, tool), arguments, asService: Environment.IsPrivilegedProcess, cancellationToken);
        }
        catch (InvalidOperationException e) when (File.Exists(LogFilePath))
        {
            var log = string.Join(Environment.NewLine, File.ReadLines(LogFilePath).TakeLast(40));
            throw new InvalidOperationException($"{e.Message}{Environment.NewLine}--- last lines of {LogFilePath} ---{Environment.NewLine}{log}", e);
        }
    }

    private int? ReadPostmasterPid()
    {
        var file = Path.Combine(DataDirectory, "postmaster.pid");
        return File.Exists(file) && int.TryParse(File.ReadLines(file).FirstOrDefault(), CultureInfo.InvariantCulture, out var pid) ? pid : null;
    }

    private static void Kill(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            if (process.ProcessName is "postgres" or "postmaster")
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(KillTimeout);
            }
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            // It has exited.
        }
    }

    private static async Task RunAsync(string fileName, IReadOnlyList<string> arguments, bool asService, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(asService ? "runuser" : fileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetTempPath(),
        };
        if (asService)
        {
            foreach (var argument in (string[])["-u", ServiceUser, "--", fileName])
            {
                startInfo.ArgumentList.Add(argument);
            }
        }

        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        // Whatever PG* the caller's environment carries would point the tools at someone else's cluster.
        foreach (var key in startInfo.Environment.Keys.Where(k => k.StartsWith("PG", StringComparison.Ordinal)).ToList())
        {
            startInfo.Environment.Remove(key);
        }

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"could not start {fileName}");
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(ToolTimeout);
        var command = $"{Path.GetFileName(fileName)} {string.Join(' ', arguments)}";
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"{command} did not finish within {ToolTimeout.TotalSeconds:0} s");
        }

        var output = ((await stdout) + (await stderr)).Trim();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{command} exited with code {process.ExitCode}: {output}");
        }
    }

    private static string? FindBinDirectory()
    {
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, "initdb"))
            .FirstOrDefault(File.Exists);
        if (onPath is not null)
        {
            // pg_ctl and postgres sit beside the real initdb, not beside a link to it.
            var real = new FileInfo(onPath).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? onPath;
            return Path.GetDirectoryName(real);
        }

        const string Versions = "/usr/lib/postgresql";
        return System.IO.Directory.Exists(Versions)
            ? System.IO.Directory.GetDirectories(Versions)
                .Select(version => Path.Combine(version, "bin"))
                .Where(bin => File.Exists(Path.Combine(bin, "initdb")) && File.Exists(Path.Combine(bin, "pg_ctl")))
                .OrderByDescending(bin => int.TryParse(Path.GetFileName(Path.GetDirectoryName(bin)), CultureInfo.InvariantCulture, out var major) ? major : 0)
                .FirstOrDefault()
            : null;
    }

    private static string CheckName(string name) =>
        name.Length is > 0 and <= 63 && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')
            ? name
            : throw new ArgumentException($"'{name}' is not a plain PostgreSQL name (letters, digits, underscores, at most 63)", nameof(name));

    private static int PickFreePort()
    {
        const int Attempts = 200;
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var port = Random.Shared.Next(Ports.From, Ports.To);
            try
            {
                var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                listener.Stop();
                return port;
            }
            catch (SocketException)
            {
                // Taken; try another.
            }
        }

        throw new InvalidOperationException($"no free TCP port on {LoopbackHost} in {Ports.From}-{Ports.To} after {Attempts} attempts");
    }
}
