using EseBackupPlugin.Abstractions.Errors;
using Microsoft.Data.Sqlite;

namespace EseBackupPlugin.HostSample.Catalog;

/// <summary>
/// The catalog could not do one step of the host's work. Its message says which catalog, which step and why in words
/// (a full disk, an I/O error, a locked or damaged file) before SQLite's own text, so that "SQLite Error 13" never
/// reaches an operator on its own. An <see cref="IOException"/>: the catalog is storage like the repository.
/// </summary>
internal sealed class CatalogFailureException : IOException
{
    public CatalogFailureException(string step, string databasePath, string message, Exception? inner)
        : base(message, inner)
    {
        Step = step;
        DatabasePath = databasePath;
        SqliteErrorCode = (inner as SqliteException)?.SqliteErrorCode;
    }

    /// <summary>What the host was doing, e.g. <c>record that the set was stored</c>.</summary>
    public string Step { get; }

    public string DatabasePath { get; }

    /// <summary>SQLite's primary result code (13 full, 10 I/O error, ...), when SQLite failed.</summary>
    public int? SqliteErrorCode { get; }

    /// <summary>True when the disk (or the catalog's size limit) is full.</summary>
    public bool DiskFull => SqliteErrorCode == 13;

    /// <summary>The failure as the contract's error (<c>CatalogFailure</c>, transient: the disk may be freed).</summary>
    public PluginError Error => new(ErrorCodes.CatalogFailure, Message) { File = DatabasePath };

    public static CatalogFailureException From(string step, string databasePath, SqliteException ex)
    {
        var why = (ex.SqliteErrorCode & 0xFF) switch
        {
            13 => "the disk is full",
            10 => "a disk I/O error",
            8 => "the catalog file is read-only",
            14 => "the catalog file cannot be opened",
            5 or 6 => "the catalog is locked by another process",
            11 or 26 => "the catalog file is damaged or not a catalog",
            _ => "SQLite failed",
        };
        // SQLite's own words are kept, in quotes, after ours ("SQLite Error 13: 'database or disk is full'." becomes the quote).
        var first = ex.Message.IndexOf('\'', StringComparison.Ordinal);
        var last = ex.Message.LastIndexOf('\'', ex.Message.Length - 1);
        var sqliteWords = first >= 0 && last > first ? ex.Message[(first + 1)..last] : ex.Message;
        return new CatalogFailureException(step, databasePath, $"The catalog '{databasePath}' could not {step}: {why} (SQLite error {ex.SqliteErrorCode}, '{sqliteWords}')", ex);
    }
}
