using System.CommandLine;
using Dispatcher.Submitter.Cli;

namespace Dispatcher.Submitter.Tests.Cli;

public sealed class MetadataOptionTests
{
    [Fact]
    public void Parse_RepeatedPairs_OneDictionaryWithEveryPair()
    {
        var (metadata, errors) = Parse("--metadata", "team=search", "--metadata", "query=a=b", "--metadata", "empty=");

        errors.ShouldBeEmpty();
        metadata.ShouldNotBeNull();
        metadata.Count.ShouldBe(3);
        metadata["team"].ShouldBe("search");
        metadata["query"].ShouldBe("a=b");
        metadata["empty"].ShouldBe("");
    }

    [Fact]
    public void Parse_NotGiven_Null()
    {
        var (metadata, errors) = Parse();

        errors.ShouldBeEmpty();
        metadata.ShouldBeNull();
    }

    [Theory]
    [InlineData("novalue", "--metadata must be key=value")]
    [InlineData("=value", "--metadata must be key=value")]
    public void Parse_NotAPair_ErrorNamingTheFlag(string pair, string expected)
    {
        var (_, errors) = Parse("--metadata", pair);

        errors.ShouldHaveSingleItem().ShouldContain(expected);
    }

    [Fact]
    public void Parse_SameKeyTwice_ErrorNamingTheKey()
    {
        var (_, errors) = Parse("--metadata", "a=1", "--metadata", "a=2");

        errors.ShouldHaveSingleItem().ShouldBe("--metadata: key 'a' is given twice");
    }

    [Fact]
    public void Parse_SeventeenPairs_ErrorNamingTheLimit()
    {
        var (_, errors) = Parse([.. Enumerable.Range(1, 17).SelectMany(i => new[] { "--metadata", $"k{i}=v" })]);

        errors.ShouldHaveSingleItem().ShouldBe("--metadata: at most 16 key-value pairs, got 17");
    }

    [Fact]
    public void Parse_SixteenPairsAtTheLengthLimits_Accepted()
    {
        var pairs = Enumerable.Range(1, 16).SelectMany(i => new[] { "--metadata", $"{i.ToString("D2", System.Globalization.CultureInfo.InvariantCulture)}{new string('k', 62)}={new string('v', 512)}" });

        var (metadata, errors) = Parse([.. pairs]);

        errors.ShouldBeEmpty();
        metadata!.Count.ShouldBe(16);
    }

    [Fact]
    public void Parse_KeyOf65Characters_ErrorNamingTheLimit()
    {
        var (_, errors) = Parse("--metadata", new string('k', 65) + "=v");

        errors.ShouldHaveSingleItem().ShouldContain("--metadata: key 'kkkkkkkkkkkkkkkkkkkk…' is 65 characters, at most 64 are allowed");
    }

    [Fact]
    public void Parse_ValueOf513Characters_ErrorNamingTheKeyAndTheLimit()
    {
        var (_, errors) = Parse("--metadata", "note=" + new string('v', 513));

        errors.ShouldHaveSingleItem().ShouldBe("--metadata: the value of 'note' is 513 characters, at most 512 are allowed");
    }

    private static (IReadOnlyDictionary<string, string>? Metadata, IReadOnlyList<string> Errors) Parse(params string[] args)
    {
        var option = MetadataOption.Create();
        var root = new RootCommand { option };
        var result = root.Parse(args);
        return (result.Errors.Count == 0 ? result.GetValue(option) : null, result.Errors.Select(e => e.Message).ToList());
    }
}
