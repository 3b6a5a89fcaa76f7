using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace EvalSig.Bridge.Cloud;

/// <summary>A window of asynchronous reads, yielded in request order (no thread blocked per request).</summary>
internal static class OrderedReads
{
    public static IEnumerable<ObjectContent?> Run(IEnumerable<string> names, int parallelism, Func<string, CancellationToken, Task<ObjectContent?>> read, CancellationToken cancel)
    {
        var window = new Queue<Task<ObjectContent?>>();
        using var e = names.GetEnumerator();
        var more = true;
        while (true)
        {
            while (more && window.Count < Math.Max(1, parallelism))
            {
                more = e.MoveNext();
                if (more)
                {
                    window.Enqueue(read(e.Current, cancel));
                }
            }

            if (window.Count == 0)
            {
                yield break;
            }

            yield return window.Dequeue().ConfigureAwait(false).GetAwaiter().GetResult();
        }
    }
}
