using SplitCompute.Protocol.Heartbeats;
using Xunit;

namespace SplitCompute.Protocol.Tests.Heartbeats;

public sealed class WorkerHeartbeatTests
{
    private static WorkerHeartbeat Sample() => new()
    {
        WorkerId = "w1", Address = "http://127.0.0.1:8081", Model = "gpt2", Revision = "r1", NLayer = 12, NEmbd = 768, NPositions = 1024,
        Device = "cpu", DeviceName = "2-core CPU", Capacity = 1, BacklogMs = 42.5, BusyFraction = 0.75, UnixMs = 1_700_000_000_000,
    };

    [Fact]
    public void Busy_fraction_and_backlog_round_trip_under_their_wire_names()
    {
        var json = Sample().ToJson();

        Assert.Contains("\"busy_fraction\":0.75", json, StringComparison.Ordinal);
        Assert.Contains("\"backlog_ms\":42.5", json, StringComparison.Ordinal);
        Assert.Equal(Sample(), WorkerHeartbeat.TryParse(json));
    }

    [Fact]
    public void A_heartbeat_without_busy_fraction_still_parses_with_zero()
    {
        var json = Sample().ToJson().Replace(",\"busy_fraction\":0.75", "", StringComparison.Ordinal);

        var parsed = WorkerHeartbeat.TryParse(json);

        Assert.NotNull(parsed);
        Assert.Equal(0, parsed.BusyFraction);
        Assert.Equal(WorkerHeartbeat.CurrentVersion, parsed.Version);
    }
}
