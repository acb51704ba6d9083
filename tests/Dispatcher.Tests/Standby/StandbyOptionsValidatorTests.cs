using Dispatcher.Catalog;
using Dispatcher.Ledger;
using Dispatcher.ServiceDefaults.Messaging;
using Dispatcher.Standby;
using Dispatcher.Tests.Support;
using Microsoft.Extensions.Options;

namespace Dispatcher.Tests.Standby;

public sealed class StandbyOptionsValidatorTests
{
    private static readonly CatalogOptions Catalog = new()
    {
        Deployments = [Catalogs.Deployment("a1", "a"), Catalogs.Deployment("b1", "b")],
        ModelGroups = [new ModelGroupOptions { Name = "a" }, new ModelGroupOptions { Name = "b", Share = 3 }],
    };

    private static IReadOnlyList<string> Errors(StandbyOptions options, TransportKind transport = TransportKind.RabbitMq, LedgerProvider ledger = LedgerProvider.Postgres) =>
        new StandbyOptionsValidator(
                Options.Create(Catalog),
                Options.Create(new TransportOptions { Kind = transport }),
                Options.Create(new LedgerOptions { Provider = ledger }))
            .Validate(null, options).Failures?.ToList() ?? [];

    [Fact]
    public void Validate_OneShareOnTheDefaults_Succeeds() =>
        Errors(new StandbyOptions(), TransportKind.InMemory, LedgerProvider.Sqlite).ShouldBeEmpty("one share needs nothing more, and a group's Share is checked only with several");

    [Fact]
    public void Validate_SeveralSharesOnSqliteAndInMemory_NamesTheKeyForBoth()
    {
        var errors = Errors(new StandbyOptions { Shares = 4 }, TransportKind.InMemory, LedgerProvider.Sqlite);

        errors.Count.ShouldBe(2);
        errors.ShouldAllBe(e => e.StartsWith("Dispatcher:Shares: 4 shares need", StringComparison.Ordinal));
        errors.ShouldContain(e => e.Contains("Transport:Kind RabbitMq"));
        errors.ShouldContain(e => e.Contains("Ledger:Provider Postgres"));
    }

    [Fact]
    public void Validate_GroupShareBeyondTheShares_NamesTheGroupsKey() =>
        Errors(new StandbyOptions { Shares = 2 }).ShouldHaveSingleItem().ShouldStartWith("Catalog:ModelGroups:1:Share: must be between 0 and 1");

    [Fact]
    public void Validate_PreferredShareOutOfRange_NamesTheEntry() =>
        Errors(new StandbyOptions { Shares = 4, PreferredShares = [1, 4] }).ShouldHaveSingleItem().ShouldStartWith("Dispatcher:PreferredShares:1: must be between 0 and 3, got 4");

    [Theory]
    [InlineData(0)]
    [InlineData(-2)]
    public void Validate_NoShares_NamesTheKey(int shares) =>
        Errors(new StandbyOptions { Shares = shares }).ShouldHaveSingleItem().ShouldStartWith("Dispatcher:Shares: must be at least 1");

    [Fact]
    public void Validate_SeveralSharesWithoutSingleActiveConsumers_NamesTheKey() =>
        Errors(new StandbyOptions { Shares = 4, SingleActiveConsumer = false }).ShouldHaveSingleItem().ShouldStartWith("Dispatcher:SingleActiveConsumer: must be true");

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Validate_BalanceIntervalNotPositive_NamesTheKey(int seconds) =>
        Errors(new StandbyOptions { Shares = 4, BalanceInterval = TimeSpan.FromSeconds(seconds) }).ShouldHaveSingleItem().ShouldStartWith("Dispatcher:BalanceInterval: must be positive");
}
