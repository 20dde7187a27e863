/*
 * privdir.h - directories for personal data (logs, spools).
 *
 * rastap's records hold user names and addresses, so a directory rastap
 * creates gets a protected DACL granting access to SYSTEM and
 * Administrators only; a directory that already exists keeps its own.
 * Worker thread (and its sinks' threads); never from a callout.
 */
#ifndef RT_PRIVDIR_H
#define RT_PRIVDIR_H

#include <windows.h>

#define RT_PRIVATE_DIR_SDDL L"D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"

/* Creates dir and its missing parents (each with RT_PRIVATE_DIR_SDDL).
 * NO_ERROR when it exists afterwards, else the Win32 error. */
DWORD rt_make_private_dir(const WCHAR *dir);

#endif /* RT_PRIVDIR_H */
