using System.CommandLine;
using System.Globalization;
using Dispatcher.Contracts;
using Dispatcher.Ledger;
using Dispatcher.ServiceDefaults.Messaging;
using BatchRow = Dispatcher.Monitoring.BatchProgress;
using Dispatcher.Submitter.Hosting;
using Dispatcher.Submitter.Remote;
using Dispatcher.Submitter.Status;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatcher.Submitter.Cli;

/// <summary>
/// What <c>cancel</c>, <c>pause</c> and <c>resume</c> share: find the batch (from the dispatcher's
/// status API, else the ledger), say so when it is already where the command would take it or
/// can no longer go there, hand the command to the dispatcher — recorded in the ledger for an
/// embedded <c>run</c> holding it, else sent to the batch control queue — then wait until the
/// batch's state shows the dispatcher recorded it and print that state.
/// </summary>
internal sealed class BatchCommand
{
    private readonly string _verb;
    private readonly Func<BatchRow, string?> _refusal;
    private readonly Func<string, string?, object> _message;
    private readonly Func<string, bool> _recorded;

    /// <param name="verb">The command's name, for messages.</param>
    /// <param name="refusal">Why the command cannot apply to the batch as it stands (null when it can); a refusal that starts with "already" is no error.</param>
    /// <param name="message">The command message for a batch id and the reason given (null for none).</param>
    /// <param name="recorded">Whether a state shows the command recorded.</param>
    public BatchCommand(string verb, Func<BatchRow, string?> refusal, Func<string, string?, object> message, Func<string, bool> recorded)
    {
        _verb = verb;
        _refusal = refusal;
        _message = message;
        _recorded = recorded;
    }

    /// <summary>The command with its argument and options; <paramref name="reason"/>, when given, says why (a cancel's <c>--reason</c>).</summary>
    public Command Create(string description, Option<string?>? reason = null)
    {
        var batch = new Argument<string>("batch") { Description = "The batch id." };
        var config = CommonOptions.Config();
        var ledger = CommonOptions.Ledger();
        var dispatcher = CommonOptions.Dispatcher();
        var timeout = new Option<TimeSpan>("--timeout")
        {
            Description = "How long to wait for the dispatcher to record the command (hh:mm:ss).",
            DefaultValueFactory = _ => TimeSpan.FromSeconds(30),
        };
        var command = new Command(_verb, description) { batch, config, ledger, dispatcher, timeout };
        if (reason is not null)
        {
            command.Options.Add(reason);
        }

        command.SetAction((parse, ct) => RunAsync(
            parse.GetRequiredValue(batch),
            parse.GetValue(config),
            parse.GetValue(ledger),
            parse.GetValue(dispatcher),
            parse.GetValue(timeout),
            reason is null ? null : parse.GetValue(reason),
            ct));
        return command;
    }

    /// <summary>One line on a batch: its state and counts.</summary>
    public static string Describe(BatchRow b)
    {
        ArgumentNullException.ThrowIfNull(b);
        var line = string.Create(
            CultureInfo.InvariantCulture,
            $"batch {b.Id}: {b.State} ({b.Succeeded} succeeded, {b.Failed} failed, {b.Dispatched} in flight, {b.Queued} queued");
        if (b.NotYetReceived > 0)
        {
            line += string.Create(CultureInfo.InvariantCulture, $", {b.NotYetReceived} not yet received");
        }

        line += ")";
        if (b.Reason is { Length: > 0 } reason)
        {
            line += $" ({b.State}: {reason})";
        }

        return b.State switch
        {
            BatchState.Cancelling => line + "; the attempts in flight finish and are kept, every other job ended batch_cancelled",
            BatchState.Cancelled => line + "; every job not started ended batch_cancelled",
            BatchState.Paused => line + "; no new attempt starts until `resume`, queued jobs wait and hold no quota",
            BatchState.Expired => line + "; its completion window ended, unfinished jobs end batch_expired",
            _ => line,
        };
    }

    private async Task<int> RunAsync(string batchId, string? configFile, string? ledgerPath, string? dispatcherUrl, TimeSpan timeout, string? reason, CancellationToken ct)
    {
        var configuration = SubmitterHosts.LoadConfiguration(configFile);
        // With the dispatcher's address and its Batch API key, the command needs neither the broker nor the ledger.
        if (dispatcherUrl is not null && Environment.GetEnvironmentVariable(BatchApiClient.KeyVariable(configuration)) is { Length: > 0 })
        {
            return await RemoteAsync(batchId, dispatcherUrl, configuration, reason, ct);
        }

        using var ledgerHost = SubmitterHosts.LedgerOnly(configFile, ledgerPath);
        await ledgerHost.StartAsync(ct);
        var ledger = ledgerHost.Services.GetRequiredService<JobLedger>();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        if (!StatusCommand.TryCreateReader(configuration, _ => Task.FromResult(ledger), http, dispatcherUrl, out var reader))
        {
            return ExitCodes.InvalidInput;
        }

        if (await FindAsync(reader, batchId, ct) is not { } before)
        {
            await Console.Error.WriteLineAsync($"error: batch '{batchId}' is not known to the dispatcher nor in the ledger {ledger.Location}");
            return ExitCodes.InvalidInput;
        }

        if (_refusal(before) is { } refusal)
        {
            var already = refusal.StartsWith("already", StringComparison.Ordinal);
            await (already ? Console.Out : Console.Error).WriteLineAsync($"{(already ? "note" : "error")}: batch {batchId} is {refusal}; nothing was sent.");
            Console.WriteLine(Describe(before));
            return already ? ExitCodes.Ok : ExitCodes.Failed;
        }

        // An embedded run serves no broker and no API: it takes the command from the ledger file.
        var embedded = LedgerRunLock.IsHeld(ledger.FilePath);
        if (embedded)
        {
            await ledger.RecordBatchRequestAsync(batchId, _verb, reason, ct);
        }
        else if ((configuration.GetSection(TransportOptions.Section).Get<TransportOptions>()?.Kind ?? TransportKind.InMemory) != TransportKind.RabbitMq)
        {
            await Console.Error.WriteLineAsync(
                $"error: no dispatcher is running for the ledger {ledger.Location}: no `run` holds it ({LedgerRunLock.PathFor(ledger.FilePath)} is free) " +
                $"and Transport:Kind is InMemory, so there is no broker to send the {_verb} to; nothing was sent. " +
                $"Start `run` again to resume the batch and {_verb} it from another terminal with the same --ledger or --config, " +
                "set Transport:Kind to RabbitMq (DISPATCHER_Transport__Kind=RabbitMq) for a dispatcher on a broker, " +
                "or pass --dispatcher URL with the Batch API key in DISPATCHER_API_KEY.");
            Console.WriteLine(Describe(before));
            return ExitCodes.Failed;
        }
        else
        {
            if (await IntakeCheck.ProblemAsync(configuration, ct, QueueNames.BatchControl) is { } problem)
            {
                await Console.Error.WriteLineAsync("error: " + problem);
                return ExitCodes.Failed;
            }

            await SendAsync(configFile, batchId, reason, ct);
        }

        var deadline = DateTimeOffset.UtcNow + timeout;
        var now = before;
        while (!_recorded(now.State))
        {
            if (DateTimeOffset.UtcNow >= deadline)
            {
                await Console.Error.WriteLineAsync(embedded
                    ? $"note: the {_verb} command was recorded in the ledger {ledger.Location}, but the run has not applied it within {timeout} (has it ended?); a run of this ledger applies it when it starts."
                    : $"note: the {_verb} command was sent, but the dispatcher has not recorded it within {timeout} (is it running?); it applies when the dispatcher takes it.");
                Console.WriteLine(Describe(now));
                return ExitCodes.TimedOut;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), ct);
            now = await FindAsync(reader, batchId, ct) ?? now;
        }

        Console.WriteLine(Describe(now));
        return ExitCodes.Ok;
    }

    private async Task SendAsync(string? configFile, string batchId, string? reason, CancellationToken ct)
    {
        using var bus = SubmitterHosts.Producer(configFile);
        await bus.StartAsync(ct);
        try
        {
            // The exchange: the dispatcher declares the queue (single-active), as for the intake.
            var control = await bus.Services.GetRequiredService<IBus>().GetSendEndpoint(new Uri("exchange:" + QueueNames.BatchControl));
            await control.Send(_message(batchId, reason), ct);
        }
        finally
        {
            await bus.StopAsync(CancellationToken.None);
        }
    }

    private async Task<int> RemoteAsync(string batchId, string dispatcherUrl, Microsoft.Extensions.Configuration.IConfiguration configuration, string? reason, CancellationToken ct)
    {
        using var api = BatchApiClient.TryCreate(dispatcherUrl, configuration, out var problem);
        if (api is null)
        {
            await Console.Error.WriteLineAsync("error: " + problem);
            return ExitCodes.InvalidInput;
        }

        var (status, body) = await api.ControlAsync(batchId, _verb, reason, ct);
        switch ((int)status)
        {
            case 200:
                Console.WriteLine(RemoteBatch.Describe(body));
                // The dispatcher waits a little for the command to show in the batch's state.
                return _recorded(body.GetProperty("status").GetString() ?? "") ? ExitCodes.Ok : ExitCodes.TimedOut;
            case 404:
                await Console.Error.WriteLineAsync($"error: batch '{batchId}' is not known to the dispatcher at {dispatcherUrl}");
                return ExitCodes.InvalidInput;
            default:
                await Console.Error.WriteLineAsync("error: " + BatchApiClient.Message(body));
                return ExitCodes.Failed;
        }
    }

    private static async Task<BatchRow?> FindAsync(StatusReader reader, string batchId, CancellationToken ct) =>
        (await reader.ReadAsync(batchId, ct)).Status.Batches.Recent.FirstOrDefault(b => b.Id == batchId);
}
