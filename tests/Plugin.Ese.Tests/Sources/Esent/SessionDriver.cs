using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Engine.Ports;

namespace EseBackupPlugin.Ese.Tests.Sources.Esent;

/// <summary>One file as the stand-in engine staged it.</summary>
internal sealed record StagedFile(SourceFile Source, string Path, long Length);

/// <summary>
/// Drives an <see cref="ISourceSession"/> the way the engine's contract says the engine will (each file
/// read to its end before the next is asked for; staged files taken in place), without the engine's
/// verification: what the fake produced lands on disk as is, so tests can compare bytes.
/// </summary>
internal static class SessionDriver
{
    public static SourceBackupContext Context(BackupTarget target, BackupKind kind, string workRoot, string? strategy, IReadOnlyList<CatalogEntry>? chain = null)
    {
        var setId = "set-" + Guid.NewGuid().ToString("N")[..8];
        var work = Path.Combine(workRoot, setId + ".work");
        return new SourceBackupContext(target, kind, strategy, chain ?? [], setId, work);
    }

    public static async Task<List<StagedFile>> StageAsync(ISourceSession session, string setDirectory, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(setDirectory);
        var staged = new List<StagedFile>();
        await foreach (var file in session.GetFilesAsync(cancellationToken))
        {
            if (file.StagedPath is not null)
            {
                Assert.True(File.Exists(file.StagedPath), file.StagedPath);
                staged.Add(new StagedFile(file, file.StagedPath, new FileInfo(file.StagedPath).Length));
                continue;
            }

            var path = Path.Combine(setDirectory, file.RelativePath);
            long total = 0;
            var reader = await file.OpenAsync(cancellationToken);
            await using (reader)
            {
                await using var output = File.Create(path);
                int n;
                while ((n = await reader.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    await output.WriteAsync(buffer[..n], cancellationToken);
                    total += n;
                }

                Assert.Equal(reader.Length, total);
            }

            staged.Add(new StagedFile(file, path, total));
        }

        return staged;
    }

    public static StagedSetInfo StagedInfo(string setDirectory, IEnumerable<StagedFile> files)
        => new(setDirectory, files.Select(f => new ManifestFile(f.Source.RelativePath, f.Source.Role, f.Length, "00")).ToList(), 0);

    public static BackupManifest Manifest(SourceBackupContext context, string strategy, IEnumerable<StagedFile> files, TruncationPlan plan)
    {
        var list = files.ToList();
        var generations = list.Where(f => f.Source.Role == FileRole.Log && f.Source.Generation is not null).Select(f => f.Source.Generation!.Value).ToList();
        var now = DateTimeOffset.UtcNow;
        return new BackupManifest
        {
            SetId = context.SetId,
            Target = new TargetIdentity(context.Target.Id, context.Target.Kind, context.Target.DisplayName),
            Kind = context.Kind,
            StartedAt = now,
            FinishedAt = now,
            Chain = new ChainInfo(context.Kind == BackupKind.Incremental && context.Chain.Count > 0 ? context.Chain[0].Manifest.SetId : context.SetId, context.Chain.Count > 0 ? context.Chain[^1].Manifest.SetId : null, context.Chain.Count),
            Producer = new ProducerInfo("test", "0", "1.0", strategy, "test"),
            Files = list.Select(f => new ManifestFile(f.Source.RelativePath, f.Source.Role, f.Length, "00")).ToList(),
            LogRange = generations.Count == 0 ? null : new GenerationRange(generations.Min(), generations.Max()),
            Truncation = plan,
            Verification = new VerificationSummary(list.Count, 0, 0, 0, 0),
        };
    }

    /// <summary>The catalog chain after a completed set.</summary>
    public static CatalogEntry Completed(BackupManifest manifest) => new(manifest, CatalogSetState.Completed, DateTimeOffset.UtcNow);
}
