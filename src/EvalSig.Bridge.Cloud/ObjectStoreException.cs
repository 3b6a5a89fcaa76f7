using System;
using System.IO;

namespace EvalSig.Bridge.Cloud;

/// <summary>Why an object-store call failed, as far as the service or the network said.</summary>
public enum ObjectStoreFailure
{
    /// <summary>No answer: DNS, connection refused, timeout.</summary>
    Unreachable,

    /// <summary>401 or 403, or no credentials found.</summary>
    Unauthorized,

    /// <summary>The container or bucket does not exist.</summary>
    ContainerNotFound,

    /// <summary>The service does not implement the operation (501, or an emulator's NotImplemented).</summary>
    NotSupported,

    /// <summary>A conditional write kept colliding with another in flight (S3 409 ConditionalRequestConflict).</summary>
    Conflict,

    /// <summary>Anything else the service refused.</summary>
    Rejected,
}

/// <summary>
/// A failed object-store call. The message names the operation, the object and the service's status
/// and error code; credentials (keys, SAS signatures, session tokens) are removed from it.
/// </summary>
public sealed class ObjectStoreException : IOException
{
    public ObjectStoreException()
    {
    }

    public ObjectStoreException(string message)
        : base(message)
    {
    }

    public ObjectStoreException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ObjectStoreException(ObjectStoreFailure failure, int status, string? errorCode, string message)
        : base(message)
    {
        Failure = failure;
        Status = status;
        ErrorCode = errorCode;
    }

    public ObjectStoreFailure Failure { get; }

    /// <summary>The HTTP status, 0 when there was no answer.</summary>
    public int Status { get; }

    public string? ErrorCode { get; }
}
