using System.CommandLine;
using Dispatcher.ServiceDefaults.Shutdown;
using Dispatcher.Submitter.Cli;

var root = new RootCommand("Submit LLM completion jobs and batches, follow them, and collect their results.")
{
    RunCommand.Create(),
    ValidateCommand.Create(),
    SubmitCommand.Create(),
    PublishCommand.Create(),
    ListCommand.Create(),
    StatusCommand.Create(),
    WatchCommand.Create(),
    ResultsCommand.Create(),
    ConsumeCommand.Create(),
    QueuesCommand.Create(),
    DeadLettersCommand.Create(),
    CancelCommand.Create(),
    PauseCommand.Create(),
    ResumeCommand.Create(),
};
// On Ctrl+C or SIGTERM a command's token is cancelled and the command stops by itself, within
// Shutdown:GracePeriod for the embedded pipeline of `run`; the process is ended regardless only
// once the longest grace has passed.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = ShutdownOptions.LongestGracePeriod + TimeSpan.FromSeconds(15) });
