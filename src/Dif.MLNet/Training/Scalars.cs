using TorchSharp;

namespace Dif.Training;

/// <summary>Explicit TorchSharp scalars. An implicit double→Scalar conversion creates a native object
/// that only its finaliser frees; once its handle has been passed to native code nothing keeps it
/// alive, and we saw a garbage scalar ("toFloat" check failures) in a long test run. Library code
/// therefore creates scalars with this helper inside <c>using</c>, which keeps them alive until the
/// operation has returned.</summary>
public static class Scalars
{
    /// <summary>A scalar for <paramref name="value"/>; dispose it (a <c>using</c> declaration) after use.</summary>
    public static Scalar Of(double value) => value.ToScalar();
}
