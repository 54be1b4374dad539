using System.Collections.Frozen;

namespace Chat.Api.Accounts;

/// <summary>
/// What a password must be (ASVS 6.2): 8 to 128 characters, not the user name, and not one of the 30,000 most common
/// passwords of leaked corpora (zxcvbn's list, shipped as <c>Accounts/Data/common-passwords.txt</c>).
/// </summary>
public sealed class PasswordPolicy
{
    public const int MinLength = 8;
    public const int MaxLength = 128;

    private readonly FrozenSet<string> _common;

    public PasswordPolicy()
    {
        using var stream = typeof(PasswordPolicy).Assembly.GetManifestResourceStream("common-passwords.txt")
            ?? throw new InvalidOperationException("The common-password list is not embedded.");
        using var reader = new StreamReader(stream);
        var words = new List<string>(30_000);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0)
            {
                words.Add(line);
            }
        }
        _common = words.ToFrozenSet(StringComparer.OrdinalIgnoreCase);
    }

    public int CommonPasswordCount => _common.Count;

    /// <summary>Why <paramref name="password"/> is refused for <paramref name="userName"/>, or null when it is acceptable.</summary>
    public string? Refusal(string? password, string userName)
    {
        if (password is null || password.Length is < MinLength or > MaxLength)
        {
            return $"{MinLength} to {MaxLength} characters.";
        }
        if (string.Equals(password.Trim(), userName, StringComparison.OrdinalIgnoreCase))
        {
            return "The password must not be the user name.";
        }
        if (_common.Contains(password) || _common.Contains(password.Trim()))
        {
            return "This password is one of the most common passwords in leaked password lists; choose another.";
        }
        return null;
    }
}
