using System;
using System.Collections.Generic;
using System.Threading;

namespace EvalSig.Bridge.Cloud;

/// <summary>An object's name (full, within the container or bucket), entity tag and size.</summary>
public sealed record ObjectInfo(string Name, string ETag, long Size);

/// <summary>An object's bytes and the entity tag they were read at.</summary>
public sealed record ObjectContent(byte[] Bytes, string ETag);

/// <summary>
/// A write-once retention to set on a new object: <paramref name="Mode"/> "governance" or
/// "compliance" (S3 Object Lock modes; on Azure "unlocked" and "locked" immutability policies).
/// </summary>
public sealed record ObjectRetention(string Mode, DateTimeOffset RetainUntil);

/// <summary>What the container or bucket enforces about write-once retention, in the service's words.</summary>
public sealed record RetentionSupport(bool PerObjectRetention, bool DefaultRetention, string Description);

/// <summary>
/// One container or bucket of an object store, through a cloud SDK, with base-library signatures only.
/// Every call returns after the service answered; failures are <see cref="ObjectStoreException"/>.
/// </summary>
public interface IObjectStore : IDisposable
{
    /// <summary>"azure-blob" or "s3".</summary>
    string Kind { get; }

    /// <summary>The container (Azure) or bucket (S3) name.</summary>
    string Container { get; }

    /// <summary>The service endpoint, without credentials or query.</summary>
    string Endpoint { get; }

    /// <summary>
    /// Creates the object only if no object of that name exists (<c>If-None-Match: *</c>). True when the
    /// service stored it; false when it answered that the name exists (412, or Azure's 409).
    /// </summary>
    bool TryCreate(string name, byte[] bytes, ObjectRetention? retention, CancellationToken cancel);

    /// <summary>
    /// Replaces the object only if its entity tag is still <paramref name="ifMatch"/> (<c>If-Match</c>).
    /// The new entity tag, or null when the service answered 412 (changed, or gone).
    /// </summary>
    string? TryReplace(string name, byte[] bytes, string ifMatch, CancellationToken cancel);

    /// <summary>The object's bytes and entity tag, or null when there is no such object.</summary>
    ObjectContent? Read(string name, CancellationToken cancel);

    /// <summary>
    /// Reads many objects with up to <paramref name="parallelism"/> requests in flight, yielding them in
    /// the order of <paramref name="names"/> (null for an object that is gone).
    /// </summary>
    IEnumerable<ObjectContent?> ReadMany(IEnumerable<string> names, int parallelism, CancellationToken cancel);

    /// <summary>The object's entity tag and size, or null when there is no such object.</summary>
    ObjectInfo? Head(string name, CancellationToken cancel);

    /// <summary>
    /// Objects whose names start with <paramref name="prefix"/> and sort after <paramref name="startAfter"/>
    /// (ordinal order of UTF-8 bytes, as both services list), page by page.
    /// </summary>
    IEnumerable<ObjectInfo> List(string prefix, string? startAfter, CancellationToken cancel);

    /// <summary>Deletes the object; no error when it does not exist.</summary>
    void Delete(string name, CancellationToken cancel);

    /// <summary>Creates the container or bucket when it does not exist (tests and first use).</summary>
    void CreateContainerIfMissing(CancellationToken cancel);

    /// <summary>Whether the container or bucket can hold (or already imposes) write-once retention.</summary>
    RetentionSupport GetRetentionSupport(CancellationToken cancel);
}
