using System.Diagnostics;

namespace SplitCompute.Cli.Tests;

/// <summary>
/// Faults on real processes while clients keep sending (issue 7): every request must still be answered, and answered right.
/// Each test starts its own deployment (redis-server, two workers, a gateway: separate OS processes on loopback).
/// </summary>
[Collection("live processes")]  // one deployment at a time: they share this machine's cores
public sealed class ResilienceTests
{
    private const int Clients = 4;

    [Fact]
    public async Task A_worker_killed_under_load_loses_no_request_and_rejoins_when_restarted()
    {
        await using var cluster = await LiveCluster.StartAsync();
        var load = new LoadDriver(cluster);
        await load.TakeReferenceAsync();
        using var stop = new CancellationTokenSource();
        var running = load.RunAsync(Clients, stop.Token);

        await WaitForProgressAsync(load, 20);
        await cluster.Workers[0].KillAsync();  // SIGKILL with requests in flight
        var atKill = load.Completed;
        await WaitForProgressAsync(load, atKill + 40);
        await cluster.Workers[0].StartAsync();
        await cluster.WaitForWorkersAsync(2);
        await WaitForProgressAsync(load, load.Completed + 20);
        await stop.CancelAsync();
        await running;

        Assert.True(load.Failures.Count == 0, $"{load.Failures.Count} of {load.Completed + load.Failures.Count} requests failed:\n" + string.Join("\n", load.Failures.Take(10)));
        Assert.True(load.Completed > atKill + 60, $"only {load.Completed} requests completed");
        Assert.True(load.Split > 0, "no request was split: the faults were not exercised on the split path");
    }

    [Fact]
    public async Task Redis_restarted_under_load_interrupts_no_request()
    {
        await using var cluster = await LiveCluster.StartAsync();
        var load = new LoadDriver(cluster);
        await load.TakeReferenceAsync();
        using var stop = new CancellationTokenSource();
        var running = load.RunAsync(Clients, stop.Token);

        await WaitForProgressAsync(load, 20);
        await cluster.Redis.StopAsync();
        var atStop = load.Completed;
        await WaitForProgressAsync(load, atStop + 30);  // served from the last-known workers, cloud-only
        await cluster.Redis.StartAsync();               // same port, empty: workers republish, the gateway rebuilds its view
        await cluster.WaitForWorkersAsync(2);
        var splitBefore = load.Split;
        await WaitForAsync(() => load.Split > splitBefore + 5, "split plans did not resume after Redis came back");
        await stop.CancelAsync();
        await running;

        Assert.True(load.Failures.Count == 0, $"{load.Failures.Count} requests failed:\n" + string.Join("\n", load.Failures.Take(10)));
    }

    [Fact]
    public async Task A_gateway_restart_is_ridden_out_by_client_retries()
    {
        await using var cluster = await LiveCluster.StartAsync();
        var load = new LoadDriver(cluster);
        await load.TakeReferenceAsync();
        using var stop = new CancellationTokenSource();
        var running = load.RunAsync(Clients, stop.Token);

        await WaitForProgressAsync(load, 20);
        await cluster.Gateway.KillAsync();
        var atKill = load.Completed;
        await Task.Delay(300);                 // clients now meet a refused connection and back off
        await cluster.Gateway.StartAsync();    // same port
        await WaitForProgressAsync(load, atKill + 30);
        await stop.CancelAsync();
        await running;

        Assert.True(load.Failures.Count == 0, $"{load.Failures.Count} requests failed:\n" + string.Join("\n", load.Failures.Take(10)));
    }

    private static Task WaitForProgressAsync(LoadDriver load, int completed) =>
        WaitForAsync(() => load.Completed >= completed || load.Failures.Count > 20, $"the load did not reach {completed} requests (at {load.Completed})");

    private static async Task WaitForAsync(Func<bool> condition, string failure)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(2)) throw new TimeoutException(failure);
            await Task.Delay(20);
        }
    }
}
