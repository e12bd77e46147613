// The bad-input matrix of issue 8, written as real files: one case table shared by the C# API tests,
// the ML.NET transformer tests (tests/Dif.MLNet.Tests/Reliability) and the PowerShell specs
// (tests/Dif.PowerShell.Tests/Reliability.Tests.ps1 compiles this file with Add-Type against the module's
// own ImageSharp). It uses only the BCL and ImageSharp, in plain C# that Add-Type also compiles.
#nullable enable
using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Dif.Tests.Reliability
{
    /// <summary>One case of the matrix: a file, and either the file its pixels must equal once prepared
    /// (<see cref="SameAs"/>; null when only decoding is checked) or a fragment the error must contain.</summary>
    public sealed class BadImageCase
    {
        public BadImageCase(string name, string path, string? sameAs, string? refusal)
        {
            Name = name; Path = path; SameAs = sameAs; Refusal = refusal;
        }

        /// <summary>Short stable name (test data label).</summary>
        public string Name { get; }
        /// <summary>The file (or folder, or missing path) to give Dif.</summary>
        public string Path { get; }
        /// <summary>A plain file whose prepared pixels the case must equal; null if it must only decode.</summary>
        public string? SameAs { get; }
        /// <summary>Null when the case must decode; otherwise a fragment of the expected error message.</summary>
        public string? Refusal { get; }
        /// <summary>True when Dif must refuse the case.</summary>
        public bool Refused { get { return Refusal != null; } }

        public override string ToString() { return Name; }
    }

    /// <summary>Writes the matrix into a folder. Every case is small (crop <see cref="Crop"/>) so a test
    /// runs all of them in seconds.</summary>
    public static class BadImages
    {
        /// <summary>The crop size the cases are made for.</summary>
        public const int Crop = 32;

        /// <summary>Names of the cases <see cref="Write"/> makes, in order.</summary>
        public static readonly string[] Names =
        {
            "jpeg-named-png", "png-16-bit", "png-gray", "png-alpha", "png-palette", "jpeg-cmyk", "gif-animated-first-frame",
            "webp-animated-first-frame", "png-exif-rotated", "jpeg-exif-rotated", "non-ascii and space path",
            "zero-byte", "png-truncated", "jpeg-truncated", "random-bytes-named-jpg", "png-huge-dimensions",
            "jpeg-huge-dimensions", "webp-animated-huge-canvas", "smaller-than-crop", "directory", "missing-path",
        };

        /// <summary>Writes every case into <paramref name="folder"/> (created) and returns them.
        /// The reference files the decodable cases are compared with go into its "reference" subfolder.</summary>
        public static List<BadImageCase> Write(string folder)
        {
            Directory.CreateDirectory(folder);
            var reference = System.IO.Path.Combine(folder, "reference");
            Directory.CreateDirectory(reference);
            string In(string name) { return System.IO.Path.Combine(folder, name); }
            string Ref(string name) { return System.IO.Path.Combine(reference, name); }
            var cases = new List<BadImageCase>();

            // Decodable: each must give exactly the pixels of a plain 8-bit RGB reference.
            using (var picture = Picture(48, 40, 1))
            {
                var jpeg = Save(picture, Ref("photo.jpg"), new JpegEncoder { Quality = 95 });
                File.Copy(jpeg, In("jpeg-named.png"));
                cases.Add(new BadImageCase("jpeg-named-png", In("jpeg-named.png"), jpeg, null));

                var rgbPng = Save(picture, Ref("photo.png"), new PngEncoder());
                using (var deep = picture.CloneAs<Rgb48>())
                    cases.Add(new BadImageCase("png-16-bit", Save(deep, In("deep-16-bit.png"), new PngEncoder { BitDepth = PngBitDepth.Bit16 }), rgbPng, null));

                using (var gray = picture.CloneAs<L8>())
                using (var grayAsRgb = gray.CloneAs<Rgb24>())
                    cases.Add(new BadImageCase("png-gray", Save(gray, In("gray.png"), new PngEncoder { ColorType = PngColorType.Grayscale }),
                                               Save(grayAsRgb, Ref("gray-as-rgb.png"), new PngEncoder()), null));

                using (var alpha = picture.CloneAs<Rgba32>())
                {
                    // Alpha varies from opaque to fully transparent: Dif drops it rather than compositing.
                    for (int y = 0; y < alpha.Height; y++)
                        for (int x = 0; x < alpha.Width; x++) { var p = alpha[x, y]; p.A = (byte)(255 - 5 * x); alpha[x, y] = p; }
                    cases.Add(new BadImageCase("png-alpha", Save(alpha, In("alpha.png"), new PngEncoder { ColorType = PngColorType.RgbWithAlpha }), rgbPng, null));
                }
            }

            // Palette: a picture of few colours, so the palette holds each exactly.
            using (var few = Blocks(48, 40, new[] { new Rgb24(10, 200, 30), new Rgb24(250, 5, 100), new Rgb24(0, 0, 0), new Rgb24(77, 77, 200) }))
                cases.Add(new BadImageCase("png-palette", Save(few, In("palette.png"), new PngEncoder { ColorType = PngColorType.Palette, BitDepth = PngBitDepth.Bit8 }),
                                           Save(few, Ref("palette-as-rgb.png"), new PngEncoder()), null));

            // CMYK JPEG: ImageSharp 2.1's encoder writes only Y/Cb/Cr, gray and RGB (JpegColorType.Cmyk still
            // writes three components), so this is a small baseline encoder of our own for flat 8×8 blocks,
            // with the Adobe marker Photoshop writes (values stored inverted: 255 = no ink).
            cases.Add(new BadImageCase("jpeg-cmyk", WriteFile(In("cmyk.jpg"), CmykJpeg(48, 40)),
                                       Save(CmykExpected(48, 40), Ref("cmyk-as-rgb.png"), new PngEncoder()), null));

            // Animations: only the first frame counts.
            var frameColours = new[] { new Rgb24(200, 40, 40), new Rgb24(40, 200, 40), new Rgb24(40, 40, 200) };
            using (var first = Blocks(48, 40, new[] { frameColours[0], new Rgb24(255, 255, 255) }))
            {
                var firstPng = Save(first, Ref("first-frame.png"), new PngEncoder());
                using (var gif = Blocks(48, 40, new[] { frameColours[0], new Rgb24(255, 255, 255) }))
                {
                    for (int f = 1; f < frameColours.Length; f++)
                        using (var next = Blocks(48, 40, new[] { frameColours[f], new Rgb24(255, 255, 255) }))
                            gif.Frames.AddFrame(next.Frames.RootFrame);
                    cases.Add(new BadImageCase("gif-animated-first-frame", Save(gif, In("animated.gif"), new GifEncoder()), firstPng, null));
                }
                var frames = new List<byte[]>();
                foreach (var c in frameColours)
                    using (var frame = Blocks(48, 40, new[] { c, new Rgb24(255, 255, 255) }))
                        frames.Add(LosslessWebp(frame));
                cases.Add(new BadImageCase("webp-animated-first-frame", WriteFile(In("animated.webp"), AnimatedWebp(48, 40, frames)), firstPng, null));
            }

            // EXIF orientation 6 ("rotate 90° clockwise to display"): the stored pixels are the upright picture
            // turned 90° anticlockwise, so honouring the tag gives the upright picture back exactly (PNG: lossless).
            using (var upright = Picture(48, 40, 2))
            {
                var uprightPng = Save(upright, Ref("upright.png"), new PngEncoder());
                using (var stored = upright.Clone(x => x.Rotate(RotateMode.Rotate270)))
                {
                    stored.Metadata.ExifProfile = new ExifProfile();
                    stored.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6);
                    cases.Add(new BadImageCase("png-exif-rotated", Save(stored, In("exif-rotated.png"), new PngEncoder()), uprightPng, null));
                    // JPEG is lossy: checked for the rotated size only (SameAs null).
                    cases.Add(new BadImageCase("jpeg-exif-rotated", Save(stored, In("exif-rotated.jpg"), new JpegEncoder { Quality = 95 }), null, null));
                }
            }

            using (var picture = Picture(40, 40, 3))
            {
                var odd = In("ünï cödé 画像 photo.png");
                cases.Add(new BadImageCase("non-ascii and space path", Save(picture, odd, new PngEncoder()), Save(picture, Ref("plain.png"), new PngEncoder()), null));
            }

            // Refused, each with the reason in the message.
            cases.Add(new BadImageCase("zero-byte", WriteFile(In("zero-byte.png"), new byte[0]), null, "empty"));
            byte[] wholePng, wholeJpeg;
            using (var picture = Picture(64, 64, 4))
            {
                wholePng = Encode(picture, new PngEncoder());
                wholeJpeg = Encode(picture, new JpegEncoder { Quality = 90 });
            }
            cases.Add(new BadImageCase("png-truncated", WriteFile(In("truncated.png"), Slice(wholePng, wholePng.Length / 2)), null, "damaged"));
            cases.Add(new BadImageCase("jpeg-truncated", WriteFile(In("truncated.jpg"), Slice(wholeJpeg, wholeJpeg.Length / 2)), null, "truncated"));
            var noise = new byte[4000];
            new Random(5).NextBytes(noise);
            cases.Add(new BadImageCase("random-bytes-named-jpg", WriteFile(In("random-bytes.jpg"), noise), null, "not an image"));
            cases.Add(new BadImageCase("png-huge-dimensions", WriteFile(In("huge.png"), PngWithSize(wholePng, 60000, 60000)), null, "over the limit"));
            cases.Add(new BadImageCase("jpeg-huge-dimensions", WriteFile(In("huge.jpg"), JpegWithSize(wholeJpeg, 60000, 60000)), null, "over the limit"));
            // An animation's canvas is its size: refused from the header, like a still image's.
            using (var tiny = Blocks(48, 40, new[] { new Rgb24(1, 2, 3), new Rgb24(4, 5, 6) }))
                cases.Add(new BadImageCase("webp-animated-huge-canvas", WriteFile(In("huge-canvas.webp"), AnimatedWebp(60000, 60000, new List<byte[]> { LosslessWebp(tiny) })), null, "over the limit"));
            using (var small = Picture(20, 24, 6))
                cases.Add(new BadImageCase("smaller-than-crop", Save(small, In("small.png"), new PngEncoder()), null, "smaller than the 32×32 crop"));
            var dir = In("a-folder.png");
            Directory.CreateDirectory(dir);
            cases.Add(new BadImageCase("directory", dir, null, "folder"));
            cases.Add(new BadImageCase("missing-path", In("missing.png"), null, "not found"));
            return cases;
        }

        /// <summary>A smooth colourful picture with a little seeded noise.</summary>
        public static Image<Rgb24> Picture(int width, int height, int seed)
        {
            var random = new Random(seed);
            var image = new Image<Rgb24>(width, height);
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                    image[x, y] = new Rgb24(
                        (byte)Math.Clamp(128 + 100 * Math.Sin(x * 0.15 + seed) + random.Next(-8, 9), 0, 255),
                        (byte)Math.Clamp(128 + 100 * Math.Cos(y * 0.17) + random.Next(-8, 9), 0, 255),
                        (byte)((3 * x + 2 * y + seed * 17) % 256));
            return image;
        }

        /// <summary>8×8 blocks cycling through <paramref name="colours"/>.</summary>
        public static Image<Rgb24> Blocks(int width, int height, Rgb24[] colours)
        {
            var image = new Image<Rgb24>(width, height);
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                    image[x, y] = colours[((x / 8) + (y / 8)) % colours.Length];
            return image;
        }

        private static string Save<TPixel>(Image<TPixel> image, string path, SixLabors.ImageSharp.Formats.IImageEncoder encoder)
            where TPixel : unmanaged, IPixel<TPixel>
        {
            image.Save(path, encoder);
            return path;
        }

        private static byte[] Encode<TPixel>(Image<TPixel> image, SixLabors.ImageSharp.Formats.IImageEncoder encoder)
            where TPixel : unmanaged, IPixel<TPixel>
        {
            using (var ms = new MemoryStream())
            {
                image.Save(ms, encoder);
                return ms.ToArray();
            }
        }

        private static string WriteFile(string path, byte[] bytes)
        {
            File.WriteAllBytes(path, bytes);
            return path;
        }

        private static byte[] Slice(byte[] bytes, int length)
        {
            var result = new byte[length];
            Array.Copy(bytes, result, length);
            return result;
        }

        /// <summary>The PNG with its IHDR width and height replaced (CRC fixed): a decompression bomb's header.</summary>
        public static byte[] PngWithSize(byte[] png, int width, int height)
        {
            var bytes = (byte[])png.Clone();
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(16), width);
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(20), height);
            var crc = Crc32(bytes, 12, 17); // chunk type + 13 data bytes
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(29), crc);
            return bytes;
        }

        /// <summary>The JPEG with its frame header's height and width replaced.</summary>
        public static byte[] JpegWithSize(byte[] jpeg, int width, int height)
        {
            var bytes = (byte[])jpeg.Clone();
            for (int p = 2; p + 9 < bytes.Length;)
            {
                if (bytes[p] != 0xFF) throw new InvalidOperationException("JPEG marker expected at " + p);
                byte marker = bytes[p + 1];
                int length = (bytes[p + 2] << 8) | bytes[p + 3];
                if (marker >= 0xC0 && marker <= 0xC2)
                {
                    BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(p + 5), (ushort)height);
                    BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(p + 7), (ushort)width);
                    return bytes;
                }
                p += 2 + length;
            }
            throw new InvalidOperationException("No frame header found.");
        }

        private static uint Crc32(byte[] data, int offset, int count)
        {
            uint crc = 0xFFFFFFFF;
            for (int i = offset; i < offset + count; i++)
            {
                crc ^= data[i];
                for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
            return crc ^ 0xFFFFFFFF;
        }

        // ---- CMYK JPEG -------------------------------------------------------------------------------

        /// <summary>The (inverted, Adobe-style) CMYK value of 8×8 block (bx, by).</summary>
        private static byte[] CmykOfBlock(int bx, int by)
        {
            return new[] { (byte)(40 + 50 * (bx % 3)), (byte)(255 - 60 * (by % 2)), (byte)(200 + 20 * ((bx + by) % 2)), (byte)(255 - 30 * (bx % 2)) };
        }

        /// <summary>The RGB a reader following Adobe's convention shows for <see cref="CmykJpeg"/>: each of
        /// C, M, Y (stored inverted) times K (stored inverted) / 255.</summary>
        public static Image<Rgb24> CmykExpected(int width, int height)
        {
            var image = new Image<Rgb24>(width, height);
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    var v = CmykOfBlock(x / 8, y / 8);
                    image[x, y] = new Rgb24((byte)Math.Round(v[0] * v[3] / 255.0), (byte)Math.Round(v[1] * v[3] / 255.0), (byte)Math.Round(v[2] * v[3] / 255.0));
                }
            return image;
        }

        /// <summary>A baseline four-component JPEG of flat 8×8 blocks (DC coefficients only, quantiser 1,
        /// so each block decodes to exactly its value) with an Adobe APP14 marker, transform 0 (CMYK).</summary>
        public static byte[] CmykJpeg(int width, int height)
        {
            var o = new MemoryStream();
            void Marker(int m, byte[] body)
            {
                o.WriteByte(0xFF); o.WriteByte((byte)m);
                o.WriteByte((byte)((body.Length + 2) >> 8)); o.WriteByte((byte)(body.Length + 2));
                o.Write(body, 0, body.Length);
            }
            o.WriteByte(0xFF); o.WriteByte(0xD8);
            Marker(0xEE, new byte[] { (byte)'A', (byte)'d', (byte)'o', (byte)'b', (byte)'e', 0, 100, 0, 0, 0, 0, 0 });
            var dqt = new byte[65];
            for (int i = 1; i < 65; i++) dqt[i] = 1;
            Marker(0xDB, dqt);
            var sof = new List<byte> { 8, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, 4 };
            for (int c = 1; c <= 4; c++) { sof.Add((byte)c); sof.Add(0x11); sof.Add(0); }
            Marker(0xC0, sof.ToArray());
            // DC table 0: the standard luminance DC table (categories 0-11).
            var dht = new List<byte> { 0x00, 0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0 };
            for (int v = 0; v <= 11; v++) dht.Add((byte)v);
            // AC table 0: a single one-bit code, for end-of-block (all blocks are flat).
            dht.AddRange(new byte[] { 0x10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00 });
            Marker(0xC4, dht.ToArray());
            var sos = new List<byte> { 4 };
            for (int c = 1; c <= 4; c++) { sos.Add((byte)c); sos.Add(0x00); }
            sos.AddRange(new byte[] { 0, 63, 0 });
            Marker(0xDA, sos.ToArray());

            // Standard DC luminance codes for categories 0..11.
            int[] codeLength = { 2, 3, 3, 3, 3, 3, 4, 5, 6, 7, 8, 9 };
            int[] code = { 0b00, 0b010, 0b011, 0b100, 0b101, 0b110, 0b1110, 0b11110, 0b111110, 0b1111110, 0b11111110, 0b111111110 };
            int acc = 0, bits = 0;
            void Put(int value, int count)
            {
                for (int i = count - 1; i >= 0; i--)
                {
                    acc = (acc << 1) | ((value >> i) & 1);
                    if (++bits == 8)
                    {
                        o.WriteByte((byte)acc);
                        if (acc == 0xFF) o.WriteByte(0); // byte stuffing
                        acc = 0; bits = 0;
                    }
                }
            }
            var previous = new int[4];
            for (int by = 0; by < (height + 7) / 8; by++)
                for (int bx = 0; bx < (width + 7) / 8; bx++)
                {
                    var v = CmykOfBlock(bx, by);
                    for (int c = 0; c < 4; c++)
                    {
                        int dc = 8 * (v[c] - 128);   // forward DCT of a flat block, level-shifted
                        int diff = dc - previous[c];
                        previous[c] = dc;
                        int magnitude = Math.Abs(diff), category = 0;
                        while ((1 << category) <= magnitude) category++;
                        Put(code[category], codeLength[category]);
                        if (category > 0) Put(diff > 0 ? diff : diff + (1 << category) - 1, category);
                        Put(0, 1); // end of block
                    }
                }
            if (bits > 0) Put(0x7F, 8 - bits); // pad with ones
            o.WriteByte(0xFF); o.WriteByte(0xD9);
            return o.ToArray();
        }

        // ---- animated WebP ---------------------------------------------------------------------------

        private static byte[] LosslessWebp(Image<Rgb24> image)
        {
            return Encode(image, new WebpEncoder { FileFormat = WebpFileFormatType.Lossless });
        }

        /// <summary>An animated WebP (VP8X + ANIM + one ANMF per frame) on a width×height canvas, each frame the
        /// VP8L bitstream of a still lossless WebP placed at (0, 0).</summary>
        public static byte[] AnimatedWebp(int width, int height, List<byte[]> stillFrames)
        {
            var body = new MemoryStream();
            void Chunk(Stream into, string fourCc, byte[] data)
            {
                into.Write(Encoding.ASCII.GetBytes(fourCc), 0, 4);
                var size = new byte[4];
                BinaryPrimitives.WriteUInt32LittleEndian(size, (uint)data.Length);
                into.Write(size, 0, 4);
                into.Write(data, 0, data.Length);
                if (data.Length % 2 == 1) into.WriteByte(0);
            }
            void U24(List<byte> into, int v) { into.Add((byte)v); into.Add((byte)(v >> 8)); into.Add((byte)(v >> 16)); }
            var vp8x = new List<byte> { 0x02, 0, 0, 0 }; // animation flag
            U24(vp8x, width - 1); U24(vp8x, height - 1);
            Chunk(body, "VP8X", vp8x.ToArray());
            Chunk(body, "ANIM", new byte[] { 255, 255, 255, 255, 0, 0 });
            foreach (var still in stillFrames)
            {
                // A still lossless file is RIFF(12) + "VP8L" chunk; the frame carries that chunk as is.
                int frameWidth = 1 + (((still[21] | (still[22] << 8)) & 0x3FFF));
                int frameHeight = 1 + (((still[22] >> 6) | (still[23] << 2) | ((still[24] & 0x0F) << 10)));
                var anmf = new List<byte>();
                U24(anmf, 0); U24(anmf, 0); U24(anmf, frameWidth - 1); U24(anmf, frameHeight - 1); U24(anmf, 100);
                anmf.Add(0x02); // no blending, no disposal
                for (int i = 12; i < still.Length; i++) anmf.Add(still[i]);
                Chunk(body, "ANMF", anmf.ToArray());
            }
            var file = new MemoryStream();
            file.Write(Encoding.ASCII.GetBytes("RIFF"), 0, 4);
            var riffSize = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(riffSize, (uint)(4 + body.Length));
            file.Write(riffSize, 0, 4);
            file.Write(Encoding.ASCII.GetBytes("WEBP"), 0, 4);
            body.Position = 0;
            body.CopyTo(file);
            return file.ToArray();
        }
    }
}
