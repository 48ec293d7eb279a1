namespace EseBackupPlugin.Ese.Tests.Support;

public class TestDataSmokeTests
{
    [Fact]
    public void Shared_test_data_is_beside_the_checkout()
    {
        Assert.True(File.Exists(TestData.Ese("SOURCES.md")), "expected ../shared/testdata/ese/SOURCES.md beside the checkout: " + TestData.EseRoot);
        Assert.True(File.Exists(TestData.Vss("SOURCES.md")), "expected ../shared/testdata/vss/SOURCES.md: " + TestData.VssRoot);
    }
}
