using Microsoft.Playwright;

namespace ChatAspire.Tests.Web;

/// <summary>Debian's Chromium driven by Playwright (never a downloaded browser).</summary>
public static class Browsers
{
    public const string ChromiumPath = "/usr/bin/chromium";

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
        });
        return (playwright, browser);
    }
}

/// <summary>
/// The browser tests share the AppHost with every other parallel class but run one class at a time among themselves:
/// one Chromium at a time next to the services on two cores.
/// </summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection
{
    public const string Name = "Browser";
}
