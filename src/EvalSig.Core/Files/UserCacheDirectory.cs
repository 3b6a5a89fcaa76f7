using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace EvalSig.Core.Files;

/// <summary>
/// The user's cache folder for EvalSig: EVALSIG_CACHE_DIR, else $XDG_CACHE_HOME/evalsig or
/// ~/.cache/evalsig (Linux), ~/Library/Caches/evalsig (macOS), %LOCALAPPDATA%\evalsig\cache (Windows).
/// Everything in it can be deleted at any time: it is rebuilt from the truth.
/// </summary>
internal static class UserCacheDirectory
{
    public const string EnvironmentVariable = "EVALSIG_CACHE_DIR";

    public static string Root
    {
        get
        {
            if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } explicitDir)
            {
                return Path.GetFullPath(explicitDir);
            }

            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            {
                return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "evalsig", "cache");
            }

            if (RuntimeInformation.IsOSPlatform(OSPlatform.OSX))
            {
                return Path.Combine(home, "Library", "Caches", "evalsig");
            }

            return Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? Path.Combine(xdg, "evalsig") : Path.Combine(home, ".cache", "evalsig");
        }
    }

    /// <summary>A folder for one thing identified by text (a storage location): its name is a hash of it.</summary>
    public static string For(string kind, string identity, string? root = null)
    {
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(identity))).ToLowerInvariant()[..24];
        return Path.Combine(root ?? Root, kind, hash);
    }
}
