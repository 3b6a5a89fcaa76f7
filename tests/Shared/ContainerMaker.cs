using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Security.Cryptography;
using System.Text;

namespace EvalSig.Testing;

/// <summary>
/// Creates a container (Azurite) or bucket (s3rver) with one plain HTTP request, so test projects that
/// only load the built module (never EvalSig's assemblies) can prepare the emulators. s3rver accepts
/// its fixed credentials; Azurite a Shared Key signature with its published development key.
/// </summary>
public static class ContainerMaker
{
    private static readonly HashSet<string> Made = new(StringComparer.Ordinal);
    private static readonly HttpClient Http = new();

    public static void Ensure(StorageEmulator e, string container)
    {
        lock (Made)
        {
            if (!Made.Add(e.Kind + "/" + container))
            {
                return;
            }
        }

        using var request = e.Kind == "azurite" ? AzureCreate(e, container) : S3Create(e, container);
        using var response = Http.Send(request);
        var code = (int)response.StatusCode;
        if (code is not (200 or 201 or 409))
        {
            throw new InvalidOperationException($"creating {container} in {e.Kind} answered {code}: {response.Content.ReadAsStringAsync().Result}");
        }
    }

    private static HttpRequestMessage AzureCreate(StorageEmulator e, string container)
    {
        var date = DateTime.UtcNow.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        const string version = "2021-08-06";
        var request = new HttpRequestMessage(HttpMethod.Put, $"{e.BlobEndpoint}/{container}?restype=container") { Content = new ByteArrayContent(Array.Empty<byte>()) };
        request.Headers.Add("x-ms-date", date);
        request.Headers.Add("x-ms-version", version);

        // Shared Key: VERB, 11 standard headers (Content-Length empty when 0), canonical headers, canonical resource.
        var toSign = $"PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:{date}\nx-ms-version:{version}\n/{StorageEmulator.AzuriteAccount}/{StorageEmulator.AzuriteAccount}/{container}\nrestype:container";
        using var hmac = new HMACSHA256(Convert.FromBase64String(StorageEmulator.AzuriteKey));
        var signature = Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes(toSign)));
        request.Headers.TryAddWithoutValidation("Authorization", $"SharedKey {StorageEmulator.AzuriteAccount}:{signature}");
        return request;
    }

    private static HttpRequestMessage S3Create(StorageEmulator e, string bucket)
    {
        // s3rver checks V2 signatures with its fixed secret (the date goes in x-amz-date: s3rver reads no Date header).
        var date = DateTime.UtcNow.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        var toSign = $"PUT\n\n\n\nx-amz-date:{date}\n/{bucket}";
#pragma warning disable CA5350 // S3 signature version 2 is HMAC-SHA1 by definition; only for the emulator's fixed test key.
        using var hmac = new HMACSHA1(Encoding.UTF8.GetBytes(StorageEmulator.S3rverKey));
#pragma warning restore CA5350
        var signature = Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes(toSign)));
        var request = new HttpRequestMessage(HttpMethod.Put, $"{e.S3Endpoint}/{bucket}") { Content = new ByteArrayContent(Array.Empty<byte>()) };
        request.Headers.TryAddWithoutValidation("x-amz-date", date);
        request.Headers.TryAddWithoutValidation("Authorization", $"AWS {StorageEmulator.S3rverKey}:{signature}");
        return request;
    }
}
