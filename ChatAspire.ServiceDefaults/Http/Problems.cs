using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ChatAspire.ServiceDefaults.Http;

/// <summary>
/// The one shape of a 400 on every service, whoever refuses (a handler, a shared rule that throws, the framework when it
/// cannot read the request): a ValidationProblem titled <c>Invalid</c>, with <c>errors</c> naming each field and its
/// messages, and <c>detail</c> saying the same in one sentence for people. Clients read either.
/// </summary>
public static class Problems
{
    public const string InvalidTitle = "Invalid";

    /// <summary>Where a refusal names no field of its own (a rule about the whole request).</summary>
    public const string RequestField = "request";

    public static ValidationProblem Invalid(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, detail: Sentence(errors), title: InvalidTitle);

    public static ValidationProblem Invalid(string field, string message) => Invalid(new Dictionary<string, string[]> { [field] = [message] });

    /// <summary>The same body, for code that writes ProblemDetails itself (exception handlers, results typed as ProblemHttpResult).</summary>
    public static HttpValidationProblemDetails InvalidDetails(string field, string message) =>
        new(new Dictionary<string, string[]> { [field] = [message] })
        {
            Status = StatusCodes.Status400BadRequest,
            Title = InvalidTitle,
            Detail = message,
        };

    private static string Sentence(IDictionary<string, string[]> errors) =>
        errors.Count == 1 && errors.Single().Value is [var only]
            ? only
            : string.Join(" ", errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}")));
}
