using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SplitCompute.Gateway.Hosting;

namespace SplitCompute.EndToEnd.Tests.Security;

/// <summary>
/// A gateway with the default logging configuration logs start-up at Information but nothing per request at Information or
/// above (issue 21 item 7: every request was logged, a cost at load and a flood a client controls); a category configured
/// explicitly keeps its level, so an operator can still see every request.
/// </summary>
public sealed class RequestLoggingTests(AccessCluster cluster) : IClassFixture<AccessCluster>
{
    private static readonly string[] Paths = ["/alive", "/health", "/dashboard/", "/v1/models", "/no-such-page", "/v1/embeddings"];

    [Fact]
    public async Task Requests_are_not_logged_at_information_but_start_up_is()
    {
        var lines = await LogOfRequestsAsync([]);
        Assert.Contains(lines, l => l.Level == LogLevel.Information && l.Category == "Microsoft.Hosting.Lifetime");
        // Per request: the framework's request categories, or any line naming a requested path (start-up's Redis connect is neither).
        var perRequest = lines.Where(l => l.Level >= LogLevel.Information
            && (l.Category.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) || l.Category.StartsWith("Yarp", StringComparison.Ordinal)
                || l.Category.StartsWith("System.Net.Http", StringComparison.Ordinal) || Paths.Any(p => l.Message.Contains(p, StringComparison.Ordinal)))).ToList();
        Assert.True(perRequest.Count == 0, string.Join("\n", perRequest.Select(l => $"{l.Level} {l.Category}: {l.Message}")));
    }

    [Fact]
    public async Task A_configured_category_keeps_its_level()
    {
        var lines = await LogOfRequestsAsync(["--Logging:LogLevel:Microsoft.AspNetCore=Information"]);
        Assert.Contains(lines, l => l.Category.StartsWith("Microsoft.AspNetCore.Hosting", StringComparison.Ordinal) && l.Message.Contains("/alive", StringComparison.Ordinal));
    }

    /// <summary>Starts a gateway on the cluster's Redis, sends a few requests, and returns what it logged from start on.</summary>
    private async Task<List<(LogLevel Level, string Category, string Message)>> LogOfRequestsAsync(string[] extra)
    {
        var sink = new CapturingProvider();
        var gateway = GatewayApp.Build(["--urls", "http://127.0.0.1:0", .. cluster.Redis.GatewayArguments(), "--Gateway:RefreshIntervalMs=50", .. extra]);
        gateway.Services.GetRequiredService<ILoggerFactory>().AddProvider(sink);
        await gateway.StartAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(SplitCluster.Address(gateway)) };
            foreach (var path in Paths) (await http.GetAsync(path)).Dispose();
            (await http.PostAsync("/v1/embeddings", Requests.Texts("logged?"))).Dispose();
        }
        finally
        {
            await gateway.StopAsync();
            await gateway.DisposeAsync();
        }
        return [.. sink.Lines];
    }

    private sealed class CapturingProvider : ILoggerProvider
    {
        public ConcurrentQueue<(LogLevel Level, string Category, string Message)> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturingProvider owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner.Lines.Enqueue((logLevel, category, formatter(state, exception)));
        }
    }
}
