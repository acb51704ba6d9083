namespace Dispatcher.Bench.Chaos;

/// <summary>What the chaos run did to the system.</summary>
internal enum FaultKind
{
    /// <summary>A Workers process killed with SIGKILL, and a new one started in its place.</summary>
    WorkerKilled,

    /// <summary>The Dispatcher process killed with SIGKILL, and a new one started.</summary>
    DispatcherKilled,

    /// <summary>The broker node stopped and started again on the same data directory.</summary>
    BrokerRestarted,

    /// <summary>A chunk of already-submitted lines published again: same batch, same custom ids.</summary>
    ChunkRepublished,
}
