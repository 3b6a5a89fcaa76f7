using System;
using EvalSig.Bridge.Cloud;
using EvalSig.Core.Diagnostics;

namespace EvalSig.Core.ObjectStorage;

/// <summary>
/// Connects a location to its service with settings from the location and the environment, and
/// credentials from the environment and the SDKs' chains only.
/// Azure: AZURE_STORAGE_CONNECTION_STRING, else AZURE_STORAGE_ACCOUNT (or ?account=) with
/// AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN, else DefaultAzureCredential.
/// S3, GCS, R2: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, AWS_PROFILE, SSO, web
/// identity, container and instance metadata (the AWS SDK's chain); endpoint from ?endpoint=,
/// AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL; region from ?region=, AWS_REGION or AWS_DEFAULT_REGION.
/// </summary>
internal static class ObjectStoreConnector
{
    public static IObjectStore Connect(ObjectStoreLocation location)
    {
        ArgumentNullException.ThrowIfNull(location);
        try
        {
            return location.Service == ObjectStoreService.AzureBlob ? Azure(location) : (IObjectStore)S3(location);
        }
        catch (ObjectStoreException ex)
        {
            throw ObjectStoreClient.Translate(ex, location.ToString());
        }
    }

    private static AzureBlobStore Azure(ObjectStoreLocation l)
    {
        var connection = Env("AZURE_STORAGE_CONNECTION_STRING");
        var account = l.Option("account") ?? Env("AZURE_STORAGE_ACCOUNT");
        var endpoint = l.Option("endpoint");
        if (connection is null && account is null && endpoint is null)
        {
            throw new EvalSigException(
                EvalSigError.StorageLocationInvalid,
                EvalSigErrorKind.InvalidArgument,
                $"No Azure storage account for '{l}': set AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT (or ?account=) with AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN, or neither to sign in with DefaultAzureCredential (managed identity, workload identity, Azure CLI...).",
                l.ToString());
        }

        return AzureBlobStore.Open(new AzureBlobSettings
        {
            Container = l.Container,
            ConnectionString = l.Option("account") is null && endpoint is null ? connection : null, // an explicit account or endpoint wins
            AccountName = account,
            AccountKey = Env("AZURE_STORAGE_KEY"),
            SasToken = Env("AZURE_STORAGE_SAS_TOKEN"),
            Endpoint = endpoint,
        });
    }

    private static S3ObjectStore S3(ObjectStoreLocation l)
    {
        var endpoint = l.Option("endpoint");
        var region = l.Option("region") ?? Env("AWS_REGION") ?? Env("AWS_DEFAULT_REGION");
        string label = "S3";
        switch (l.Service)
        {
            case ObjectStoreService.Gcs:
                endpoint ??= "https://storage.googleapis.com";
                region ??= "auto";
                label = "GCS";
                break;
            case ObjectStoreService.R2:
                // The account only names the default endpoint; an explicit ?endpoint= (a jurisdiction
                // endpoint such as <account>.eu.r2.cloudflarestorage.com, or a test server) needs none.
                endpoint ??= $"https://{l.Option("account") ?? Env("R2_ACCOUNT_ID") ?? Env("CLOUDFLARE_ACCOUNT_ID") ?? throw new EvalSigException(EvalSigError.StorageLocationInvalid, EvalSigErrorKind.InvalidArgument, $"No Cloudflare account for '{l}': add ?account=<account id> (or ?endpoint=) or set R2_ACCOUNT_ID.", l.ToString())}.r2.cloudflarestorage.com";
                region ??= "auto";
                label = "R2";
                break;
            default:
                endpoint ??= Env("AWS_ENDPOINT_URL_S3") ?? Env("AWS_ENDPOINT_URL");
                break;
        }

        // Path-style addressing by default wherever an endpoint is named (MinIO, emulators, GCS):
        // virtual-hosted names need DNS for every bucket, which such endpoints rarely have.
        var pathStyle = l.Option("path_style") is { } p ? IsTrue(p) : Env("EVALSIG_S3_PATH_STYLE") is { } e ? IsTrue(e) : endpoint is not null;
        return S3ObjectStore.Open(new S3Settings
        {
            Bucket = l.Container,
            ServiceUrl = endpoint,
            Region = region,
            ForcePathStyle = pathStyle,
            Profile = l.Option("profile"),
            ServiceLabel = label,
        });
    }

    private static bool IsTrue(string s) => s is "1" || s.Equals("true", StringComparison.OrdinalIgnoreCase) || s.Equals("yes", StringComparison.OrdinalIgnoreCase);

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;
}
