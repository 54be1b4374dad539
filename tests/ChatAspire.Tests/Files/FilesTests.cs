using System.Security.Cryptography;
using Chat.Api.Messages;
using Chat.Files.Storage;
using ChatAspire.Tests.Infrastructure;

namespace ChatAspire.Tests.Files;

public sealed class FilesTests(AppHostFixture fixture)
{
    private Uri Api => fixture.ProxyClient(ResourceNames.Api).BaseAddress!;
    private Uri FilesUrl => fixture.CreateClient(ResourceNames.Files).BaseAddress!;

    public static TheoryData<string, string> Accepted
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var (name, contentType) in Samples.Accepted)
            {
                data.Add(name, contentType);
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Accepted))]
    public async Task An_accepted_type_round_trips_byte_for_byte(string name, string contentType)
    {
        var user = await ChatUsers.RegisterAsync(Api);
        using var files = user.Http(FilesUrl);
        var bytes = Samples.For(name);

        using var upload = await files.PostAsync("/api/files", Samples.Multipart(name, bytes));
        var created = await upload.Content.ReadFromJsonAsync<FileMetadata>();
        var metadata = await files.GetFromJsonAsync<FileMetadata>($"/api/files/{created!.Id}");
        using var download = await files.GetAsync($"/api/files/{created.Id}/content");

        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        Assert.Equal(contentType, metadata!.ContentType);
        Assert.Equal(name, metadata.Name);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), metadata.Sha256);
        Assert.Equal(bytes, await download.Content.ReadAsByteArrayAsync());
        Assert.Equal(contentType, download.Content.Headers.ContentType?.MediaType);
        Assert.Equal("nosniff", download.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal(contentType.StartsWith("image/", StringComparison.Ordinal) ? "inline" : "attachment",
            download.Content.Headers.ContentDisposition?.DispositionType);
    }

    [Fact]
    public async Task Identical_bytes_are_stored_once_and_deleting_one_copy_keeps_the_other()
    {
        var alice = await ChatUsers.RegisterAsync(Api);
        var bob = await ChatUsers.RegisterAsync(Api);
        using var aliceFiles = alice.Http(FilesUrl);
        using var bobFiles = bob.Http(FilesUrl);
        var storage = (await fixture.EnvironmentOfAsync(ResourceNames.Files, "Files__StoragePath"))!;
        var bytes = Samples.For("same.txt");

        var a = await UploadAsync(aliceFiles, "same.txt", bytes);
        var b = await UploadAsync(bobFiles, "copy.txt", bytes);
        var blob = Path.Combine(storage, "blobs", a.Sha256[..2], a.Sha256);

        Assert.Equal(a.Sha256, b.Sha256);
        Assert.NotEqual(a.Id, b.Id);
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(blob)!), f => Path.GetFileName(f) == a.Sha256);

        Assert.Equal(HttpStatusCode.NoContent, (await aliceFiles.DeleteAsync($"/api/files/{a.Id}")).StatusCode);
        Assert.Equal(bytes, await bobFiles.GetByteArrayAsync($"/api/files/{b.Id}/content"));
        Assert.Equal(HttpStatusCode.NotFound, (await aliceFiles.GetAsync($"/api/files/{a.Id}")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await bobFiles.DeleteAsync($"/api/files/{b.Id}")).StatusCode);
        Assert.False(File.Exists(blob));
    }

    [Fact]
    public async Task A_file_shared_as_an_attachment_is_readable_by_channel_members_only()
    {
        var alice = await ChatUsers.RegisterAsync(Api);
        var bob = await ChatUsers.RegisterAsync(Api);
        var carol = await ChatUsers.RegisterAsync(Api);
        var channel = await alice.CreateChannelAsync();
        await alice.InviteAsync(channel, bob);
        await bob.InviteAsync(channel, carol).ContinueWith(_ => { }, TaskScheduler.Default); // bob is no admin: refused, carol stays out
        using var aliceFiles = alice.Http(FilesUrl);
        using var bobFiles = bob.Http(FilesUrl);
        using var carolFiles = carol.Http(FilesUrl);
        var file = await UploadAsync(aliceFiles, "plan.md");
        var bobsOwn = await UploadAsync(bobFiles, "bob.txt");

        Assert.Equal(HttpStatusCode.NotFound, (await bobFiles.GetAsync($"/api/files/{file.Id}/content")).StatusCode);
        Assert.Null(await bob.GrantAsync(file.Id));
        using var aliceApi = alice.Http();
        using var shared = await aliceApi.PostAsJsonAsync($"/api/channels/{channel}/messages", new { content = "see the plan", attachments = new[] { file.Id } });
        using var stolen = await aliceApi.PostAsJsonAsync($"/api/channels/{channel}/messages", new { content = "not mine", attachments = new[] { bobsOwn.Id } });

        Assert.Equal(HttpStatusCode.Created, shared.StatusCode);
        Assert.Equal([file.Id], (await shared.Content.ReadFromJsonAsync<MessageDto>())!.Attachments);
        var grant = await bob.GrantAsync(file.Id);
        Assert.NotNull(grant);
        Assert.Equal(("plan.md", file.Size), (grant.Name, grant.Size));
        using var anonymous = new HttpClient { BaseAddress = FilesUrl };
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync($"/api/files/{file.Id}/content?grant={Uri.EscapeDataString(grant.Grant)}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bobFiles.GetAsync($"/api/files/{file.Id}/content")).StatusCode); // the access token alone is not enough
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync($"/api/files/{bobsOwn.Id}/content?grant={Uri.EscapeDataString(grant.Grant)}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/api/files/{file.Id}/content")).StatusCode);
        Assert.Null(await carol.GrantAsync(file.Id));
        Assert.Equal(HttpStatusCode.NotFound, (await carolFiles.GetAsync($"/api/files/{file.Id}/content")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, stolen.StatusCode);
        Assert.Single(await alice.HistoryAsync(channel));
    }

    [Fact]
    public async Task Download_names_use_RFC_6266_encoding()
    {
        var user = await ChatUsers.RegisterAsync(Api);
        using var files = user.Http(FilesUrl);
        using var upload = await files.PostAsync("/api/files", Samples.Multipart("résumé final.txt", Samples.For("x.txt")));
        var file = await upload.Content.ReadFromJsonAsync<FileMetadata>();

        using var download = await files.GetAsync($"/api/files/{file!.Id}/content");
        var header = download.Content.Headers.ContentDisposition!;

        Assert.Equal("attachment", header.DispositionType);
        Assert.Equal("résumé final.txt", header.FileNameStar);
        Assert.Equal("résumé final.txt", file.Name);
        Assert.All(header.FileName!, c => Assert.True(c < 128)); // the plain filename= is an ASCII fallback
    }

    internal static async Task<FileMetadata> UploadAsync(HttpClient files, string rawName, byte[]? bytes = null)
    {
        using var response = await files.PostAsync("/api/files", Samples.Multipart(rawName, bytes ?? Samples.For(Path.GetExtension(rawName) is ".md" ? "x.md" : "x.txt")));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<FileMetadata>())!;
    }

    internal static int BlobCount(string storage) =>
        Directory.Exists(Path.Combine(storage, "blobs")) ? Directory.GetFiles(Path.Combine(storage, "blobs"), "*", SearchOption.AllDirectories).Length : 0;
}

/// <summary>Refused uploads leave no blob behind: counts the whole store, so it runs with the AppHost to itself.</summary>
[Collection(ExclusiveCollection.Name)]
public sealed class HostileUploadTests(AppHostFixture fixture)
{
    private Uri Api => fixture.ProxyClient(ResourceNames.Api).BaseAddress!;
    private Uri FilesUrl => fixture.CreateClient(ResourceNames.Files).BaseAddress!;

    [Fact]
    public async Task Hostile_uploads_are_refused_and_leave_nothing_behind()
    {
        var user = await ChatUsers.RegisterAsync(Api);
        var other = await ChatUsers.RegisterAsync(Api);
        using var files = user.Http(FilesUrl);
        var storage = await fixture.EnvironmentOfAsync(ResourceNames.Files, "Files__StoragePath");
        var blobsBefore = FilesTests.BlobCount(storage!);

        using var oversize = await files.PostAsync("/api/files", Samples.LargeText("big.txt", 25L * 1024 * 1024 + 1));
        using var pngAsText = await files.PostAsync("/api/files", Samples.Multipart("innocent.txt", Samples.For("x.png")));
        using var exeAsPdf = await files.PostAsync("/api/files", Samples.Multipart("invoice.pdf", Samples.Executable()));
        using var unknownExtension = await files.PostAsync("/api/files", Samples.Multipart("page.xml", Samples.For("x.txt")));
        using var empty = await files.PostAsync("/api/files", Samples.Multipart("empty.txt", []));
        using var anonymous = new HttpClient { BaseAddress = FilesUrl };
        using var noToken = await anonymous.PostAsync("/api/files", Samples.Multipart("a.txt", Samples.For("a.txt")));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, oversize.StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, pngAsText.StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, exeAsPdf.StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, unknownExtension.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);
        Assert.Equal("application/problem+json", pngAsText.Content.Headers.ContentType?.MediaType);
        Assert.Empty(await files.GetFromJsonAsync<FileMetadata[]>("/api/files") ?? []);
        Assert.Equal(blobsBefore, FilesTests.BlobCount(storage!));
        Assert.Empty(Directory.Exists(Path.Combine(storage!, "tmp")) ? Directory.GetFiles(Path.Combine(storage!, "tmp")) : []);

        // Hostile names are stored only as harmless metadata.
        var traversal = await FilesTests.UploadAsync(files, "../../../etc/passwd.txt");
        var absolute = await FilesTests.UploadAsync(files, "/etc/cron.d/evil.txt");
        var windows = await FilesTests.UploadAsync(files, "C:\\\\Windows\\\\system.txt");
        var control = await FilesTests.UploadAsync(files, "bad\u0001na\u0007me.txt");
        Assert.Equal("passwd.txt", traversal.Name);
        Assert.Equal("evil.txt", absolute.Name);
        Assert.Equal("system.txt", windows.Name);
        Assert.Equal("badname.txt", control.Name);
        Assert.All([traversal, absolute, windows, control], f => Assert.True(File.Exists(Path.Combine(storage!, "blobs", f.Sha256[..2], f.Sha256))));

        using var stranger = other.Http(FilesUrl);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/api/files/{traversal.Id}/content")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/api/files/{traversal.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.DeleteAsync($"/api/files/{traversal.Id}")).StatusCode);
    }
}

public sealed class FileQuotaTests(AppHostFixture fixture)
{
    [Fact]
    public async Task An_upload_over_the_quota_is_refused_with_a_clear_error_and_stores_nothing()
    {
        var user = await ChatUsers.RegisterAsync(fixture.ProxyClient(ResourceNames.Api).BaseAddress!);
        var storage = Path.Combine(Path.GetTempPath(), $"chataspire-quota-{Guid.NewGuid():N}");
        var settings = await fixture.ServiceSettingsAsync(ResourceNames.FilesDb);
        settings["Files:StoragePath"] = storage;
        settings["Files:UserQuotaBytes"] = "100";
        await using var files = new ServiceFactory<global::Chat.Files.Data.FilesDbContext>(settings);
        using var client = files.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", user.Token);

        using var fits = await client.PostAsync("/api/files", Samples.Multipart("a.txt", new byte[60].Select(_ => (byte)'a').ToArray()));
        using var over = await client.PostAsync("/api/files", Samples.Multipart("b.txt", new byte[60].Select(_ => (byte)'b').ToArray()));
        var problem = await over.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();

        Assert.Equal(HttpStatusCode.Created, fits.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, over.StatusCode);
        Assert.Contains("quota", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Single(await client.GetFromJsonAsync<FileMetadata[]>("/api/files") ?? []);
        Assert.Single(Directory.GetFiles(Path.Combine(storage, "blobs"), "*", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(Path.Combine(storage, "tmp")));
        Directory.Delete(storage, recursive: true);
    }
}
