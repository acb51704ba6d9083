namespace Integration.Tests.Deployment.Yaml;

public sealed class YamlSubsetTests
{
    [Fact]
    public void ParseDocuments_ComposeLikeText_ReadsMappingsSequencesFlowAndBlockScalars()
    {
        var docs = YamlSubset.ParseDocuments("""
            # comment
            services:
              web:
                build: { context: ., dockerfile: "deploy/Dockerfile" }
                ports: ["127.0.0.1:80:80", '8080']   # trailing comment
                command:
                - "--a=1"
                - b # c
                env:
                  - name: A
                    value: "x # not a comment"
                script: |
                  line 1
                    line 2
                url: http://h/#anchor
            ---
            kind: Other
            """);

        docs.Count.ShouldBe(2);
        var web = (Dictionary<string, object?>)((Dictionary<string, object?>)((Dictionary<string, object?>)docs[0]!)["services"]!)["web"]!;
        ((Dictionary<string, object?>)web["build"]!)["dockerfile"].ShouldBe("deploy/Dockerfile");
        ((List<object?>)web["ports"]!).ShouldBe(["127.0.0.1:80:80", "8080"]);
        ((List<object?>)web["command"]!).ShouldBe(["--a=1", "b"]);
        var env = (Dictionary<string, object?>)((List<object?>)web["env"]!)[0]!;
        env["name"].ShouldBe("A");
        env["value"].ShouldBe("x # not a comment");
        web["script"].ShouldBe("line 1\n  line 2\n");
        web["url"].ShouldBe("http://h/#anchor");
        ((Dictionary<string, object?>)docs[1]!)["kind"].ShouldBe("Other");
    }

    [Theory]
    [InlineData("a: 1\na: 2", "duplicate key")]
    [InlineData("a:\n  b: 1\n   c: 2", "unexpected indentation")]
    [InlineData("a: *ref", "anchors")]
    [InlineData("a: [1, 2", "expected ','")]
    [InlineData("a: \"open", "unbalanced quotes")]
    [InlineData("a:\n\tb: 1", "tab")]
    public void ParseDocuments_MalformedText_ThrowsWithLineNumber(string text, string reason)
    {
        var error = Should.Throw<FormatException>(() => YamlSubset.ParseDocuments(text));
        error.Message.ShouldContain(reason);
        error.Message.ShouldStartWith("line ");
    }
}
