using System.Globalization;
using System.Text.RegularExpressions;

namespace Dispatcher.Catalog.Rules;

/// <summary>
/// A rule's condition, compiled once from the catalog (<see cref="RuleConditionParser"/>): tests
/// of fields joined by <c>$and</c> and <c>$or</c>. Evaluating one reads <see cref="RuleFacts"/>
/// and allocates nothing.
/// </summary>
public abstract class RuleCondition
{
    /// <summary>The condition of a rule without one: every job.</summary>
    public static RuleCondition Always { get; } = new AllOf([]);

    /// <summary>Whether the job described by <paramref name="facts"/> meets the condition.</summary>
    public abstract bool Matches(in RuleFacts facts);

    internal static RuleCondition All(RuleCondition[] parts) => parts.Length == 1 ? parts[0] : new AllOf(parts);

    internal static RuleCondition Any(RuleCondition[] parts) => parts.Length == 1 ? parts[0] : new AnyOf(parts);

    private sealed class AllOf(RuleCondition[] parts) : RuleCondition
    {
        public override bool Matches(in RuleFacts facts)
        {
            foreach (var part in parts)
            {
                if (!part.Matches(facts))
                {
                    return false;
                }
            }

            return true;
        }
    }

    private sealed class AnyOf(RuleCondition[] parts) : RuleCondition
    {
        public override bool Matches(in RuleFacts facts)
        {
            foreach (var part in parts)
            {
                if (part.Matches(facts))
                {
                    return true;
                }
            }

            return false;
        }
    }
}

/// <summary>One operator applied to one field, its operand converted once to the field's type.</summary>
internal sealed class FieldTest(RuleField field, string op, string[] texts, double[] numbers, bool flag, Regex? regex) : RuleCondition
{
    public override bool Matches(in RuleFacts facts) => op switch
    {
        "$eq" => Equals(facts, 0),
        "$ne" => !Equals(facts, 0),
        "$in" => In(facts),
        "$exists" => Exists(facts) == flag,
        "$gt" => Number(facts, out var gt) && gt > numbers[0],
        "$lt" => Number(facts, out var lt) && lt < numbers[0],
        "$regex" => field.Text(facts) is { } text && IsMatch(text),
        _ => false,
    };

    private bool IsMatch(string text)
    {
        try
        {
            return regex!.IsMatch(text);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    private bool In(in RuleFacts facts)
    {
        for (var i = 0; i < texts.Length; i++)
        {
            if (Equals(facts, i))
            {
                return true;
            }
        }

        return false;
    }

    private bool Equals(in RuleFacts facts, int i)
    {
        if (field.IsFlag)
        {
            return Flag(facts) == (numbers[i] != 0);
        }

        if (field.IsNumber)
        {
            return facts.PromptTokens == numbers[i];
        }

        return string.Equals(field.Text(facts), texts[i], StringComparison.Ordinal);
    }

    private bool Exists(in RuleFacts facts) => field.IsFlag || field.IsNumber || field.Text(facts) is not null;

    private bool Flag(in RuleFacts facts) => field.Kind == RuleFieldKind.HasImages ? facts.HasImages : facts.HasTools;

    // A text field (a metadata value) compares as a number when it reads as one.
    private bool Number(in RuleFacts facts, out double value)
    {
        if (field.IsNumber)
        {
            value = facts.PromptTokens;
            return true;
        }

        value = 0;
        return field.Text(facts) is { } text && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }
}
