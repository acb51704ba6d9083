using System.Data.Common;

namespace Dispatcher.Ledger;

/// <summary>
/// The writer's transaction ended under it — the engine rolled it back (a full disk, an I/O
/// error) or the server connection was lost — so none of its writes was kept. Trying the same
/// writes again is what to do (<see cref="TransientLedgerError"/>).
/// </summary>
internal sealed class LostLedgerTransactionException(string message, Exception? inner = null) : DbException(message, inner);
