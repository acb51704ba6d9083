using Dispatcher.BatchApi;

namespace Dispatcher.Tests.BatchApi;

/// <summary>
/// The store contract on the folder beside a SQLite ledger: its processes are those of one machine,
/// sharing the folder beside the ledger file they share.
/// </summary>
public sealed class FolderApiStoreTests : ApiStoreContractTests
{
    protected override string LedgerPath(string process) => Dir.File("ledger.db");

    private protected override Task<IApiStore> OpenAsync(string process, ApiFolder folder) => Task.FromResult<IApiStore>(new FolderApiStore(folder, TimeProvider.System));
}
