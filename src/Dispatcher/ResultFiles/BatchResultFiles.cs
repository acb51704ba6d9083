namespace Dispatcher.ResultFiles;

/// <summary>The two files a batch's results are written to, with their line counts.</summary>
internal sealed record BatchResultFiles(string OutputPath, long OutputLines, string ErrorPath, long ErrorLines);
