/*
 * testutil.h - helpers for the Windows tests (run under Wine by ctest).
 */
#ifndef RT_TESTUTIL_H
#define RT_TESTUTIL_H

#include <stdbool.h>

#include <windows.h>

/* argv path (a Unix path when ctest runs us under Wine) -> Windows path. */
void tu_windows_path(const char *arg, WCHAR *out, size_t cap);

/* Copies the DLL named by argv[1] into a fresh directory of its own under
 * %TEMP% (named after `tag`) and loads it as RRAS does:
 * LoadLibraryExW(path, NULL, LOAD_LIBRARY_SEARCH_DEFAULT_DIRS). */
HMODULE tu_load_rastap(const char *arg, const char *tag);

/* Points rastap's configuration at a file sink writing into `dir`
 * (created empty), with `format` "jsonl" or "csv"; NULL dir deletes the
 * configuration key. */
void tu_config_file_sink(const WCHAR *dir, const char *format);

/* Removes every file in dir (not recursive) and creates dir. */
void tu_fresh_dir(const WCHAR *dir);

/* %TEMP%\rastap-tests\<tag> */
void tu_temp_dir(const char *tag, WCHAR *out, size_t cap);

/*
 * Calls fn for every line (with its newline; at most 64 KiB, a longer one
 * comes in pieces) of every file dir\*.<ext>, in the order the directory
 * lists them, until fn returns false. Returns false when fn stopped it.
 */
bool tu_each_line(const WCHAR *dir, const WCHAR *ext, bool (*fn)(const char *line, void *ctx),
                  void *ctx);

#endif /* RT_TESTUTIL_H */
