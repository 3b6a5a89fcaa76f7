using System;
using System.Management.Automation;

namespace EvalSig.Commands;

/// <summary>
/// Carries an EvalSig error out of a fail-closed cmdlet as a script-terminating error: marked as if
/// thrown by a <c>throw</c> statement, so PowerShell ends the script instead of only the statement.
/// Its <see cref="RuntimeException.ErrorRecord"/> is the cmdlet's own (stable id, category, target),
/// and its inner exception the <c>EvalSigException</c>, so <c>catch [EvalSig.Core.Diagnostics.EvalSigException]</c>
/// and <c>Should -Throw -ErrorId</c> see what they would see for any other EvalSig error.
/// </summary>
internal sealed class FailClosedException : RuntimeException
{
    public FailClosedException(ErrorRecord record)
        : base(record?.Exception?.Message ?? string.Empty, record?.Exception, record)
    {
        WasThrownFromThrowStatement = true;
    }

    public FailClosedException()
    {
    }

    public FailClosedException(string message)
        : base(message)
    {
    }

    public FailClosedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
