using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EvalSig.Core.RunFrames;

/// <summary>
/// The arrays of several megabytes a run is held in (columns, paired differences), allocated so that Linux
/// backs them with 2 MB pages (issue 16). A fresh array is memory the process has never touched, and each
/// 4 KB page of it costs a page fault on first write: on the 2-vCPU VM we measure on, about 15 us each, so
/// the 60 MB of columns of a 1M-item gate cost about 240 ms of CPU in faults alone, more than the statistics.
/// Advised with <c>madvise(MADV_HUGEPAGE)</c> before it is written, the same memory takes one fault per
/// 2 MB. The advice changes no content and no semantics; where it is not available (another OS, transparent
/// huge pages set to "never", no libc) nothing happens. The AppContext switch
/// <c>EvalSig.Memory.DisableHugePages</c> turns it off.
/// </summary>
internal static class LargeArrays
{
    /// <summary>Arrays smaller than this are left alone (they cannot hold a whole 2 MB page).</summary>
    private const long AdviseFrom = 2L << 20;

    private const long HugePage = 2L << 20;
    private const int MadvHugePage = 14;

    private static volatile int s_state = OperatingSystem.IsLinux() && !(AppContext.TryGetSwitch("EvalSig.Memory.DisableHugePages", out var off) && off) ? 1 : -1;

    /// <summary>A zeroed array, advised for 2 MB pages when it is large.</summary>
    public static T[] New<T>(int length)
        where T : unmanaged
    {
        var array = new T[length];
        Advise(array);
        return array;
    }

    /// <summary>As <see cref="Array.Resize{T}(ref T[], int)"/>, the new array advised for 2 MB pages when it is large.</summary>
    public static void Resize<T>(ref T[] array, int length)
        where T : unmanaged
    {
        if (array.Length == length)
        {
            return;
        }

        var bigger = New<T>(length);
        array.AsSpan(0, Math.Min(array.Length, length)).CopyTo(bigger);
        array = bigger;
    }

    /// <summary>Advises the whole 2 MB pages inside a large array that nothing has written yet.</summary>
    public static void Advise<T>(T[] array)
        where T : unmanaged
    {
        var bytes = (long)array.Length * Unsafe.SizeOf<T>();
        if (bytes < AdviseFrom || s_state < 0)
        {
            return;
        }

        var handle = GCHandle.Alloc(array, GCHandleType.Pinned);
        try
        {
            // The 2 MB page holding the array's start is already in use (the GC wrote its header there); the
            // one holding its end is advised whole, as nothing past a fresh array has been written either.
            var at = (long)handle.AddrOfPinnedObject();
            var start = (at + HugePage - 1) & ~(HugePage - 1);
            var end = (at + bytes + HugePage - 1) & ~(HugePage - 1);
            if (end > start)
            {
                _ = Native.Madvise((nint)start, (nuint)(end - start), MadvHugePage);
            }
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            s_state = -1;
        }
        finally
        {
            handle.Free();
        }
    }

    private static class Native
    {
        [DllImport("libc", EntryPoint = "madvise")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Madvise(nint address, nuint length, int advice);
    }
}
