using System.Diagnostics.CodeAnalysis;
using Dispatcher.Catalog;

namespace Dispatcher.Routing;

/// <summary>
/// The cost-based strategy's patience (<see cref="ModelGroupOptions.WaitForCheaper"/>): when a
/// deployment cheaper than the pick cannot take the job yet, but will within the time it earns
/// the job's reservation back at its RPM/TPM rate, the job waits for it, and the deployment is
/// held for that job meanwhile so others do not nibble at its room. A hold lapses if the job
/// does not come back within twice its expected wait. One per model group.
/// </summary>
public sealed class CheaperDeploymentHold : IDeploymentHold
{
    // How long past its expected wait a deployment stays held for a job that has not come back.
    private const double HoldGraceSeconds = 0.02;

    private readonly DeploymentOptions[] _deployments;
    private readonly TokenPrices[] _prices;
    private readonly double _windowSeconds;
    private readonly Guid[] _heldFor;
    private readonly double[] _heldUntil;

    // The decision under way: the cheapest deployment worth waiting for, if any.
    private int _best = -1;
    private double _bestSeconds;
    private double _bestCost = double.PositiveInfinity;

    /// <summary>Holds for the deployments of one group, whose limits count over <paramref name="window"/>.</summary>
    public CheaperDeploymentHold(IReadOnlyList<DeploymentOptions> deployments, TimeSpan window)
    {
        _deployments = [.. deployments];
        _prices = [.. deployments.Select(d => new TokenPrices(d))];
        _windowSeconds = window.TotalSeconds;
        _heldFor = new Guid[_deployments.Length];
        _heldUntil = new double[_deployments.Length];
    }

    /// <inheritdoc />
    public void Begin()
    {
        _best = -1;
        _bestSeconds = 0;
        _bestCost = double.PositiveInfinity;
    }

    /// <inheritdoc />
    public bool IsHeldForAnother(int index, Guid jobId, double now, out double seconds)
    {
        var held = _heldFor[index] != jobId && _heldUntil[index] > now;
        seconds = held ? _heldUntil[index] - now : 0;
        return held;
    }

    /// <inheritdoc />
    public void Consider(int index, RoutingRequest request, double seconds)
    {
        if (seconds <= RefillSeconds(index, request)
            && _prices[index].Cost(request) is var cost && cost < _bestCost)
        {
            _best = index;
            _bestSeconds = seconds;
            _bestCost = cost;
        }
    }

    /// <inheritdoc />
    public bool Waits(RoutingRequest request, int picked, double now, out double seconds, [NotNullWhen(true)] out string? reason)
    {
        if (_best < 0 || !(_bestCost < _prices[picked].Cost(request)))
        {
            seconds = 0;
            reason = null;
            return false;
        }

        // Held past the expected wait, so the job finds it still free if it comes back a little late.
        _heldFor[_best] = request.JobId;
        _heldUntil[_best] = now + (2 * _bestSeconds) + HoldGraceSeconds;
        seconds = _bestSeconds;
        reason = $"waiting {_bestSeconds:0.###} s for the cheaper {_deployments[_best].Id}";
        return true;
    }

    /// <inheritdoc />
    public void Routed(Guid jobId)
    {
        for (var i = 0; i < _heldFor.Length; i++)
        {
            if (_heldFor[i] == jobId)
            {
                _heldUntil[i] = 0;
            }
        }
    }

    // How long the deployment takes to earn back one request and the job's tokens at its limits,
    // in every dimension its limit model keeps.
    private double RefillSeconds(int index, RoutingRequest request)
    {
        var deployment = _deployments[index];
        var prompt = request.EstimatedPromptTokens;
        var output = request.MaxTokens;
        return _windowSeconds * Math.Max(
            Math.Max(Share(1, deployment.RequestsPerMinute), Share((double)prompt + output, deployment.TokensPerMinute)),
            Math.Max(Share(prompt, deployment.InputTpm), Share(output, deployment.OutputTpm)));
    }

    private static double Share(double amount, int? limit) => limit is > 0 ? amount / limit.Value : 0;
}
