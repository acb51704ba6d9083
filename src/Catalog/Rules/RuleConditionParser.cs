using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace Dispatcher.Catalog.Rules;

/// <summary>
/// Compiles a rule's <c>When</c> from configuration. An object's keys are fields (each holding
/// an object of operators, or a plain value meaning <c>$eq</c>) or <c>$and</c>/<c>$or</c> (each
/// holding a list of conditions); all of an object's keys must hold. Every mistake is reported
/// naming its configuration key.
/// </summary>
public static class RuleConditionParser
{
    /// <summary>The operators a field test may use.</summary>
    public const string Operators = "$eq, $ne, $in, $exists, $gt, $lt, $regex";

    // A pattern that takes longer than this on one value does not match: a catalog's regex must
    // not stall routing.
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(50);

    /// <summary>The condition <paramref name="section"/> gives, adding any mistake to <paramref name="errors"/> under <paramref name="key"/>.</summary>
    public static RuleCondition Parse(IConfigurationSection? section, string key, List<string> errors)
    {
        if (section is null)
        {
            return RuleCondition.Always;
        }

        if (section.Value is not null)
        {
            errors.Add($"{key}: must be an object of fields and operators, e.g. {{\"tenant\": {{\"$eq\": \"acme\"}}}}.");
            return RuleCondition.Always;
        }

        var parts = new List<RuleCondition>();
        foreach (var child in section.GetChildren())
        {
            var childKey = $"{key}:{child.Key}";
            if (child.Key is "$and" or "$or")
            {
                var items = child.GetChildren().Select(item => Parse(item, $"{childKey}:{item.Key}", errors)).ToArray();
                if (items.Length == 0)
                {
                    errors.Add($"{childKey}: needs a list of at least one condition.");
                    continue;
                }

                parts.Add(child.Key == "$and" ? RuleCondition.All(items) : RuleCondition.Any(items));
            }
            else if (child.Key.StartsWith('$'))
            {
                errors.Add($"{key}: unknown operator {child.Key}; only $and and $or join conditions, and {Operators} test a field.");
            }
            else if (RuleField.Parse(child.Key) is not { } field)
            {
                errors.Add($"{childKey}: unknown field '{child.Key}'; known: {RuleField.Known}.");
            }
            else if (child.Value is not null)
            {
                parts.Add(Test(field, "$eq", [child.Value], childKey, errors));
            }
            else
            {
                foreach (var op in child.GetChildren())
                {
                    var operands = op.Value is not null ? [op.Value] : op.GetChildren().Select(c => c.Value ?? "").ToArray();
                    parts.Add(Test(field, op.Key, operands, $"{childKey}:{op.Key}", errors));
                }
            }
        }

        return RuleCondition.All([.. parts]);
    }

    private static RuleCondition Test(RuleField field, string op, string[] operands, string key, List<string> errors)
    {
        var numbers = new double[operands.Length];
        var flag = false;
        Regex? regex = null;
        switch (op)
        {
            case "$eq" or "$ne" or "$in":
                if (operands.Length == 0 || (op != "$in" && operands.Length != 1))
                {
                    errors.Add($"{key}: {(op == "$in" ? "needs a list of at least one value" : "needs one value")}.");
                    break;
                }

                for (var i = 0; i < operands.Length; i++)
                {
                    if (field.IsFlag)
                    {
                        if (TryFlag(operands[i], out var b))
                        {
                            numbers[i] = b ? 1 : 0;
                        }
                        else
                        {
                            errors.Add($"{key}: {Name(field)} is true or false, not '{operands[i]}'.");
                        }
                    }
                    else if (field.IsNumber && !TryNumber(operands[i], out numbers[i]))
                    {
                        errors.Add($"{key}: {Name(field)} is a number, not '{operands[i]}'.");
                    }
                }

                break;
            case "$exists":
                if (operands.Length != 1 || !TryFlag(operands[0], out flag))
                {
                    errors.Add($"{key}: needs true or false.");
                }

                break;
            case "$gt" or "$lt":
                if (field.IsFlag)
                {
                    errors.Add($"{key}: {Name(field)} is true or false and cannot be compared with {op}.");
                }
                else if (operands.Length != 1 || !TryNumber(operands[0], out numbers[0]))
                {
                    errors.Add($"{key}: needs a number, got '{string.Join(",", operands)}'.");
                }

                break;
            case "$regex":
                if (field.IsFlag || field.IsNumber)
                {
                    errors.Add($"{key}: $regex tests text, and {Name(field)} is not text.");
                }
                else if (operands.Length != 1)
                {
                    errors.Add($"{key}: needs one pattern.");
                }
                else
                {
                    try
                    {
                        regex = new Regex(operands[0], RegexOptions.CultureInvariant, RegexTimeout);
                    }
                    catch (ArgumentException e)
                    {
                        errors.Add($"{key}: invalid regular expression '{operands[0]}': {e.Message}");
                    }
                }

                break;
            default:
                errors.Add($"{key}: unknown operator {op}; known: {Operators}.");
                break;
        }

        return new FieldTest(field, op, operands, numbers, flag, regex);
    }

    private static string Name(RuleField field) => field.Kind switch
    {
        RuleFieldKind.HasImages => "has_images",
        RuleFieldKind.HasTools => "has_tools",
        RuleFieldKind.PromptTokens => "prompt_tokens",
        _ => "the field",
    };

    private static bool TryFlag(string text, out bool value) => bool.TryParse(text, out value);

    private static bool TryNumber(string text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
}
