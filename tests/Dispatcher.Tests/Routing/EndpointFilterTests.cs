using Dispatcher.Breakers;
using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Quotas;
using Dispatcher.Reservations;
using Dispatcher.Routing;
using Dispatcher.Tests.Support;

namespace Dispatcher.Tests.Routing;

public sealed class EndpointFilterTests
{
    private static RoutingRequest Request(string url) => new(Guid.NewGuid(), "g", 10, 0, null, null, new HashSet<string>(), url);

    [Fact]
    public void Allows_DeploymentServesTheJobsEndpoint_True()
    {
        var embed = new DeploymentOptions { Id = "e", ModelGroup = "g", Provider = ProviderKind.OpenAI, Endpoints = [Endpoints.Embeddings] };

        new EndpointFilter().Allows(Request(Endpoints.Embeddings), embed).ShouldBeTrue();
        new EndpointFilter().Allows(Request(Endpoints.ChatCompletions), embed).ShouldBeFalse();
    }

    [Fact]
    public void Route_GroupMixingChatAndEmbeddingDeployments_SendsEachJobToOneServingItsEndpoint()
    {
        var chat = Catalogs.Deployment("chat");
        chat.Endpoints = [Endpoints.ChatCompletions, Endpoints.Responses];
        var embed = Catalogs.Deployment("embed");
        embed.Endpoints = [Endpoints.Embeddings];
        var catalog = Catalogs.Of(StrategyNames.RoundRobin, chat, embed);
        var quotas = new QuotaBook(catalog, TimeProvider.System);
        var spend = new SpendBook(catalog, TimeProvider.System);
        var breakers = new DeploymentBreakers(catalog, TimeProvider.System);
        var router = new DeploymentRouter(
            catalog, [new EndpointFilter()], quotas, new LatencyTracker(TimeProvider.System), spend, breakers, new AttemptReservations(quotas, spend, breakers));

        var picks = Enumerable.Range(0, 4).Select(_ => router.Route(Request(Endpoints.Embeddings)).Deployment?.Id).ToArray();
        var responses = router.Route(Request(Endpoints.Responses)).Deployment?.Id;
        var refused = router.Route(Request(Endpoints.Moderations));

        picks.ShouldAllBe(id => id == "embed");
        responses.ShouldBe("chat");
        refused.Deployment.ShouldBeNull();
        refused.RefusalKind.ShouldBe(ErrorKind.NoDeployment);
        refused.RetryIn.ShouldBeNull();
        refused.Reason.ShouldContain("chat (endpoint)");
    }
}
