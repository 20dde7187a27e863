/*
 * iat.h - replaces a module's import of a function (its Import Address
 * Table entry) so a test can see the calls a real binary makes: what
 * rastap.dll passes to ReportEventW, what security descriptor the spool
 * gives CreateDirectoryW. Wine runs the real PE loader, so this works the
 * same there as on Windows. Test code only.
 */
#ifndef RT_TEST_IAT_H
#define RT_TEST_IAT_H

#include <windows.h>

/* Points module's import of dll!func at `hook`; returns the previous
 * target (call it to pass the call on), or NULL when module does not
 * import it. dll is matched case-insensitively ("ADVAPI32.dll"). */
void *tu_iat_hook(HMODULE module, const char *dll, const char *func, void *hook);

#endif /* RT_TEST_IAT_H */
