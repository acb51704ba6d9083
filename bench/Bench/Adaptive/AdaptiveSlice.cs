namespace Dispatcher.Bench.Adaptive;

/// <summary>What one time slice of the run saw.</summary>
/// <param name="Index">The slice's place in the run, from 0.</param>
/// <param name="Start">When the slice begins, from the first job published.</param>
/// <param name="Phase">The degrading deployment's phase at the slice's middle: before, degraded or recovered.</param>
/// <param name="Calls">Provider calls received in the slice, per deployment.</param>
/// <param name="FirstAttempts">First attempts of jobs received in the slice, per deployment: where new jobs were routed.</param>
/// <param name="Weights">Each deployment's adaptive weight at the slice's end.</param>
internal sealed record AdaptiveSlice(
    int Index,
    TimeSpan Start,
    string Phase,
    IReadOnlyDictionary<string, int> Calls,
    IReadOnlyDictionary<string, int> FirstAttempts,
    IReadOnlyDictionary<string, double> Weights)
{
    /// <summary>The phase of slices before the degradation.</summary>
    public const string Before = "before";

    /// <summary>The phase of slices while the deployment is degraded.</summary>
    public const string Degraded = "degraded";

    /// <summary>The phase of slices after it recovered.</summary>
    public const string Recovered = "recovered";

    /// <summary><paramref name="deployment"/>'s share of the slice's calls (0..1); 0 for a slice without calls.</summary>
    public double CallShare(string deployment) => Share(Calls, deployment);

    /// <summary><paramref name="deployment"/>'s share of the slice's first attempts (0..1).</summary>
    public double FirstAttemptShare(string deployment) => Share(FirstAttempts, deployment);

    private static double Share(IReadOnlyDictionary<string, int> counts, string deployment)
    {
        var total = counts.Values.Sum();
        return total == 0 ? 0 : (double)counts.GetValueOrDefault(deployment) / total;
    }
}
