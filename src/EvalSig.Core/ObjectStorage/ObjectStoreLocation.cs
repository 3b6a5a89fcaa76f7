using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using EvalSig.Core.Diagnostics;

namespace EvalSig.Core.ObjectStorage;

/// <summary>The object-storage services a location can name.</summary>
public enum ObjectStoreService
{
    /// <summary><c>az://container/prefix</c>: Azure Blob Storage (or Azurite).</summary>
    AzureBlob,

    /// <summary><c>s3://bucket/prefix</c>: AWS S3 or any S3-compatible endpoint (MinIO, an emulator).</summary>
    S3,

    /// <summary><c>gs://bucket/prefix</c>: Google Cloud Storage through its S3-compatible XML API.</summary>
    Gcs,

    /// <summary><c>r2://bucket/prefix</c>: Cloudflare R2 (S3-compatible).</summary>
    R2,
}

/// <summary>
/// A place in object storage: <c>az://container/prefix</c>, <c>s3://bucket/prefix</c>,
/// <c>gs://bucket/prefix</c> or <c>r2://bucket/prefix</c>, with optional non-secret settings in the
/// query (<c>endpoint</c>, <c>region</c>, <c>path_style</c>, <c>account</c>, <c>profile</c>, <c>writers</c>).
/// Credentials never go into a location - it is printed in status and errors - they come from the
/// environment and the SDKs' credential chains.
/// </summary>
public sealed record ObjectStoreLocation
{
    private static readonly string[] AllowedOptions = { "endpoint", "region", "path_style", "account", "profile", "writers" };

    private ObjectStoreLocation(ObjectStoreService service, string container, string prefix, IReadOnlyDictionary<string, string> options)
    {
        Service = service;
        Container = container;
        Prefix = prefix;
        Options = options;
    }

    public ObjectStoreService Service { get; }

    /// <summary>The container (Azure) or bucket.</summary>
    public string Container { get; }

    /// <summary>The key prefix inside it, without leading or trailing '/'; may be empty.</summary>
    public string Prefix { get; }

    /// <summary>The query settings, lower-case names.</summary>
    public IReadOnlyDictionary<string, string> Options { get; }

    /// <summary>The scheme: az, s3, gs or r2.</summary>
    public string Scheme => Service switch
    {
        ObjectStoreService.AzureBlob => "az",
        ObjectStoreService.Gcs => "gs",
        ObjectStoreService.R2 => "r2",
        _ => "s3",
    };

    /// <summary>"azure-blob", "s3", "gcs" or "r2": the backend name records and status carry.</summary>
    public string BackendName => Service switch
    {
        ObjectStoreService.AzureBlob => "azure-blob",
        ObjectStoreService.Gcs => "gcs",
        ObjectStoreService.R2 => "r2",
        _ => "s3",
    };

    /// <summary>Object names under the location start with this ("" or "prefix/").</summary>
    public string KeyRoot => Prefix.Length == 0 ? string.Empty : Prefix + "/";

    /// <summary>True for text that names object storage (az://, s3://, gs://, r2://) rather than a directory.</summary>
    public static bool IsObjectStoreUri(string? text)
        => text is not null && (text.StartsWith("az://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("s3://", StringComparison.OrdinalIgnoreCase)
            || text.StartsWith("gs://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("r2://", StringComparison.OrdinalIgnoreCase));

    /// <summary>Parses a location; anything malformed, or carrying what looks like a secret, is StorageLocationInvalid.</summary>
    public static ObjectStoreLocation Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!IsObjectStoreUri(text))
        {
            throw Invalid($"'{text}' is not an object-storage location: use az://container/prefix, s3://bucket/prefix, gs://bucket/prefix or r2://bucket/prefix.", text);
        }

        var scheme = text[..2].ToLowerInvariant();
        var rest = text[5..];
        var query = string.Empty;
        var q = rest.IndexOf('?', StringComparison.Ordinal);
        if (q >= 0)
        {
            query = rest[(q + 1)..];
            rest = rest[..q];
        }

        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var container = slash < 0 ? rest : rest[..slash];
        var prefix = slash < 0 ? string.Empty : rest[(slash + 1)..].Trim('/');
        var service = scheme switch
        {
            "az" => ObjectStoreService.AzureBlob,
            "gs" => ObjectStoreService.Gcs,
            "r2" => ObjectStoreService.R2,
            _ => ObjectStoreService.S3,
        };
        var shown = Redacted(text);
        if (!ValidContainer(service, container))
        {
            throw Invalid(service == ObjectStoreService.AzureBlob
                ? $"'{container}' in '{shown}' is not an Azure container name: 3-63 characters, lower-case letters, digits and single '-'."
                : $"'{container}' in '{shown}' is not a bucket name: 3-63 characters, lower-case letters, digits, '.' and '-'.", shown);
        }

        if (prefix.Contains("//", StringComparison.Ordinal) || prefix.Split('/').Any(s => s is "." or ".."))
        {
            throw Invalid($"The prefix '{prefix}' in '{shown}' has an empty, '.' or '..' segment.", shown);
        }

        var options = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]).ToLowerInvariant();
            var value = eq < 0 ? "true" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            if (!AllowedOptions.Contains(name))
            {
                throw Invalid($"'{name}' is not a setting of an object-storage location (allowed: {string.Join(", ", AllowedOptions)}). Credentials belong in the environment (AZURE_STORAGE_*, AWS_*), never in a location: it is printed in status and errors.", shown);
            }

            options[name] = value;
        }

        if (options.TryGetValue("endpoint", out var endpoint) && (!Uri.TryCreate(endpoint, UriKind.Absolute, out var u) || (u.Scheme != "http" && u.Scheme != "https") || !string.IsNullOrEmpty(u.UserInfo) || u.Query.Length > 0))
        {
            throw Invalid("The endpoint setting must be an http(s) URL without user name, password or query (credentials belong in the environment).", shown);
        }

        if (options.TryGetValue("writers", out var writers) && writers is not ("single" or "multiple"))
        {
            throw Invalid($"writers must be 'single' or 'multiple', not '{writers}'.", shown);
        }

        return new ObjectStoreLocation(service, container, prefix, options);
    }

    /// <summary>The same container with the prefix extended by a relative path.</summary>
    public ObjectStoreLocation Child(string relative)
    {
        var p = Prefix.Length == 0 ? relative.Trim('/') : Prefix + "/" + relative.Trim('/');
        return new ObjectStoreLocation(Service, Container, p, Options);
    }

    public string? Option(string name) => Options.TryGetValue(name, out var v) ? v : null;

    /// <summary>The location as written, without settings: az://container/prefix.</summary>
    public override string ToString() => $"{Scheme}://{Container}{(Prefix.Length == 0 ? string.Empty : "/" + Prefix)}";

    /// <summary>A URL of an object under the location, as readers such as DuckDB name it (s3://, az://, gs://).</summary>
    public string ObjectUri(string name) => $"{Scheme}://{Container}/{name}";

    /// <summary>A stable identity (service, endpoint, container, prefix) for cache folders.</summary>
    internal string Identity => string.Create(CultureInfo.InvariantCulture, $"{Scheme}|{Option("endpoint")}|{Option("account")}|{Option("region")}|{Container}|{Prefix}");

    private static bool ValidContainer(ObjectStoreService service, string name)
    {
        if (name.Length is < 3 or > 63 || !char.IsAsciiLetterLower(name[0]) && !char.IsAsciiDigit(name[0]))
        {
            return false;
        }

        foreach (var c in name)
        {
            var ok = char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-' || (c == '.' && service != ObjectStoreService.AzureBlob) || (c == '_' && service == ObjectStoreService.Gcs);
            if (!ok)
            {
                return false;
            }
        }

        return !name.EndsWith('-') && !name.Contains("--", StringComparison.Ordinal);
    }

    /// <summary>Text with anything after '?' dropped: a pasted SAS URL must not be echoed.</summary>
    private static string Redacted(string text)
    {
        var q = text.IndexOf('?', StringComparison.Ordinal);
        return q < 0 ? text : new StringBuilder(text[..q]).Append("?...").ToString();
    }

    private static EvalSigException Invalid(string message, string target) => new(EvalSigError.StorageLocationInvalid, EvalSigErrorKind.InvalidArgument, message, target);
}
