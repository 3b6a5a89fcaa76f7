using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Http;
using System.Threading;
using Azure;
using Azure.Identity;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace EvalSig.Bridge.Cloud;

/// <summary>
/// How to reach an Azure Blob container: a connection string, or an account with its key, a SAS token,
/// or (neither given) DefaultAzureCredential. A class, not a record: a record's ToString would print
/// the secrets.
/// </summary>
public sealed class AzureBlobSettings
{
    public required string Container { get; init; }

    public string? ConnectionString { get; init; }

    public string? AccountName { get; init; }

    public string? AccountKey { get; init; }

    public string? SasToken { get; init; }

    /// <summary>The blob endpoint; default https://{account}.blob.core.windows.net.</summary>
    public string? Endpoint { get; init; }
}

/// <summary>An Azure Blob container through Azure.Storage.Blobs.</summary>
public sealed class AzureBlobStore : IObjectStore
{
    private readonly BlobContainerClient _container;
    private readonly Redaction _redact;

    private AzureBlobStore(BlobContainerClient container, Redaction redact)
    {
        _container = container;
        _redact = redact;
    }

    public string Kind => "azure-blob";

    public string Container => _container.Name;

    /// <summary>The container's URI without the container: only the final segment goes (an account named like the container stays).</summary>
    public string Endpoint
    {
        get
        {
            var uri = _container.Uri.GetLeftPart(UriPartial.Path).TrimEnd('/');
            var suffix = "/" + _container.Name;
            return uri.EndsWith(suffix, StringComparison.Ordinal) ? uri[..^suffix.Length] : uri;
        }
    }

    /// <exception cref="ObjectStoreException">The settings do not name an account, or are malformed.</exception>
    public static AzureBlobStore Open(AzureBlobSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var redact = new Redaction(new[] { settings.ConnectionString, settings.AccountKey, settings.SasToken?.TrimStart('?') });
        var options = new BlobClientOptions();
        options.Retry.MaxRetries = 3;
        options.Retry.Delay = TimeSpan.FromMilliseconds(200);
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(30);
        try
        {
            BlobServiceClient service;
            if (!string.IsNullOrEmpty(settings.ConnectionString))
            {
                service = new BlobServiceClient(settings.ConnectionString, options);
            }
            else
            {
                if (string.IsNullOrEmpty(settings.AccountName) && string.IsNullOrEmpty(settings.Endpoint))
                {
                    throw new ObjectStoreException(ObjectStoreFailure.Unauthorized, 0, null, "No Azure storage account: give a connection string, or an account name (with a key, a SAS token, or nothing for DefaultAzureCredential).");
                }

                var endpoint = new Uri(settings.Endpoint ?? $"https://{settings.AccountName}.blob.core.windows.net");
                if (!string.IsNullOrEmpty(settings.AccountKey))
                {
                    var account = settings.AccountName ?? endpoint.Host.Split('.')[0];
                    service = new BlobServiceClient(endpoint, new StorageSharedKeyCredential(account, settings.AccountKey), options);
                }
                else if (!string.IsNullOrEmpty(settings.SasToken))
                {
                    service = new BlobServiceClient(endpoint, new AzureSasCredential(settings.SasToken.TrimStart('?')), options);
                }
                else
                {
                    service = new BlobServiceClient(endpoint, new DefaultAzureCredential(), options);
                }
            }

            return new AzureBlobStore(service.GetBlobContainerClient(settings.Container), redact);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or UriFormatException or InvalidOperationException)
        {
            throw new ObjectStoreException(ObjectStoreFailure.Unauthorized, 0, null, "The Azure storage settings are malformed: " + redact.FirstLine(ex.Message));
        }
    }

    public bool TryCreate(string name, byte[] bytes, ObjectRetention? retention, CancellationToken cancel)
    {
        var options = new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } };
        if (retention is not null)
        {
            // x-ms-immutability-policy-until-date and x-ms-immutability-policy-mode on the Put Blob.
            options.ImmutabilityPolicy = new BlobImmutabilityPolicy
            {
                ExpiresOn = retention.RetainUntil,
                PolicyMode = string.Equals(retention.Mode, "compliance", StringComparison.OrdinalIgnoreCase) ? BlobImmutabilityPolicyMode.Locked : BlobImmutabilityPolicyMode.Unlocked,
            };
        }

        try
        {
            _container.GetBlobClient(name).Upload(BinaryData.FromBytes(bytes), options, cancel);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412 && ex.ErrorCode is "BlobAlreadyExists" or "ConditionNotMet")
        {
            return false;
        }
        catch (Exception ex) when (IsServiceError(ex, cancel))
        {
            throw Fail("create", name, ex);
        }
    }

    public string? TryReplace(string name, byte[] bytes, string ifMatch, CancellationToken cancel)
    {
        var options = new BlobUploadOptions { Conditions = new BlobRequestConditions { IfMatch = new ETag(ifMatch) } };
        try
        {
            return _container.GetBlobClient(name).Upload(BinaryData.FromBytes(bytes), options, cancel).Value.ETag.ToString();
        }
        catch (RequestFailedException ex) when (ex.Status is 412 || (ex.Status == 404 && ex.ErrorCode == "BlobNotFound"))
        {
            return null;
        }
        catch (Exception ex) when (IsServiceError(ex, cancel))
        {
            throw Fail("replace", name, ex);
        }
    }

    public ObjectContent? Read(string name, CancellationToken cancel)
    {
        try
        {
            var result = _container.GetBlobClient(name).DownloadContent(cancel).Value;
            return new ObjectContent(result.Content.ToArray(), result.Details.ETag.ToString());
        }
        catch (RequestFailedException ex) when (ex.Status == 404 && ex.ErrorCode == "BlobNotFound")
        {
            return null;
        }
        catch (Exception ex) when (IsServiceError(ex, cancel))
        {
            throw Fail("read", name, ex);
        }
    }

    public IEnumerable<ObjectContent?> ReadMany(IEnumerable<string> names, int parallelism, CancellationToken cancel)
        => OrderedReads.Run(names, parallelism, ReadAsync, cancel);

    public ObjectInfo? Head(string name, CancellationToken cancel)
    {
        try
        {
            var p = _container.GetBlobClient(name).GetProperties(cancellationToken: cancel).Value;
            return new ObjectInfo(name, p.ETag.ToString(), p.ContentLength);
        }
        catch (RequestFailedException ex) when (ex.Status == 404 && ex.ErrorCode is "BlobNotFound" or null)
        {
            return null;
        }
        catch (Exception ex) when (IsServiceError(ex, cancel))
        {
            throw Fail("head", name, ex);
        }
    }

    public IEnumerable<ObjectInfo> List(string prefix, string? startAfter, CancellationToken cancel)
    {
        // StartFrom (x-ms startFrom) skips what the caller has seen where the service supports it; the
        // ordinal filter keeps the contract where it does not (older services and emulators).
        var options = new GetBlobsOptions { Prefix = prefix, StartFrom = startAfter };
        using var pages = Pages(options, cancel).GetEnumerator();
        while (true)
        {
            Page<BlobItem> page;
            try
            {
                if (!pages.MoveNext())
                {
                    yield break;
                }

                page = pages.Current;
            }
            catch (Exception ex) when (IsServiceError(ex, cancel))
            {
                throw Fail("list", prefix, ex);
            }

            foreach (var b in page.Values)
            {
                if (startAfter is null || string.CompareOrdinal(b.Name, startAfter) > 0)
                {
                    yield return new ObjectInfo(b.Name, b.Properties.ETag?.ToString() ?? string.Empty, b.Properties.ContentLength ?? 0);
                }
            }
        }
    }

    public void Delete(string name, CancellationToken cancel)
    {
        try
        {
            _container.GetBlobClient(name).DeleteIfExists(cancellationToken: cancel);
        }
        catch (Exception ex) when (IsServiceError(ex, cancel))
        {
            throw Fail("delete", name, ex);
        }
    }

    public void CreateContainerIfMissing(CancellationToken cancel)
    {
        try
        {
            _container.CreateIfNotExists(cancellationToken: cancel);
        }
        catch (Exception ex) when (IsServiceError(ex, cancel))
        {
            throw Fail("create container", _container.Name, ex);
        }
    }

    public RetentionSupport GetRetentionSupport(CancellationToken cancel)
    {
        try
        {
            var p = _container.GetProperties(cancellationToken: cancel).Value;
            bool versionLevel = p.HasImmutableStorageWithVersioning == true, policy = p.HasImmutabilityPolicy == true, hold = p.HasLegalHold == true;
            var description = (versionLevel, policy) switch
            {
                (true, true) => "version-level immutability (WORM) enabled, and a container-level time-based retention policy",
                (true, false) => "version-level immutability (WORM) enabled: each blob can carry its own immutability policy",
                (false, true) => "a container-level time-based retention policy, no version-level immutability",
                _ => "no immutability: version-level immutability is not enabled on the container, and no container policy",
            };
            if (hold)
            {
                description += "; a legal hold is set";
            }

            return new RetentionSupport(versionLevel, policy || hold, description);
        }
        catch (Exception ex) when (IsServiceError(ex, cancel))
        {
            throw Fail("container properties", _container.Name, ex);
        }
    }

    private async System.Threading.Tasks.Task<ObjectContent?> ReadAsync(string name, CancellationToken cancel)
    {
        try
        {
            var result = (await _container.GetBlobClient(name).DownloadContentAsync(cancel).ConfigureAwait(false)).Value;
            return new ObjectContent(result.Content.ToArray(), result.Details.ETag.ToString());
        }
        catch (RequestFailedException ex) when (ex.Status == 404 && ex.ErrorCode == "BlobNotFound")
        {
            return null;
        }
        catch (Exception ex) when (IsServiceError(ex, cancel))
        {
            throw Fail("read", name, ex);
        }
    }

    public void Dispose()
    {
        // BlobContainerClient holds no resources of its own: its HTTP pipeline is shared.
    }

    private Pageable<BlobItem> Blobs(GetBlobsOptions options, CancellationToken cancel) => _container.GetBlobs(options, cancel);

    private IEnumerable<Page<BlobItem>> Pages(GetBlobsOptions options, CancellationToken cancel) => Blobs(options, cancel).AsPages(pageSizeHint: 1000);

    /// <summary>A failure of the service or the network; the caller's own cancellation stays a cancellation.</summary>
    private static bool IsServiceError(Exception ex, CancellationToken cancel)
        => !cancel.IsCancellationRequested && ex is not ObjectStoreException
           && ex is RequestFailedException or AuthenticationFailedException or CredentialUnavailableException or AggregateException or HttpRequestException or IOException or OperationCanceledException;

    private ObjectStoreException Fail(string operation, string target, Exception ex)
    {
        var (failure, status, code) = ex switch
        {
            RequestFailedException { Status: 0 } => (ObjectStoreFailure.Unreachable, 0, (string?)null),
            RequestFailedException { Status: 401 or 403 } r => (ObjectStoreFailure.Unauthorized, r.Status, r.ErrorCode),
            RequestFailedException { Status: 404, ErrorCode: "ContainerNotFound" } r => (ObjectStoreFailure.ContainerNotFound, 404, r.ErrorCode),
            RequestFailedException { Status: 501 } r => (ObjectStoreFailure.NotSupported, 501, r.ErrorCode),
            RequestFailedException r => (ObjectStoreFailure.Rejected, r.Status, r.ErrorCode),
            AuthenticationFailedException or CredentialUnavailableException => (ObjectStoreFailure.Unauthorized, 0, null),
            _ => (ObjectStoreFailure.Unreachable, 0, null),
        };
        var what = status == 0 ? (failure == ObjectStoreFailure.Unauthorized ? "no usable credential" : "no answer") : $"{status} {code}";
        var message = $"Azure Blob {operation} '{_container.Name}/{target}' at {Endpoint} failed ({what}): {_redact.FirstLine(Innermost(ex).Message)}";
        return new ObjectStoreException(failure, status, code, message);
    }

    private static Exception Innermost(Exception ex)
    {
        while (ex is AggregateException { InnerExceptions.Count: > 0 } a)
        {
            ex = a.InnerExceptions[^1];
        }

        return ex is RequestFailedException { Status: 0, InnerException: { } inner } ? inner : ex;
    }
}
