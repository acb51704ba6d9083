using System.Globalization;
using Dispatcher.Catalog;
using Dispatcher.Ledger;
using Dispatcher.ServiceDefaults.Messaging;
using Microsoft.Extensions.Options;

namespace Dispatcher.Standby;

/// <summary>
/// Checks the <c>Dispatcher</c> section at start-up, naming the offending key: the number of
/// shares, the preferred ones, the join delay, what several shares need (RabbitMQ, the ledger on
/// PostgreSQL) and the model groups' share assignment.
/// </summary>
public sealed class StandbyOptionsValidator(IOptions<CatalogOptions> catalog, IOptions<TransportOptions> transport, IOptions<LedgerOptions> ledger)
    : IValidateOptions<StandbyOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, StandbyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string Section = StandbyOptions.Section;
        var errors = new List<string>();
        if (options.Shares < 1)
        {
            return ValidateOptionsResult.Fail(Invariant($"{Section}:{nameof(StandbyOptions.Shares)}: must be at least 1, got {options.Shares}"));
        }

        for (var i = 0; i < options.PreferredShares.Count; i++)
        {
            if (options.PreferredShares[i] < 0 || options.PreferredShares[i] >= options.Shares)
            {
                errors.Add(Invariant($"{Section}:{nameof(StandbyOptions.PreferredShares)}:{i}: must be between 0 and {options.Shares - 1}, got {options.PreferredShares[i]}"));
            }
        }

        if (options.StandbyJoinDelay < TimeSpan.Zero)
        {
            errors.Add(Invariant($"{Section}:{nameof(StandbyOptions.StandbyJoinDelay)}: must not be negative, got {options.StandbyJoinDelay}"));
        }

        if (options.BalanceInterval <= TimeSpan.Zero)
        {
            errors.Add(Invariant($"{Section}:{nameof(StandbyOptions.BalanceInterval)}: must be positive, got {options.BalanceInterval}"));
        }

        if (options.Shares > 1)
        {
            if (transport.Value.Kind != TransportKind.RabbitMq)
            {
                errors.Add(Invariant($"{Section}:{nameof(StandbyOptions.Shares)}: {options.Shares} shares need Transport:Kind {TransportKind.RabbitMq} (single-active queues decide each share's owner), got {transport.Value.Kind}"));
            }

            if (ledger.Value.Provider != LedgerProvider.Postgres)
            {
                errors.Add(Invariant($"{Section}:{nameof(StandbyOptions.Shares)}: {options.Shares} shares need Ledger:Provider {LedgerProvider.Postgres} (the shared ledger fences each share's owner), got {ledger.Value.Provider}"));
            }

            if (!options.SingleActiveConsumer)
            {
                errors.Add(Invariant($"{Section}:{nameof(StandbyOptions.SingleActiveConsumer)}: must be true with {options.Shares} shares, as the broker's single-active consumers decide which process routes each share"));
            }

            ShareAssignment.Create(catalog.Value, options.Shares, errors);
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
