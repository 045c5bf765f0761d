#pragma once
// Running the real executables from tests: run() for a command to completion, Child for a
// long-running one (the server, a store writer to kill) whose output is read line by line.
// One interface, two implementations: fork and signals on Linux, CreateProcessW and
// TerminateProcess on Windows (the client's tests run there under Wine, tests/run-windows.sh).
#ifdef _WIN32
#include "tests/support/process_windows.hpp"
#else
#include "tests/support/process_posix.hpp"
#endif
