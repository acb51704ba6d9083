using System.Xml.Linq;
using Integration.Tests.Support;

namespace Integration.Tests.Deployment;

/// <summary>
/// The solution's projects show what each deployable contains: programs are thin hosts over
/// libraries, no program references another, and a worker carries nothing of the dispatcher's
/// (no ledger, no SQLite), nor the dispatcher anything of the workers' (no provider SDKs).
/// </summary>
public sealed class ProjectLayoutTests
{
    private static readonly Dictionary<string, Project> Projects = LoadProjects();

    [Fact]
    public void Programs_ReferenceNoOtherProgram()
    {
        var programs = Projects.Values.Where(p => p.IsProgram).ToList();
        programs.Select(p => p.Name).ShouldBe(["Dispatcher.Host", "Submitter", "Workers.Host"], ignoreOrder: true);
        foreach (var program in programs)
        {
            Closure(program.Name).Where(name => name != program.Name && Projects[name].IsProgram)
                .ShouldBeEmpty($"{program.Name} references another program");
        }
    }

    [Theory]
    [InlineData("Workers.Host", "Dispatcher")]
    [InlineData("Dispatcher.Host", "Workers")]
    [InlineData("Catalog", "ServiceDefaults")]
    [InlineData("ServiceDefaults", "Catalog")]
    [InlineData("Contracts", "ServiceDefaults")]
    public void Project_DoesNotCarry_AnotherRolesLibrary(string project, string absent) =>
        Closure(project).ShouldNotContain(absent);

    [Theory]
    [InlineData("Workers.Host", "Microsoft.Data.Sqlite")]
    [InlineData("Workers.Host", "Dapper")]
    [InlineData("Dispatcher.Host", "OpenAI")]
    [InlineData("Dispatcher.Host", "Anthropic")]
    public void Program_DoesNotCarry_APackageOfAnotherRole(string program, string package) =>
        Closure(program).SelectMany(p => Projects[p].Packages).ShouldNotContain(package);

    [Theory]
    [InlineData("Dispatcher.Host")]
    [InlineData("Workers.Host")]
    public void HostProgram_OnlyComposes(string program)
    {
        var code = File.ReadAllLines(Path.Combine(RepoPaths.Root, "src", program, "Program.cs"))
            .Where(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith("using ", StringComparison.Ordinal))
            .ToList();
        code.Count.ShouldBeLessThanOrEqualTo(10, string.Join('\n', code));
        Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "src", program), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(Path.GetFileName)
            .ShouldBe(["Program.cs"]);
    }

    // The project and every project it references, directly or not.
    private static HashSet<string> Closure(string name)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var next = new Stack<string>([name]);
        while (next.TryPop(out var current))
        {
            if (seen.Add(current))
            {
                foreach (var reference in Projects[current].References)
                {
                    next.Push(reference);
                }
            }
        }

        return seen;
    }

    private static Dictionary<string, Project> LoadProjects() =>
        Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "src"), "*.csproj", SearchOption.AllDirectories)
            .Select(path =>
            {
                var xml = XDocument.Load(path);
                var references = xml.Descendants("ProjectReference")
                    .Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value))
                    .ToList();
                var packages = xml.Descendants("PackageReference").Select(r => r.Attribute("Include")!.Value).ToList();
                var isProgram = xml.Descendants("OutputType").Any(o => o.Value == "Exe");
                return new Project(Path.GetFileNameWithoutExtension(path), isProgram, references, packages);
            })
            .ToDictionary(p => p.Name, StringComparer.Ordinal);

    private sealed record Project(string Name, bool IsProgram, IReadOnlyList<string> References, IReadOnlyList<string> Packages);
}
