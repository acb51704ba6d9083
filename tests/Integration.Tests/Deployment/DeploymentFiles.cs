using System.Text.Json;
using Integration.Tests.Deployment.Yaml;
using Integration.Tests.Support;

namespace Integration.Tests.Deployment;

/// <summary>The deployment files under the repository root, read once per test, with typed access to the parsed trees.</summary>
internal static class DeploymentFiles
{
    public static string Deploy => Path.Combine(RepoPaths.Root, "deploy");

    public static string ComposePath => Path.Combine(RepoPaths.Root, "docker-compose.yml");

    /// <summary>Every YAML file the checks cover: docker-compose.yml and everything under deploy/.</summary>
    public static IEnumerable<string> YamlFiles() =>
        Directory.EnumerateFiles(Deploy, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".yml", StringComparison.Ordinal) || f.EndsWith(".yaml", StringComparison.Ordinal))
            .Prepend(ComposePath)
            .Order(StringComparer.Ordinal);

    public static IEnumerable<string> JsonFiles() =>
        Directory.EnumerateFiles(Deploy, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal);

    public static IReadOnlyList<object?> ReadYaml(string path) => YamlSubset.ParseDocuments(File.ReadAllText(path));

    public static Dictionary<string, object?> Compose() => Map(ReadYaml(ComposePath).Single(), "docker-compose.yml");

    /// <summary>Every Kubernetes object under deploy/k8s, with the file it came from.</summary>
    public static IReadOnlyList<(string File, Dictionary<string, object?> Object)> KubernetesObjects() =>
        Directory.EnumerateFiles(Path.Combine(Deploy, "k8s"), "*.yaml").Order(StringComparer.Ordinal)
            .SelectMany(f => ReadYaml(f).Select(d => (Path.GetFileName(f), Map(d, f))))
            .ToList();

    public static JsonDocument Dashboard() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Deploy, "grafana", "dashboards", "dispatcher.json")));

    public static Dictionary<string, object?> Map(object? node, string what) =>
        node as Dictionary<string, object?> ?? throw new InvalidOperationException($"{what}: expected a mapping, found {node ?? "nothing"}");

    public static List<object?> Seq(object? node, string what) =>
        node as List<object?> ?? throw new InvalidOperationException($"{what}: expected a sequence, found {node ?? "nothing"}");

    public static string Str(object? node, string what) =>
        node as string ?? throw new InvalidOperationException($"{what}: expected a scalar, found {node ?? "nothing"}");

    /// <summary>Follows a path of keys; null when any step is missing.</summary>
    public static object? At(object? node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is not Dictionary<string, object?> map || !map.TryGetValue(key, out node))
            {
                return null;
            }
        }

        return node;
    }

    /// <summary>The port of a URL such as http://0.0.0.0:5080.</summary>
    public static int UrlPort(string url) => new Uri(url.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)).Port;
}
