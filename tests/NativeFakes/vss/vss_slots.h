/*
 * Vtable slot numbers of the interfaces the vssapi fake implements, in slot order (reference
 * shared/reference/vss-requester.md section 10; IUnknown takes slots 0-2). The names double as the
 * answer of the test-only export FakeVss_SlotName, which a test compares with the reference.
 */
#ifndef VSS_SLOTS_H
#define VSS_SLOTS_H

enum {
    ASYNC_QueryInterface = 0,
    ASYNC_AddRef = 1,
    ASYNC_Release = 2,
    ASYNC_Cancel = 3,
    ASYNC_Wait = 4,
    ASYNC_QueryStatus = 5,
    ASYNC_SLOT_COUNT = 6
};

static const char *const async_slot_names[ASYNC_SLOT_COUNT] = {
    "QueryInterface", "AddRef", "Release", "Cancel", "Wait", "QueryStatus",
};

enum {
    BC_QueryInterface = 0,
    BC_AddRef = 1,
    BC_Release = 2,
    BC_GetWriterComponentsCount = 3,
    BC_GetWriterComponents = 4,
    BC_InitializeForBackup = 5,
    BC_SetBackupState = 6,
    BC_InitializeForRestore = 7,
    BC_SetRestoreState = 8,
    BC_GatherWriterMetadata = 9,
    BC_GetWriterMetadataCount = 10,
    BC_GetWriterMetadata = 11,
    BC_FreeWriterMetadata = 12,
    BC_AddComponent = 13,
    BC_PrepareForBackup = 14,
    BC_AbortBackup = 15,
    BC_GatherWriterStatus = 16,
    BC_GetWriterStatusCount = 17,
    BC_FreeWriterStatus = 18,
    BC_GetWriterStatus = 19,
    BC_SetBackupSucceeded = 20,
    BC_SetBackupOptions = 21,
    BC_SetSelectedForRestore = 22,
    BC_SetRestoreOptions = 23,
    BC_SetAdditionalRestores = 24,
    BC_SetPreviousBackupStamp = 25,
    BC_SaveAsXML = 26,
    BC_BackupComplete = 27,
    BC_AddAlternativeLocationMapping = 28,
    BC_AddRestoreSubcomponent = 29,
    BC_SetFileRestoreStatus = 30,
    BC_AddNewTarget = 31,
    BC_SetRangesFilePath = 32,
    BC_PreRestore = 33,
    BC_PostRestore = 34,
    BC_SetContext = 35,
    BC_StartSnapshotSet = 36,
    BC_AddToSnapshotSet = 37,
    BC_DoSnapshotSet = 38,
    BC_DeleteSnapshots = 39,
    BC_ImportSnapshots = 40,
    BC_BreakSnapshotSet = 41,
    BC_GetSnapshotProperties = 42,
    BC_Query = 43,
    BC_IsVolumeSupported = 44,
    BC_DisableWriterClasses = 45,
    BC_EnableWriterClasses = 46,
    BC_DisableWriterInstances = 47,
    BC_ExposeSnapshot = 48,
    BC_RevertToSnapshot = 49,
    BC_QueryRevertStatus = 50,
    BC_GetWriterMetadataEx = 51,
    BC_SetSelectedForRestoreEx = 52,
    BC_UnexposeSnapshot = 53,
    BC_SetAuthoritativeRestore = 54,
    BC_SetRollForward = 55,
    BC_SetRestoreName = 56,
    BC_BreakSnapshotSetEx = 57,
    BC_PreFastRecovery = 58,
    BC_FastRecovery = 59,
    BC_GetWriterStatusEx = 60,
    BC_AddSnapshotToRecoverySet = 61,
    BC_RecoverSet = 62,
    BC_GetSessionId = 63,
    BC_GetRootAndLogicalPrefixPaths = 64,
    BC_SLOT_COUNT = 65
};

static const char *const bc_slot_names[BC_SLOT_COUNT] = {
    "QueryInterface", "AddRef", "Release", "GetWriterComponentsCount", "GetWriterComponents",
    "InitializeForBackup", "SetBackupState", "InitializeForRestore", "SetRestoreState",
    "GatherWriterMetadata", "GetWriterMetadataCount", "GetWriterMetadata", "FreeWriterMetadata",
    "AddComponent", "PrepareForBackup", "AbortBackup", "GatherWriterStatus", "GetWriterStatusCount",
    "FreeWriterStatus", "GetWriterStatus", "SetBackupSucceeded", "SetBackupOptions",
    "SetSelectedForRestore", "SetRestoreOptions", "SetAdditionalRestores", "SetPreviousBackupStamp",
    "SaveAsXML", "BackupComplete", "AddAlternativeLocationMapping", "AddRestoreSubcomponent",
    "SetFileRestoreStatus", "AddNewTarget", "SetRangesFilePath", "PreRestore", "PostRestore",
    "SetContext", "StartSnapshotSet", "AddToSnapshotSet", "DoSnapshotSet", "DeleteSnapshots",
    "ImportSnapshots", "BreakSnapshotSet", "GetSnapshotProperties", "Query", "IsVolumeSupported",
    "DisableWriterClasses", "EnableWriterClasses", "DisableWriterInstances", "ExposeSnapshot",
    "RevertToSnapshot", "QueryRevertStatus", "GetWriterMetadataEx", "SetSelectedForRestoreEx",
    "UnexposeSnapshot", "SetAuthoritativeRestore", "SetRollForward", "SetRestoreName",
    "BreakSnapshotSetEx", "PreFastRecovery", "FastRecovery", "GetWriterStatusEx",
    "AddSnapshotToRecoverySet", "RecoverSet", "GetSessionId", "GetRootAndLogicalPrefixPaths",
};

enum {
    WM_QueryInterface = 0,
    WM_AddRef = 1,
    WM_Release = 2,
    WM_GetIdentity = 3,
    WM_GetFileCounts = 4,
    WM_GetIncludeFile = 5,
    WM_GetExcludeFile = 6,
    WM_GetComponent = 7,
    WM_GetRestoreMethod = 8,
    WM_GetAlternateLocationMapping = 9,
    WM_GetBackupSchema = 10,
    WM_GetDocument = 11,
    WM_SaveAsXML = 12,
    WM_LoadFromXML = 13,
    WM_GetIdentityEx = 14,
    WM_GetVersion = 15,
    WM_GetExcludeFromSnapshotCount = 16,
    WM_GetExcludeFromSnapshotFile = 17,
    WM_SLOT_COUNT = 18
};

static const char *const wm_slot_names[WM_SLOT_COUNT] = {
    "QueryInterface", "AddRef", "Release", "GetIdentity", "GetFileCounts", "GetIncludeFile",
    "GetExcludeFile", "GetComponent", "GetRestoreMethod", "GetAlternateLocationMapping",
    "GetBackupSchema", "GetDocument", "SaveAsXML", "LoadFromXML", "GetIdentityEx", "GetVersion",
    "GetExcludeFromSnapshotCount", "GetExcludeFromSnapshotFile",
};

enum {
    ENUM_QueryInterface = 0,
    ENUM_AddRef = 1,
    ENUM_Release = 2,
    ENUM_Next = 3,
    ENUM_Skip = 4,
    ENUM_Reset = 5,
    ENUM_Clone = 6,
    ENUM_SLOT_COUNT = 7
};

static const char *const enum_slot_names[ENUM_SLOT_COUNT] = {
    "QueryInterface", "AddRef", "Release", "Next", "Skip", "Reset", "Clone",
};

#endif
