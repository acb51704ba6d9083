using System.Globalization;
using System.Text.Json;
using Dispatcher.Consumers;

namespace Dispatcher.BatchApi;

/// <summary>
/// The tenant and priority every job of a batch carries, this dispatcher's extension of
/// <c>POST /v1/batches</c> (OpenAI's call has neither): the optional body fields <c>"tenant"</c>
/// (a name, as <c>submit --tenant</c> takes it: the tenant's spend caps, fair share and region
/// rules apply) and <c>"priority"</c> (an integer, as <c>submit --priority</c>: higher runs first
/// when capacity is scarce). Neither is needed; without them the jobs have no tenant and priority 0.
/// </summary>
internal static class BatchTenancy
{
    /// <summary>The longest tenant name taken, in characters.</summary>
    public const int MaxTenantLength = 256;

    /// <summary>The tenant (null for none) and priority the request gives, or the field at fault and why.</summary>
    public static (string? Tenant, int Priority, string? Param, string? Problem) Read(CreateBatchRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        string? tenant = null;
        if (request.Tenant is { ValueKind: not JsonValueKind.Null } given)
        {
            if (given.ValueKind != JsonValueKind.String)
            {
                return (null, 0, "tenant", $"'tenant' must be a string, got {given.ValueKind}.");
            }

            tenant = given.GetString()!.Trim();
            if (tenant.Length == 0)
            {
                return (null, 0, "tenant", "'tenant' must not be blank; leave it out for none.");
            }

            if (tenant.Length > MaxTenantLength)
            {
                return (null, 0, "tenant", Invariant($"'tenant' is {tenant.Length} characters, at most {MaxTenantLength} are allowed."));
            }
        }

        var priority = 0;
        if (request.Priority is { ValueKind: not JsonValueKind.Null } number
            && (number.ValueKind != JsonValueKind.Number || !number.TryGetInt32(out priority)
                || priority is < -SubmitCompletionConsumer.MaxPriority or > SubmitCompletionConsumer.MaxPriority))
        {
            return (null, 0, "priority", Invariant(
                $"'priority' must be an integer from -{SubmitCompletionConsumer.MaxPriority} to {SubmitCompletionConsumer.MaxPriority}, got {number.GetRawText()}."));
        }

        return (tenant, priority, null, null);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
