using EseBackupPlugin.Abstractions.Files;

namespace EseBackupPlugin.Ese.Format;

/// <summary>
/// Verifies one file in a single forward pass, as a backup engine reads it: identify from the first bytes, then feed
/// every byte from offset 0 in consecutive chunks, then <see cref="Complete"/>. Memory stays flat whatever the file
/// size (v7 logs are the exception: they are buffered whole, and are at most a few MiB).
/// </summary>
/// <remarks>
/// Not thread-safe: one thread at a time, chunks in order. Chunks should be multiples of <see cref="ChunkAlignment"/>
/// (the engine's 64 KiB multiples always are); other splits work too, at the cost of a copy of the straddling unit.
/// </remarks>
internal sealed class EseStreamVerifier
{
    private readonly FileScanner _scanner;
    private readonly FindingCollector _findings;
    private readonly byte[] _pending;
    private readonly EseFileIdentity _identity;
    private readonly string _displayPath;
    private readonly long _declaredLength;
    private int _pendingCount;
    private long _offset;
    private bool _completed;

    private EseStreamVerifier(string displayPath, long declaredLength, EseFileIdentity identity, FileScanner scanner, FindingCollector findings)
    {
        _displayPath = displayPath;
        _declaredLength = declaredLength;
        _identity = identity;
        _scanner = scanner;
        _findings = findings;
        _pending = new byte[scanner.UnitSize];
    }

    /// <summary>Chunks passed to <see cref="Process"/> should be multiples of this many bytes (except the last).</summary>
    public int ChunkAlignment => _scanner.UnitSize;

    /// <summary>True once a processed unit was found corrupt (a streaming consumer may stop at once).</summary>
    public bool FoundCorruption => _findings.HasCorruption;

    /// <summary>Bytes processed so far.</summary>
    public long BytesProcessed => _offset;

    /// <summary>Identifies the file and prepares its verification.</summary>
    /// <param name="displayPath">How findings name the file.</param>
    /// <param name="fileName">The file's name, for the naming rules of logs (generation in the name, tmp, reserve).</param>
    /// <param name="length">The file's length.</param>
    /// <param name="head">The first <c>min(length, 128 KiB)</c> bytes.</param>
    public static EseStreamVerifier Create(string displayPath, string fileName, long length, ReadOnlySpan<byte> head)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var findings = new FindingCollector();
        var identity = EseFileSniffer.Identify(fileName, length, head);
        var scanner = CreateScanner(displayPath, length, head, identity, findings);
        return new EseStreamVerifier(displayPath, length, identity, scanner, findings);
    }

    /// <summary>Consumes the next bytes of the file.</summary>
    /// <exception cref="InvalidOperationException">Called after <see cref="Complete"/>.</exception>
    public void Process(ReadOnlySpan<byte> chunk)
    {
        if (_completed)
        {
            throw new InvalidOperationException("The verifier is already complete.");
        }

        var unit = _pending.Length;
        if (_pendingCount > 0)
        {
            var take = Math.Min(unit - _pendingCount, chunk.Length);
            chunk[..take].CopyTo(_pending.AsSpan(_pendingCount));
            _pendingCount += take;
            chunk = chunk[take..];
            if (_pendingCount < unit)
            {
                return;
            }

            _scanner.ProcessUnits(_pending, _offset);
            _offset += unit;
            _pendingCount = 0;
        }

        var whole = chunk.Length - (chunk.Length % unit);
        if (whole > 0)
        {
            _scanner.ProcessUnits(chunk[..whole], _offset);
            _offset += whole;
        }

        var rest = chunk[whole..];
        rest.CopyTo(_pending);
        _pendingCount = rest.Length;
    }

    /// <summary>Finishes verification (a partial last unit is handed over as a tail) and returns the result.</summary>
    /// <exception cref="InvalidOperationException">Called twice.</exception>
    public EseVerificationResult Complete()
    {
        if (_completed)
        {
            throw new InvalidOperationException("The verifier is already complete.");
        }

        _completed = true;
        if (_pendingCount > 0)
        {
            _scanner.ProcessTail(_pending.AsSpan(0, _pendingCount), _offset);
            _offset += _pendingCount;
            _pendingCount = 0;
        }

        AddKindFindings();
        if (_offset != _declaredLength)
        {
            _findings.Add(new Finding(
                FindingCodes.FileChangedDuringRead,
                _offset < _declaredLength ? FindingSeverity.Corruption : FindingSeverity.Warning,
                $"The file was announced as {_declaredLength} bytes but {_offset} bytes were read.")
            {
                File = _displayPath,
                Expected = FindingCollector.Dec(_declaredLength),
                Actual = FindingCollector.Dec(_offset),
            });
        }

        var result = new EseVerificationResult
        {
            DisplayPath = _displayPath,
            Kind = _identity.Kind,
            KindReason = _identity.Reason,
            Bytes = _offset,
            LogName = _identity.Name,
        };
        result = _scanner.Complete(result, _offset);
        return result with { Findings = _findings.ToList(_displayPath) };
    }

    private static FileScanner CreateScanner(string displayPath, long length, ReadOnlySpan<byte> head, EseFileIdentity identity, FindingCollector findings)
    {
        switch (identity.Kind)
        {
            case EseFileKind.Database:
                return new DatabaseFileScanner(displayPath, length, findings, identity.DatabaseSelection ?? DatabaseHeaderSelection.Select(head, length));
            case EseFileKind.Log:
            case EseFileKind.TemporaryLog:
                {
                    // A temporary log is never part of a backup or a restore: damage there is worth a warning only.
                    var severity = identity.Kind == EseFileKind.Log ? FindingSeverity.Corruption : FindingSeverity.Warning;
                    LogFileHeader? header = null;
                    var valid = false;
                    if (head.Length >= LogFileHeader.Size)
                    {
                        header = LogFileHeader.Read(head);
                        valid = XorChecksum.IsValid(head[..LogFileHeader.Size]);
                    }

                    return IsSegmentFormat(header, valid, head)
                        ? new LogFileScanner(displayPath, length, findings, identity.Name, header, valid, severity)
                        : new LegacyLogFileScanner(displayPath, length, findings, identity.Name, header, valid, severity);
                }

            case EseFileKind.Checkpoint:
                return new CheckpointFileScanner(displayPath, length, findings);
            case EseFileKind.FlushMap:
                return new FlushMapFileScanner(displayPath, length, findings);
            default:
                return new OpaqueFileScanner(displayPath, length, findings);
        }
    }

    // The version decides; when the header is damaged, a first segment that verifies as a v8 segment decides.
    private static bool IsSegmentFormat(LogFileHeader? header, bool valid, ReadOnlySpan<byte> head)
    {
        if (header is not null && valid)
        {
            return header.Version.IsSegmentFormat;
        }

        var looksV8 = header is not null && header.Version.Major >= 8 && header.SectorSize == LogSegmentHeader.SegmentSize;
        if (head.Length >= 2 * LogSegmentHeader.SegmentSize)
        {
            var seg = head.Slice(LogSegmentHeader.SegmentSize, LogSegmentHeader.SegmentSize);
            if (seg.ContainsAnyExcept((byte)0))
            {
                return LogSegmentHeader.Read(seg).Checksum == XeChecksum.Compute(seg, 1, headerBlock: true);
            }

            return header is null || header.Version.Major >= 8 || header.SectorSize == LogSegmentHeader.SegmentSize;
        }

        return looksV8;
    }

    private void AddKindFindings()
    {
        switch (_identity.Kind)
        {
            case EseFileKind.NotEse:
                _findings.Add(new Finding(FindingCodes.NotEseFile, FindingSeverity.Warning, $"Not an ESE file ({_identity.Reason}).") { File = _displayPath });
                break;
            case EseFileKind.Empty:
                _findings.Add(new Finding(FindingCodes.EmptyFile, FindingSeverity.Warning, "The file is empty.") { File = _displayPath });
                break;
            case EseFileKind.Truncated:
                _findings.Add(new Finding(FindingCodes.TruncatedFile, FindingSeverity.Corruption, $"The file looks like an ESE file but is only {_declaredLength} bytes long ({_identity.Reason}).")
                {
                    File = _displayPath,
                    Actual = FindingCollector.Dec(_declaredLength),
                });
                break;
        }
    }
}
