using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using RabbitMQ.Client;

namespace Dispatcher.Testing;

/// <summary>
/// A RabbitMQ node of its own for one test run or benchmark: private ports on 127.0.0.1, a private
/// data directory, and a private epmd, so it runs beside any other node on the machine (including the
/// package's default one) and leaves nothing behind when disposed.
/// </summary>
/// <remarks>
/// Start it with <see cref="StartAsync"/>. The instance is not thread-safe: drive start, stop and
/// restart from one place (a fixture), while any number of clients talk to the broker.
/// The including project must reference RabbitMQ.Client (used for the readiness check).
/// </remarks>
public sealed class PrivateRabbitNode : IAsyncDisposable
{
    private const string GuestUser = "guest";
    private const string LoopbackHost = "127.0.0.1";
    private const int LogTailLines = 60;

    private static readonly TimeSpan DefaultStartTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan EpmdStartTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan KillTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan CtlTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    // Disjoint port ranges, each far from the others and from RabbitMQ's defaults (5672 AMQP,
    // 15672 management, 25672 distribution) and from the CLI tools' own distribution range
    // (35672-35682). They also sit below Linux's ephemeral range (32768+), so an outgoing connection
    // cannot be holding one of them when the node binds it.
    private static readonly (int From, int To) AmqpPorts = (20000, 21500);
    private static readonly (int From, int To) ManagementPorts = (22000, 23500);
    private static readonly (int From, int To) DistributionPorts = (26000, 27500);
    private static readonly (int From, int To) EpmdPorts = (28000, 29500);

    private const string NotInstalledMessage =
        "rabbitmq-server was not found on PATH or in /usr/sbin. The integration tests start a private " +
        "RabbitMQ node and need the Debian package: run ./test.sh from the repository root " +
        "(it installs rabbitmq-server), or apt-get install -y rabbitmq-server.";

    private readonly string _serverPath;
    private readonly string _ctlPath;
    private readonly string _epmdPath;
    private readonly Dictionary<string, string> _environment;
    private readonly Lock _logLock = new();
    private StreamWriter? _log;
    private Process? _epmd;
    private Process? _server;
    private bool _disposed;

    private PrivateRabbitNode(string serverPath, string ctlPath, string epmdPath, int? sharedEpmdPort)
    {
        _serverPath = serverPath;
        _ctlPath = ctlPath;
        _epmdPath = epmdPath;

        var taken = new HashSet<int>();
        AmqpPort = PickFreePort(AmqpPorts, taken);
        ManagementPort = PickFreePort(ManagementPorts, taken);
        DistributionPort = PickFreePort(DistributionPorts, taken);
        EpmdPort = sharedEpmdPort ?? PickFreePort(EpmdPorts, taken);
        NodeName = string.Create(
            CultureInfo.InvariantCulture,
            $"test{Environment.ProcessId}{Random.Shared.Next(0x100000, 0xFFFFFF):x6}@localhost");

        DataDirectory = Directory.CreateTempSubdirectory("rabbitmq-node-").FullName;
        LogFilePath = Path.Combine(DataDirectory, "console.log");
        _environment = CreateEnvironment();
    }

    /// <summary>The address every listener binds to.</summary>
    public string Host => LoopbackHost;

    /// <summary>The default user, which RabbitMQ admits only from loopback (as here).</summary>
    public string Username => GuestUser;

    /// <summary>The default user's password.</summary>
    public string Password => GuestUser;

    /// <summary>The Erlang node name, unique per instance (pass it to <c>rabbitmqctl -n</c>).</summary>
    public string NodeName { get; }

    /// <summary>The AMQP 0-9-1 listener on <see cref="Host"/>.</summary>
    public int AmqpPort { get; }

    /// <summary>The management plugin's HTTP API on <see cref="Host"/>.</summary>
    public int ManagementPort { get; }

    /// <summary>The Erlang distribution port (used by <c>rabbitmqctl</c>).</summary>
    public int DistributionPort { get; }

    /// <summary>The private epmd's port; <c>rabbitmqctl</c> run by hand needs <c>ERL_EPMD_PORT</c> set to it.</summary>
    public int EpmdPort { get; }

    /// <summary><c>amqp://guest:guest@127.0.0.1:PORT/</c>, default virtual host.</summary>
    public Uri AmqpUri => new(string.Create(CultureInfo.InvariantCulture, $"amqp://{GuestUser}:{GuestUser}@{LoopbackHost}:{AmqpPort}/"));

    /// <summary><c>http://127.0.0.1:PORT/</c>, without credentials.</summary>
    public Uri ManagementUri => new(string.Create(CultureInfo.InvariantCulture, $"http://{LoopbackHost}:{ManagementPort}/"));

    /// <summary>The node's own directory: configuration, data, logs. Deleted on dispose.</summary>
    public string DataDirectory { get; }

    /// <summary>The node's captured stdout and stderr, plus the output of every <c>rabbitmqctl</c> call.</summary>
    public string LogFilePath { get; }

    /// <summary>How long the last start or restart took, from launching the process to a successful AMQP login.</summary>
    public TimeSpan StartupDuration { get; private set; }

    /// <summary>
    /// Starts a node and returns once it accepts an AMQP login. Throws a clear exception when RabbitMQ is not
    /// installed, and one that carries the tail of the node's output when it does not come up.
    /// </summary>
    public static Task<PrivateRabbitNode> StartAsync(TimeSpan? startTimeout = null, CancellationToken cancellationToken = default) =>
        StartAsync(null, startTimeout, cancellationToken);

    /// <summary>
    /// Starts a node that joins the cluster of <paramref name="clusterWith"/> (sharing its epmd, so the
    /// nodes find each other, and the Erlang cookie of the user running them), returning once the
    /// node is a running member.
    /// </summary>
    public static async Task<PrivateRabbitNode> StartClusteredAsync(PrivateRabbitNode clusterWith, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(clusterWith);
        var node = await StartAsync(clusterWith, null, cancellationToken).ConfigureAwait(false);
        try
        {
            await node.StopAppAsync(cancellationToken).ConfigureAwait(false);
            var result = await node.RunCtlAsync(["join_cluster", clusterWith.NodeName], CtlTimeout, cancellationToken).ConfigureAwait(false);
            if (result.ExitCode != 0)
            {
                throw node.Failure($"rabbitmqctl join_cluster {clusterWith.NodeName} exited with code {result.ExitCode}: {result.Output}");
            }

            await node.StartAppAsync(cancellationToken).ConfigureAwait(false);
            return node;
        }
        catch
        {
            await node.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<PrivateRabbitNode> StartAsync(PrivateRabbitNode? clusterWith, TimeSpan? startTimeout, CancellationToken cancellationToken)
    {
        var serverPath = FindRabbitTool("rabbitmq-server") ?? throw new InvalidOperationException(NotInstalledMessage);
        var ctlPath = FindRabbitTool("rabbitmqctl") ?? throw new InvalidOperationException(NotInstalledMessage);
        var epmdPath = FindOnPath("epmd", "/usr/lib/erlang/bin")
            ?? throw new InvalidOperationException("epmd (part of Erlang) was not found. " + NotInstalledMessage);

        var node = new PrivateRabbitNode(serverPath, ctlPath, epmdPath, clusterWith?.EpmdPort);
        try
        {
            await node.WriteNodeFilesAsync(cancellationToken).ConfigureAwait(false);
            if (clusterWith is null)
            {
                await node.StartEpmdAsync(cancellationToken).ConfigureAwait(false);
            }

            await node.LaunchServerAsync(startTimeout ?? DefaultStartTimeout, cancellationToken).ConfigureAwait(false);
            return node;
        }
        catch
        {
            try
            {
                await node.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                // The start failure, rethrown below, is the one worth reporting.
            }

            throw;
        }
    }

    /// <summary>Stops the RabbitMQ application, keeping the Erlang VM up (<c>rabbitmqctl stop_app</c>): clients are disconnected.</summary>
    public async Task StopAppAsync(CancellationToken cancellationToken = default)
    {
        EnsureRunning();
        var result = await RunCtlAsync(["stop_app"], CtlTimeout, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw Failure($"rabbitmqctl stop_app exited with code {result.ExitCode}: {result.Output}");
        }
    }

    /// <summary>Starts the RabbitMQ application again (<c>rabbitmqctl start_app</c>) and waits for an AMQP login.</summary>
    public async Task StartAppAsync(CancellationToken cancellationToken = default)
    {
        EnsureRunning();
        var started = TimeProvider.System.GetTimestamp();
        var result = await RunCtlAsync(["start_app"], CtlTimeout, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw Failure($"rabbitmqctl start_app exited with code {result.ExitCode}: {result.Output}");
        }

        using var deadline = CreateDeadline(DefaultStartTimeout, cancellationToken);
        await VerifyAmqpLoginAsync(deadline.Token, cancellationToken).ConfigureAwait(false);
        StartupDuration = TimeProvider.System.GetElapsedTime(started);
    }

    /// <summary>
    /// Stops the whole node (the Erlang VM exits) and starts it again on the same ports and data directory,
    /// so durable queues and persistent messages are recovered from disk as after a real broker restart.
    /// </summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        EnsureRunning();
        await StopServerAsync().ConfigureAwait(false);
        await LaunchServerAsync(DefaultStartTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the node (<c>rabbitmqctl stop</c>, then kills its process tree if it lingers) and deletes its directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            await StopServerAsync().ConfigureAwait(false);
        }
        finally
        {
            await StopEpmdAsync().ConfigureAwait(false);
            lock (_logLock)
            {
                _log?.Dispose();
                _log = null;
            }

            Directory.Delete(DataDirectory, recursive: true);
        }
    }

    /// <inheritdoc />
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{NodeName} (amqp {AmqpPort}, management {ManagementPort}, dir {DataDirectory})");

    private string NodeFile(string name) => Path.Combine(DataDirectory, name);

    private Dictionary<string, string> CreateEnvironment()
    {
        const string LoopbackDistribution = "-kernel inet_dist_use_interface {127,0,0,1}";
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["RABBITMQ_NODENAME"] = NodeName,
            ["RABBITMQ_NODE_IP_ADDRESS"] = LoopbackHost,
            ["RABBITMQ_NODE_PORT"] = AmqpPort.ToString(CultureInfo.InvariantCulture),
            ["RABBITMQ_DIST_PORT"] = DistributionPort.ToString(CultureInfo.InvariantCulture),
            ["RABBITMQ_MNESIA_BASE"] = NodeFile("mnesia"),
            ["RABBITMQ_LOG_BASE"] = NodeFile("log"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = NodeFile("enabled_plugins"),
            ["RABBITMQ_FEATURE_FLAGS_FILE"] = NodeFile("feature_flags"),
            ["RABBITMQ_PLUGINS_EXPAND_DIR"] = NodeFile("plugins-expand"),
            ["RABBITMQ_PID_FILE"] = NodeFile("node.pid"),
            ["RABBITMQ_CONFIG_FILE"] = NodeFile("rabbitmq.conf"),
            // An empty env file and a missing advanced.config keep /etc/rabbitmq out of this node's settings.
            ["RABBITMQ_CONF_ENV_FILE"] = NodeFile("rabbitmq-env.conf"),
            ["RABBITMQ_ADVANCED_CONFIG_FILE"] = NodeFile("advanced.config"),
            // Distribution (node and CLI) listens on loopback only, and goes through our own epmd rather
            // than the machine's shared one on 4369, which a node would otherwise start and leave running.
            ["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = LoopbackDistribution,
            ["RABBITMQ_CTL_ERL_ARGS"] = LoopbackDistribution,
            ["ERL_EPMD_PORT"] = EpmdPort.ToString(CultureInfo.InvariantCulture),
            ["ERL_EPMD_ADDRESS"] = LoopbackHost,
        };
    }

    private async Task WriteNodeFilesAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(NodeFile("mnesia"));
        Directory.CreateDirectory(NodeFile("log"));
        Directory.CreateDirectory(NodeFile("plugins-expand"));

        // loopback_users stays at its default (guest may log in from loopback only), which is all the tests need.
        // Statistics are emitted every second instead of every 5 s, so the management API's queue counts lag less.
        var config = string.Create(CultureInfo.InvariantCulture, $"""
            listeners.tcp.1 = {LoopbackHost}:{AmqpPort}
            management.tcp.ip = {LoopbackHost}
            management.tcp.port = {ManagementPort}
            collect_statistics_interval = 1000
            log.console = true
            log.console.level = info

            """);
        await File.WriteAllTextAsync(NodeFile("rabbitmq.conf"), config, cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(NodeFile("enabled_plugins"), "[rabbitmq_management].\n", cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(NodeFile("rabbitmq-env.conf"), string.Empty, cancellationToken).ConfigureAwait(false);

        if (Environment.IsPrivilegedProcess && UserExists("rabbitmq"))
        {
            // Debian's wrapper runs the node as the rabbitmq user even when root starts it; without this the
            // node fails with eacces on its own directory.
            await RunToCompletionAsync("chown", ["-R", "rabbitmq:rabbitmq", DataDirectory], cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task StartEpmdAsync(CancellationToken cancellationToken)
    {
        using var limit = CreateDeadline(EpmdStartTimeout, cancellationToken);
        var deadline = limit.Token;
        // Started before the node, so the node finds it and does not daemonize an epmd we could not stop.
        _epmd = StartProcess(_epmdPath, ["-port", EpmdPort.ToString(CultureInfo.InvariantCulture), "-address", LoopbackHost], "epmd");
        try
        {
            while (!await CanConnectAsync(EpmdPort, deadline).ConfigureAwait(false))
            {
                if (_epmd.HasExited)
                {
                    throw Failure($"epmd exited with code {_epmd.ExitCode} before listening on {EpmdPort}");
                }

                await Task.Delay(PollInterval, TimeProvider.System, deadline).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw Failure($"epmd did not listen on {EpmdPort} within {EpmdStartTimeout.TotalSeconds:0} s");
        }
    }

    private async Task LaunchServerAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        using var deadline = CreateDeadline(timeout, cancellationToken);
        AppendLog($"--- starting {NodeName} with {_serverPath} ---");
        _server = StartProcess(_serverPath, [], "rabbitmq-server");

        try
        {
            // await_startup fails at once while the node has not registered with epmd yet, and re-checks only
            // every 10 s while it boots. The AMQP listener opens last in the boot sequence, so polling it first
            // makes await_startup a confirmation that returns at once.
            while (!await CanConnectAsync(AmqpPort, deadline.Token).ConfigureAwait(false))
            {
                if (_server.HasExited)
                {
                    throw Failure($"rabbitmq-server exited with code {_server.ExitCode} during startup");
                }

                await Task.Delay(PollInterval, TimeProvider.System, deadline.Token).ConfigureAwait(false);
            }

            var remaining = timeout - TimeProvider.System.GetElapsedTime(started);
            var seconds = Math.Max(5, (int)remaining.TotalSeconds);
            var result = await RunCtlAsync(
                ["await_startup", "--timeout", seconds.ToString(CultureInfo.InvariantCulture)],
                TimeSpan.FromSeconds(seconds + 10),
                deadline.Token).ConfigureAwait(false);
            if (result.ExitCode != 0)
            {
                throw Failure($"rabbitmqctl await_startup exited with code {result.ExitCode}: {result.Output}");
            }

            await VerifyAmqpLoginAsync(deadline.Token, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw Failure($"node did not become ready within {timeout.TotalSeconds:0} s");
        }

        StartupDuration = TimeProvider.System.GetElapsedTime(started);
        AppendLog($"--- {NodeName} ready after {StartupDuration.TotalSeconds:0.0} s ---");
    }

    private async Task VerifyAmqpLoginAsync(CancellationToken deadline, CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory
        {
            HostName = LoopbackHost,
            Port = AmqpPort,
            UserName = Username,
            Password = Password,
            ClientProvidedName = "PrivateRabbitNode readiness check",
            AutomaticRecoveryEnabled = false,
            RequestedConnectionTimeout = TimeSpan.FromSeconds(10),
        };

        try
        {
            var connection = await factory.CreateConnectionAsync(deadline).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                await connection.CloseAsync(deadline).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw Failure($"AMQP login as {Username} on {LoopbackHost}:{AmqpPort} failed: {ex.Message}", ex);
        }
    }

    private async Task StopServerAsync()
    {
        var server = _server;
        if (server is null)
        {
            return;
        }

        _server = null;
        try
        {
            if (!server.HasExited)
            {
                var stopped = false;
                try
                {
                    var result = await RunCtlAsync(["stop"], StopTimeout, CancellationToken.None).ConfigureAwait(false);
                    stopped = result.ExitCode == 0;
                }
                catch (TimeoutException)
                {
                    // Fall through to the kill below.
                }

                if (!stopped || !await WaitForExitAsync(server, StopTimeout).ConfigureAwait(false))
                {
                    AppendLog($"--- {NodeName} did not stop in time; killing process tree of pid {server.Id} ---");
                    KillTree(server);
                    await WaitForExitAsync(server, KillTimeout).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            server.Dispose();
        }
    }

    private async Task StopEpmdAsync()
    {
        var epmd = _epmd;
        if (epmd is null)
        {
            return;
        }

        _epmd = null;
        using (epmd)
        {
            KillTree(epmd);
            await WaitForExitAsync(epmd, KillTimeout).ConfigureAwait(false);
        }
    }

    private async Task<CtlResult> RunCtlAsync(IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var startInfo = CreateStartInfo(_ctlPath, ["-n", NodeName, .. arguments]);
        using var process = Process.Start(startInfo)
            ?? throw new InvalidOperationException($"could not start {_ctlPath}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        var command = "rabbitmqctl " + string.Join(' ', arguments);
        try
        {
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            KillTree(process);
            await WaitForExitAsync(process, KillTimeout).ConfigureAwait(false);
            AppendLog($"[{command}] killed after {timeout.TotalSeconds:0} s");
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"{command} did not finish within {timeout.TotalSeconds:0} s (node {NodeName})");
        }

        var output = ((await stdout.ConfigureAwait(false)) + (await stderr.ConfigureAwait(false))).Trim();
        AppendLog($"[{command}] exit {process.ExitCode}{(output.Length > 0 ? ": " + output : string.Empty)}");
        return new CtlResult(process.ExitCode, output);
    }

    private Process StartProcess(string fileName, IReadOnlyList<string> arguments, string logPrefix)
    {
        var process = new Process { StartInfo = CreateStartInfo(fileName, arguments) };
        process.OutputDataReceived += (_, e) => AppendLog(e.Data);
        process.ErrorDataReceived += (_, e) => AppendLog(e.Data is null ? null : $"[{logPrefix} stderr] {e.Data}");
        if (!process.Start())
        {
            process.Dispose();
            throw new InvalidOperationException($"could not start {fileName}");
        }

        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private ProcessStartInfo CreateStartInfo(string fileName, IReadOnlyList<string> arguments)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = DataDirectory,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        // Whatever RABBITMQ_* the caller's environment carries would point this node at someone else's files.
        var inherited = startInfo.Environment.Keys.Where(k => k.StartsWith("RABBITMQ_", StringComparison.Ordinal)).ToList();
        foreach (var key in inherited)
        {
            startInfo.Environment.Remove(key);
        }

        foreach (var (key, value) in _environment)
        {
            startInfo.Environment[key] = value;
        }

        return startInfo;
    }

    private void AppendLog(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_logLock)
        {
            if (_disposed && _log is null)
            {
                return;
            }

            _log ??= new StreamWriter(new FileStream(LogFilePath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete), Encoding.UTF8)
            {
                AutoFlush = true,
            };
            _log.WriteLine(line);
        }
    }

    private InvalidOperationException Failure(string message, Exception? inner = null)
    {
        var tail = ReadLogTail();
        var text = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"Private RabbitMQ node {NodeName}: {message}")
            .AppendLine()
            .Append(CultureInfo.InvariantCulture, $"--- last {LogTailLines} lines of {LogFilePath} ---")
            .AppendLine()
            .Append(tail)
            .ToString();
        return new InvalidOperationException(text, inner);
    }

    private string ReadLogTail()
    {
        try
        {
            using var stream = new FileStream(LogFilePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            var lines = new Queue<string>(LogTailLines);
            while (reader.ReadLine() is { } line)
            {
                if (lines.Count == LogTailLines)
                {
                    lines.Dequeue();
                }

                lines.Enqueue(line);
            }

            return string.Join(Environment.NewLine, lines);
        }
        catch (IOException ex)
        {
            return $"(no output captured: {ex.Message})";
        }
    }

    private void EnsureRunning()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_server is null || _server.HasExited)
        {
            throw Failure("the node is not running");
        }
    }

    private static CancellationTokenSource CreateDeadline(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        source.CancelAfter(timeout);
        return source;
    }

    private static async Task<bool> CanConnectAsync(int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient(AddressFamily.InterNetwork);
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static async Task<bool> WaitForExitAsync(Process process, TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static void KillTree(Process process)
    {
        try
        {
            // Only the tree under a process this class started: the wrapper, su, the node's shell, beam and its helpers.
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    private static int PickFreePort((int From, int To) range, HashSet<int> taken)
    {
        const int Attempts = 200;
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var port = Random.Shared.Next(range.From, range.To);
            if (taken.Contains(port) || !IsFree(port))
            {
                continue;
            }

            taken.Add(port);
            return port;
        }

        throw new InvalidOperationException($"no free TCP port on {LoopbackHost} in {range.From}-{range.To} after {Attempts} attempts");
    }

    private static bool IsFree(int port)
    {
        try
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string? FindRabbitTool(string name)
    {
        // Debian's /usr/sbin wrapper switches root to the rabbitmq user, refuses other users, and for the
        // rabbitmq user itself sends the server's output to /var/log/rabbitmq; anyone but root therefore
        // runs the scripts it wraps directly, as themselves.
        var direct = Path.Combine("/usr/lib/rabbitmq/bin", name);
        if (!Environment.IsPrivilegedProcess && File.Exists(direct))
        {
            return direct;
        }

        return FindOnPath(name, "/usr/sbin", "/usr/local/sbin", "/sbin");
    }

    private static string? FindOnPath(string name, params string[] extraDirectories)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(extraDirectories)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);
    }

    private static bool UserExists(string user) =>
        File.Exists("/etc/passwd") && File.ReadLines("/etc/passwd").Any(line => line.StartsWith(user + ":", StringComparison.Ordinal));

    private static async Task RunToCompletionAsync(string fileName, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"could not start {fileName}");
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        if (!await WaitForExitAsync(process, CtlTimeout).ConfigureAwait(false))
        {
            KillTree(process);
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish within {CtlTimeout.TotalSeconds:0} s");
        }

        cancellationToken.ThrowIfCancellationRequested();
        var output = (await stdout.ConfigureAwait(false)) + (await stderr.ConfigureAwait(false));
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{fileName} {string.Join(' ', arguments)} exited with code {process.ExitCode}: {output.Trim()}");
        }
    }

    private readonly record struct CtlResult(int ExitCode, string Output);
}
