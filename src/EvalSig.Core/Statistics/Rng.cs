using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace EvalSig.Core.Statistics;

/// <summary>
/// xoshiro256** seeded through SplitMix64 (Blackman &amp; Vigna). Each resample gets its own
/// generator derived from (seed, stream, resample index), so results are identical however
/// many cores share the work and in whatever order they run.
/// </summary>
internal struct Rng
{
    private ulong _s0, _s1, _s2, _s3;

    public static Rng ForResample(long seed, ulong stream, long index)
    {
        var x = unchecked((ulong)seed ^ (stream * 0xD1B54A32D192ED03UL) ^ ((ulong)index * 0x9E3779B97F4A7C15UL));
        var r = default(Rng);
        r._s0 = SplitMix(ref x);
        r._s1 = SplitMix(ref x);
        r._s2 = SplitMix(ref x);
        r._s3 = SplitMix(ref x);
        return r;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Next()
    {
        var result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform integer in [0, n): the high word of a 64x64 product (bias below n / 2^64).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int NextIndex(int n) => (int)Math.BigMul(Next(), (ulong)n, out _);

    private static ulong SplitMix(ref ulong x)
    {
        var z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
