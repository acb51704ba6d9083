using System.CommandLine;
using Dispatcher.Submitter.Cli;

var root = new RootCommand("Submit LLM completion jobs and batches, follow them, and collect their results.")
{
    RunCommand.Create(),
    SubmitCommand.Create(),
    PublishCommand.Create(),
    StatusCommand.Create(),
    WatchCommand.Create(),
    ResultsCommand.Create(),
    ConsumeCommand.Create(),
    QueuesCommand.Create(),
    DeadLettersCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
