using Dispatcher.Ledger;

namespace Dispatcher.Tests.Ledger;

public sealed class LedgerOptionsValidatorTests
{
    private readonly LedgerOptionsValidator _validator = new();

    [Fact]
    public void Validate_SqliteDefault_Succeeds() =>
        _validator.Validate(null, new LedgerOptions()).Succeeded.ShouldBeTrue();

    [Fact]
    public void Validate_PostgresWithoutConnectionString_FailsNamingTheKey()
    {
        var result = _validator.Validate(null, new LedgerOptions { Provider = LedgerProvider.Postgres });

        result.Failed.ShouldBeTrue();
        result.FailureMessage.ShouldStartWith("Ledger:ConnectionString: required when Ledger:Provider is Postgres");
    }

    [Fact]
    public void Validate_PostgresConnectionStringUnreadable_FailsNamingTheKeyWithoutQuotingIt()
    {
        var result = _validator.Validate(null, new LedgerOptions { Provider = LedgerProvider.Postgres, ConnectionString = "Host=db;Port=notaport;Password=hunter2-secret" });

        result.Failed.ShouldBeTrue();
        result.FailureMessage.ShouldStartWith("Ledger:ConnectionString: not a valid PostgreSQL connection string");
        result.FailureMessage.ShouldNotContain("hunter2-secret");
    }

    [Fact]
    public void Validate_PostgresConnectionStringWithoutHost_FailsNamingTheKey()
    {
        var result = _validator.Validate(null, new LedgerOptions { Provider = LedgerProvider.Postgres, ConnectionString = "Database=ledger;Username=dispatcher" });

        result.FailureMessage.ShouldBe("Ledger:ConnectionString: names no Host");
    }

    [Fact]
    public void Validate_PostgresConnectionString_Succeeds() =>
        _validator.Validate(null, new LedgerOptions { Provider = LedgerProvider.Postgres, ConnectionString = "Host=127.0.0.1;Database=ledger;Username=dispatcher" })
            .Succeeded.ShouldBeTrue();

    [Fact]
    public void Validate_UnknownProvider_FailsNamingTheKey() =>
        _validator.Validate(null, new LedgerOptions { Provider = (LedgerProvider)7 }).FailureMessage.ShouldStartWith("Ledger:Provider: must be Sqlite or Postgres");
}
