using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using EseBackupPlugin.Ese.Windows.Vss;
using EseBackupPlugin.Ese.Sources.Vss.Requester;

namespace EseBackupPlugin.Ese.Tests.Sources.Vss;

/// <summary>
/// Pins every vtable slot, parameter type, enumeration value, HRESULT and structure offset of the interop to
/// the reference (the most likely silent bug: a wrong slot calls another method).
/// </summary>
[Collection(FakeVssCollection.Name)]
public sealed class VssInteropLayoutTests
{
    public static TheoryData<string, string> Vtables() => new()
    {
        { "### 10.1 IVssAsync", nameof(IVssAsyncVtbl) },
        { "### 10.2 IVssBackupComponents", nameof(IVssBackupComponentsVtbl) },
        { "### 10.3 IVssExamineWriterMetadata", nameof(IVssExamineWriterMetadataVtbl) },
        { "### 10.9 IVssEnumObject", nameof(IVssEnumObjectVtbl) },
    };

    [Theory]
    [MemberData(nameof(Vtables))]
    public void Every_slot_sits_at_its_reference_number_with_the_reference_parameter_types(string heading, string structName)
    {
        var type = typeof(VssNative).Assembly.GetType("EseBackupPlugin.Ese.Windows.Vss." + structName, throwOnError: true)!;
        var reference = VssReference.Vtable(heading);
        var fields = type.GetFields(BindingFlags.Public | BindingFlags.Instance);

        Assert.Equal(reference.Count, fields.Length);
        Assert.Equal(reference.Count * IntPtr.Size, Marshal.SizeOf(type));
        foreach (var slot in reference)
        {
            var field = type.GetField(slot.Method);
            Assert.True(field is not null, $"{structName} has no slot named {slot.Method}");
            Assert.Equal(slot.Number, (int)Marshal.OffsetOf(type, slot.Method) / IntPtr.Size);

            var pointer = field.FieldType;
            Assert.True(pointer.IsFunctionPointer && pointer.IsUnmanagedFunctionPointer, slot.Method + " is not an unmanaged function pointer");
            Assert.Contains(typeof(CallConvStdcall), field.GetModifiedFieldType().GetFunctionPointerCallingConventions());

            var parameters = pointer.GetFunctionPointerParameterTypes();
            Assert.Equal(typeof(nint), parameters[0]);
            var expected = slot.ParameterTypes.Select(Expected).ToArray();
            Assert.True(
                expected.SequenceEqual(parameters.Skip(1)),
                $"{slot.Method}: expected ({string.Join(", ", expected.Select(t => t.Name))}) for ({string.Join("; ", slot.ParameterTypes)}), declared ({string.Join(", ", parameters.Skip(1).Select(t => t.Name))})");
            Assert.Equal(slot.Number is 1 or 2 ? typeof(uint) : typeof(int), pointer.GetFunctionPointerReturnType());
        }
    }

    [Fact]
    public void Cpp_bool_is_one_byte_and_win32_bool_four_where_the_reference_says_so()
    {
        var set = Parameters("SetBackupState");
        Assert.Equal([typeof(nint), typeof(byte), typeof(byte), typeof(int), typeof(byte)], set);
        Assert.Equal(typeof(byte), Parameters("SetBackupSucceeded")[^1]);
        Assert.Equal(typeof(int), Parameters("DeleteSnapshots")[3]);
        Assert.Equal(typeof(int).MakePointerType(), Parameters("IsVolumeSupported")[^1]);
        // GUIDs by value, not by reference.
        Assert.Equal(typeof(Guid), Parameters("AddComponent")[1]);
    }

    [FakeVssFact]
    public void The_fake_puts_every_method_at_the_reference_slot()
    {
        var interfaces = new[] { "### 10.2 IVssBackupComponents", "### 10.1 IVssAsync", "### 10.3 IVssExamineWriterMetadata", "### 10.9 IVssEnumObject" };
        for (var i = 0; i < interfaces.Length; i++)
        {
            var reference = VssReference.Vtable(interfaces[i]);
            foreach (var slot in reference)
            {
                Assert.Equal(slot.Method, FakeVssLibrary.SlotName(i, slot.Number));
            }

            Assert.Null(FakeVssLibrary.SlotName(i, reference.Count));
        }
    }

    public static TheoryData<string, string, string> Enums() => new()
    {
        { "VSS_BACKUP_TYPE", "VSS_BT_", nameof(VssBackupType) },
        { "VSS_WRITER_STATE", "VSS_WS_", nameof(VssWriterState) },
        { "VSS_COMPONENT_TYPE", "VSS_CT_", nameof(VssComponentType) },
        { "VSS_OBJECT_TYPE", "VSS_OBJECT_", nameof(VssObjectType) },
        { "VSS_SNAPSHOT_CONTEXT", "VSS_CTX_", nameof(VssSnapshotContext) },
        { "VSS_VOLUME_SNAPSHOT_ATTRIBUTES", "VSS_VOLSNAP_ATTR_", nameof(VssVolumeSnapshotAttributes) },
        { "VSS_SNAPSHOT_STATE", "VSS_SS_", nameof(VssSnapshotState) },
        { "VSS_FILE_SPEC_BACKUP_TYPE", "VSS_FSBT_", nameof(VssFileSpecBackupType) },
        { "VSS_BACKUP_SCHEMA", "VSS_BS_", nameof(VssBackupSchema) },
        { "VSS_USAGE_TYPE", "VSS_UT_", nameof(VssUsageType) },
        { "VSS_SOURCE_TYPE", "VSS_ST_", nameof(VssSourceType) },
        { "VSS_RESTOREMETHOD_ENUM", "VSS_RME_", nameof(VssRestoreMethod) },
        { "VSS_WRITERRESTORE_ENUM", "VSS_WRE_", nameof(VssWriterRestore) },
        { "VSS_COMPONENT_FLAGS", "VSS_CF_", nameof(VssComponentFlags) },
    };

    [Theory]
    [MemberData(nameof(Enums))]
    public void Every_enumeration_value_matches_the_reference(string sdkName, string prefix, string enumName)
    {
        var type = typeof(VssNative).Assembly.GetType("EseBackupPlugin.Ese.Windows.Vss." + enumName, throwOnError: true)!;
        var reference = VssReference.Enum(sdkName);
        var members = System.Enum.GetNames(type).ToDictionary(n => n, n => Convert.ToInt64(System.Enum.Parse(type, n), System.Globalization.CultureInfo.InvariantCulture), StringComparer.OrdinalIgnoreCase);

        foreach (var (name, value) in reference)
        {
            Assert.StartsWith(prefix, name, StringComparison.Ordinal);
            var csharp = name[prefix.Length..].Replace("_", "", StringComparison.Ordinal);
            Assert.True(members.TryGetValue(csharp, out var actual), $"{enumName} has no member for {name}");
            // VSS_CTX_ALL is 0xFFFFFFFF, an int enum holds it as -1.
            Assert.Equal(value, actual < 0 ? actual & 0xFFFFFFFF : actual);
        }

        // Nothing invented beyond the reference except an explicit None = 0 on flag sets.
        Assert.All(members, m => Assert.True(
            reference.Keys.Any(r => r[prefix.Length..].Replace("_", "", StringComparison.Ordinal).Equals(m.Key, StringComparison.OrdinalIgnoreCase)) || (m.Key == "None" && m.Value == 0),
            $"{enumName}.{m.Key} is not in the reference"));
    }

    [Fact]
    public void Every_hresult_of_the_reference_has_its_name_and_value()
    {
        var reference = VssReference.HResults();
        Assert.True(reference.Count >= 45, "the HRESULT table was not read");
        foreach (var (name, value) in reference)
        {
            Assert.Equal(name, VssHResults.NameOf(value));
        }

        foreach (var (value, name) in VssHResults.All.Where(kv => kv.Value.StartsWith("VSS_", StringComparison.Ordinal)))
        {
            Assert.True(reference.TryGetValue(name, out var expected) && expected == value, name + " is not in the reference with this value");
        }

        Assert.Equal("FACILITY_ESE(-1018)", VssHResults.NameOf(unchecked((int)0x8E5E0000) | (-1018 & 0xFFFF)));
        Assert.Equal("0x80041234", VssHResults.NameOf(unchecked((int)0x80041234)));
        Assert.Equal("VSS_E_BAD_STATE (0x80042301)", VssHResults.Describe(VssHResults.VSS_E_BAD_STATE));
    }

    [Theory]
    [InlineData(-1018)]
    [InlineData(-569)]
    [InlineData(-1811)]
    [InlineData(-1003)]
    public void Ese_errors_wrapped_by_writers_decode_in_both_forms(int jetError)
    {
        // MAKE_HRESULT(sev, fac, code) is ((unsigned long)sev << 31) | ((unsigned long)fac << 16) | (unsigned long)code.
        // With the negative err ESE's writer passes, the sign extension of code covers severity and facility.
        static int MakeHResult(uint severity, uint facility, long code) => unchecked((int)(uint)((severity << 31) | (facility << 16) | (ulong)code));
        var signExtended = MakeHResult(1, 0xE5E, jetError);
        var masked = MakeHResult(1, 0xE5E, jetError & 0xFFFF);
        Assert.Equal(jetError, signExtended);
        Assert.Equal(jetError, VssHResults.EseErrorOf(signExtended));
        Assert.Equal(jetError, VssHResults.EseErrorOf(masked));
        Assert.Equal($"FACILITY_ESE({jetError})", VssHResults.NameOf(signExtended));
        Assert.Equal($"FACILITY_ESE({jetError})", VssHResults.NameOf(masked));

        // A writer failing with it reports ESE's number and name.
        var error = VssFailures.Writer("PrepareForBackup", new VssWriterStatus(Guid.NewGuid(), Guid.NewGuid(), "NTDS", VssWriterState.FailedAtPrepareBackup, signExtended), "t1");
        Assert.Equal(jetError.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Details!["eseError"]);
        Assert.StartsWith("JET_err", error.Details["eseName"], StringComparison.Ordinal);
        Assert.Contains($"FACILITY_ESE({jetError})", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(unchecked((int)0x80042301))]
    [InlineData(unchecked((int)0x80070005))]
    [InlineData(unchecked((int)0x8000FFFF))]
    [InlineData(0)]
    [InlineData(1)]
    public void Other_hresults_are_not_ese_errors(int hr) => Assert.Null(VssHResults.EseErrorOf(hr));

    [Fact]
    public void Writer_state_names_follow_the_sdk()
    {
        foreach (var (name, value) in VssReference.Enum("VSS_WRITER_STATE").Where(kv => kv.Key != "VSS_WS_COUNT"))
        {
            Assert.Equal(name, VssFailures.StateName((VssWriterState)value));
        }
    }

    [Fact]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2263", Justification = "The generic overloads would put the Windows-only structs under the platform analyzer; their layout is checked on every OS on purpose.")]
    public void Snapshot_property_structures_have_the_reference_layout()
    {
        var offsets = VssReference.SnapshotPropOffsets();
        Assert.Equal(13, offsets.Count);
        Assert.True(VssReference.Says("`VSS_SNAPSHOT_PROP` — 128 bytes"));
        Assert.True(VssReference.Says("→ 136 bytes on x64"));
        Assert.Equal(128, Marshal.SizeOf(typeof(VssSnapshotPropNative)));
        foreach (var (field, offset) in offsets)
        {
            Assert.Equal(offset, (int)Marshal.OffsetOf(typeof(VssSnapshotPropNative), field));
        }

        Assert.Equal(136, Marshal.SizeOf(typeof(VssObjectPropNative)));
        Assert.Equal(8, (int)Marshal.OffsetOf(typeof(VssObjectPropNative), "Obj"));
    }

    [Fact]
    public void The_create_export_is_looked_up_internal_first_then_decorated_for_the_architecture()
    {
        Assert.Equal(
            ["CreateVssBackupComponentsInternal", "?CreateVssBackupComponents@@YAJPEAPEAVIVssBackupComponents@@@Z"],
            VssNative.CreateBackupComponentsExports(Architecture.X64));
        Assert.Equal("?CreateVssBackupComponents@@YGJPAPAVIVssBackupComponents@@@Z", VssNative.CreateBackupComponentsExports(Architecture.X86)[1]);

        var both = new Dictionary<string, nint> { ["CreateVssBackupComponentsInternal"] = 1, ["?CreateVssBackupComponents@@YAJPEAPEAVIVssBackupComponents@@@Z"] = 2 };
        Assert.Equal(("CreateVssBackupComponentsInternal", (nint)1), VssNative.ResolveFirst(VssNative.CreateBackupComponentsExports(Architecture.X64), n => both.GetValueOrDefault(n)));
        var decoratedOnly = new Dictionary<string, nint> { ["?CreateVssBackupComponents@@YAJPEAPEAVIVssBackupComponents@@@Z"] = 2 };
        Assert.Equal(2, VssNative.ResolveFirst(VssNative.CreateBackupComponentsExports(Architecture.X64), n => decoratedOnly.GetValueOrDefault(n))!.Value.Address);
        Assert.Null(VssNative.ResolveFirst(VssNative.FreeSnapshotPropertiesExports, _ => 0));
    }

    private static Type[] Parameters(string method) =>
        typeof(IVssBackupComponentsVtbl).GetField(method)!.FieldType.GetFunctionPointerParameterTypes();

    /// <summary>The managed type the interop must declare for an SDK parameter type.</summary>
    private static Type Expected(string sdk)
    {
        var text = sdk.Replace("const ", "", StringComparison.Ordinal).Trim();
        var stars = text.Count(c => c == '*');
        var name = text.Replace("*", "", StringComparison.Ordinal).Trim();
        Type type;
        switch (name)
        {
            case "UINT" or "DWORD" or "ULONG":
                type = typeof(uint);
                break;
            case "LONG" or "INT" or "HRESULT" or "WINBOOL":
                type = typeof(int);
                break;
            case "boolean":
                type = typeof(byte);
                break;
            case "VSS_ID" or "REFIID":
                type = typeof(Guid);
                stars += name == "REFIID" ? 1 : 0;
                break;
            case "BSTR":
                type = typeof(nint);
                break;
            case "LPCWSTR" or "VSS_PWSZ":
                type = typeof(char);
                stars++;
                break;
            case "void":
                type = typeof(nint);
                stars--;
                break;
            case "VSS_SNAPSHOT_PROP":
                type = typeof(VssSnapshotPropNative);
                break;
            case "VSS_OBJECT_PROP":
                type = typeof(VssObjectPropNative);
                break;
            default:
                if (name.StartsWith("VSS_", StringComparison.Ordinal))
                {
                    type = typeof(int);
                }
                else
                {
                    // An interface: IVssAsync ** is a pointer to an interface pointer (nint*).
                    Assert.True(name.StartsWith('I') && stars == 2, "unexpected SDK type " + sdk);
                    type = typeof(nint);
                    stars = 1;
                }

                break;
        }

        for (var i = 0; i < stars; i++)
        {
            type = type.MakePointerType();
        }

        return type;
    }
}
