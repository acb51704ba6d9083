using System.Collections.Concurrent;
using Dispatcher.Testing;

namespace Dispatcher.Tests.Ledger;

/// <summary>
/// One private PostgreSQL cluster shared by the tests of the "postgres" collection, with a database
/// per test class, created at the class's first test.
/// </summary>
/// <remarks>The class is both the collection's definition and its fixture.</remarks>
[CollectionDefinition(Name)]
public sealed class PostgresClusterFixture : IAsyncLifetime, ICollectionFixture<PostgresClusterFixture>
{
    public const string Name = "postgres";

    private readonly ConcurrentDictionary<Type, Lazy<Task<string>>> _databases = new();
    private PrivatePostgresCluster? _cluster;

    public PrivatePostgresCluster Cluster => _cluster ?? throw new InvalidOperationException("The PostgreSQL cluster has not been started.");

    /// <summary>The name of <paramref name="testClass"/>'s database, created on the first call.</summary>
    public Task<string> DatabaseForAsync(Type testClass) =>
        _databases.GetOrAdd(testClass, type => new Lazy<Task<string>>(async () =>
        {
            var name = type.Name.ToLowerInvariant();
            await Cluster.CreateDatabaseAsync(name);
            return name;
        })).Value;

    public async Task InitializeAsync() => _cluster = await PrivatePostgresCluster.StartAsync();

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}
