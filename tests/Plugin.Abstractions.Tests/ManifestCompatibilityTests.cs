using EseBackupPlugin.Abstractions.Json;
using EseBackupPlugin.Abstractions.Manifest;

namespace EseBackupPlugin.Abstractions.Tests;

/// <summary>
/// The compatibility promise: every manifest version ever written stays readable. Fixtures/Manifests/vN holds
/// manifests written by real runs of the plugin for each version N (file-set full, incremental and copy through
/// <c>esebackup</c>; esent.dll instance sets through <c>esebackup</c> against the esent.dll fake). Today's reader must
/// read every one of them, and a new manifest version cannot ship without fixtures of its own.
/// </summary>
public class ManifestCompatibilityTests
{
    public static TheoryData<string> Fixtures()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(FixtureRoot(), "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(FixtureRoot(), file).Replace('\\', '/'));
        }

        return data;
    }

    [Fact]
    public void Every_manifest_version_up_to_the_current_one_has_fixtures()
    {
        for (var v = 1; v <= BackupManifest.CurrentVersion; v++)
        {
            var dir = Path.Combine(FixtureRoot(), "v" + v);
            Assert.True(Directory.Exists(dir) && Directory.EnumerateFiles(dir, "*.json").Any(), $"no fixtures for manifestVersion {v} in {dir}");
        }

        // Each kind of backup is represented in the current version's fixtures.
        var current = Directory.EnumerateFiles(Path.Combine(FixtureRoot(), "v" + BackupManifest.CurrentVersion), "*.json")
            .Select(f => ManifestJson.Deserialize(File.ReadAllBytes(f), f))
            .ToList();
        Assert.Equal([BackupKind.Full, BackupKind.Incremental, BackupKind.Copy], current.Select(m => m.Kind).Distinct().Order());
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void A_fixture_reads_with_todays_reader_and_keeps_its_facts(string fixture)
    {
        var path = Path.Combine(FixtureRoot(), fixture);
        var bytes = File.ReadAllBytes(path);
        var manifest = ManifestJson.Deserialize(bytes, path);

        Assert.Equal(int.Parse(fixture.Split('/')[0][1..], System.Globalization.CultureInfo.InvariantCulture), manifest.ManifestVersion);
        Assert.NotEmpty(manifest.Files);
        Assert.All(manifest.Files, f => Assert.Matches("^[0-9a-f]{64}$", f.Sha256));
        Assert.Equal(manifest.Verification.FilesVerified, manifest.Files.Count);
        Assert.Equal(manifest.Kind == BackupKind.Incremental, manifest.Chain.Sequence > 0);
        if (manifest.Kind != BackupKind.Copy)
        {
            Assert.NotEqual(TruncationMode.Never, manifest.Truncation.Mode);
        }

        // Written again, it is what the serializer itself writes for it (a real run's manifest, read back: members it left
        // out come back as the reader leaves them, e.g. null lists), and read and written again, nothing is lost.
        Assert.Equal(
            System.Text.Encoding.UTF8.GetString(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(manifest, ContractJsonContext.Default.BackupManifest)),
            System.Text.Encoding.UTF8.GetString(ManifestJson.Serialize(manifest)));
        var again = ManifestJson.Deserialize(ManifestJson.Serialize(manifest), path);
        Assert.Equal(ManifestJson.Serialize(manifest), ManifestJson.Serialize(again));
        Assert.Equal(manifest.Files.Select(f => (f.Path, f.Size, f.Sha256)), again.Files.Select(f => (f.Path, f.Size, f.Sha256)));
    }

    private static string FixtureRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Plugin.Abstractions.Tests.csproj")))
            {
                return Path.Combine(dir.FullName, "Fixtures", "Manifests");
            }
        }

        throw new InvalidOperationException("Cannot find the test project directory.");
    }
}
