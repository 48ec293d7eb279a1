using EseBackupPlugin.Ese.Engine.Ports;
using EseBackupPlugin.Ese.Format;

namespace EseBackupPlugin.Ese.Engine.FormatBinding;

/// <summary>The engine's verifier port, served by the Format layer's streaming verifier.</summary>
internal sealed class FormatStreamVerifierFactory : IStreamVerifierFactory
{
    public static FormatStreamVerifierFactory Instance { get; } = new();

    public IStreamVerifier Create(string displayPath, string fileName, long length, ReadOnlySpan<byte> head)
        => new Adapter(EseStreamVerifier.Create(displayPath, fileName, length, head));

    private sealed class Adapter(EseStreamVerifier inner) : IStreamVerifier
    {
        public int ChunkAlignment => inner.ChunkAlignment;

        public bool FoundCorruption => inner.FoundCorruption;

        public void Process(ReadOnlySpan<byte> chunk) => inner.Process(chunk);

        public StreamVerification Complete()
        {
            var r = inner.Complete();
            return new StreamVerification(r.Kind.ToName(), EseFacts.RoleOf(r.Kind), r.Unit.ToName(), r.UnitsChecked - r.UnitsCorrupt, r.UnitsUninitialized, r.Findings)
            {
                Database = r.Kind == EseFileKind.Database && r.Database is { } db ? EseFacts.Database(db, r) : null,
                Log = r.Kind == EseFileKind.Log && r.Log is { } log ? EseFacts.Log(log, r) : null,
                Checkpoint = r.Kind == EseFileKind.Checkpoint && r.Checkpoint is { } chk ? EseFacts.Checkpoint(chk) : null,
                Detail = r,
            };
        }
    }
}
