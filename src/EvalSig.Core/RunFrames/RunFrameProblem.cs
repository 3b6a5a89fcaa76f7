using System.Globalization;
using System.Text;

namespace EvalSig.Core.RunFrames;

/// <summary>
/// One thing wrong with a RunFrame file: where (file, item index, field, or line and byte for
/// malformed text) and what to do about it.
/// </summary>
public sealed record RunFrameProblem(string? Path, int? ItemIndex, string? Field, string Message, long? Line = null, long? BytePosition = null)
{
    public override string ToString()
    {
        var sb = new StringBuilder();
        if (Path is not null)
        {
            sb.Append(System.IO.Path.GetFileName(Path));
        }

        if (Line is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{(sb.Length > 0 ? " " : string.Empty)}line {Line}");
            if (BytePosition is not null)
            {
                sb.Append(CultureInfo.InvariantCulture, $", byte {BytePosition}");
            }
        }
        else if (BytePosition is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{(sb.Length > 0 ? " " : string.Empty)}byte {BytePosition}");
        }

        if (ItemIndex is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{(sb.Length > 0 ? ": " : string.Empty)}item {ItemIndex}");
        }

        if (Field is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{(sb.Length > 0 ? ", " : string.Empty)}field '{Field}'");
        }

        if (sb.Length > 0)
        {
            sb.Append(": ");
        }

        sb.Append(Message);
        return sb.ToString();
    }
}
