using System.Globalization;
using System.Text;
using System.Xml;

namespace EseBackupPlugin.Ese.Sources.Vss.Metadata;

/// <summary>Shared helpers for reading VSS XML documents (writer metadata, backup components, DiskShadow manifest).</summary>
internal static class VssXml
{
    /// <summary>
    /// Settings for every VSS document: streaming, no DTD, no external resolution, whitespace ignored.
    /// </summary>
    public static XmlReaderSettings ReaderSettings { get; } = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreWhitespace = true,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        CloseInput = true,
    };

    /// <summary>
    /// Opens a text reader over a stored document, detecting its encoding: a byte-order mark, UTF-16 without one
    /// (DiskShadow's <c>Manifest.xml</c> is UTF-16LE without a BOM), otherwise UTF-8.
    /// </summary>
    public static TextReader OpenText(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var buffered = stream.CanSeek ? stream : new BufferedStream(stream);
        Span<byte> head = stackalloc byte[4];
        var start = buffered.Position;
        var read = 0;
        while (read < head.Length)
        {
            var n = buffered.Read(head[read..]);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        buffered.Position = start;
        var encoding = Detect(head[..read]);
        return new StreamReader(buffered, encoding, detectEncodingFromByteOrderMarks: true, bufferSize: 64 * 1024, leaveOpen: false);
    }

    /// <summary>Guesses the encoding of a document from its first bytes.</summary>
    public static Encoding Detect(ReadOnlySpan<byte> head)
    {
        if (head.Length >= 2)
        {
            if (head[0] == 0xFF && head[1] == 0xFE)
            {
                return Encoding.Unicode;
            }

            if (head[0] == 0xFE && head[1] == 0xFF)
            {
                return Encoding.BigEndianUnicode;
            }

            // Without a BOM, a document that starts with '<' (or whitespace) shows its UTF-16 byte order
            // through the zero byte beside the ASCII one.
            if (head[0] != 0 && head[1] == 0)
            {
                return Encoding.Unicode;
            }

            if (head[0] == 0 && head[1] != 0)
            {
                return Encoding.BigEndianUnicode;
            }
        }

        return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
    }

    /// <summary>Reads a file with <see cref="OpenText"/>.</summary>
    public static TextReader OpenFile(string path) =>
        OpenText(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.SequentialScan));

    public static string? Attr(XmlReader reader, string name)
    {
        var value = reader.GetAttribute(name);
        return value;
    }

    public static string AttrOrEmpty(XmlReader reader, string name) => reader.GetAttribute(name) ?? "";

    /// <summary>VSS booleans are <c>yes</c>/<c>no</c>; <c>true</c>/<c>false</c>/<c>1</c>/<c>0</c> are accepted too.</summary>
    public static bool? Bool(XmlReader reader, string name)
    {
        var value = reader.GetAttribute(name);
        if (value is null)
        {
            return null;
        }

        value = value.Trim();
        if (value.Equals("yes", StringComparison.OrdinalIgnoreCase) || value.Equals("true", StringComparison.OrdinalIgnoreCase) || value == "1")
        {
            return true;
        }

        if (value.Equals("no", StringComparison.OrdinalIgnoreCase) || value.Equals("false", StringComparison.OrdinalIgnoreCase) || value == "0")
        {
            return false;
        }

        throw new FormatException($"Attribute {name}=\"{value}\" is not a yes/no value.");
    }

    /// <summary>Decimal masks and counts.</summary>
    public static long? Number(XmlReader reader, string name)
    {
        var value = reader.GetAttribute(name);
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        value = value.Trim();
        if (value.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            return long.Parse(value.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        }

        return long.Parse(value, NumberStyles.Integer, CultureInfo.InvariantCulture);
    }

    public static Guid? GuidAttr(XmlReader reader, string name)
    {
        var value = reader.GetAttribute(name);
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        return Guid.TryParse(value.Trim(), out var guid)
            ? guid
            : throw new FormatException($"Attribute {name}=\"{value}\" is not a GUID.");
    }

    /// <summary>Skips the current element (and its children) when it is not empty.</summary>
    public static void SkipElement(XmlReader reader)
    {
        if (!reader.IsEmptyElement)
        {
            reader.Skip();
        }
        else
        {
            reader.Read();
        }
    }
}
