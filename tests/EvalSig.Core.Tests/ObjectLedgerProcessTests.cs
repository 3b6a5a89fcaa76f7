using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using EvalSig.Core.Audit;
using EvalSig.Core.ObjectStorage;
using Xunit;

namespace EvalSig.Core.Tests;

/// <summary>Writer processes against a cloud ledger: killed in the middle of appends.</summary>
public class ObjectLedgerProcessTests
{
    [Fact]
    public void AWriterKilledMidAppend_LeavesNoGap_NoUnverifiableObject_AndEveryAcknowledgedRecord()
    {
        using var s = new Scratch();
        var e = Emulated.Azurite;
        var location = Emulated.Location(e, "killed");
        for (var round = 0; round < 3; round++)
        {
            // Batches of 1 and of 20, so the kill lands inside single and grouped appends.
            using var p = TestHelperProcess.Start(e.Environment, "append", location, "0", round == 1 ? "20" : "1", "k" + round);
            var acked = new List<long>();
            using var enough = new ManualResetEventSlim();
            p.OutputDataReceived += (_, d) =>
            {
                if (d.Data is { Length: > 4 } line && line.StartsWith("ack ", StringComparison.Ordinal))
                {
                    lock (acked)
                    {
                        acked.Add(long.Parse(line[4..], System.Globalization.CultureInfo.InvariantCulture));
                        if (acked.Count >= 60)
                        {
                            enough.Set();
                        }
                    }
                }
            };
            p.BeginOutputReadLine();
            if (!enough.Wait(TimeSpan.FromMinutes(2)))
            {
                p.Kill();
                Assert.Fail("the writer did not get going: " + p.StandardError.ReadToEnd());
            }
            p.Kill(); // SIGKILL: the request in flight is cut wherever it is
            p.WaitForExit();

            var ledger = ObjectLedger.Open(location, Emulated.Options(s.Path));
            var v = AuditLog.Verify(ledger, AuditLedgerTests.Ring);
            Assert.True(v.Valid, v.Reason);
            Assert.Empty(v.Gaps);
            long max;
            lock (acked)
            {
                max = acked.Max();
            }

            Assert.True(v.HeadPosition >= max, $"acknowledged position {max} is missing (head {v.HeadPosition})");
            Assert.Equal(v.HeadPosition + 1, v.RecordCount);
            Assert.Equal("ok", ledger.GetStatus().Status);
        }
    }
}
