using System;
using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using EvalSig.Core.Audit;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Json;
using EvalSig.Core.Time;

namespace EvalSig.Cli;

/// <summary>
/// evalsig audit sign: New-AuditSignature for bash steps. An HMAC-SHA256 over the payload's RFC 8785
/// canonical JSON, without a ledger; prints one JSON object per payload.
/// </summary>
internal static class AuditSignCommand
{
    public static Command Build(TextWriter stdout)
    {
        var keys = AuditCommands.KeyOption();
        var payload = new Option<string?>("--payload") { Description = "The payload as JSON text; '-' or none reads JSON lines from stdin (one signature each)." };
        var file = new Option<FileInfo?>("--payload-file") { Description = "A JSON file holding one payload." };
        var cmd = new Command("sign", "Sign payloads with the audit key (HMAC-SHA256 of the canonical JSON), without a ledger.");
        foreach (var o in new Option[] { keys, payload, file })
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction(p =>
        {
            var payloads = AuditCommands.ReadPayloads(p.GetValue(file), p.GetValue(payload));

            var key = AuditKeyring.Resolve(p.GetValue(keys), null).Keys[0];
            foreach (var json in payloads)
            {
                var signed = AuditLog.Sign(json, key);
                stdout.WriteLine(JsonValues.Serialize(new SortedDictionary<string, object?>(StringComparer.Ordinal)
                {
                    ["hmac"] = signed.Hmac,
                    ["key_id"] = signed.KeyId,
                    ["signed_at"] = IsoTime.Format(signed.SignedAt),
                    ["canonical_json"] = signed.CanonicalJson,
                }));
            }

            return 0;
        });
        return cmd;
    }
}
