using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace EseBackupPlugin.Ese.Tests.WindowsIntegration;

/// <summary>
/// Test-only esent.dll imports (the plugin never creates databases or tables, so these live here, not in src): an
/// instance of this process with one database, a table of rows whose payloads are large enough to roll several small
/// log files, and a reader that opens a restored copy and reads the rows back. Windows only: the ABI fake cannot
/// create tables.
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed partial class EsentTestDatabase : IDisposable
{
    public const string TableName = "rows";
    private const int ParamSystemPath = 0;
    private const int ParamTempPath = 1;
    private const int ParamLogFilePath = 2;
    private const int ParamBaseName = 3;
    private const int ParamLogFileSize = 11;
    private const int ParamCircularLog = 17;
    private const int ParamCreatePathIfNotExist = 100;
    private const uint ColtypLong = 4;
    private const uint ColtypLongBinary = 11;
    private const uint PrepInsert = 0;
    private const int MoveFirst = int.MinValue;
    private const int MoveNext = 1;
    private const int ErrNoCurrentRecord = -1603;

    private IntPtr _instance;
    private IntPtr _session;
    private uint _dbid;
    private IntPtr _table;
    private uint _idColumn;
    private uint _payloadColumn;

    private EsentTestDatabase(string directory, string instanceName)
    {
        Directory = directory;
        DatabasePath = Path.Combine(directory, "rows.edb");
        InstanceName = instanceName;
    }

    public string Directory { get; }

    public string DatabasePath { get; }

    public string InstanceName { get; }

    /// <summary>Rows written so far (id → payload hash seed).</summary>
    public int RowCount { get; private set; }

    /// <summary>Creates an instance (logs of 128 KiB, base name "edb"), the database and the table.</summary>
    public static EsentTestDatabase Create(string directory, string instanceName)
    {
        System.IO.Directory.CreateDirectory(directory);
        var db = new EsentTestDatabase(directory, instanceName);
        db.Start(create: true);
        return db;
    }

    /// <summary>Opens a restored copy (recovery on, same base name) and returns the ids and payload checksums of its rows.</summary>
    public static IReadOnlyList<(int Id, int Checksum)> ReadRows(string directory, string instanceName)
    {
        using var db = new EsentTestDatabase(directory, instanceName);
        db.Start(create: false);
        return db.Rows();
    }

    /// <summary>Inserts <paramref name="count"/> rows of <paramref name="payloadBytes"/> each in one transaction per row.</summary>
    public void Insert(int count, int payloadBytes = 16 * 1024)
    {
        for (var i = 0; i < count; i++)
        {
            var id = ++RowCount;
            Check(JetBeginTransaction(_session), "JetBeginTransaction");
            Check(JetPrepareUpdate(_session, _table, PrepInsert), "JetPrepareUpdate");
            Check(JetSetColumn(_session, _table, _idColumn, BitConverter.GetBytes(id), 4, 0, IntPtr.Zero), "JetSetColumn(id)");
            var payload = Payload(id, payloadBytes);
            Check(JetSetColumn(_session, _table, _payloadColumn, payload, (uint)payload.Length, 0, IntPtr.Zero), "JetSetColumn(payload)");
            Check(JetUpdate(_session, _table, IntPtr.Zero, 0, out _), "JetUpdate");
            Check(JetCommitTransaction(_session, 0), "JetCommitTransaction");
        }
    }

    /// <summary>The payload of row <paramref name="id"/>: deterministic, so a reader can check it.</summary>
    public static byte[] Payload(int id, int bytes)
    {
        var payload = new byte[bytes];
        new Random(id).NextBytes(payload);
        return payload;
    }

    public static int Checksum(ReadOnlySpan<byte> payload)
    {
        var h = 17;
        foreach (var b in payload)
        {
            h = unchecked((h * 31) + b);
        }

        return h;
    }

    private void Start(bool create)
    {
        var dir = Directory.EndsWith(Path.DirectorySeparatorChar) ? Directory : Directory + Path.DirectorySeparatorChar;
        Check(JetCreateInstance2W(out _instance, InstanceName, InstanceName, 0), "JetCreateInstance2");
        SetString(ParamSystemPath, dir);
        SetString(ParamTempPath, dir);
        SetString(ParamLogFilePath, dir);
        SetString(ParamBaseName, "edb");
        SetNumber(ParamLogFileSize, 128);
        SetNumber(ParamCircularLog, 0);
        SetNumber(ParamCreatePathIfNotExist, 1);
        Check(JetInit3W(ref _instance, IntPtr.Zero, 0), "JetInit3");
        Check(JetBeginSessionW(_instance, out _session, string.Empty, string.Empty), "JetBeginSession");
        if (create)
        {
            Check(JetCreateDatabase2W(_session, DatabasePath, 0, out _dbid, 0), "JetCreateDatabase2");
            Check(JetBeginTransaction(_session), "JetBeginTransaction");
            Check(JetCreateTableW(_session, _dbid, TableName, 16, 100, out _table), "JetCreateTable");
            _idColumn = AddColumn("id", ColtypLong, 1);
            _payloadColumn = AddColumn("payload", ColtypLongBinary, 0);
            Check(JetCommitTransaction(_session, 0), "JetCommitTransaction");
        }
        else
        {
            Check(JetAttachDatabase2W(_session, DatabasePath, 0, 0), "JetAttachDatabase2");
            Check(JetOpenDatabaseW(_session, DatabasePath, null, out _dbid, 0), "JetOpenDatabase");
            Check(JetOpenTableW(_session, _dbid, TableName, IntPtr.Zero, 0, 0, out _table), "JetOpenTable");
            Check(JetGetColumnInfoId("id", out _idColumn), "JetGetColumnInfo(id)");
            Check(JetGetColumnInfoId("payload", out _payloadColumn), "JetGetColumnInfo(payload)");
        }
    }

    private List<(int, int)> Rows()
    {
        var rows = new List<(int, int)>();
        var err = JetMove(_session, _table, MoveFirst, 0);
        while (err >= 0)
        {
            var id = new byte[4];
            Check(JetRetrieveColumn(_session, _table, _idColumn, id, 4, out _, 0, IntPtr.Zero), "JetRetrieveColumn(id)");
            Check(JetRetrieveColumn(_session, _table, _payloadColumn, null, 0, out var size, 0, IntPtr.Zero), "JetRetrieveColumn(size)");
            var payload = new byte[size];
            Check(JetRetrieveColumn(_session, _table, _payloadColumn, payload, size, out _, 0, IntPtr.Zero), "JetRetrieveColumn(payload)");
            rows.Add((BitConverter.ToInt32(id), Checksum(payload)));
            err = JetMove(_session, _table, MoveNext, 0);
        }

        if (err != ErrNoCurrentRecord)
        {
            Check(err, "JetMove");
        }

        return rows;
    }

    private uint AddColumn(string name, uint coltyp, uint grbit)
    {
        var def = new ColumnDef { CbStruct = (uint)Marshal.SizeOf<ColumnDef>(), Coltyp = coltyp, Cp = 0, Grbit = grbit };
        Check(JetAddColumnW(_session, _table, name, ref def, IntPtr.Zero, 0, out var id), "JetAddColumn " + name);
        return id;
    }

    private int JetGetColumnInfoId(string column, out uint columnId)
    {
        var def = new ColumnDef { CbStruct = (uint)Marshal.SizeOf<ColumnDef>() };
        var err = JetGetTableColumnInfoW(_session, _table, column, ref def, (uint)Marshal.SizeOf<ColumnDef>(), 0);
        columnId = def.ColumnId;
        return err;
    }

    private void SetString(int param, string value) => Check(JetSetSystemParameterW(ref _instance, IntPtr.Zero, param, IntPtr.Zero, value), "JetSetSystemParameter " + param);

    private void SetNumber(int param, long value) => Check(JetSetSystemParameterW(ref _instance, IntPtr.Zero, param, checked((IntPtr)value), null), "JetSetSystemParameter " + param);

    private static void Check(int err, string call)
    {
        if (err < 0)
        {
            throw new InvalidOperationException($"{call} failed with ESE error {err}.");
        }
    }

    public void Dispose()
    {
        if (_table != IntPtr.Zero)
        {
            _ = JetCloseTable(_session, _table);
            _table = IntPtr.Zero;
        }

        if (_session != IntPtr.Zero)
        {
            _ = JetEndSession(_session, 0);
            _session = IntPtr.Zero;
        }

        if (_instance != IntPtr.Zero)
        {
            _ = JetTerm2(_instance, 0);
            _instance = IntPtr.Zero;
        }
    }

    /// <summary>JET_COLUMNDEF (28 bytes on every architecture).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct ColumnDef
    {
        public uint CbStruct;
        public uint ColumnId;
        public uint Coltyp;
        public ushort Country;
        public ushort Langid;
        public ushort Cp;
        public ushort Collate;
        public uint CbMax;
        public uint Grbit;
    }

    [LibraryImport("esent.dll", StringMarshalling = StringMarshalling.Utf16)]
    private static partial int JetCreateInstance2W(out IntPtr instance, string name, string displayName, int grbit);

    [LibraryImport("esent.dll", StringMarshalling = StringMarshalling.Utf16)]
    private static partial int JetSetSystemParameterW(ref IntPtr instance, IntPtr sesid, int paramid, IntPtr lParam, string? szParam);

    [LibraryImport("esent.dll")]
    private static partial int JetInit3W(ref IntPtr instance, IntPtr recoveryInfo, int grbit);

    [LibraryImport("esent.dll", StringMarshalling = StringMarshalling.Utf16)]
    private static partial int JetBeginSessionW(IntPtr instance, out IntPtr sesid, string user, string password);

    [LibraryImport("esent.dll", StringMarshalling = StringMarshalling.Utf16)]
    private static partial int JetCreateDatabase2W(IntPtr sesid, string file, uint maxPages, out uint dbid, int grbit);

    [LibraryImport("esent.dll", StringMarshalling = StringMarshalling.Utf16)]
    private static partial int JetAttachDatabase2W(IntPtr sesid, string file, uint maxPages, int grbit);

    [LibraryImport("esent.dll", StringMarshalling = StringMarshalling.Utf16)]
    private static partial int JetOpenDatabaseW(IntPtr sesid, string file, string? connect, out uint dbid, int grbit);

    [LibraryImport("esent.dll")]
    private static partial int JetBeginTransaction(IntPtr sesid);

    [LibraryImport("esent.dll")]
    private static partial int JetCommitTransaction(IntPtr sesid, int grbit);

    [LibraryImport("esent.dll", StringMarshalling = StringMarshalling.Utf16)]
    private static partial int JetCreateTableW(IntPtr sesid, uint dbid, string name, uint pages, uint density, out IntPtr tableid);

    [LibraryImport("esent.dll", StringMarshalling = StringMarshalling.Utf16)]
    private static partial int JetOpenTableW(IntPtr sesid, uint dbid, string name, IntPtr parameters, uint cbParameters, uint grbit, out IntPtr tableid);

    [LibraryImport("esent.dll", StringMarshalling = StringMarshalling.Utf16)]
    private static partial int JetAddColumnW(IntPtr sesid, IntPtr tableid, string column, ref ColumnDef def, IntPtr pvDefault, uint cbDefault, out uint columnid);

    [LibraryImport("esent.dll", StringMarshalling = StringMarshalling.Utf16)]
    private static partial int JetGetTableColumnInfoW(IntPtr sesid, IntPtr tableid, string column, ref ColumnDef result, uint cbResult, uint infoLevel);

    [LibraryImport("esent.dll")]
    private static partial int JetPrepareUpdate(IntPtr sesid, IntPtr tableid, uint prep);

    [LibraryImport("esent.dll")]
    private static partial int JetSetColumn(IntPtr sesid, IntPtr tableid, uint columnid, [In] byte[] data, uint cbData, uint grbit, IntPtr setinfo);

    [LibraryImport("esent.dll")]
    private static partial int JetUpdate(IntPtr sesid, IntPtr tableid, IntPtr bookmark, uint cbBookmark, out uint cbActual);

    [LibraryImport("esent.dll")]
    private static partial int JetMove(IntPtr sesid, IntPtr tableid, int rows, uint grbit);

    [LibraryImport("esent.dll")]
    private static partial int JetRetrieveColumn(IntPtr sesid, IntPtr tableid, uint columnid, [Out] byte[]? data, uint cbData, out uint cbActual, uint grbit, IntPtr retinfo);

    [LibraryImport("esent.dll")]
    private static partial int JetCloseTable(IntPtr sesid, IntPtr tableid);

    [LibraryImport("esent.dll")]
    private static partial int JetEndSession(IntPtr sesid, int grbit);

    [LibraryImport("esent.dll")]
    private static partial int JetTerm2(IntPtr instance, int grbit);
}
