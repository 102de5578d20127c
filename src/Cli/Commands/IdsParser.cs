using System.Globalization;

namespace SplitCompute.Cli.Commands;

/// <summary>Parses "--ids" values: sequences separated by ';', ids by ','. Example: "1,2,3;4,5".</summary>
internal static class IdsParser
{
    public static List<int[]> Parse(string text)
    {
        var sequences = new List<int[]>();
        foreach (var (part, index) in text.Split(';').Select((p, i) => (p, i)))
        {
            var items = part.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (items.Length == 0) throw new FormatException($"--ids: sequence {index} is empty");
            sequences.Add(items.Select(item => int.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
                ? id
                : throw new FormatException($"--ids: '{item}' in sequence {index} is not a non-negative integer")).ToArray());
        }
        return sequences;
    }
}
