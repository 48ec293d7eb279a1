using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace EseBackupPlugin.Benchmarks;

/// <summary>
/// GB/s (10^9 bytes per second) computed from the mean time of one operation and the bytes it processes: benchmarks
/// name those bytes through a parameter: one that implements <see cref="IBytesPerOperation"/>, <c>PageSize</c> (one
/// page per operation) or <c>FileMiB</c> (one file per operation).
/// </summary>
public sealed class ThroughputColumn : IColumn
{
    /// <inheritdoc />
    public string Id => nameof(ThroughputColumn);

    /// <inheritdoc />
    public string ColumnName => "GB/s";

    /// <inheritdoc />
    public bool AlwaysShow => true;

    /// <inheritdoc />
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc />
    public int PriorityInCategory => 0;

    /// <inheritdoc />
    public bool IsNumeric => true;

    /// <inheritdoc />
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc />
    public string Legend => "Throughput in 10^9 bytes per second (bytes per operation / mean time per operation)";

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        var meanNs = report?.ResultStatistics?.Mean;
        var bytes = BytesPerOperation(benchmarkCase);
        return meanNs is > 0 && bytes > 0
            ? (bytes / meanNs.Value).ToString("F2", CultureInfo.InvariantCulture)
            : "-";
    }

    /// <inheritdoc />
    public bool IsAvailable(Summary summary) => true;

    /// <inheritdoc />
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    private static double BytesPerOperation(BenchmarkCase benchmarkCase)
    {
        foreach (var p in benchmarkCase.Parameters.Items)
        {
            if (p.Value is IBytesPerOperation b)
            {
                return b.BytesPerOperation;
            }

            switch (p.Name)
            {
                case "PageSize":
                    return Convert.ToDouble(p.Value, CultureInfo.InvariantCulture);
                case "FileMiB":
                    return Convert.ToDouble(p.Value, CultureInfo.InvariantCulture) * 1024 * 1024;
            }
        }

        return 0;
    }
}

/// <summary>A benchmark parameter that knows how many bytes one operation processes.</summary>
public interface IBytesPerOperation
{
    /// <summary>Bytes per operation.</summary>
    double BytesPerOperation { get; }
}
