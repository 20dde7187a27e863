# Shared part of the MinGW toolchains; RT_TRIPLET is set by the includer.
set(CMAKE_C_COMPILER ${RT_TRIPLET}-gcc)
set(CMAKE_RC_COMPILER ${RT_TRIPLET}-windres)
set(CMAKE_MC_COMPILER ${RT_TRIPLET}-windmc)
set(CMAKE_FIND_ROOT_PATH /usr/${RT_TRIPLET})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Tests run under Wine through this wrapper (private prefix in the build tree).
set(CMAKE_CROSSCOMPILING_EMULATOR ${CMAKE_CURRENT_LIST_DIR}/wine-run.sh)
