using Chat.Api.Messages;

namespace ChatAspire.UnitTests.Chat;

/// <summary>The mention rule's text side (<see cref="Mentions.NamesIn"/>); which names are members is the database's (API tests).</summary>
public sealed class MentionRuleTests
{
    [Theory]
    [InlineData("hello @Bob-1 and @carol.x", new[] { "bob-1", "carol.x" })]
    [InlineData("@bob, @BOB and @bob again", new[] { "bob" })]
    [InlineData("thanks @dave.", new[] { "dave.", "dave" })]
    [InlineData("write to me@example.org or x@bob.org", new string[0])]
    [InlineData("(@eve) [@frank]", new[] { "eve", "frank" })]
    [InlineData("@ab is too short, @a_b is not", new[] { "a_b" })]
    [InlineData("no at sign at all", new string[0])]
    public void Names_written_as_mentions_are_found_lower_cased_once(string content, string[] expected) =>
        Assert.Equal(expected, Mentions.NamesIn(content));

    [Fact]
    public void A_message_full_of_mentions_is_bounded()
    {
        var content = string.Join(' ', Enumerable.Range(0, 500).Select(i => $"@user{i:000}"));

        Assert.Equal(Mentions.MaxPerMessage * 2, Mentions.NamesIn(content).Count);
    }
}
