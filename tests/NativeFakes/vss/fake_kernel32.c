/*
 * kernel32.dll ABI fake: the two volume functions a requester uses to turn a file path into the
 * volume name AddToSnapshotSet wants. The volumes themselves are directories registered in the
 * vssapi fake (FakeVss_AddVolume); failures set errno, which .NET reads as the last system error.
 */
#include <errno.h>

#include "fake_common.h"

#define ERROR_INVALID_PARAMETER 87

int FakeVss_MountPointOf(const WCHAR *path, WCHAR *out, uint32_t capacity);
int FakeVss_VolumeNameOf(const WCHAR *mountPoint, WCHAR *out, uint32_t capacity);

EXPORT BOOL GetVolumePathNameW(const WCHAR *fileName, WCHAR *volumePathName, uint32_t capacity)
{
    if (fileName == NULL || volumePathName == NULL) {
        errno = ERROR_INVALID_PARAMETER;
        return 0;
    }
    int rc = FakeVss_MountPointOf(fileName, volumePathName, capacity);
    if (rc != 0) {
        errno = rc;
        return 0;
    }
    return 1;
}

EXPORT BOOL GetVolumeNameForVolumeMountPointW(const WCHAR *mountPoint, WCHAR *volumeName, uint32_t capacity)
{
    if (mountPoint == NULL || volumeName == NULL) {
        errno = ERROR_INVALID_PARAMETER;
        return 0;
    }
    int rc = FakeVss_VolumeNameOf(mountPoint, volumeName, capacity);
    if (rc != 0) {
        errno = rc;
        return 0;
    }
    return 1;
}
