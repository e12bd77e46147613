namespace Dif.Imaging;

/// <summary>How images are prepared for Dif (docs/method.md §2.1). Defaults follow the method.</summary>
public sealed class ImageLoadOptions
{
    /// <summary>The method's crop size S.</summary>
    public const int DefaultCropSize = 256;

    /// <summary>Side S of the centre crop, in pixels. Must be a positive multiple of 16 (the U-Net
    /// halves it four times).</summary>
    public int CropSize { get; set; } = DefaultCropSize;

    /// <summary>Images with more pixels than this (width × height, read from the header before any
    /// pixel is decoded) are refused. Default 100 megapixels.</summary>
    public long MaxPixels { get; set; } = 100_000_000;

    /// <summary>Files larger than this many bytes are refused before reading. Default 256 MiB.</summary>
    public long MaxFileBytes { get; set; } = 256L << 20;

    /// <summary>When true, an image smaller than the crop is zero-padded (centred) instead of refused.
    /// Off by default: padding changes the residual statistics the fingerprint relies on.</summary>
    public bool AllowPadding { get; set; }

    /// <summary>When set, every image is re-encoded in memory as <see cref="Harmonisation"/> says (e.g. JPEG at
    /// quality 90) after the centre crop and before the residual, so that the two classes' file formats cannot
    /// be told apart. Null (the default): the crop is used as decoded. A fingerprint records it; score images
    /// with <see cref="Fingerprinting.Fingerprint.ImageOptions"/>, which applies it again.</summary>
    public Harmonisation? Harmonise { get; set; }

    /// <summary>Checks the options, throwing a clear <see cref="ArgumentException"/> if one is out of range.</summary>
    public void Validate()
    {
        if (CropSize <= 0 || CropSize % 16 != 0)
            throw new ArgumentException($"CropSize must be a positive multiple of 16 (got {CropSize}).", nameof(CropSize));
        if (MaxPixels <= 0) throw new ArgumentException($"MaxPixels must be positive (got {MaxPixels}).", nameof(MaxPixels));
        if (MaxFileBytes <= 0) throw new ArgumentException($"MaxFileBytes must be positive (got {MaxFileBytes}).", nameof(MaxFileBytes));
    }

    /// <summary>A copy with another crop size.</summary>
    public ImageLoadOptions WithCropSize(int cropSize) => new()
    {
        CropSize = cropSize, MaxPixels = MaxPixels, MaxFileBytes = MaxFileBytes, AllowPadding = AllowPadding, Harmonise = Harmonise,
    };
}
