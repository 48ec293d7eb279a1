/*
 * ole32.dll ABI fake: CoInitializeEx and CoInitializeSecurity. Records how often and with which
 * arguments they were called; CoInitializeSecurity answers RPC_E_TOO_LATE after the first call,
 * as COM does once process security is set.
 */
#include "fake_common.h"

#define RPC_E_TOO_LATE ((HRESULT)0x80010119)
#define RPC_E_CHANGED_MODE ((HRESULT)0x80010106)

static int g_init_calls;
static int g_security_calls;
static uint32_t g_authn_level;
static uint32_t g_imp_level;
static uint32_t g_capabilities;
static int32_t g_auth_services;
static uint32_t g_coinit_flags;

EXPORT HRESULT CoInitializeEx(void *reserved, uint32_t flags)
{
    (void)reserved;
    g_init_calls++;
    if (g_init_calls > 1 && flags != g_coinit_flags) {
        return RPC_E_CHANGED_MODE;
    }
    g_coinit_flags = flags;
    return S_OK;
}

EXPORT HRESULT CoInitializeSecurity(void *descriptor, int32_t authServiceCount, void *authServices, void *reserved1,
                                    uint32_t authnLevel, uint32_t impLevel, void *authList, uint32_t capabilities,
                                    void *reserved3)
{
    (void)descriptor;
    (void)authServices;
    (void)reserved1;
    (void)authList;
    (void)reserved3;
    g_security_calls++;
    if (g_security_calls > 1) {
        return RPC_E_TOO_LATE;
    }
    g_auth_services = authServiceCount;
    g_authn_level = authnLevel;
    g_imp_level = impLevel;
    g_capabilities = capabilities;
    return S_OK;
}

/* Test-only: how often CoInitializeSecurity / CoInitializeEx were called, and the security arguments. */
EXPORT int FakeOle32_SecurityCalls(void)
{
    return g_security_calls;
}

EXPORT int FakeOle32_InitCalls(void)
{
    return g_init_calls;
}

EXPORT void FakeOle32_SecurityArguments(int32_t *authServices, uint32_t *authnLevel, uint32_t *impLevel,
                                        uint32_t *capabilities, uint32_t *coinitFlags)
{
    *authServices = g_auth_services;
    *authnLevel = g_authn_level;
    *impLevel = g_imp_level;
    *capabilities = g_capabilities;
    *coinitFlags = g_coinit_flags;
}
