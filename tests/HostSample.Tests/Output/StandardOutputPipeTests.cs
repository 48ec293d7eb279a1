using System.IO.Pipes;
using EseBackupPlugin.HostSample.Output;

namespace EseBackupPlugin.HostSample.Tests.Output;

/// <summary>The tar stream's pipe is enlarged where Linux allows it, and anything that is not a pipe is left alone.</summary>
public class StandardOutputPipeTests
{
    [Fact]
    public void A_pipe_grows_to_one_mebibyte()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // F_SETPIPE_SZ is Linux only: elsewhere TryEnlarge does nothing.
        }

        using var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
        var fd = (int)pipe.SafePipeHandle.DangerousGetHandle();
        var before = StandardOutputPipe.Capacity(fd);
        Assert.True(before is > 0 and < StandardOutputPipe.WantedBytes, $"a new pipe holds {before} bytes");

        StandardOutputPipe.TryEnlarge(fd);

        Assert.Equal(StandardOutputPipe.WantedBytes, StandardOutputPipe.Capacity(fd));
    }

    [Fact]
    public void A_file_is_left_alone()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // F_SETPIPE_SZ is Linux only: elsewhere TryEnlarge does nothing.
        }

        var path = Path.GetTempFileName();
        try
        {
            using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Write);
            var fd = (int)file.DangerousGetHandle();
            StandardOutputPipe.TryEnlarge(fd);
            Assert.Equal(-1, StandardOutputPipe.Capacity(fd));
            Assert.Equal(0, new FileInfo(path).Length);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
