using System.Text.Json;
using Dispatcher.Routing;

namespace Dispatcher.Tests.Routing;

public sealed class BodyTraitsTests
{
    private static (int Flags, string? Metadata) Read(string json) => BodyTraits.Read(JsonElement.Parse(json));

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f"}}]}""", BodyTraits.Tools)]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"functions":[{"name":"f"}]}""", BodyTraits.Tools)]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"tools":[]}""", 0)]
    [InlineData("""{"messages":[{"role":"user","content":[{"type":"text","text":"what"},{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}]}""", BodyTraits.Images)]
    [InlineData("""{"input":[{"role":"user","content":[{"type":"input_image","image_url":"https://x/y.png"}]}]}""", BodyTraits.Images)]
    [InlineData("""{"input":[{"type":"input_image","image_url":"https://x/y.png"}],"tools":[{"type":"web_search"}]}""", BodyTraits.Images | BodyTraits.Tools)]
    [InlineData("""{"messages":[{"role":"user","content":[{"type":"text","text":"image_url"}]}]}""", 0)]
    [InlineData("""{"input":"a plain string"}""", 0)]
    public void Read_Body_FindsImagesAndTools(string json, int flags) => Read(json).Flags.ShouldBe(flags);

    [Fact]
    public void Read_Metadata_KeepsValuesAsText()
    {
        var (_, text) = Read("""{"messages":[],"metadata":{"source":"crawler","priority":3,"urgent":true}}""");

        var metadata = BodyTraits.ParseMetadata(text)!;

        metadata["source"].ShouldBe("crawler");
        metadata["priority"].ShouldBe("3");
        metadata["urgent"].ShouldBe("true");
    }

    [Theory]
    [InlineData("""{"messages":[]}""")]
    [InlineData("""{"messages":[],"metadata":{}}""")]
    [InlineData("""{"messages":[],"metadata":"not an object"}""")]
    public void Read_NoMetadataObject_GivesNull(string json) => Read(json).Metadata.ShouldBeNull();
}
