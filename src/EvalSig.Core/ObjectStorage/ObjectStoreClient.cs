using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Text;
using System.Threading;
using EvalSig.Bridge.Cloud;
using EvalSig.Core.Diagnostics;

namespace EvalSig.Core.ObjectStorage;

/// <summary>
/// Core's side of one object store: every call goes through here, so service failures become
/// EvalSigExceptions with stable ids (never an SDK type), and what the service was probed to enforce is
/// remembered for the process.
/// </summary>
internal sealed class ObjectStoreClient : IDisposable
{
    private static readonly ConcurrentDictionary<string, bool> ConditionalCreate = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, bool> ConditionalReplace = new(StringComparer.Ordinal);
    private readonly IObjectStore _store;

    public ObjectStoreClient(ObjectStoreLocation location, IObjectStore store)
    {
        Location = location;
        _store = store;
    }

    public ObjectStoreLocation Location { get; }

    /// <summary>The service endpoint (no credentials).</summary>
    public string Endpoint => _store.Endpoint;

    public static ObjectStoreClient Connect(ObjectStoreLocation location) => new(location, ObjectStoreConnector.Connect(location));

    public bool TryCreate(string name, byte[] bytes, ObjectRetention? retention, CancellationToken cancel) => Call(() => _store.TryCreate(name, bytes, retention, cancel), name);

    public string? TryReplace(string name, byte[] bytes, string ifMatch, CancellationToken cancel) => Call(() => _store.TryReplace(name, bytes, ifMatch, cancel), name);

    public ObjectContent? Read(string name, CancellationToken cancel) => Call(() => _store.Read(name, cancel), name);

    public ObjectInfo? Head(string name, CancellationToken cancel) => Call(() => _store.Head(name, cancel), name);

    public void Delete(string name, CancellationToken cancel) => Call(() => { _store.Delete(name, cancel); return true; }, name);

    public void CreateContainerIfMissing(CancellationToken cancel) => Call(() => { _store.CreateContainerIfMissing(cancel); return true; }, Location.Container);

    public RetentionSupport RetentionSupport(CancellationToken cancel) => Call(() => _store.GetRetentionSupport(cancel), Location.Container);

    public IEnumerable<ObjectInfo> List(string prefix, string? startAfter, CancellationToken cancel) => Guard(_store.List(prefix, startAfter, cancel), prefix);

    public IEnumerable<ObjectContent?> ReadMany(IEnumerable<string> names, int parallelism, CancellationToken cancel) => Guard(_store.ReadMany(names, parallelism, cancel), Location.ToString());

    /// <summary>
    /// Whether the service refuses a second create of one name (If-None-Match: *): create a probe
    /// object twice; a service that ignores the header overwrites it and says yes both times.
    /// Decided once per process and service location.
    /// </summary>
    public bool EnforcesConditionalCreate(CancellationToken cancel)
        => ConditionalCreate.GetOrAdd(ProbeKey, _ =>
        {
            var name = Location.KeyRoot + "probe/conditional-create";
            var bytes = Encoding.UTF8.GetBytes("{\"probe\":\"If-None-Match: * must refuse a second create of this name\"}\n");
            TryCreate(name, bytes, null, cancel);
            return !TryCreate(name, bytes, null, cancel);
        });

    /// <summary>Whether the service refuses a replace whose If-Match does not hold (the run store's manifest needs it).</summary>
    public bool EnforcesConditionalReplace(CancellationToken cancel)
        => ConditionalReplace.GetOrAdd(ProbeKey, _ =>
        {
            var name = Location.KeyRoot + "probe/conditional-replace";
            var bytes = Encoding.UTF8.GetBytes("{\"probe\":\"If-Match with a stale entity tag must be refused\"}\n");
            TryCreate(name, bytes, null, cancel);
            return TryReplace(name, bytes, "\"evalsig-stale-etag\"", cancel) is null;
        });

    public void Dispose() => _store.Dispose();

    /// <summary>An object-store failure as an EvalSigException (the message is already free of credentials).</summary>
    public static EvalSigException Translate(ObjectStoreException ex, string target)
    {
        ArgumentNullException.ThrowIfNull(ex);
        var (id, kind, advice) = ex.Failure switch
        {
            ObjectStoreFailure.Unreachable => (EvalSigError.StorageUnreachable, EvalSigErrorKind.ConnectionError, " Check the endpoint and the network; nothing was written."),
            ObjectStoreFailure.Unauthorized => (EvalSigError.StorageAccessDenied, EvalSigErrorKind.PermissionDenied, " Check the credentials in the environment (AZURE_STORAGE_*, AWS_*) or the signed-in identity and its role on the container or bucket."),
            ObjectStoreFailure.ContainerNotFound => (EvalSigError.StorageContainerNotFound, EvalSigErrorKind.ObjectNotFound, " Create the container or bucket first (with Object Lock or version-level immutability if records must be write-once)."),
            _ => (EvalSigError.StorageRequestFailed, EvalSigErrorKind.WriteError, string.Empty),
        };
        return new EvalSigException(id, kind, ex.Message + advice, target, ex);
    }

    private string ProbeKey => Location.Identity;

    private T Call<T>(Func<T> call, string target)
    {
        try
        {
            return call();
        }
        catch (ObjectStoreException ex)
        {
            throw Translate(ex, Location.ObjectUri(target));
        }
    }

    private static IEnumerable<T> Guard<T>(IEnumerable<T> source, string target)
    {
        using var e = source.GetEnumerator();
        while (true)
        {
            try
            {
                if (!e.MoveNext())
                {
                    yield break;
                }
            }
            catch (ObjectStoreException ex)
            {
                throw Translate(ex, target);
            }

            yield return e.Current;
        }
    }
}
