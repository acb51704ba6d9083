using Dispatcher.Catalog.Rules;

namespace Dispatcher.Catalog.Tests.Rules;

public sealed class RuleConditionTests
{
    private static readonly RuleFacts Job = new(
        "acme",
        "/v1/chat/completions",
        1200,
        HasImages: true,
        HasTools: false,
        new Dictionary<string, string> { ["source"] = "crawler", ["score"] = "0.75" },
        new Dictionary<string, string> { ["team"] = "search", ["size"] = "40" });

    private static RuleCondition Compile(string json)
    {
        var errors = new List<string>();
        var condition = RuleConditionParser.Parse(RoutingRuleOptions.Condition(json), "When", errors);
        errors.ShouldBeEmpty();
        return condition;
    }

    private static bool Matches(string json) => Compile(json).Matches(Job);

    [Theory]
    [InlineData("""{"tenant": {"$eq": "acme"}}""", true)]
    [InlineData("""{"tenant": {"$eq": "other"}}""", false)]
    [InlineData("""{"tenant": "acme"}""", true)]
    [InlineData("""{"endpoint": {"$eq": "/v1/chat/completions"}}""", true)]
    [InlineData("""{"endpoint": {"$eq": "/v1/embeddings"}}""", false)]
    [InlineData("""{"has_images": {"$eq": true}}""", true)]
    [InlineData("""{"has_images": {"$eq": false}}""", false)]
    [InlineData("""{"has_tools": {"$eq": true}}""", false)]
    [InlineData("""{"has_tools": false}""", true)]
    [InlineData("""{"prompt_tokens": {"$eq": 1200}}""", true)]
    [InlineData("""{"body.metadata.source": {"$eq": "crawler"}}""", true)]
    [InlineData("""{"body.metadata.source": {"$eq": "Crawler"}}""", false)]
    [InlineData("""{"batch.metadata.team": {"$eq": "search"}}""", true)]
    [InlineData("""{"batch.metadata.team": {"$eq": "ads"}}""", false)]
    public void Eq_EachField_ComparesItsValue(string json, bool expected) => Matches(json).ShouldBe(expected);

    [Theory]
    [InlineData("""{"tenant": {"$ne": "acme"}}""", false)]
    [InlineData("""{"tenant": {"$ne": "other"}}""", true)]
    [InlineData("""{"body.metadata.missing": {"$ne": "x"}}""", true)]
    public void Ne_NegatesEq(string json, bool expected) => Matches(json).ShouldBe(expected);

    [Theory]
    [InlineData("""{"tenant": {"$in": ["x", "acme"]}}""", true)]
    [InlineData("""{"tenant": {"$in": ["x", "y"]}}""", false)]
    [InlineData("""{"prompt_tokens": {"$in": [5, 1200]}}""", true)]
    [InlineData("""{"has_images": {"$in": [false]}}""", false)]
    public void In_MatchesAnyListedValue(string json, bool expected) => Matches(json).ShouldBe(expected);

    [Theory]
    [InlineData("""{"body.metadata.source": {"$exists": true}}""", true)]
    [InlineData("""{"body.metadata.absent": {"$exists": true}}""", false)]
    [InlineData("""{"body.metadata.absent": {"$exists": false}}""", true)]
    [InlineData("""{"batch.metadata.team": {"$exists": false}}""", false)]
    [InlineData("""{"tenant": {"$exists": true}}""", true)]
    public void Exists_TellsPresentFromAbsent(string json, bool expected) => Matches(json).ShouldBe(expected);

    [Theory]
    [InlineData("""{"prompt_tokens": {"$gt": 1000}}""", true)]
    [InlineData("""{"prompt_tokens": {"$gt": 1200}}""", false)]
    [InlineData("""{"prompt_tokens": {"$lt": 1201}}""", true)]
    [InlineData("""{"prompt_tokens": {"$lt": 1200}}""", false)]
    [InlineData("""{"prompt_tokens": {"$gt": 1000, "$lt": 2000}}""", true)]
    [InlineData("""{"body.metadata.score": {"$gt": 0.5}}""", true)]
    [InlineData("""{"batch.metadata.size": {"$lt": 10}}""", false)]
    [InlineData("""{"body.metadata.source": {"$gt": 0}}""", false)]
    public void GtLt_CompareNumbers(string json, bool expected) => Matches(json).ShouldBe(expected);

    [Theory]
    [InlineData("""{"tenant": {"$regex": "^ac"}}""", true)]
    [InlineData("""{"tenant": {"$regex": "^me"}}""", false)]
    [InlineData("""{"endpoint": {"$regex": "chat"}}""", true)]
    [InlineData("""{"body.metadata.absent": {"$regex": ".*"}}""", false)]
    public void Regex_MatchesText(string json, bool expected) => Matches(json).ShouldBe(expected);

    [Theory]
    [InlineData("""{"$and": [{"tenant": "acme"}, {"has_images": true}]}""", true)]
    [InlineData("""{"$and": [{"tenant": "acme"}, {"has_tools": true}]}""", false)]
    [InlineData("""{"$or": [{"tenant": "x"}, {"has_images": true}]}""", true)]
    [InlineData("""{"$or": [{"tenant": "x"}, {"has_tools": true}]}""", false)]
    [InlineData("""{"tenant": "acme", "has_tools": true}""", false)]
    [InlineData("""{"$or": [{"$and": [{"tenant": "acme"}, {"prompt_tokens": {"$gt": 100}}]}, {"has_tools": true}]}""", true)]
    public void AndOr_JoinConditions(string json, bool expected) => Matches(json).ShouldBe(expected);

    [Fact]
    public void Parse_NoCondition_MatchesEveryJob() =>
        RuleConditionParser.Parse(null, "When", []).Matches(default).ShouldBeTrue();

    [Fact]
    public void Matches_NoTenantNoMetadata_FieldsAreAbsent()
    {
        var bare = new RuleFacts(null, "/v1/embeddings", 3, false, false, null, null);

        Compile("""{"tenant": {"$exists": false}}""").Matches(bare).ShouldBeTrue();
        Compile("""{"batch.metadata.team": {"$eq": "search"}}""").Matches(bare).ShouldBeFalse();
        Compile("""{"body.metadata.source": {"$in": ["crawler"]}}""").Matches(bare).ShouldBeFalse();
    }

    [Theory]
    [InlineData("""{"tenant": {"$gte": 3}}""", "When:tenant:$gte: unknown operator $gte")]
    [InlineData("""{"$not": {"tenant": "x"}}""", "When: unknown operator $not")]
    [InlineData("""{"user": "x"}""", "When:user: unknown field 'user'")]
    [InlineData("""{"body.metadata.": "x"}""", "When:body.metadata.: unknown field")]
    [InlineData("""{"tenant": {"$regex": "(unclosed"}}""", "When:tenant:$regex: invalid regular expression '(unclosed'")]
    [InlineData("""{"has_tools": {"$eq": "yes"}}""", "When:has_tools:$eq: has_tools is true or false, not 'yes'")]
    [InlineData("""{"prompt_tokens": {"$gt": "many"}}""", "When:prompt_tokens:$gt: needs a number")]
    [InlineData("""{"has_images": {"$lt": 1}}""", "When:has_images:$lt: has_images is true or false")]
    [InlineData("""{"prompt_tokens": {"$regex": "1"}}""", "When:prompt_tokens:$regex: $regex tests text")]
    [InlineData("""{"tenant": {"$exists": "maybe"}}""", "When:tenant:$exists: needs true or false")]
    [InlineData("""{"$or": []}""", "When:$or: needs a list of at least one condition")]
    public void Parse_Mistake_NamesTheKey(string json, string expected)
    {
        var errors = new List<string>();

        RuleConditionParser.Parse(RoutingRuleOptions.Condition(json), "When", errors);

        errors.ShouldContain(e => e.StartsWith(expected, StringComparison.Ordinal), string.Join(" | ", errors));
    }
}
