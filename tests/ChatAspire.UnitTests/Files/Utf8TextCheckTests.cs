using System.Text;
using Chat.Files.Storage;

namespace ChatAspire.UnitTests.Files;

/// <summary>The text rule checked while an upload streams in: chunk boundaries never change the verdict.</summary>
public sealed class Utf8TextCheckTests
{
    private const string Mixed = "Grüße, 東京 and 🎉 — tabs\tand lines\r\nend\f";

    private static string? Verdict(byte[] bytes, params int[] cuts)
    {
        var check = new Utf8TextCheck();
        var at = 0;
        foreach (var cut in cuts.Append(bytes.Length))
        {
            check.Append(bytes.AsSpan(at, cut - at));
            at = cut;
        }
        return check.Complete();
    }

    [Fact]
    public void Text_split_anywhere_even_inside_a_character_is_accepted()
    {
        var bytes = Encoding.UTF8.GetBytes(Mixed);
        for (var i = 0; i <= bytes.Length; i++)
        {
            for (var j = i; j <= Math.Min(bytes.Length, i + 5); j++)
            {
                Assert.Null(Verdict(bytes, i, j)); // including one- and two-byte chunks in the middle of a character
            }
        }
    }

    [Fact]
    public void A_control_character_is_refused_with_its_position_wherever_the_chunks_end()
    {
        var bytes = Encoding.UTF8.GetBytes("héllo wörld\u0085after");
        for (var i = 0; i <= bytes.Length; i++)
        {
            var refusal = Verdict(bytes, i);
            Assert.NotNull(refusal);
            Assert.Contains("U+0085 (character 12)", refusal, StringComparison.Ordinal);
        }
        Assert.Contains("U+0000", Verdict("a\0b"u8.ToArray()), StringComparison.Ordinal);
        Assert.Contains("U+007F", Verdict("a\u007Fb"u8.ToArray()), StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_or_truncated_utf8_is_refused()
    {
        Assert.Equal(Utf8TextCheck.NotUtf8, Verdict([0x61, 0xC3, 0x28, 0x61], 2));   // a lead byte without its continuation
        Assert.Equal(Utf8TextCheck.NotUtf8, Verdict([0xED, 0xA0, 0x80], 1));         // an encoded surrogate
        Assert.Equal(Utf8TextCheck.NotUtf8, Verdict([0x61, 0xE6, 0x9D], 2));         // the file ends inside a character
        Assert.Equal(Utf8TextCheck.NotUtf8, Verdict([0xFF, 0x61]));
    }
}
