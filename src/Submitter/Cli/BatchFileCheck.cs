using Dispatcher.Catalog;
using Dispatcher.Batches;
using Microsoft.Extensions.Configuration;
using Spectre.Console;

namespace Dispatcher.Submitter.Cli;

/// <summary>Validates a batch file before anything is published, and reports every problem found.</summary>
internal static class BatchFileCheck
{
    /// <summary>
    /// Validates <paramref name="file"/> under the limits <paramref name="configuration"/> sets;
    /// returns them with the file's line count, or null after printing what is wrong (with the
    /// file, or with the limits' configuration). With <paramref name="againstCatalog"/> the
    /// configuration's catalog is the one that runs the file (<c>run</c>), and a line no deployment
    /// of its group serves is rejected too; a dispatcher elsewhere (<c>submit</c>) has a catalog of
    /// its own, and its intake fails such a job instead, naming the url.
    /// </summary>
    public static async Task<(BatchFileLimits Limits, int Lines)?> ValidateAsync(
        FileInfo file, Microsoft.Extensions.Configuration.IConfiguration configuration, CancellationToken ct, bool againstCatalog = false)
    {
        BatchFileLimits limits;
        try
        {
            limits = BatchFileLimits.From(configuration);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync("error: " + e.Message);
            return null;
        }

        var coverage = againstCatalog ? Coverage(configuration) : null;
        return await ValidateAsync(file, limits, ct, coverage) is { } lines ? (limits, lines) : null;
    }

    /// <summary>The line count of a valid file, or null after printing what is wrong with it.</summary>
    public static async Task<int?> ValidateAsync(FileInfo file, BatchFileLimits limits, CancellationToken ct, EndpointCoverage? coverage = null)
    {
        var result = await BatchFileValidator.ValidateAsync(file.FullName, limits, coverage, ct);
        if (result.IsValid)
        {
            return result.Lines;
        }

        var errors = Console.Error;
        await errors.WriteLineAsync($"error: {file.FullName} was rejected; nothing was published.");
        foreach (var error in result.Errors)
        {
            await errors.WriteLineAsync("  " + error);
        }

        if (result.ErrorsTruncated)
        {
            await errors.WriteLineAsync($"  … more errors not shown (the first {result.Errors.Count} are listed)");
        }

        return null;
    }

    // A catalog that does not even bind is the pipeline's to report when it starts, naming the key.
    private static EndpointCoverage? Coverage(Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        try
        {
            return configuration.GetSection(CatalogOptions.Section).Get<CatalogOptions>() is { } catalog ? new EndpointCoverage(catalog) : null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Prints a line on stderr that does not disturb a progress display on stdout.</summary>
    public static void Note(string text) => AnsiConsole.MarkupLine(Markup.Escape(text));
}
