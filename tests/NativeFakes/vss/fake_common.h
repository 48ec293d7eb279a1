/*
 * Shared declarations of the Windows ABI fakes used by the VSS tests (vssapi.dll, ole32.dll,
 * oleaut32.dll, kernel32.dll built for Linux). Windows types are spelled with their sizes:
 * WCHAR is 16 bits here (wchar_t is 32 bits on Linux, so it is never used), BOOL is 32 bits,
 * C++ bool is one byte.
 */
#ifndef FAKE_COMMON_H
#define FAKE_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

typedef int32_t HRESULT;
typedef uint16_t WCHAR;
typedef WCHAR *BSTR;
typedef int32_t BOOL;

typedef struct {
    uint32_t Data1;
    uint16_t Data2;
    uint16_t Data3;
    uint8_t Data4[8];
} GUID;

#define S_OK ((HRESULT)0)
#define S_FALSE ((HRESULT)1)
#define E_NOTIMPL ((HRESULT)0x80004001)
#define E_NOINTERFACE ((HRESULT)0x80004002)
#define E_POINTER ((HRESULT)0x80004003)
#define E_INVALIDARG ((HRESULT)0x80070057)
#define E_OUTOFMEMORY ((HRESULT)0x8007000E)

/* BSTR functions of the oleaut32 fake (vssapi.dll links against it). */
BSTR SysAllocString(const WCHAR *text);
BSTR SysAllocStringLen(const WCHAR *text, uint32_t length);
void SysFreeString(BSTR value);
uint32_t SysStringLen(BSTR value);

static inline size_t wlen(const WCHAR *s)
{
    size_t n = 0;
    if (s != NULL) {
        while (s[n] != 0) {
            n++;
        }
    }
    return n;
}

/* UTF-8 -> UTF-16 (malloc'ed, NUL-terminated). Handles the whole Unicode range. */
static inline WCHAR *utf8_to_w(const char *s, size_t len)
{
    WCHAR *out = malloc((len + 1) * sizeof(WCHAR));
    size_t n = 0;
    size_t i = 0;
    while (i < len) {
        uint32_t c = (unsigned char)s[i];
        int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
        if (extra > 0) {
            c &= 0x3F >> extra;
        }
        i++;
        for (int k = 0; k < extra && i < len; k++, i++) {
            c = (c << 6) | ((unsigned char)s[i] & 0x3F);
        }
        if (c >= 0x10000) {
            c -= 0x10000;
            out[n++] = (WCHAR)(0xD800 | (c >> 10));
            out[n++] = (WCHAR)(0xDC00 | (c & 0x3FF));
        } else {
            out[n++] = (WCHAR)c;
        }
    }
    out[n] = 0;
    return out;
}

/* UTF-16 -> UTF-8 (malloc'ed, NUL-terminated). */
static inline char *w_to_utf8(const WCHAR *s)
{
    size_t len = wlen(s);
    char *out = malloc(len * 3 + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        uint32_t c = s[i];
        if (c >= 0xD800 && c < 0xDC00 && i + 1 < len) {
            c = 0x10000 + ((c - 0xD800) << 10) + (s[++i] - 0xDC00);
        }
        if (c < 0x80) {
            out[n++] = (char)c;
        } else if (c < 0x800) {
            out[n++] = (char)(0xC0 | (c >> 6));
            out[n++] = (char)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            out[n++] = (char)(0xE0 | (c >> 12));
            out[n++] = (char)(0x80 | ((c >> 6) & 0x3F));
            out[n++] = (char)(0x80 | (c & 0x3F));
        } else {
            out[n++] = (char)(0xF0 | (c >> 18));
            out[n++] = (char)(0x80 | ((c >> 12) & 0x3F));
            out[n++] = (char)(0x80 | ((c >> 6) & 0x3F));
            out[n++] = (char)(0x80 | (c & 0x3F));
        }
    }
    out[n] = 0;
    return out;
}

#endif
