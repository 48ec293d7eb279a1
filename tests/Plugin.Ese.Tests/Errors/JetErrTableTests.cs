using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Ese.Errors;
using EseBackupPlugin.Ese.Windows.Esent;

namespace EseBackupPlugin.Ese.Tests.Errors;

/// <summary>The one ESE error table (<see cref="JetErr"/> keyed <see cref="JetErrTable"/>) against reference/ese-backup-api.md §5, and the mapping to the contract.</summary>
public class JetErrTableTests
{
    /// <summary>Every code of §5.1–§5.3 with its number.</summary>
    public static TheoryData<string, int> ReferenceCodes => new()
    {
        // §5.1
        { "JET_errSuccess", 0 }, { "JET_errBackupInProgress", -505 }, { "JET_errBackupNotAllowedYet", -523 },
        { "JET_errClientRequestToStopJetService", -1329 }, { "JET_errInstanceUnavailable", -1090 }, { "JET_errInvalidBackup", -526 },
        { "JET_errInvalidGrbit", -900 }, { "JET_errInvalidParameter", -1003 }, { "JET_errInvalidPath", -1023 },
        { "JET_errLoggingDisabled", -516 }, { "JET_errLogReadVerifyFailure", -612 }, { "JET_errLogWriteFail", -510 },
        { "JET_errNotInitialized", -1029 }, { "JET_errReadVerifyFailure", -1018 }, { "JET_errRestoreInProgress", -506 },
        { "JET_errSessionSharingViolation", -1910 }, { "JET_errTermInProgress", -1000 }, { "JET_errRunningInMultiInstanceMode", -1081 },

        // §5.2
        { "JET_errInternalError", -107 }, { "JET_errDatabaseDirtyShutdown", -550 }, { "JET_errLogFileCorrupt", -501 },
        { "JET_errConsistentTimeMismatch", -551 }, { "JET_errNoBackupDirectory", -503 }, { "JET_errDatabasePatchFileMismatch", -552 },
        { "JET_errBackupDirectoryNotEmpty", -504 }, { "JET_errEndingRestoreLogTooLow", -553 }, { "JET_errMissingPreviousLogFile", -509 },
        { "JET_errStartingRestoreLogTooHigh", -554 }, { "JET_errLogGenerationMismatch", -513 }, { "JET_errGivenLogFileHasBadSignature", -555 },
        { "JET_errBadLogVersion", -514 }, { "JET_errGivenLogFileIsNotContiguous", -556 }, { "JET_errInvalidLogSequence", -515 },
        { "JET_errMissingRestoreLogFiles", -557 }, { "JET_errLogSequenceEnd", -519 }, { "JET_errMissingFullBackup", -560 },
        { "JET_errNoBackup", -520 }, { "JET_errBadBackupDatabaseSize", -561 }, { "JET_errInvalidBackupSequence", -521 },
        { "JET_errMissingCurrentLogFiles", -565 }, { "JET_errDeleteBackupFileFail", -524 }, { "JET_errMissingFileToBackup", -569 },
        { "JET_errMakeBackupDirectoryFail", -525 }, { "JET_errLogTornWriteDuringHardRestore", -570 }, { "JET_errRecoveredWithErrors", -527 },
        { "JET_errLogTornWriteDuringHardRecovery", -571 }, { "JET_errMissingLogFile", -528 }, { "JET_errLogCorruptDuringHardRestore", -573 },
        { "JET_errLogDiskFull", -529 }, { "JET_errLogCorruptDuringHardRecovery", -574 }, { "JET_errBadLogSignature", -530 },
        { "JET_errBadRestoreTargetInstance", -577 }, { "JET_errBadDbSignature", -531 }, { "JET_errRecoveredWithoutUndo", -579 },
        { "JET_errBadCheckpointSignature", -532 }, { "JET_errDatabasesNotFromSameSnapshot", -580 }, { "JET_errCheckpointCorrupt", -533 },
        { "JET_errSoftRecoveryOnSnapshot", -581 }, { "JET_errMissingPatchPage", -534 }, { "JET_errCommittedLogFilesMissing", -582 },
        { "JET_errBadPatchPage", -535 }, { "JET_errSectorSizeNotSupported", -583 }, { "JET_errRedoAbruptEnded", -536 },
        { "JET_errCommittedLogFileCorrupt", -586 }, { "JET_errPatchFileMissing", -538 }, { "JET_errLogSequenceChecksumMismatch", -590 },
        { "JET_errDatabaseLogSetMismatch", -539 }, { "JET_errExistingLogFileHasBadSignature", -610 }, { "JET_errLogFileSizeMismatch", -541 },
        { "JET_errExistingLogFileIsNotContiguous", -611 }, { "JET_errCheckpointFileNotFound", -542 }, { "JET_errCheckpointDepthTooDeep", -614 },
        { "JET_errRequiredLogFilesMissing", -543 }, { "JET_errRestoreOfNonBackupDatabase", -615 }, { "JET_errSoftRecoveryOnBackupDatabase", -544 },
        { "JET_errLogFileNotCopied", -616 }, { "JET_errLogSectorSizeMismatch", -546 }, { "JET_errSurrogateBackupInProgress", -617 },
        { "JET_errBackupAbortByServer", -801 }, { "JET_errOutOfMemory", -1011 }, { "JET_errPageNotInitialized", -1019 },
        { "JET_errDiskReadVerificationFailure", -1021 }, { "JET_errDiskIO", -1022 }, { "JET_errInvalidSystemPath", -1024 },
        { "JET_errInvalidLogDirectory", -1025 }, { "JET_errInvalidDatabase", -1028 }, { "JET_errAlreadyInitialized", -1030 },
        { "JET_errInitInProgress", -1031 }, { "JET_errFileAccessDenied", -1032 }, { "JET_errBufferTooSmall", -1038 },
        { "JET_errInvalidFilename", -1044 }, { "JET_errRunningInOneInstanceMode", -1080 }, { "JET_errSystemParamsAlreadySet", -1082 },
        { "JET_errInstanceNameInUse", -1086 }, { "JET_errInvalidInstance", -1115 }, { "JET_errReadPgnoVerifyFailure", -1118 },
        { "JET_errReadLostFlushVerifyFailure", -1119 }, { "JET_errFileSystemCorruption", -1121 }, { "JET_errDatabaseNotFound", -1203 },
        { "JET_errDatabaseCorrupted", -1206 }, { "JET_errInvalidDatabaseVersion", -1209 }, { "JET_errPageSizeMismatch", -1213 },
        { "JET_errTooManyInstances", -1214 }, { "JET_errDatabaseSharingViolation", -1215 }, { "JET_errAttachedDatabaseMismatch", -1216 },
        { "JET_errDatabaseAttachedForRecovery", -1231 }, { "JET_errInvalidSettings", -1328 }, { "JET_errDiskFull", -1808 },
        { "JET_errPermissionDenied", -1809 }, { "JET_errFileNotFound", -1811 }, { "JET_errFileAlreadyExists", -1814 },
        { "JET_errAfterInitialization", -1850 }, { "JET_errLogCorrupted", -1852 }, { "JET_errCallbackFailed", -2101 },
        { "JET_errOSSnapshotInvalidSequence", -2401 }, { "JET_errOSSnapshotTimeOut", -2402 }, { "JET_errOSSnapshotNotAllowed", -2403 },
        { "JET_errOSSnapshotInvalidSnapId", -2404 },

        // §5.3
        { "JET_wrnNyi", -1 }, { "JET_wrnRemainingVersions", 321 }, { "JET_wrnExistingLogFileHasBadSignature", 558 },
        { "JET_wrnExistingLogFileIsNotContiguous", 559 }, { "JET_wrnTargetInstanceRunning", 578 }, { "JET_wrnCommittedLogFilesLost", 585 },
        { "JET_wrnCommittedLogFilesRemoved", 587 }, { "JET_wrnFinishWithUndo", 588 }, { "JET_wrnDatabaseRepaired", 595 },
        { "JET_wrnBufferTruncated", 1006 }, { "JET_wrnDatabaseAttached", 1007 }, { "JET_wrnFileOpenReadOnly", 1813 },
        { "JET_wrnCallbackNotRegistered", 2100 },
    };

    [Theory]
    [MemberData(nameof(ReferenceCodes))]
    public void Every_reference_code_is_in_the_table_with_its_number(string name, int number)
    {
        Assert.True(JetErrTable.TryGet(number, out var byNumber), $"{number} missing");
        Assert.Equal(name, byNumber.Name);
        Assert.True(JetErrTable.TryGet(name, out var byName));
        Assert.Equal(number, byName.Number);
        Assert.Equal(name.StartsWith("JET_wrn", StringComparison.Ordinal) ? EseErrorKind.Warning : number == 0 ? EseErrorKind.Success : EseErrorKind.Error, byName.Kind);
    }

    [Fact]
    public void The_table_has_exactly_the_reference_codes_and_no_duplicates()
    {
        Assert.Equal(ReferenceCodes.Count, JetErrTable.All.Count);
        Assert.Equal(JetErrTable.All.Count, JetErrTable.All.Select(e => e.Number).Distinct().Count());
        Assert.Equal(JetErrTable.All.Count, JetErrTable.All.Select(e => e.Name).Distinct().Count());
    }

    [Fact]
    public void Codes_named_for_JetBackupInstance_have_descriptions_and_others_do_not_pretend_to()
    {
        int[] seeds = [0, -505, -523, -1329, -1090, -526, -900, -1003, -1023, -516, -612, -510, -1029, -1018, -506, -1910, -1000, -1081];
        foreach (var info in JetErrTable.All)
        {
            if (seeds.Contains(info.Number))
            {
                Assert.False(string.IsNullOrWhiteSpace(info.Description), info.Name);
            }
            else
            {
                Assert.Null(info.Description);
            }
        }
    }

    [Fact]
    public void Table_agrees_with_the_contracts_codes_for_every_shared_number()
    {
        foreach (var code in ErrorCodes.All.Values.Where(c => c.EseError is not null))
        {
            Assert.True(JetErrTable.TryGet(code.EseError!.Value, out var info), code.Name);
            Assert.Equal(code.EseName, info.Name);
            Assert.Equal(code.Category, info.Category);
            Assert.Equal(code.IsTransient, info.IsTransient);
            Assert.Same(code, info.ToErrorCode());
        }
    }

    [Fact]
    public void Codes_outside_the_contract_map_to_codes_named_after_ese()
    {
        Assert.True(JetErrTable.TryGet(-538, out var info));
        var code = info.ToErrorCode();
        Assert.Equal("PatchFileMissing", code.Name);
        Assert.Equal(-538, code.EseError);
        Assert.Equal("JET_errPatchFileMissing", code.EseName);
        Assert.Equal(ErrorCategory.Missing, code.Category);
    }

    [Fact]
    public void Busy_and_state_codes_that_pass_are_transient()
    {
        foreach (var n in new[] { -505, -506, -523, -1000, -801, -1022, -1808 })
        {
            Assert.True(JetErrTable.Get(n).IsTransient, n.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        foreach (var n in new[] { -526, -516, -1018, -612, -1023, -560 })
        {
            Assert.False(JetErrTable.Get(n).IsTransient, n.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public void Every_enum_member_has_one_row_under_its_own_name_and_number()
    {
        var members = Enum.GetValues<JetErr>();
        Assert.Equal(members.Length, JetErrTable.All.Count);
        foreach (var code in members)
        {
            var info = JetErrTable.Get(code);
            Assert.Equal((int)code, info.Number);
            Assert.Equal(code.ToString(), info.Name);
            Assert.Same(info, JetErrTable.Get((int)code));
        }
    }

    [Fact]
    public void The_native_layers_own_return_codes_are_the_ones_ese_names()
    {
        Assert.Equal((int)JetErr.JET_errSuccess, EsentReturnCodes.Success);
        Assert.Equal((int)JetErr.JET_errBufferTooSmall, EsentReturnCodes.BufferTooSmall);
        Assert.Equal((int)JetErr.JET_errCallbackFailed, EsentReturnCodes.CallbackFailed);
    }

    [Fact]
    public void A_condition_the_plugin_detects_carries_the_name_and_number_of_its_code()
    {
        var error = EseErrorMapper.Detected(JetErr.JET_errPatchFileMissing, "db.edb has no db.pat.", "/r/db.edb");
        Assert.Equal("PatchFileMissing", error.Code.Name);
        Assert.Equal(-538, error.Code.EseError);
        Assert.Equal("JET_errPatchFileMissing", error.Details!["eseName"]);
        Assert.Equal("-538", error.Details["eseError"]);
        Assert.Equal("plugin", error.Details["detectedBy"]);
        Assert.Equal("/r/db.edb", error.File);
    }

    [Fact]
    public void Mapper_names_operation_target_file_and_number()
    {
        var error = EseErrorMapper.ToPluginError(-505, "JetBeginExternalBackupInstance", "ESE instance 'x'", "/data/x.edb", "esent-instance:abc");
        Assert.Same(ErrorCodes.BackupInProgress, error.Code);
        Assert.True(error.IsTransient);
        Assert.Equal(-505, error.NativeStatus);
        Assert.Equal("esent-instance:abc", error.TargetId);
        Assert.Equal("/data/x.edb", error.File);
        Assert.Contains("JetBeginExternalBackupInstance", error.Message, StringComparison.Ordinal);
        Assert.Contains("ESE instance 'x'", error.Message, StringComparison.Ordinal);
        Assert.Contains("/data/x.edb", error.Message, StringComparison.Ordinal);
        Assert.Contains("JET_errBackupInProgress (-505)", error.Message, StringComparison.Ordinal);
        Assert.Equal("JET_errBackupInProgress", error.Details!["eseName"]);
    }

    [Fact]
    public void Unknown_numbers_still_map()
    {
        var error = EseErrorMapper.ToPluginError(-31337, "JetSomething");
        Assert.Equal(-31337, error.Code.EseError);
        Assert.Equal("Unknown31337", error.Code.Name);
        Assert.Equal(ErrorCategory.Internal, error.Code.Category);
    }
}
