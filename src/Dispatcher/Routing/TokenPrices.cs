using Dispatcher.Catalog;

namespace Dispatcher.Routing;

/// <summary>
/// A deployment's prices per token in binary floating point, worked out once, to rank
/// deployments by a job's estimated cost on every decision without decimal arithmetic; spend
/// caps are checked and reserved in exact decimals instead.
/// </summary>
internal readonly struct TokenPrices(DeploymentOptions deployment)
{
    private readonly double _input = (double)deployment.InputPricePerMillion / 1_000_000;
    private readonly double _output = (double)deployment.OutputPricePerMillion / 1_000_000;

    /// <summary>The job's estimated cost: its prompt estimate and max_tokens at these prices.</summary>
    public double Cost(RoutingRequest request) =>
        (request.EstimatedPromptTokens * _input) + (request.MaxTokens * _output);
}
