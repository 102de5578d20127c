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

    [Fact]
    public async Task Clients_that_read_slowly_starve_no_one_and_cost_bounded_memory()
    {
        await using var cluster = await LiveCluster.StartAsync(workers: 1);
        var load = new LoadDriver(cluster);
        await load.TakeReferenceAsync();
        var before = cluster.Gateway.ResidentBytes();

        // 8 clients each ask for an 8 MiB hidden-state frame (128 sequences x 256 tokens x 64 channels x 4 bytes) and then read
        // nothing, through a 4 KiB receive window: the gateway must hold back (backpressure), not buffer their answers.
        // Buffering them would cost it 64 MiB; the bound below is half that (the process's own working set moves by ~15 MiB
        // here from GC budgets and pooled buffers alone, seen with 4 MiB answers).
        const int slowClients = 8;
        const long frameBytes = 128L * 256 * 64 * 4;
        var ids = string.Join(",", Enumerable.Range(0, 256).Select(i => (i * 37) % 50000));
        var body = "{\"input\":[" + string.Join(",", Enumerable.Repeat($"[{ids}]", 128)) + "]}";
        var stalled = new List<System.Net.Sockets.Socket>();
        try
        {
            for (var i = 0; i < slowClients; i++)
            {
                var (socket, head) = await SlowReader.SendAsync(cluster.Gateway.Url, body, readHead: i == 0);
                stalled.Add(socket);
                if (i == 0)
                {
                    Assert.Contains("200 OK", head, StringComparison.Ordinal);
                    Assert.Contains("k=1; n=4", head, StringComparison.Ordinal);  // a hidden state after layer 1: the big answer
                }
            }
            await Task.Delay(TimeSpan.FromSeconds(3));  // the worker computes their frames; writes back up against the stalled readers

            // Meanwhile ordinary clients are served as usual.
            using var stop = new CancellationTokenSource();
            var running = load.RunAsync(2, stop.Token);
            await WaitForProgressAsync(load, 20);
            await stop.CancelAsync();
            await running;
            Assert.True(load.Failures.Count == 0, string.Join("\n", load.Failures.Take(5)));

            var growth = cluster.Gateway.ResidentBytes() - before;
            Assert.True(growth < slowClients * frameBytes / 2,
                $"the gateway grew by {growth >> 20} MiB while {slowClients} readers stalled on {frameBytes >> 20} MiB answers each");
            Console.WriteLine($"gateway resident memory grew by {growth / 1048576.0:F1} MiB with {slowClients} stalled readers");
        }
        finally
        {
            foreach (var socket in stalled) socket.Dispose();
        }
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
