using System.Globalization;
using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Operations;
using Spectre.Console;

namespace EseBackupPlugin.HostSample.Output;

/// <summary>Human-readable rendering of manifests, truncation reports and verification results.</summary>
internal static class ResultView
{
    public static void Manifest(CliEnvironment env, BackupManifest m, string? setPath)
    {
        var c = env.Console;
        c.MarkupLine($"[bold]{m.Kind} set {Markup.Escape(m.SetId)}[/] of {Markup.Escape(m.Target.DisplayName)} ({Markup.Escape(m.Target.Id)})");
        if (setPath is not null)
        {
            c.MarkupLine($"stored at {Markup.Escape(setPath)}");
        }

        c.MarkupLine($"chain {Markup.Escape(m.Chain.ChainId)} #{m.Chain.Sequence}; strategy {Markup.Escape(m.Producer.Strategy)}; logs {Markup.Escape(m.LogRange?.ToString() ?? "-")}; " +
            $"verified {m.Verification.PagesVerified} pages ({m.Verification.UninitializedPages} uninitialised), {m.Verification.LogUnitsVerified} log units");
        var table = new Table().AddColumns("file", "role", "size", "sha-256", "ese");
        foreach (var f in m.Files)
        {
            var ese = f.Database is { } d ? $"{d.State}, {d.PageSize / 1024} KiB pages" + (d.RequiredLogRange is { } r ? $", needs {r}" : string.Empty)
                : f.Log is { } l ? $"generation {l.Generation}" + (l.WasCurrentLog ? " (was current)" : string.Empty)
                : f.Checkpoint is { } k ? $"checkpoint at {k.CheckpointGeneration}" : string.Empty;
            table.AddRow(Markup.Escape(f.Path), f.Role.ToString(), f.Size.ToString("N0", CultureInfo.InvariantCulture), f.Sha256[..16] + "…", Markup.Escape(ese));
        }

        c.Write(table);
    }

    public static void Truncation(CliEnvironment env, TruncationReport? t)
    {
        if (t is null)
        {
            return;
        }

        var c = env.Console;
        c.MarkupLine($"truncation: [bold]{t.Status}[/] by {t.PerformedBy}{(t.Range is { } r ? $", generations {r}" : string.Empty)}{(t.Reason is { } why ? " — " + Markup.Escape(why) : string.Empty)}");
        foreach (var f in t.Removed)
        {
            c.MarkupLine($"  removed {Markup.Escape(f.Path)} (generation {f.Generation})");
        }

        if (t.Error is { } e)
        {
            c.MarkupLine($"[red]{Markup.Escape(e.Code.Name)}[/]: {Markup.Escape(e.Message)}");
        }
    }

    public static void Verification(CliEnvironment env, VerifySetResult v)
    {
        var c = env.Console;
        var table = new Table().AddColumns("file", "kind", "checked", "result");
        foreach (var f in v.Files)
        {
            table.AddRow(Markup.Escape(f.Path), Markup.Escape(f.Kind), (f.Unit == "none" ? "-" : $"{f.UnitsChecked} {f.Unit}s"), f.Findings.Count == 0 && f.Error is null ? "[green]ok[/]" : $"[red]{f.Findings.Count} findings[/]");
        }

        c.Write(table);
        PrintFindings(env, [.. v.Files.SelectMany(f => f.Findings), .. v.Findings]);
        c.MarkupLine(v.IsClean ? "[green]set verified clean[/]" : "[red]set is damaged[/]");
    }

    /// <summary>One line per finding: severity, code, where (file, page, sector, generation, offset) and the message.</summary>
    internal static void PrintFindings(CliEnvironment env, IReadOnlyList<Finding> findings)
    {
        foreach (var f in findings)
        {
            var colour = f.Severity switch { FindingSeverity.Corruption => "red", FindingSeverity.Warning => "yellow", _ => "grey" };
            var where = string.Join(", ", new[]
            {
                f.File is null ? null : Path.GetFileName(f.File),
                f.Page is { } p ? $"page {p}" : null,
                f.Sector is { } s ? $"sector {s}" : null,
                f.Generation is { } g ? $"generation {g}" : null,
                f.Offset is { } o ? $"offset {o}" : null,
            }.Where(x => x is not null));
            env.Console.MarkupLine($"[{colour}]{f.Severity.ToString().ToLowerInvariant()}[/] {Markup.Escape(f.Code)} ({Markup.Escape(where)}): {Markup.Escape(f.Message)}");
        }
    }
}
