using TorchSharp;
using static TorchSharp.torch;

namespace Dif.Training;

/// <summary>Scalar-safe tensor arithmetic. TorchSharp turns every double (and the implicit alpha = 1
/// of <c>a + b</c> and <c>a - b</c>) into a native Scalar object that only its finaliser frees, and
/// nothing keeps that object alive while native code still reads it: under GC pressure we measured
/// crashes ("toFloat" check failures) and garbage values. Dif therefore never uses those implicit
/// conversions: <see cref="Of"/> makes a scalar to hold in a <c>using</c> declaration, and the tensor
/// sums below pass a scalar that a static field keeps alive for the life of the process. (Subtraction
/// has no hidden scalar; Minus is here so the arithmetic reads alike.)</summary>
public static class Scalars
{
    private static readonly Scalar One = 1.0.ToScalar();

    /// <summary>A scalar for <paramref name="value"/>; dispose it (a <c>using</c> declaration) after use.</summary>
    public static Scalar Of(double value) => value.ToScalar();

    /// <summary><paramref name="a"/> + <paramref name="b"/>.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary><paramref name="a"/> + the scalar <paramref name="b"/> (TorchSharp's add(Scalar) would make a hidden alpha scalar).</summary>
    public static Tensor Plus(this Tensor a, Scalar b) => a.add(b, One);

    /// <summary><paramref name="a"/> += the scalar <paramref name="b"/>, in place.</summary>
    public static Tensor PlusInPlace(this Tensor a, Scalar b) => a.add_(b, One);

    /// <summary><paramref name="a"/> − <paramref name="b"/>.</summary>
    public static Tensor Minus(this Tensor a, Tensor b) => a.sub(b); // TorchSharp's sub has no alpha scalar

    /// <summary><paramref name="a"/> += <paramref name="b"/>, in place.</summary>
    public static Tensor PlusInPlace(this Tensor a, Tensor b) => a.add_(b, One);

    /// <summary><paramref name="a"/> −= <paramref name="b"/>, in place.</summary>
    public static Tensor MinusInPlace(this Tensor a, Tensor b) => a.sub_(b);
}
