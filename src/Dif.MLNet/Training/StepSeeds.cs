namespace Dif.Training;

/// <summary>Deterministic per-step seeds (SplitMix64 mixing). Unlike <see cref="HashCode"/>, which is
/// randomised per process, the same (seed, step, stream) gives the same value in every run, so a
/// resumed run draws exactly what an uninterrupted one would.</summary>
public static class StepSeeds
{
    /// <summary>A non-negative 31-bit seed for <paramref name="seed"/>, <paramref name="step"/> and <paramref name="stream"/>.</summary>
    public static int Of(int seed, long step, int stream)
    {
        ulong z = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL ^ (ulong)step * 0xBF58476D1CE4E5B9UL ^ (ulong)stream * 0x94D049BB133111EBUL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        z ^= z >> 31;
        return (int)(z & 0x7FFFFFFF);
    }
}
