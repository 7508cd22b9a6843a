/* Version of the membench build: project version plus `git describe` when built from git. */
#ifndef MEMBENCH_VERSION_H
#define MEMBENCH_VERSION_H

/* "0.1.0 (v0.1.0-3-gabc123)" or "0.1.0" when not built from git. Static storage. */
const char *mb_version_long(void);

#endif
