using Dispatcher.Submitter.Batches;
using Spectre.Console;

namespace Dispatcher.Submitter.Cli;

/// <summary>Validates a batch file before anything is published, and reports every problem found.</summary>
internal static class BatchFileCheck
{
    /// <summary>
    /// Validates <paramref name="file"/> under the limits <paramref name="configuration"/> sets;
    /// returns them with the file's line count, or null after printing what is wrong (with the
    /// file, or with the limits' configuration).
    /// </summary>
    public static async Task<(BatchFileLimits Limits, int Lines)?> ValidateAsync(FileInfo file, Microsoft.Extensions.Configuration.IConfiguration configuration, CancellationToken ct)
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

        return await ValidateAsync(file, limits, ct) is { } lines ? (limits, lines) : null;
    }

    /// <summary>The line count of a valid file, or null after printing what is wrong with it.</summary>
    public static async Task<int?> ValidateAsync(FileInfo file, BatchFileLimits limits, CancellationToken ct)
    {
        var result = await BatchFileValidator.ValidateAsync(file.FullName, limits, ct);
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

    /// <summary>Prints a line on stderr that does not disturb a progress display on stdout.</summary>
    public static void Note(string text) => AnsiConsole.MarkupLine(Markup.Escape(text));
}
