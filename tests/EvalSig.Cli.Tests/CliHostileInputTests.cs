using System;
using System.IO;
using System.Text;
using Xunit;

namespace EvalSig.Cli.Tests;

/// <summary>Hostile files on the command line: exit 65 with RunFrameInvalid naming the file, never an internal error (issue 15).</summary>
public class CliHostileInputTests
{
    public static TheoryData<string> Hostile => new() { "truncated.parquet", "garbage.parquet", "utf16-no-bom.csv", "bad-utf8.json", "cut.eval", "deep.jsonl" };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Gate_OnAHostileFile_ExitsWithDataError_NamingTheFile(string name)
    {
        var dir = Directory.CreateTempSubdirectory("evalsig-cli-").FullName;
        try
        {
            var path = Path.Combine(dir, name);
            File.WriteAllBytes(path, Make(name));

            var r = Cli.Run("gate", Cli.Reference("tiny", "baseline.json"), path);

            Assert.Equal(65, r.ExitCode);
            Assert.Contains("evalsig: error RunFrameInvalid", r.Stderr, StringComparison.Ordinal);
            Assert.Contains(path, r.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("internal error", r.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);

            var doctor = Cli.Run("doctor", path);
            Assert.Equal(65, doctor.ExitCode);
            Assert.Contains(name, doctor.Stdout + doctor.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private static byte[] Make(string name)
    {
        var csv = "item_id,score\nq000000,1\nq000001,0\n";
        return name switch
        {
            // A Parquet head and tail around nothing sound: the footer length points before the start.
            "truncated.parquet" => [.. "PAR1"u8, 1, 2, 3, 4, 5, 6, .. BitConverter.GetBytes(100000), .. "PAR1"u8],
            "garbage.parquet" => [.. "PAR1"u8, .. new byte[64], 0x19, 0xFC, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0, .. BitConverter.GetBytes(8), .. "PAR1"u8],
            "utf16-no-bom.csv" => Encoding.Unicode.GetBytes(csv),
            "bad-utf8.json" => [.. "{\"run_id\":\"r\",\"model_id\":\"m\",\"task_id\":\"t\",\"metric_name\":\"a\",\"items\":[{\"item_id\":\"q"u8, 0xC3, 0x28, .. "\",\"score\":1}]}"u8],
            "cut.eval" => [.. "PK\u0003\u0004"u8, 20, 0, 0, 0, 8, 0],
            _ => Encoding.UTF8.GetBytes("{\"item_id\":\"q000000\",\"score\":1,\"metadata\":" + new string('[', 5000) + "\n"),
        };
    }
}
