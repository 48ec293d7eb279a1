/*
 * oleaut32.dll ABI fake: the BSTR functions. A BSTR points at its first character; the 32-bit byte
 * length sits just before it and a NUL follows the text, as on Windows. Live strings are counted so
 * tests can prove that every BSTR handed to the requester was freed with SysFreeString.
 */
#include "fake_common.h"

static int g_live_bstrs;

EXPORT BSTR SysAllocStringLen(const WCHAR *text, uint32_t length)
{
    uint8_t *block = malloc(sizeof(uint32_t) + ((size_t)length + 1) * sizeof(WCHAR));
    if (block == NULL) {
        return NULL;
    }
    *(uint32_t *)block = length * (uint32_t)sizeof(WCHAR);
    BSTR s = (BSTR)(block + sizeof(uint32_t));
    if (text != NULL) {
        memcpy(s, text, (size_t)length * sizeof(WCHAR));
    } else {
        memset(s, 0, (size_t)length * sizeof(WCHAR));
    }
    s[length] = 0;
    g_live_bstrs++;
    return s;
}

EXPORT BSTR SysAllocString(const WCHAR *text)
{
    return text == NULL ? NULL : SysAllocStringLen(text, (uint32_t)wlen(text));
}

EXPORT void SysFreeString(BSTR value)
{
    if (value != NULL) {
        g_live_bstrs--;
        free((uint8_t *)value - sizeof(uint32_t));
    }
}

EXPORT uint32_t SysStringLen(BSTR value)
{
    return value == NULL ? 0 : *(uint32_t *)((uint8_t *)value - sizeof(uint32_t)) / (uint32_t)sizeof(WCHAR);
}

/* Test-only: BSTRs allocated and not yet freed. */
EXPORT int FakeOleAut_LiveBstrs(void)
{
    return g_live_bstrs;
}
