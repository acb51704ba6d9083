using Dispatcher.Quotas;

namespace Dispatcher.Bench.Quota;

/// <summary>
/// Samples, while a run goes on, how many attempts each deployment has reserved and not yet
/// settled (<see cref="DeploymentQuota.InFlight"/>). Until it is settled an attempt holds its
/// whole estimate (prompt estimate plus max_tokens) in the deployment's buckets and window, not
/// the tokens it will really use, so this is capacity routing cannot hand out meanwhile.
/// </summary>
internal sealed class InFlightSampler(QuotaBook quotas, IReadOnlyList<DeploymentLimit> deployments)
{
    private readonly Dictionary<string, long> _sums = deployments.ToDictionary(d => d.Id, _ => 0L, StringComparer.Ordinal);
    private readonly Dictionary<string, int> _peaks = deployments.ToDictionary(d => d.Id, _ => 0, StringComparer.Ordinal);
    private int _samples;

    /// <summary>Takes one sample of every deployment, under the quota book's lock so it is one instant.</summary>
    public void Sample()
    {
        lock (quotas.Gate)
        {
            foreach (var d in deployments)
            {
                var inFlight = quotas[d.Id].InFlight;
                _sums[d.Id] += inFlight;
                _peaks[d.Id] = Math.Max(_peaks[d.Id], inFlight);
            }
        }

        _samples++;
    }

    /// <summary>The mean and the peak per deployment over the samples taken.</summary>
    public IReadOnlyDictionary<string, InFlight> Result() =>
        deployments.ToDictionary(
            d => d.Id,
            d => new InFlight(_samples == 0 ? 0 : (double)_sums[d.Id] / _samples, _peaks[d.Id], _samples),
            StringComparer.Ordinal);
}

/// <summary>Attempts reserved and not yet settled on one deployment during a run.</summary>
/// <param name="Mean">The mean over the samples.</param>
/// <param name="Peak">The most seen at once.</param>
/// <param name="Samples">How many samples were taken.</param>
internal sealed record InFlight(double Mean, int Peak, int Samples);
