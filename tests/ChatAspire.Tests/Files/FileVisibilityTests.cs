using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Chat.Files.Storage;
using ChatAspire.Tests.Infrastructure;

namespace ChatAspire.Tests.Files;

/// <summary>
/// File visibility has one owner, Chat.Api, and no service calls back to its caller (issue #16). Chat.Api reads from
/// Chat.Files only to export a channel (issue #35), never while people chat.
/// </summary>
[Collection(ExclusiveCollection.Name)]
public sealed class FileVisibilityTests(AppHostFixture fixture)
{
    [Fact]
    public async Task No_two_resources_reference_each_other()
    {
        var builder = await ChatAppHost.CreateBuilderAsync([]);
        var references = builder.Resources
            .SelectMany(r => r.Annotations.OfType<ResourceRelationshipAnnotation>().Where(a => a.Type == "Reference").Select(a => (From: r.Name, To: a.Resource.Name)))
            .ToHashSet();

        Assert.Contains((ResourceNames.Rag, ResourceNames.Files), references);
        Assert.DoesNotContain(references, r => references.Contains((r.To, r.From)));
        Assert.DoesNotContain((ResourceNames.Files, ResourceNames.Api), references); // grants are verified, not asked about
        // Chat.Api calls no service on the chat's paths (the next test); its one reference is Chat.Files, for a channel's
        // export to read the attachments, and Chat.Files references nothing back.
        Assert.DoesNotContain(references, r => r.From == ResourceNames.Api && r.To is ResourceNames.Rag or ResourceNames.AiWorker);
    }

    [Fact]
    public async Task Attaching_a_file_makes_no_call_from_chat_api_to_chat_files()
    {
        var api = (await ChatAppHost.ReplicaUrlsAsync(fixture.App, ResourceNames.Api))[0];
        var filesUrl = fixture.CreateClient(ResourceNames.Files).BaseAddress!;
        var alice = await ChatUsers.RegisterAsync(api);
        var channel = await alice.CreateChannelAsync();
        using var files = alice.Http(filesUrl);
        using var upload = await files.PostAsync("/api/files", Samples.Multipart("plan.txt", Samples.For("plan.txt")));
        var fileId = (await upload.Content.ReadFromJsonAsync<FileMetadata>())!.Id;
        using var apiMetrics = new HttpClient { BaseAddress = api };
        var apiBefore = await apiMetrics.GetStringAsync("/metrics");
        var filesBefore = await files.GetStringAsync("/metrics");

        using var http = alice.Http(api);
        using var sent = await http.PostAsJsonAsync($"/api/channels/{channel}/messages", new { content = "the plan", attachments = new[] { fileId } });

        Assert.Equal(HttpStatusCode.Created, sent.StatusCode);
        var apiAfter = await apiMetrics.GetStringAsync("/metrics");
        var filesAfter = await files.GetStringAsync("/metrics");
        Assert.Equal(MetricsText.Sum(apiBefore, "http_client_request_duration_seconds_count"), MetricsText.Sum(apiAfter, "http_client_request_duration_seconds_count"));
        Assert.Equal(MetricsText.Sum(filesBefore, "http_requests_total", ("endpoint", "/api/files/{id}")),
            MetricsText.Sum(filesAfter, "http_requests_total", ("endpoint", "/api/files/{id}")));
    }

    [Fact]
    public async Task A_member_downloads_a_shared_file_with_a_grant_and_chat_files_calls_nobody()
    {
        var api = (await ChatAppHost.ReplicaUrlsAsync(fixture.App, ResourceNames.Api))[0];
        var filesUrl = fixture.CreateClient(ResourceNames.Files).BaseAddress!;
        var alice = await ChatUsers.RegisterAsync(api);
        var bob = await ChatUsers.RegisterAsync(api);
        var channel = await alice.CreateChannelAsync();
        await alice.InviteAsync(channel, bob);
        using var aliceFiles = alice.Http(filesUrl);
        var bytes = Samples.For("minutes.txt");
        using var upload = await aliceFiles.PostAsync("/api/files", Samples.Multipart("minutes.txt", bytes));
        var fileId = (await upload.Content.ReadFromJsonAsync<FileMetadata>())!.Id;
        using (var http = alice.Http(api))
        {
            using var sent = await http.PostAsJsonAsync($"/api/channels/{channel}/messages", new { content = "minutes", attachments = new[] { fileId } });
            Assert.Equal(HttpStatusCode.Created, sent.StatusCode);
        }
        using var metrics = new HttpClient { BaseAddress = filesUrl };
        var before = await metrics.GetStringAsync("/metrics");

        var grant = await bob.GrantAsync(fileId);
        Assert.NotNull(grant);
        using var browser = new HttpClient { BaseAddress = filesUrl }; // no access token travels with a grant
        var downloaded = await browser.GetByteArrayAsync($"/api/files/{fileId}/content?grant={Uri.EscapeDataString(grant.Grant)}");
        var metadata = await browser.GetFromJsonAsync<FileMetadata>($"/api/files/{fileId}?grant={Uri.EscapeDataString(grant.Grant)}");

        Assert.Equal(bytes, downloaded);
        Assert.Equal("minutes.txt", metadata!.Name);
        var after = await metrics.GetStringAsync("/metrics");
        Assert.Equal(MetricsText.Sum(before, "http_client_request_duration_seconds_count"), MetricsText.Sum(after, "http_client_request_duration_seconds_count"));
        // A grant is not an access token: Chat.Api and Chat.Files refuse it as a bearer token.
        using var misuse = new HttpClient { BaseAddress = api };
        misuse.DefaultRequestHeaders.Authorization = new("Bearer", grant.Grant);
        Assert.Equal(HttpStatusCode.Unauthorized, (await misuse.GetAsync("/api/channels")).StatusCode);
    }
}
