using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace Chat.Api.Realtime;

/// <summary>The hub's user id is the token's <c>sub</c>, so <c>Clients.User(id)</c> reaches every connection of a user.</summary>
internal sealed class SubjectUserIdProvider : IUserIdProvider
{
    public string? GetUserId(HubConnectionContext connection) => connection.User?.FindFirst(ChatAspire.ServiceDefaults.Auth.TokenIdentity.SubjectClaim)?.Value;
}
