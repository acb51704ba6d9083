using System.ComponentModel.DataAnnotations;
using Dispatcher.Catalog.Availability;
using Dispatcher.Contracts;
using Microsoft.Extensions.Options;

namespace Dispatcher.Catalog;

/// <summary>
/// Validates the catalog at start-up. Every message names the configuration key at fault
/// (for example <c>Catalog:Deployments:2:Rpm</c>) so a user can find it in their file.
/// </summary>
public sealed class CatalogValidator(Func<string, string?> environment) : IValidateOptions<CatalogOptions>
{
    /// <summary>Creates a validator that reads API key variables from the process environment.</summary>
    public CatalogValidator() : this(Environment.GetEnvironmentVariable)
    {
    }

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, CatalogOptions options)
    {
        var errors = new List<string>();
        if (options.Deployments.Count == 0)
        {
            errors.Add($"{CatalogOptions.Section}:Deployments: at least one deployment is required.");
        }

        if (options.QuotaWindow <= TimeSpan.Zero)
        {
            errors.Add($"{CatalogOptions.Section}:QuotaWindow: must be positive, got {options.QuotaWindow}.");
        }

        if (options.QuotaWindowPadding is < 0 or > 1)
        {
            errors.Add($"{CatalogOptions.Section}:QuotaWindowPadding: must be between 0 and 1, got {options.QuotaWindowPadding}.");
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Deployments.Count; i++)
        {
            var d = options.Deployments[i];
            var key = $"{CatalogOptions.Section}:Deployments:{i}";
            AddAnnotationErrors(d, key, errors);
            AddAnnotationErrors(d.Simulation, key + ":Simulation", errors);
            AddAnnotationErrors(d.Breaker, key + ":Breaker", errors);
            if (!string.IsNullOrEmpty(d.Id) && !ids.Add(d.Id))
            {
                errors.Add($"{key}:Id: duplicate deployment id '{d.Id}'.");
            }

            if (d.Simulation is { OutageAfterSeconds: not null, OutageStartsAt: not null })
            {
                errors.Add($"{key}:Simulation:OutageStartsAt: set either OutageStartsAt or OutageAfterSeconds, not both.");
            }

            if (d.Simulation.MinCompletionTokens > d.Simulation.MaxCompletionTokens)
            {
                errors.Add($"{key}:Simulation:MinCompletionTokens: must not exceed MaxCompletionTokens.");
            }

            ValidatePhases(d.Simulation.Phases, key + ":Simulation:Phases", errors);

            if (d.Budget is not null)
            {
                AddAnnotationErrors(d.Budget, key + ":Budget", errors);
            }

            AvailabilitySchedule.Compile(d.Availability, key + ":Availability", errors);
            ValidateProvider(d, key, errors);
            ValidateLimits(d, key, errors);
            ValidateEndpoints(d, key, errors);
            if (d.Tokenizer is not null && Tokens.TokenizerNames.Normalize(d.Tokenizer) is null)
            {
                errors.Add($"{key}:Tokenizer: unknown tokenizer '{d.Tokenizer}'; known: {string.Join(", ", Tokens.TokenizerNames.Names)}.");
            }
        }

        var groups = options.Deployments.Select(d => d.ModelGroup).ToHashSet(StringComparer.Ordinal);
        var named = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.ModelGroups.Count; i++)
        {
            var g = options.ModelGroups[i];
            var key = $"{CatalogOptions.Section}:ModelGroups:{i}";
            AddAnnotationErrors(g, key, errors);
            if (!named.Add(g.Name))
            {
                errors.Add($"{key}:Name: model group '{g.Name}' is configured twice.");
            }

            if (!groups.Contains(g.Name))
            {
                errors.Add($"{key}:Name: model group '{g.Name}' has no deployment.");
            }

            if (g.Budget is not null)
            {
                AddAnnotationErrors(g.Budget, key + ":Budget", errors);
            }

            if (!StrategyNames.IsKnown(g.Strategy))
            {
                errors.Add($"{key}:Strategy: unknown strategy '{g.Strategy}'; known: {string.Join(", ", StrategyNames.Names)}.");
            }

            if (g.AdaptiveWindow <= TimeSpan.Zero)
            {
                errors.Add($"{key}:AdaptiveWindow: must be positive, got {g.AdaptiveWindow}.");
            }

            AddAnnotationErrors(g.Retry, key + ":Retry", errors);
            AddAnnotationErrors(g.Breaker, key + ":Breaker", errors);
            foreach (var (kind, retry) in g.Retry.Kinds)
            {
                if (!Enum.TryParse<ErrorKind>(kind, ignoreCase: true, out var parsed) || parsed == ErrorKind.None || int.TryParse(kind, out _))
                {
                    errors.Add($"{key}:Retry:Kinds:{kind}: unknown error kind; known: {string.Join(", ", Enum.GetNames<ErrorKind>().Where(n => n != nameof(ErrorKind.None)))}.");
                }

                AddAnnotationErrors(retry, $"{key}:Retry:Kinds:{kind}", errors);
            }

            CheckGroupNames(g.Fallbacks, key + ":Fallbacks", "fallback", groups, errors);
            CheckGroupNames(g.ContextWindowFallbacks, key + ":ContextWindowFallbacks", "context window fallback", groups, errors);
        }

        Rules.RoutingRuleValidator.Validate(options, errors);

        var tenants = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Tenants.Count; i++)
        {
            var t = options.Tenants[i];
            var key = $"{CatalogOptions.Section}:Tenants:{i}";
            AddAnnotationErrors(t, key, errors);
            if (t.Budget is not null)
            {
                AddAnnotationErrors(t.Budget, key + ":Budget", errors);
            }

            if (!tenants.Add(t.Name))
            {
                errors.Add($"{key}:Name: tenant '{t.Name}' is configured twice.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    // Phases follow one another, so each must begin after the one before it.
    private static void ValidatePhases(List<SimulationPhase> phases, string key, List<string> errors)
    {
        for (var p = 0; p < phases.Count; p++)
        {
            AddAnnotationErrors(phases[p], $"{key}:{p}", errors);
            if (p > 0 && phases[p].AfterSeconds <= phases[p - 1].AfterSeconds)
            {
                errors.Add($"{key}:{p}:AfterSeconds: must be later than phase {p - 1}'s ({phases[p - 1].AfterSeconds}), got {phases[p].AfterSeconds}.");
            }
        }
    }

    private static void CheckGroupNames(List<string> names, string key, string what, HashSet<string> groups, List<string> errors)
    {
        for (var f = 0; f < names.Count; f++)
        {
            if (!groups.Contains(names[f]))
            {
                errors.Add($"{key}:{f}: {what} names model group '{names[f]}', which has no deployment.");
            }
        }
    }

    private void ValidateProvider(DeploymentOptions d, string key, List<string> errors)
    {
        if (d.Provider == ProviderKind.Simulated)
        {
            return;
        }

        if (d.Provider == ProviderKind.Anthropic && string.IsNullOrWhiteSpace(d.ApiKeyVariable))
        {
            errors.Add($"{key}:ApiKeyVariable: required for provider {d.Provider}: name the environment variable that holds the key.");
        }

        // An OpenAI-compatible self-hosted server (BaseUrl set) may need no key at all.
        if (d.Provider == ProviderKind.OpenAI && d.BaseUrl is null && string.IsNullOrWhiteSpace(d.ApiKeyVariable))
        {
            errors.Add($"{key}:ApiKeyVariable: required for provider {d.Provider} without a BaseUrl.");
        }

        if (!string.IsNullOrWhiteSpace(d.ApiKeyVariable) && string.IsNullOrEmpty(environment(d.ApiKeyVariable)))
        {
            errors.Add($"{key}:ApiKeyVariable: environment variable '{d.ApiKeyVariable}' is not set.");
        }

        if (d.BaseUrl is { IsAbsoluteUri: false })
        {
            errors.Add($"{key}:BaseUrl: must be an absolute URL.");
        }
    }

    // Each limit model needs the limits it is defined by; input and output limits belong to the
    // Anthropic model alone, as no other provider counts them apart.
    private static void ValidateLimits(DeploymentOptions d, string key, List<string> errors)
    {
        var model = d.EffectiveLimitModel;
        if (!Enum.IsDefined(model))
        {
            errors.Add($"{key}:LimitModel: unknown limit model '{model}'; known: {string.Join(", ", Enum.GetNames<LimitModel>())}.");
            return;
        }

        switch (model)
        {
            case LimitModel.Anthropic:
                Require(d.InputTpm, "InputTpm", "input tokens per minute");
                Require(d.OutputTpm, "OutputTpm", "output tokens per minute");
                break;
            case LimitModel.Azure:
                Require(d.Tpm, "Tpm", "the tokens per minute Azure assigned (its requests per minute follow: 6 per 1,000)");
                break;
            case LimitModel.Concurrency:
                Require(d.MaxConcurrent, "MaxConcurrent", "the most calls the server takes at once");
                break;
        }

        if (model != LimitModel.Anthropic)
        {
            Forbid(d.InputTpm, "InputTpm");
            Forbid(d.OutputTpm, "OutputTpm");
        }

        void Require(int? value, string name, string what)
        {
            if (value is null)
            {
                errors.Add($"{key}:{name}: required for the {model} limit model: {what}.");
            }
        }

        void Forbid(int? value, string name)
        {
            if (value is not null)
            {
                errors.Add($"{key}:{name}: only the Anthropic limit model counts input and output tokens apart; this deployment follows the {model} model.");
            }
        }
    }

    private static void ValidateEndpoints(DeploymentOptions d, string key, List<string> errors)
    {
        if (d.Endpoints is null)
        {
            return;
        }

        for (var i = 0; i < d.Endpoints.Count; i++)
        {
            var url = d.Endpoints[i];
            if (Endpoints.Normalize(url) is null || string.IsNullOrWhiteSpace(url))
            {
                errors.Add($"{key}:Endpoints:{i}: unknown endpoint '{url}'; known: {Endpoints.List(Endpoints.All)}.");
            }
            else if (d.Provider == ProviderKind.Anthropic && url != Endpoints.ChatCompletions)
            {
                // The Anthropic adapter translates chat completions to the Messages API; Anthropic
                // has no embeddings, moderations or Responses API to translate the others to.
                errors.Add($"{key}:Endpoints:{i}: provider Anthropic serves only {Endpoints.ChatCompletions}, not {url}.");
            }
        }
    }

    private static void AddAnnotationErrors(object instance, string key, List<string> errors)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(instance, new ValidationContext(instance), results, validateAllProperties: true);
        foreach (var result in results)
        {
            var member = result.MemberNames.FirstOrDefault();
            errors.Add($"{key}{(member is null ? "" : ":" + member)}: {result.ErrorMessage}");
        }
    }
}
