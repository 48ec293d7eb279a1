using EseBackupPlugin.Ese.Sources.FileSet;
using EseBackupPlugin.Ese.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EseBackupPlugin.Ese.Tests.Sources.FileSet;

/// <summary>
/// The location hint is rewritten (with a device flush) only when it learns something: a new place, or a sighting older
/// than the refresh interval. A backup discovers its target and scans it again seconds later; that second sighting
/// must not cost a second write.
/// </summary>
public sealed class FileSetLocationMemoryTests
{
    [Fact]
    public void Seeing_the_same_place_again_soon_does_not_rewrite_the_file()
    {
        using var temp = new TempDirectory();
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-03T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var memory = new FileSetLocationMemory(temp.Combine("locations.txt"), time, NullLogger.Instance);

        memory.Remember([("fs-a", "/data/a")]);
        var first = File.ReadAllText(memory.Path);

        time.Advance(TimeSpan.FromMinutes(5));
        memory.Remember([("fs-a", "/data/a")]);
        Assert.Equal(first, File.ReadAllText(memory.Path));

        time.Advance(TimeSpan.FromMinutes(6)); // 11 minutes after the sighting on record
        memory.Remember([("fs-a", "/data/a")]);
        Assert.NotEqual(first, File.ReadAllText(memory.Path));
        Assert.Equal(["/data/a"], memory.LocationsOf("fs-a"));
    }

    [Fact]
    public void A_new_place_is_written_at_once_and_listed_first()
    {
        using var temp = new TempDirectory();
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-03T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var memory = new FileSetLocationMemory(temp.Combine("locations.txt"), time, NullLogger.Instance);

        memory.Remember([("fs-a", "/data/a")]);
        time.Advance(TimeSpan.FromSeconds(1));
        memory.Remember([("fs-a", "/copy/a")]);

        // A later process reads what this one wrote.
        var later = new FileSetLocationMemory(temp.Combine("locations.txt"), time, NullLogger.Instance);
        Assert.Equal(["/copy/a", "/data/a"], later.LocationsOf("fs-a"));
    }
}
