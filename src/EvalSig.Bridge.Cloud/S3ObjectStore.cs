using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace EvalSig.Bridge.Cloud;

/// <summary>
/// How to reach an S3-compatible bucket. Keys left empty mean the AWS SDK's standard credential
/// chain (environment, profile, SSO, web identity, container and instance metadata). A class, not a
/// record: a record's ToString would print the secrets.
/// </summary>
public sealed class S3Settings
{
    public required string Bucket { get; init; }

    /// <summary>The endpoint (MinIO, R2, GCS XML API, an emulator); null for AWS S3 by region.</summary>
    public string? ServiceUrl { get; init; }

    public string? Region { get; init; }

    /// <summary>bucket in the path (https://host/bucket/key) rather than the host name.</summary>
    public bool ForcePathStyle { get; init; }

    public string? AccessKeyId { get; init; }

    public string? SecretAccessKey { get; init; }

    public string? SessionToken { get; init; }

    /// <summary>A named profile of the shared AWS config and credentials files.</summary>
    public string? Profile { get; init; }

    /// <summary>What to call the service in messages: "S3", "R2", "GCS".</summary>
    public string ServiceLabel { get; init; } = "S3";
}

/// <summary>An S3-compatible bucket through AWSSDK.S3 (AWS S3, Cloudflare R2, MinIO, the GCS XML API).</summary>
public sealed class S3ObjectStore : IObjectStore
{
    private readonly AmazonS3Client _client;
    private readonly S3Settings _settings;
    private readonly Redaction _redact;

    private S3ObjectStore(AmazonS3Client client, S3Settings settings, Redaction redact)
    {
        _client = client;
        _settings = settings;
        _redact = redact;
    }

    public string Kind => "s3";

    public string Container => _settings.Bucket;

    public string Endpoint { get; private init; } = string.Empty;

    public static S3ObjectStore Open(S3Settings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var redact = new Redaction(new[] { settings.SecretAccessKey, settings.SessionToken });
        var config = new AmazonS3Config
        {
            ForcePathStyle = settings.ForcePathStyle,

            // Checksums only where S3 requires them: the SDK's default trailing checksums (aws-chunked
            // bodies) are not understood by every S3-compatible service (the GCS XML API, older MinIO,
            // emulators). Each PUT carries Content-MD5 instead, which all of them check.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            Timeout = TimeSpan.FromSeconds(30),
            MaxErrorRetry = 3,
        };
        string endpoint;
        try
        {
            if (!string.IsNullOrEmpty(settings.ServiceUrl))
            {
                config.ServiceURL = settings.ServiceUrl;
                config.AuthenticationRegion = settings.Region ?? "us-east-1";
                endpoint = new Uri(settings.ServiceUrl).GetLeftPart(UriPartial.Path).TrimEnd('/');
            }
            else
            {
                if (!string.IsNullOrEmpty(settings.Region))
                {
                    config.RegionEndpoint = RegionEndpoint.GetBySystemName(settings.Region);
                }

                endpoint = "https://s3." + (config.RegionEndpoint?.SystemName ?? "<default region>") + ".amazonaws.com";
            }

            if (!string.IsNullOrEmpty(settings.Profile))
            {
                config.Profile = new Profile(settings.Profile);
            }

            AmazonS3Client client;
            if (!string.IsNullOrEmpty(settings.AccessKeyId) && !string.IsNullOrEmpty(settings.SecretAccessKey))
            {
                AWSCredentials credentials = string.IsNullOrEmpty(settings.SessionToken)
                    ? new BasicAWSCredentials(settings.AccessKeyId, settings.SecretAccessKey)
                    : new SessionAWSCredentials(settings.AccessKeyId, settings.SecretAccessKey, settings.SessionToken);
                client = new AmazonS3Client(credentials, config);
            }
            else
            {
                client = new AmazonS3Client(config); // the SDK's default credential chain
            }

            return new S3ObjectStore(client, settings, redact) { Endpoint = endpoint };
        }
        catch (Exception ex) when (ex is ArgumentException or UriFormatException or AmazonClientException or InvalidOperationException)
        {
            throw new ObjectStoreException(ObjectStoreFailure.Unauthorized, 0, null, $"The {settings.ServiceLabel} settings are not usable: {redact.FirstLine(ex.Message)}");
        }
    }

    public bool TryCreate(string name, byte[] bytes, ObjectRetention? retention, CancellationToken cancel)
    {
        var request = Put(name, bytes);
        request.IfNoneMatch = "*";
        if (retention is not null)
        {
            // x-amz-object-lock-mode and x-amz-object-lock-retain-until-date (with Content-MD5, which
            // S3 requires for a PUT with Object Lock parameters).
            request.ObjectLockMode = string.Equals(retention.Mode, "compliance", StringComparison.OrdinalIgnoreCase) ? ObjectLockMode.Compliance : ObjectLockMode.Governance;
            request.ObjectLockRetainUntilDate = retention.RetainUntil.UtcDateTime;
        }

        // 409 ConditionalRequestConflict: another conditional write of the same key was in flight.
        // Its outcome decides ours, so ask again after it settled.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                request.InputStream = new MemoryStream(bytes, writable: false);
                Run(() => _client.PutObjectAsync(request, cancel));
                return true;
            }
            catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.PreconditionFailed)
            {
                return false;
            }
            catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.Conflict && ex.ErrorCode == "ConditionalRequestConflict" && attempt < 8)
            {
                Thread.Sleep(TimeSpan.FromMilliseconds(25 << Math.Min(attempt, 5)));
            }
            catch (Exception ex) when (IsServiceError(ex, cancel))
            {
                throw Fail("create", name, ex);
            }
        }
    }

    public string? TryReplace(string name, byte[] bytes, string ifMatch, CancellationToken cancel)
    {
        var request = Put(name, bytes);
        request.IfMatch = ifMatch;
        try
        {
            return Run(() => _client.PutObjectAsync(request, cancel)).ETag;
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode is HttpStatusCode.PreconditionFailed || (ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode == "NoSuchKey")
                                           || (ex.StatusCode == HttpStatusCode.Conflict && ex.ErrorCode == "ConditionalRequestConflict"))
        {
            return null;
        }
        catch (Exception ex) when (IsServiceError(ex, cancel))
        {
            throw Fail("replace", name, ex);
        }
    }

    public ObjectContent? Read(string name, CancellationToken cancel) => ReadAsync(name, cancel).ConfigureAwait(false).GetAwaiter().GetResult();

    public IEnumerable<ObjectContent?> ReadMany(IEnumerable<string> names, int parallelism, CancellationToken cancel)
        => OrderedReads.Run(names, parallelism, ReadAsync, cancel);

    private async Task<ObjectContent?> ReadAsync(string name, CancellationToken cancel)
    {
        try
        {
            using var response = await _client.GetObjectAsync(new GetObjectRequest { BucketName = _settings.Bucket, Key = name }, cancel).ConfigureAwait(false);
            using var buffer = new MemoryStream(response.ContentLength > 0 ? (int)Math.Min(response.ContentLength, int.MaxValue) : 0);
            await response.ResponseStream.CopyToAsync(buffer, cancel).ConfigureAwait(false);
            return new ObjectContent(buffer.ToArray(), response.ETag);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode != "NoSuchBucket")
        {
            return null;
        }
        catch (Exception ex) when (IsServiceError(ex, cancel))
        {
            throw Fail("read", name, ex);
        }
    }

    public ObjectInfo? Head(string name, CancellationToken cancel)
    {
        try
        {
            var r = Run(() => _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _settings.Bucket, Key = name }, cancel));
            return new ObjectInfo(name, r.ETag, r.ContentLength);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode != "NoSuchBucket")
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
        string? token = null;
        do
        {
            ListObjectsV2Response page;
            try
            {
                var request = new ListObjectsV2Request { BucketName = _settings.Bucket, Prefix = prefix, StartAfter = startAfter, ContinuationToken = token, MaxKeys = 1000 };
                page = Run(() => _client.ListObjectsV2Async(request, cancel));
            }
            catch (Exception ex) when (IsServiceError(ex, cancel))
            {
                throw Fail("list", prefix, ex);
            }

            foreach (var o in page.S3Objects ?? new List<S3Object>())
            {
                if (startAfter is null || string.CompareOrdinal(o.Key, startAfter) > 0)
                {
                    yield return new ObjectInfo(o.Key, o.ETag, o.Size ?? 0);
                }
            }

            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (token is not null);
    }

    public void Delete(string name, CancellationToken cancel)
    {
        try
        {
            Run(() => _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _settings.Bucket, Key = name }, cancel));
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode != "NoSuchBucket")
        {
            // already gone
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
            Run(() => _client.PutBucketAsync(new PutBucketRequest { BucketName = _settings.Bucket }, cancel));
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
        {
            // there already
        }
        catch (Exception ex) when (IsServiceError(ex, cancel))
        {
            throw Fail("create bucket", _settings.Bucket, ex);
        }
    }

    public RetentionSupport GetRetentionSupport(CancellationToken cancel)
    {
        try
        {
            var c = Run(() => _client.GetObjectLockConfigurationAsync(new GetObjectLockConfigurationRequest { BucketName = _settings.Bucket }, cancel)).ObjectLockConfiguration;
            var enabled = c?.ObjectLockEnabled == ObjectLockEnabled.Enabled;
            var rule = c?.Rule?.DefaultRetention;
            var description = !enabled
                ? "Object Lock is not enabled on the bucket"
                : rule is null
                    ? "Object Lock enabled, no default retention: each object carries its own"
                    : $"Object Lock enabled, default retention {rule.Mode?.Value} for {(rule.Days is > 0 ? rule.Days + " days" : rule.Years + " years")}";
            return new RetentionSupport(enabled, enabled && rule is not null, description);
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode is "ObjectLockConfigurationNotFoundError" or "ObjectLockConfigurationNotFound")
        {
            return new RetentionSupport(false, false, "Object Lock is not enabled on the bucket");
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode is HttpStatusCode.NotImplemented || ex.ErrorCode == "NotImplemented")
        {
            return new RetentionSupport(false, false, $"the service does not implement Object Lock ({(int)ex.StatusCode} {ex.ErrorCode})");
        }
        catch (Exception ex) when (IsServiceError(ex, cancel))
        {
            throw Fail("object lock configuration", _settings.Bucket, ex);
        }
    }

    public void Dispose() => _client.Dispose();

    private PutObjectRequest Put(string name, byte[] bytes)
    {
#pragma warning disable CA5351 // Content-MD5 is S3's transport integrity header (required with Object Lock), not a security hash.
        var md5 = Convert.ToBase64String(MD5.HashData(bytes));
#pragma warning restore CA5351
        return new PutObjectRequest
        {
            BucketName = _settings.Bucket,
            Key = name,
            InputStream = new MemoryStream(bytes, writable: false),
            MD5Digest = md5,
            UseChunkEncoding = false,
            AutoCloseStream = true,
        };
    }

    private static T Run<T>(Func<Task<T>> call) => call().ConfigureAwait(false).GetAwaiter().GetResult();

    /// <summary>A failure of the service or the network; the caller's own cancellation stays a cancellation.</summary>
    private static bool IsServiceError(Exception ex, CancellationToken cancel)
        => !cancel.IsCancellationRequested && ex is not ObjectStoreException
           && ex is AmazonServiceException or AmazonClientException or HttpRequestException or IOException or OperationCanceledException or WebException;

    private ObjectStoreException Fail(string operation, string target, Exception ex)
    {
        var (failure, status, code) = ex switch
        {
            AmazonS3Exception { StatusCode: HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden } s => (ObjectStoreFailure.Unauthorized, (int)s.StatusCode, s.ErrorCode),
            AmazonS3Exception { ErrorCode: "NoSuchBucket" } s => (ObjectStoreFailure.ContainerNotFound, (int)s.StatusCode, s.ErrorCode),
            AmazonS3Exception { StatusCode: HttpStatusCode.NotImplemented } s => (ObjectStoreFailure.NotSupported, 501, s.ErrorCode),
            AmazonS3Exception { StatusCode: HttpStatusCode.Conflict, ErrorCode: "ConditionalRequestConflict" } s => (ObjectStoreFailure.Conflict, 409, s.ErrorCode),
            AmazonServiceException { StatusCode: > 0 } s => (ObjectStoreFailure.Rejected, (int)s.StatusCode, s.ErrorCode),
            AmazonClientException c when c.Message.Contains("credentials", StringComparison.OrdinalIgnoreCase) => (ObjectStoreFailure.Unauthorized, 0, (string?)null),
            _ => (ObjectStoreFailure.Unreachable, 0, (string?)null),
        };
        var what = status == 0 ? (failure == ObjectStoreFailure.Unauthorized ? "no usable credential" : "no answer") : $"{status} {code}";
        var inner = ex;
        while (inner.InnerException is not null && inner is AmazonClientException or HttpRequestException)
        {
            inner = inner.InnerException;
        }

        var message = $"{_settings.ServiceLabel} {operation} '{_settings.Bucket}/{target}' at {Endpoint} failed ({what}): {_redact.FirstLine(ex == inner ? ex.Message : ex.Message + " " + inner.Message)}";
        return new ObjectStoreException(failure, status, code, message);
    }
}
