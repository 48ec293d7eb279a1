namespace EseBackupPlugin.Tests.NativeFakes;

/// <summary>
/// One simulated machine for the vssapi.dll ABI fake: a "volume" directory holding a real ESE file set in the directory
/// of a simulated ESE writer, the writer's metadata document, and optionally the machine's other writers (real
/// DiskShadow documents). The caller owns <c>root</c> and deletes it; the fake is reset here and by the caller.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1852", Justification = "This file is compiled into several test assemblies; Plugin.Ese.Tests derives FakeVssWorld from it.")]
internal class FakeVssMachine
{
    public static readonly Guid NtdsWriterId = new("B2014C9E-8711-4C5C-A5A9-3CF384484757");
    public static readonly Guid ExchangeWriterId = new("76FE1AC4-15F7-4BCD-987E-8E1ACB462FB7");
    public static readonly Guid SystemWriterId = new("E8132975-6F93-4464-A53E-1050253AE220");

    /// <summary>The shared test set the writer's files are copied from: database, logs 25..31, current log 32, checkpoint 32.</summary>
    public const string EseSet = "srum-win10-clean-with-logs";

    /// <summary>Sets the machine up.</summary>
    /// <param name="root">An empty scratch directory (volumes, shadow copies and the writer document go below it).</param>
    /// <param name="eseSetDirectory">The shared test data's <see cref="EseSet"/> directory.</param>
    /// <param name="otherWritersDirectory">A directory of writer metadata documents (<c>WM*.xml</c>) for the machine's other writers, or none.</param>
    /// <param name="writerName">The ESE writer's friendly name.</param>
    /// <param name="writerId">Its writer class id (NTDS by default).</param>
    /// <param name="backupSchema">Its VSS_BACKUP_SCHEMA bits (0: full and copy only).</param>
    /// <param name="logsOnSecondVolume">Put the logs and checkpoint on a second volume.</param>
    public FakeVssMachine(string root, string eseSetDirectory, string? otherWritersDirectory, string writerName = "NTDS", Guid? writerId = null, int backupSchema = 0, bool logsOnSecondVolume = false)
    {
        FakeVssLibrary.Reset();
        Root = root;
        VolumeRoot = Path.Combine(root, "volume");
        ShadowRoot = Path.Combine(root, "shadows");
        DatabaseDirectory = Path.Combine(VolumeRoot, "Windows", "NTDS");
        Directory.CreateDirectory(DatabaseDirectory);
        Directory.CreateDirectory(ShadowRoot);
        foreach (var file in Directory.EnumerateFiles(eseSetDirectory))
        {
            var copy = Path.Combine(DatabaseDirectory, Path.GetFileName(file));
            File.Copy(file, copy);
            File.SetAttributes(copy, FileAttributes.Normal);
        }

        LogDirectory = DatabaseDirectory;
        if (logsOnSecondVolume)
        {
            LogDirectory = Path.Combine(root, "volume2", "Logs");
            Directory.CreateDirectory(LogDirectory);
            foreach (var file in Directory.EnumerateFiles(DatabaseDirectory).Where(f => !f.EndsWith("SRUDB.dat", StringComparison.Ordinal)))
            {
                File.Move(file, Path.Combine(LogDirectory, Path.GetFileName(file)));
            }
        }

        WriterId = writerId ?? NtdsWriterId;
        WriterName = writerName;
        LogicalPath = DatabaseDirectory.Replace('/', '_').Replace(':', '_');
        WriterDocument = Path.Combine(root, "ese-writer.xml");
        File.WriteAllText(WriterDocument, $"""
            <WRITER_METADATA xmlns="x-schema:#VssWriterMetadataInfo" version="1.2" backupSchema="{backupSchema}">
              <IDENTIFICATION writerId="{WriterId}" instanceId="{InstanceId}" friendlyName="{writerName}" usage="BOOTABLE_SYSTEM_STATE" dataSource="TRANSACTION_DB" majorVersion="1" minorVersion="0"/>
              <RESTORE_METHOD method="RESTORE_IF_CAN_BE_REPLACED" writerRestore="never" rebootRequired="yes"/>
              <BACKUP_LOCATIONS>
                <DATABASE logicalPath="{LogicalPath}" componentName="ntds" caption="" restoreMetadata="no" notifyOnBackupComplete="no" selectable="no" selectableForRestore="no" componentFlags="3">
                  <DATABASE_FILES path="{DatabaseDirectory}" filespec="SRUDB.dat" filespecBackupType="3855"/>
                  <DATABASE_LOGFILES path="{LogDirectory}" filespec="SRU*.log" filespecBackupType="3855"/>
                  <DATABASE_LOGFILES path="{LogDirectory}" filespec="SRU.chk" filespecBackupType="3855"/>
                </DATABASE>
              </BACKUP_LOCATIONS>
            </WRITER_METADATA>
            """);

        Volume = FakeVssLibrary.AddVolume(VolumeRoot, ShadowRoot);
        if (logsOnSecondVolume)
        {
            SecondVolume = FakeVssLibrary.AddVolume(Path.Combine(root, "volume2"), ShadowRoot);
        }

        if (otherWritersDirectory is not null)
        {
            foreach (var file in Directory.EnumerateFiles(otherWritersDirectory, "WM*.xml").Order(StringComparer.Ordinal))
            {
                OtherWriters[Path.GetFileName(file)] = FakeVssLibrary.AddWriterFile(file);
            }
        }

        EseWriter = FakeVssLibrary.AddWriterFile(WriterDocument);
    }

    /// <summary>The scratch directory everything lives in.</summary>
    public string Root { get; }

    public string VolumeRoot { get; }

    /// <summary>Where the fake puts its shadow copies (one directory per snapshot).</summary>
    public string ShadowRoot { get; }

    public string DatabaseDirectory { get; }

    public string LogDirectory { get; }

    public int? SecondVolume { get; }

    public string LogicalPath { get; }

    public string WriterDocument { get; }

    public Guid WriterId { get; }

    public string WriterName { get; }

    public Guid InstanceId { get; } = Guid.NewGuid();

    public int Volume { get; }

    public int EseWriter { get; }

    public Dictionary<string, int> OtherWriters { get; } = new(StringComparer.Ordinal);

    /// <summary>Archived logs still on the live volume.</summary>
    public IReadOnlyList<string> LiveArchivedLogs =>
        Directory.EnumerateFiles(LogDirectory)
            .Select(f => Path.GetFileName(f))
            .Where(IsArchivedLogName)
            .Order(StringComparer.Ordinal)
            .ToArray();

    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789ABCDEFabcdef");

    /// <summary><c>&lt;base&gt;</c> + 5 or 8 hex digits + <c>.log</c>.</summary>
    private static bool IsArchivedLogName(string name)
    {
        var stem = Path.GetFileNameWithoutExtension(name);
        return Path.GetExtension(name).Equals(".log", StringComparison.OrdinalIgnoreCase)
            && stem.Length is 8 or 11
            && stem.AsSpan(3).ContainsAnyExcept(HexDigits) is false;
    }
}
