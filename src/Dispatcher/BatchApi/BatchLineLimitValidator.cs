using Dispatcher.Batches;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Dispatcher.BatchApi;

/// <summary>
/// Checks <c>Batches:MaxLineBytes</c> with the Batch API's options, so a bad value stops the
/// dispatcher at start-up naming the key instead of failing every upload.
/// </summary>
internal sealed class BatchLineLimitValidator(IConfiguration configuration) : IValidateOptions<BatchApiOptions>
{
    public ValidateOptionsResult Validate(string? name, BatchApiOptions options)
    {
        try
        {
            BatchFileLimits.From(configuration);
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException e)
        {
            return ValidateOptionsResult.Fail(e.Message);
        }
    }
}
