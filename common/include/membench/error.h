/* membench error codes shared by every library.
 *
 * Library calls return int: 0 on success, negative on failure. A negative errno value (-ENOENT,
 * -ENOMEM, ...) passes through unchanged; membench's own codes live at -1000 and below, a range
 * errno never uses. The values are pinned: never renumber, only append.
 */
#ifndef MEMBENCH_ERROR_H
#define MEMBENCH_ERROR_H

enum mb_error {
	MB_E_NOT_PROFILE = -1000,   /* input is not a membench profile (bad magic) */
	MB_E_VERSION = -1001,       /* profile written by a newer, incompatible major version */
	MB_E_CORRUPT = -1002,       /* structurally invalid data (bad length, reserved bits set) */
	MB_E_CHECKSUM = -1003,      /* a checksum did not match */
	MB_E_TRUNCATED = -1004,     /* input ends in the middle of a structure */
	MB_E_LIMIT = -1005,         /* a length or count exceeds a documented limit */
	MB_E_ZSTD = -1006,          /* zstd (de)compression failed */
	MB_E_PARSE = -1007,         /* malformed text input (trace row, protocol line, number) */
	MB_E_USAGE = -1008,         /* invalid argument or option value */
	MB_E_UNSUPPORTED = -1009,   /* valid but not supported by this build or kernel */
	MB_E_PRIVILEGE = -1010,     /* missing privilege (CAP_BPF, CAP_PERFMON, root) */
	MB_E_STATE = -1011,         /* API called in the wrong state */
	MB_E_PROTOCOL = -1012,      /* memcached protocol error from a peer */
	MB_E_CONNECT = -1013,       /* could not reach a server */
};

/* Returns a static, human-readable description of err (a negative errno or an mb_error). */
const char *mb_strerror(int err);

#endif
