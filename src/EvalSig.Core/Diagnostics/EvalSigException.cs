using System;

namespace EvalSig.Core.Diagnostics;

/// <summary>An error with a stable id, a kind and the object it concerns.</summary>
public class EvalSigException : Exception
{
    public EvalSigException(EvalSigError error, EvalSigErrorKind kind, string message, object? target = null, Exception? inner = null)
        : base(message, inner)
    {
        Error = error;
        Kind = kind;
        Target = target;
    }

    public EvalSigException()
        : this(EvalSigError.ReportInvalid, EvalSigErrorKind.NotSpecified, "EvalSig error.")
    {
    }

    public EvalSigException(string message)
        : this(EvalSigError.ReportInvalid, EvalSigErrorKind.NotSpecified, message)
    {
    }

    public EvalSigException(string message, Exception innerException)
        : this(EvalSigError.ReportInvalid, EvalSigErrorKind.NotSpecified, message, null, innerException)
    {
    }

    public EvalSigError Error { get; }

    public EvalSigErrorKind Kind { get; }

    /// <summary>The file, value or object the error is about (never a secret).</summary>
    public object? Target { get; }
}
