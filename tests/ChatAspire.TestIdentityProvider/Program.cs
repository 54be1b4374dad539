using ChatAspire.TestIdentityProvider;

// By hand: dotnet run --project tests/ChatAspire.TestIdentityProvider -- http://127.0.0.1:5300 http://localhost:5080
// (this provider's address, then ChatAspire's). It prints the Auth:Oidc settings for Chat.Api and the accounts to sign in with.
var address = new Uri(args.ElementAtOrDefault(0) ?? "http://127.0.0.1:5300");
var chat = new Uri(args.ElementAtOrDefault(1) ?? "http://localhost:5080");
await using var idp = await TestIdentityProvider.StartAsync(address.Port);
await idp.RegisterClientAsync(TestIdentityProvider.DefaultClientId, TestIdentityProvider.DefaultClientSecret, [chat]);
idp.Add(new TestAccount("ada", "Ada Lovelace", ["chat-admins"]));
idp.Add(new TestAccount("grace", "Grace Hopper", []));
Console.WriteLine($"""
    Test identity provider at {idp.Issuer}
      Auth__Oidc__Authority={idp.Issuer}
      Auth__Oidc__ClientId={TestIdentityProvider.DefaultClientId}
      Auth__Oidc__ClientSecret={TestIdentityProvider.DefaultClientSecret}
      Auth__Oidc__RequireHttpsMetadata=false
      Auth__Oidc__RoleClaim=groups
      Auth__Oidc__AdminValues__0=chat-admins
    Accounts: ada (admin), grace; password {TestIdentityProvider.Password}. Ctrl+C stops.
    """);
var stop = new TaskCompletionSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.TrySetResult(); };
await stop.Task;
