using System;
using System.Collections.Generic;
using System.Globalization;
using EvalSig.Core.Audit;

namespace EvalSig.TestHelper;

/// <summary>
/// <c>EvalSig.TestHelper append &lt;ledger&gt; &lt;count&gt; &lt;batch&gt; &lt;writer-id&gt;</c>: appends count records in
/// batches of the given size (key from EVALSIG_AUDIT_KEY) and prints "ack &lt;position&gt;" after each
/// batch is durable. count 0 means until killed. The ledger is a directory or an object-storage
/// location (az://, s3://; credentials from the environment). An EvalSig error is printed as
/// "error &lt;Id&gt;: message" with exit code 1.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length != 5 || args[0] != "append")
        {
            Console.Error.WriteLine("usage: EvalSig.TestHelper append <ledger> <count> <batch> <writer-id>");
            return 64;
        }

        try
        {
            return Append(args);
        }
        catch (EvalSig.Core.Diagnostics.EvalSigException ex)
        {
            Console.Error.WriteLine($"error {ex.Error}: {ex.Message}");
            return 1;
        }
    }

    private static int Append(string[] args)
    {
        var ledger = AuditLog.Open(args[1]);
        var count = long.Parse(args[2], CultureInfo.InvariantCulture);
        var batch = int.Parse(args[3], CultureInfo.InvariantCulture);
        var writer = args[4];
        var key = AuditKeyring.Resolve(null, null, forSigning: true).SigningKey;
        Console.Out.Flush();
        long done = 0;
        var i = 0;
        while (count == 0 || done < count)
        {
            var size = (int)Math.Min(batch, count == 0 ? batch : count - done);
            var entries = new List<AuditEntry>(size);
            for (var k = 0; k < size; k++)
            {
                entries.Add(new AuditEntry("halluccheck.score.v1", "stress", $"{{\"score\":{(i++ % 100) / 100.0:R},\"writer\":\"{writer}\",\"seq\":{done + k}}}"));
            }

            foreach (var r in AuditLog.Append(ledger, key, entries, strictSchema: true))
            {
                Console.Out.WriteLine("ack " + r.ChainPosition.ToString(CultureInfo.InvariantCulture));
            }

            Console.Out.Flush();
            done += size;
        }

        return 0;
    }
}
