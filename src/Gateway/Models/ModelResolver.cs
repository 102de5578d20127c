using SplitCompute.Gateway.Workers;

namespace SplitCompute.Gateway.Models;

/// <summary>
/// Resolves a request's <c>model</c> against the served models: none or "default" is Gateway:DefaultModel (or the only model
/// served); otherwise a configured alias (Gateway:ModelAliases, case-insensitive) is replaced by its target, then the served
/// name matches case-insensitively, optionally as <c>name@revision</c> (that revision must be served). Null: not served.
/// </summary>
public static class ModelResolver
{
    public static ResolvedModel? Resolve(string? requested, WorkerSnapshot snapshot, string? defaultModel, IReadOnlyDictionary<string, string> aliases)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(aliases);
        if (requested is null or "" or "default")
        {
            if (!string.IsNullOrEmpty(defaultModel)) requested = defaultModel;
            else
            {
                var models = snapshot.Workers.Select(w => w.Model).Distinct().ToList();
                return models.Count == 1 ? new ResolvedModel(models[0], null) : null;
            }
        }
        var alias = aliases.FirstOrDefault(a => string.Equals(a.Key, requested, StringComparison.OrdinalIgnoreCase));
        if (alias.Value is { Length: > 0 } target) requested = target;

        var at = requested.LastIndexOf('@');
        var name = at < 0 ? requested : requested[..at];
        var revision = at < 0 ? null : requested[(at + 1)..];
        var served = snapshot.Workers.FirstOrDefault(w => string.Equals(w.Model, name, StringComparison.Ordinal))
            ?? snapshot.Workers.FirstOrDefault(w => string.Equals(w.Model, name, StringComparison.OrdinalIgnoreCase));
        if (served is null) return null;
        if (revision is null) return new ResolvedModel(served.Model, null);
        var pinned = snapshot.Workers.FirstOrDefault(w => w.Model == served.Model && string.Equals(w.Revision, revision, StringComparison.OrdinalIgnoreCase));
        return pinned is null ? null : new ResolvedModel(pinned.Model, pinned.Revision);
    }

    /// <summary>What a client may send as <c>model</c>, for a 404's message: each served name@revision and the aliases.</summary>
    public static string Describe(WorkerSnapshot snapshot, IReadOnlyDictionary<string, string> aliases)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(aliases);
        var served = snapshot.Workers.Select(w => $"{w.Model} (or {w.Model}@{w.Revision})").Distinct().ToList();
        var text = served.Count == 0 ? "none" : string.Join(", ", served);
        return aliases.Count == 0 ? text : $"{text}; aliases: {string.Join(", ", aliases.Select(a => $"{a.Key} -> {a.Value}"))}";
    }
}
