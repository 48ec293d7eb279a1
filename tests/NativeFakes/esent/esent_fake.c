/*
 * esent_fake.c - an ABI fake of esent.dll for Linux CI.
 *
 * It exports the esent.dll functions the plugin's interop binds to, with the Windows binary interface
 * (32-bit JET_ERR, UTF-16 strings as uint16_t, pointer-sized JET_API_PTR handles, Windows x64 struct
 * layouts), and implements their documented behaviour over a real ESE file set that a test copied into
 * a scratch directory (reference/ese-backup-api.md and reference/ese-on-disk.md are the spec).
 *
 * It is a test double, not an engine: it never parses log records, never replays logs and never checks
 * page checksums. What it does model:
 *   - instances: create / parameters / init / term, name in use, not initialised, stop service;
 *   - databases attached through sessions (listed by JetGetInstanceInfoW / JetGetAttachInfoInstanceW);
 *   - the streaming backup protocol: call order, one open file, aligned page-multiple reads, the database
 *     image (header twice with bkinfoFullCur set, the pages, a trailer page), rolling the current log,
 *     copy and truncation ranges, JetTruncateLogInstance, header stamping at the end;
 *   - JetBackupInstanceW on top of that (directory rules, atomic temp/new/old rotation, .pat files,
 *     status callback, truncation);
 *   - JetRestoreInstanceW's checks on a laid-out directory and the database fix-up;
 *   - the JetOSSnapshot* state machine;
 *   - error injection and inspection exports (FakeEsent_*) for tests.
 *
 * Not thread-safe (tests serialise their use), except JetStopBackupInstance, which only sets a flag.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define API __attribute__((visibility("default")))

typedef int32_t JET_ERR;
typedef uintptr_t JET_API_PTR;
typedef JET_API_PTR JET_INSTANCE;
typedef JET_API_PTR JET_SESID;
typedef JET_API_PTR JET_HANDLE;
typedef JET_API_PTR JET_OSSNAPID;
typedef uint32_t JET_GRBIT;
typedef uint16_t WCHAR; /* UTF-16 code unit: wchar_t is 4 bytes on Linux */

typedef JET_ERR (*JET_PFNSTATUS)(JET_SESID sesid, uint32_t snp, uint32_t snt, void *pv);

/* Windows x64 layouts (the same natural layout on Linux x64). */
typedef struct { uint32_t cbStruct, cunitDone, cunitTotal; } JET_SNPROG;
typedef struct {
    JET_INSTANCE hInstanceId;
    WCHAR *szInstanceName;
    JET_API_PTR cDatabases;
    WCHAR **szDatabaseFileName;
    WCHAR **szDatabaseDisplayName;
    WCHAR **szDatabaseSLVFileName_Obsolete;
} JET_INSTANCE_INFO_W;
typedef struct { uint32_t cbSize, ulGenLow, ulGenHigh; WCHAR szBaseName[4]; } JET_LOGINFO_W;

_Static_assert(sizeof(JET_SNPROG) == 12, "JET_SNPROG is 12 bytes");
_Static_assert(sizeof(JET_LOGINFO_W) == 20, "JET_LOGINFO_W is 20 bytes");
_Static_assert(sizeof(void *) != 8 || sizeof(JET_INSTANCE_INFO_W) == 48, "JET_INSTANCE_INFO_W is 48 bytes on x64");

/* ---- constants (ese-backup-api.md §3, §5) ---------------------------------------------------- */
#define JET_errSuccess 0
#define JET_wrnDatabaseAttached 1007
#define JET_errLogFileCorrupt (-501)
#define JET_errBackupDirectoryNotEmpty (-504)
#define JET_errBackupInProgress (-505)
#define JET_errRestoreInProgress (-506)
#define JET_errLoggingDisabled (-516)
#define JET_errNoBackup (-520)
#define JET_errInvalidBackupSequence (-521)
#define JET_errMakeBackupDirectoryFail (-525)
#define JET_errInvalidBackup (-526)
#define JET_errBadCheckpointSignature (-532)
#define JET_errPatchFileMissing (-538)
#define JET_errDatabaseLogSetMismatch (-539)
#define JET_errLogFileSizeMismatch (-541)
#define JET_errDatabasePatchFileMismatch (-552)
#define JET_errEndingRestoreLogTooLow (-553)
#define JET_errStartingRestoreLogTooHigh (-554)
#define JET_errGivenLogFileHasBadSignature (-555)
#define JET_errGivenLogFileIsNotContiguous (-556)
#define JET_errMissingRestoreLogFiles (-557)
#define JET_errMissingFullBackup (-560)
#define JET_errMissingFileToBackup (-569)
#define JET_errLogReadVerifyFailure (-612)
#define JET_errRestoreOfNonBackupDatabase (-615)
#define JET_errLogFileNotCopied (-616)
#define JET_errBackupAbortByServer (-801)
#define JET_errInvalidGrbit (-900)
#define JET_errInvalidParameter (-1003)
#define JET_errOutOfMemory (-1011)
#define JET_errReadVerifyFailure (-1018)
#define JET_errDiskIO (-1022)
#define JET_errInvalidPath (-1023)
#define JET_errInvalidSystemPath (-1024)
#define JET_errInvalidLogDirectory (-1025)
#define JET_errNotInitialized (-1029)
#define JET_errAlreadyInitialized (-1030)
#define JET_errBufferTooSmall (-1038)
#define JET_errRunningInMultiInstanceMode (-1081)
#define JET_errInstanceNameInUse (-1086)
#define JET_errInvalidInstance (-1115)
#define JET_errDatabaseNotFound (-1203)
#define JET_errPageSizeMismatch (-1213)
#define JET_errTooManyInstances (-1214)
#define JET_errClientRequestToStopJetService (-1329)
#define JET_errFileNotFound (-1811)
#define JET_errAfterInitialization (-1850)
#define JET_errCallbackFailed (-2101)
#define JET_errOSSnapshotInvalidSequence (-2401)
#define JET_errOSSnapshotNotAllowed (-2403)
#define JET_errOSSnapshotInvalidSnapId (-2404)

#define JET_bitBackupIncremental 0x1u
#define JET_bitBackupAtomic 0x4u
#define JET_bitBackupEndNormal 0x1u
#define JET_bitBackupEndAbort 0x2u
#define JET_bitBackupTruncateDone 0x100u
#define JET_bitTermAbrupt 0x2u
#define JET_bitTermStopBackup 0x4u
#define JET_bitIncrementalSnapshot 0x1u
#define JET_bitCopySnapshot 0x2u
#define JET_bitContinueAfterThaw 0x4u
#define JET_bitExplicitPrepare 0x8u
#define JET_bitAllDatabasesSnapshot 0x1u
#define JET_bitAbortSnapshot 0x1u

#define JET_snpRestore 8u
#define JET_snpBackup 9u
#define JET_sntProgress 0u
#define JET_sntBegin 5u
#define JET_sntComplete 6u

#define JET_paramSystemPath 0u
#define JET_paramLogFilePath 2u
#define JET_paramBaseName 3u
#define JET_paramLogFileSize 11u
#define JET_paramCircularLog 17u
#define JET_paramRecovery 34u
#define JET_paramDatabasePageSize 64u
#define JET_paramCreatePathIfNotExist 100u
#define JET_paramLegacyFileNames 136u

#define INSTANCE_NIL ((JET_INSTANCE)~(JET_API_PTR)0)
#define OS_PAGE 4096u
#define MAX_INST 8
#define MAX_DB 4
#define PATH_CAP 1024

/* ---- state ----------------------------------------------------------------------------------- */
typedef struct {
    int open;
    int isDb;       /* database image (header x2 + pages + trailer) */
    int isLog;      /* archived log generation (verified by header checksum) */
    int dbIndex;
    int fd;
    int64_t size, pos;
    int firstReadDone;
    int32_t gen;
    unsigned char *header; /* database header as streamed (bkinfoFullCur set) */
    char path[PATH_CAP];
} OpenFile;

typedef struct {
    int active;
    int incremental;
    int logPhase;      /* the first log-info call happened */
    int stopped;       /* JetStopBackupInstance / term with stop-backup */
    int truncated;     /* JetTruncateLogInstance ran */
    int withPatchFiles;/* JetBackupInstance's own full backup: log list also names the .pat files */
    int32_t genAtBegin, copyLow, copyHigh, delLow, delHigh;
    int64_t genSumCopied;
    unsigned char mark[8], markTime[8];
    int dbDone[MAX_DB];
    OpenFile f;
} Backup;

typedef struct {
    int inUse, initialized, stopService;
    char name[256];
    char systemPath[PATH_CAP], logPath[PATH_CAP], baseName[4];
    int recoveryOn, circular, createPath;
    uint32_t logFileSizeKiB, legacyFileNames;
    int ndb;
    char db[MAX_DB][PATH_CAP];
    unsigned char signLog[28];
    int32_t currentGen, checkpointGen;
    Backup bk;
} Instance;

typedef struct { char point[64]; int32_t err; int32_t after; int used; } Injection;

typedef struct {
    int active; JET_OSSNAPID id; JET_GRBIT grbit; int state; /* 1 prepared, 2 frozen, 3 thawed */
    int member[MAX_INST];
} Snapshot;

static Instance g_inst[MAX_INST];
static Instance g_defaults; /* process-wide defaults copied into new instances */
static uint32_t g_pageSize = 4096;
static int g_multiInstance;
static int g_restoreInProgress;
static Snapshot g_snap;
static JET_OSSNAPID g_nextSnapId = 0x5000;
static Injection g_inj[16];
static int g_envRead;
static char g_callLog[1 << 16];
static size_t g_callLogLen;
static struct { char name[64]; int count; } g_calls[64];
static int32_t g_lastEndGrbit = -1;
static int g_endAbortCount, g_callbackCount, g_truncatedFiles;
static int32_t g_lastCallbackResult;
static volatile int g_stopFlag[MAX_INST];

/* ---- small helpers --------------------------------------------------------------------------- */
static void set_defaults(Instance *d) {
    memset(d, 0, sizeof *d);
    strcpy(d->systemPath, ".");
    strcpy(d->logPath, ".");
    strcpy(d->baseName, "edb");
    d->recoveryOn = 1;
    d->logFileSizeKiB = 5120;
    d->legacyFileNames = 3;
}

static void read_env_injections(void);

/* FAKE_ESENT_CALL_LOG=FILE: every call is also appended to FILE, one per line, so that a test can see the calls the
   fake received in another process (the worker). */
static void file_note(const char *line) {
    const char *path = getenv("FAKE_ESENT_CALL_LOG");
    if (!path) return;
    FILE *f = fopen(path, "a");
    if (!f) return;
    fprintf(f, "%s\n", line);
    fclose(f);
}

static void note_call(const char *name) {
    if (!g_envRead) read_env_injections();
    file_note(name);
    size_t n = strlen(name);
    if (g_callLogLen + n + 2 < sizeof g_callLog) {
        memcpy(g_callLog + g_callLogLen, name, n);
        g_callLogLen += n;
        g_callLog[g_callLogLen++] = ';';
        g_callLog[g_callLogLen] = 0;
    }
    for (int i = 0; i < 64; i++) {
        if (g_calls[i].name[0] == 0) { snprintf(g_calls[i].name, sizeof g_calls[i].name, "%s", name); g_calls[i].count = 1; return; }
        if (strcmp(g_calls[i].name, name) == 0) { g_calls[i].count++; return; }
    }
}

/* Returns the injected error for this point, or 0. An injection fires once, after `after` passes. */
static JET_ERR injected(const char *point) {
    for (int i = 0; i < 16; i++) {
        Injection *j = &g_inj[i];
        if (!j->used || strcmp(j->point, point) != 0) continue;
        if (j->after > 0) { j->after--; continue; }
        j->used = 0;
        return j->err;
    }
    return 0;
}

static void add_injection(const char *point, int32_t err, int32_t after) {
    for (int i = 0; i < 16; i++) {
        if (!g_inj[i].used) {
            snprintf(g_inj[i].point, sizeof g_inj[i].point, "%s", point);
            g_inj[i].err = err; g_inj[i].after = after < 0 ? 0 : after; g_inj[i].used = 1;
            return;
        }
    }
}

/* FAKE_ESENT_INJECT="point:err:after[,point:err:after...]" */
static void read_env_injections(void) {
    g_envRead = 1;
    const char *env = getenv("FAKE_ESENT_INJECT");
    if (!env) return;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", env);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char point[64]; int err = 0, after = 0;
        if (sscanf(tok, "%63[^:]:%d:%d", point, &err, &after) >= 2) add_injection(point, err, after);
    }
}

#define ENTER(name) do { note_call(name); JET_ERR e_ = injected(name); if (e_) return e_; } while (0)

/* UTF-16 -> UTF-8 (with surrogate pairs). Returns 0, or -1 when it does not fit. */
static int w2u(const WCHAR *w, char *out, size_t cap) {
    size_t o = 0;
    for (size_t i = 0; w[i]; i++) {
        uint32_t c = w[i];
        if (c >= 0xD800 && c <= 0xDBFF && w[i + 1] >= 0xDC00 && w[i + 1] <= 0xDFFF) {
            c = 0x10000 + ((c - 0xD800) << 10) + (w[i + 1] - 0xDC00);
            i++;
        }
        unsigned char b[4]; size_t n;
        if (c < 0x80) { b[0] = (unsigned char)c; n = 1; }
        else if (c < 0x800) { b[0] = 0xC0 | (c >> 6); b[1] = 0x80 | (c & 0x3F); n = 2; }
        else if (c < 0x10000) { b[0] = 0xE0 | (c >> 12); b[1] = 0x80 | ((c >> 6) & 0x3F); b[2] = 0x80 | (c & 0x3F); n = 3; }
        else { b[0] = 0xF0 | (c >> 18); b[1] = 0x80 | ((c >> 12) & 0x3F); b[2] = 0x80 | ((c >> 6) & 0x3F); b[3] = 0x80 | (c & 0x3F); n = 4; }
        if (o + n + 1 > cap) return -1;
        memcpy(out + o, b, n); o += n;
    }
    out[o] = 0;
    return 0;
}

/* UTF-8 -> UTF-16; returns the number of code units written (without the NUL). */
static size_t u2w(const char *s, WCHAR *out, size_t capUnits) {
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p && o + 1 < capUnits) {
        uint32_t c;
        if (*p < 0x80) c = *p++;
        else if ((*p & 0xE0) == 0xC0) { c = (uint32_t)(*p++ & 0x1F) << 6; c |= *p++ & 0x3F; }
        else if ((*p & 0xF0) == 0xE0) { c = (uint32_t)(*p++ & 0x0F) << 12; c |= (uint32_t)(*p++ & 0x3F) << 6; c |= *p++ & 0x3F; }
        else { c = (uint32_t)(*p++ & 0x07) << 18; c |= (uint32_t)(*p++ & 0x3F) << 12; c |= (uint32_t)(*p++ & 0x3F) << 6; c |= *p++ & 0x3F; }
        if (c >= 0x10000) {
            if (o + 2 >= capUnits) break;
            c -= 0x10000; out[o++] = (WCHAR)(0xD800 + (c >> 10)); out[o++] = (WCHAR)(0xDC00 + (c & 0x3FF));
        }
        else out[o++] = (WCHAR)c;
    }
    out[o] = 0;
    return o;
}

static size_t u2w_len(const char *s) { WCHAR tmp[PATH_CAP * 2]; return u2w(s, tmp, sizeof tmp / sizeof tmp[0]); }

static void path_join(char *out, const char *dir, const char *name) {
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    snprintf(out, PATH_CAP, "%.*s/%s", (int)n, dir, name);
}

static const char *base_of(const char *path) { const char *s = strrchr(path, '/'); return s ? s + 1 : path; }

static int is_dir(const char *p) { struct stat st; return stat(p, &st) == 0 && S_ISDIR(st.st_mode); }
static int is_file(const char *p) { struct stat st; return stat(p, &st) == 0 && S_ISREG(st.st_mode); }
static int64_t file_size(const char *p) { struct stat st; return stat(p, &st) == 0 ? (int64_t)st.st_size : -1; }

static int read_at(const char *path, int64_t off, void *buf, size_t len) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    ssize_t r = pread(fd, buf, len, off);
    close(fd);
    return r == (ssize_t)len ? 0 : -1;
}

static int write_at(const char *path, int64_t off, const void *buf, size_t len) {
    int fd = open(path, O_WRONLY);
    if (fd < 0) return -1;
    ssize_t w = pwrite(fd, buf, len, off);
    close(fd);
    return w == (ssize_t)len ? 0 : -1;
}

static int copy_file(const char *from, const char *to) {
    int in = open(from, O_RDONLY);
    if (in < 0) return -1;
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0) { close(in); return -1; }
    char buf[65536]; ssize_t r; int rc = 0;
    while ((r = read(in, buf, sizeof buf)) > 0) if (write(out, buf, (size_t)r) != r) { rc = -1; break; }
    if (r < 0) rc = -1;
    close(in); close(out);
    return rc;
}

static int mkdir_p(const char *path) {
    char tmp[PATH_CAP];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') { *p = 0; mkdir(tmp, 0755); *p = '/'; }
    }
    return (mkdir(tmp, 0755) == 0 || errno == EEXIST) && is_dir(tmp) ? 0 : -1;
}

/* Removes the files of a directory and the directory itself (one level, as backup folders are flat). */
static void remove_dir_flat(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e; char p[PATH_CAP];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        path_join(p, dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static int dir_is_empty(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return 1;
    struct dirent *e; int empty = 1;
    while ((e = readdir(d))) if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) { empty = 0; break; }
    closedir(d);
    return empty;
}

static uint32_t rd32(const unsigned char *b, size_t off) { uint32_t v; memcpy(&v, b + off, 4); return v; }
static void wr32(unsigned char *b, size_t off, uint32_t v) { memcpy(b + off, &v, 4); }

/* ese-on-disk.md §2: seed 0x89ABCDEF, XOR of every dword but the first. */
static uint32_t xor_checksum(const unsigned char *b, size_t len) {
    uint32_t c = 0x89ABCDEFu;
    for (size_t i = 4; i + 4 <= len; i += 4) c ^= rd32(b, i);
    return c;
}
static void seal(unsigned char *b, size_t len) { wr32(b, 0, xor_checksum(b, len)); }
static int sealed_ok(const unsigned char *b, size_t len) { return rd32(b, 0) == xor_checksum(b, len); }

/* LOGTIME (ese-on-disk.md §1.2), UTC. */
static void now_logtime(unsigned char t[8]) {
    struct timespec ts; clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm; gmtime_r(&ts.tv_sec, &tm);
    unsigned ms = (unsigned)(ts.tv_nsec / 1000000);
    t[0] = (unsigned char)tm.tm_sec; t[1] = (unsigned char)tm.tm_min; t[2] = (unsigned char)tm.tm_hour;
    t[3] = (unsigned char)tm.tm_mday; t[4] = (unsigned char)(tm.tm_mon + 1); t[5] = (unsigned char)tm.tm_year;
    t[6] = (unsigned char)(1 | ((ms & 0x7F) << 1)); t[7] = (unsigned char)(((ms >> 7) & 7) << 1);
}

/* ---- instance lookup --------------------------------------------------------------------------- */
static JET_INSTANCE handle_of(int i) { return (JET_INSTANCE)(0x10000u * (unsigned)(i + 1)); }

static Instance *find_inst(JET_INSTANCE h, int *index) {
    if (h == 0 || h == INSTANCE_NIL || h % 0x10000u != 0) return NULL;
    JET_API_PTR i = h / 0x10000u - 1;
    if (i >= MAX_INST || !g_inst[i].inUse) return NULL;
    if (index) *index = (int)i;
    return &g_inst[i];
}

static Instance *inst_of_session(JET_SESID s, int *index) { return find_inst(s & ~(JET_API_PTR)0xFFFF, index); }

/* ---- log files --------------------------------------------------------------------------------- */
static void log_path_of(const Instance *in, int32_t gen, char *out) {
    char name[64];
    if (gen <= 0xFFFFF && (in->legacyFileNames & 2)) snprintf(name, sizeof name, "%s%05X.log", in->baseName, (unsigned)gen);
    else snprintf(name, sizeof name, "%s%08X.log", in->baseName, (unsigned)gen);
    path_join(out, in->logPath, name);
}

static void current_log_path(const Instance *in, char *out) {
    char name[16]; snprintf(name, sizeof name, "%s.log", in->baseName);
    path_join(out, in->logPath, name);
}

static void checkpoint_path(const Instance *in, char *out) {
    char name[16]; snprintf(name, sizeof name, "%s.chk", in->baseName);
    path_join(out, in->systemPath, name);
}

/* Generation of an archived log name "<base><5 or 8 hex>.log", or 0. */
static int32_t gen_from_name(const Instance *in, const char *name) {
    size_t b = strlen(in->baseName), n = strlen(name);
    if (n < b + 4 || strncasecmp(name, in->baseName, b) != 0 || strcasecmp(name + n - 4, ".log") != 0) return 0;
    size_t digits = n - b - 4;
    if (digits != 5 && digits != 8) return 0;
    int32_t g = 0;
    for (size_t i = 0; i < digits; i++) {
        char c = name[b + i]; int v;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
        else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else return 0;
        g = g * 16 + v;
    }
    return g;
}

/* Oldest and newest archived generation in a directory (0, 0 when none). */
static void gen_range_in(const Instance *in, const char *dir, int32_t *lo, int32_t *hi) {
    *lo = 0; *hi = 0;
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        int32_t g = gen_from_name(in, e->d_name);
        if (!g) continue;
        if (!*lo || g < *lo) *lo = g;
        if (g > *hi) *hi = g;
    }
    closedir(d);
}

/* XOR of the stored checksums of the segments that belong to this generation (ese-on-disk.md §5.7). */
static uint64_t segment_checksum_xor(const unsigned char *file, int64_t size, int32_t gen) {
    uint64_t acc = 0;
    uint16_t cbSec = (uint16_t)(file[8] | file[9] << 8);
    if (cbSec != 4096) return 0;
    int64_t nsec = size / 4096;
    for (int64_t i = 1; i + 1 < nsec; i++) {
        const unsigned char *s = file + i * 4096;
        uint16_t isec = (uint16_t)(s[10] | s[11] << 8);
        int32_t g; memcpy(&g, s + 12, 4);
        if (s[8] == 0 && s[9] == 0 && isec == i && g == gen) { uint64_t c; memcpy(&c, s, 8); acc ^= c; }
    }
    return acc;
}

/* Rolls the log: <base>.log becomes the archived name of its generation and a new current log with a
 * valid header (next generation, previous-generation time and accumulated checksum filled in) is made. */
static JET_ERR roll_log(Instance *in) {
    char cur[PATH_CAP], arch[PATH_CAP];
    current_log_path(in, cur);
    int64_t size = file_size(cur);
    if (size < 8192) return JET_errLogFileCorrupt;
    unsigned char *old = malloc((size_t)size);
    if (!old) return JET_errOutOfMemory;
    if (read_at(cur, 0, old, (size_t)size) != 0) { free(old); return JET_errDiskIO; }
    unsigned char hdr[4096];
    memcpy(hdr, old, 4096);
    uint32_t major = rd32(hdr, 32), updMinor = rd32(hdr, 648);
    uint64_t acc = segment_checksum_xor(old, size, in->currentGen);
    free(old);

    log_path_of(in, in->currentGen, arch);
    if (rename(cur, arch) != 0) return JET_errDiskIO;

    wr32(hdr, 4, (uint32_t)(in->currentGen + 1));
    memcpy(hdr + 24, hdr + 16, 8);         /* tmPrevGen = tmCreate of the generation just closed */
    now_logtime(hdr + 16);                 /* tmCreate */
    hdr[640] = 0; hdr[641] = 0; hdr[642] = 1; hdr[643] = 0; /* lgposCheckpoint = (0, 1, new gen) */
    wr32(hdr, 644, (uint32_t)(in->currentGen + 1));
    if (major >= 8 && updMinor >= 13) memcpy(hdr + 653, &acc, 8);
    seal(hdr, 4096);

    int fd = open(cur, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return JET_errDiskIO;
    int ok = ftruncate(fd, size) == 0 && pwrite(fd, hdr, 4096, 0) == 4096;
    close(fd);
    if (!ok) return JET_errDiskIO;

    in->currentGen++;
    /* An idle instance has nothing to flush: its checkpoint follows the log. */
    in->checkpointGen = in->currentGen;
    char chk[PATH_CAP]; unsigned char c[4096];
    checkpoint_path(in, chk);
    if (read_at(chk, 0, c, 4096) == 0 && sealed_ok(c, 4096)) {
        c[12] = 0; c[13] = 0; c[14] = 1; c[15] = 0;
        wr32(c, 16, (uint32_t)in->currentGen);
        seal(c, 4096);
        write_at(chk, 0, c, 4096);
        write_at(chk, 4096, c, 4096);
    }
    return JET_errSuccess;
}

/* A fresh log stream (generation 1) for an instance whose log directory has none. */
static JET_ERR create_first_log(Instance *in) {
    char cur[PATH_CAP]; unsigned char hdr[4096];
    memset(hdr, 0, sizeof hdr);
    current_log_path(in, cur);
    int64_t size = (int64_t)in->logFileSizeKiB * 1024;
    wr32(hdr, 4, 1);
    hdr[8] = 0x00; hdr[9] = 0x10;          /* cbSec 4096 */
    hdr[10] = 1;                           /* csecHeader */
    uint16_t csec = (uint16_t)(size / 4096); memcpy(hdr + 12, &csec, 2);
    uint16_t cbPage = (uint16_t)(g_pageSize == 4096 ? 0 : g_pageSize); memcpy(hdr + 14, &cbPage, 2);
    now_logtime(hdr + 16);
    wr32(hdr, 32, 8); wr32(hdr, 36, 4000); wr32(hdr, 40, 4);
    for (int i = 0; i < 4; i++) hdr[44 + i] = (unsigned char)(rand() & 0xFF);
    now_logtime(hdr + 48);
    memcpy(hdr + 56, "FAKEESENT", 9);
    wr32(hdr, 648, 3);
    wr32(hdr, 667, 3);
    seal(hdr, 4096);
    int fd = open(cur, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return JET_errDiskIO;
    int ok = ftruncate(fd, size) == 0 && pwrite(fd, hdr, 4096, 0) == 4096;
    close(fd);
    if (!ok) return JET_errDiskIO;
    memcpy(in->signLog, hdr + 44, 28);
    in->currentGen = in->checkpointGen = 1;
    return JET_errSuccess;
}

/* ---- instance lifecycle ------------------------------------------------------------------------ */
API JET_ERR JetCreateInstance2W(JET_INSTANCE *pinstance, const WCHAR *szInstanceName, const WCHAR *szDisplayName, JET_GRBIT grbit) {
    (void)szDisplayName; (void)grbit;
    ENTER("JetCreateInstance2W");
    if (!pinstance) return JET_errInvalidParameter;
    char name[256] = "";
    if (szInstanceName && w2u(szInstanceName, name, sizeof name) != 0) return JET_errInvalidParameter;
    for (int i = 0; i < MAX_INST; i++)
        if (g_inst[i].inUse && name[0] && strcmp(g_inst[i].name, name) == 0) return JET_errInstanceNameInUse;
    for (int i = 0; i < MAX_INST; i++) {
        if (g_inst[i].inUse) continue;
        g_inst[i] = g_defaults;
        g_inst[i].inUse = 1;
        snprintf(g_inst[i].name, sizeof g_inst[i].name, "%s", name);
        g_stopFlag[i] = 0;
        g_multiInstance = 1;
        *pinstance = handle_of(i);
        return JET_errSuccess;
    }
    return JET_errTooManyInstances;
}

static int any_initialized(void) {
    for (int i = 0; i < MAX_INST; i++) if (g_inst[i].inUse && g_inst[i].initialized) return 1;
    return 0;
}

API JET_ERR JetSetSystemParameterW(JET_INSTANCE *pinstance, JET_SESID sesid, uint32_t paramid, JET_API_PTR lParam, const WCHAR *szParam) {
    (void)sesid;
    ENTER("JetSetSystemParameterW");
    Instance *in = &g_defaults;
    if (pinstance && *pinstance != 0 && *pinstance != INSTANCE_NIL) {
        in = find_inst(*pinstance, NULL);
        if (!in) return JET_errInvalidInstance;
    }
    char s[PATH_CAP] = "";
    if (szParam && w2u(szParam, s, sizeof s) != 0) return JET_errInvalidPath;
    int fixedAfterInit = paramid == JET_paramSystemPath || paramid == JET_paramLogFilePath || paramid == JET_paramBaseName
        || paramid == JET_paramLogFileSize || paramid == JET_paramRecovery || paramid == JET_paramCircularLog;
    if (in->initialized && fixedAfterInit) return JET_errAfterInitialization;
    switch (paramid) {
    case JET_paramSystemPath: snprintf(in->systemPath, PATH_CAP, "%s", s); break;
    case JET_paramLogFilePath: snprintf(in->logPath, PATH_CAP, "%s", s); break;
    case JET_paramBaseName:
        if (strlen(s) != 3) return JET_errInvalidParameter;
        memcpy(in->baseName, s, 4);
        break;
    case JET_paramLogFileSize:
        if (lParam < 64 || lParam > 32768) return JET_errInvalidParameter;
        in->logFileSizeKiB = (uint32_t)lParam;
        break;
    case JET_paramCircularLog: in->circular = lParam != 0; break;
    case JET_paramRecovery:
        if (strcasecmp(s, "on") == 0) in->recoveryOn = 1;
        else if (strcasecmp(s, "off") == 0) in->recoveryOn = 0;
        else return JET_errInvalidParameter;
        break;
    case JET_paramDatabasePageSize:
        if (in != &g_defaults) return JET_errInvalidParameter; /* global only */
        if (lParam != 4096 && lParam != 8192 && lParam != 16384 && lParam != 32768) return JET_errInvalidParameter;
        if (any_initialized() && lParam != g_pageSize) return JET_errAfterInitialization;
        g_pageSize = (uint32_t)lParam;
        break;
    case JET_paramCreatePathIfNotExist: in->createPath = lParam != 0; break;
    case JET_paramLegacyFileNames: in->legacyFileNames = (uint32_t)lParam; break;
    default: break; /* every other parameter is accepted and has no effect here */
    }
    return JET_errSuccess;
}

static JET_ERR put_string(const char *s, WCHAR *out, uint32_t cbMax) {
    size_t units = u2w_len(s) + 1;
    if (!out) return JET_errSuccess;
    if (units * 2 > cbMax) return JET_errBufferTooSmall;
    u2w(s, out, cbMax / 2);
    return JET_errSuccess;
}

API JET_ERR JetGetSystemParameterW(JET_INSTANCE instance, JET_SESID sesid, uint32_t paramid, JET_API_PTR *plParam, WCHAR *szParam, uint32_t cbMax) {
    (void)sesid;
    ENTER("JetGetSystemParameterW");
    const Instance *in = &g_defaults;
    if (instance != 0 && instance != INSTANCE_NIL) {
        in = find_inst(instance, NULL);
        if (!in) return JET_errInvalidInstance;
    }
    switch (paramid) {
    case JET_paramSystemPath: return put_string(in->systemPath, szParam, cbMax);
    case JET_paramLogFilePath: return put_string(in->logPath, szParam, cbMax);
    case JET_paramBaseName: return put_string(in->baseName, szParam, cbMax);
    case JET_paramRecovery: return put_string(in->recoveryOn ? "on" : "off", szParam, cbMax);
    case JET_paramLogFileSize: if (plParam) *plParam = in->logFileSizeKiB; return JET_errSuccess;
    case JET_paramCircularLog: if (plParam) *plParam = (JET_API_PTR)in->circular; return JET_errSuccess;
    case JET_paramDatabasePageSize: if (plParam) *plParam = g_pageSize; return JET_errSuccess;
    case JET_paramCreatePathIfNotExist: if (plParam) *plParam = (JET_API_PTR)in->createPath; return JET_errSuccess;
    case JET_paramLegacyFileNames: if (plParam) *plParam = in->legacyFileNames; return JET_errSuccess;
    default: return JET_errInvalidParameter;
    }
}

API JET_ERR JetInit3W(JET_INSTANCE *pinstance, void *prstInfo, JET_GRBIT grbit) {
    (void)prstInfo; (void)grbit;
    ENTER("JetInit3W");
    if (!pinstance) return JET_errInvalidParameter;
    Instance *in = find_inst(*pinstance, NULL);
    if (!in) return JET_errInvalidInstance;
    if (in->initialized) return JET_errAlreadyInitialized;
    if (!is_dir(in->systemPath)) return JET_errInvalidSystemPath;
    if (!is_dir(in->logPath)) return JET_errInvalidLogDirectory;

    char cur[PATH_CAP]; unsigned char hdr[4096];
    current_log_path(in, cur);
    if (in->recoveryOn) {
        if (is_file(cur)) {
            if (read_at(cur, 0, hdr, 4096) != 0 || !sealed_ok(hdr, 4096)) return JET_errLogFileCorrupt;
            int64_t size = file_size(cur);
            if (size != (int64_t)in->logFileSizeKiB * 1024) return JET_errLogFileSizeMismatch;
            in->currentGen = (int32_t)rd32(hdr, 4);
            memcpy(in->signLog, hdr + 44, 28);
            in->checkpointGen = in->currentGen;
            char chk[PATH_CAP]; unsigned char c[4096];
            checkpoint_path(in, chk);
            if (read_at(chk, 0, c, 4096) == 0) {
                if (!sealed_ok(c, 4096) || memcmp(c + 20, in->signLog, 28) != 0) return JET_errBadCheckpointSignature;
                in->checkpointGen = (int32_t)rd32(c, 16);
            }
        } else {
            JET_ERR err = create_first_log(in);
            if (err < 0) return err;
        }
    }
    in->initialized = 1;
    return JET_errSuccess;
}

static void close_open_file(Backup *bk) {
    if (!bk->f.open) return;
    if (bk->f.fd >= 0) close(bk->f.fd);
    free(bk->f.header);
    memset(&bk->f, 0, sizeof bk->f);
    bk->f.fd = -1;
}

static void end_backup_state(Instance *in) {
    close_open_file(&in->bk);
    memset(&in->bk, 0, sizeof in->bk);
    in->bk.f.fd = -1;
}

API JET_ERR JetTerm2(JET_INSTANCE instance, JET_GRBIT grbit) {
    ENTER("JetTerm2");
    int idx;
    Instance *in = find_inst(instance, &idx);
    if (!in) return JET_errInvalidInstance;
    if (in->bk.active) {
        if (!(grbit & (JET_bitTermAbrupt | JET_bitTermStopBackup))) return JET_errBackupInProgress;
        end_backup_state(in);
    }
    memset(in, 0, sizeof *in);
    return JET_errSuccess;
}

API JET_ERR JetTerm(JET_INSTANCE instance) { return JetTerm2(instance, JET_bitTermAbrupt); }

API JET_ERR JetStopServiceInstance(JET_INSTANCE instance) {
    ENTER("JetStopServiceInstance");
    Instance *in = find_inst(instance, NULL);
    if (!in) return JET_errInvalidInstance;
    if (!in->initialized) return JET_errNotInitialized;
    in->stopService = 1;
    return JET_errSuccess;
}

/* Only sets a flag (and notes the call): safe to call from a status callback. */
API JET_ERR JetStopBackupInstance(JET_INSTANCE instance) {
    int idx;
    note_call("JetStopBackupInstance");
    if (!find_inst(instance, &idx)) return JET_errInvalidInstance;
    g_stopFlag[idx] = 1;
    return JET_errSuccess;
}

/* One allocation holding the array, the pointer arrays and the strings (freed by JetFreeBuffer). */
static JET_ERR build_info_block(const int *members, int n, uint32_t *pc, JET_INSTANCE_INFO_W **pp) {
    size_t bytes = sizeof(JET_INSTANCE_INFO_W) * (size_t)n;
    for (int k = 0; k < n; k++) {
        const Instance *in = &g_inst[members[k]];
        bytes += 3 * sizeof(WCHAR *) * (size_t)(in->ndb + 1);
        bytes += (u2w_len(in->name) + 1) * 2;
        for (int d = 0; d < in->ndb; d++) bytes += (u2w_len(in->db[d]) + 1) * 2;
    }
    bytes += 8 * (size_t)n; /* room to align each instance's pointer arrays */
    unsigned char *block = calloc(1, bytes + 16);
    if (!block) return JET_errOutOfMemory;
    JET_INSTANCE_INFO_W *arr = (JET_INSTANCE_INFO_W *)block;
    unsigned char *p = block + sizeof(JET_INSTANCE_INFO_W) * (size_t)n;
    for (int k = 0; k < n; k++) {
        const Instance *in = &g_inst[members[k]];
        p = block + (((size_t)(p - block) + 7) & ~(size_t)7);
        WCHAR **files = (WCHAR **)p; p += sizeof(WCHAR *) * (size_t)(in->ndb + 1);
        WCHAR **display = (WCHAR **)p; p += sizeof(WCHAR *) * (size_t)(in->ndb + 1);
        WCHAR **slv = (WCHAR **)p; p += sizeof(WCHAR *) * (size_t)(in->ndb + 1);
        arr[k].hInstanceId = handle_of(members[k]);
        arr[k].cDatabases = (JET_API_PTR)in->ndb;
        arr[k].szDatabaseFileName = files;
        arr[k].szDatabaseDisplayName = display;
        arr[k].szDatabaseSLVFileName_Obsolete = slv;
        if (in->name[0]) {
            arr[k].szInstanceName = (WCHAR *)p;
            p += (u2w(in->name, (WCHAR *)p, PATH_CAP) + 1) * 2;
        }
        for (int d = 0; d < in->ndb; d++) {
            files[d] = (WCHAR *)p;
            p += (u2w(in->db[d], (WCHAR *)p, PATH_CAP * 2) + 1) * 2;
        }
    }
    *pc = (uint32_t)n;
    *pp = n ? arr : NULL;
    if (!n) free(block);
    return JET_errSuccess;
}

API JET_ERR JetGetInstanceInfoW(uint32_t *pcInstanceInfo, JET_INSTANCE_INFO_W **paInstanceInfo) {
    ENTER("JetGetInstanceInfoW");
    if (!pcInstanceInfo || !paInstanceInfo) return JET_errInvalidParameter;
    int members[MAX_INST], n = 0;
    for (int i = 0; i < MAX_INST; i++) if (g_inst[i].inUse && g_inst[i].initialized) members[n++] = i;
    return build_info_block(members, n, pcInstanceInfo, paInstanceInfo);
}

API JET_ERR JetFreeBuffer(char *pbBuf) {
    ENTER("JetFreeBuffer");
    free(pbBuf);
    return JET_errSuccess;
}

/* Info level 0 (JET_InstanceMiscInfoLogSignature): the 28-byte JET_SIGNATURE of the log stream. */
API JET_ERR JetGetInstanceMiscInfo(JET_INSTANCE instance, void *pvResult, uint32_t cbMax, uint32_t infoLevel) {
    ENTER("JetGetInstanceMiscInfo");
    Instance *in = find_inst(instance, NULL);
    if (!in) return JET_errInvalidInstance;
    if (!in->initialized) return JET_errNotInitialized;
    if (infoLevel != 0 || !pvResult || cbMax < 28) return JET_errInvalidParameter;
    memcpy(pvResult, in->signLog, 28);
    return JET_errSuccess;
}

/* ---- sessions and attach ----------------------------------------------------------------------- */
static unsigned g_sessionCounter;

API JET_ERR JetBeginSessionW(JET_INSTANCE instance, JET_SESID *psesid, const WCHAR *szUserName, const WCHAR *szPassword) {
    (void)szUserName; (void)szPassword;
    ENTER("JetBeginSessionW");
    Instance *in = find_inst(instance, NULL);
    if (!in) return JET_errInvalidInstance;
    if (!in->initialized) return JET_errNotInitialized;
    if (!psesid) return JET_errInvalidParameter;
    *psesid = instance | (JET_API_PTR)(1 + (g_sessionCounter++ % 0xFFFE));
    return JET_errSuccess;
}

API JET_ERR JetEndSession(JET_SESID sesid, JET_GRBIT grbit) {
    (void)grbit;
    ENTER("JetEndSession");
    return inst_of_session(sesid, NULL) ? JET_errSuccess : JET_errInvalidParameter;
}

API JET_ERR JetAttachDatabaseW(JET_SESID sesid, const WCHAR *szFilename, JET_GRBIT grbit) {
    (void)grbit;
    ENTER("JetAttachDatabaseW");
    Instance *in = inst_of_session(sesid, NULL);
    if (!in) return JET_errInvalidParameter;
    if (in->bk.active) return JET_errBackupInProgress;
    char path[PATH_CAP];
    if (!szFilename || w2u(szFilename, path, sizeof path) != 0) return JET_errInvalidPath;
    for (int d = 0; d < in->ndb; d++) if (strcmp(in->db[d], path) == 0) return JET_wrnDatabaseAttached;
    if (!is_file(path)) return JET_errFileNotFound;
    unsigned char h[4096];
    if (read_at(path, 0, h, 4096) != 0 || rd32(h, 4) != 0x89ABCDEFu) return JET_errReadVerifyFailure;
    uint32_t cb = rd32(h, 236); if (cb == 0) cb = 4096;
    if (cb != g_pageSize) return JET_errPageSizeMismatch;
    if (in->ndb >= MAX_DB) return JET_errOutOfMemory;
    snprintf(in->db[in->ndb++], PATH_CAP, "%s", path);
    return JET_errSuccess;
}

API JET_ERR JetDetachDatabaseW(JET_SESID sesid, const WCHAR *szFilename) {
    ENTER("JetDetachDatabaseW");
    Instance *in = inst_of_session(sesid, NULL);
    if (!in) return JET_errInvalidParameter;
    if (in->bk.active) return JET_errBackupInProgress;
    if (!szFilename) { in->ndb = 0; return JET_errSuccess; }
    char path[PATH_CAP];
    if (w2u(szFilename, path, sizeof path) != 0) return JET_errInvalidPath;
    for (int d = 0; d < in->ndb; d++) {
        if (strcmp(in->db[d], path) != 0) continue;
        memmove(in->db[d], in->db[d + 1], (size_t)(in->ndb - d - 1) * PATH_CAP);
        in->ndb--;
        return JET_errSuccess;
    }
    return JET_errDatabaseNotFound;
}

/* ---- streaming backup core (shared by the exports and JetBackupInstanceW) ---------------------- */
static JET_ERR backup_instance(JET_INSTANCE h, Instance **pin, int *pidx) {
    int idx;
    Instance *in = find_inst(h, &idx);
    if (!in) return JET_errInvalidInstance;
    if (!in->initialized) return JET_errNotInitialized;
    if (in->stopService) return JET_errClientRequestToStopJetService;
    *pin = in; if (pidx) *pidx = idx;
    return JET_errSuccess;
}

/* Checks that apply to every call inside a running backup. */
static JET_ERR in_backup(Instance *in, int idx) {
    if (!in->bk.active) return JET_errNoBackup;
    if (g_stopFlag[idx]) { in->bk.stopped = 1; return JET_errBackupAbortByServer; }
    return JET_errSuccess;
}

static JET_ERR read_db_header(const char *path, unsigned char *hdr) {
    if (read_at(path, 0, hdr, g_pageSize) == 0 && sealed_ok(hdr, g_pageSize)) return JET_errSuccess;
    if (read_at(path, g_pageSize, hdr, g_pageSize) == 0 && sealed_ok(hdr, g_pageSize)) return JET_errSuccess;
    return JET_errReadVerifyFailure;
}

static JET_ERR core_begin(Instance *in, int idx, JET_GRBIT grbit) {
    if (!in->recoveryOn) return JET_errLoggingDisabled;
    if (in->bk.active) return JET_errBackupInProgress;
    if (g_restoreInProgress) return JET_errRestoreInProgress;
    int incremental = (grbit & JET_bitBackupIncremental) != 0;
    if (incremental && in->circular) return JET_errInvalidBackup;
    if (incremental) {
        for (int d = 0; d < in->ndb; d++) {
            unsigned char *h = malloc(g_pageSize);
            if (!h) return JET_errOutOfMemory;
            JET_ERR err = read_db_header(in->db[d], h);
            int hasFull = err == 0 && rd32(h, 136 + 16) != 0 && rd32(h, 356) == 0;
            free(h);
            if (err < 0) return err;
            if (!hasFull) return JET_errMissingFullBackup;
        }
    }
    end_backup_state(in);
    g_stopFlag[idx] = 0;
    in->bk.active = 1;
    in->bk.incremental = incremental;
    in->bk.genAtBegin = in->checkpointGen;
    in->bk.mark[0] = 0; in->bk.mark[1] = 0; in->bk.mark[2] = 1; in->bk.mark[3] = 0;
    memcpy(in->bk.mark + 4, &in->currentGen, 4);
    now_logtime(in->bk.markTime);
    return JET_errSuccess;
}

static int db_index(const Instance *in, const char *path) {
    for (int d = 0; d < in->ndb; d++) if (strcmp(in->db[d], path) == 0) return d;
    return -1;
}

/* First log-info call: roll the log and fix the copy and truncation ranges (ese-backup-api.md §6.4). */
static JET_ERR enter_log_phase(Instance *in) {
    Backup *bk = &in->bk;
    if (bk->logPhase) return JET_errSuccess;
    if (bk->f.open) return JET_errInvalidBackupSequence;
    JET_ERR err = roll_log(in);
    if (err < 0) return err;
    int32_t oldest, newest;
    gen_range_in(in, in->logPath, &oldest, &newest);
    if (!oldest) return JET_errFileNotFound;
    bk->copyHigh = in->currentGen;
    bk->copyLow = bk->incremental ? oldest : bk->genAtBegin;
    if (bk->incremental) {
        /* no gap between the newest generation recorded by the last backup and the oldest log on disk */
        uint32_t newestRecorded = 0;
        for (int d = 0; d < in->ndb; d++) {
            unsigned char *h = malloc(g_pageSize);
            if (!h) return JET_errOutOfMemory;
            if (read_db_header(in->db[d], h) == 0) {
                uint32_t a = rd32(h, 136 + 20), b = rd32(h, 160 + 20);
                if (a > newestRecorded) newestRecorded = a;
                if (b > newestRecorded) newestRecorded = b;
            }
            free(h);
        }
        if (newestRecorded && (uint32_t)oldest > newestRecorded + 1) return JET_errMissingFileToBackup;
    }
    bk->delLow = oldest;
    bk->delHigh = in->checkpointGen < bk->copyHigh ? in->checkpointGen : bk->copyHigh;
    if (!bk->incremental) {
        for (int d = 0; d < in->ndb; d++) {
            if (bk->dbDone[d]) continue;
            unsigned char *h = malloc(g_pageSize);
            if (!h) return JET_errOutOfMemory;
            if (read_db_header(in->db[d], h) == 0) {
                int32_t g = (int32_t)rd32(h, 136 + 20);
                if (g && g < bk->delHigh) bk->delHigh = g;
            }
            free(h);
        }
    }
    if (bk->delHigh < bk->delLow) bk->delHigh = bk->delLow;
    bk->logPhase = 1;
    return JET_errSuccess;
}

/* Writes a double-NUL list; pcbActual follows §2.4: required size without a buffer, bytes copied with one. */
static JET_ERR put_list(char (*items)[PATH_CAP], int n, WCHAR *out, uint32_t cbMax, uint32_t *pcbActual) {
    size_t units = 1;
    for (int k = 0; k < n; k++) units += u2w_len(items[k]) + 1;
    uint32_t required = (uint32_t)(units * 2);
    if (!out) { if (pcbActual) *pcbActual = required; return JET_errSuccess; }
    WCHAR *all = calloc(units + 2, sizeof(WCHAR));
    if (!all) return JET_errOutOfMemory;
    size_t o = 0;
    for (int k = 0; k < n; k++) o += u2w(items[k], all + o, units + 2 - o) + 1;
    all[o] = 0;
    uint32_t copy = cbMax < required ? cbMax : required; /* silently truncated, as the engine does */
    memcpy(out, all, copy);
    free(all);
    if (pcbActual) *pcbActual = copy;
    return JET_errSuccess;
}

static JET_ERR core_log_list(Instance *in, int truncateList, char (**items)[PATH_CAP], int *n) {
    Backup *bk = &in->bk;
    int32_t lo = truncateList ? bk->delLow : bk->copyLow, hi = truncateList ? bk->delHigh : bk->copyHigh;
    int cap = (hi > lo ? hi - lo : 0) + MAX_DB + 1;
    char (*list)[PATH_CAP] = calloc((size_t)cap, PATH_CAP);
    if (!list) return JET_errOutOfMemory;
    int k = 0;
    for (int32_t g = lo; g < hi; g++) {
        log_path_of(in, g, list[k]);
        if (truncateList && !is_file(list[k])) continue;
        k++;
    }
    if (!truncateList && bk->withPatchFiles) {
        for (int d = 0; d < in->ndb; d++) {
            snprintf(list[k], PATH_CAP, "%s", in->db[d]);
            char *dot = strrchr(list[k], '.');
            char *slash = strrchr(list[k], '/');
            if (dot && (!slash || dot > slash)) *dot = 0;
            strncat(list[k], ".pat", PATH_CAP - strlen(list[k]) - 1);
            k++;
        }
    }
    *items = list; *n = k;
    return JET_errSuccess;
}

static JET_ERR core_open(Instance *in, const char *path, int64_t *size) {
    Backup *bk = &in->bk;
    if (bk->f.open) return JET_errOutOfMemory; /* the handle table has one slot */
    int d = db_index(in, path);
    OpenFile f; memset(&f, 0, sizeof f); f.fd = -1;
    snprintf(f.path, PATH_CAP, "%s", path);
    if (d >= 0) {
        if (bk->logPhase || bk->incremental) return JET_errInvalidBackupSequence;
        f.header = malloc(g_pageSize);
        if (!f.header) return JET_errOutOfMemory;
        JET_ERR err = read_db_header(path, f.header);
        if (err < 0) { free(f.header); return err; }
        /* bkinfoFullCur = { mark, mark time, genLow = checkpoint generation at begin, genHigh = 0 } */
        memcpy(f.header + 184, bk->mark, 8);
        memcpy(f.header + 192, bk->markTime, 8);
        wr32(f.header, 200, (uint32_t)bk->genAtBegin);
        wr32(f.header, 204, 0);
        seal(f.header, g_pageSize);
        int64_t fs = file_size(path);
        int64_t pages = fs / g_pageSize - 2;
        if (pages < 1) { free(f.header); return JET_errReadVerifyFailure; }
        f.fd = open(path, O_RDONLY);
        if (f.fd < 0) { free(f.header); return JET_errFileNotFound; }
        f.isDb = 1; f.dbIndex = d;
        f.size = (pages + 3) * g_pageSize;
    } else {
        const char *name = base_of(path);
        size_t n = strlen(name);
        int isPat = n > 4 && strcasecmp(name + n - 4, ".pat") == 0;
        int32_t gen = gen_from_name(in, name);
        if (!bk->logPhase) return gen || isPat ? JET_errInvalidBackupSequence : JET_errDatabaseNotFound;
        if (!gen && !isPat) return JET_errInvalidParameter;
        if (!is_file(path)) return JET_errMissingFileToBackup;
        f.fd = open(path, O_RDONLY);
        if (f.fd < 0) return JET_errMissingFileToBackup;
        f.isLog = gen != 0; f.gen = gen;
        f.size = file_size(path);
    }
    f.open = 1;
    bk->f = f;
    *size = f.size;
    return JET_errSuccess;
}

/* The trailer page (ese-on-disk.md §3.6), built when the reader reaches it. */
static void build_trailer(Instance *in, unsigned char *page) {
    Backup *bk = &in->bk;
    memset(page, 0, g_pageSize);
    memcpy(page + 40, bk->mark, 8);
    memcpy(page + 48, bk->markTime, 8);
    wr32(page, 56, (uint32_t)bk->genAtBegin);
    wr32(page, 60, (uint32_t)in->currentGen);
    memcpy(page + 64, bk->f.header + 24, 28);  /* signDb */
    memcpy(page + 92, bk->f.header + 108, 28); /* signLog */
    wr32(page, 120, (uint32_t)bk->genAtBegin);
    wr32(page, 124, (uint32_t)in->currentGen);
    wr32(page, 128, (uint32_t)in->currentGen);
    char cur[PATH_CAP]; unsigned char t[8];
    current_log_path(in, cur);
    if (read_at(cur, 16, t, 8) == 0) { memcpy(page + 132, t, 8); memcpy(page + 140, t, 8); }
    seal(page, g_pageSize);
}

static JET_ERR core_read(Instance *in, void *pv, uint32_t cb, uint32_t *got) {
    Backup *bk = &in->bk;
    OpenFile *f = &bk->f;
    if (got) *got = 0;
    if (!pv || ((uintptr_t)pv % OS_PAGE) != 0) return JET_errInvalidParameter;
    if (cb == 0 || cb % g_pageSize != 0) return JET_errInvalidParameter;
    if (!f->firstReadDone && f->isDb && cb < 3 * g_pageSize) return JET_errInvalidParameter;
    if (!f->firstReadDone && f->isLog && cb < 2 * g_pageSize) return JET_errInvalidParameter;

    if (f->isDb) {
        JET_ERR inj = injected("db-read");
        if (inj) { close_open_file(bk); return inj; } /* the database is dropped from the set; the backup goes on */
    }
    if (f->isLog) {
        JET_ERR inj = injected("log-read");
        if (!inj && !f->firstReadDone) {
            unsigned char h[4096];
            if (pread(f->fd, h, 4096, 0) != 4096 || !sealed_ok(h, 4096) || (int32_t)rd32(h, 4) != f->gen) inj = JET_errLogReadVerifyFailure;
        }
        if (inj) { end_backup_state(in); return inj; } /* a log failure ends the whole backup */
    }
    f->firstReadDone = 1;

    unsigned char *out = pv;
    uint32_t n = 0;
    while (n < cb && f->pos < f->size) {
        int64_t pos = f->pos;
        uint32_t chunk;
        if (f->isDb && pos < 2 * (int64_t)g_pageSize) {
            chunk = g_pageSize;
            memcpy(out + n, f->header, g_pageSize);
        } else if (f->isDb && pos == f->size - g_pageSize) {
            chunk = g_pageSize;
            build_trailer(in, out + n);
        } else {
            int64_t limit = f->isDb ? f->size - g_pageSize : f->size;
            int64_t want = limit - pos;
            if (want > cb - n) want = cb - n;
            ssize_t r = pread(f->fd, out + n, (size_t)want, pos);
            if (r != want) return JET_errDiskIO;
            chunk = (uint32_t)want;
        }
        n += chunk;
        f->pos += chunk;
    }
    if (got) *got = n;
    return JET_errSuccess;
}

static void core_close(Instance *in) {
    Backup *bk = &in->bk;
    OpenFile *f = &bk->f;
    if (!f->open) return;
    if (f->pos == f->size) {
        if (f->isDb) bk->dbDone[f->dbIndex] = 1;
        if (f->isLog && f->gen >= bk->copyLow && f->gen < bk->copyHigh) bk->genSumCopied += f->gen;
    }
    close_open_file(bk);
}

static JET_ERR core_truncate(Instance *in) {
    Backup *bk = &in->bk;
    if (!bk->logPhase) return JET_errInvalidBackupSequence;
    int64_t expected = 0;
    for (int32_t g = bk->copyLow; g < bk->copyHigh; g++) expected += g;
    if (bk->genSumCopied != expected) return JET_errLogFileNotCopied;
    if (!in->circular) {
        for (int32_t g = bk->delLow; g < bk->delHigh; g++) {
            char p[PATH_CAP];
            log_path_of(in, g, p);
            if (unlink(p) == 0) g_truncatedFiles++;
        }
    }
    bk->truncated = 1;
    return JET_errSuccess;
}

/* Normal end: stamp each database header per the table in ese-backup-api.md §6.5. */
static void stamp_headers(Instance *in, int truncated) {
    Backup *bk = &in->bk;
    for (int d = 0; d < in->ndb; d++) {
        if (!bk->incremental && !bk->dbDone[d]) continue;
        unsigned char *h = malloc(g_pageSize);
        if (!h) return;
        if (read_db_header(in->db[d], h) != 0) { free(h); continue; }
        size_t field, typeField;
        if (!bk->incremental) { field = truncated ? 136 : 420; typeField = truncated ? 356 : 468; }
        else { field = truncated ? 160 : 444; typeField = truncated ? 360 : 472; }
        memcpy(h + field, bk->mark, 8);
        memcpy(h + field + 8, bk->markTime, 8);
        wr32(h, field + 16, (uint32_t)(bk->incremental ? bk->copyLow : bk->genAtBegin));
        wr32(h, field + 20, (uint32_t)(bk->copyHigh - 1));
        wr32(h, typeField, 0);
        if (!bk->incremental && truncated) {
            memset(h + 160, 0, 24); memset(h + 444, 0, 24); memset(h + 316, 0, 24);
        }
        seal(h, g_pageSize);
        write_at(in->db[d], 0, h, g_pageSize);
        write_at(in->db[d], g_pageSize, h, g_pageSize);
        free(h);
    }
}

static JET_ERR core_end(Instance *in, JET_GRBIT grbit) {
    int normal = (grbit & JET_bitBackupEndNormal) != 0, abort_ = (grbit & JET_bitBackupEndAbort) != 0;
    if (normal == abort_) return JET_errInvalidParameter;
    g_lastEndGrbit = (int32_t)grbit;
    if (abort_) g_endAbortCount++;
    file_note(abort_ ? "End(Abort)" : "End(Normal)");
    if (!in->bk.active) return JET_errNoBackup;
    if (normal && in->bk.logPhase && !in->bk.stopped) stamp_headers(in, in->bk.truncated || (grbit & JET_bitBackupTruncateDone));
    end_backup_state(in);
    return JET_errSuccess;
}

/* ---- streaming backup exports ------------------------------------------------------------------ */
API JET_ERR JetBeginExternalBackupInstance(JET_INSTANCE instance, JET_GRBIT grbit) {
    ENTER("JetBeginExternalBackupInstance");
    Instance *in; int idx;
    JET_ERR err = backup_instance(instance, &in, &idx);
    if (err < 0) return err;
    if (grbit & ~JET_bitBackupIncremental) return JET_errInvalidGrbit;
    return core_begin(in, idx, grbit);
}

API JET_ERR JetGetAttachInfoInstanceW(JET_INSTANCE instance, WCHAR *szzDatabases, uint32_t cbMax, uint32_t *pcbActual) {
    ENTER("JetGetAttachInfoInstanceW");
    Instance *in; int idx;
    JET_ERR err = backup_instance(instance, &in, &idx);
    if (err < 0 || (err = in_backup(in, idx)) < 0) return err;
    if (in->bk.incremental) return JET_errInvalidBackupSequence;
    return put_list(in->db, in->ndb, szzDatabases, cbMax, pcbActual);
}

API JET_ERR JetOpenFileInstanceW(JET_INSTANCE instance, const WCHAR *szFileName, JET_HANDLE *phfFile, uint32_t *pulFileSizeLow, uint32_t *pulFileSizeHigh) {
    ENTER("JetOpenFileInstanceW");
    Instance *in; int idx;
    JET_ERR err = backup_instance(instance, &in, &idx);
    if (err < 0 || (err = in_backup(in, idx)) < 0) return err;
    char path[PATH_CAP];
    if (!szFileName || !phfFile || !pulFileSizeLow || !pulFileSizeHigh) return JET_errInvalidParameter;
    if (w2u(szFileName, path, sizeof path) != 0) return JET_errInvalidPath;
    int64_t size;
    if ((err = core_open(in, path, &size)) < 0) return err;
    *phfFile = 0; /* the single slot's index */
    *pulFileSizeLow = (uint32_t)(size & 0xFFFFFFFFu);
    *pulFileSizeHigh = (uint32_t)(size >> 32);
    return JET_errSuccess;
}

API JET_ERR JetReadFileInstance(JET_INSTANCE instance, JET_HANDLE hfFile, void *pv, uint32_t cb, uint32_t *pcbActual) {
    ENTER("JetReadFileInstance");
    Instance *in; int idx;
    JET_ERR err = backup_instance(instance, &in, &idx);
    if (err < 0 || (err = in_backup(in, idx)) < 0) return err;
    if (hfFile != 0 || !in->bk.f.open) return JET_errInvalidParameter;
    return core_read(in, pv, cb, pcbActual);
}

API JET_ERR JetCloseFileInstance(JET_INSTANCE instance, JET_HANDLE hfFile) {
    ENTER("JetCloseFileInstance");
    Instance *in; int idx;
    JET_ERR err = backup_instance(instance, &in, &idx);
    if (err < 0) return err;
    if (!in->bk.active) return JET_errNoBackup;
    if (hfFile != 0 || !in->bk.f.open) return JET_errInvalidParameter;
    core_close(in);
    return JET_errSuccess;
}

static JET_ERR log_info(JET_INSTANCE instance, int truncateList, WCHAR *wszz, uint32_t cbMax, uint32_t *pcbActual, JET_LOGINFO_W *pLogInfo) {
    Instance *in; int idx;
    JET_ERR err = backup_instance(instance, &in, &idx);
    if (err < 0 || (err = in_backup(in, idx)) < 0) return err;
    if (pLogInfo && pLogInfo->cbSize != sizeof(JET_LOGINFO_W)) return JET_errInvalidParameter;
    if ((err = enter_log_phase(in)) < 0) return err;
    char (*items)[PATH_CAP]; int n;
    if ((err = core_log_list(in, truncateList, &items, &n)) < 0) return err;
    err = put_list(items, n, wszz, cbMax, pcbActual);
    free(items);
    if (err >= 0 && pLogInfo) {
        pLogInfo->ulGenLow = (uint32_t)in->bk.copyLow;
        pLogInfo->ulGenHigh = (uint32_t)(in->bk.copyHigh - 1);
        memset(pLogInfo->szBaseName, 0, sizeof pLogInfo->szBaseName);
        u2w(in->baseName, pLogInfo->szBaseName, 4);
    }
    return err;
}

API JET_ERR JetGetLogInfoInstanceW(JET_INSTANCE instance, WCHAR *wszzLogs, uint32_t cbMax, uint32_t *pcbActual) {
    ENTER("JetGetLogInfoInstanceW");
    return log_info(instance, 0, wszzLogs, cbMax, pcbActual, NULL);
}

API JET_ERR JetGetLogInfoInstance2W(JET_INSTANCE instance, WCHAR *wszzLogs, uint32_t cbMax, uint32_t *pcbActual, JET_LOGINFO_W *pLogInfo) {
    ENTER("JetGetLogInfoInstance2W");
    return log_info(instance, 0, wszzLogs, cbMax, pcbActual, pLogInfo);
}

API JET_ERR JetGetTruncateLogInfoInstanceW(JET_INSTANCE instance, WCHAR *wszzLogs, uint32_t cbMax, uint32_t *pcbActual) {
    ENTER("JetGetTruncateLogInfoInstanceW");
    return log_info(instance, 1, wszzLogs, cbMax, pcbActual, NULL);
}

API JET_ERR JetTruncateLogInstance(JET_INSTANCE instance) {
    ENTER("JetTruncateLogInstance");
    Instance *in; int idx;
    JET_ERR err = backup_instance(instance, &in, &idx);
    if (err < 0 || (err = in_backup(in, idx)) < 0) return err;
    return core_truncate(in);
}

API JET_ERR JetEndExternalBackupInstance2(JET_INSTANCE instance, JET_GRBIT grbit) {
    ENTER("JetEndExternalBackupInstance2");
    int idx;
    Instance *in = find_inst(instance, &idx);
    if (!in) return JET_errInvalidInstance;
    if (!in->initialized) return JET_errNotInitialized;
    return core_end(in, grbit);
}

API JET_ERR JetEndExternalBackupInstance(JET_INSTANCE instance) {
    return JetEndExternalBackupInstance2(instance, JET_bitBackupEndNormal);
}

/* ---- JetBackupInstanceW ------------------------------------------------------------------------ */
static JET_ERR status(JET_PFNSTATUS pfn, uint32_t snp, uint32_t snt, uint32_t done, uint32_t total) {
    if (!pfn) return JET_errSuccess;
    JET_SNPROG prog = { sizeof(JET_SNPROG), done, total };
    g_callbackCount++;
    g_lastCallbackResult = pfn((JET_SESID)~(JET_API_PTR)0, snp, snt, &prog);
    return JET_errSuccess; /* the engine ignores what the callback returns */
}

/* Copies one file through the streaming reader (open, read all with an aligned buffer, close). */
static JET_ERR copy_through_backup(Instance *in, int idx, const char *from, const char *toDir) {
    int64_t size;
    JET_ERR err = core_open(in, from, &size);
    if (err < 0) return err;
    char to[PATH_CAP];
    path_join(to, toDir, base_of(from));
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0) { close_open_file(&in->bk); return JET_errDiskIO; }
    uint32_t cb = 16 * g_pageSize;
    void *buf = aligned_alloc(OS_PAGE, cb);
    if (!buf) { close(out); close_open_file(&in->bk); return JET_errOutOfMemory; }
    for (;;) {
        if (g_stopFlag[idx]) { in->bk.stopped = 1; err = JET_errBackupAbortByServer; break; }
        uint32_t got = 0;
        if (!in->bk.f.open) { err = JET_errNoBackup; break; }
        err = core_read(in, buf, cb, &got);
        if (err < 0 || got == 0) break;
        if (write(out, buf, got) != (ssize_t)got) { err = JET_errDiskIO; break; }
    }
    free(buf);
    close(out);
    if (err >= 0) core_close(in);
    else if (in->bk.active) close_open_file(&in->bk);
    return err;
}

static JET_ERR backup_to_directory(Instance *in, int idx, const char *dir, JET_GRBIT grbit, JET_PFNSTATUS pfn) {
    int incremental = (grbit & JET_bitBackupIncremental) != 0, atomic = (grbit & JET_bitBackupAtomic) != 0;
    char target[PATH_CAP], temp[PATH_CAP], newDir[PATH_CAP], oldDir[PATH_CAP];
    JET_ERR err;
    if (!in->recoveryOn) return JET_errLoggingDisabled;
    if (incremental && in->circular) return JET_errInvalidBackup;
    if ((err = core_begin(in, idx, incremental ? JET_bitBackupIncremental : 0)) < 0) return err;
    in->bk.withPatchFiles = !incremental;

    if (in->createPath && mkdir_p(dir) != 0) { err = JET_errInvalidPath; goto fail; }
    if (!is_dir(dir)) { err = JET_errInvalidPath; goto fail; }
    path_join(temp, dir, "temp"); path_join(newDir, dir, "new"); path_join(oldDir, dir, "old");
    remove_dir_flat(temp);
    if (atomic) {
        if (is_dir(newDir)) { remove_dir_flat(oldDir); if (rename(newDir, oldDir) != 0) { err = JET_errDiskIO; goto fail; } }
        if (incremental) snprintf(target, PATH_CAP, "%s", oldDir);
        else {
            if (mkdir(temp, 0755) != 0) { err = JET_errMakeBackupDirectoryFail; goto fail; }
            snprintf(target, PATH_CAP, "%s", temp);
        }
    } else {
        if (incremental ? (is_dir(newDir) || is_dir(oldDir)) : !dir_is_empty(dir)) { err = JET_errBackupDirectoryNotEmpty; goto fail; }
        snprintf(target, PATH_CAP, "%s", dir);
    }

    if (!incremental) status(pfn, JET_snpBackup, JET_sntBegin, 0, 100);

    if (!incremental) {
        for (int d = 0; d < in->ndb; d++) {
            char pat[PATH_CAP];
            snprintf(pat, PATH_CAP, "%s", in->db[d]);
            char *dot = strrchr(pat, '.'), *slash = strrchr(pat, '/');
            if (dot && (!slash || dot > slash)) *dot = 0;
            strncat(pat, ".pat", PATH_CAP - strlen(pat) - 1);
            int fd = open(pat, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd >= 0) close(fd);
            if ((err = copy_through_backup(in, idx, in->db[d], target)) < 0) goto fail;
        }
    }

    /* The incremental checks are those of the streaming path (core_begin: -560 without a recorded full;
     * enter_log_phase: -569 for a gap after the newest generation the headers record). backup.cxx also has
     * a check of the log names in the target directory (-515), but its only caller passes no directory. */
    if ((err = enter_log_phase(in)) < 0) goto fail;
    char (*items)[PATH_CAP]; int n;
    if ((err = core_log_list(in, 0, &items, &n)) < 0) goto fail;
    for (int k = 0; k < n && err >= 0; k++) err = copy_through_backup(in, idx, items[k], target);
    free(items);
    if (err < 0) goto fail;

    if (atomic && !incremental) {
        if (rename(temp, newDir) != 0) { err = JET_errDiskIO; goto fail; }
        remove_dir_flat(oldDir);
    }
    if ((err = core_truncate(in)) < 0) goto fail;
    core_end(in, JET_bitBackupEndNormal);
    if (!incremental) status(pfn, JET_snpBackup, JET_sntComplete, 100, 100);
    return JET_errSuccess;

fail:
    core_end(in, JET_bitBackupEndAbort); /* JET_errNoBackup when a log failure already ended it */
    if (atomic && !incremental) remove_dir_flat(temp);
    return err;
}

API JET_ERR JetBackupInstanceW(JET_INSTANCE instance, const WCHAR *szBackupPath, JET_GRBIT grbit, JET_PFNSTATUS pfnStatus) {
    ENTER("JetBackupInstanceW");
    Instance *in; int idx;
    JET_ERR err = backup_instance(instance, &in, &idx);
    if (err < 0) return err;
    char dir[PATH_CAP];
    if (!szBackupPath || !szBackupPath[0]) return JET_errInvalidBackupSequence;
    if (w2u(szBackupPath, dir, sizeof dir) != 0) return JET_errInvalidPath;
    return backup_to_directory(in, idx, dir, grbit, pfnStatus);
}

API JET_ERR JetBackupW(const WCHAR *szBackupPath, JET_GRBIT grbit, JET_PFNSTATUS pfnStatus) {
    (void)szBackupPath; (void)grbit; (void)pfnStatus;
    ENTER("JetBackupW");
    return g_multiInstance ? JET_errRunningInMultiInstanceMode : JET_errNotInitialized;
}

/* ---- restore ----------------------------------------------------------------------------------- */
typedef struct { int32_t gen; char path[PATH_CAP]; } LogEntry;

static int cmp_log(const void *a, const void *b) { return ((const LogEntry *)a)->gen - ((const LogEntry *)b)->gen; }

/* Archived logs of a directory, any base name, sorted by generation. */
static int list_logs_any_base(const char *dir, LogEntry **out) {
    DIR *d = opendir(dir);
    *out = NULL;
    if (!d) return 0;
    int n = 0, cap = 0;
    LogEntry *list = NULL;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len != 12 && len != 15) continue;
        Instance probe; memset(&probe, 0, sizeof probe);
        memcpy(probe.baseName, e->d_name, 3);
        int32_t g = gen_from_name(&probe, e->d_name);
        if (!g) continue;
        if (n == cap) { cap = cap ? cap * 2 : 16; list = realloc(list, (size_t)cap * sizeof *list); if (!list) { closedir(d); return 0; } }
        list[n].gen = g;
        path_join(list[n].path, dir, e->d_name);
        n++;
    }
    closedir(d);
    qsort(list, (size_t)n, sizeof *list, cmp_log);
    *out = list;
    return n;
}

static JET_ERR restore_directory(const char *dirIn, const char *dest, JET_PFNSTATUS pfn) {
    char dir[PATH_CAP];
    LogEntry *logs = NULL;
    int nlogs;
    snprintf(dir, PATH_CAP, "%s", dirIn);
    if ((nlogs = list_logs_any_base(dir, &logs)) == 0) {
        path_join(dir, dirIn, "new");
        if ((nlogs = list_logs_any_base(dir, &logs)) == 0) {
            path_join(dir, dirIn, "old");
            nlogs = list_logs_any_base(dir, &logs);
        }
    }
    if (nlogs == 0) return JET_errFileNotFound;
    JET_ERR err = JET_errSuccess;
    unsigned char lh[4096], prev[4096];
    for (int k = 0; k < nlogs && err >= 0; k++) {
        if (read_at(logs[k].path, 0, lh, 4096) != 0 || !sealed_ok(lh, 4096)) { err = JET_errLogFileCorrupt; break; }
        if (k > 0) {
            if (logs[k].gen != logs[k - 1].gen + 1) err = JET_errMissingRestoreLogFiles;
            else if (memcmp(lh + 44, prev + 44, 28) != 0) err = JET_errGivenLogFileHasBadSignature;
            else if (memcmp(lh + 24, prev + 16, 8) != 0) err = JET_errGivenLogFileIsNotContiguous;
        }
        memcpy(prev, lh, 4096);
    }
    if (err < 0) { free(logs); return err; }
    if (!is_dir(dest)) { free(logs); return JET_errInvalidPath; }

    /* databases: one per <name>.pat */
    DIR *d = opendir(dir);
    if (!d) { free(logs); return JET_errFileNotFound; }
    char dbs[MAX_DB][PATH_CAP]; int ndb = 0;
    struct dirent *e;
    while ((e = readdir(d)) && ndb < MAX_DB) {
        size_t len = strlen(e->d_name);
        if (len <= 4 || strcasecmp(e->d_name + len - 4, ".pat") != 0) continue;
        DIR *d2 = opendir(dir); struct dirent *e2; int found = 0;
        while (d2 && (e2 = readdir(d2))) {
            size_t l2 = strlen(e2->d_name);
            if (l2 > len - 4 && strncmp(e2->d_name, e->d_name, len - 4) == 0 && e2->d_name[len - 4] == '.' && strcasecmp(e2->d_name + l2 - 4, ".pat") != 0) {
                path_join(dbs[ndb++], dir, e2->d_name); found = 1; break;
            }
        }
        if (d2) closedir(d2);
        if (!found) { err = JET_errFileNotFound; break; }
    }
    closedir(d);
    if (err >= 0 && ndb == 0) err = JET_errPatchFileMissing;
    if (err < 0) { free(logs); return err; }

    status(pfn, JET_snpRestore, JET_sntBegin, 0, (uint32_t)ndb);
    unsigned char *h = malloc(g_pageSize), *t = malloc(g_pageSize);
    for (int k = 0; k < ndb && err >= 0; k++) {
        int64_t fs = file_size(dbs[k]);
        if (!h || !t) { err = JET_errOutOfMemory; break; }
        if (read_db_header(dbs[k], h) < 0) { err = JET_errReadVerifyFailure; break; }
        uint32_t genLow = rd32(h, 200);
        if (genLow == 0) { err = JET_errRestoreOfNonBackupDatabase; break; }
        if (fs < 3 * (int64_t)g_pageSize || read_at(dbs[k], fs - g_pageSize, t, g_pageSize) != 0) { err = JET_errDatabasePatchFileMismatch; break; }
        uint32_t genHigh = rd32(t, 60);
        if (!sealed_ok(t, g_pageSize) || memcmp(t + 64, h + 24, 28) != 0 || memcmp(t + 92, h + 108, 28) != 0
            || memcmp(t + 40, h + 184, 8) != 0 || genHigh == 0) { err = JET_errDatabasePatchFileMismatch; break; }
        if (memcmp(h + 108, prev + 44, 28) != 0) { err = JET_errDatabaseLogSetMismatch; break; }
        if (logs[0].gen > (int32_t)genLow) { err = JET_errStartingRestoreLogTooHigh; break; }
        if (logs[nlogs - 1].gen < (int32_t)genHigh) { err = JET_errEndingRestoreLogTooLow; break; }

        char to[PATH_CAP];
        path_join(to, dest, base_of(dbs[k]));
        if (copy_file(dbs[k], to) != 0) { err = JET_errDiskIO; break; }
        /* header fix-up from the trailer, trailer zeroed; the fake does not replay logs, it marks the
         * copy consistent as a completed recovery would. */
        wr32(h, 296, rd32(t, 120));
        wr32(h, 300, rd32(t, 124));
        memset(h + 184, 0, 24);
        wr32(h, 52, 3);
        seal(h, g_pageSize);
        memset(t, 0, g_pageSize);
        if (write_at(to, 0, h, g_pageSize) || write_at(to, g_pageSize, h, g_pageSize) || write_at(to, fs - g_pageSize, t, g_pageSize)) err = JET_errDiskIO;
        status(pfn, JET_snpRestore, JET_sntProgress, (uint32_t)k + 1, (uint32_t)ndb);
    }
    free(h); free(t); free(logs);
    if (err >= 0) status(pfn, JET_snpRestore, JET_sntComplete, (uint32_t)ndb, (uint32_t)ndb);
    return err;
}

API JET_ERR JetRestoreInstanceW(JET_INSTANCE instance, const WCHAR *sz, const WCHAR *szDest, JET_PFNSTATUS pfn) {
    ENTER("JetRestoreInstanceW");
    if (g_restoreInProgress) return JET_errRestoreInProgress;
    if (instance != 0 && instance != INSTANCE_NIL) {
        Instance *in = find_inst(instance, NULL);
        if (!in) return JET_errInvalidInstance;
        if (in->initialized) return JET_errAfterInitialization;
    }
    char dir[PATH_CAP], dest[PATH_CAP];
    if (!sz || w2u(sz, dir, sizeof dir) != 0) return JET_errInvalidPath;
    if (!szDest || w2u(szDest, dest, sizeof dest) != 0) return JET_errInvalidParameter; /* the fake has no "original location" */
    g_restoreInProgress = 1;
    JET_ERR err = restore_directory(dir, dest, pfn);
    g_restoreInProgress = 0;
    return err;
}

API JET_ERR JetRestoreW(const WCHAR *sz, JET_PFNSTATUS pfn) {
    (void)sz; (void)pfn;
    ENTER("JetRestoreW");
    return g_multiInstance ? JET_errRunningInMultiInstanceMode : JET_errInvalidParameter;
}

/* ---- OS snapshot ------------------------------------------------------------------------------- */
static JET_ERR snap_check(JET_OSSNAPID id) {
    if (!g_snap.active || g_snap.id != id) return JET_errOSSnapshotInvalidSnapId;
    return JET_errSuccess;
}

API JET_ERR JetOSSnapshotPrepare(JET_OSSNAPID *psnapId, JET_GRBIT grbit) {
    ENTER("JetOSSnapshotPrepare");
    if (!psnapId) return JET_errInvalidParameter;
    if (g_snap.active) return JET_errOSSnapshotInvalidSequence;
    memset(&g_snap, 0, sizeof g_snap);
    g_snap.active = 1; g_snap.id = g_nextSnapId++; g_snap.grbit = grbit; g_snap.state = 1;
    if (!(grbit & JET_bitExplicitPrepare))
        for (int i = 0; i < MAX_INST; i++) g_snap.member[i] = g_inst[i].inUse && g_inst[i].initialized;
    *psnapId = g_snap.id;
    return JET_errSuccess;
}

API JET_ERR JetOSSnapshotPrepareInstance(JET_OSSNAPID snapId, JET_INSTANCE instance, JET_GRBIT grbit) {
    ENTER("JetOSSnapshotPrepareInstance");
    JET_ERR err = snap_check(snapId);
    if (err < 0) return err;
    if (grbit != 0) return JET_errInvalidGrbit;
    if (g_snap.state != 1 || !(g_snap.grbit & JET_bitExplicitPrepare)) return JET_errOSSnapshotInvalidSequence;
    int idx;
    Instance *in = find_inst(instance, &idx);
    if (!in) return JET_errInvalidInstance;
    if (!in->initialized || in->bk.active) return JET_errOSSnapshotNotAllowed;
    g_snap.member[idx] = 1;
    return JET_errSuccess;
}

static JET_ERR snap_info(uint32_t *pc, JET_INSTANCE_INFO_W **pp) {
    int members[MAX_INST], n = 0;
    for (int i = 0; i < MAX_INST; i++) if (g_snap.member[i] && g_inst[i].inUse) members[n++] = i;
    return build_info_block(members, n, pc, pp);
}

API JET_ERR JetOSSnapshotFreezeW(JET_OSSNAPID snapId, uint32_t *pcInstanceInfo, JET_INSTANCE_INFO_W **paInstanceInfo, JET_GRBIT grbit) {
    (void)grbit;
    ENTER("JetOSSnapshotFreezeW");
    JET_ERR err = snap_check(snapId);
    if (err < 0) return err;
    if (g_snap.state != 1) return JET_errOSSnapshotInvalidSequence;
    for (int i = 0; i < MAX_INST; i++) if (g_snap.member[i] && g_inst[i].bk.active) return JET_errOSSnapshotNotAllowed;
    if (!pcInstanceInfo || !paInstanceInfo) return JET_errInvalidParameter;
    if ((err = snap_info(pcInstanceInfo, paInstanceInfo)) < 0) return err;
    g_snap.state = 2;
    return JET_errSuccess;
}

API JET_ERR JetOSSnapshotGetFreezeInfoW(JET_OSSNAPID snapId, uint32_t *pcInstanceInfo, JET_INSTANCE_INFO_W **paInstanceInfo, JET_GRBIT grbit) {
    (void)grbit;
    ENTER("JetOSSnapshotGetFreezeInfoW");
    JET_ERR err = snap_check(snapId);
    if (err < 0) return err;
    if (g_snap.state != 2) return JET_errOSSnapshotInvalidSequence;
    if (!pcInstanceInfo || !paInstanceInfo) return JET_errInvalidParameter;
    return snap_info(pcInstanceInfo, paInstanceInfo);
}

API JET_ERR JetOSSnapshotThaw(JET_OSSNAPID snapId, JET_GRBIT grbit) {
    (void)grbit;
    ENTER("JetOSSnapshotThaw");
    JET_ERR err = snap_check(snapId);
    if (err < 0) return err;
    if (g_snap.state != 2) return JET_errOSSnapshotInvalidSequence;
    if (g_snap.grbit & JET_bitContinueAfterThaw) g_snap.state = 3;
    else memset(&g_snap, 0, sizeof g_snap); /* without ContinueAfterThaw, thaw ends the snapshot */
    return JET_errSuccess;
}

static JET_ERR snap_truncate(int only, JET_GRBIT grbit) {
    if (g_snap.state != 3) return JET_errOSSnapshotInvalidSequence;
    if ((g_snap.grbit & JET_bitCopySnapshot) || !(grbit & JET_bitAllDatabasesSnapshot)) return JET_errSuccess;
    for (int i = 0; i < MAX_INST; i++) {
        if (!g_snap.member[i] || (only >= 0 && i != only) || g_inst[i].circular) continue;
        int32_t lo, hi;
        gen_range_in(&g_inst[i], g_inst[i].logPath, &lo, &hi);
        for (int32_t g = lo; g && g < g_inst[i].checkpointGen; g++) {
            char p[PATH_CAP];
            log_path_of(&g_inst[i], g, p);
            if (unlink(p) == 0) g_truncatedFiles++;
        }
    }
    return JET_errSuccess;
}

API JET_ERR JetOSSnapshotTruncateLog(JET_OSSNAPID snapId, JET_GRBIT grbit) {
    ENTER("JetOSSnapshotTruncateLog");
    JET_ERR err = snap_check(snapId);
    return err < 0 ? err : snap_truncate(-1, grbit);
}

API JET_ERR JetOSSnapshotTruncateLogInstance(JET_OSSNAPID snapId, JET_INSTANCE instance, JET_GRBIT grbit) {
    ENTER("JetOSSnapshotTruncateLogInstance");
    JET_ERR err = snap_check(snapId);
    if (err < 0) return err;
    int idx;
    if (!find_inst(instance, &idx)) return JET_errInvalidInstance;
    if (!g_snap.member[idx]) return JET_errOSSnapshotInvalidSequence;
    return snap_truncate(idx, grbit);
}

API JET_ERR JetOSSnapshotEnd(JET_OSSNAPID snapId, JET_GRBIT grbit) {
    (void)grbit;
    ENTER("JetOSSnapshotEnd");
    JET_ERR err = snap_check(snapId);
    if (err < 0) return err;
    if (g_snap.state != 3 && !(grbit & JET_bitAbortSnapshot)) return JET_errOSSnapshotInvalidSequence;
    memset(&g_snap, 0, sizeof g_snap);
    return JET_errSuccess;
}

API JET_ERR JetOSSnapshotAbort(JET_OSSNAPID snapId, JET_GRBIT grbit) {
    (void)grbit;
    ENTER("JetOSSnapshotAbort");
    JET_ERR err = snap_check(snapId);
    if (err < 0) return err;
    memset(&g_snap, 0, sizeof g_snap);
    return JET_errSuccess;
}

/* ---- test-only exports ------------------------------------------------------------------------- */
API void FakeEsent_Reset(void) {
    for (int i = 0; i < MAX_INST; i++) { end_backup_state(&g_inst[i]); memset(&g_inst[i], 0, sizeof g_inst[i]); g_stopFlag[i] = 0; }
    set_defaults(&g_defaults);
    g_pageSize = 4096;
    g_multiInstance = 0;
    g_restoreInProgress = 0;
    memset(&g_snap, 0, sizeof g_snap);
    memset(g_inj, 0, sizeof g_inj);
    g_envRead = 0;
    g_callLogLen = 0; g_callLog[0] = 0;
    memset(g_calls, 0, sizeof g_calls);
    g_lastEndGrbit = -1;
    g_endAbortCount = g_callbackCount = g_truncatedFiles = 0;
    g_lastCallbackResult = 0;
}

/* Makes the (afterNCalls + 1)-th call of `point` return `err` once. Points are export names, plus
 * "db-read" and "log-read": a failed page / log read inside either backup path, with the engine's side
 * effects (a database read failure drops that database; a log read failure ends the backup). */
API void FakeEsent_InjectError(const WCHAR *point, int32_t err, int32_t afterNCalls) {
    char p[64];
    if (point && w2u(point, p, sizeof p) == 0) add_injection(p, err, afterNCalls);
}

API int32_t FakeEsent_CallCount(const WCHAR *name) {
    char n[64];
    if (!name || w2u(name, n, sizeof n) != 0) return -1;
    for (int i = 0; i < 64 && g_calls[i].name[0]; i++) if (strcmp(g_calls[i].name, n) == 0) return g_calls[i].count;
    return 0;
}

/* The export calls so far, "Name;Name;...", as UTF-8. Returns the length needed. */
API int32_t FakeEsent_GetCallLog(char *buf, int32_t cb) {
    if (buf && cb > 0) { snprintf(buf, (size_t)cb, "%s", g_callLog); }
    return (int32_t)g_callLogLen + 1;
}

API int32_t FakeEsent_LastEndGrbit(void) { return g_lastEndGrbit; }
API int32_t FakeEsent_EndAbortCount(void) { return g_endAbortCount; }
API int32_t FakeEsent_CallbackCount(void) { return g_callbackCount; }
API int32_t FakeEsent_LastCallbackResult(void) { return g_lastCallbackResult; }
API int32_t FakeEsent_TruncatedFileCount(void) { return g_truncatedFiles; }

API int32_t FakeEsent_BackupActive(JET_INSTANCE instance) {
    Instance *in = find_inst(instance, NULL);
    return in && in->bk.active;
}

API int32_t FakeEsent_OpenFileCount(void) {
    int n = 0;
    for (int i = 0; i < MAX_INST; i++) n += g_inst[i].inUse && g_inst[i].bk.f.open;
    return n;
}

__attribute__((constructor)) static void fake_init(void) { FakeEsent_Reset(); }
