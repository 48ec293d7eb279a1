namespace EseBackupPlugin.Ese;

/// <summary>Placeholder while the solution is laid out; replaced by the composition root.</summary>
internal static class Placeholder;
