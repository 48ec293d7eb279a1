using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace EseBackupPlugin.Ese.Format;

/// <summary>
/// ESE's 28-byte <c>SIGNATURE</c>: a random number, the creation <see cref="LogTime"/> and the NetBIOS name of the
/// computer that made it. A database's <c>signDb</c> and a log stream's <c>signLog</c> are signatures; ESE compares
/// them byte for byte, and so does equality here (every field is a raw value).
/// </summary>
/// <param name="Random">The random number (bytes 0-3).</param>
/// <param name="Created">Creation time (bytes 4-11).</param>
/// <param name="ComputerNameBytes">The 16 name bytes (12-27) as stored, NUL padding included.</param>
internal readonly record struct EseSignature(uint Random, LogTime Created, UInt128 ComputerNameBytes)
{
    /// <summary>Size on disk.</summary>
    public const int Size = 28;

    private const int RandomOffset = 0;
    private const int CreatedOffset = 4;
    private const int ComputerNameOffset = 12;
    private const int ComputerNameLength = 16;

    /// <summary>All bytes zero: no signature (for example <c>signLog</c> of a database that was never logged).</summary>
    public bool IsZero => Random == 0 && Created.IsZero && ComputerNameBytes == UInt128.Zero;

    /// <summary>The computer name up to the first NUL, bytes read as Latin-1 (the field holds 8-bit characters).</summary>
    public string ComputerName
    {
        get
        {
            Span<byte> name = stackalloc byte[ComputerNameLength];
            BinaryPrimitives.WriteUInt128LittleEndian(name, ComputerNameBytes);
            var end = name.IndexOf((byte)0);
            return Encoding.Latin1.GetString(end < 0 ? name : name[..end]);
        }
    }

    /// <summary>Reads a signature from the first 28 bytes of <paramref name="source"/>.</summary>
    public static EseSignature Read(ReadOnlySpan<byte> source) => new(
        BinaryPrimitives.ReadUInt32LittleEndian(source[RandomOffset..]),
        LogTime.Read(source[CreatedOffset..]),
        BinaryPrimitives.ReadUInt128LittleEndian(source[ComputerNameOffset..]));

    /// <summary>Builds a signature; the name is truncated to 15 characters and NUL padded, like ESE does.</summary>
    public static EseSignature Create(uint random, LogTime created, string computerName)
    {
        Span<byte> name = stackalloc byte[ComputerNameLength];
        name.Clear();
        var text = computerName.Length > ComputerNameLength - 1 ? computerName[..(ComputerNameLength - 1)] : computerName;
        Encoding.Latin1.GetBytes(text, name);
        return new EseSignature(random, created, BinaryPrimitives.ReadUInt128LittleEndian(name));
    }

    /// <summary>Writes the 28 bytes.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination[RandomOffset..], Random);
        Created.Write(destination[CreatedOffset..]);
        BinaryPrimitives.WriteUInt128LittleEndian(destination[ComputerNameOffset..], ComputerNameBytes);
    }

    /// <summary>
    /// Stable text form used in manifests and target ids: <c>{random:x8}-{created}-{computer}</c>, e.g.
    /// <c>2589c402-2022-03-05T16:20:02.000Z-DESKTOP1</c>.
    /// <list type="bullet">
    /// <item><c>created</c> is <c>yyyy-MM-ddTHH:mm:ss.fff</c> followed by <c>Z</c> when the LOGTIME carries the UTC
    /// bit (old engines stored local time without a zone); an unreadable time is written as <c>x</c> plus its
    /// 16 hex digits.</item>
    /// <item><c>computer</c> is the name up to its first NUL; bytes other than ASCII letters, digits, <c>-</c>,
    /// <c>_</c> and <c>.</c> are written as <c>%XX</c> so the text never contains spaces, slashes or controls.</item>
    /// <item>An all-zero signature is <c>none</c>.</item>
    /// </list>
    /// Bytes after the name's NUL are not shown; equality of signatures is byte equality, not text equality.
    /// </summary>
    public override string ToString()
    {
        if (IsZero)
        {
            return "none";
        }

        var sb = new StringBuilder(64);
        sb.Append(Random.ToString("x8", CultureInfo.InvariantCulture)).Append('-');
        if (Created.ToDateTimeOffset() is { } t)
        {
            sb.Append(t.ToString("yyyy-MM-dd'T'HH:mm:ss.fff", CultureInfo.InvariantCulture));
            if (Created.IsUtc)
            {
                sb.Append('Z');
            }
        }
        else
        {
            sb.Append('x').Append(Created.Raw.ToString("x16", CultureInfo.InvariantCulture));
        }

        sb.Append('-');
        Span<byte> name = stackalloc byte[ComputerNameLength];
        BinaryPrimitives.WriteUInt128LittleEndian(name, ComputerNameBytes);
        foreach (var b in name)
        {
            if (b == 0)
            {
                break;
            }

            if (char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' or (byte)'_' or (byte)'.')
            {
                sb.Append((char)b);
            }
            else
            {
                sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return sb.ToString();
    }
}
