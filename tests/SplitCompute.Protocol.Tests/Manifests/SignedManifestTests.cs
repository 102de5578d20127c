using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using SplitCompute.Protocol.Manifests;

namespace SplitCompute.Protocol.Tests.Manifests;

/// <summary>
/// A signed manifest verifies with the signing key's public half and with nothing else; any change to the signed bytes, the
/// signature or the envelope is refused with a <see cref="ProtocolException"/> naming the field, never accepted.
/// </summary>
public sealed class SignedManifestTests : IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _other = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    [Fact]
    public void SignedManifestVerifiesWithThePublicKeyAndRoundTripsThroughJson()
    {
        var manifest = Fixtures.Manifest(4, 8);
        var signed = SignedManifest.FromJson(SignedManifest.Sign(manifest, _key).ToJsonUtf8());
        using var publicOnly = PublicHalf(_key);
        Assert.Equal(manifest, signed.Verify(publicOnly));
        Assert.Equal(SignedManifest.Es256, signed.Algorithm);
        Assert.Equal(SignedManifest.KeyIdOf(publicOnly), signed.KeyId);
        // IEEE P1363: 64 bytes, the form WebCrypto verifies.
        Assert.Equal(64, Convert.FromBase64String(signed.Signature).Length);
    }

    [Fact]
    public void AnotherKeyIsRefusedByKeyIdAndBySignature()
    {
        var signed = SignedManifest.Sign(Fixtures.Manifest(), _key);
        Assert.Equal("key_id", Assert.Throws<ProtocolException>(() => signed.Verify(_other)).Field);
        // An attacker who copies the pinned key's id onto their own signature still fails the signature check.
        var forged = SignedManifest.Sign(Fixtures.Manifest(), _other) with { KeyId = SignedManifest.KeyIdOf(_key) };
        Assert.Equal("signature", Assert.Throws<ProtocolException>(() => forged.Verify(_key)).Field);
    }

    [Fact]
    public void AlteredPayloadIsRefused()
    {
        var signed = SignedManifest.Sign(Fixtures.Manifest(), _key);
        var evil = signed with { Payload = signed.Payload.Replace(Fixtures.Hash("layer2"), Fixtures.Hash("evil"), StringComparison.Ordinal) };
        Assert.NotEqual(signed.Payload, evil.Payload);
        var e = Assert.Throws<ProtocolException>(() => evil.Verify(_key));
        Assert.Equal("signature", e.Field);
        Assert.Contains("altered", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("alg", "\"none\"", "alg")]
    [InlineData("alg", "\"ES384\"", "alg")]
    [InlineData("signature", "\"\"", "signature")]
    [InlineData("signature", "\"not base64!\"", "signature")]
    [InlineData("signature", "\"AAAA\"", "signature")]
    public void BadEnvelopeFieldsAreRefused(string field, string json, string expectedField)
    {
        var node = JsonNode.Parse(SignedManifest.Sign(Fixtures.Manifest(), _key).ToJsonUtf8())!.AsObject();
        node[field] = JsonNode.Parse(json);
        var signed = SignedManifest.FromJson(Encoding.UTF8.GetBytes(node.ToJsonString()));
        Assert.Equal(expectedField, Assert.Throws<ProtocolException>(() => signed.Verify(_key)).Field);
    }

    [Fact]
    public void SigningRefusesAnInvalidManifest() =>
        Assert.Throws<ProtocolException>(() => SignedManifest.Sign(Fixtures.Manifest() with { NHead = 3 }, _key));

    [Fact]
    public void EnvelopeOverTheSizeLimitIsRefusedBeforeParsing() =>
        Assert.Throws<ProtocolException>(() => SignedManifest.FromJson(new byte[SignedManifest.MaxBytes + 1]));

    /// <summary>Any edit of a valid signed manifest's bytes either leaves it verifying to the same manifest or is refused cleanly.</summary>
    [Fact]
    public void RandomEditsNeverVerifyToADifferentManifest()
    {
        var manifest = Fixtures.Manifest(4, 8);
        var valid = SignedManifest.Sign(manifest, _key).ToJsonUtf8();
        var jsonish = Encoding.ASCII.GetBytes("0123456789abcdef\"{}[],:\\ ");
        var edit = Gen.Choose(0, valid.Length - 1).SelectMany(_ => Gen.Frequency((1, Gen.Choose(0, 255).Select(b => (byte)b)), (3, Gen.Elements(jsonish))), (p, v) => (p, v));
        var edits = Gen.Choose(1, 3).SelectMany(n => Gen.ArrayOf(edit, n));
        var property = Prop.ForAll(edits.ToArbitrary(), changes =>
        {
            var bytes = (byte[])valid.Clone();
            foreach (var (p, v) in changes) bytes[p] = v;
            try
            {
                // JSON escapes can change bytes without changing the string ("\u0041" vs "A"): then it must verify to the same manifest.
                Assert.Equal(manifest, SignedManifest.FromJson(bytes).Verify(_key));
            }
            catch (ProtocolException)
            {
            }
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1000).WithQuietOnSuccess(true), property);
    }

    private static ECDsa PublicHalf(ECDsa key)
    {
        var copy = ECDsa.Create();
        copy.ImportFromPem(key.ExportSubjectPublicKeyInfoPem());
        return copy;
    }

    public void Dispose()
    {
        _key.Dispose();
        _other.Dispose();
    }
}
