namespace SplitCompute.Gateway.Integrity;

/// <summary>Bound from the "Gateway" section: Gateway:ManifestSigningKeyPath.</summary>
public sealed class ManifestSigningOptions
{
    /// <summary>
    /// PEM file of the ECDSA P-256 private key that signs shard manifests; every replica must be given the same file. Created
    /// (mode 0600) on first start when absent. Empty: $SPLITCOMPUTE_HOME/keys/manifest-signing-key.pem (else ~/.splitcompute/...).
    /// </summary>
    public string ManifestSigningKeyPath { get; set; } = "";
}
