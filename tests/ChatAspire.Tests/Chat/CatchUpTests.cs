using System.Diagnostics;
using Chat.Api.Digest;
using ChatAspire.Tests.Infrastructure;

namespace ChatAspire.Tests.Chat;

/// <summary>"Catch me up" (issue #39): a digest of 1,000 unread messages within 2 s, only of what the reader may read.</summary>
public sealed class CatchUpTests(AppHostFixture fixture)
{
    private Uri Api => fixture.ProxyClient(ResourceNames.Api).BaseAddress!;

    [Fact]
    public async Task A_thousand_unread_messages_give_a_digest_of_the_threads_mentions_and_questions_in_order_within_two_seconds()
    {
        var alice = await ChatUsers.RegisterAsync(Api, "cu-a");
        var bob = await ChatUsers.RegisterAsync(Api, "cu-b");
        var carol = await ChatUsers.RegisterAsync(Api, "cu-c");
        var channel = await alice.CreateChannelAsync("private");
        await alice.InviteAsync(channel, bob);
        await alice.InviteAsync(channel, carol);
        var ids = await SeedAsync(channel, alice.Id, carol.Id, bob.Id);
        using var http = bob.Http();

        var watch = Stopwatch.StartNew();
        var digest = (await http.GetFromJsonAsync<CatchUpDto>($"/api/channels/{channel}/catch-up"))!;
        var took = watch.Elapsed;

        Assert.True(took < TimeSpan.FromSeconds(2), $"the digest took {took}");
        Assert.Equal(999, digest.Unread); // the deleted one is not unread any more
        Assert.Equal(0, digest.FromSeq);
        Assert.Equal("extractive", digest.Mode);
        Assert.Equal([alice.Id, carol.Id], digest.Participants.Select(p => p.UserId));
        Assert.InRange(digest.Highlights.Count, 3, 10);
        var picked = digest.Highlights.Select(h => h.Message.Id).ToList();
        Assert.Contains(ids.Root, picked);
        Assert.Contains(ids.Mention, picked);
        Assert.Contains(ids.Question, picked);
        Assert.DoesNotContain(ids.Deleted, picked);
        Assert.Equal(digest.Highlights.Select(h => h.Message.Seq).Order(), digest.Highlights.Select(h => h.Message.Seq));
        Assert.Equal(9, digest.Highlights.Single(h => h.Message.Id == ids.Root).ThreadSize);
        Assert.Contains("mentions you", digest.Highlights.Single(h => h.Message.Id == ids.Mention).Why, StringComparison.Ordinal);

        // From a later mark only what came after it; someone outside the channel gets nothing.
        var later = (await http.GetFromJsonAsync<CatchUpDto>($"/api/channels/{channel}/catch-up?after=990"))!;
        Assert.Equal(10, later.Unread);
        Assert.All(later.Highlights, h => Assert.True(h.Message.Seq > 990));
        var mallory = await ChatUsers.RegisterAsync(Api, "cu-m");
        using var outsider = mallory.Http();
        Assert.Equal(HttpStatusCode.Forbidden, (await outsider.GetAsync($"/api/channels/{channel}/catch-up")).StatusCode);
        using var bad = await http.GetAsync($"/api/channels/{channel}/catch-up?limit=0");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    private sealed record Seeded(Guid Root, Guid Mention, Guid Question, Guid Deleted);

    /// <summary>
    /// 1,000 messages written straight into chatdb (the send limit would take minutes): small talk, a thread of eight
    /// replies, one message mentioning the reader, one question and one deleted message.
    /// </summary>
    private async Task<Seeded> SeedAsync(Guid channel, Guid alice, Guid carol, Guid reader)
    {
        var seeded = new Seeded(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await using var connection = new Npgsql.NpgsqlConnection(await fixture.ConnectionStringAsync(ResourceNames.ChatDb));
        await connection.OpenAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await using var seed = new Npgsql.NpgsqlCommand("""
            INSERT INTO messages ("Id", "ChannelId", "Seq", "SenderId", "Type", "Content", "Attachments", "Mentions", "CreatedAt", "ReplyToId", "DeletedAt")
            SELECT CASE g WHEN 300 THEN @root WHEN 500 THEN @mention WHEN 700 THEN @question WHEN 800 THEN @deleted ELSE gen_random_uuid() END,
                   @channel, g, CASE WHEN g % 3 = 0 THEN @carol ELSE @alice END, 'user',
                   CASE g WHEN 300 THEN 'The release of version 4.2 moves to Thursday because the database upgrade needs another test run'
                          WHEN 500 THEN 'Bob, the invoices export needs your sign-off before the auditors arrive'
                          WHEN 700 THEN 'Who can cover the on-call rotation next weekend while Priya is travelling?'
                          WHEN 800 THEN 'A secret that was deleted afterwards'
                          ELSE 'ok ' || (g % 7) END,
                   '{}', CASE g WHEN 500 THEN ARRAY[@reader]::uuid[] ELSE '{}' END, now() - (1000 - g) * interval '1 second',
                   CASE WHEN g BETWEEN 301 AND 308 THEN @root END,
                   CASE g WHEN 800 THEN now() END
            FROM generate_series(1, 1000) AS g;
            UPDATE messages SET "Content" = 'agreed, Thursday works for the 4.2 release ' || "Seq" WHERE "ChannelId" = @channel AND "Seq" BETWEEN 301 AND 308;
            UPDATE channels SET "LastSeq" = 1000 WHERE "Id" = @channel;
            """, connection, tx);
        seed.Parameters.AddWithValue("channel", channel);
        seed.Parameters.AddWithValue("alice", alice);
        seed.Parameters.AddWithValue("carol", carol);
        seed.Parameters.AddWithValue("reader", reader);
        seed.Parameters.AddWithValue("root", seeded.Root);
        seed.Parameters.AddWithValue("mention", seeded.Mention);
        seed.Parameters.AddWithValue("question", seeded.Question);
        seed.Parameters.AddWithValue("deleted", seeded.Deleted);
        await seed.ExecuteNonQueryAsync();
        await tx.CommitAsync();
        return seeded;
    }
}
