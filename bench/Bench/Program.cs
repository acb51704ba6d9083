using System.CommandLine;
using Dispatcher.Bench.Cli;

var root = new RootCommand(
    "Benchmarks of the dispatcher: pipeline throughput against a raw broker baseline, bulk submit memory and speed, the embedded run's memory and speed, " +
    "routing under enforced quotas, a weighted-adaptive group through a deployment's degradation and recovery, reliability under crashes and a broker restart, a batch under random faults (chaos), micro-benchmarks, and prompt-token estimates against reference counts. Broker benchmarks start a private RabbitMQ node on loopback and stop it at the end.")
{
    PipelineCommand.Create(),
    LatencyCommand.Create(),
    RawCommand.Create(),
    WorkerSdkCommand.Create(),
    WorkerSdkCommand.Stub(),
    BulkCommand.Create(),
    EmbeddedCommand.Create(),
    QuotaCommand.Create(),
    AdaptiveCommand.Create(),
    ReliabilityCommand.Create(),
    ChaosCommand.Create(),
    MicroCommand.Create(),
    TokensCommand.Create(),
    AllCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
