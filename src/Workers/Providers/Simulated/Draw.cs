namespace Dispatcher.Workers.Providers.Simulated;

/// <summary>What the simulated provider drew for one call.</summary>
internal readonly record struct Draw(TimeSpan Latency, bool RateLimited, bool Failed, int CompletionTokens);
