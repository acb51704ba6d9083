using System.CommandLine;
using Dispatcher.Bench.Pipeline;
using Dispatcher.Ledger;
using Dispatcher.Testing;

namespace Dispatcher.Bench.Cli;

/// <summary><c>pipeline</c>: raw baseline, routing stage, full pipeline and ledger profile, in one run.</summary>
internal sealed class PipelineCommand
{
    private readonly Option<int> _jobs = BenchOptions.Jobs();
    private readonly Option<int> _warmup = BenchOptions.Warmup();
    private readonly Option<int> _inFlight = BenchOptions.InFlight();
    private readonly Option<int> _prefetch = BenchOptions.Prefetch();
    private readonly Option<int> _maxParallel = BenchOptions.MaxParallel();
    private readonly Option<bool> _noTmpfs = BenchOptions.NoTmpfs();
    private readonly Option<int> _ledgerProfileJobs = BenchOptions.LedgerProfileJobs();
    private readonly Option<LedgerProvider> _ledger = BenchOptions.Ledger();
    private readonly Option<TimeSpan> _quietWait = BenchOptions.QuietWait();

    public static Command Create()
    {
        var options = new PipelineCommand();
        var timeout = BenchOptions.Timeout();
        // Only here, not in `all`: the bulk run that follows the pipeline there declares the intake
        // single-active, which the broker refuses once several dispatchers have declared it shared.
        var dispatchers = BenchOptions.Dispatchers();
        var command = new Command("pipeline", "Throughput of the routing stage and the whole pipeline, as ratios to a raw RabbitMQ.Client baseline measured in the same run.");
        options.AddTo(command);
        command.Options.Add(timeout);
        command.Options.Add(dispatchers);
        command.Validators.Add(result =>
        {
            // The command's GetValue does not apply an option's default while it is validated (an
            // option not given reads 0): one not given counts as its default here.
            var count = result.GetResult(dispatchers)?.GetValueOrDefault<int>() ?? 1;
            var ledger = result.GetResult(options._ledger)?.GetValueOrDefault<LedgerProvider>() ?? LedgerProvider.Sqlite;
            if (count < 1)
            {
                result.AddError($"--dispatchers must be at least 1, got {count}");
            }
            else if (count > 1 && ledger != LedgerProvider.Postgres)
            {
                result.AddError(
                    $"--dispatchers {count} needs --ledger postgres: several active dispatchers share one ledger in PostgreSQL, " +
                    "which fences each dispatcher's share (Dispatcher:Shares above 1 refuses a SQLite ledger)");
            }
        });
        command.SetAction(async (parse, ct) =>
        {
            await using var session = await BenchSession.StartAsync(Console.Out, ct);
            await RunAsync(session, options.Read(parse, parse.GetValue(timeout), parse.GetValue(dispatchers)), ct);
            return 0;
        });
        return command;
    }

    /// <summary>Adds the pipeline options to a command.</summary>
    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _jobs, _warmup, _inFlight, _prefetch, _maxParallel, _noTmpfs, _ledgerProfileJobs, _ledger, _quietWait })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The settings the command line gives, with one dispatcher.</summary>
    public PipelineSettings Read(ParseResult parse, TimeSpan timeout) => Read(parse, timeout, dispatchers: 1);

    /// <summary>The settings the command line gives, with <paramref name="dispatchers"/> active dispatchers.</summary>
    public PipelineSettings Read(ParseResult parse, TimeSpan timeout, int dispatchers)
    {
        var jobs = parse.GetValue(_jobs);
        var warmup = parse.GetValue(_warmup);
        var inFlight = parse.GetValue(_inFlight);
        var prefetch = parse.GetValue(_prefetch);
        var maxParallel = parse.GetValue(_maxParallel);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(jobs, "--jobs");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(warmup, "--warmup");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inFlight, "--in-flight");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxParallel, "--max-parallel");
        if (prefetch is < 1 or > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException("--prefetch", prefetch, "must be between 1 and 65535");
        }

        return new PipelineSettings(
            jobs, warmup, inFlight, (ushort)prefetch, maxParallel, !parse.GetValue(_noTmpfs), Math.Max(0, parse.GetValue(_ledgerProfileJobs)), timeout, parse.GetValue(_quietWait),
            parse.GetValue(_ledger), dispatchers);
    }

    /// <summary>Runs the pipeline benchmark in an open session and prints its tables.</summary>
    public static async Task RunAsync(BenchSession session, PipelineSettings settings, CancellationToken ct)
    {
        Console.WriteLine();
        Console.WriteLine("== pipeline ==");
        await using var postgres = settings.Ledger == LedgerProvider.Postgres ? await StartPostgresAsync(ct) : null;
        var results = await new PipelineBenchmark(session.Node, session.Repo, settings, postgres, Console.Out).RunAsync(session.WorkFolder, ct);
        PipelineReport.Print(results, Console.Out);
    }

    private static async Task<PrivatePostgresCluster> StartPostgresAsync(CancellationToken ct)
    {
        Console.WriteLine("starting a private PostgreSQL cluster for the ledger…");
        var cluster = await PrivatePostgresCluster.StartAsync(ct);
        Console.WriteLine($"  {cluster} ready");
        return cluster;
    }
}
