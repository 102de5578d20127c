namespace SplitCompute.Gateway.Models;

/// <summary>The served model a request's <c>model</c> names, and the revision it pins (null: any the workers serve).</summary>
public sealed record ResolvedModel(string Model, string? Revision);
