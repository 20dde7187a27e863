/*
 * dllmain.c - the loader lock is held here: record the module, nothing
 * else. Threads, files and the registry wait for MprAdminInitializeDll(Ex).
 */
#include <windows.h>

#include "runtime.h"

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    switch (reason) {
    case DLL_PROCESS_ATTACH:
        DisableThreadLibraryCalls(instance);
        rt_runtime_attach(instance);
        break;
    case DLL_PROCESS_DETACH:
        rt_runtime_detach(reserved != NULL);
        break;
    default:
        break;
    }
    return TRUE;
}
