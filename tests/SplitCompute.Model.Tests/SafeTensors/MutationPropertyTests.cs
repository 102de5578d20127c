using System.Text;
using FsCheck;
using FsCheck.Fluent;
using SplitCompute.Model.SafeTensors;

namespace SplitCompute.Model.Tests.SafeTensors;

/// <summary>
/// Random corruption of a valid file either still loads or fails with <see cref="ModelFormatException"/>:
/// never another exception type, a crash (reading outside the mapping) or a hang.
/// </summary>
public sealed class MutationPropertyTests
{
    /// <summary>Bytes that turn header text into other, still plausible JSON: digits, signs, brackets, quotes.</summary>
    private static readonly byte[] JsonishBytes = Encoding.ASCII.GetBytes("0123456789-+.eE[]{},:\" FIU");

    public sealed record Corruption((int Position, byte Value)[] Edits, int? TruncateTo)
    {
        public override string ToString() =>
            $"edits [{string.Join(", ", Edits.Select(e => $"{e.Position}:{e.Value}"))}], truncate {TruncateTo?.ToString() ?? "none"}";
    }

    [Fact]
    public async Task CorruptedFilesFailOnlyWithModelFormatException()
    {
        using var dir = new TempDirectory();
        var valid = RawFile.SmallValidFile(dir);
        var headerEnd = 8 + (int)BitConverter.ToUInt64(valid, 0);
        var path = dir.File("mutated.safetensors");

        var position = Gen.Frequency(
            (1, Gen.Choose(0, 7)),                  // the length prefix
            (6, Gen.Choose(8, headerEnd - 1)),      // the JSON header
            (1, Gen.Choose(0, valid.Length - 1)));  // anywhere, data included
        var value = Gen.Frequency((1, Gen.Choose(0, 255).Select(b => (byte)b)), (2, Gen.Elements(JsonishBytes)));
        var edit = position.SelectMany(_ => value, (p, v) => (p, v));
        var edits = Gen.Choose(0, 4).SelectMany(n => Gen.ArrayOf(edit, n));
        var truncate = Gen.Frequency((3, Gen.Constant<int?>(null)), (1, Gen.Choose(0, valid.Length - 1).Select(n => (int?)n)));
        var corruption = edits.SelectMany(_ => truncate, (e, t) => new Corruption(e, t));

        var property = Prop.ForAll(corruption.ToArbitrary(), c =>
        {
            var bytes = (byte[])valid.Clone();
            foreach (var (p, v) in c.Edits) bytes[p] = v;
            File.WriteAllBytes(path, c.TruncateTo is int n ? bytes[..n] : bytes);
            LoadEverything(path);
        });

        var run = Task.Run(() => Check.One(FsCheck.Config.QuickThrowOnFailure.WithMaxTest(600).WithQuietOnSuccess(true), property));
        // A TimeoutException here means some corrupted file hangs the loader.
        await run.WaitAsync(TimeSpan.FromMinutes(2));
    }

    /// <summary>Opens and reads every tensor every way; only ModelFormatException is an acceptable failure.</summary>
    private static void LoadEverything(string path)
    {
        try
        {
            using var file = SafeTensorsFile.Open(path);
            long checksum = 0;
            foreach (var info in file.Tensors.Values)
            {
                foreach (var b in file.GetBytes(info)) checksum += b;
            }
            using var checkpoint = Checkpoint.OpenFile(path);
            foreach (var name in checkpoint.TensorNames)
            {
                var info = checkpoint.GetInfo(name);
                try
                {
                    if (info.DType is TensorDType.I64 or TensorDType.I32) checksum += checkpoint.ReadInt64(name).Length;
                    else checksum += checkpoint.ReadFloat32(name, info.Shape).Length;
                }
                catch (ModelFormatException)
                {
                    // A dtype mutated to one the reader does not convert (e.g. U8) is a legitimate refusal.
                }
            }
            GC.KeepAlive(checksum);
        }
        catch (ModelFormatException e)
        {
            Assert.Contains(path, e.Message, StringComparison.Ordinal);
        }
    }
}
