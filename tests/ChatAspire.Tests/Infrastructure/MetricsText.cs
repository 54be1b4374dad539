using System.Globalization;
using System.Text.RegularExpressions;

namespace ChatAspire.Tests.Infrastructure;

/// <summary>Reads values out of Prometheus text exposition.</summary>
public static partial class MetricsText
{
    /// <summary>Sum of every sample of <paramref name="name"/> whose labels include all of <paramref name="labels"/>.</summary>
    public static double Sum(string text, string name, params (string Key, string Value)[] labels)
    {
        var total = 0.0;
        foreach (Match m in Sample().Matches(text))
        {
            if (m.Groups["name"].Value != name)
            {
                continue;
            }
            var labelText = m.Groups["labels"].Value;
            if (labels.All(l => labelText.Contains($"{l.Key}=\"{l.Value}\"", StringComparison.Ordinal)))
            {
                total += double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }
        return total;
    }

    public static bool Has(string text, string name) => Sample().Matches(text).Any(m => m.Groups["name"].Value == name);

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex Sample();
}
