using Microsoft.Extensions.Options;

namespace Dispatcher.Ledger;

/// <summary>
/// Checks the <c>Ledger</c> section at start-up, naming the offending key: with PostgreSQL, a
/// connection string that reads and names a host. Messages never quote the connection string.
/// </summary>
public sealed class LedgerOptionsValidator : IValidateOptions<LedgerOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, LedgerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Provider is not (LedgerProvider.Sqlite or LedgerProvider.Postgres))
        {
            return ValidateOptionsResult.Fail($"{LedgerOptions.Section}:{nameof(LedgerOptions.Provider)}: must be {LedgerProvider.Sqlite} or {LedgerProvider.Postgres}, got {options.Provider}");
        }

        if (options.Provider == LedgerProvider.Postgres)
        {
            try
            {
                PostgresDialect.Parse(options.ConnectionString);
            }
            catch (InvalidOperationException e)
            {
                return ValidateOptionsResult.Fail(e.Message);
            }
        }

        return ValidateOptionsResult.Success;
    }
}
