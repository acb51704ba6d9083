using System.CommandLine;

namespace Dispatcher.Submitter.Cli;

/// <summary>Options several commands share.</summary>
internal static class CommonOptions
{
    public static Option<string?> Config() => new("--config")
    {
        Description = "A JSON configuration file (catalog, transport, ledger) layered over the shipped defaults. Also DISPATCHER_CONFIG.",
    };

    public static Option<string?> Ledger() => new("--ledger")
    {
        Description = "Path of the SQLite ledger file (default: Ledger:Path from configuration, data/ledger.db).",
    };

    public static Option<string?> Dispatcher() => new("--dispatcher")
    {
        Description = "Address of the dispatcher's HTTP endpoint for live status (default: Monitoring:DispatcherUrl from configuration, else http://127.0.0.1:5080/). When it does not answer, status comes from the ledger and the RabbitMQ management API.",
    };

    public static Option<string> Out() => new("--out")
    {
        Description = "Folder the results files are written to.",
        DefaultValueFactory = _ => "out",
    };

    public static Option<int> Priority() => new("--priority")
    {
        Description = "Priority of every job in the batch: higher runs first when capacity is scarce (0-9 also orders the broker's queue).",
    };

    public static Option<string?> Tenant() => new("--tenant")
    {
        Description = "The tenant every job of the batch is billed to: its spend caps apply (Catalog:Tenants).",
    };

    public static Argument<FileInfo> BatchFile() => new("file")
    {
        Description = "A JSONL file in the OpenAI Batch input format (custom_id, method, url, body per line).",
    };
}
