namespace EvalSig.Core.Audit;

/// <summary>
/// What long or degraded audit work tells its caller while it runs: warnings (an index that did
/// not match and was rebuilt, an unauthenticated index) and progress (index catch-up). Cmdlets
/// turn them into WriteWarning / WriteProgress, the CLI into stderr lines.
/// </summary>
public interface IAuditObserver
{
    void Warning(string message);

    /// <summary>Progress of <paramref name="activity"/>: <paramref name="fraction"/> in [0, 1], or 1 when done.</summary>
    void Progress(string activity, string status, double fraction);
}

/// <summary>How to read a ledger: with a keyring the derived index is authenticated; an observer hears warnings and progress.</summary>
public sealed record AuditReadOptions
{
    /// <summary>Keys to authenticate (and maintain) index.sqlite; without, the index is read unauthenticated and never written.</summary>
    public AuditKeyring? Keyring { get; init; }

    public IAuditObserver? Observer { get; init; }
}

/// <summary>How to append: optionally keep index.sqlite level as part of the append.</summary>
public sealed record AuditAppendOptions
{
    /// <summary>Bring index.sqlite level with the ledger after the append (MAC'd rows), so the next query has no catch-up to do.</summary>
    public bool UpdateIndex { get; init; }

    public IAuditObserver? Observer { get; init; }
}
