using System.Globalization;
using SplitCompute.Protocol.Capabilities;
using SplitCompute.Protocol.Feedback;

namespace SplitCompute.Protocol.Decisions;

/// <summary>
/// X-SplitCompute-Decision: <c>k=6; n=12; worker="w1"; id="9f86..."</c> (members per docs/protocol.md §3.2). The id names the
/// decision in feedback (POST /v1/feedback); gateways before it was added send none.
/// </summary>
public sealed record DecisionHeader(int K, int N, string? Worker, string? Id)
{
    public string Format()
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"k={K}; n={N}");
        if (Worker is not null) text += $"; worker={HeaderSyntax.Quote(Worker)}";
        if (Id is not null) text += $"; id=\"{Id}\"";
        return text;
    }

    /// <summary>Null when the value lacks k or n or they are not integers with 0 &lt;= k &lt;= n; an id that is not a decision id is dropped.</summary>
    public static DecisionHeader? TryParse(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > CapabilityBounds.MaxHeaderLength) return null;
        var members = HeaderSyntax.ParseMembers(value, HeaderNames.Decision, new WarningList());
        string? Member(string key) => members.FirstOrDefault(m => m.Key == key).Value;
        if (!HeaderSyntax.TryParseInteger(Member("k") ?? "", out var k) || !HeaderSyntax.TryParseInteger(Member("n") ?? "", out var n) || k > n || n > int.MaxValue)
            return null;
        var id = Member("id");
        return new DecisionHeader((int)k, (int)n, Member("worker"), DecisionId.IsValid(id) ? id : null);
    }
}
