using YamlDotNet.RepresentationModel;

namespace OkrGrid.Tests.Operations;

/// <summary>
/// The deployment files parse (YamlDotNet) and say what the Orleans documentation's Kubernetes guidance and the hosts
/// need: no Docker engine or cluster is at hand here, so what can be checked is checked on the files themselves.
/// </summary>
public sealed class DeployManifestTests
{
    private static readonly string Root = RepositoryRoot();

    [Fact]
    public void EveryManifestParses()
    {
        var files = Directory.GetFiles(Path.Combine(Root, "deploy"), "*.yaml", SearchOption.AllDirectories);
        Assert.True(files.Length >= 6, string.Join(", ", files));
        foreach (var file in files)
        {
            var documents = Load(file);
            Assert.True(documents.Count > 0, $"{file}: no YAML document");
            Assert.All(documents, d => Assert.IsType<YamlMappingNode>(d));
        }
    }

    [Fact]
    public void KubernetesWorkloadsRollWithoutLosingASiloAndProbeTheHosts()
    {
        var objects = Directory.GetFiles(Path.Combine(Root, "deploy", "k8s"), "*.yaml").Where(f => !f.EndsWith("kustomization.yaml", StringComparison.Ordinal))
            .SelectMany(Load).Cast<YamlMappingNode>().ToList();
        var deployments = objects.Where(o => Text(o, "kind") == "Deployment").ToList();
        Assert.Equal(["okrgrid-silo", "okrgrid-web"], deployments.Select(d => Text(d, "metadata", "name")).Order());
        var shutdownTimeout = int.Parse(Text(objects.Single(o => Text(o, "kind") == "ConfigMap"), "data", "DOTNET_shutdownTimeoutSeconds")!, System.Globalization.CultureInfo.InvariantCulture);

        foreach (var deployment in deployments)
        {
            var name = Text(deployment, "metadata", "name");
            Assert.Equal("0", Text(deployment, "spec", "strategy", "rollingUpdate", "maxUnavailable"));
            var pod = Node(deployment, "spec", "template", "spec");
            Assert.True(int.Parse(Text(pod, "terminationGracePeriodSeconds")!, System.Globalization.CultureInfo.InvariantCulture) > shutdownTimeout,
                $"{name}: the grace period must be longer than the host's shutdown timeout ({shutdownTimeout} s)");
            var container = (YamlMappingNode)((YamlSequenceNode)Node(pod, "containers")).Children.Single();
            foreach (var probe in new[] { "startupProbe", "readinessProbe", "livenessProbe" })
                Assert.True(container.Children.ContainsKey(new YamlScalarNode(probe)), $"{name}: no {probe}");
            // A disruption budget selects these pods.
            var labels = Node(deployment, "spec", "template", "metadata", "labels");
            var budget = objects.Where(o => Text(o, "kind") == "PodDisruptionBudget")
                .SingleOrDefault(b => ((YamlMappingNode)Node(b, "spec", "selector", "matchLabels")).Children.All(l => Text(labels, l.Key.ToString()) == l.Value.ToString()));
            Assert.True(budget is not null, $"{name}: no PodDisruptionBudget selects its pods");
        }

        // Both hosts' probes are their health endpoints: ready (web: engine, database, feed; silo: an active member,
        // database) and live (the process), on the container's HTTP port.
        foreach (var deployment in deployments)
        {
            var name = Text(deployment, "metadata", "name");
            var container = (YamlMappingNode)((YamlSequenceNode)Node(deployment, "spec", "template", "spec", "containers")).Children.Single();
            Assert.Equal("/healthz/ready", Text(container, "startupProbe", "httpGet", "path"));
            Assert.Equal("/healthz/ready", Text(container, "readinessProbe", "httpGet", "path"));
            Assert.Equal("/healthz/live", Text(container, "livenessProbe", "httpGet", "path"));
            var ports = ((YamlSequenceNode)Node(container, "ports")).Children.Cast<YamlMappingNode>();
            Assert.True(ports.Any(p => Text(p, "name") == "http" && Text(p, "containerPort") == "8080"), $"{name}: no http port 8080 (the image's ASPNETCORE_HTTP_PORTS)");
        }

        // A silo is named after its pod and advertises the pod's IP, both from the downward API; its pods carry
        // Orleans' service and cluster ids as labels, matching the configuration.
        var silo = deployments.Single(d => Text(d, "metadata", "name") == "okrgrid-silo");
        var siloContainer = (YamlMappingNode)((YamlSequenceNode)Node(silo, "spec", "template", "spec", "containers")).Children.Single();
        var env = ((YamlSequenceNode)Node(siloContainer, "env")).Children.Cast<YamlMappingNode>().ToDictionary(e => Text(e, "name")!);
        Assert.Equal("metadata.name", Text(env["POD_NAME"], "valueFrom", "fieldRef", "fieldPath"));
        Assert.Equal("status.podIP", Text(env["POD_IP"], "valueFrom", "fieldRef", "fieldPath"));
        Assert.Equal("$(POD_NAME)", Text(env["Cluster__SiloName"], "value"));
        Assert.Equal("$(POD_IP)", Text(env["Cluster__AdvertisedIP"], "value"));
        var config = objects.Single(o => Text(o, "kind") == "ConfigMap");
        var podLabels = Node(silo, "spec", "template", "metadata", "labels");
        Assert.Equal(Text(config, "data", "Cluster__ServiceId"), Text(podLabels, "orleans/serviceId"));
        Assert.Equal(Text(config, "data", "Cluster__ClusterId"), Text(podLabels, "orleans/clusterId"));
    }

    [Fact]
    public void ComposeRunsPostgresTwoSilosAndAWebHostFromTheImage()
    {
        var compose = (YamlMappingNode)Load(Path.Combine(Root, "deploy", "docker", "compose.yaml")).Single();
        var services = (YamlMappingNode)Node(compose, "services");
        Assert.Equal(["postgres", "silo1", "silo2", "web"], services.Children.Keys.Select(k => k.ToString()).Order());
        Assert.StartsWith("postgres:15", Text(services, "postgres", "image"));
        // YamlDotNet resolves the merge keys (<<) of the shared blocks as compose does.
        foreach (var silo in new[] { "silo1", "silo2" })
        {
            Assert.Equal("/app/silo/OkrGrid.SiloHost.dll", ((YamlSequenceNode)Node(services, silo, "command")).Children.Single().ToString());
            Assert.Equal("Database", Text(services, silo, "environment", "Cluster__Membership"));
        }
        Assert.NotEqual(Text(services, "silo1", "environment", "Cluster__SiloName"), Text(services, "silo2", "environment", "Cluster__SiloName"));
        Assert.Equal("Client", Text(services, "web", "environment", "Cluster__Mode"));
        Assert.Equal("deploy/docker/Dockerfile", Text(services, "web", "build", "dockerfile"));

        // The image: published by the SDK, run by the chiseled runtime as its non-root user.
        var dockerfile = File.ReadAllLines(Path.Combine(Root, "deploy", "docker", "Dockerfile"));
        var froms = dockerfile.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, froms.Count);
        Assert.Contains("dotnet/sdk", froms[0]);
        Assert.Contains("dotnet/aspnet", froms[1]);
        Assert.Contains("chiseled", froms[1]);
        Assert.Contains("USER $APP_UID", dockerfile);
    }

    private static List<YamlNode> Load(string file)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(file))
        {
            try { stream.Load(new YamlDotNet.Core.MergingParser(new YamlDotNet.Core.Parser(reader))); }
            catch (YamlDotNet.Core.YamlException e) { Assert.Fail($"{file}: {e.Message}"); }
        }
        return [.. stream.Documents.Select(d => d.RootNode)];
    }

    private static YamlNode Node(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            Assert.True(node is YamlMappingNode map && map.Children.ContainsKey(new YamlScalarNode(key)), $"no '{key}' in {string.Join(".", path)}");
            node = ((YamlMappingNode)node).Children[new YamlScalarNode(key)];
        }
        return node;
    }

    private static string? Text(YamlNode node, params string[] path) => Node(node, path) is YamlScalarNode scalar ? scalar.Value : null;

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OkrGrid.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Cannot find the repository root (OkrGrid.sln).");
    }
}
