using System.Diagnostics;
using System.Text.Json;
using Integration.Tests.Support;

namespace Integration.Tests.Embedded;

// A second client: the official `openai` npm package from Node, pointed at the dispatcher. test.sh
// installs Node and npm from Debian's packages; the test installs the package into a temp folder.
public sealed class BatchApiNodeTests
{
    private const string KeyVariable = "BATCH_API_NODE_TEST_KEY";
    private const string Key = "sk-batch-api-node-test-0123456789";

    // Pinned: the last major that runs on Debian's Node 20 (7.x needs Node 22).
    private const string Package = "openai@6.30.1";

    [Fact]
    public async Task OpenAiNodeSdk_UploadCreatePollDownloadList_Works()
    {
        System.Environment.SetEnvironmentVariable(KeyVariable, Key);
        await using var pipeline = await MonitoredPipeline.StartAsync(
            new { Deployments = new[] { EmbeddedPipeline.Simulated("east"), EmbeddedPipeline.Simulated("west") } },
            new Dictionary<string, string?> { ["BatchApi:KeyVariable"] = KeyVariable });
        var folder = await InstallAsync();
        var script = Path.Combine(folder, "batch-api.mjs");
        File.Copy(Path.Combine(RepoPaths.Root, "tests", "Integration.Tests", "Node", "batch-api.mjs"), script, overwrite: true);

        var (exit, output) = await RunAsync("node", folder, new() { ["DISPATCHER_BASE_URL"] = new Uri(pipeline.BaseAddress, "v1").AbsoluteUri, ["DISPATCHER_API_KEY"] = Key }, script);

        exit.ShouldBe(0, output);
        var result = JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement;
        result.GetProperty("status").GetString().ShouldBe("completed");
        result.GetProperty("counts").GetProperty("total").GetInt32().ShouldBe(10);
        result.GetProperty("counts").GetProperty("completed").GetInt32().ShouldBe(10);
        result.GetProperty("metadata").GetProperty("client").GetString().ShouldBe("node");
        result.GetProperty("outputIds").EnumerateArray().Select(e => e.GetString()).ShouldBe(Enumerable.Range(1, 10).Select(i => $"node-{i}"), ignoreOrder: true);
        result.GetProperty("listed").EnumerateArray().Select(e => e.GetString()).ShouldContain(result.GetProperty("batchId").GetString());
        result.GetProperty("unauthorized").GetInt32().ShouldBe(401);
    }

    // The package in a folder of its own under the temp folder, installed once per machine.
    private static async Task<string> InstallAsync()
    {
        var folder = Path.Combine(Path.GetTempPath(), "dispatcher-tests-" + Package.Replace('@', '-'));
        if (!File.Exists(Path.Combine(folder, "node_modules", "openai", "package.json")))
        {
            Directory.CreateDirectory(folder);
            var (exit, output) = await RunAsync("npm", folder, [], "install", "--no-audit", "--no-fund", "--prefix", folder, Package);
            exit.ShouldBe(0, $"npm install {Package} failed (./test.sh installs Node and npm):\n{output}");
        }

        return folder;
    }

    private static async Task<(int Exit, string Output)> RunAsync(string program, string folder, Dictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo(program) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{program} is not installed; ./test.sh installs Node and npm from Debian's packages", e);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, await stdout + await stderr);
        }
    }
}
