using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Routing.Patterns;

namespace ChatAspire.ServiceDefaults.Observability;

/// <summary>Turns a route pattern into the <c>endpoint</c> label: <c>/api/channels/{id}</c>, constraints and defaults removed.</summary>
internal static class RouteTemplates
{
    private static readonly ConcurrentDictionary<RoutePattern, string> Cache = new();

    public static string LabelOf(RoutePattern pattern) => Cache.GetOrAdd(pattern, static p =>
    {
        var label = new StringBuilder();
        foreach (var segment in p.PathSegments)
        {
            label.Append('/');
            foreach (var part in segment.Parts)
            {
                switch (part)
                {
                    case RoutePatternLiteralPart literal:
                        label.Append(literal.Content);
                        break;
                    case RoutePatternParameterPart parameter:
                        label.Append('{').Append(parameter.Name).Append('}');
                        break;
                    case RoutePatternSeparatorPart separator:
                        label.Append(separator.Content);
                        break;
                }
            }
        }
        return label.Length == 0 ? "/" : label.ToString();
    });
}
