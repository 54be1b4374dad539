using System.Diagnostics;
using ChatAspire.ServiceDefaults.Observability;
using Microsoft.Extensions.Time.Testing;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace ChatAspire.UnitTests.Observability;

/// <summary>
/// The cap on high-volume traces (<see cref="ObservabilityOptions.HighVolumeTracesPerSecond"/>) on a real tracer provider,
/// with every high-volume trace passing the ratio (1 here) so that only the cap decides, and a fake clock.
/// </summary>
public sealed class SamplerCapTests : IDisposable
{
    private readonly ActivitySource _source = new($"sampler-cap-test-{Guid.NewGuid():N}");
    private readonly FakeTimeProvider _clock = new();
    private TracerProvider? _provider;

    private void Cap(double perSecond) => _provider = Sdk.CreateTracerProviderBuilder()
        .AddSource(_source.Name)
        .SetSampler(new ParentBasedSampler(new VolumeAwareSampler(ratio: 1.0, highVolumeRatio: 1.0, perSecond, _clock)))
        .Build();

    private bool HubCall(string method = "SendMessage")
    {
        using var hubCall = _source.StartActivity($"Chat.Api.Realtime.ChatHub/{method}", ActivityKind.Server, default(ActivityContext),
            [new("rpc.method", method), new("rpc.system", "signalr"), new("rpc.service", "Chat.Api.Realtime.ChatHub")]);
        return hubCall?.Recorded ?? false;
    }

    [Fact]
    public void High_volume_traces_are_kept_at_most_the_cap_a_second_evenly_spaced()
    {
        Cap(perSecond: 2);
        Assert.Equal(1, Enumerable.Range(0, 50).Count(_ => HubCall()));
        _clock.Advance(TimeSpan.FromMilliseconds(499));
        Assert.False(HubCall());
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, Enumerable.Range(0, 50).Count(_ => HubCall()));
        // An idle spell saves no burst: after ten quiet seconds, still one.
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(1, Enumerable.Range(0, 50).Count(_ => HubCall()));
    }

    [Fact]
    public void The_cap_shares_its_slots_between_hub_calls_and_tagged_operations()
    {
        Cap(perSecond: 1);
        Assert.True(HubCall("Typing"));
        using var batch = _source.StartActivity("message.batch", ActivityKind.Internal, default(ActivityContext), VolumeAwareSampler.HighVolumeTags);
        Assert.False(batch?.Recorded ?? false);
    }

    [Fact]
    public void Other_traces_are_not_capped_and_a_cap_of_zero_is_no_cap()
    {
        Cap(perSecond: 0);
        Assert.Equal(50, Enumerable.Range(0, 50).Count(_ => HubCall()));
        _provider!.Dispose();
        Cap(perSecond: 1);
        Assert.Equal(50, Enumerable.Range(0, 50).Count(_ => HubCall("OnConnectedAsync")));
        using var request = _source.StartActivity("POST /api/channels/{channelId}/messages", ActivityKind.Server);
        Assert.True(request?.Recorded);
    }

    [Fact]
    public void Concurrent_callers_take_one_slot_between_them()
    {
        Cap(perSecond: 1);
        var kept = 0;
        Parallel.For(0, 2000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ =>
        {
            if (HubCall())
            {
                Interlocked.Increment(ref kept);
            }
        });
        Assert.Equal(1, kept);
    }

    public void Dispose()
    {
        _provider?.Dispose();
        _source.Dispose();
    }
}
