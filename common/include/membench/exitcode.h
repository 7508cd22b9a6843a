/* Exit codes of every membench binary (documented in README.md, "Exit codes"). */
#ifndef MEMBENCH_EXITCODE_H
#define MEMBENCH_EXITCODE_H

enum mb_exit {
	MB_EXIT_OK = 0,          /* success */
	MB_EXIT_FAILURE = 1,     /* runtime failure (I/O error, out of memory, ...) */
	MB_EXIT_USAGE = 2,       /* bad command line: unknown command, flag or value */
	MB_EXIT_INPUT = 3,       /* input file unusable: not a profile, newer version, corrupt */
	MB_EXIT_PRIVILEGE = 4,   /* missing privileges or kernel support (BPF, BTF, tracefs) */
	MB_EXIT_TARGET = 5,      /* target server unreachable or refused */
	MB_EXIT_MISMATCH = 6,    /* a comparison did not meet its thresholds */
	MB_EXIT_NOT_BUILT = 7,   /* reserved: used while parts were not built; unused now */
};

/* Maps a negative library error to the exit code a binary should return. */
int mb_exit_code_for(int err);

#endif
