using Dispatcher.Bench.Processes;

namespace Dispatcher.Bench.Faults;

/// <summary>
/// The product programs one run started, each with a log file of its own in the run's folder.
/// A kill ends one of them by its pid (SIGKILL, as <c>kill -9</c>); disposing ends every one
/// still running, and nothing the run did not start.
/// </summary>
internal sealed class ProgramSet(IReadOnlyDictionary<string, string> variables, string folder, RepoLayout repo) : IAsyncDisposable
{
    private readonly List<ChildProgram> _programs = [];

    /// <summary>The programs of a fault run, in its environment and folder.</summary>
    public ProgramSet(FaultEnvironment env, RepoLayout repo)
        : this(env.Variables, env.Folder, repo)
    {
    }

    /// <summary>Starts one of the src programs (Dispatcher.Host, Workers.Host, Submitter) with the run's environment.</summary>
    public ChildProgram Start(string name, string project, params string[] args)
    {
        var program = ChildProgram.Start(name, repo.Program(project), variables, args, Path.Combine(folder, $"{name}-{_programs.Count}.log"));
        _programs.Add(program);
        return program;
    }

    /// <summary>Kills <paramref name="program"/> with SIGKILL and waits for it to be gone.</summary>
    public static ValueTask KillAsync(ChildProgram program) => program.DisposeAsync();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var program in _programs)
        {
            await program.DisposeAsync();
        }
    }
}
