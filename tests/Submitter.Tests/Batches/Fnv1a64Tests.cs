using Dispatcher.Batches;

namespace Dispatcher.Submitter.Tests.Batches;

public sealed class Fnv1a64Tests
{
    // Reference values from the FNV specification's test suite.
    [Theory]
    [InlineData("", 0xcbf29ce484222325UL)]
    [InlineData("a", 0xaf63dc4c8601ec8cUL)]
    [InlineData("foobar", 0x85944171f73967e8UL)]
    public void Hash_KnownInput_MatchesReferenceValue(string input, ulong expected)
    {
        Fnv1a64.Hash(System.Text.Encoding.UTF8.GetBytes(input)).ShouldBe(expected);
    }
}
