using Dispatcher.BatchApi;

namespace Dispatcher.Tests.BatchApi;

/// <summary>
/// The store contract on the folder beside a SQLite ledger. Its processes are those of one machine,
/// on one folder; a batch is finalized once by the process serving the API, so both "processes"
/// here are one store on the folder.
/// </summary>
public sealed class FolderApiStoreTests : ApiStoreContractTests
{
    private IApiStore? _store;

    protected override string LedgerPath(string process) => Dir.File("ledger.db");

    private protected override Task<IApiStore> OpenAsync(string process, ApiFolder folder) => Task.FromResult(_store ??= new FolderApiStore(folder));
}
