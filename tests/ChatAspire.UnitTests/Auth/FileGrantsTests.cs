using System.Security.Claims;
using ChatAspire.ServiceDefaults.Auth;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;

namespace ChatAspire.UnitTests.Auth;

/// <summary>Download grants: one file, one user, minutes long; neither an access token nor a grant for another file passes.</summary>
public sealed class FileGrantsTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly IOptions<TokenOptions> _options = Options.Create(new TokenOptions { SigningKey = new string('k', 64) });
    private readonly FileGrants _grants;
    private readonly ClaimsPrincipal _user = new(new ClaimsIdentity([new Claim("sub", Guid.NewGuid().ToString()), new Claim("sid", Guid.NewGuid().ToString("N"))], "test"));

    public FileGrantsTests()
    {
        // No Redis registered: the revocation check answers "not revoked", as it does while Redis is unreachable.
        var revocations = new TokenRevocations(new ServiceCollection().BuildServiceProvider(), _options, _clock, NullLogger<TokenRevocations>.Instance);
        _grants = new FileGrants(_options, revocations, _clock);
    }

    [Fact]
    public async Task A_grant_opens_its_file_only_and_only_until_it_expires()
    {
        var file = Guid.NewGuid();
        var (grant, expiresAt) = _grants.Create(file, _user);

        Assert.Equal(_clock.GetUtcNow() + _options.Value.FileGrantLifetime, expiresAt);
        Assert.True(await _grants.AllowsAsync(grant, file));
        Assert.False(await _grants.AllowsAsync(grant, Guid.NewGuid()));

        _clock.Advance(_options.Value.FileGrantLifetime - TimeSpan.FromSeconds(1));
        Assert.True(await _grants.AllowsAsync(grant, file));
        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.False(await _grants.AllowsAsync(grant, file));
    }

    [Fact]
    public async Task Tampered_grants_foreign_keys_and_access_tokens_are_not_grants()
    {
        var file = Guid.NewGuid();
        var (grant, _) = _grants.Create(file, _user);
        var parts = grant.Split('.');
        var tampered = $"{parts[0]}.{parts[1]}.{(parts[2][0] == 'A' ? 'B' : 'A')}{parts[2][1..]}";
        var otherKey = new FileGrants(Options.Create(new TokenOptions { SigningKey = new string('x', 64) }),
            new TokenRevocations(new ServiceCollection().BuildServiceProvider(), _options, _clock, NullLogger<TokenRevocations>.Instance), _clock);
        var accessToken = _options.Value.CreateAccessToken(new JsonWebTokenHandler(), _clock.GetUtcNow(), Guid.NewGuid(), "eve", "member");

        Assert.False(await _grants.AllowsAsync(tampered, file));
        Assert.False(await _grants.AllowsAsync(otherKey.Create(file, _user).Grant, file));
        Assert.False(await _grants.AllowsAsync(accessToken, file));
        Assert.False(await _grants.AllowsAsync("", file));
        Assert.False(await _grants.AllowsAsync(null, file));
        Assert.False(await _grants.AllowsAsync(new string('a', 10_000), file));
    }
}
