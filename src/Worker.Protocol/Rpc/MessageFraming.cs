using System.Globalization;
using System.Text;

namespace EseBackupPlugin.Worker.Protocol.Rpc;

/// <summary>
/// Reads LSP-style frames: ASCII header lines (<c>Content-Length: N</c> required, <c>Content-Type</c> allowed and
/// ignored), an empty line, then exactly N bytes of UTF-8 JSON.
/// </summary>
public sealed class FramedMessageReader
{
    /// <summary>The largest body accepted; a bigger Content-Length is a framing error, not an allocation.</summary>
    public const int MaxBodyBytes = 64 * 1024 * 1024;

    private const int MaxHeaderLineBytes = 1024;
    private readonly Stream _stream;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    /// <summary>Reads frames from <paramref name="stream"/>.</summary>
    /// <param name="stream">The input (the worker's stdin, or the host's end of the worker's stdout).</param>
    public FramedMessageReader(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
    }

    /// <summary>The next message body, or <see langword="null"/> when the stream ended between two frames.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="RpcFramingException">The header is malformed, or the stream ended inside a frame.</exception>
    public async ValueTask<byte[]?> ReadAsync(CancellationToken cancellationToken = default)
    {
        int? length = null;
        var firstLine = true;
        while (true)
        {
            var line = await ReadHeaderLineAsync(allowEnd: firstLine, cancellationToken).ConfigureAwait(false);
            if (line is null)
            {
                return null;
            }

            firstLine = false;
            if (line.Length == 0)
            {
                break;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new RpcFramingException($"Malformed header line '{line}': expected 'Name: value'.");
            }

            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > MaxBodyBytes)
                {
                    throw new RpcFramingException($"Invalid Content-Length '{value}' (a decimal number of bytes up to {MaxBodyBytes}).");
                }

                length = n;
            }
        }

        if (length is not { } bodyLength)
        {
            throw new RpcFramingException("A frame's header has no Content-Length.");
        }

        var body = new byte[bodyLength];
        var filled = Math.Min(bodyLength, _end - _start);
        _buffer.AsSpan(_start, filled).CopyTo(body);
        _start += filled;
        while (filled < bodyLength)
        {
            var n = await _stream.ReadAsync(body.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new RpcFramingException($"The stream ended after {filled} of {bodyLength} body bytes.");
            }

            filled += n;
        }

        return body;
    }

    private async ValueTask<string?> ReadHeaderLineAsync(bool allowEnd, CancellationToken cancellationToken)
    {
        var scanned = 0;
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', _start + scanned, _end - _start - scanned);
            if (newline >= 0)
            {
                var lineEnd = newline > _start && _buffer[newline - 1] == '\r' ? newline - 1 : newline;
                var line = Encoding.ASCII.GetString(_buffer, _start, lineEnd - _start);
                _start = newline + 1;
                return line;
            }

            scanned = _end - _start;
            if (scanned >= MaxHeaderLineBytes)
            {
                throw new RpcFramingException($"A header line is longer than {MaxHeaderLineBytes} bytes.");
            }

            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, scanned);
                _start = 0;
                _end = scanned;
            }

            var n = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                if (allowEnd && scanned == 0)
                {
                    return null;
                }

                throw new RpcFramingException("The stream ended inside a frame header.");
            }

            _end += n;
        }
    }
}

/// <summary>Writes LSP-style frames (<c>Content-Length: N\r\n\r\n</c> then the body).</summary>
public static class FramedMessageWriter
{
    /// <summary>Writes one frame and flushes.</summary>
    /// <param name="stream">The output.</param>
    /// <param name="body">UTF-8 JSON.</param>
    /// <param name="cancellationToken">Stops the write.</param>
    public static async ValueTask WriteAsync(Stream stream, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var header = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"Content-Length: {body.Length}\r\n\r\n"));
        await stream.WriteAsync(header, cancellationToken).ConfigureAwait(false);
        await stream.WriteAsync(body, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>The byte stream does not follow the framing; the connection cannot continue.</summary>
public sealed class RpcFramingException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RpcFramingException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong.</param>
    public RpcFramingException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause.</param>
    public RpcFramingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
