using System.Reflection;

namespace EseBackupPlugin.Abstractions.Tests;

/// <summary>The contract package's identity: its version is the contract's version, and the shared-assembly list's shape.</summary>
public class ContractPackageTests
{
    [Fact]
    public void Package_version_is_the_contract_version()
    {
        // The package (and the assembly's informational version) must say the contract version a host negotiates.
        var informational = typeof(IBackupPlugin).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];
        var package = Version.Parse(informational);
        Assert.Equal(ContractVersion.Current, new Version(package.Major, package.Minor));
        Assert.Contains(ContractVersion.Current, ContractVersion.Supported);
    }

    [Fact]
    public void Assembly_version_stays_fixed_within_a_major_version()
    {
        // Hosts bind to the contract by assembly version; minor releases must not force a rebind.
        Assert.Equal(new Version(ContractVersion.Current.Major, 0, 0, 0), typeof(IBackupPlugin).Assembly.GetName().Version);
    }

    [Fact]
    public void The_shared_list_starts_with_the_contract_and_names_each_assembly_once()
    {
        var first = SharedAssemblies.All[0];
        Assert.Equal(typeof(IBackupPlugin).Assembly.GetName().Name, first.Name);
        Assert.True(first.IsSatisfiedBy(typeof(IBackupPlugin).Assembly.GetName().Version!));
        Assert.Equal(SharedAssemblies.All.Count, SharedAssemblies.All.Select(a => a.Name.ToUpperInvariant()).Distinct().Count());
        Assert.True(SharedAssemblies.IsShared("microsoft.extensions.logging.abstractions"));
        Assert.False(SharedAssemblies.IsShared("Microsoft.Extensions.Options"));
        Assert.False(SharedAssemblies.IsShared("EseBackupPlugin.Ese"));
    }

    [Theory]
    [InlineData("10.0.0.0", true)]
    [InlineData("10.2.0.0", true)]
    [InlineData("9.0.0.0", false)]
    [InlineData("11.0.0.0", false)]
    public void A_version_floor_accepts_later_versions_of_the_same_major_only(string version, bool ok)
    {
        var entry = SharedAssemblies.Find("Microsoft.Extensions.Primitives")!;
        Assert.Equal(ok, entry.IsSatisfiedBy(Version.Parse(version)));
    }
}
