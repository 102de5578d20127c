using System.Diagnostics;
using System.Globalization;
using System.Text;
using SplitCompute.Tokenization;

namespace SplitCompute.Benchmarks;

/// <summary>
/// Encodes ~1 MB of deterministic mixed text with the GPT-2 tokenizer: cold (word cache emptied before each run)
/// and warm (cache filled by the previous run). Prints the median of several runs.
/// Usage: tokenizer [megabytes=1] [repetitions=9]
/// </summary>
internal sealed class TokenizerBenchmark : IBenchmark
{
    public string Name => "tokenizer";

    public string Description => "GPT-2 BPE encode throughput on ~1 MB of mixed text, cold and warm word cache; BERT WordPiece on the same text";

    public int Run(string[] args)
    {
        var megabytes = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 1.0;
        var repetitions = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 9;

        var load = Stopwatch.StartNew();
        var tokenizer = Gpt2Tokenizer.CreateDefault();
        load.Stop();

        var text = BuildText((int)(megabytes * 1_000_000));
        var utf8Bytes = Encoding.UTF8.GetByteCount(text);
        var tokenCount = tokenizer.Encode(text).Length;
        // Let tiered compilation settle before timing: a few cold and warm passes.
        for (var i = 0; i < 4; i++)
        {
            tokenizer.ClearCache();
            tokenizer.Encode(text);
            tokenizer.Encode(text);
        }
        Console.WriteLine($"load: CreateDefault {load.Elapsed.TotalMilliseconds:F0} ms (vocab {tokenizer.VocabSize})");
        Console.WriteLine($"text: {text.Length:N0} chars, {utf8Bytes:N0} UTF-8 bytes, {tokenCount:N0} tokens, " +
                          $"{tokenizer.Cache.Count:N0} distinct cached words; {repetitions} runs each, median (min..max)");

        var cold = new List<double>();
        var warm = new List<double>();
        long coldAllocated = 0, warmAllocated = 0;
        for (var r = 0; r < repetitions; r++)
        {
            tokenizer.ClearCache();
            cold.Add(Time(tokenizer, text, ref coldAllocated));
            warm.Add(Time(tokenizer, text, ref warmAllocated));
        }

        Report("cold", cold, tokenCount, utf8Bytes, coldAllocated / repetitions);
        Report("warm", warm, tokenCount, utf8Bytes, warmAllocated / repetitions);

        // BERT's WordPiece (issue 22) on the same text: FastBertTokenizer after our accent stripping and over-long-word rule.
        var bert = Tokenization.Bert.WordPieceTokenizer.BertBaseUncased();
        var bertTokens = bert.Encode(text, int.MaxValue).Ids.Length;
        for (var i = 0; i < 3; i++) bert.Encode(text, int.MaxValue);
        var bertTimes = new List<double>();
        long bertAllocated = 0;
        for (var r = 0; r < repetitions; r++)
        {
            GC.Collect();
            var before = GC.GetAllocatedBytesForCurrentThread();
            var watch = Stopwatch.StartNew();
            GC.KeepAlive(bert.Encode(text, int.MaxValue));
            bertTimes.Add(watch.Elapsed.TotalSeconds);
            bertAllocated += GC.GetAllocatedBytesForCurrentThread() - before;
        }
        Console.WriteLine($"bert-base-uncased WordPiece: {bertTokens:N0} tokens on the same text");
        Report("wordpiece", bertTimes, bertTokens, utf8Bytes, bertAllocated / repetitions);
        return 0;
    }

    private static double Time(Gpt2Tokenizer tokenizer, string text, ref long allocated)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        var ids = tokenizer.Encode(text);
        watch.Stop();
        allocated += GC.GetAllocatedBytesForCurrentThread() - before;
        GC.KeepAlive(ids);
        return watch.Elapsed.TotalSeconds;
    }

    private static void Report(string label, List<double> seconds, int tokens, int bytes, long allocatedPerRun)
    {
        seconds.Sort();
        var median = seconds[seconds.Count / 2];
        Console.WriteLine(
            $"{label}: {median * 1000,8:F1} ms ({seconds[0] * 1000:F1}..{seconds[^1] * 1000:F1})  " +
            $"{tokens / median / 1e6,6:F2} M tokens/s  {bytes / median / 1e6,6:F2} MB/s  " +
            $"alloc {allocatedPerRun / 1e6:F1} MB/run");
    }

    /// <summary>
    /// Deterministic text that resembles a prompt corpus: English prose with contractions, numbers, dates and
    /// prices, punctuation, code and URLs, and some accented, CJK, Cyrillic and emoji text.
    /// </summary>
    internal static string BuildText(int targetChars)
    {
        string[] subjects = ["The model", "Our gateway", "A worker", "The edge device", "She", "They", "Nobody", "The tokenizer", "Each layer", "The cloud"];
        string[] verbs = ["splits", "forwards", "caches", "streams", "measures", "rejects", "encodes", "schedules", "compresses", "verifies"];
        string[] objects = ["the activations", "a batch of prompts", "every request", "the KV cache", "twelve layers", "the hidden state", "its weights", "the logits"];
        string[] tails = ["before noon", "in under 5 ms", "without copying", "on the GPU", "at the edge", "when it's idle", "if they'll fit", "because we've asked"];
        string[] unicode =
        [
            "café crème brûlée", "naïve résumé", "Zürich–Genève", "日本語のテキストを分割する", "中文分词测试", "Привет, мир!",
            "Ελληνικά γράμματα", "😀🚀🔥 emoji", "“smart quotes” and ‘single’ — dashes…", "한국어 문장입니다", "עברית", "العربية",
        ];
        string[] code =
        [
            "for (int i = 0; i < n; i++) { sum += x[i] * w[i]; }", "https://example.com/api/v1/infer?model=gpt2&layers=0-5",
            "def forward(self, x):\n    return self.ln_f(x)", "{\"id\": 42, \"ok\": true, \"tags\": [\"a\", \"b\"]}", "snake_case_name = camelCaseValue;",
        ];

        var random = new Random(20_240_601);
        // A few thousand invented words (names, jargon) give the word cache a realistic number of distinct entries.
        string[] syllables = ["ka", "lo", "mir", "tan", "ve", "zor", "qui", "ph", "an", "el", "gr", "ost", "ia", "un", "ber", "sch", "th", "ou"];
        var inventedWords = new string[4000];
        for (var i = 0; i < inventedWords.Length; i++)
        {
            var word = new StringBuilder();
            for (var s = 1 + random.Next(4); s > 0; s--) word.Append(syllables[random.Next(syllables.Length)]);
            if (random.Next(4) == 0) word[0] = char.ToUpperInvariant(word[0]);
            inventedWords[i] = word.ToString();
        }
        var builder = new StringBuilder(targetChars + 256);
        while (builder.Length < targetChars)
        {
            switch (random.Next(10))
            {
                case < 2:
                    for (var w = 3 + random.Next(10); w > 0; w--) builder.Append(inventedWords[random.Next(inventedWords.Length)]).Append(' ');
                    builder.Length--;
                    builder.Append(random.Next(3) == 0 ? ", " : ". ");
                    break;
                case < 6:
                    builder.Append(subjects[random.Next(subjects.Length)]).Append(' ')
                        .Append(verbs[random.Next(verbs.Length)]).Append(' ')
                        .Append(objects[random.Next(objects.Length)]).Append(' ')
                        .Append(tails[random.Next(tails.Length)]).Append(random.Next(5) == 0 ? "! " : ". ");
                    break;
                case 6:
                    builder.Append(CultureInfo.InvariantCulture, $"On {2000 + random.Next(30)}-{1 + random.Next(12):D2}-{1 + random.Next(28):D2} it cost ${random.Next(100_000) / 100.0:F2} ({random.NextDouble() * 100:F1}%). ");
                    break;
                case 7:
                    builder.Append(unicode[random.Next(unicode.Length)]).Append(' ');
                    break;
                case 8:
                    builder.Append(code[random.Next(code.Length)]).Append('\n');
                    break;
                default:
                    builder.Append(random.Next(3) == 0 ? "\n\n" : "\n").Append(random.Next(4) == 0 ? "    " : "");
                    break;
            }
        }
        return builder.ToString(0, targetChars);
    }
}
