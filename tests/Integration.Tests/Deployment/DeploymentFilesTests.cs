using System.Text;
using System.Text.Json;
using Dispatcher.Catalog;
using Integration.Tests.Support;
using Microsoft.Extensions.Configuration;
using static Integration.Tests.Deployment.DeploymentFiles;

namespace Integration.Tests.Deployment;

/// <summary>
/// The compose stack, the images, Prometheus, Grafana and the Kubernetes manifests agree with each
/// other and with the product: no Docker engine or cluster runs here, so what can be checked
/// without one is checked from the files.
/// </summary>
public sealed class DeploymentFilesTests
{
    private const int DispatcherPort = 5080;
    private const int WorkersPort = 5081;
    private const int RabbitMqPrometheusPort = 15692;

    public static TheoryData<string> YamlFileNames() => [.. YamlFiles().Select(f => Path.GetRelativePath(RepoPaths.Root, f))];

    public static TheoryData<string> JsonFileNames() => [.. JsonFiles().Select(f => Path.GetRelativePath(RepoPaths.Root, f))];

    [Theory]
    [MemberData(nameof(YamlFileNames))]
    public void YamlFile_Parses_AsWellFormedDocuments(string file)
    {
        var docs = ReadYaml(Path.Combine(RepoPaths.Root, file));
        docs.ShouldNotBeEmpty();
        docs.ShouldAllBe(d => d is Dictionary<string, object?>);
    }

    [Theory]
    [MemberData(nameof(JsonFileNames))]
    public void JsonFile_Parses(string file)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, file)));
        doc.RootElement.ValueKind.ShouldBe(JsonValueKind.Object);
    }

    [Fact]
    public void Compose_DefinesTheStack_WithScalableWorkersAndReadinessChecks()
    {
        var services = Map(Compose()["services"], "services");
        services.Keys.ShouldBeSubsetOf(["rabbitmq", "dispatcher", "workers", "submitter", "prometheus", "grafana"]);
        foreach (var required in new[] { "rabbitmq", "dispatcher", "workers", "prometheus", "grafana" })
        {
            services.ShouldContainKey(required);
        }

        Str(At(services, "rabbitmq", "image"), "rabbitmq image").ShouldBe("rabbitmq:3-management");

        var workers = Map(services["workers"], "workers");
        workers.ShouldNotContainKey("container_name");
        workers.ShouldNotContainKey("ports");

        foreach (var (name, port) in new[] { ("dispatcher", DispatcherPort), ("workers", WorkersPort) })
        {
            var service = Map(services[name], name);
            UrlPort(Str(At(service, "environment", "DISPATCHER_Urls"), $"{name} DISPATCHER_Urls")).ShouldBe(port);
            var test = Seq(At(service, "healthcheck", "test"), $"{name} healthcheck").Cast<string>().ToList();
            test.ShouldContain("/health/ready");
            test.ShouldContain(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var dockerfile = Str(At(service, "build", "dockerfile"), $"{name} dockerfile");
            File.Exists(Path.Combine(RepoPaths.Root, dockerfile)).ShouldBeTrue(dockerfile);
            Str(At(Map(services["rabbitmq"], "rabbitmq"), "healthcheck", "interval"), "rabbitmq healthcheck").ShouldNotBeEmpty();
            At(service, "depends_on", "rabbitmq", "condition").ShouldBe("service_healthy");
        }
    }

    [Fact]
    public void Compose_Secrets_ComeFromFilesNeverInline()
    {
        var compose = Compose();
        var services = Map(compose["services"], "services");
        foreach (var (name, node) in services)
        {
            if (At(node, "environment") is Dictionary<string, object?> environment)
            {
                foreach (var key in environment.Keys)
                {
                    IsSecretName(key).ShouldBeFalse($"{name}: {key} is set inline; use a compose secret or an env file");
                }
            }

            foreach (var envFile in At(node, "env_file") as List<object?> ?? [])
            {
                var path = Str(At(envFile, "path"), $"{name} env_file");
                if (path.StartsWith("deploy/secrets/", StringComparison.Ordinal))
                {
                    // Git ignores the real file; the example beside it documents its keys.
                    File.Exists(Path.Combine(RepoPaths.Root, path + ".example")).ShouldBeTrue(path + ".example");
                    continue;
                }

                foreach (var line in File.ReadAllLines(Path.Combine(RepoPaths.Root, path)).Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#')))
                {
                    IsSecretName(line[..line.IndexOf('=', StringComparison.Ordinal)]).ShouldBeFalse($"{path}: {line}");
                }
            }
        }

        foreach (var (name, secret) in Map(compose["secrets"], "secrets"))
        {
            var file = Str(At(secret, "file"), name);
            file.ShouldStartWith("./deploy/secrets/");
            File.Exists(Path.Combine(RepoPaths.Root, file + ".example")).ShouldBeTrue(file + ".example");
        }

        File.ReadAllText(Path.Combine(Deploy, "secrets", ".gitignore")).ShouldContain("!*.example");
        // The programs read the broker password from the variable the secret becomes inside the container.
        foreach (var name in new[] { "dispatcher", "workers" })
        {
            Seq(At(services, name, "secrets"), name).ShouldContain(s => At(s, "target") as string == "RABBITMQ_PASSWORD");
        }

        // The Batch API is closed without its key: the dispatcher serves it, the submitter calls it.
        foreach (var name in new[] { "dispatcher", "submitter" })
        {
            Seq(At(services, name, "secrets"), name).ShouldContain(s => At(s, "target") as string == "DISPATCHER_API_KEY");
        }
    }

    [Fact]
    public void ComposePostgres_LedgerOnThePostgresService_PasswordFromASecretOnly()
    {
        var overlay = Map(ReadYaml(Path.Combine(Deploy, "compose", "postgres.yml")).Single(), "deploy/compose/postgres.yml");
        var services = Map(overlay["services"], "services");
        var baseServices = Map(Compose()["services"], "services");
        foreach (var name in new[] { "dispatcher", "submitter" })
        {
            baseServices.ShouldContainKey(name, "the overlay changes services of docker-compose.yml");
            At(services, name, "environment", "DISPATCHER_Ledger__Provider").ShouldBe("Postgres");
            var connectionString = Str(At(services, name, "environment", "DISPATCHER_Ledger__ConnectionString"), $"{name} connection string");
            connectionString.ShouldContain("Host=postgres");
            connectionString.ShouldNotContain("Password", Case.Insensitive);
            Seq(At(services, name, "secrets"), name).ShouldContain(s => At(s, "target") as string == "LEDGER_PASSWORD");
            At(services, name, "depends_on", "postgres", "condition").ShouldBe("service_healthy");
        }

        At(services, "postgres", "environment", "POSTGRES_PASSWORD_FILE").ShouldBe("/run/secrets/ledger_password");
        var file = Str(At(overlay, "secrets", "ledger_password", "file"), "ledger_password");
        file.ShouldStartWith("./deploy/secrets/");
        File.Exists(Path.Combine(RepoPaths.Root, file + ".example")).ShouldBeTrue(file + ".example");
    }

    [Fact]
    public void ComposeRabbitMqCluster_ThreeNodesOfOneCookieSecret_EveryProgramListsThemWithQuorumQueues()
    {
        var overlay = Map(ReadYaml(Path.Combine(Deploy, "compose", "rabbitmq-cluster.yml")).Single(), "deploy/compose/rabbitmq-cluster.yml");
        var services = Map(overlay["services"], "services");
        var nodes = new[] { "rabbitmq", "rabbitmq-2", "rabbitmq-3" };
        var peers = File.ReadAllLines(Path.Combine(Deploy, "compose", "rabbitmq-cluster.conf"))
            .Where(l => l.StartsWith("cluster_formation.classic_config.nodes.", StringComparison.Ordinal))
            .Select(l => l.Split('=', 2)[1].Trim())
            .ToList();
        peers.ShouldBe(nodes.Select(n => "rabbit@" + n), "each node is named after its hostname");
        foreach (var node in nodes)
        {
            Str(At(services, node, "hostname"), node).ShouldBe(node);
            Seq(At(services, node, "secrets"), node).ShouldContain("rabbitmq_erlang_cookie");
            Seq(At(services, node, "volumes"), node).ShouldContain("./deploy/compose/rabbitmq-cluster.conf:/etc/rabbitmq/conf.d/20-cluster.conf:ro");
            Str(Seq(At(services, node, "entrypoint"), node).Last(), node).ShouldContain("install -m 600 -o rabbitmq -g rabbitmq /run/secrets/rabbitmq_erlang_cookie /var/lib/rabbitmq/.erlang.cookie");
        }

        var dispatchers = Map(Map(ReadYaml(Path.Combine(Deploy, "compose", "dispatchers-cluster.yml")).Single(), "dispatchers-cluster.yml")["services"], "services");
        foreach (var (name, service) in new[] { "dispatcher", "workers", "submitter" }.Select(n => (n, services[n])).Append(("dispatcher-2", dispatchers["dispatcher-2"])))
        {
            var environment = Map(At(service, "environment"), name);
            nodes.Select((node, i) => environment.GetValueOrDefault($"DISPATCHER_Transport__RabbitMq__Hosts__{i}") as string).ShouldBe(nodes.Select(n => (string?)(n + ":5672")), name);
            environment["DISPATCHER_Transport__RabbitMq__QueueType"].ShouldBe("quorum", name);
        }

        var file = Str(At(overlay, "secrets", "rabbitmq_erlang_cookie", "file"), "rabbitmq_erlang_cookie");
        file.ShouldStartWith("./deploy/secrets/");
        File.Exists(Path.Combine(RepoPaths.Root, file + ".example")).ShouldBeTrue(file + ".example");
    }

    [Fact]
    public void ComposeDispatchers_TwoDispatchersPreferringDistinctSharesOnTheSharedPostgresLedger()
    {
        var overlay = Map(ReadYaml(Path.Combine(Deploy, "compose", "dispatchers.yml")).Single(), "deploy/compose/dispatchers.yml");
        var services = Map(overlay["services"], "services");
        var postgres = Map(Map(ReadYaml(Path.Combine(Deploy, "compose", "postgres.yml")).Single(), "postgres.yml")["services"], "services");
        var shares = new[] { "dispatcher", "dispatcher-2" }.Select(n => Map(At(services, n, "environment"), n)).ToList();
        shares.Select(e => e["DISPATCHER_Dispatcher__Shares"]).ShouldAllBe(v => (string?)v == "2");
        shares.Select(e => e["DISPATCHER_Dispatcher__PreferredShares__0"]).ShouldBe(["0", "1"]);

        var second = Map(services["dispatcher-2"], "dispatcher-2");
        foreach (var key in new[] { "DISPATCHER_Ledger__Provider", "DISPATCHER_Ledger__ConnectionString" })
        {
            At(second, "environment", key).ShouldBe(At(postgres, "dispatcher", "environment", key), key);
        }

        Seq(second["secrets"], "dispatcher-2").Select(s => At(s, "target")).ShouldBe(["RABBITMQ_PASSWORD", "LEDGER_PASSWORD", "DISPATCHER_API_KEY"], ignoreOrder: true);
        Map(second["environment"], "dispatcher-2").Keys.ShouldAllBe(k => !IsSecretName(k));
        At(second, "depends_on", "postgres", "condition").ShouldBe("service_healthy");
        UrlPort(Str(At(second, "environment", "DISPATCHER_Urls"), "dispatcher-2 DISPATCHER_Urls")).ShouldBe(DispatcherPort);
        Seq(second["ports"], "ports").ShouldBe(["127.0.0.1:5082:5080"]);
    }

    [Fact]
    public void KubernetesScaleOut_DispatchersPreferTheShareOfTheirOrdinal_OnPostgresAndTheRabbitMqNodes()
    {
        var folder = Path.Combine(Deploy, "k8s");
        var dispatcher = ReadYaml(Path.Combine(folder, "scale-out", "dispatcher.yaml")).Select(d => Map(d, "dispatcher.yaml")).Single(o => At(o, "kind") as string == "StatefulSet");
        var rabbit = ReadYaml(Path.Combine(folder, "rabbitmq-cluster", "rabbitmq.yaml")).Select(d => Map(d, "rabbitmq.yaml")).ToList();
        var nodes = rabbit.Single(o => At(o, "kind") as string == "StatefulSet");
        var container = Map(Seq(At(dispatcher, "spec", "template", "spec", "containers"), "containers").Single(), "container");
        var env = Seq(container["env"], "env").Select(e => Map(e, "env")).ToDictionary(e => Str(e["name"], "name"));

        At(env["DISPATCHER_Dispatcher__Shares"], "value").ShouldBe(At(dispatcher, "spec", "replicas"), "one share per replica");
        At(env["DISPATCHER_Dispatcher__PreferredShares__0"], "valueFrom", "fieldRef", "fieldPath").ShouldBe("metadata.labels['apps.kubernetes.io/pod-index']");
        At(env["DISPATCHER_Ledger__Provider"], "value").ShouldBe("Postgres");
        Str(At(env["DISPATCHER_Ledger__ConnectionString"], "value"), "connection string").ShouldNotContain("Password", Case.Insensitive);
        At(env["LEDGER_PASSWORD"], "valueFrom", "secretKeyRef", "name").ShouldBe("ledger-postgres");
        env.Values.Where(e => IsSecretName(Str(e["name"], "name"))).ShouldAllBe(e => At(e, "valueFrom", "secretKeyRef") != null);

        // The nodes' stable names: <pod>.<headless service>.<namespace>.svc.cluster.local, both the
        // peer discovery list and what every program connects to.
        var count = int.Parse(Str(At(nodes, "spec", "replicas"), "replicas"), System.Globalization.CultureInfo.InvariantCulture);
        var names = Enumerable.Range(0, count).Select(i => $"rabbitmq-{i}.{At(nodes, "spec", "serviceName")}.llm-dispatcher.svc.cluster.local").ToList();
        var conf = Str(At(rabbit.Single(o => At(o, "kind") as string == "ConfigMap"), "data", "rabbitmq.conf"), "rabbitmq.conf");
        names.ShouldAllBe(n => conf.Contains("= rabbit@" + n, StringComparison.Ordinal));
        var workers = Map(Seq(At(ReadYaml(Path.Combine(folder, "scale-out", "workers-on-the-cluster.yaml")).Single(), "spec", "template", "spec", "containers"), "containers").Single(), "workers");
        foreach (var (what, variables) in new[] { ("dispatcher", env), ("workers", Seq(workers["env"], "env").Select(e => Map(e, "env")).ToDictionary(e => Str(e["name"], "name"))) })
        {
            names.Select((n, i) => At(variables[$"DISPATCHER_Transport__RabbitMq__Hosts__{i}"], "value") as string).ShouldBe(names.Select(n => (string?)(n + ":5672")), what);
            At(variables["DISPATCHER_Transport__RabbitMq__QueueType"], "value").ShouldBe("quorum", what);
        }

        var headless = rabbit.Single(o => At(o, "kind") as string == "Service" && At(o, "metadata", "name") as string == At(nodes, "spec", "serviceName") as string);
        At(headless, "spec", "clusterIP").ShouldBe("None");
        At(headless, "spec", "publishNotReadyAddresses").ShouldBe("true");

        foreach (var overlay in new[] { "postgres", "rabbitmq-cluster", "scale-out" })
        {
            var kustomization = Map(ReadYaml(Path.Combine(folder, overlay, "kustomization.yaml")).Single(), overlay);
            var paths = Seq(kustomization["resources"], "resources").Cast<string>()
                .Concat((At(kustomization, "patches") as List<object?> ?? []).Select(p => Str(At(p, "path"), "patch")))
                .ToList();
            paths.ShouldNotContain("secret.example.yaml");
            paths.ShouldAllBe(p => Path.Exists(Path.Combine(folder, overlay, p)), overlay);
            var example = Path.Combine(folder, overlay, "secret.example.yaml");
            if (File.Exists(example))
            {
                Map(At(ReadYaml(example).Single(), "stringData"), example).Values.ShouldAllBe(v => ((string)v!).StartsWith('<'));
            }
        }
    }

    [Fact]
    public void Prometheus_ScrapeTargets_MatchComposeServicesAndPorts()
    {
        var services = Map(Compose()["services"], "services");
        var config = Map(ReadYaml(Path.Combine(Deploy, "prometheus", "prometheus.yml")).Single(), "prometheus.yml");
        var expectedPorts = new Dictionary<string, int> { ["dispatcher"] = DispatcherPort, ["workers"] = WorkersPort, ["rabbitmq"] = RabbitMqPrometheusPort };
        var scraped = new HashSet<string>(StringComparer.Ordinal);
        foreach (var job in Seq(config["scrape_configs"], "scrape_configs"))
        {
            var jobName = Str(At(job, "job_name"), "job_name");
            Str(At(job, "metrics_path"), jobName).ShouldBe("/metrics");
            var targets = new List<(string Host, int Port)>();
            foreach (var sd in At(job, "dns_sd_configs") as List<object?> ?? [])
            {
                Str(At(sd, "type"), jobName).ShouldBe("A");
                var port = int.Parse(Str(At(sd, "port"), jobName), System.Globalization.CultureInfo.InvariantCulture);
                targets.AddRange(Seq(At(sd, "names"), jobName).Select(n => (Str(n, jobName), port)));
            }

            foreach (var sc in At(job, "static_configs") as List<object?> ?? [])
            {
                targets.AddRange(Seq(At(sc, "targets"), jobName).Select(t => Str(t, jobName).Split(':')).Select(p => (p[0], int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture))));
            }

            targets.ShouldNotBeEmpty(jobName);
            foreach (var (host, port) in targets)
            {
                services.ShouldContainKey(host, $"{jobName} scrapes {host}, which is not a compose service");
                port.ShouldBe(expectedPorts[host], $"{jobName} scrapes {host}:{port}");
                scraped.Add(host);
            }
        }

        scraped.ShouldBe(["dispatcher", "rabbitmq", "workers"], ignoreOrder: true);
        // Scaled workers are found by DNS, not listed one by one.
        At(Seq(config["scrape_configs"], "scrape_configs").Single(j => At(j, "job_name") as string == "workers"), "dns_sd_configs").ShouldNotBeNull();
    }

    [Fact]
    public void Grafana_Provisioning_PointsAtPrometheusAndTheMountedDashboards()
    {
        var datasource = Map(Seq(At(ReadYaml(Path.Combine(Deploy, "grafana", "provisioning", "datasources", "prometheus.yml")).Single(), "datasources"), "datasources").Single(), "datasource");
        Str(datasource["type"], "type").ShouldBe("prometheus");
        new Uri(Str(datasource["url"], "url")).Port.ShouldBe(9090);
        new Uri(Str(datasource["url"], "url")).Host.ShouldBe("prometheus");

        var provider = Seq(At(ReadYaml(Path.Combine(Deploy, "grafana", "provisioning", "dashboards", "dispatcher.yml")).Single(), "providers"), "providers").Single();
        var path = Str(At(provider, "options", "path"), "dashboards path");
        var grafanaVolumes = Seq(At(Compose(), "services", "grafana", "volumes"), "grafana volumes").Cast<string>().ToList();
        grafanaVolumes.ShouldContain($"./deploy/grafana/dashboards:{path}:ro");
        grafanaVolumes.ShouldContain("./deploy/grafana/provisioning:/etc/grafana/provisioning:ro");

        using var dashboard = Dashboard();
        var ds = dashboard.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray().Single(v => v.GetProperty("type").GetString() == "datasource");
        ds.GetProperty("current").GetProperty("value").GetString().ShouldBe(Str(datasource["uid"], "uid"));
    }

    [Fact]
    public void Dashboard_QueriesOnlyContractMetrics_AndCoversEveryTopic()
    {
        using var dashboard = Dashboard();
        var queried = MetricContract.QueriedBy(dashboard);
        queried.Except(MetricContract.Names).ShouldBeEmpty("metrics the dashboard queries that are not exported");

        // Every exported family has a panel, except the histogram parts a quantile already covers.
        var uncovered = MetricContract.Names.Except(queried).ToList();
        uncovered.ShouldBeEmpty();
        MetricContract.Queries(dashboard).ShouldContain(q => q.Contains("histogram_quantile(0.99, sum by (deployment, le) (rate(dispatcher_provider_latency_bucket", StringComparison.Ordinal));

        var titles = MetricContract.Panels(dashboard.RootElement).Select(p => p.GetProperty("title").GetString()!).ToList();
        titles.Count.ShouldBe(titles.Distinct().Count());
        foreach (var panel in MetricContract.Panels(dashboard.RootElement).Where(p => p.GetProperty("type").GetString() != "row"))
        {
            var grid = panel.GetProperty("gridPos");
            (grid.GetProperty("x").GetInt32() + grid.GetProperty("w").GetInt32()).ShouldBeLessThanOrEqualTo(24, panel.GetProperty("title").GetString());
        }
    }

    [Fact]
    public void Dockerfiles_PublishExistingProjects_AsNonRootWithConfig()
    {
        foreach (var dockerfile in Directory.EnumerateFiles(Deploy, "Dockerfile.*"))
        {
            var lines = File.ReadAllLines(dockerfile).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
            var name = Path.GetFileName(dockerfile);
            var publish = lines.Single(l => l.StartsWith("RUN dotnet publish ", StringComparison.Ordinal)).Split(' ')[3];
            File.Exists(Path.Combine(RepoPaths.Root, publish)).ShouldBeTrue($"{name} publishes {publish}");
            lines.ShouldContain("COPY config/ config/", $"{name}: the shipped appsettings.json and catalog.json");
            lines.Last(l => l.StartsWith("USER ", StringComparison.Ordinal)).ShouldBe("USER $APP_UID", name);
            foreach (var copy in lines.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from", StringComparison.Ordinal)))
            {
                foreach (var source in copy.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..^1])
                {
                    Path.Exists(Path.Combine(RepoPaths.Root, source)).ShouldBeTrue($"{name}: {copy}");
                }
            }

            var entry = lines.Single(l => l.StartsWith("ENTRYPOINT ", StringComparison.Ordinal));
            entry.ShouldContain($"\"{Path.GetFileNameWithoutExtension(publish)}.dll\"");
        }

        var ignored = File.ReadAllLines(Path.Combine(RepoPaths.Root, ".dockerignore"));
        ignored.ShouldContain("**/bin/");
        ignored.ShouldContain("**/obj/");
        ignored.ShouldContain("deploy/secrets/");
    }

    [Fact]
    public void Kubernetes_EveryObject_IsNamedAndInTheNamespace()
    {
        var objects = KubernetesObjects();
        foreach (var (file, o) in objects)
        {
            Str(o.GetValueOrDefault("apiVersion"), file).ShouldNotBeEmpty();
            var kind = Str(o.GetValueOrDefault("kind"), file);
            if (kind is "Kustomization")
            {
                continue;
            }

            Str(At(o, "metadata", "name"), file).ShouldNotBeEmpty();
            if (kind != "Namespace")
            {
                At(o, "metadata", "namespace").ShouldBe("llm-dispatcher", $"{file} {kind}");
            }
        }

        var kustomization = objects.Single(o => o.File == "kustomization.yaml").Object;
        var resources = Seq(kustomization["resources"], "resources").Cast<string>().ToList();
        resources.ShouldNotContain("secret.example.yaml");
        resources.ShouldAllBe(r => File.Exists(Path.Combine(Deploy, "k8s", r)));
        var secret = objects.Single(o => At(o.Object, "kind") as string == "Secret").Object;
        Map(secret["stringData"], "stringData").Values.ShouldAllBe(v => ((string)v!).StartsWith('<'));
    }

    [Fact]
    public void Kubernetes_Dispatcher_IsActivePlusStandbyOnTheLedgerNode()
    {
        var objects = KubernetesObjects();
        var deployment = Workload(objects, "dispatcher");
        At(deployment, "spec", "replicas").ShouldBe("2");
        var pod = At(deployment, "spec", "template", "spec");
        var term = Map(Seq(At(pod, "affinity", "podAffinity", "requiredDuringSchedulingIgnoredDuringExecution"), "podAffinity").Single(), "term");
        At(term, "topologyKey").ShouldBe("kubernetes.io/hostname");
        At(term, "labelSelector", "matchLabels").ShouldBe(At(deployment, "spec", "selector", "matchLabels"));

        var claim = Str(At(Seq(At(pod, "volumes"), "volumes").Single(v => At(v, "persistentVolumeClaim") is not null), "persistentVolumeClaim", "claimName"), "claim");
        var pvc = objects.Single(o => At(o.Object, "kind") as string == "PersistentVolumeClaim" && At(o.Object, "metadata", "name") as string == claim).Object;
        Seq(At(pvc, "spec", "accessModes"), "accessModes").ShouldBe(["ReadWriteOnce"]);

        var container = Map(Seq(At(pod, "containers"), "containers").Single(), "container");
        Seq(container["env"], "env").ShouldContain(e => At(e, "name") as string == "RABBITMQ_PASSWORD" && At(e, "valueFrom", "secretKeyRef", "name") as string == "dispatcher-secrets");
        AssertProbesAndScraping(deployment, DispatcherPort);
    }

    [Fact]
    public void Kubernetes_Workers_ScaleWithProbesAndScraping()
    {
        var objects = KubernetesObjects();
        var deployment = Workload(objects, "workers");
        AssertProbesAndScraping(deployment, WorkersPort);
        var hpa = objects.Single(o => At(o.Object, "kind") as string == "HorizontalPodAutoscaler").Object;
        At(hpa, "spec", "scaleTargetRef", "name").ShouldBe("workers");
        foreach (var name in new[] { "dispatcher", "workers" })
        {
            var service = objects.Single(o => At(o.Object, "kind") as string == "Service" && At(o.Object, "metadata", "name") as string == name).Object;
            At(service, "spec", "selector").ShouldBe(At(Workload(objects, name), "spec", "selector", "matchLabels"));
        }
    }

    [Fact]
    public void Kubernetes_ConfigMap_HoldsAppSettingsAndACatalogTheProductAccepts()
    {
        var map = KubernetesObjects().Single(o => At(o.Object, "kind") as string == "ConfigMap").Object;
        var appsettings = Str(At(map, "data", "appsettings.json"), "appsettings.json");
        var catalog = Str(At(map, "data", "catalog.json"), "catalog.json");
        var configuration = new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(appsettings)))
            .AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(catalog)))
            .Build();
        configuration["Transport:Kind"].ShouldBe("RabbitMq");
        configuration["Transport:RabbitMq:PasswordVariable"].ShouldBe("RABBITMQ_PASSWORD");
        configuration["Dispatcher:SingleActiveConsumer"].ShouldBe("True", StringCompareShould.IgnoreCase);
        configuration["Ledger:Path"].ShouldBe("/data/ledger.db");
        appsettings.ShouldNotContain("Password\"", Case.Sensitive);

        var options = configuration.GetSection(CatalogOptions.Section).Get<CatalogOptions>()!;
        var result = new CatalogValidator(_ => "set").Validate(null, options);
        result.Failed.ShouldBeFalse(result.FailureMessage);
    }

    private static Dictionary<string, object?> Workload(IReadOnlyList<(string File, Dictionary<string, object?> Object)> objects, string name) =>
        objects.Single(o => At(o.Object, "kind") as string == "Deployment" && At(o.Object, "metadata", "name") as string == name).Object;

    private static void AssertProbesAndScraping(Dictionary<string, object?> deployment, int port)
    {
        var template = At(deployment, "spec", "template");
        var annotations = Map(At(template, "metadata", "annotations"), "annotations");
        annotations["prometheus.io/scrape"].ShouldBe("true");
        annotations["prometheus.io/path"].ShouldBe("/metrics");
        annotations["prometheus.io/port"].ShouldBe(port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var container = Map(Seq(At(template, "spec", "containers"), "containers").Single(), "container");
        var http = Seq(container["ports"], "ports").Single(p => At(p, "name") as string == "http");
        At(http, "containerPort").ShouldBe(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var urls = Seq(container["env"], "env").Single(e => At(e, "name") as string == "DISPATCHER_Urls");
        UrlPort(Str(At(urls, "value"), "DISPATCHER_Urls")).ShouldBe(port);
        At(container, "livenessProbe", "httpGet", "path").ShouldBe("/health/live");
        At(container, "readinessProbe", "httpGet", "path").ShouldBe("/health/ready");
        At(container, "readinessProbe", "httpGet", "port").ShouldBe("http");
        At(template, "spec", "securityContext", "runAsNonRoot").ShouldBe("true");
    }

    private static bool IsSecretName(string key)
    {
        var upper = key.ToUpperInvariant();
        return !upper.EndsWith("__FILE", StringComparison.Ordinal) && !upper.EndsWith("VARIABLE", StringComparison.Ordinal)
            && (upper.Contains("PASSWORD", StringComparison.Ordinal) || upper.Contains("PASS", StringComparison.Ordinal) || upper.Contains("API_KEY", StringComparison.Ordinal)
                || upper.Contains("SECRET", StringComparison.Ordinal) || upper.Contains("TOKEN", StringComparison.Ordinal));
    }
}
