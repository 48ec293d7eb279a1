/*
 * vssapi.dll ABI fake for the VSS requester tests (Linux CI).
 *
 * What it is: objects with the real vtable layouts (IUnknown + the slots of reference section 10) that
 * simulate the Volume Shadow Copy Service closely enough to drive the plugin's real interop and
 * requester logic:
 *   - writers are Writer Metadata Documents on disk (FakeVss_AddWriterFile); SaveAsXML returns them;
 *   - volumes are directories (FakeVss_AddVolume); the kernel32 fake maps paths below them to
 *     \\?\Volume{...}\ names;
 *   - a shadow copy is a copy of the volume directory made at DoSnapshotSet; its "device object" is
 *     that directory;
 *   - writer states follow the backup phases; an ESE-like writer (one with DATABASE_LOGFILES) deletes
 *     archived logs below its checkpoint at BackupComplete for full/incremental backups of components
 *     marked successful, as ESE writers do;
 *   - calls fail on request (FakeVss_SetFault, FakeVss_SetWriterFailure), wrong call orders answer
 *     VSS_E_BAD_STATE, and everything called is logged (FakeVss_GetLog).
 * What it is not: VSS. No COM marshalling, no real freeze, no providers, no security.
 *
 * CreateVssBackupComponents is exported under both names Windows' vssapi.dll has: the flat
 * CreateVssBackupComponentsInternal (what vsbackup.h's inline CreateVssBackupComponents calls, and
 * what the requester binds first) and the C++-decorated x64 name (the fallback, which the tests
 * resolve from this library too). The linker reads "@@" in a symbol name as a version tag, so the
 * decorated one is compiled under a placeholder of the same length and the same GNU hash, and the
 * build replaces the placeholder in the finished library (patch_export_name.c).
 *
 * Query answers S_FALSE with no enumerator when no snapshot matches, as VSS does (the VShadow sample
 * returns at S_FALSE without touching the enumerator), so the requester's handling of it runs here.
 */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "fake_common.h"
#include "vss_slots.h"

/* ------------------------------------------------------------------ constants */

#define VSS_S_ASYNC_PENDING ((HRESULT)0x00042309)
#define VSS_S_ASYNC_FINISHED ((HRESULT)0x0004230A)
#define VSS_S_ASYNC_CANCELLED ((HRESULT)0x0004230B)
#define VSS_E_BAD_STATE ((HRESULT)0x80042301)
#define VSS_E_OBJECT_NOT_FOUND ((HRESULT)0x80042308)
#define VSS_E_VOLUME_NOT_SUPPORTED ((HRESULT)0x8004230C)
#define VSS_E_OBJECT_ALREADY_EXISTS ((HRESULT)0x8004230D)
#define VSS_E_SNAPSHOT_SET_IN_PROGRESS ((HRESULT)0x80042316)

#define VSS_WS_STABLE 1
#define VSS_WS_WAITING_FOR_FREEZE 2
#define VSS_WS_WAITING_FOR_BACKUP_COMPLETE 5
#define VSS_WS_FAILED_AT_IDENTIFY 6

#define VSS_BT_FULL 1
#define VSS_BT_INCREMENTAL 2
#define VSS_OBJECT_SNAPSHOT_SET 2
#define VSS_OBJECT_SNAPSHOT 3
#define VSS_CTX_ALL ((int32_t)0xFFFFFFFF)
#define VSS_VOLSNAP_ATTR_PERSISTENT 1
#define VSS_SS_CREATED 12

#define ERROR_INVALID_PARAMETER 87
#define ERROR_INSUFFICIENT_BUFFER 122

#define FAULT_SYNC 0    /* the method returns the HRESULT */
#define FAULT_ASYNC 1   /* the method's IVssAsync completes with the HRESULT (no effect happens) */
#define FAULT_NEVER 2   /* the method's IVssAsync never completes */
#define FAULT_PENDING 3 /* the method's IVssAsync reports "pending" for hr more waits, then succeeds */

#define MAX_WRITERS 64
#define MAX_VOLUMES 8
#define MAX_SETS 32
#define MAX_SNAPS 8
#define MAX_COMPONENTS 16
#define MAX_FAULTS 32
#define PATH_CAP 1024

typedef void (*fnptr)(void);

/* ------------------------------------------------------------------ native structures */

typedef struct {
    GUID m_SnapshotId;
    GUID m_SnapshotSetId;
    int32_t m_lSnapshotsCount;
    WCHAR *m_pwszSnapshotDeviceObject;
    WCHAR *m_pwszOriginalVolumeName;
    WCHAR *m_pwszOriginatingMachine;
    WCHAR *m_pwszServiceMachine;
    WCHAR *m_pwszExposedName;
    WCHAR *m_pwszExposedPath;
    GUID m_ProviderId;
    int32_t m_lSnapshotAttributes;
    int64_t m_tsCreationTimestamp;
    int32_t m_eStatus;
} VSS_SNAPSHOT_PROP;

typedef struct {
    int32_t Type;
    VSS_SNAPSHOT_PROP Snap; /* the largest member of the VSS_OBJECT_UNION */
} VSS_OBJECT_PROP;

_Static_assert(sizeof(GUID) == 16, "GUID");
_Static_assert(sizeof(VSS_SNAPSHOT_PROP) == 128, "VSS_SNAPSHOT_PROP is 128 bytes on x64");
_Static_assert(offsetof(VSS_SNAPSHOT_PROP, m_pwszSnapshotDeviceObject) == 40, "device object at 40");
_Static_assert(offsetof(VSS_SNAPSHOT_PROP, m_pwszExposedPath) == 80, "exposed path at 80");
_Static_assert(offsetof(VSS_SNAPSHOT_PROP, m_ProviderId) == 88, "provider at 88");
_Static_assert(offsetof(VSS_SNAPSHOT_PROP, m_tsCreationTimestamp) == 112, "timestamp at 112");
_Static_assert(offsetof(VSS_SNAPSHOT_PROP, m_eStatus) == 120, "status at 120");
_Static_assert(sizeof(VSS_OBJECT_PROP) == 136, "VSS_OBJECT_PROP is 136 bytes on x64");

/* ------------------------------------------------------------------ state */

typedef struct {
    char *xml; /* UTF-8 document */
    GUID writer_id;
    GUID instance_id;
    char name[256];
    uint32_t schema;
    int state;
    HRESULT failure;
    char fail_phase[32];
    int fail_state;
    HRESULT fail_hr;
} writer;

typedef struct {
    char root[PATH_CAP];          /* with a trailing '/' */
    char shadow_parent[PATH_CAP]; /* where shadow copies of this volume go */
    char name[64];                /* \\?\Volume{...}\ */
} volume;

typedef struct {
    int used;
    GUID id;
    int owner; /* id of the requester object; 0 = made outside (an orphan from "another process") */
    int32_t context;
    int done;
    int count;
    GUID snap[MAX_SNAPS];
    int vol[MAX_SNAPS];
    char shadow[MAX_SNAPS][PATH_CAP];
    int64_t created;
} snapset;

typedef struct {
    char method[40];
    int first;
    int count;
    int kind;
    HRESULT hr;
} fault;

typedef struct {
    char method[40];
    int calls;
} counter;

static writer g_writers[MAX_WRITERS];
static int g_nwriters;
static volume g_volumes[MAX_VOLUMES];
static int g_nvolumes;
static snapset g_sets[MAX_SETS];
static int g_set_in_progress; /* requester id holding a set in creation, 0 = none */
static fault g_faults[MAX_FAULTS];
static int g_nfaults;
static counter g_counters[64];
static int g_ncounters;
static int g_live_objects;
static int g_live_prop_strings;
static int g_next_requester_id = 1;
static uint32_t g_guid_counter;
static char *g_log;
static size_t g_log_len;
static size_t g_log_cap;

/* ------------------------------------------------------------------ helpers */

static void logf_(const char *format, ...) __attribute__((format(printf, 1, 2)));

static void logf_(const char *format, ...)
{
    char line[2048];
    va_list args;
    va_start(args, format);
    int n = vsnprintf(line, sizeof line - 1, format, args);
    va_end(args);
    if (n < 0) {
        return;
    }
    if ((size_t)n > sizeof line - 2) {
        n = (int)sizeof line - 2;
    }
    line[n++] = '\n';
    if (g_log_len + (size_t)n + 1 > g_log_cap) {
        g_log_cap = (g_log_len + (size_t)n + 1) * 2;
        g_log = realloc(g_log, g_log_cap);
    }
    memcpy(g_log + g_log_len, line, (size_t)n);
    g_log_len += (size_t)n;
    g_log[g_log_len] = 0;
    /* FAKE_VSS_LOG=FILE: the log also goes to FILE, for a test whose fake runs in another process (the worker). */
    const char *copy_to = getenv("FAKE_VSS_LOG");
    FILE *f = copy_to != NULL ? fopen(copy_to, "a") : NULL;
    if (f != NULL) {
        fwrite(line, 1, (size_t)n, f);
        fclose(f);
    }
}

static GUID new_guid(uint16_t kind)
{
    GUID g;
    g.Data1 = ++g_guid_counter;
    g.Data2 = 0xFA4E;
    g.Data3 = kind;
    for (int i = 0; i < 8; i++) {
        g.Data4[i] = (uint8_t)(0xA0 + i);
    }
    return g;
}

static void guid_text(const GUID *g, char out[37])
{
    snprintf(out, 37, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", g->Data1, g->Data2, g->Data3, g->Data4[0],
             g->Data4[1], g->Data4[2], g->Data4[3], g->Data4[4], g->Data4[5], g->Data4[6], g->Data4[7]);
}

static int guid_parse(const char *text, GUID *g)
{
    unsigned d1, d2, d3, b[8];
    if (*text == '{') {
        text++;
    }
    if (sscanf(text, "%8x-%4x-%4x-%2x%2x-%2x%2x%2x%2x%2x%2x", &d1, &d2, &d3, &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
               &b[6], &b[7]) != 11) {
        return 0;
    }
    g->Data1 = d1;
    g->Data2 = (uint16_t)d2;
    g->Data3 = (uint16_t)d3;
    for (int i = 0; i < 8; i++) {
        g->Data4[i] = (uint8_t)b[i];
    }
    return 1;
}

static int guid_eq(const GUID *a, const GUID *b)
{
    return memcmp(a, b, sizeof(GUID)) == 0;
}

static int guid_null(const GUID *a)
{
    static const GUID zero;
    return guid_eq(a, &zero);
}

/* Copies the value of attribute `name` of the tag starting at `tag` (up to its '>'). */
static int tag_attr(const char *tag, const char *name, char *out, size_t cap)
{
    const char *end = strchr(tag, '>');
    char key[64];
    snprintf(key, sizeof key, " %s=\"", name);
    for (const char *p = tag; p != NULL && (end == NULL || p < end); p++) {
        p = strstr(p, key);
        if (p == NULL || (end != NULL && p > end)) {
            break;
        }
        p += strlen(key);
        const char *q = strchr(p, '"');
        if (q == NULL) {
            return 0;
        }
        size_t n = (size_t)(q - p) < cap - 1 ? (size_t)(q - p) : cap - 1;
        memcpy(out, p, n);
        out[n] = 0;
        return 1;
    }
    out[0] = 0;
    return 0;
}

/* The next tag named `element` (e.g. "<DATABASE_LOGFILES") at or after `from`. */
static const char *next_tag(const char *from, const char *element)
{
    size_t n = strlen(element);
    for (const char *p = strstr(from, element); p != NULL; p = strstr(p + 1, element)) {
        char after = p[n];
        if (after == ' ' || after == '\t' || after == '\r' || after == '\n' || after == '>' || after == '/') {
            return p;
        }
    }
    return NULL;
}

static char *read_file(const char *path, size_t *length)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)size + 1);
    size_t got = fread(data, 1, (size_t)size, f);
    fclose(f);
    data[got] = 0;
    *length = got;
    return data;
}

static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    if (in == NULL) {
        return -1;
    }
    FILE *out = fopen(to, "wb");
    if (out == NULL) {
        fclose(in);
        return -1;
    }
    char buffer[65536];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, in)) > 0) {
        fwrite(buffer, 1, n, out);
    }
    fclose(in);
    fclose(out);
    return 0;
}

static int copy_tree(const char *from, const char *to)
{
    mkdir(to, 0755);
    DIR *dir = opendir(from);
    if (dir == NULL) {
        return -1;
    }
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        char a[PATH_CAP * 2];
        char b[PATH_CAP * 2];
        snprintf(a, sizeof a, "%s/%s", from, e->d_name);
        snprintf(b, sizeof b, "%s/%s", to, e->d_name);
        struct stat st;
        if (lstat(a, &st) != 0) {
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            copy_tree(a, b);
        } else if (S_ISREG(st.st_mode)) {
            copy_file(a, b);
        }
    }
    closedir(dir);
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void remove_tree(const char *path)
{
    if (path[0] != 0) {
        nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
}

static int bump(const char *method)
{
    for (int i = 0; i < g_ncounters; i++) {
        if (strcmp(g_counters[i].method, method) == 0) {
            return ++g_counters[i].calls;
        }
    }
    if (g_ncounters < 64) {
        snprintf(g_counters[g_ncounters].method, sizeof g_counters[0].method, "%s", method);
        g_counters[g_ncounters].calls = 1;
        g_ncounters++;
    }
    return 1;
}

/* The fault armed for call number `call` of `method`, if any. */
static const fault *fault_for(const char *method, int call)
{
    for (int i = 0; i < g_nfaults; i++) {
        const fault *f = &g_faults[i];
        if (strcmp(f->method, method) == 0 && call >= f->first && (f->count <= 0 || call < f->first + f->count)) {
            return f;
        }
    }
    return NULL;
}

static WCHAR *dup_w(const char *utf8)
{
    WCHAR *w = utf8_to_w(utf8, strlen(utf8));
    g_live_prop_strings++;
    return w;
}

/* ------------------------------------------------------------------ IVssAsync */

typedef struct {
    fnptr *vtbl;
    int refs;
    HRESULT result;
    int never;
    int pending;
    int cancelled;
    char method[40];
} async_obj;

static fnptr g_async_vtbl[ASYNC_SLOT_COUNT];

static HRESULT not_implemented(void *self)
{
    (void)self;
    logf_("NOTIMPL");
    return E_NOTIMPL;
}

static HRESULT unknown_qi(void *self, const GUID *iid, void **out)
{
    (void)self;
    (void)iid;
    *out = NULL;
    return E_NOINTERFACE;
}

static uint32_t async_addref(async_obj *self)
{
    return (uint32_t)++self->refs;
}

static uint32_t async_release(async_obj *self)
{
    int left = --self->refs;
    if (left == 0) {
        g_live_objects--;
        free(self);
    }
    return (uint32_t)left;
}

static HRESULT async_cancel(async_obj *self)
{
    logf_("Cancel %s", self->method);
    if (!self->never && self->pending == 0) {
        return VSS_S_ASYNC_FINISHED;
    }
    self->cancelled = 1;
    return S_OK;
}

static HRESULT async_wait(async_obj *self, uint32_t milliseconds)
{
    if (self->cancelled) {
        return S_OK;
    }
    if (self->pending > 0) {
        self->pending--;
        return S_OK;
    }
    if (self->never) {
        uint32_t ms = milliseconds > 200 ? 200 : milliseconds;
        struct timespec pause = {0, (long)ms * 1000000L};
        nanosleep(&pause, NULL);
    }
    return S_OK;
}

static HRESULT async_query_status(async_obj *self, HRESULT *result, int32_t *reserved)
{
    if (result == NULL || reserved != NULL) {
        return E_INVALIDARG;
    }
    if (self->cancelled) {
        *result = VSS_S_ASYNC_CANCELLED;
    } else if (self->never || self->pending > 0) {
        *result = VSS_S_ASYNC_PENDING;
    } else {
        *result = self->result < 0 ? self->result : VSS_S_ASYNC_FINISHED;
    }
    return S_OK;
}

static async_obj *new_async(const char *method, HRESULT result)
{
    if (g_async_vtbl[0] == NULL) {
        for (int i = 0; i < ASYNC_SLOT_COUNT; i++) {
            g_async_vtbl[i] = (fnptr)not_implemented;
        }
        g_async_vtbl[ASYNC_QueryInterface] = (fnptr)unknown_qi;
        g_async_vtbl[ASYNC_AddRef] = (fnptr)async_addref;
        g_async_vtbl[ASYNC_Release] = (fnptr)async_release;
        g_async_vtbl[ASYNC_Cancel] = (fnptr)async_cancel;
        g_async_vtbl[ASYNC_Wait] = (fnptr)async_wait;
        g_async_vtbl[ASYNC_QueryStatus] = (fnptr)async_query_status;
    }
    async_obj *a = calloc(1, sizeof *a);
    a->vtbl = g_async_vtbl;
    a->refs = 1;
    a->result = result;
    snprintf(a->method, sizeof a->method, "%s", method);
    g_live_objects++;
    return a;
}

/*
 * Starts an asynchronous method: returns nonzero when its effect must be skipped (an injected async
 * failure or a never-completing operation). *out receives the IVssAsync either way.
 */
static int start_async(const char *method, int call, void **out)
{
    const fault *f = fault_for(method, call);
    async_obj *a = new_async(method, S_OK);
    *out = a;
    if (f == NULL || f->kind == FAULT_SYNC) {
        return 0;
    }
    if (f->kind == FAULT_NEVER) {
        a->never = 1;
        return 1;
    }
    if (f->kind == FAULT_PENDING) {
        a->pending = f->hr;
        return 0;
    }
    a->result = f->hr;
    return 1;
}

/* ------------------------------------------------------------------ IVssExamineWriterMetadata */

typedef struct {
    fnptr *vtbl;
    int refs;
    int writer;
} wm_obj;

static fnptr g_wm_vtbl[WM_SLOT_COUNT];

static uint32_t wm_addref(wm_obj *self)
{
    return (uint32_t)++self->refs;
}

static uint32_t wm_release(wm_obj *self)
{
    int left = --self->refs;
    if (left == 0) {
        g_live_objects--;
        free(self);
    }
    return (uint32_t)left;
}

static HRESULT wm_save_as_xml(wm_obj *self, BSTR *xml)
{
    if (xml == NULL) {
        return E_POINTER;
    }
    const char *text = g_writers[self->writer].xml;
    if (strncmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
    }
    WCHAR *w = utf8_to_w(text, strlen(text));
    *xml = SysAllocString(w);
    free(w);
    return S_OK;
}

static HRESULT wm_get_identity(wm_obj *self, GUID *instance, GUID *writer_id, BSTR *name, int32_t *usage, int32_t *source)
{
    const writer *w = &g_writers[self->writer];
    *instance = w->instance_id;
    *writer_id = w->writer_id;
    WCHAR *n = utf8_to_w(w->name, strlen(w->name));
    *name = SysAllocString(n);
    free(n);
    *usage = 0;
    *source = 0;
    return S_OK;
}

static wm_obj *new_wm(int writer_index)
{
    if (g_wm_vtbl[0] == NULL) {
        for (int i = 0; i < WM_SLOT_COUNT; i++) {
            g_wm_vtbl[i] = (fnptr)not_implemented;
        }
        g_wm_vtbl[WM_QueryInterface] = (fnptr)unknown_qi;
        g_wm_vtbl[WM_AddRef] = (fnptr)wm_addref;
        g_wm_vtbl[WM_Release] = (fnptr)wm_release;
        g_wm_vtbl[WM_GetIdentity] = (fnptr)wm_get_identity;
        g_wm_vtbl[WM_SaveAsXML] = (fnptr)wm_save_as_xml;
    }
    wm_obj *m = calloc(1, sizeof *m);
    m->vtbl = g_wm_vtbl;
    m->refs = 1;
    m->writer = writer_index;
    g_live_objects++;
    return m;
}

/* ------------------------------------------------------------------ IVssEnumObject */

typedef struct {
    fnptr *vtbl;
    int refs;
    int count;
    int position;
    int set[MAX_SETS * MAX_SNAPS];
    int snap[MAX_SETS * MAX_SNAPS];
} enum_obj;

static fnptr g_enum_vtbl[ENUM_SLOT_COUNT];

static uint32_t enum_addref(enum_obj *self)
{
    return (uint32_t)++self->refs;
}

static uint32_t enum_release(enum_obj *self)
{
    int left = --self->refs;
    if (left == 0) {
        g_live_objects--;
        free(self);
    }
    return (uint32_t)left;
}

static void fill_prop(int set_index, int snap_index, VSS_SNAPSHOT_PROP *p)
{
    const snapset *s = &g_sets[set_index];
    static const GUID software_provider = {0xb5946137, 0x7b9f, 0x4925, {0xaf, 0x80, 0x51, 0xab, 0xd6, 0x0b, 0x20, 0xd5}};
    memset(p, 0, sizeof *p);
    p->m_SnapshotId = s->snap[snap_index];
    p->m_SnapshotSetId = s->id;
    p->m_lSnapshotsCount = s->count;
    p->m_pwszSnapshotDeviceObject = dup_w(s->shadow[snap_index]);
    p->m_pwszOriginalVolumeName = dup_w(g_volumes[s->vol[snap_index]].name);
    p->m_pwszOriginatingMachine = dup_w("fakehost");
    p->m_pwszServiceMachine = dup_w("fakehost");
    p->m_ProviderId = software_provider;
    p->m_lSnapshotAttributes = s->context;
    p->m_tsCreationTimestamp = s->created;
    p->m_eStatus = VSS_SS_CREATED;
}

static HRESULT enum_next(enum_obj *self, uint32_t wanted, VSS_OBJECT_PROP *items, uint32_t *fetched)
{
    uint32_t n = 0;
    while (n < wanted && self->position < self->count) {
        int k = self->position++;
        if (!g_sets[self->set[k]].used) {
            continue;
        }
        items[n].Type = VSS_OBJECT_SNAPSHOT;
        fill_prop(self->set[k], self->snap[k], &items[n].Snap);
        n++;
    }
    *fetched = n;
    return n == wanted ? S_OK : S_FALSE;
}

/* ------------------------------------------------------------------ IVssBackupComponents */

typedef struct {
    int writer;
    int32_t type;
    char logical_path[512];
    char name[256];
    int succeeded; /* -1 = not reported */
} added_component;

typedef struct {
    fnptr *vtbl;
    int refs;
    int id;
    int initialized;
    int context_set;
    int32_t context;
    int state_set;
    int select_components;
    int bootable;
    int partial;
    int32_t type;
    int gathered;
    int enabled_n;
    GUID enabled[16];
    int disabled_n;
    GUID disabled[16];
    int listed_n;
    int listed[MAX_WRITERS];
    int ncomp;
    added_component comp[MAX_COMPONENTS];
    int set; /* index in g_sets, -1 = none */
    int prepared;
    int snapshot_done;
    int status_n;
    int status_writer[MAX_WRITERS];
} bc_obj;

static fnptr g_bc_vtbl[BC_SLOT_COUNT];

static int participates(const bc_obj *bc, int w)
{
    if (bc->enabled_n > 0) {
        int found = 0;
        for (int i = 0; i < bc->enabled_n; i++) {
            found |= guid_eq(&bc->enabled[i], &g_writers[w].writer_id);
        }
        if (!found) {
            return 0;
        }
    }
    for (int i = 0; i < bc->disabled_n; i++) {
        if (guid_eq(&bc->disabled[i], &g_writers[w].writer_id)) {
            return 0;
        }
    }
    return 1;
}

/* Moves every participating writer to `state`, unless it was told to fail at `phase`. */
static void writers_enter(const bc_obj *bc, const char *phase, int state)
{
    for (int w = 0; w < g_nwriters; w++) {
        if (!participates(bc, w)) {
            continue;
        }
        writer *wr = &g_writers[w];
        if (strcmp(wr->fail_phase, phase) == 0) {
            wr->state = wr->fail_state;
            wr->failure = wr->fail_hr;
        } else if (wr->failure == S_OK) {
            wr->state = state;
        }
    }
}

static void delete_set(int index)
{
    snapset *s = &g_sets[index];
    for (int k = 0; k < s->count; k++) {
        remove_tree(s->shadow[k]);
    }
    if (g_set_in_progress != 0 && g_set_in_progress == s->owner && !s->done) {
        g_set_in_progress = 0;
    }
    memset(s, 0, sizeof *s);
}

static uint32_t bc_addref(bc_obj *self)
{
    return (uint32_t)++self->refs;
}

static uint32_t bc_release(bc_obj *self)
{
    int left = --self->refs;
    if (left == 0) {
        logf_("Release");
        /* Non-persistent shadow copies live as long as the requester object; persistent ones stay. */
        for (int i = 0; i < MAX_SETS; i++) {
            if (g_sets[i].used && g_sets[i].owner == self->id) {
                if ((g_sets[i].context & VSS_VOLSNAP_ATTR_PERSISTENT) != 0 && g_sets[i].done) {
                    g_sets[i].owner = 0;
                } else {
                    delete_set(i);
                }
            }
        }
        if (g_set_in_progress == self->id) {
            g_set_in_progress = 0;
        }
        g_live_objects--;
        free(self);
    }
    return (uint32_t)left;
}

#define ENTER(method)                                                                                                  \
    int call_ = bump(method);                                                                                          \
    const fault *fault_ = fault_for(method, call_);                                                                    \
    if (fault_ != NULL && fault_->kind == FAULT_SYNC) {                                                                \
        logf_("%s -> 0x%08X (injected)", method, (unsigned)fault_->hr);                                                \
        return fault_->hr;                                                                                             \
    }

static HRESULT bc_initialize_for_backup(bc_obj *self, BSTR xml)
{
    logf_("InitializeForBackup xml=%s", xml == NULL ? "null" : "given");
    ENTER("InitializeForBackup");
    if (self->initialized) {
        return VSS_E_BAD_STATE;
    }
    self->initialized = 1;
    return S_OK;
}

static HRESULT bc_set_context(bc_obj *self, int32_t context)
{
    logf_("SetContext %d", context);
    ENTER("SetContext");
    if (!self->initialized || self->context_set || self->set >= 0) {
        return VSS_E_BAD_STATE;
    }
    self->context_set = 1;
    self->context = context;
    return S_OK;
}

static HRESULT bc_set_backup_state(bc_obj *self, uint8_t select, uint8_t bootable, int32_t type, uint8_t partial)
{
    logf_("SetBackupState select=%d bootable=%d type=%d partial=%d", select, bootable, type, partial);
    ENTER("SetBackupState");
    if (!self->initialized || self->prepared) {
        return VSS_E_BAD_STATE;
    }
    if (select > 1 || bootable > 1 || partial > 1) {
        return E_INVALIDARG;
    }
    self->state_set = 1;
    self->select_components = select;
    self->bootable = bootable;
    self->type = type;
    self->partial = partial;
    return S_OK;
}

static HRESULT writer_classes(bc_obj *self, const GUID *ids, uint32_t n, int enable)
{
    int *count = enable ? &self->enabled_n : &self->disabled_n;
    GUID *list = enable ? self->enabled : self->disabled;
    for (uint32_t i = 0; i < n && *count < 16; i++) {
        char text[37];
        guid_text(&ids[i], text);
        logf_("%s %s", enable ? "EnableWriterClasses" : "DisableWriterClasses", text);
        list[(*count)++] = ids[i];
    }
    return S_OK;
}

static HRESULT bc_enable_writer_classes(bc_obj *self, const GUID *ids, uint32_t n)
{
    ENTER("EnableWriterClasses");
    if (!self->initialized || self->gathered) {
        return VSS_E_BAD_STATE;
    }
    return writer_classes(self, ids, n, 1);
}

static HRESULT bc_disable_writer_classes(bc_obj *self, const GUID *ids, uint32_t n)
{
    ENTER("DisableWriterClasses");
    if (!self->initialized || self->gathered) {
        return VSS_E_BAD_STATE;
    }
    return writer_classes(self, ids, n, 0);
}

static HRESULT bc_gather_writer_metadata(bc_obj *self, void **async)
{
    logf_("GatherWriterMetadata");
    ENTER("GatherWriterMetadata");
    if (!self->initialized || async == NULL) {
        return VSS_E_BAD_STATE;
    }
    if (start_async("GatherWriterMetadata", call_, async)) {
        return S_OK;
    }
    writers_enter(self, "Identify", VSS_WS_STABLE);
    self->listed_n = 0;
    for (int w = 0; w < g_nwriters; w++) {
        if (participates(self, w) && g_writers[w].state != VSS_WS_FAILED_AT_IDENTIFY) {
            self->listed[self->listed_n++] = w;
        }
    }
    self->gathered = 1;
    return S_OK;
}

static HRESULT bc_get_writer_metadata_count(bc_obj *self, uint32_t *count)
{
    if (!self->gathered) {
        return VSS_E_BAD_STATE;
    }
    *count = (uint32_t)self->listed_n;
    return S_OK;
}

static HRESULT bc_get_writer_metadata(bc_obj *self, uint32_t index, GUID *instance, void **metadata)
{
    ENTER("GetWriterMetadata");
    if (!self->gathered) {
        return VSS_E_BAD_STATE;
    }
    if (index >= (uint32_t)self->listed_n) {
        return VSS_E_OBJECT_NOT_FOUND;
    }
    int w = self->listed[index];
    *instance = g_writers[w].instance_id;
    *metadata = new_wm(w);
    return S_OK;
}

static HRESULT bc_free_writer_metadata(bc_obj *self)
{
    logf_("FreeWriterMetadata");
    (void)self;
    return S_OK;
}

static int find_component_in_xml(const char *xml, const char *lp, const char *name, int32_t *type)
{
    static const char *const elements[] = {"<DATABASE", "<FILE_GROUP"};
    for (int e = 0; e < 2; e++) {
        for (const char *p = next_tag(xml, elements[e]); p != NULL; p = next_tag(p + 1, elements[e])) {
            char n[256];
            char l[512];
            tag_attr(p, "componentName", n, sizeof n);
            tag_attr(p, "logicalPath", l, sizeof l);
            if (strcasecmp(n, name) == 0 && strcasecmp(l, lp) == 0) {
                *type = e == 0 ? 1 : 2;
                return 1;
            }
        }
    }
    return 0;
}

static int find_writer(const GUID *instance, const GUID *writer_id)
{
    for (int w = 0; w < g_nwriters; w++) {
        if (guid_eq(&g_writers[w].writer_id, writer_id) && (instance == NULL || guid_eq(&g_writers[w].instance_id, instance))) {
            return w;
        }
    }
    return -1;
}

static HRESULT bc_add_component(bc_obj *self, GUID instance, GUID writer_id, int32_t type, const WCHAR *lp, const WCHAR *name)
{
    char *l = lp == NULL ? strdup("") : w_to_utf8(lp);
    char *n = w_to_utf8(name);
    char wid[37];
    guid_text(&writer_id, wid);
    logf_("AddComponent %s type=%d lp=%s name=%s", wid, type, lp == NULL ? "(null)" : l, n);
    int call_ = bump("AddComponent");
    const fault *f = fault_for("AddComponent", call_);
    HRESULT hr = S_OK;
    int w = find_writer(&instance, &writer_id);
    int32_t declared = 0;
    if (f != NULL && f->kind == FAULT_SYNC) {
        hr = f->hr;
    } else if (!self->gathered || self->prepared) {
        hr = VSS_E_BAD_STATE;
    } else if (w < 0 || !find_component_in_xml(g_writers[w].xml, l, n, &declared) || declared != type) {
        hr = VSS_E_OBJECT_NOT_FOUND;
    } else if (self->ncomp >= MAX_COMPONENTS) {
        hr = E_OUTOFMEMORY;
    } else {
        added_component *c = &self->comp[self->ncomp++];
        c->writer = w;
        c->type = type;
        snprintf(c->logical_path, sizeof c->logical_path, "%s", l);
        snprintf(c->name, sizeof c->name, "%s", n);
        c->succeeded = -1;
    }
    free(l);
    free(n);
    return hr;
}

static HRESULT bc_start_snapshot_set(bc_obj *self, GUID *set_id)
{
    logf_("StartSnapshotSet");
    ENTER("StartSnapshotSet");
    if (!self->initialized || self->set >= 0) {
        return VSS_E_BAD_STATE;
    }
    if (g_set_in_progress != 0) {
        return VSS_E_SNAPSHOT_SET_IN_PROGRESS;
    }
    for (int i = 0; i < MAX_SETS; i++) {
        if (!g_sets[i].used) {
            snapset *s = &g_sets[i];
            memset(s, 0, sizeof *s);
            s->used = 1;
            s->id = new_guid(0x5e7);
            s->owner = self->id;
            s->context = self->context;
            self->set = i;
            g_set_in_progress = self->id;
            *set_id = s->id;
            return S_OK;
        }
    }
    return E_OUTOFMEMORY;
}

static int volume_by_name(const char *name)
{
    for (int v = 0; v < g_nvolumes; v++) {
        if (strcasecmp(g_volumes[v].name, name) == 0) {
            return v;
        }
    }
    return -1;
}

static HRESULT bc_is_volume_supported(bc_obj *self, GUID provider, const WCHAR *volume_name, BOOL *supported)
{
    (void)self;
    (void)provider;
    char *v = w_to_utf8(volume_name);
    logf_("IsVolumeSupported %s", v);
    int known = volume_by_name(v) >= 0;
    free(v);
    ENTER("IsVolumeSupported");
    *supported = known ? 1 : 0;
    return S_OK;
}

static HRESULT bc_add_to_snapshot_set(bc_obj *self, const WCHAR *volume_name, GUID provider, GUID *snapshot_id)
{
    (void)provider;
    char *v = w_to_utf8(volume_name);
    logf_("AddToSnapshotSet %s", v);
    int index = volume_by_name(v);
    free(v);
    ENTER("AddToSnapshotSet");
    if (self->set < 0 || g_sets[self->set].done) {
        return VSS_E_BAD_STATE;
    }
    if (index < 0) {
        return VSS_E_VOLUME_NOT_SUPPORTED;
    }
    snapset *s = &g_sets[self->set];
    for (int k = 0; k < s->count; k++) {
        if (s->vol[k] == index) {
            return VSS_E_OBJECT_ALREADY_EXISTS;
        }
    }
    if (s->count >= MAX_SNAPS) {
        return E_OUTOFMEMORY;
    }
    s->vol[s->count] = index;
    s->snap[s->count] = new_guid(0x5a9);
    *snapshot_id = s->snap[s->count];
    s->count++;
    return S_OK;
}

static HRESULT bc_prepare_for_backup(bc_obj *self, void **async)
{
    logf_("PrepareForBackup");
    ENTER("PrepareForBackup");
    if (!self->gathered || !self->state_set) {
        return VSS_E_BAD_STATE;
    }
    if (start_async("PrepareForBackup", call_, async)) {
        return S_OK;
    }
    self->prepared = 1;
    writers_enter(self, "PrepareForBackup", VSS_WS_WAITING_FOR_FREEZE);
    return S_OK;
}

static HRESULT bc_gather_writer_status(bc_obj *self, void **async)
{
    logf_("GatherWriterStatus");
    ENTER("GatherWriterStatus");
    if (!self->initialized) {
        return VSS_E_BAD_STATE;
    }
    if (start_async("GatherWriterStatus", call_, async)) {
        return S_OK;
    }
    self->status_n = 0;
    for (int w = 0; w < g_nwriters; w++) {
        if (participates(self, w)) {
            self->status_writer[self->status_n++] = w;
        }
    }
    return S_OK;
}

static HRESULT bc_get_writer_status_count(bc_obj *self, uint32_t *count)
{
    *count = (uint32_t)self->status_n;
    return S_OK;
}

static HRESULT bc_get_writer_status(bc_obj *self, uint32_t index, GUID *instance, GUID *writer_id, BSTR *name,
                                    int32_t *state, HRESULT *failure)
{
    if (index >= (uint32_t)self->status_n) {
        return VSS_E_OBJECT_NOT_FOUND;
    }
    const writer *w = &g_writers[self->status_writer[index]];
    *instance = w->instance_id;
    *writer_id = w->writer_id;
    WCHAR *n = utf8_to_w(w->name, strlen(w->name));
    *name = SysAllocString(n);
    free(n);
    *state = w->state;
    *failure = w->failure;
    return S_OK;
}

static HRESULT bc_free_writer_status(bc_obj *self)
{
    self->status_n = 0;
    return S_OK;
}

static HRESULT bc_do_snapshot_set(bc_obj *self, void **async)
{
    logf_("DoSnapshotSet");
    ENTER("DoSnapshotSet");
    if (self->set < 0 || g_sets[self->set].done || g_sets[self->set].count == 0 || !self->prepared) {
        return VSS_E_BAD_STATE;
    }
    if (start_async("DoSnapshotSet", call_, async)) {
        return S_OK;
    }
    snapset *s = &g_sets[self->set];
    for (int k = 0; k < s->count; k++) {
        char set_text[37];
        guid_text(&s->id, set_text);
        snprintf(s->shadow[k], PATH_CAP, "%sshadow-%s-%d", g_volumes[s->vol[k]].shadow_parent, set_text, k);
        copy_tree(g_volumes[s->vol[k]].root, s->shadow[k]);
    }
    s->done = 1;
    s->created = (int64_t)time(NULL) * 10000000LL + 116444736000000000LL;
    g_set_in_progress = 0;
    self->snapshot_done = 1;
    writers_enter(self, "DoSnapshotSet", VSS_WS_WAITING_FOR_BACKUP_COMPLETE);
    return S_OK;
}

static HRESULT bc_get_snapshot_properties(bc_obj *self, GUID snapshot_id, VSS_SNAPSHOT_PROP *prop)
{
    (void)self;
    ENTER("GetSnapshotProperties");
    for (int i = 0; i < MAX_SETS; i++) {
        if (!g_sets[i].used || !g_sets[i].done) {
            continue;
        }
        for (int k = 0; k < g_sets[i].count; k++) {
            if (guid_eq(&g_sets[i].snap[k], &snapshot_id)) {
                fill_prop(i, k, prop);
                return S_OK;
            }
        }
    }
    return VSS_E_OBJECT_NOT_FOUND;
}

static HRESULT bc_set_backup_succeeded(bc_obj *self, GUID instance, GUID writer_id, int32_t type, const WCHAR *lp,
                                       const WCHAR *name, uint8_t succeeded)
{
    char *l = lp == NULL ? strdup("") : w_to_utf8(lp);
    char *n = w_to_utf8(name);
    logf_("SetBackupSucceeded lp=%s name=%s ok=%d", l, n, succeeded);
    int call_ = bump("SetBackupSucceeded");
    const fault *f = fault_for("SetBackupSucceeded", call_);
    HRESULT hr = VSS_E_OBJECT_NOT_FOUND;
    if (f != NULL && f->kind == FAULT_SYNC) {
        hr = f->hr;
    } else if (!self->snapshot_done) {
        hr = VSS_E_BAD_STATE;
    } else if (succeeded > 1) {
        hr = E_INVALIDARG;
    } else {
        int w = find_writer(&instance, &writer_id);
        for (int i = 0; i < self->ncomp; i++) {
            added_component *c = &self->comp[i];
            if (c->writer == w && c->type == type && strcasecmp(c->logical_path, l) == 0 && strcasecmp(c->name, n) == 0) {
                c->succeeded = succeeded;
                hr = S_OK;
            }
        }
    }
    free(l);
    free(n);
    return hr;
}

static void append(char **buffer, size_t *length, size_t *capacity, const char *text)
{
    size_t n = strlen(text);
    if (*length + n + 1 > *capacity) {
        *capacity = (*length + n + 1) * 2;
        *buffer = realloc(*buffer, *capacity);
    }
    memcpy(*buffer + *length, text, n + 1);
    *length += n;
}

static void append_escaped(char **buffer, size_t *length, size_t *capacity, const char *text)
{
    char one[2] = {0, 0};
    for (const char *p = text; *p != 0; p++) {
        switch (*p) {
        case '&':
            append(buffer, length, capacity, "&amp;");
            break;
        case '<':
            append(buffer, length, capacity, "&lt;");
            break;
        case '"':
            append(buffer, length, capacity, "&quot;");
            break;
        default:
            one[0] = *p;
            append(buffer, length, capacity, one);
        }
    }
}

static const char *backup_type_text(int32_t type)
{
    static const char *const names[] = {"undefined", "full", "incremental", "differential", "log", "copy", "other"};
    return type >= 0 && type <= 6 ? names[type] : "undefined";
}

static HRESULT bc_save_as_xml(bc_obj *self, BSTR *xml)
{
    logf_("SaveAsXML");
    ENTER("SaveAsXML");
    if (!self->initialized || xml == NULL) {
        return VSS_E_BAD_STATE;
    }
    char *doc = NULL;
    size_t length = 0;
    size_t capacity = 0;
    char line[512];
    char set_text[37] = "00000000-0000-0000-0000-000000000000";
    if (self->set >= 0) {
        guid_text(&g_sets[self->set].id, set_text);
    }
    snprintf(line, sizeof line,
             "<BACKUP_COMPONENTS xmlns=\"x-schema:#VssComponentMetadata\" version=\"1.2\" bootableSystemStateBackup=\"%s\" "
             "selectComponents=\"%s\" backupType=\"%s\" partialFileSupport=\"%s\" snapshotSetId=\"%s\">",
             self->bootable ? "yes" : "no", self->select_components ? "yes" : "no", backup_type_text(self->type),
             self->partial ? "yes" : "no", set_text);
    append(&doc, &length, &capacity, line);
    for (int w = 0; w < g_nwriters; w++) {
        int any = 0;
        for (int i = 0; i < self->ncomp; i++) {
            any |= self->comp[i].writer == w;
        }
        if (!any) {
            continue;
        }
        char instance[37];
        char wid[37];
        guid_text(&g_writers[w].instance_id, instance);
        guid_text(&g_writers[w].writer_id, wid);
        snprintf(line, sizeof line, "<WRITER_COMPONENTS instanceId=\"%s\" writerId=\"%s\" backupSchema=\"%u\">", instance,
                 wid, g_writers[w].schema);
        append(&doc, &length, &capacity, line);
        for (int i = 0; i < self->ncomp; i++) {
            const added_component *c = &self->comp[i];
            if (c->writer != w) {
                continue;
            }
            append(&doc, &length, &capacity, "<COMPONENT ");
            if (c->logical_path[0] != 0) {
                append(&doc, &length, &capacity, "logicalPath=\"");
                append_escaped(&doc, &length, &capacity, c->logical_path);
                append(&doc, &length, &capacity, "\" ");
            }
            append(&doc, &length, &capacity, "componentName=\"");
            append_escaped(&doc, &length, &capacity, c->name);
            append(&doc, &length, &capacity, c->type == 1 ? "\" componentType=\"database\"" : "\" componentType=\"filegroup\"");
            if (c->succeeded >= 0) {
                append(&doc, &length, &capacity, c->succeeded ? " backupSucceeded=\"yes\"" : " backupSucceeded=\"no\"");
            }
            append(&doc, &length, &capacity, "/>");
        }
        append(&doc, &length, &capacity, "</WRITER_COMPONENTS>");
    }
    append(&doc, &length, &capacity, "</BACKUP_COMPONENTS>");
    WCHAR *w = utf8_to_w(doc, length);
    *xml = SysAllocString(w);
    free(w);
    free(doc);
    return S_OK;
}

/* What an ESE writer does at BackupComplete: delete archived logs below the checkpoint generation. */
static void truncate_like_ese(const writer *w)
{
    char chk_dir[PATH_CAP] = "";
    char chk_spec[256] = "";
    for (const char *p = next_tag(w->xml, "<DATABASE_LOGFILES"); p != NULL; p = next_tag(p + 1, "<DATABASE_LOGFILES")) {
        char spec[256];
        tag_attr(p, "filespec", spec, sizeof spec);
        size_t n = strlen(spec);
        if (n > 4 && strcasecmp(spec + n - 4, ".chk") == 0) {
            tag_attr(p, "path", chk_dir, sizeof chk_dir);
            snprintf(chk_spec, sizeof chk_spec, "%s", spec);
        }
    }
    char chk_path[PATH_CAP * 2];
    snprintf(chk_path, sizeof chk_path, "%s/%s", chk_dir, chk_spec);
    FILE *f = fopen(chk_path, "rb");
    if (f == NULL) {
        logf_("Truncate skipped: no checkpoint");
        return;
    }
    uint8_t header[20];
    size_t got = fread(header, 1, sizeof header, f);
    fclose(f);
    if (got < sizeof header) {
        return;
    }
    /* lgposCheckpoint at offset 12: ib (2 bytes), isec (2 bytes), lGeneration (4 bytes). */
    int32_t checkpoint = (int32_t)(header[16] | header[17] << 8 | header[18] << 16 | (uint32_t)header[19] << 24);
    for (const char *p = next_tag(w->xml, "<DATABASE_LOGFILES"); p != NULL; p = next_tag(p + 1, "<DATABASE_LOGFILES")) {
        char dir_path[PATH_CAP];
        char spec[256];
        tag_attr(p, "path", dir_path, sizeof dir_path);
        tag_attr(p, "filespec", spec, sizeof spec);
        char *star = strchr(spec, '*');
        if (star == NULL || star - spec != 3) {
            continue;
        }
        DIR *dir = opendir(dir_path);
        if (dir == NULL) {
            continue;
        }
        int removed = 0;
        struct dirent *e;
        while ((e = readdir(dir)) != NULL) {
            size_t n = strlen(e->d_name);
            if ((n != 12 && n != 15) || strncasecmp(e->d_name, spec, 3) != 0 || strcasecmp(e->d_name + n - 4, ".log") != 0) {
                continue;
            }
            char hex[9] = {0};
            memcpy(hex, e->d_name + 3, n - 7);
            char *end = NULL;
            long generation = strtol(hex, &end, 16);
            if (end == NULL || *end != 0 || generation >= checkpoint) {
                continue;
            }
            char full[PATH_CAP * 2];
            snprintf(full, sizeof full, "%s/%s", dir_path, e->d_name);
            if (remove(full) == 0) {
                removed++;
            }
        }
        closedir(dir);
        logf_("Truncate below generation %d: removed %d log(s)", checkpoint, removed);
    }
}

static HRESULT bc_backup_complete(bc_obj *self, void **async)
{
    logf_("BackupComplete");
    ENTER("BackupComplete");
    if (!self->snapshot_done) {
        return VSS_E_BAD_STATE;
    }
    if (start_async("BackupComplete", call_, async)) {
        return S_OK;
    }
    writers_enter(self, "BackupComplete", VSS_WS_STABLE);
    if (self->type == VSS_BT_FULL || self->type == VSS_BT_INCREMENTAL) {
        for (int i = 0; i < self->ncomp; i++) {
            const writer *w = &g_writers[self->comp[i].writer];
            if (self->comp[i].succeeded == 1 && w->failure == S_OK && next_tag(w->xml, "<DATABASE_LOGFILES") != NULL) {
                truncate_like_ese(w);
            }
        }
    }
    return S_OK;
}

static HRESULT bc_abort_backup(bc_obj *self)
{
    logf_("AbortBackup");
    ENTER("AbortBackup");
    if (self->set >= 0 && g_sets[self->set].used && !g_sets[self->set].done) {
        delete_set(self->set);
        self->set = -1;
    }
    for (int w = 0; w < g_nwriters; w++) {
        if (participates(self, w) && g_writers[w].failure == S_OK) {
            g_writers[w].state = VSS_WS_STABLE;
        }
    }
    return S_OK;
}

static HRESULT bc_delete_snapshots(bc_obj *self, GUID source, int32_t type, BOOL force, int32_t *deleted, GUID *nondeleted)
{
    (void)force;
    char text[37];
    guid_text(&source, text);
    logf_("DeleteSnapshots %s type=%d force=%d", text, type, force);
    ENTER("DeleteSnapshots");
    *deleted = 0;
    memset(nondeleted, 0, sizeof *nondeleted);
    if (type != VSS_OBJECT_SNAPSHOT_SET) {
        return E_INVALIDARG;
    }
    for (int i = 0; i < MAX_SETS; i++) {
        if (g_sets[i].used && guid_eq(&g_sets[i].id, &source)) {
            *deleted = g_sets[i].count;
            delete_set(i);
            if (self->set == i) {
                self->set = -1;
            }
            return S_OK;
        }
    }
    return VSS_E_OBJECT_NOT_FOUND;
}

static void init_enum_vtbl(void)
{
    if (g_enum_vtbl[0] == NULL) {
        for (int i = 0; i < ENUM_SLOT_COUNT; i++) {
            g_enum_vtbl[i] = (fnptr)not_implemented;
        }
        g_enum_vtbl[ENUM_QueryInterface] = (fnptr)unknown_qi;
        g_enum_vtbl[ENUM_AddRef] = (fnptr)enum_addref;
        g_enum_vtbl[ENUM_Release] = (fnptr)enum_release;
        g_enum_vtbl[ENUM_Next] = (fnptr)enum_next;
    }
}

static HRESULT bc_query(bc_obj *self, GUID queried, int32_t queried_type, int32_t returned_type, void **out)
{
    logf_("Query type=%d returned=%d", queried_type, returned_type);
    ENTER("Query");
    if (!self->initialized || !guid_null(&queried) || returned_type != VSS_OBJECT_SNAPSHOT) {
        return E_INVALIDARG;
    }
    init_enum_vtbl();
    enum_obj *e = calloc(1, sizeof *e);
    e->vtbl = g_enum_vtbl;
    e->refs = 1;
    for (int i = 0; i < MAX_SETS; i++) {
        if (!g_sets[i].used || !g_sets[i].done || (self->context != VSS_CTX_ALL && g_sets[i].context != self->context)) {
            continue;
        }
        for (int k = 0; k < g_sets[i].count; k++) {
            e->set[e->count] = i;
            e->snap[e->count] = k;
            e->count++;
        }
    }
    if (e->count == 0) {
        free(e);
        *out = NULL;
        return S_FALSE;
    }
    g_live_objects++;
    *out = e;
    return S_OK;
}

static HRESULT bc_query_interface(bc_obj *self, const GUID *iid, void **out)
{
    /* IID_IUnknown and IID_IVssBackupComponents (665c1d5f-c218-414d-a05d-7fef5f9d5c86). */
    static const GUID unknown = {0x00000000, 0x0000, 0x0000, {0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46}};
    static const GUID backup = {0x665c1d5f, 0xc218, 0x414d, {0xa0, 0x5d, 0x7f, 0xef, 0x5f, 0x9d, 0x5c, 0x86}};
    if (guid_eq(iid, &unknown) || guid_eq(iid, &backup)) {
        self->refs++;
        *out = self;
        return S_OK;
    }
    *out = NULL;
    return E_NOINTERFACE;
}

static void init_bc_vtbl(void)
{
    if (g_bc_vtbl[0] != NULL) {
        return;
    }
    for (int i = 0; i < BC_SLOT_COUNT; i++) {
        g_bc_vtbl[i] = (fnptr)not_implemented;
    }
    g_bc_vtbl[BC_QueryInterface] = (fnptr)bc_query_interface;
    g_bc_vtbl[BC_AddRef] = (fnptr)bc_addref;
    g_bc_vtbl[BC_Release] = (fnptr)bc_release;
    g_bc_vtbl[BC_InitializeForBackup] = (fnptr)bc_initialize_for_backup;
    g_bc_vtbl[BC_SetBackupState] = (fnptr)bc_set_backup_state;
    g_bc_vtbl[BC_GatherWriterMetadata] = (fnptr)bc_gather_writer_metadata;
    g_bc_vtbl[BC_GetWriterMetadataCount] = (fnptr)bc_get_writer_metadata_count;
    g_bc_vtbl[BC_GetWriterMetadata] = (fnptr)bc_get_writer_metadata;
    g_bc_vtbl[BC_FreeWriterMetadata] = (fnptr)bc_free_writer_metadata;
    g_bc_vtbl[BC_AddComponent] = (fnptr)bc_add_component;
    g_bc_vtbl[BC_PrepareForBackup] = (fnptr)bc_prepare_for_backup;
    g_bc_vtbl[BC_AbortBackup] = (fnptr)bc_abort_backup;
    g_bc_vtbl[BC_GatherWriterStatus] = (fnptr)bc_gather_writer_status;
    g_bc_vtbl[BC_GetWriterStatusCount] = (fnptr)bc_get_writer_status_count;
    g_bc_vtbl[BC_FreeWriterStatus] = (fnptr)bc_free_writer_status;
    g_bc_vtbl[BC_GetWriterStatus] = (fnptr)bc_get_writer_status;
    g_bc_vtbl[BC_SetBackupSucceeded] = (fnptr)bc_set_backup_succeeded;
    g_bc_vtbl[BC_SaveAsXML] = (fnptr)bc_save_as_xml;
    g_bc_vtbl[BC_BackupComplete] = (fnptr)bc_backup_complete;
    g_bc_vtbl[BC_SetContext] = (fnptr)bc_set_context;
    g_bc_vtbl[BC_StartSnapshotSet] = (fnptr)bc_start_snapshot_set;
    g_bc_vtbl[BC_AddToSnapshotSet] = (fnptr)bc_add_to_snapshot_set;
    g_bc_vtbl[BC_DoSnapshotSet] = (fnptr)bc_do_snapshot_set;
    g_bc_vtbl[BC_DeleteSnapshots] = (fnptr)bc_delete_snapshots;
    g_bc_vtbl[BC_GetSnapshotProperties] = (fnptr)bc_get_snapshot_properties;
    g_bc_vtbl[BC_Query] = (fnptr)bc_query;
    g_bc_vtbl[BC_IsVolumeSupported] = (fnptr)bc_is_volume_supported;
    g_bc_vtbl[BC_DisableWriterClasses] = (fnptr)bc_disable_writer_classes;
    g_bc_vtbl[BC_EnableWriterClasses] = (fnptr)bc_enable_writer_classes;
}

/* ------------------------------------------------------------------ exports */

static HRESULT create_backup_components(void **out, const char *export_name);

HRESULT fake_create_backup_components(void **out) __asm__("fake_vss_decorated_create_placeholder__________________Divqtyl");

EXPORT HRESULT fake_create_backup_components(void **out)
{
    return create_backup_components(out, "decorated");
}

EXPORT HRESULT CreateVssBackupComponentsInternal(void **out)
{
    return create_backup_components(out, "Internal");
}

static HRESULT create_backup_components(void **out, const char *export_name)
{
    logf_("CreateVssBackupComponents export=%s", export_name);
    int call_ = bump("CreateVssBackupComponents");
    const fault *f = fault_for("CreateVssBackupComponents", call_);
    if (out == NULL) {
        return E_POINTER;
    }
    *out = NULL;
    if (f != NULL && f->kind == FAULT_SYNC) {
        return f->hr;
    }
    init_bc_vtbl();
    bc_obj *bc = calloc(1, sizeof *bc);
    bc->vtbl = g_bc_vtbl;
    bc->refs = 1;
    bc->id = g_next_requester_id++;
    bc->set = -1;
    g_live_objects++;
    *out = bc;
    return S_OK;
}

EXPORT void VssFreeSnapshotProperties(VSS_SNAPSHOT_PROP *prop)
{
    WCHAR **strings[] = {&prop->m_pwszSnapshotDeviceObject, &prop->m_pwszOriginalVolumeName, &prop->m_pwszOriginatingMachine,
                         &prop->m_pwszServiceMachine, &prop->m_pwszExposedName, &prop->m_pwszExposedPath};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
        if (*strings[i] != NULL) {
            free(*strings[i]);
            *strings[i] = NULL;
            g_live_prop_strings--;
        }
    }
}

/* Used by the kernel32 fake: the registered volume root holding `path`, or "/" for anything else. */
EXPORT int FakeVss_MountPointOf(const WCHAR *path, WCHAR *out, uint32_t capacity)
{
    char *p = w_to_utf8(path);
    const char *mount = "/";
    size_t best = 0;
    for (int v = 0; v < g_nvolumes; v++) {
        const char *root = g_volumes[v].root;
        size_t n = strlen(root);
        size_t plen = strlen(p);
        int inside = strncmp(p, root, n) == 0 || (plen == n - 1 && strncmp(p, root, plen) == 0);
        if (inside && n > best) {
            best = n;
            mount = root;
        }
    }
    free(p);
    WCHAR *w = utf8_to_w(mount, strlen(mount));
    size_t n = wlen(w);
    int rc = 0;
    if (n + 1 > capacity) {
        rc = ERROR_INSUFFICIENT_BUFFER;
    } else {
        memcpy(out, w, (n + 1) * sizeof(WCHAR));
    }
    free(w);
    return rc;
}

/* Used by the kernel32 fake: the \\?\Volume{...}\ name of a registered volume root. */
EXPORT int FakeVss_VolumeNameOf(const WCHAR *mount_point, WCHAR *out, uint32_t capacity)
{
    char *m = w_to_utf8(mount_point);
    int rc = ERROR_INVALID_PARAMETER;
    for (int v = 0; v < g_nvolumes; v++) {
        if (strcmp(g_volumes[v].root, m) == 0) {
            WCHAR *w = utf8_to_w(g_volumes[v].name, strlen(g_volumes[v].name));
            size_t n = wlen(w);
            if (n + 1 > capacity) {
                rc = ERROR_INSUFFICIENT_BUFFER;
            } else {
                memcpy(out, w, (n + 1) * sizeof(WCHAR));
                rc = 0;
            }
            free(w);
            break;
        }
    }
    free(m);
    return rc;
}

/* ------------------------------------------------------------------ test-only exports */

/* Forgets writers, volumes, faults, counters, the log and every snapshot set (shadow directories are removed). */
EXPORT void FakeVss_Reset(void)
{
    for (int w = 0; w < g_nwriters; w++) {
        free(g_writers[w].xml);
    }
    memset(g_writers, 0, sizeof g_writers);
    g_nwriters = 0;
    for (int i = 0; i < MAX_SETS; i++) {
        if (g_sets[i].used) {
            delete_set(i);
        }
    }
    memset(g_volumes, 0, sizeof g_volumes);
    g_nvolumes = 0;
    g_set_in_progress = 0;
    g_nfaults = 0;
    g_ncounters = 0;
    g_log_len = 0;
    if (g_log != NULL) {
        g_log[0] = 0;
    }
}

/* Simulates the writer described by a Writer Metadata Document (UTF-8). Returns its index or -1. */
EXPORT int FakeVss_AddWriterFile(const char *path)
{
    size_t length = 0;
    char *xml = read_file(path, &length);
    if (xml == NULL || g_nwriters >= MAX_WRITERS) {
        free(xml);
        return -1;
    }
    writer *w = &g_writers[g_nwriters];
    memset(w, 0, sizeof *w);
    w->xml = xml;
    const char *id = next_tag(xml, "<IDENTIFICATION");
    char text[256];
    if (id == NULL || !tag_attr(id, "writerId", text, sizeof text) || !guid_parse(text, &w->writer_id)) {
        free(xml);
        return -1;
    }
    tag_attr(id, "instanceId", text, sizeof text);
    guid_parse(text, &w->instance_id);
    tag_attr(id, "friendlyName", w->name, sizeof w->name);
    const char *root = next_tag(xml, "<WRITER_METADATA");
    if (root != NULL && tag_attr(root, "backupSchema", text, sizeof text)) {
        w->schema = (uint32_t)strtoul(text, NULL, 10);
    }
    w->state = VSS_WS_STABLE;
    return g_nwriters++;
}

/* Registers a directory as a volume; shadow copies of it are made under shadowParent. Returns its index. */
EXPORT int FakeVss_AddVolume(const char *root, const char *shadow_parent)
{
    if (g_nvolumes >= MAX_VOLUMES) {
        return -1;
    }
    volume *v = &g_volumes[g_nvolumes];
    size_t n = strlen(root);
    snprintf(v->root, sizeof v->root, "%s%s", root, n > 0 && root[n - 1] == '/' ? "" : "/");
    n = strlen(shadow_parent);
    snprintf(v->shadow_parent, sizeof v->shadow_parent, "%s%s", shadow_parent, n > 0 && shadow_parent[n - 1] == '/' ? "" : "/");
    snprintf(v->name, sizeof v->name, "\\\\?\\Volume{%08x-0000-4000-8000-00000000fa4e}\\", 0x7001 + g_nvolumes);
    return g_nvolumes++;
}

/* Arms a fault for calls first .. first+count-1 of `method` (count <= 0: every call from `first`). */
EXPORT void FakeVss_SetFault(const char *method, int first, int count, int kind, int hr)
{
    if (g_nfaults < MAX_FAULTS) {
        fault *f = &g_faults[g_nfaults++];
        snprintf(f->method, sizeof f->method, "%s", method);
        f->first = first;
        f->count = count;
        f->kind = kind;
        f->hr = hr;
    }
}

/* Makes writer `index` enter `state` with failure `hr` at phase Identify, PrepareForBackup, DoSnapshotSet or BackupComplete. */
EXPORT void FakeVss_SetWriterFailure(int index, const char *phase, int state, int hr)
{
    if (index >= 0 && index < g_nwriters) {
        snprintf(g_writers[index].fail_phase, sizeof g_writers[index].fail_phase, "%s", phase);
        g_writers[index].fail_state = state;
        g_writers[index].fail_hr = hr;
    }
}

/* A finished snapshot set of `volume` that no requester object owns (left behind by a crashed process). */
EXPORT int FakeVss_AddOrphanSnapshotSet(const uint8_t *set_id, int volume_index, int32_t context)
{
    for (int i = 0; i < MAX_SETS; i++) {
        if (!g_sets[i].used) {
            snapset *s = &g_sets[i];
            memset(s, 0, sizeof *s);
            s->used = 1;
            memcpy(&s->id, set_id, sizeof(GUID));
            s->owner = 0;
            s->context = context;
            s->done = 1;
            s->count = 1;
            s->vol[0] = volume_index;
            s->snap[0] = new_guid(0x0e9);
            char text[37];
            guid_text(&s->id, text);
            snprintf(s->shadow[0], PATH_CAP, "%sorphan-%s", g_volumes[volume_index].shadow_parent, text);
            copy_tree(g_volumes[volume_index].root, s->shadow[0]);
            return i;
        }
    }
    return -1;
}

/* Whether a snapshot set with this id exists. */
EXPORT int FakeVss_SnapshotSetExists(const uint8_t *set_id)
{
    GUID id;
    memcpy(&id, set_id, sizeof id);
    for (int i = 0; i < MAX_SETS; i++) {
        if (g_sets[i].used && guid_eq(&g_sets[i].id, &id)) {
            return 1;
        }
    }
    return 0;
}

/* Copies the call log (one line per call) into buffer; returns its full length. */
EXPORT int FakeVss_GetLog(char *buffer, int capacity)
{
    size_t n = g_log_len < (size_t)capacity - 1 ? g_log_len : (size_t)capacity - 1;
    if (capacity > 0) {
        if (g_log != NULL) {
            memcpy(buffer, g_log, n);
        }
        buffer[n] = 0;
    }
    return (int)g_log_len;
}

/* COM objects handed out and not yet released. */
EXPORT int FakeVss_LiveObjects(void)
{
    return g_live_objects;
}

/* Snapshot sets that exist (in creation or created, owned or orphaned). */
EXPORT int FakeVss_LiveSnapshotSets(void)
{
    int n = 0;
    for (int i = 0; i < MAX_SETS; i++) {
        n += g_sets[i].used;
    }
    return n;
}

/* Whether a snapshot set is in creation (StartSnapshotSet without a finished DoSnapshotSet or AbortBackup). */
EXPORT int FakeVss_SetInProgress(void)
{
    return g_set_in_progress != 0;
}

/* Strings inside VSS_SNAPSHOT_PROP structures not yet freed with VssFreeSnapshotProperties. */
EXPORT int FakeVss_LivePropertyStrings(void)
{
    return g_live_prop_strings;
}

/* The method name the fake put at `slot` of interface 0 IVssBackupComponents, 1 IVssAsync, 2 IVssExamineWriterMetadata, 3 IVssEnumObject. */
EXPORT const char *FakeVss_SlotName(int interface_index, int slot)
{
    switch (interface_index) {
    case 0:
        return slot >= 0 && slot < BC_SLOT_COUNT ? bc_slot_names[slot] : NULL;
    case 1:
        return slot >= 0 && slot < ASYNC_SLOT_COUNT ? async_slot_names[slot] : NULL;
    case 2:
        return slot >= 0 && slot < WM_SLOT_COUNT ? wm_slot_names[slot] : NULL;
    case 3:
        return slot >= 0 && slot < ENUM_SLOT_COUNT ? enum_slot_names[slot] : NULL;
    default:
        return NULL;
    }
}

/* FAKE_VSS_SETUP="volume:ROOT|SHADOW_PARENT;writer:DOCUMENT;..." sets the machine up when the library is loaded, for a
   process the test cannot call into (the worker): the same as FakeVss_AddVolume and FakeVss_AddWriterFile. */
__attribute__((constructor)) static void fake_vss_setup_from_environment(void)
{
    const char *env = getenv("FAKE_VSS_SETUP");
    if (env == NULL) {
        return;
    }
    char *copy = strdup(env);
    char *save = NULL;
    for (char *item = strtok_r(copy, ";", &save); item != NULL; item = strtok_r(NULL, ";", &save)) {
        if (strncmp(item, "volume:", 7) == 0) {
            char *bar = strchr(item + 7, '|');
            if (bar != NULL) {
                *bar = 0;
                FakeVss_AddVolume(item + 7, bar + 1);
            }
        } else if (strncmp(item, "writer:", 7) == 0) {
            FakeVss_AddWriterFile(item + 7);
        }
    }
    free(copy);
}
