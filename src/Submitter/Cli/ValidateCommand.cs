using System.CommandLine;
using Dispatcher.Submitter.Hosting;

namespace Dispatcher.Submitter.Cli;

/// <summary>
/// <c>validate FILE</c>: the check <c>submit</c> and <c>run</c> make before publishing anything, alone:
/// nothing is published and no broker or ledger is needed.
/// </summary>
internal static class ValidateCommand
{
    public static Command Create()
    {
        var file = CommonOptions.BatchFile();
        var config = CommonOptions.Config();
        var command = new Command("validate", "Check a JSONL batch file as submit and run do, without publishing anything.") { file, config };
        command.SetAction(async (parse, ct) =>
        {
            var path = parse.GetRequiredValue(file);
            if (await BatchFileCheck.ValidateAsync(path, SubmitterHosts.LoadConfiguration(parse.GetValue(config)), ct) is not (_, var lines))
            {
                return ExitCodes.InvalidInput;
            }

            Console.WriteLine($"{path.FullName}: {lines} requests, valid");
            return ExitCodes.Ok;
        });
        return command;
    }
}
