using System.Net;
using System.Net.Sockets;
using Chat.Api.Webhooks;

namespace ChatAspire.UnitTests.Chat;

/// <summary>Outgoing webhooks may not reach the machine, the internal network or the cloud's metadata service (SSRF).</summary>
public sealed class NetworkGuardTests
{
    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("::1", false)]
    [InlineData("10.1.2.3", false)]
    [InlineData("172.16.0.1", false)]
    [InlineData("172.31.255.255", false)]
    [InlineData("192.168.1.10", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("100.64.0.1", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("224.0.0.1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("fd00::1", false)]
    [InlineData("::ffff:127.0.0.1", false)]
    [InlineData("172.32.0.1", true)]
    [InlineData("8.8.8.8", true)]
    [InlineData("2001:4860:4860::8888", true)]
    public void Private_loopback_and_link_local_addresses_are_not_public(string address, bool isPublic) =>
        Assert.Equal(isPublic, NetworkGuard.IsPublic(IPAddress.Parse(address)));

    [Fact]
    public async Task The_connect_callback_refuses_a_loopback_server_unless_private_networks_are_allowed()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var url = $"http://localhost:{((IPEndPoint)listener.LocalEndpoint).Port}/hook";
        var accepted = listener.AcceptTcpClientAsync();

        using var guarded = new HttpClient(new SocketsHttpHandler { ConnectCallback = NetworkGuard.Connect(() => false) });
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => guarded.GetAsync(url));
        Assert.Contains("private, loopback or link-local", refused.Message + refused.InnerException?.Message, StringComparison.Ordinal);
        Assert.False(accepted.IsCompleted);

        using var allowed = new HttpClient(new SocketsHttpHandler { ConnectCallback = NetworkGuard.Connect(() => true) }) { Timeout = TimeSpan.FromSeconds(5) };
        _ = allowed.GetAsync(url);
        using var client = await accepted.WaitAsync(TimeSpan.FromSeconds(5)); // the allowed client reached the server
        Assert.True(client.Connected);
    }
}
