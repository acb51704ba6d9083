using Dispatcher.Contracts;
using Dispatcher.Workers.Providers;
using Dispatcher.Workers.Providers.Http;

namespace Dispatcher.Workers.Tests.Providers.Http;

public sealed class SecretRedactorTests
{
    [Fact]
    public void Redact_OutcomeQuotingSecret_RemovesItFromMessageAndRequestId()
    {
        var outcome = new ProviderOutcome(ErrorKind.Authentication, 401, null, null, "bad key sk-123 given", RequestId: "id-sk-123");

        var redacted = new SecretRedactor("sk-123").Redact(outcome);

        redacted.ErrorMessage.ShouldBe("bad key [redacted] given");
        redacted.RequestId.ShouldBe("id-[redacted]");
        redacted.Error.ShouldBe(ErrorKind.Authentication);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Redact_NoSecret_LeavesTextAlone(string? secret)
    {
        new SecretRedactor(secret).Redact("text").ShouldBe("text");
    }
}
