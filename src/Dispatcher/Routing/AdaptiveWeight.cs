using System.Globalization;

namespace Dispatcher.Routing;

/// <summary>
/// A deployment's routing weight under <c>weighted-adaptive</c> and what it was worked out from.
/// </summary>
/// <param name="Weight">The weight routing draws by: <see cref="Prior"/> times its health relative to the group's healthiest, never below the floor.</param>
/// <param name="Prior">The configured <c>Weight</c>, which the weight equals with no recent outcome.</param>
/// <param name="SuccessRate">Successes among the recent outcomes that count (0..1); null with none in the window.</param>
/// <param name="TokensPerSecond">Output tokens per second of provider time over the recent successes; null with none.</param>
public readonly record struct AdaptiveWeight(double Weight, double Prior, double? SuccessRate, double? TokensPerSecond)
{
    /// <summary>The weight with what it came from, for a decision's reason: "0.71 of weight (prior 1, success 0.98, 412 tok/s)".</summary>
    public override string ToString()
    {
        var inv = CultureInfo.InvariantCulture;
        var basis = SuccessRate is not { } success
            ? "no recent outcomes"
            : TokensPerSecond is { } speed
                ? string.Format(inv, "success {0:0.##}, {1:0} tok/s", success, speed)
                : string.Format(inv, "success {0:0.##}", success);
        return string.Format(inv, "{0:0.###} of weight (prior {1:0.###}, {2})", Weight, Prior, basis);
    }
}
