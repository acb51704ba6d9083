using System.CommandLine;
using Dispatcher.Bench.WorkerSdk;

namespace Dispatcher.Bench.Cli;

/// <summary><c>worker-sdk</c>: the workers' CPU per call with the OpenAI SDK against a loopback server, against a bare HTTP client's.</summary>
internal static class WorkerSdkCommand
{
    public static Command Create()
    {
        var calls = new Option<int>("--calls")
        {
            Description = "Jobs (provider calls) measured in each run, and requests of the bare client loop.",
            DefaultValueFactory = _ => 20_000,
        };
        var warmup = BenchOptions.Warmup();
        var maxParallel = BenchOptions.MaxParallel();
        var noSimulated = new Option<bool>("--no-simulated")
        {
            Description = "Skip the same batch with the simulated provider (the workers' cost without HTTP).",
        };
        var timeout = BenchOptions.Timeout();
        var quietWait = BenchOptions.QuietWait();
        var command = new Command("worker-sdk", "The Workers program's CPU per call with the official OpenAI SDK against an OpenAI-compatible server on loopback, the server's CPU per call, and a bare HttpClient loop's CPU per request against the same server.")
        {
            calls, warmup, maxParallel, noSimulated, timeout, quietWait,
        };
        command.SetAction(async (parse, ct) =>
        {
            var settings = new WorkerSdkSettings(
                parse.GetValue(calls), parse.GetValue(warmup), parse.GetValue(maxParallel), !parse.GetValue(noSimulated), parse.GetValue(timeout), parse.GetValue(quietWait));
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.Calls, "--calls");
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.Warmup, "--warmup");
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.MaxParallel, "--max-parallel");
            await using var session = await BenchSession.StartAsync(Console.Out, ct);
            Console.WriteLine();
            Console.WriteLine("== worker-sdk ==");
            var runs = await new WorkerSdkBenchmark(session.Node, session.Repo, settings, Console.Out).RunAsync(session.WorkFolder, ct);
            WorkerSdkReport.Print(runs, Console.Out);
            return 0;
        });
        return command;
    }

    /// <summary>The hidden <c>openai-stub</c> command <c>worker-sdk</c> starts as a process of its own.</summary>
    public static Command Stub()
    {
        var command = new Command("openai-stub", "An OpenAI-compatible server on 127.0.0.1 answering every request with one fixed chat completion, until ended (worker-sdk runs it).")
        {
            Hidden = true,
        };
        command.SetAction(async (_, ct) =>
        {
            await OpenAiStub.RunAsync(Console.Out, ct);
            return 0;
        });
        return command;
    }
}
