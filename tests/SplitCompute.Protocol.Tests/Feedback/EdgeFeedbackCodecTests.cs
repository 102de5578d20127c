using System.Text;
using SplitCompute.Protocol.Capabilities;
using SplitCompute.Protocol.Decisions;
using SplitCompute.Protocol.Feedback;

namespace SplitCompute.Protocol.Tests.Feedback;

/// <summary>The feedback body and the decision header: what writers produce, readers accept, and what readers refuse.</summary>
public sealed class EdgeFeedbackCodecTests
{
    private static readonly EdgeFeedback Sample = new(DecisionId.New(), "gpt2", 6, 12, 12.5, 830.25, 170_000_000, 41.125, 884, false);

    [Fact]
    public void A_written_body_reads_back_equal()
    {
        Assert.Equal(Sample, EdgeFeedbackCodec.Parse(EdgeFeedbackCodec.ToJson(Sample)));
        Assert.True(EdgeFeedbackCodec.ToJson(Sample).Length < 400);
    }

    [Fact]
    public void Weights_loaded_is_optional_and_false_when_absent()
    {
        var loaded = Sample with { WeightsLoaded = true };
        Assert.Equal(loaded, EdgeFeedbackCodec.Parse(EdgeFeedbackCodec.ToJson(loaded)));
        var withoutField = Encoding.UTF8.GetString(EdgeFeedbackCodec.ToJson(loaded)).Replace(",\"weights_loaded\":true", "", StringComparison.Ordinal);
        Assert.Equal(Sample, EdgeFeedbackCodec.Parse(Encoding.UTF8.GetBytes(withoutField)));
    }

    [Fact]
    public void Load_ms_and_loaded_bytes_round_trip_and_default_to_zero_when_absent()
    {
        var loaded = Sample with { WeightsLoaded = true, LoadMs = 30.5, LoadedBytes = 85_000_000 };
        Assert.Equal(loaded, EdgeFeedbackCodec.Parse(EdgeFeedbackCodec.ToJson(loaded)));
        var json = Encoding.UTF8.GetString(EdgeFeedbackCodec.ToJson(loaded));
        Assert.Contains(",\"load_ms\":30.5,\"loaded_bytes\":85000000}", json, StringComparison.Ordinal);
        var older = json.Replace(",\"load_ms\":30.5,\"loaded_bytes\":85000000", "", StringComparison.Ordinal);
        Assert.Equal(loaded with { LoadMs = 0, LoadedBytes = 0 }, EdgeFeedbackCodec.Parse(Encoding.UTF8.GetBytes(older)));
    }

    [Theory]
    [InlineData(",\"load_ms\":41.2", "load_ms")]            // more than edge_ms = 41.125
    [InlineData(",\"load_ms\":-1", "load_ms")]
    [InlineData(",\"load_ms\":\"1\"", "load_ms")]
    [InlineData(",\"loaded_bytes\":-1", "loaded_bytes")]
    [InlineData(",\"loaded_bytes\":1099511627777", "loaded_bytes")]
    [InlineData(",\"loaded_bytes\":1.5", "loaded_bytes")]
    [InlineData(",\"loaded_bytes\":1000", "weights_loaded")]  // weights_loaded is false in Sample
    public void A_bad_load_field_is_refused_naming_it(string member, string field)
    {
        var json = Encoding.UTF8.GetString(EdgeFeedbackCodec.ToJson(Sample))
            .Replace(",\"load_ms\":0,\"loaded_bytes\":0", "", StringComparison.Ordinal).TrimEnd('}') + member + "}";
        Assert.Equal(field, Assert.Throws<ProtocolException>(() => EdgeFeedbackCodec.Parse(Encoding.UTF8.GetBytes(json))).Field);
    }

    [Fact]
    public void Unknown_fields_are_skipped_for_forward_compatibility()
    {
        var json = Encoding.UTF8.GetString(EdgeFeedbackCodec.ToJson(Sample)).TrimEnd('}') + ",\"gpu\":{\"name\":\"x\",\"list\":[1,2]}}";
        Assert.Equal(Sample, EdgeFeedbackCodec.Parse(Encoding.UTF8.GetBytes(json)));
    }

    [Theory]
    [InlineData("decision", "\"ABC\"")]
    [InlineData("model", "\"\"")]
    [InlineData("k", "12")]
    [InlineData("k", "-1")]
    [InlineData("n", "0")]
    [InlineData("n", "1e3")]
    [InlineData("edge_ms", "-0.5")]
    [InlineData("edge_ms", "600001")]
    [InlineData("edge_ms", "null")]
    [InlineData("total_ms", "\"5\"")]
    [InlineData("downloaded_bytes", "-1")]
    [InlineData("fell_back", "0")]
    public void A_bad_field_is_refused_naming_it(string field, string value)
    {
        var json = Encoding.UTF8.GetString(EdgeFeedbackCodec.ToJson(Sample));
        var start = json.IndexOf($"\"{field}\":", StringComparison.Ordinal) + field.Length + 3;
        var end = json.IndexOfAny([',', '}'], start);
        var ex = Assert.Throws<ProtocolException>(() => EdgeFeedbackCodec.Parse(Encoding.UTF8.GetBytes(json[..start] + value + json[end..])));
        Assert.Equal(field, ex.Field);
    }

    [Theory]
    [InlineData("edge_ms", "5e-324")]        // a denormal: any rate computed from it is infinite (issue 21)
    [InlineData("download_ms", "1e-300")]
    [InlineData("request_ms", "0.0009")]     // below the microsecond clients write
    [InlineData("total_ms", "1e308")]
    [InlineData("load_ms", "2.2250738585072014E-308")]
    [InlineData("edge_ms", "1e400")]         // parses to infinity
    [InlineData("edge_ms", "\"NaN\"")]
    [InlineData("edge_ms", "[1]")]
    public void Hostile_milliseconds_are_refused_naming_the_field_and_its_bound(string field, string value)
    {
        var json = Encoding.UTF8.GetString(EdgeFeedbackCodec.ToJson(Sample));
        var start = json.IndexOf($"\"{field}\":", StringComparison.Ordinal) + field.Length + 3;
        var end = json.IndexOfAny([',', '}'], start);
        var ex = Assert.Throws<ProtocolException>(() => EdgeFeedbackCodec.Parse(Encoding.UTF8.GetBytes(json[..start] + value + json[end..])));
        Assert.Equal(field, ex.Field);
        if (value[0] is not ('"' or '[')) Assert.Contains("0.001..600000 ms", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Negative_zero_milliseconds_read_as_plain_zero()
    {
        var json = Encoding.UTF8.GetString(EdgeFeedbackCodec.ToJson(Sample)).Replace("\"load_ms\":0,", "\"load_ms\":-0,", StringComparison.Ordinal);
        Assert.Contains("-0,", json, StringComparison.Ordinal);
        var parsed = EdgeFeedbackCodec.Parse(Encoding.UTF8.GetBytes(json));
        Assert.False(double.IsNegative(parsed.LoadMs), "load_ms kept its sign");
    }

    [Fact]
    public void Oversized_duplicated_nested_or_trailing_input_is_refused()
    {
        var json = Encoding.UTF8.GetString(EdgeFeedbackCodec.ToJson(Sample));
        Assert.Throws<ProtocolException>(() => EdgeFeedbackCodec.Parse(new byte[EdgeFeedbackLimits.MaxBodyBytes + 1]));
        Assert.Equal("k", Assert.Throws<ProtocolException>(() => EdgeFeedbackCodec.Parse(Encoding.UTF8.GetBytes(json.TrimEnd('}') + ",\"k\":6}"))).Field);
        Assert.Throws<ProtocolException>(() => EdgeFeedbackCodec.Parse(Encoding.UTF8.GetBytes(json.TrimEnd('}') + ",\"x\":" + new string('[', 20) + new string(']', 20) + "}")));
        Assert.Throws<ProtocolException>(() => EdgeFeedbackCodec.Parse(Encoding.UTF8.GetBytes(json + "{}")));
        Assert.Equal("fell_back", Assert.Throws<ProtocolException>(() => EdgeFeedbackCodec.Parse(Encoding.UTF8.GetBytes(json.Replace(",\"fell_back\":false", "", StringComparison.Ordinal)))).Field);
    }

    [Fact]
    public void The_decision_header_round_trips_and_tolerates_gateways_without_an_id()
    {
        var id = DecisionId.New();
        var header = new DecisionHeader(6, 12, "w\"1", id);
        Assert.Equal(header, DecisionHeader.TryParse(header.Format()));
        Assert.Equal(new DecisionHeader(4, 4, "w1", null), DecisionHeader.TryParse("k=4; n=4; worker=\"w1\""));
        Assert.Null(DecisionHeader.TryParse("k=5; n=4"));
        Assert.Null(DecisionHeader.TryParse("worker=\"w1\""));
        Assert.Null(DecisionHeader.TryParse("k=1; n=4; id=\"short\"")!.Id);
    }

    [Fact]
    public void The_client_id_header_is_known_to_the_capability_parser_and_not_warned_about()
    {
        var result = CapabilityHeaderParser.Parse(
        [
            new KeyValuePair<string, IEnumerable<string>>(HeaderNames.Version, ["1"]),
            new KeyValuePair<string, IEnumerable<string>>(HeaderNames.Client, [ClientId.New()]),
            new KeyValuePair<string, IEnumerable<string>>("X-SplitCompute-Bogus", ["1"]),
        ]);
        Assert.Equal(["X-SplitCompute-Bogus: unknown header; ignored"], result.Warnings);
        Assert.True(ClientId.IsValid(ClientId.New()));
        Assert.False(ClientId.IsValid("ABCDEF0123456789"));
        Assert.False(ClientId.IsValid("0123456789abcde"));
    }
}
