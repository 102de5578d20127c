using System.Text.Json;

namespace SplitCompute.Model.Tests.Tokenization;

/// <summary>Every case of the reference fixture (ids produced by OpenAI's encoder) is its own test.</summary>
public sealed class Gpt2TokenizerCasesTests
{
    public static TheoryData<int, string> CaseIndices()
    {
        var data = new TheoryData<int, string>();
        for (var i = 0; i < Gpt2TestData.Cases.Count; i++)
        {
            // The second argument only names the test; escaped so control characters survive test discovery.
            var text = Gpt2TestData.Cases[i].Text;
            data.Add(i, JsonSerializer.Serialize(text.Length > 40 ? text[..40] : text));
        }
        return data;
    }

    [Fact]
    public void FixtureHasAllCases() => Assert.Equal(18, Gpt2TestData.Cases.Count);

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void EncodesToReferenceIds(int index, string preview)
    {
        _ = preview;
        var testCase = Gpt2TestData.Cases[index];
        Assert.Equal(testCase.Ids, Gpt2TestData.Tokenizer.Encode(testCase.Text));
    }

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void DecodesBackToText(int index, string preview)
    {
        _ = preview;
        var testCase = Gpt2TestData.Cases[index];
        Assert.Equal(testCase.Text, Gpt2TestData.Tokenizer.Decode(testCase.Ids));
    }
}
